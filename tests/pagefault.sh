#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Page faults after arming (PTFREEZE_FAULTS), judged from the report file
# and the program's own getrusage:
#  - touchstatic arms, then touches never-touched pages of a 64 MiB static
#    array from touch_cold_page(), in the main thread and in a thread made
#    after arming: one page-fault site per caller whose innermost frame
#    resolves (addr2line) to touch_cold_page, class bss of the binary,
#    counted once per page; the program's getrusage saw those faults;
#  - ptfreeze report shows them in text (the class table), --json and
#    --folded;
#  - strict mode with abort: a fault is recorded, never refused, the
#    program finishes;
#  - PTFREEZE_FAULTS=off: no page-fault site, sampling "off";
#  - perf_event_open refused (a seccomp filter stands in for
#    perf_event_paranoid): nothing on stderr by default, one line with
#    PTFREEZE_FAULTS=on set, sampling "refused" in the
#    report, no page-fault site, the program runs and the summary still
#    counts the faults.
#  - faultheavy takes 4000 faults at two sites: the sampler's books
#    balance, every fault getrusage saw is counted, both sites are named
#    with their caller; pinned and SCHED_FIFO (its sampler cannot run
#    during the burst) samples are lost and counted as lost;
#  - a fork child's writes to heap memory from before the fork are
#    page faults of class pool-cow (copy-on-write).
# The churn program's zero is checked in churn.sh; programs that reset,
# block or take over signals in pagefault-signals.sh.
. "${srcdir:-$(dirname "$0")}/lib.sh"
command -v addr2line >/dev/null || skip "addr2line (binutils) is not installed"
need_python
prog=$PROGS/touchstatic
check=$top_srcdir/tests/pagefault_check.py
ptf=$top_builddir/tools/ptfreeze
need_command
export PTFREEZE_ARM=manual PTFREEZE_LOG=off
pages=8

arm_field() { grep '"type":"arm"' "$1" | sed -n 's/.*"page_faults":{"sampling":"\([a-z]*\)".*/\1/p'; }
fault_sites() { grep '"type":"site"' "$1" | grep -c '"kind":"page-fault"' || true; }

out=$(PTFREEZE_REPORT="$TMPD/r.jsonl" shim "$prog" -n $pages -t 2> "$TMPD/err") || { cat "$TMPD/err"; fail "touchstatic failed"; }
echo "$out"
state=$(arm_field "$TMPD/r.jsonl")
case "$state" in
on) ;;
refused | unavailable) skip "perf page-fault events with sigtrap are $state here: $(grep '"type":"arm"' "$TMPD/r.jsonl" | sed 's/.*"page_faults"://')" ;;
*) fail "no page_faults state in the arm record ('$state')" ;;
esac
n=$(echo "$out" | sed -n 's/.*minor_faults_while_touching=\([0-9]*\).*/\1/p')
[ "${n:-0}" -ge $pages ] || fail "the program's getrusage saw ${n:-?} faults for $pages first touches: the yardstick is broken"
"$PY" "$check" "$TMPD/r.jsonl" "$prog" $pages 1 || fail "page faults of touchstatic"

# The three output formats.
"$ptf" report "$TMPD/r.jsonl" > "$TMPD/text"
[ $? -eq 0 ] || fail "ptfreeze report: want exit status 0 (page faults are not violations)"
"$ptf" report --fail-on-faults "$TMPD/r.jsonl" > /dev/null
[ $? -eq 1 ] || fail "ptfreeze report --fail-on-faults: want exit status 1 (page faults found)"
grep -qE "; [0-9]+ page faults after arming at [0-9]+ sites" "$TMPD/text" || { head -3 "$TMPD/text"; fail "text: the headline does not count the page faults"; }
grep -qE '^ +[0-9]+ +page-fault +8 .*touch_cold_page \(touchstatic\.c:[0-9]+\) \[bss\]$' "$TMPD/text" ||
	fail "text: no page-fault row at touch_cold_page [bss] counted 8"
grep -qE "^  bss +16 +2  .*/touchstatic$" "$TMPD/text" || fail "text: the class table has no 'bss 16 2 .../touchstatic' row"
grep -q '^  sampling    page faults sampled with stacks' "$TMPD/text" || fail "text: no sampling line"
"$ptf" report --folded "$TMPD/r.jsonl" > "$TMPD/folded"
grep -qE '^page-fault\[bss:touchstatic\];.*;main;touch_cold_page 8$' "$TMPD/folded" || fail "--folded: no page-fault[bss:touchstatic];...;main;touch_cold_page 8"
grep -qE '^page-fault\[bss:touchstatic\];.*;thread_main;touch_cold_page 8$' "$TMPD/folded" || fail "--folded: no ...;thread_main;touch_cold_page 8"
"$ptf" report --json "$TMPD/r.jsonl" > "$TMPD/json"
"$PY" - "$TMPD/json" <<'PY' || fail "--json"
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["page_faults"] if r["class"] == "bss" and r["path"].endswith("/touchstatic")]
assert rows and rows[0]["faults"] == 16 and rows[0]["sites"] == 2, d["page_faults"]
sites = [s for s in d["sites"] if s["kind"] == "page-fault" and s["frames"][0]["function"] == "touch_cold_page"]
assert len(sites) == 2 and all(s["args"]["class"] == "bss" and s["count"] == 8 for s in sites), sites
assert d["processes"][0]["page_faults"]["sampling"] == "on", d["processes"][0]["page_faults"]
print("ok - --json: 2 sites at touch_cold_page, bss 16 faults")
PY

# Strict mode: recorded as allowed, never refused, even with abort.
PTFREEZE_MODE=strict PTFREEZE_STRICT_ACTION=abort PTFREEZE_REPORT="$TMPD/s.jsonl" shim "$prog" -n $pages > "$TMPD/out" 2>&1 ||
	{ cat "$TMPD/out"; fail "strict mode: a page fault stopped the program"; }
"$PY" "$check" "$TMPD/s.jsonl" "$prog" $pages 0 || fail "page faults in strict mode"

# Off: nothing sampled.
PTFREEZE_FAULTS=off PTFREEZE_REPORT="$TMPD/off.jsonl" shim "$prog" -n $pages > /dev/null || fail "touchstatic failed with PTFREEZE_FAULTS=off"
[ "$(arm_field "$TMPD/off.jsonl")" = off ] || fail "PTFREEZE_FAULTS=off: sampling is '$(arm_field "$TMPD/off.jsonl")'"
[ "$(fault_sites "$TMPD/off.jsonl")" -eq 0 ] || fail "PTFREEZE_FAULTS=off: page-fault sites in the report"

# Refused with default settings: said in the report only, stderr untouched.
PTFREEZE_REPORT="$TMPD/no0.jsonl" "$PROGS/noperf" env LD_PRELOAD="$SHIM" "$prog" -n $pages > "$TMPD/out" 2> "$TMPD/err" ||
	{ cat "$TMPD/out" "$TMPD/err"; fail "touchstatic failed where perf_event_open is refused"; }
[ ! -s "$TMPD/err" ] || { cat "$TMPD/err"; fail "refused, PTFREEZE_FAULTS not set: the program's stderr changed"; }
[ "$(arm_field "$TMPD/no0.jsonl")" = refused ] || fail "refused (default): sampling is '$(arm_field "$TMPD/no0.jsonl")'"
# Refused where PTFREEZE_FAULTS=on was asked for: one line, counts only, the program runs.
PTFREEZE_FAULTS=on PTFREEZE_LOG=stderr PTFREEZE_REPORT="$TMPD/no.jsonl" "$PROGS/noperf" env LD_PRELOAD="$SHIM" "$prog" -n $pages > "$TMPD/out" 2> "$TMPD/err" ||
	{ cat "$TMPD/out" "$TMPD/err"; fail "touchstatic failed where perf_event_open is refused"; }
[ "$(grep -c 'perf_event_open refused' "$TMPD/err")" -eq 1 ] || { cat "$TMPD/err"; fail "refused: not exactly one line saying so"; }
[ "$(arm_field "$TMPD/no.jsonl")" = refused ] || fail "refused: sampling is '$(arm_field "$TMPD/no.jsonl")'"
[ "$(fault_sites "$TMPD/no.jsonl")" -eq 0 ] || fail "refused: page-fault sites in the report"
minor=$(grep '"type":"summary"' "$TMPD/no.jsonl" | sed -n 's/.*"faults_armed":{"minor":\([0-9]*\).*/\1/p')
[ "${minor:-0}" -ge $pages ] || fail "refused: the summary counts ${minor:-?} faults while armed, want at least $pages"
"$ptf" report "$TMPD/no.jsonl" | grep -q 'page faults not sampled: perf_event_open refused (EACCES' ||
	fail "refused: ptfreeze report does not say so"

# Many faults: counted, every one; sited; lost samples counted.
count=$top_srcdir/tests/pagefault_count.py
PTFREEZE_REPORT="$TMPD/h.jsonl" shim "$PROGS/faultheavy" -n 4000 > "$TMPD/out" || fail "faultheavy failed"
"$PY" "$count" heavy "$TMPD/h.jsonl" "$PROGS/faultheavy" 4000 0 || fail "faultheavy's page faults"
if [ "$(id -u)" = 0 ]; then
	PTFREEZE_REPORT="$TMPD/l.jsonl" shim "$PROGS/faultheavy" -n 8000 -F > "$TMPD/out"
	st=$?
	if [ $st -eq 77 ]; then
		note "faultheavy -F: cannot run SCHED_FIFO here, lost samples not tested"
	else
		[ $st -eq 0 ] || fail "faultheavy -F failed ($st)"
		"$PY" "$count" heavy "$TMPD/l.jsonl" "$PROGS/faultheavy" 8000 1 || fail "faultheavy -F: lost samples"
	fi
else
	note "not root: lost samples (faultheavy -F, SCHED_FIFO) not tested"
fi

# Copy-on-write after fork: the child's report names it.
rm -f "$TMPD"/c-*.jsonl
PTFREEZE_REPORT="$TMPD/c-%p.jsonl" shim "$PROGS/sighostile" fork -a > "$TMPD/out" || fail "sighostile fork failed"
child=$(grep -l '"type":"header".*"fork_child":true' "$TMPD"/c-*.jsonl | head -1)
[ -n "$child" ] || fail "no report of the fork child"
"$PY" "$count" cow "$child" "$PROGS/sighostile" || fail "the fork child's pool faults are not named copy-on-write"
exit 0
