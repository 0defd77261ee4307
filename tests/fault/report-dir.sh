#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fault: the report cannot be written.
#  - directory unwritable (as nobody when root, since root ignores
#    permissions; chmod 555 otherwise) or missing: exactly one line on
#    stderr naming the path and the reason; the program's output is intact.
#  - RLIMIT_FSIZE 40000 (prlimit), 300 sites: the program is not killed
#    by SIGXFSZ; the file stops short of the limit, in whole lines.
#  - file system full from the start of the run (a 64K tmpfs, 300 sites):
#    the file holds whole lines only (the record cut by the full disk is
#    taken out again), sites 0..K-1 and nothing after; two lines on stderr,
#    the second giving the count, which is 300 - K sites plus the summary.
#  - full mid-run, then space again: the test fills the tmpfs when the
#    program pauses after site 39 and frees it after site 79.  Records are
#    dropped from the first refusal on (the shim does not retry each one;
#    the first few after the fill still fit in the file's last page), the
#    summary is tried again at exit and gives the count (written + dropped
#    = 120), and `ptfreeze report` reads the file and says so.
# The tmpfs needs root (mount); it is unmounted on exit.
. "${srcdir:-$(dirname "$0")/..}/lib.sh"
. "${srcdir:-$(dirname "$0")/..}/fault/lib.sh"
faults=0
one_line() { # WHAT PATTERN: stderr ($TMPD/err) is exactly one line matching PATTERN
	n=$(wc -l < "$TMPD/err")
	[ "$n" -eq 1 ] || { cat "$TMPD/err" >&2; fail "$1: $n lines on stderr, want one"; }
	grep -qE "$2" "$TMPD/err" || fail "$1: the line does not say why: $(cat "$TMPD/err")"
}
ref=$("$FAULT/sites" 5) || fail "sites failed without the shim"

# Unwritable.
chmod 755 "$TMPD"
U=$TMPD/unwritable
mkdir "$U" && chmod 555 "$U"
shim=$SHIM sites=$FAULT/sites
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	as_user() { limit 60 setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
	# A private build tree (a clone in a mktemp -d) is closed to nobody: run copies from $TMPD.
	cp "$SHIM" "$TMPD/libptfreeze.so" && cp "$FAULT/sites" "$TMPD/sites" || hard "cannot copy the shim and sites to $TMPD"
	chmod 755 "$TMPD/libptfreeze.so" "$TMPD/sites"
	shim=$TMPD/libptfreeze.so sites=$TMPD/sites
else
	as_user() { limit 60 "$@"; }
fi
out=$(PTFREEZE_REPORT=$U/r-%p.jsonl as_user env LD_PRELOAD="$shim" "$sites" 5 2> "$TMPD/err") ||
	fail "unwritable: the program failed: $(cat "$TMPD/err")"
[ "$out" = "$ref" ] || fail "unwritable: the program printed '$out'"
one_line unwritable "^ptfreeze\\[[0-9]+\\]: error: PTFREEZE_REPORT: cannot create '$U/r-[0-9]+\\.jsonl' \\(Permission denied\\); no report is written, the program carries on\$"
[ -z "$(ls "$U")" ] || fail "unwritable: a file appeared: $(ls "$U")"
note "unwritable: $(cat "$TMPD/err")"
out=$(PTFREEZE_REPORT=$TMPD/missing/r.jsonl limit 60 env LD_PRELOAD="$SHIM" "$FAULT/sites" 5 2> "$TMPD/err") ||
	fail "missing directory: the program failed"
[ "$out" = "$ref" ] || fail "missing directory: the program printed '$out'"
one_line "missing directory" "cannot create '$TMPD/missing/r.jsonl' \\(No such file or directory\\)"
faults=$((faults + 2))

# RLIMIT_FSIZE: the kernel answers a write past it with SIGXFSZ, which
# kills the program; the shim stops short of it.
if command -v prlimit >/dev/null; then
	ref=$("$FAULT/sites" 300) || fail "sites 300 failed without the shim"
	st=0
	out=$(PTFREEZE_REPORT=$TMPD/fsize.jsonl limit 60 prlimit --fsize=40000 env LD_PRELOAD="$SHIM" "$FAULT/sites" 300 2> "$TMPD/err") || st=$?
	[ $st -eq 0 ] || fail "RLIMIT_FSIZE: status $st (153 is SIGXFSZ: the report write killed the program)"
	[ "$out" = "$ref" ] || fail "RLIMIT_FSIZE: the program's output differs"
	grep -q "cannot write (EFBIG: RLIMIT_FSIZE); later records are dropped and counted" "$TMPD/err" ||
		fail "RLIMIT_FSIZE: no clear line: $(cat "$TMPD/err")"
	size=$(wc -c < "$TMPD/fsize.jsonl")
	[ "$size" -le 40000 ] || fail "RLIMIT_FSIZE: the file has $size bytes"
	check_sites "$TMPD/fsize.jsonl" /dev/null > /dev/null || fail "RLIMIT_FSIZE: the file is not whole lines"
	note "RLIMIT_FSIZE 40000: $size bytes written, $(tail -n 1 "$TMPD/err")"
	faults=$((faults + 1))
fi

# Full.
if [ "$(id -u)" != 0 ]; then
	note "full: skipped, mounting a tmpfs needs root"
	note "faults injected: $faults"
	exit 0
fi
M=$TMPD/tiny
mkdir "$M"
mount -t tmpfs -o size=64k,mode=0755 ptfreeze-test "$M" 2>/dev/null || { note "full: skipped, cannot mount a tmpfs here"; exit 0; }
trap 'umount "$M" 2>/dev/null; rm -rf "$TMPD"' EXIT

# Full from the start: 300 sites cannot fit in 64K.
ref=$("$FAULT/sites" 300) || fail "sites 300 failed without the shim"
out=$(PTFREEZE_REPORT=$M/r.jsonl limit 60 env LD_PRELOAD="$SHIM" "$FAULT/sites" 300 2> "$TMPD/err") ||
	fail "full: the program failed: $(cat "$TMPD/err")"
[ "$out" = "$ref" ] || fail "full: the program's output differs from its output without the shim"
[ "$(wc -l < "$TMPD/err")" -eq 2 ] || { cat "$TMPD/err" >&2; fail "full: want two lines on stderr"; }
grep -qE "^ptfreeze\\[[0-9]+\\]: error: report '$M/r.jsonl': cannot write \\(ENOSPC\\); later records are dropped and counted, the program carries on\$" "$TMPD/err" ||
	fail "full: no clear line: $(cat "$TMPD/err")"
dropped=$(sed -n 's/.*: \([0-9]*\) records dropped (ENOSPC), the summary among them$/\1/p' "$TMPD/err")
[ -n "$dropped" ] || fail "full: no count of dropped records: $(cat "$TMPD/err")"
"$PY" - "$M/r.jsonl" "$dropped" <<'PYEOF' || fail "full: the report is not whole lines of sites 0..K-1 plus K + dropped = 302"
import json, sys
data = open(sys.argv[1]).read()
assert data.endswith("\n"), "the file ends in a cut record"
recs = [json.loads(l) for l in data.split("\n")[:-1]]
lens = [r["args"]["len"] for r in recs if r["type"] == "site"]
k = len(lens)
assert lens == [(i + 1) * 4096 for i in range(k)], "the sites in the file are not 0..K-1"
assert not any(r["type"] == "summary" for r in recs)
# The exit records: the address-space diff since arming, then the summary.
assert k + int(sys.argv[2]) == 302, "%d sites written + %s dropped != 300 sites + smaps-diff + summary" % (k, sys.argv[2])
print("# full: %d sites written, %s records dropped, %d bytes" % (k, sys.argv[2], len(data)))
PYEOF
"$PTFREEZE" report "$M/r.jsonl" > "$TMPD/rep" 2>&1
[ $? -eq 1 ] || fail "full: ptfreeze report cannot read the file: $(head -n 3 "$TMPD/rep")"
faults=$((faults + 1))
rm -f "$M/r.jsonl"

# Full mid-run, then space again.
mkfifo "$TMPD/ctl"
exec 3<> "$TMPD/ctl"
PTFREEZE_REPORT=$M/mid.jsonl limit 60 env LD_PRELOAD="$SHIM" "$FAULT/sites" 120 --pause-after 39 --pause-after 79 \
	< "$TMPD/ctl" > "$TMPD/mid.out" 2> "$TMPD/err" &
pid=$!
wait_for() {
	i=0
	while ! grep -q "^$1\$" "$TMPD/mid.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { kill -9 $pid; fail "mid-run: the program never printed '$1'"; }
		sleep 0.05
	done
}
wait_for "paused 39"
dd if=/dev/zero of="$M/filler" bs=4k 2>/dev/null
echo go >&3
wait_for "paused 79"
rm -f "$M/filler"
echo go >&3
wait $pid || fail "mid-run: the program failed: $(cat "$TMPD/err")"
exec 3>&-
[ "$(grep -c '^site ' "$TMPD/mid.out")" -eq 120 ] && grep -q '^done$' "$TMPD/mid.out" || fail "mid-run: the program's output is not intact"
[ "$(wc -l < "$TMPD/err")" -eq 2 ] || { cat "$TMPD/err" >&2; fail "mid-run: want two lines on stderr"; }
dropped=$(sed -n 's/.*: \([0-9]*\) records dropped (ENOSPC); the summary at exit says how many$/\1/p' "$TMPD/err")
[ -n "$dropped" ] || fail "mid-run: the exit line does not count the dropped records: $(cat "$TMPD/err")"
[ "$(json_get "$M/mid.jsonl" summary 'r["dropped_records"]')" -eq "$dropped" ] || fail "mid-run: the summary's dropped_records is not $dropped"
check_sites "$M/mid.jsonl" /dev/null > /dev/null || fail "mid-run: the file is not whole lines, or sites repeat"
"$PY" - "$M/mid.jsonl" "$dropped" <<'PYEOF' || fail "mid-run: want sites 0..K-1 in the file, 40 <= K < 80, K + dropped = 121"
import json, sys
lens = [r["args"]["len"] for r in map(json.loads, open(sys.argv[1])) if r["type"] == "site"]
k = len(lens)
# 120 sites, and the address-space diff written at exit before the summary.
assert lens == [(i + 1) * 4096 for i in range(k)] and 40 <= k < 80 and k + int(sys.argv[2]) == 121, (k, sys.argv[2])
print("# mid-run: %d sites written (%d still fitted after the fill), %s dropped" % (k, k - 40, sys.argv[2]))
PYEOF
"$PTFREEZE" report "$M/mid.jsonl" > "$TMPD/rep" 2>&1
[ $? -eq 1 ] || fail "mid-run: ptfreeze report: $(head -n 3 "$TMPD/rep")"
grep -q "$dropped records the report file could not hold were dropped" "$TMPD/rep" || fail "mid-run: ptfreeze report does not show the drop"
note "mid-run: stderr: $(tail -n 1 "$TMPD/err")"
faults=$((faults + 1))
note "faults injected: $faults"
exit 0
