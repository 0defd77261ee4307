# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the fault-injection tests (tests/fault/*.sh, tests/stress/*.sh)
# after tests/lib.sh: the programs, the command, and judges that read the
# report file.  tests/lib.sh has dropped every PTFREEZE_* the caller exported.
FAULT=$top_builddir/tests/fault
PTFREEZE=$top_builddir/tools/ptfreeze
# These tests count page-table call sites; page faults after arming (their
# own test: tests/pagefault.sh) would add sites of another kind.
export PTFREEZE_LOG=off PTFREEZE_FAULTS=off
# The real interpreter: a wrapper script (pyenv) would fork under strict mode.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || skip "python3 is not installed (the report judges need it)"
need_command

# Runs CMD with a time limit; status 124 means it hung.
limit() { timeout -k 5 "$@"; }

# check_sites REPORT OUT [--killed]: every "site I LEN" line of OUT (the
# sites program's stdout; a cut last line is ignored) has exactly one site
# record in REPORT, an mprotect whose args.len is LEN; site ids are unique;
# no site is there twice; every line is whole (with --killed the last may be
# cut: SIGKILL can stop a write(2) between pages).  Prints "N sites checked".
check_sites() {
	"$PY" - "$@" <<'PYEOF'
import json, sys
report, out = sys.argv[1], sys.argv[2]
killed = sys.argv[3:] == ["--killed"]
recs = []
lines = open(report, encoding="utf-8", errors="replace").read().split("\n")
for n, line in enumerate(lines[:-1], 1):
    recs.append(json.loads(line))
if lines[-1] and not killed:
    sys.exit("%s:%d: a cut line in the report" % (report, len(lines)))
sites = [r for r in recs if r.get("type") == "site"]
ids = [s["id"] for s in sites]
if len(ids) != len(set(ids)):
    sys.exit("site ids repeat: %s" % sorted(i for i in ids if ids.count(i) > 1))
by_len = {}
for s in sites:
    if s["kind"] != "mprotect":
        sys.exit("unexpected site kind %s" % s["kind"])
    by_len.setdefault(s["args"]["len"], []).append(s["id"])
twice = {k: v for k, v in by_len.items() if len(v) > 1}
if twice:
    sys.exit("sites recorded twice: %s" % twice)
seen = 0
for line in open(out).read().split("\n")[:-1]:
    if line.startswith("site "):
        _, i, ln = line.split()
        if int(ln) not in by_len:
            sys.exit("site %s (len %s) was printed but is not in the report" % (i, ln))
        seen += 1
print("%d sites checked, %d in the report" % (seen, len(sites)))
PYEOF
}

