#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fault: mlock refused.  As an unprivileged user (nobody through setpriv)
# with RLIMIT_MEMLOCK 64K (prlimit), PTFREEZE_MLOCK=1 and PTFREEZE_MLOCKALL=1:
#  - the program runs and prints what it prints without the shim;
#  - stderr has one line for each refusal (mlock of the pool, mlockall at
#    arming), and no more when the pool grows after arming;
#  - the report says so: pool "mlock": "refused", arm "mlockall": "refused",
#    and `ptfreeze report` prints both.
# With RLIMIT_MEMLOCK 6M (within the hard limit) a 4M start-up pool is
# locked and the growth after arming is not: "mlock": "partly".  As root the test becomes nobody
# (root's CAP_IPC_LOCK ignores the limit); otherwise it runs as itself.
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
. "${srcdir:-$(dirname "$0")/..}/fault/lib.sh"
command -v prlimit >/dev/null || skip "prlimit (util-linux) is not installed"
chmod 755 "$TMPD"
D=$TMPD/nobody
mkdir "$D" || hard "cannot make a directory"
AS_USER=
if [ "$(id -u)" = 0 ]; then
	# Root's CAP_IPC_LOCK ignores RLIMIT_MEMLOCK: become nobody.
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	chown nobody "$D" || hard "cannot give $D to nobody"
	AS_USER="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
	$AS_USER test -r "$SHIM" || skip "nobody cannot read $SHIM (build tree not world-readable)"
elif [ $(( 0x$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status) >> 14 & 1 )) -eq 1 ]; then
	skip "this user has CAP_IPC_LOCK: RLIMIT_MEMLOCK does not apply"
fi
su_run() { # MEMLOCK-BYTES PROGRAM ARGS...: unprivileged, with the shim and both locks asked for
	lim=$1; shift
	limit 60 prlimit --memlock="$lim:$lim" $AS_USER \
		env PTFREEZE_MLOCK=1 PTFREEZE_MLOCKALL=1 PTFREEZE_POOL=${POOL:-16M} PTFREEZE_POOL_GROW=16M LD_PRELOAD="$SHIM" "$@"
}
ref=$("$FAULT/sites" 3) || fail "sites failed without the shim"
r=$D/refused.jsonl
out=$(PTFREEZE_REPORT=$r su_run 65536 "$FAULT/sites" 3 2> "$TMPD/err") || fail "the program failed: $(cat "$TMPD/err")"
[ "$out" = "$ref" ] || fail "the program printed '$out', without the shim '$ref'"
n=$(wc -l < "$TMPD/err")
[ "$n" -eq 2 ] || { cat "$TMPD/err" >&2; fail "$n lines on stderr, want 2 (mlock, mlockall)"; }
grep -q '^ptfreeze\[[0-9]*\]: warning: PTFREEZE_MLOCK: mlock of [0-9]* bytes refused (ENOMEM, RLIMIT_MEMLOCK 65536 bytes); the pool is not locked$' "$TMPD/err" ||
	fail "no clear line for the refused mlock: $(cat "$TMPD/err")"
grep -q '^ptfreeze\[[0-9]*\]: warning: PTFREEZE_MLOCKALL: mlockall refused (ENOMEM: raise RLIMIT_MEMLOCK)' "$TMPD/err" ||
	fail "no clear line for the refused mlockall: $(cat "$TMPD/err")"
[ "$(json_get "$r" header 'r["pool"]["mlock"]')" = refused ] || fail "the report's pool does not say mlock was refused"
[ "$(json_get "$r" arm 'r["mlockall"]')" = refused ] || fail "the report's arm record does not say mlockall was refused"
"$PTFREEZE" report "$r" > "$TMPD/rep" 2>&1
grep -q 'PTFREEZE_MLOCK=1: mlock refused' "$TMPD/rep" || fail "ptfreeze report does not show the refused mlock"
grep -q 'mlockall refused' "$TMPD/rep" || fail "ptfreeze report does not show the refused mlockall"
note "64K: $(tr '\n' '|' < "$TMPD/err")"

# The pool grows after arming: still one line for mlock.
r=$D/grow.jsonl
ref=$("$FAULT/oom" malloc 48 2) || fail "oom failed without the shim"
out=$(PTFREEZE_REPORT=$r su_run 65536 "$FAULT/oom" malloc 48 2 2> "$TMPD/err") || fail "oom under the shim failed: $(cat "$TMPD/err")"
[ "$out" = "$ref" ] || fail "oom printed '$out', without the shim '$ref'"
n=$(grep -c 'PTFREEZE_MLOCK:' "$TMPD/err")
[ "$n" -eq 1 ] || fail "$n PTFREEZE_MLOCK lines with a growing pool, want 1"
[ "$(json_get "$r" summary 'len(r["pool"]["regions"])')" -gt 1 ] || fail "the pool did not grow"
[ "$(json_get "$r" summary 'r["pool"]["mlock"]')" = refused ] || fail "summary: mlock not refused"

# Enough for the start-up pool, not for the growth.
r=$D/partly.jsonl
# The growth's refusal comes after start-up: a line on stderr only when asked for (PTFREEZE_LOG=stderr).
out=$(POOL=4M PTFREEZE_LOG=stderr PTFREEZE_REPORT=$r su_run $((6 << 20)) "$FAULT/oom" malloc 48 2 2> "$TMPD/err") || fail "oom (6M limit) failed: $(cat "$TMPD/err")"
[ "$out" = "$ref" ] || fail "oom (6M limit) printed '$out'"
[ "$(json_get "$r" header 'r["pool"]["mlock"]')" = locked ] || fail "6M limit: the start-up pool is not locked"
[ "$(json_get "$r" summary 'r["pool"]["mlock"]')" = partly ] || fail "6M limit: the summary does not say partly"
[ "$(grep -c 'PTFREEZE_MLOCK:' "$TMPD/err")" -eq 1 ] || fail "6M limit: want one PTFREEZE_MLOCK line: $(cat "$TMPD/err")"
note "6M: start-up pool (4M) locked, growth refused: mlock partly"
note "faults injected: 3"
exit 0
