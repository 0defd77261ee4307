#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# exec and _exit, judged from the report files:
#  - an exec keeps the pid: the image before it writes its summary (why
#    "exec") and the new image, when the template gives it the same name
#    (no %e, or the same program), writes NAME.execN.jsonl beside it instead
#    of truncating it;
#  - images that neither arm nor record leave no file; the one that arms
#    is named after itself (%e), not after the first image of its pid;
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
if have_command; then
	"$top_builddir/tools/ptfreeze" report "$TMPD/chain" > "$TMPD/chain.txt" 2>&1 ||
		{ cat "$TMPD/chain.txt"; fail "ptfreeze report cannot read the exec chain's reports"; }
	grep -q "no summary" "$TMPD/chain.txt" && { cat "$TMPD/chain.txt"; fail "a report without summary"; }
fi

# Unarmed images leave nothing.
mkdir "$TMPD/quiet"
out=$(EXECCHAIN_ARM=0 PTFREEZE_REPORT="$TMPD/quiet/r-%p.jsonl" shim "$PROGS/execchain" exec 2) || fail "unarmed execchain failed"
[ "$out" = "exec chain done" ] || fail "unarmed execchain printed '$out'"
n=$(ls "$TMPD/quiet" | wc -l)
[ "$n" -eq 0 ] || { ls -l "$TMPD/quiet"; fail "$n report files from images that never armed, want 0"; }

# A shell that execs the program: one file, named after the program.
mkdir "$TMPD/named"
out=$(PTFREEZE_REPORT="$TMPD/named/%e-%p.jsonl" shim /bin/sh -c "/bin/true; exec '$PROGS/execchain' exec 0") ||
	fail "sh exec execchain failed"
[ "$out" = "exec chain done" ] || fail "sh exec execchain printed '$out'"
files=$(cd "$TMPD/named" && ls)
case $files in
execchain-[0-9]*.jsonl) ;;
*) fail "report files '$files', want exactly one execchain-PID.jsonl" ;;
esac

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
