#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `ptfreeze check --format prometheus` and `ptfreeze report --format
# prometheus`, judged by the real tools: Debian's promtool accepts both
# (`promtool check metrics`: syntax, HELP/TYPE, naming conventions), the
# values are those of the --json documents, and a real node_exporter on
# 127.0.0.1 with only the textfile collector serves them on /metrics with
# no scrape error.  A wrong --format value is one error line, status 2.
# Skipped (77) without promtool or prometheus-node-exporter.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null 2>&1 || skip "promtool is not installed (Debian package prometheus)"
EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter || true)
[ -n "$EXPORTER" ] || skip "node_exporter is not installed (Debian package prometheus-node-exporter)"
HOSTPY=/usr/bin/python3 # the interpreter itself, not a version-manager shim
[ -x "$HOSTPY" ] || skip "/usr/bin/python3 is not installed"

# check: metrics, promtool, and the same statuses as --json.
pf check --json
[ "$st" -le 1 ] || fail "check --json: status $st: $(cat "$TMPD/err")"
cp "$TMPD/out" "$TMPD/check.json"
pf check --format prometheus
[ "$st" -le 1 ] || fail "check --format prometheus: status $st: $(cat "$TMPD/err")"
cp "$TMPD/out" "$TMPD/check.prom"
promtool check metrics < "$TMPD/check.prom" > "$TMPD/promtool.out" 2>&1 ||
	fail "promtool rejects check's metrics: $(cat "$TMPD/promtool.out")"

# report: a run with violations (the probe maps and unmaps after arming).
run_probe "$TMPD/rep"
pf report --json "$TMPD/rep"
cp "$TMPD/out" "$TMPD/report.json"
pf report --format prometheus "$TMPD/rep"
expect_status 1 "report --format prometheus (violations)"
cp "$TMPD/out" "$TMPD/report.prom"
promtool check metrics < "$TMPD/report.prom" > "$TMPD/promtool.out" 2>&1 ||
	fail "promtool rejects report's metrics: $(cat "$TMPD/promtool.out")"

"$HOSTPY" - "$TMPD" <<'PYEOF' || fail "the metrics do not say what the JSON documents say"
import json, re, sys
d = sys.argv[1]
def samples(path):
    out = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r'([a-z_]+)(\{(.*)\})? (\S+)$', line.strip())
        assert m, "not a sample line: %r" % line
        labels = dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), tuple(sorted(labels.items())))] = float(m.group(4))
    return out
code = {"PASS": 0, "WARN": 1, "FAIL": 2}
chk, cm = json.load(open(d + "/check.json")), samples(d + "/check.prom")
for c in chk["checks"]:
    key = ("ptfreeze_host_check_status", (("area", c["area"]), ("item", c["name"])))
    assert cm.get(key) == code[c["status"]], "check %s: %s, metric %s" % (c["name"], c["status"], cm.get(key))
for s in ("pass", "warn", "fail"):
    assert cm[("ptfreeze_host_checks", (("status", s),))] == chk[s], s
rep, rm = json.load(open(d + "/report.json")), samples(d + "/report.prom")
assert rm[("ptfreeze_report_processes", (("state", "all"),))] == len(rep["processes"])
seen = 0
for p in rep["processes"]:
    exe = p["exe"].rsplit("/", 1)[-1]
    for kind, n in (p["events_by_kind"] or {}).items():
        key = ("ptfreeze_events_total", tuple(sorted({"pid": str(p["pid"]), "exe": exe, "kind": kind}.items())))
        assert rm.get(key) == n, "pid %d %s: %s events, metric %s" % (p["pid"], kind, n, rm.get(key))
        seen += n
    key = ("ptfreeze_pool_bytes", tuple(sorted({"pid": str(p["pid"]), "exe": exe, "backing": p["pool"]["backing"]}.items())))
    assert rm.get(key) == p["pool"]["size"], "pool %s vs %s" % (rm.get(key), p["pool"]["size"])
assert seen > 0, "the probe's run recorded no event: the test is broken"
print("# %d check items and %d events agree with the JSON documents" % (len(chk["checks"]), seen))
PYEOF

# A real node_exporter serves both files from its textfile directory.
mkdir "$TMPD/tf"
cp "$TMPD/check.prom" "$TMPD/tf/ptfreeze-check.prom"
cp "$TMPD/report.prom" "$TMPD/tf/ptfreeze-report.prom"
port=$((20000 + $$ % 20000))
"$EXPORTER" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TMPD/tf" > "$TMPD/exporter.log" 2>&1 &
exporter=$!
trap 'kill $exporter 2>/dev/null; rm -rf "$TMPD"' EXIT
"$HOSTPY" - "$port" > "$TMPD/metrics" 2> "$TMPD/fetch.err" <<'PYEOF'
import sys, time, urllib.request
url = "http://127.0.0.1:%s/metrics" % sys.argv[1]
for _ in range(100):
    try:
        sys.stdout.write(urllib.request.urlopen(url, timeout=2).read().decode())
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("no answer from %s" % url)
PYEOF
[ $? -eq 0 ] || fail "node_exporter did not serve /metrics: $(cat "$TMPD/fetch.err") $(tail -n 5 "$TMPD/exporter.log")"
grep -q '^node_textfile_scrape_error 0$' "$TMPD/metrics" ||
	fail "node_exporter could not read the files: $(grep -i 'textfile\|error' "$TMPD/exporter.log" | tail -n 3)"
grep -q '^ptfreeze_host_check_status{area="memory",item="swap"} [012]$' "$TMPD/metrics" ||
	fail "node_exporter does not serve the check metrics"
grep -q '^ptfreeze_events_total{' "$TMPD/metrics" || fail "node_exporter does not serve the report metrics"
note "node_exporter serves $(grep -c '^ptfreeze_' "$TMPD/metrics") ptfreeze samples"

# Bad input: one line, status 2.
pf report --format xml "$TMPD/rep"
expect_status 2 "report --format xml"
one_error_line "report --format xml" "not one of text, json, folded, prometheus"
pf check --format yaml
expect_status 2 "check --format yaml"
one_error_line "check --format yaml" "not one of text, json, prometheus"
exit 0
