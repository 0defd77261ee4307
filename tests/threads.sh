#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Thread stacks from the cache, judged from outside: after arming, creating
# and joining (or detaching) 1,000 threads, one or several at a time, or on
# the caller's own stacks, makes zero page-table syscalls (strace), records
# no violation (the report) and takes no fault (the program's getrusage);
# the threads' stacks lie inside the ranges the shim named ptfreeze-stacks
# (strace's prctl, /proc/self/maps where the kernel keeps names).  With
# PTFREEZE_THREAD_STACKS=0 the same program reports every creation.  The
# cache grows before arming; after arming an empty cache maps a slot and
# records it (report), or refuses with EAGAIN (strict).  A stack size
# larger than a slot goes to glibc and is recorded.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_strace
need_python
prog=$PROGS/threadchurn
# Page faults after the churn (the program printing its results) are not this test's:
# the churn phase's own faults are judged by getrusage.
export PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_FAULTS=off

field() { sed -n "s/^threadchurn: .*$1=\([^ ]*\).*/\1/p" "$2"; }

# Reads a report: "sites N", "kind K count C detail D errno E would W" per site,
# and the summary's thread_stacks fields as "ts KEY VALUE".
report() {
	"$PY" - "$1" <<'EOF'
import json, sys
sites, counts, summary = [], {}, None
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("type") == "site":
        sites.append(r)
    elif r.get("type") == "summary":
        summary = r
        counts = {s["id"]: s["count"] for s in r.get("sites", [])}
print("sites", len(sites))
for s in sites:
    print("kind", s["kind"], "count", counts.get(s["id"], 0), "errno", s.get("errno"),
          "would", s.get("would_errno", "-"), "detail", (s.get("detail") or "-").replace(" ", "_"))
if summary:
    for k, v in summary.get("thread_stacks", {}).items():
        print("ts", k, v)
    print("events_pthread_create", summary.get("events_by_kind", {}).get("pthread_create", 0))
EOF
}

# The addresses (hex) lie inside ranges the shim named ptfreeze-stacks in an strace log.
in_stack_ranges() {
	st=$1; shift
	"$PY" - "$st" "$@" <<'EOF'
import re, sys
ranges = []
for line in open(sys.argv[1]):
    m = re.search(r'prctl\((?:PR_SET_VMA|0x53564d41), (?:PR_SET_VMA_ANON_NAME|0), (0x[0-9a-f]+), (\d+|0x[0-9a-f]+), "ptfreeze-stacks"', line)
    if m:
        ranges.append((int(m.group(1), 16), int(m.group(1), 16) + int(m.group(2), 0)))
bad = [a for a in sys.argv[2:] if not any(lo <= int(a, 16) < hi for lo, hi in ranges)]
if not ranges or bad:
    print("not in any of %d ptfreeze-stacks ranges: %s" % (len(ranges), " ".join(bad)))
    sys.exit(1)
EOF
}

# The yardstick: without the shim the same churn faults, or zero would prove nothing.
"$prog" -a -n 200 > "$TMPD/glibc.out" || fail "threadchurn failed without the shim"
g=$(field minor "$TMPD/glibc.out")
[ "${g:-0}" -gt 100 ] || fail "glibc thread churn took only ${g:-?} minor faults: the measure is broken"
note "glibc: $g minor faults for 200 threads"

i=0
for variant in "" "-c 8" "-d" "-d -c 4" "-s -c 4"; do
	i=$((i + 1))
	d=$TMPD/v$i; mkdir -p "$d"
	# shellcheck disable=SC2086
	PTFREEZE_REPORT="$d/r-%p.jsonl" strace -f -o "$d/st.txt" env LD_PRELOAD="$SHIM" "$prog" -a -n 1000 $variant \
		> "$d/out" || fail "threadchurn $variant failed under the shim"
	cat "$d/out"
	grep -q CHURN-END "$d/st.txt" || fail "no marker in the strace log ($variant)"
	n=$(pt_syscalls_between_markers "$d/st.txt")
	[ "$n" -eq 0 ] || { awk '/CHURN-BEGIN/{on=1;next} /CHURN-END/{on=0} on' "$d/st.txt" |
		grep -E 'mmap|munmap|madvise|mprotect|mremap|brk' | head >&2; fail "threadchurn $variant: $n page-table syscalls"; }
	[ "$(field threads "$d/out")" -eq 1000 ] || fail "threadchurn $variant: not every thread ran"
	[ "$(field minor "$d/out")" -eq 0 ] || fail "threadchurn $variant: $(field minor "$d/out") minor faults"
	[ "$(field major "$d/out")" -eq 0 ] || fail "threadchurn $variant: $(field major "$d/out") major faults"
	report "$d"/r-*.jsonl > "$d/rep"
	grep -q '^sites 0$' "$d/rep" || { cat "$d/rep" >&2; fail "threadchurn $variant: violations recorded"; }
	where=$(field stack "$d/out")
	case "$variant" in
	*-s*) [ "$where" = own ] || fail "threads with their own stacks ran elsewhere ($where)" ;;
	*)
		case "$where" in cache | unnamed) ;; *) fail "threadchurn $variant: stacks are $where" ;; esac
		at=$(field at "$d/out" | tr ',' ' ')
		# shellcheck disable=SC2086
		in_stack_ranges "$d/st.txt" $at || fail "threadchurn $variant: threads did not run on the cache"
		if grep -q '"ptfreeze-stacks") = 0' "$d/st.txt" && [ "$where" != cache ]; then
			fail "the kernel named the stacks but /proc/self/maps does not show the threads on them"
		fi
		;;
	esac
done

# Off: every creation after arming is a pthread_create violation (one site, counted per call),
# and strace sees glibc's stack work.
d=$TMPD/off; mkdir -p "$d"
PTFREEZE_THREAD_STACKS=0 PTFREEZE_REPORT="$d/r-%p.jsonl" strace -f -o "$d/st.txt" env LD_PRELOAD="$SHIM" "$prog" -a -n 1000 \
	> "$d/out" || fail "threadchurn failed with the cache off"
report "$d"/r-*.jsonl > "$d/rep"
cat "$d/rep"
grep -q '^kind pthread_create count 1000 ' "$d/rep" || fail "cache off: no pthread_create site counting the 1000 creations"
grep -q '^events_pthread_create 1000$' "$d/rep" || fail "cache off: pthread_create events are not 1000"
grep -q '^ts enabled False$' "$d/rep" || fail "cache off: the summary does not say so"
n=$(pt_syscalls_between_markers "$d/st.txt")
[ "$n" -gt 0 ] || fail "cache off: strace saw no page-table syscalls: the measure is broken"
note "cache off: $n page-table syscalls for 1000 threads"

# Growth before arming: one slot to start with, eight threads at once in the warm-up.
d=$TMPD/grow; mkdir -p "$d"
PTFREEZE_THREAD_STACKS=1 PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$prog" -a -n 400 -c 8 > "$d/out" || fail "threadchurn failed (growth)"
report "$d"/r-*.jsonl > "$d/rep"
grep -q '^sites 0$' "$d/rep" || { cat "$d/rep" >&2; fail "growth before arming: violations after arming"; }
slots=$(sed -n 's/^ts slots //p' "$d/rep")
[ "${slots:-0}" -ge 8 ] || fail "growth before arming: only ${slots:-?} slots"
grep -q '"thread_stacks":{"enabled":true,"slots":1,' "$d"/r-*.jsonl || fail "the header does not describe the cache as configured"

# Empty after arming: report maps a slot per missing stack and records it, strict refuses with EAGAIN.
d=$TMPD/empty; mkdir -p "$d"
PTFREEZE_THREAD_STACKS=1 PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$prog" -a -n 40 -c 4 -w > "$d/out" || fail "threadchurn failed (empty, report)"
report "$d"/r-*.jsonl > "$d/rep"
grep -q '^kind pthread_create .*detail thread_stack_cache_empty:_a_new_stack_slot_was_mapped' "$d/rep" ||
	{ cat "$d/rep" >&2; fail "empty cache after arming: no record of the new slot"; }
grep -q '^ts grown_armed 3$' "$d/rep" || { cat "$d/rep" >&2; fail "empty cache after arming: expected 3 slots mapped"; }
[ "$(field threads "$d/out")" -eq 40 ] || fail "empty cache, report mode: not every thread ran"
PTFREEZE_THREAD_STACKS=1 PTFREEZE_MODE=strict PTFREEZE_REPORT="$d/s-%p.jsonl" shim "$prog" -a -n 40 -c 4 -w > "$d/out" ||
	fail "threadchurn failed (empty, strict)"
cat "$d/out"
[ "$(field eagain "$d/out")" -gt 0 ] || fail "strict mode: no pthread_create refused with EAGAIN on an empty cache"
report "$d"/s-*.jsonl > "$d/rep"
grep -q '^kind pthread_create .* errno 11 ' "$d/rep" || { cat "$d/rep" >&2; fail "strict mode: the refusal is not recorded with EAGAIN"; }
PTFREEZE_THREAD_STACKS=1 PTFREEZE_MODE=would-block PTFREEZE_REPORT="$d/w-%p.jsonl" shim "$prog" -a -n 40 -c 4 -w > "$d/out" ||
	fail "threadchurn failed (empty, would-block)"
report "$d"/w-*.jsonl > "$d/rep"
grep -q '^kind pthread_create .* would 11 ' "$d/rep" || { cat "$d/rep" >&2; fail "would-block: would_errno is not EAGAIN"; }

# Fork: the child's slots of threads it does not have are free again (eight at
# once fit in the eight slots although four parent threads held four at fork),
# and neither process's churn maps anything.
d=$TMPD/fork; mkdir -p "$d"
PTFREEZE_THREAD_STACKS=8 PTFREEZE_REPORT="$d/r-%p.jsonl" strace -f -o "$d/st.txt" env LD_PRELOAD="$SHIM" "$prog" -a -f -c 8 -n 200 \
	> "$d/out" || fail "threadchurn failed (fork)"
cat "$d/out"
[ "$(grep -c 'threads=200 ' "$d/out")" -eq 2 ] || fail "fork: parent and child did not both run 200 threads"
n=$(pt_syscalls_between_markers "$d/st.txt")
[ "$n" -eq 0 ] || fail "fork: $n page-table syscalls in the churn phases"
child=$(grep -l '"fork_child":true' "$d"/r-*.jsonl) || fail "fork: no report from the child"
report "$child" > "$d/rep"
grep -q '^sites 0$' "$d/rep" || { cat "$d/rep" >&2; fail "fork: the child recorded violations (slots not freed at fork?)"; }
parent=$(grep -l '"fork_child":false' "$d"/r-*.jsonl)
report "$parent" > "$d/rep"
grep '^kind ' "$d/rep" | grep -v '^kind fork ' && fail "fork: the parent recorded more than its fork"

# A stack larger than a slot: glibc's, recorded.
d=$TMPD/big; mkdir -p "$d"
PTFREEZE_REPORT="$d/r-%p.jsonl" shim "$prog" -a -n 20 -b > "$d/out" || fail "threadchurn failed (big stack)"
[ "$(field threads "$d/out")" -eq 20 ] || fail "big stacks: not every thread ran"
report "$d"/r-*.jsonl > "$d/rep"
grep -q '^kind pthread_create count 20 .*larger_than' "$d/rep" || { cat "$d/rep" >&2; fail "big stacks: not recorded as glibc's"; }
exit 0
