#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `ptfreeze check` covers the latency host spec by area (memory, cpu, power,
# timers, rt, limits, faults), each item with what was read, what is
# expected and why, and `--emit sysctl|cmdline|tuned` writes files that fix
# what they can:
#  - every item of the spec is present, in its area, with a reason;
#  - --emit sysctl: every line is a sysctl this kernel has; as root the file
#    is applied with `sysctl -p` on a scratch copy, the items it fixes then
#    PASS, and every value is put back afterwards (on any exit);
#  - --emit cmdline: one line of kernel parameters, those the items name;
#  - --emit tuned: an INI file including latency-performance whose [sysctl]
#    is the sysctl file's and whose [sysfs] paths exist;
#  - --pid judges a process: its CPUs, its RT threads, its mappings;
#  - a wrong --emit is one error line, status 2.
. "$(dirname "$0")/lib.sh"
HOSTPY=/usr/bin/python3 # the interpreter itself, not a version-manager shim
[ -x "$HOSTPY" ] || skip "/usr/bin/python3 is not installed"

pf check --json
[ "$st" -le 1 ] || fail "check --json: status $st: $(cat "$TMPD/err")"
cp "$TMPD/out" "$TMPD/before.json"
"$HOSTPY" - "$TMPD/before.json" <<'PYEOF' || fail "the host spec is not whole"
import json, sys
d = json.load(open(sys.argv[1]))
want = {
    "memory": ["swap", "thp-enabled", "khugepaged", "ksm", "numa-balancing", "hugepages-2M", "zone-reclaim-mode",
               "watermark-boost", "overcommit", "max-map-count", "dirty-ratio", "dirty-background-ratio",
               "hugepages-per-node"],
    "cpu": ["isolcpus", "nohz-full", "rcu-nocbs", "irq-affinity", "irqbalance"],
    "power": ["cpu-governor", "c-states"],
    "timers": ["stat-interval", "nmi-watchdog", "soft-watchdog", "timer-migration"],
    "rt": ["rt-throttling"],
    "limits": ["memlock", "cap-ipc-lock"],
    "faults": ["perf-event-paranoid"],
}
have = {c["name"]: c for c in d["checks"]}
for area, names in want.items():
    for n in names:
        assert n in have, "no item %s" % n
        assert have[n]["area"] == area, "%s is in %s, want %s" % (n, have[n]["area"], area)
        assert have[n]["observed"], "%s: nothing observed" % n
for c in d["checks"]:
    if c["status"] != "PASS":
        assert c["fix"], "%s: %s without a fix" % (c["name"], c["status"])
    assert c["why"] and c["expected"], "%s: no why or no expected" % c["name"]
print("# %d items in %d areas" % (len(d["checks"]), len(want)))
PYEOF

pf check --emit sysctl
expect_status 0 "check --emit sysctl"
cp "$TMPD/out" "$TMPD/sysctl.conf"
grep -v '^#' "$TMPD/sysctl.conf" | grep -v '^$' > "$TMPD/sysctl.lines" || true
while read -r key eq value; do
	[ "$eq" = "=" ] || fail "--emit sysctl: not a 'key = value' line: $key $eq $value"
	[ -e "/proc/sys/$(echo "$key" | tr . /)" ] || fail "--emit sysctl: $key is not a sysctl of this kernel"
done < "$TMPD/sysctl.lines"
note "--emit sysctl: $(wc -l < "$TMPD/sysctl.lines") setting(s)"

pf check --emit cmdline
expect_status 0 "check --emit cmdline"
grep -v '^#' "$TMPD/out" > "$TMPD/cmdline"
[ "$(wc -l < "$TMPD/cmdline")" -eq 1 ] || fail "--emit cmdline: not one line: $(cat "$TMPD/out")"
for tok in $(cat "$TMPD/cmdline"); do
	case ${tok%%=*} in
	isolcpus | nohz_full | rcu_nocbs | processor.max_cstate | intel_idle.max_cstate) ;;
	*) fail "--emit cmdline: unexpected parameter $tok" ;;
	esac
done

pf check --emit tuned
expect_status 0 "check --emit tuned"
cp "$TMPD/out" "$TMPD/tuned.conf"
"$HOSTPY" - "$TMPD/tuned.conf" "$TMPD/sysctl.lines" <<'PYEOF' || fail "--emit tuned is not the profile it should be"
import configparser, glob, sys
c = configparser.ConfigParser(interpolation=None, strict=True)
c.optionxform = str
c.read(sys.argv[1])
assert c["main"]["include"] == "latency-performance", dict(c["main"])
sysctls = {l.split(" = ")[0]: l.split(" = ")[1].strip() for l in open(sys.argv[2]) if l.strip()}
assert dict(c["sysctl"]) == sysctls, (dict(c["sysctl"]), sysctls)
for path in c["sysfs"]:
    assert glob.glob(path), "[sysfs] %s does not exist" % path
PYEOF

pf check --emit banana
expect_status 2 "check --emit banana"
one_error_line "check --emit banana" "not one of"

# A process: the test's own shell.
pf check --json --pid $$
[ "$st" -le 1 ] || fail "check --pid $$: status $st: $(cat "$TMPD/err")"
"$HOSTPY" - "$TMPD/out" <<'PYEOF' || fail "check --pid does not judge the process"
import json, sys
have = {c["name"]: c for c in json.load(open(sys.argv[1]))["checks"]}
assert "mappings" in have["max-map-count"]["observed"], have["max-map-count"]
assert "does not run RT" in have["rt-throttling"]["observed"], have["rt-throttling"]
PYEOF

# As root: apply the sysctl file, see its items pass, put every value back.
[ "$(id -u)" = 0 ] || { note "not root: the sysctl file is not applied"; exit 0; }
command -v sysctl >/dev/null 2>&1 || { note "no sysctl(8): the file is not applied"; exit 0; }
[ -s "$TMPD/sysctl.lines" ] || { note "nothing to apply: every sysctl item passes"; exit 0; }
host_settings_lock
: > "$TMPD/restore"
while read -r key eq value; do
	echo "$key=$(sysctl -n "$key")" >> "$TMPD/restore"
done < "$TMPD/sysctl.lines"
restore() { while IFS= read -r kv; do sysctl -q -w "$kv" > /dev/null 2>&1; done < "$TMPD/restore"; }
trap 'restore; rm -rf "$TMPD"' EXIT
cp "$TMPD/sysctl.conf" "$TMPD/scratch.conf"
sysctl -q -p "$TMPD/scratch.conf" > "$TMPD/sysctl.out" 2>&1 || fail "sysctl -p rejects the emitted file: $(cat "$TMPD/sysctl.out")"
pf check --json
cp "$TMPD/out" "$TMPD/after.json"
"$HOSTPY" - "$TMPD/after.json" "$TMPD/sysctl.conf" <<'PYEOF' || fail "applying the sysctl file did not fix its items"
import json, subprocess, sys
have = {c["name"]: c for c in json.load(open(sys.argv[1]))["checks"]}
item = None
fixed = 0
for line in open(sys.argv[2]):
    if line.startswith("# Not sysctls"):
        break
    if line.startswith("# ") and " (" in line:
        item = line[2:].split(" (")[0]
    elif " = " in line and item:
        key, value = line.strip().split(" = ")
        got = subprocess.run(["sysctl", "-n", key], capture_output=True, text=True).stdout.strip()
        # The kernel may grant fewer huge pages than asked when memory is fragmented.
        if key == "vm.nr_hugepages" and got != value:
            print("# %s: the kernel reserved %s of %s: not judged" % (key, got, value))
            continue
        assert have[item]["status"] == "PASS", "%s = %s applied, %s still %s: %s" % (
            key, value, item, have[item]["status"], have[item]["observed"])
        fixed += 1
print("# the sysctl file fixed %d item(s)" % fixed)
PYEOF
restore
while IFS= read -r kv; do
	[ "$(sysctl -n "${kv%%=*}" | tr -s ' \t' ' ')" = "$(echo "${kv#*=}" | tr -s ' \t' ' ')" ] || fail "${kv%%=*} was not put back to ${kv#*=}"
done < "$TMPD/restore"
note "every value was put back"
exit 0
