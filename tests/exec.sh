#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# exec and _exit, judged from the report files:
#  - an exec keeps the pid: the image before it writes its summary (why
#    "exec") and the new image writes NAME.execN.jsonl beside it instead of
#    truncating it;
#  - a fork child that leaves with _exit writes its summary;
#  - a vfork child that execs does not write (or suppress) the parent's summary.
. "${srcdir:-$(dirname "$0")}/lib.sh"
export PTFREEZE_LOG=off PTFREEZE_ARM=manual PTFREEZE_POOL=16M

mkdir "$TMPD/chain"
out=$(PTFREEZE_REPORT="$TMPD/chain/r-%p.jsonl" shim "$PROGS/execchain" exec 2) || fail "execchain exec failed"
[ "$out" = "exec chain done" ] || fail "execchain printed '$out'"
n=$(ls "$TMPD/chain" | wc -l)
[ "$n" -eq 3 ] || { ls -l "$TMPD/chain"; fail "$n report files for 3 images of one pid, want 3"; }
execs=$(cat "$TMPD/chain"/*.jsonl | grep -c '"type":"summary","why":"exec"')
exits=$(cat "$TMPD/chain"/*.jsonl | grep -c '"type":"summary","why":"exit"')
[ "$execs" -eq 2 ] && [ "$exits" -eq 1 ] || fail "summaries: $execs exec, $exits exit; want 2 and 1"
"$top_builddir/tools/ptfreeze" report "$TMPD/chain" > "$TMPD/chain.txt" 2>&1 ||
	{ cat "$TMPD/chain.txt"; fail "ptfreeze report cannot read the exec chain's reports"; }
grep -q "no summary" "$TMPD/chain.txt" && { cat "$TMPD/chain.txt"; fail "a report without summary"; }

mkdir "$TMPD/kids"
out=$(PTFREEZE_REPORT="$TMPD/kids/r-%p.jsonl" shim "$PROGS/execchain" children) || fail "execchain children failed"
[ "$out" = "children 7 0" ] || fail "execchain children printed '$out'"
parent=$(grep -l '"fork_child":false' "$TMPD/kids"/*.jsonl | xargs grep -l '"argv":\["[^"]*execchain","children"')
[ -n "$parent" ] || fail "no report of the parent"
grep -q '"type":"summary","why":"exit"' $parent || fail "the parent's summary is missing (taken by the vfork child?)"
grep -q '"type":"summary","why":"exec"' $parent && fail "the vfork child wrote an exec summary into the parent's report"
child=$(grep -l '"fork_child":true' "$TMPD/kids"/*.jsonl)
[ -n "$child" ] || fail "no report of the fork child"
grep -q '"type":"summary"' $child || fail "the fork child left with _exit and wrote no summary"
exit 0
