#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fault: the pool is too small for what the program takes after arming.
#  - report mode: the pool grows, the growth is recorded (a pool-exhausted
#    site, a pool-grow record with armed true) and the program's output is
#    byte for byte what it prints without the shim;
#  - strict mode: malloc returns NULL and mmap MAP_FAILED, both with errno
#    ENOMEM, and the program's own error path runs (its own message, its
#    own exit status); the report has the refusal as a blocked site;
#  - PTFREEZE_POOL_GROW=0 in report mode: the user said never grow, so the
#    same ENOMEM, with one line on stderr;
#  - python3 (a real program): a 96M bytearray after arming is made in
#    report mode, and raises MemoryError, which the script catches, in strict.
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
. "${srcdir:-$(dirname "$0")/..}/fault/lib.sh"
export PTFREEZE_POOL=16M PTFREEZE_POOL_GROW=16M
faults=0

for way in malloc mmap; do
	want_status=3; [ $way = mmap ] && want_status=4
	ref=$(limit 60 "$FAULT/oom" $way 64 2) || fail "$way: oom failed without the shim"

	r=$TMPD/report-$way.jsonl
	out=$(PTFREEZE_MODE=report PTFREEZE_REPORT=$r limit 60 env LD_PRELOAD="$SHIM" "$FAULT/oom" $way 64 2) ||
		fail "$way, report mode: status $?, want 0 (the pool should grow)"
	[ "$out" = "$ref" ] || fail "$way, report mode: printed '$out', without the shim '$ref'"
	grep '"type":"site"' "$r" | grep '"kind":"pool-exhausted"' | grep -q '"action":"allowed"' ||
		fail "$way, report mode: no pool-exhausted site"
	grep -q '"type":"pool-grow","armed":true,"who":"[a-z]*","need":[0-9]*,"result":0' "$r" ||
		fail "$way, report mode: no successful pool-grow record after arming"
	size=$(json_get "$r" summary 'r["pool"]["size"]')
	[ "$size" -gt $((16 << 20)) ] || fail "$way, report mode: pool size at exit $size, want more than 16M"
	note "$way, report mode: '$out', pool grew to $((size >> 20))M"
	faults=$((faults + 1))

	r=$TMPD/strict-$way.jsonl
	st=0
	out=$(PTFREEZE_MODE=strict PTFREEZE_REPORT=$r limit 60 env LD_PRELOAD="$SHIM" "$FAULT/oom" $way 64 2) || st=$?
	[ $st -eq $want_status ] || fail "$way, strict mode: status $st, want the program's own $want_status"
	echo "$out" | grep -qE "^oom: out of memory after [0-9]+ MB \\($way: ENOMEM\\)\$" ||
		fail "$way, strict mode: printed '$out', want the program's own ENOMEM line"
	grep '"type":"site"' "$r" | grep '"kind":"pool-exhausted"' | grep -q '"action":"blocked"' ||
		fail "$way, strict mode: the refusal is not a blocked site"
	grep -q '"type":"pool-grow","armed":true' "$r" && fail "$way, strict mode: the pool grew after arming"
	note "$way, strict mode: status $st, '$out'"
	faults=$((faults + 1))
done

# Report mode told never to grow (the refusal is a line on stderr when asked for).
st=0
out=$(PTFREEZE_LOG=stderr PTFREEZE_POOL_GROW=0 PTFREEZE_REPORT=$TMPD/nogrow.jsonl limit 60 env LD_PRELOAD="$SHIM" "$FAULT/oom" malloc 64 2 2> "$TMPD/err") || st=$?
[ $st -eq 3 ] || fail "PTFREEZE_POOL_GROW=0: status $st, want 3"
n=$(grep -c 'pool exhausted and cannot grow' "$TMPD/err")
[ "$n" -ge 1 ] || fail "PTFREEZE_POOL_GROW=0: no line on stderr: $(cat "$TMPD/err")"
note "PTFREEZE_POOL_GROW=0: '$out', stderr: $(head -n 1 "$TMPD/err")"
faults=$((faults + 1))

# A real program's own error path: python3's MemoryError.
PYS=$TMPD/big.py
cat > "$PYS" <<'PYEOF'
import sys, time
time.sleep(0.5)  # armed by PTFREEZE_ARM=delay:300ms
try:
    b = bytearray(96 << 20)
except MemoryError:
    print("MemoryError")
    sys.exit(7)
b[-1] = 1
print("allocated", len(b), sum(b[-4096:]))
PYEOF
ref=$(limit 60 "$PY" "$PYS") || fail "python3 without the shim"
out=$(PTFREEZE_ARM=delay:300ms PTFREEZE_POOL=32M PTFREEZE_REPORT=$TMPD/py.jsonl limit 60 env LD_PRELOAD="$SHIM" "$PY" "$PYS") ||
	fail "python3, report mode: status $?"
[ "$out" = "$ref" ] || fail "python3, report mode: '$out', want '$ref'"
rout=$out
grep '"type":"site"' "$TMPD/py.jsonl" | grep -q '"kind":"pool-exhausted"' || fail "python3, report mode: no pool-exhausted site"
st=0
out=$(PTFREEZE_ARM=delay:300ms PTFREEZE_POOL=32M PTFREEZE_MODE=strict PTFREEZE_REPORT=$TMPD/pys.jsonl limit 60 env LD_PRELOAD="$SHIM" "$PY" "$PYS") || st=$?
[ $st -eq 7 ] && [ "$out" = MemoryError ] || fail "python3, strict mode: status $st, '$out'; want 7, MemoryError"
note "python3: report mode '$rout' after growing; strict mode MemoryError, status 7"
faults=$((faults + 2))
note "faults injected: $faults"
exit 0
