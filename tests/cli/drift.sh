#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Host drift: the shim judges the host's settings at arming and again in
# the exit summary, and the report lists what changed (src/drift.c):
#  - a process armed on an unchanged host: host_drift is an empty list, and
#    the text says the settings did not change;
#  - as root, vm.stat_interval and KSM changed while the process is armed
#    (both put back on any exit): host_drift names stat-interval and ksm,
#    with the reading at arming and at exit, `ptfreeze report` says so on
#    its first screen and on the process's "host" line, and --json carries it;
#  - a process never armed: host_drift is null.
. "$(dirname "$0")/lib.sh"
HOSTPY=/usr/bin/python3 # the interpreter itself, not a version-manager shim
[ -x "$HOSTPY" ] || skip "/usr/bin/python3 is not installed"
run_sh() { # DIR ARM SCRIPT
	mkdir -p "$1"
	PTFREEZE_ARM=$2 PTFREEZE_PROGRAMS=sh PTFREEZE_REPORT="$1/r-%p.jsonl" LD_PRELOAD="$SHIM" /bin/sh -c "$3" ||
		fail "sh -c '$3' under the shim: status $?"
}
drift_of() { # DIR -> the summary's host_drift of the sh process, as JSON
	"$HOSTPY" - "$1" <<'PYEOF'
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/r-*.jsonl"):
    recs = [json.loads(l) for l in open(f)]
    if recs[0]["exe"].endswith("sh") and not recs[0]["fork_child"]:
        s = [r for r in recs if r["type"] == "summary"]
        assert s, f + ": no summary"
        print(json.dumps(s[0]["host_drift"]))
        sys.exit(0)
sys.exit("no report of the shell in " + sys.argv[1])
PYEOF
}

# The lock from here: "unchanged" means no other test (cause.sh turns KSM on) changes the host meanwhile.
host_settings_lock
run_sh "$TMPD/still" delay:50ms 'sleep 0.3'
[ "$(drift_of "$TMPD/still")" = "[]" ] || fail "an unchanged host drifted: $(drift_of "$TMPD/still")"
pf report --all "$TMPD/still"
grep -q '^  host  *its settings did not change between arming and exit$' "$TMPD/out" ||
	fail "the text does not say the host was unchanged"
run_sh "$TMPD/never" manual 'true'
[ -z "$(ls "$TMPD/never")" ] || [ "$(drift_of "$TMPD/never")" = "null" ] || fail "a process never armed has a drift: $(drift_of "$TMPD/never")"

ksm=/sys/kernel/mm/ksm/run
si=/proc/sys/vm/stat_interval
if [ "$(id -u)" != 0 ] || ! [ -w "$si" ] || ! [ -w "$ksm" ]; then
	note "not root (or no $ksm): the settings are not changed"
	exit 0
fi
old_si=$(cat "$si") old_ksm=$(cat "$ksm")
trap 'echo "$old_si" > "$si"; echo "$old_ksm" > "$ksm"; rm -rf "$TMPD"' EXIT
new_si=$((old_si + 3)) new_ksm=$((1 - old_ksm))
[ "$new_ksm" -ge 0 ] || new_ksm=0
run_sh "$TMPD/moved" delay:50ms "sleep 0.3; echo $new_si > $si; echo $new_ksm > $ksm; sleep 0.1"
echo "$old_si" > "$si"
echo "$old_ksm" > "$ksm"
drift_of "$TMPD/moved" > "$TMPD/drift.json"
"$HOSTPY" - "$TMPD/drift.json" "$old_si" "$new_si" <<'PYEOF' || fail "the drift does not say what changed: $(cat "$TMPD/drift.json")"
import json, sys
d = {c["item"]: c for c in json.load(open(sys.argv[1]))}
assert set(d) >= {"stat-interval", "ksm"}, sorted(d)
s = d["stat-interval"]
assert s["area"] == "timers" and s["at_arm"]["observed"] == sys.argv[2] + " s" and s["at_exit"]["observed"] == sys.argv[3] + " s", s
assert d["ksm"]["at_arm"]["observed"] != d["ksm"]["at_exit"]["observed"], d["ksm"]
print("# drift: " + ", ".join(sorted(d)))
PYEOF
pf report --all "$TMPD/moved"
grep -q "^the host's settings changed while 1 process was armed" "$TMPD/out" || fail "the first screen does not say the host changed"
grep -q "^  host  *[0-9]* settings* changed while armed:" "$TMPD/out" || fail "the process's host line is missing"
grep -q "stat-interval (timers): WARN $old_si s -> " "$TMPD/out" || grep -q "stat-interval (timers): [A-Z]* $old_si s -> [A-Z]* $new_si s" "$TMPD/out" ||
	fail "the text does not show stat-interval's change: $(grep -A3 '^  host' "$TMPD/out")"
pf report --json "$TMPD/moved"
"$HOSTPY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(p["host_drift"] for p in d["processes"])' "$TMPD/out" ||
	fail "--json does not carry host_drift"
[ "$(cat "$si")" = "$old_si" ] && [ "$(cat "$ksm")" = "$old_ksm" ] || fail "the settings were not put back"
exit 0
