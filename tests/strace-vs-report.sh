#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# strace-vs-report.sh: runs one command under strace -f with the shim in
# report mode and the seccomp backstop on, then checks that the page-table
# system calls the kernel ran after arming are exactly what the reports say
# (tests/strace_vs_report.py has the rules).  Reusable by any test:
#
#   sh tests/strace-vs-report.sh [-d DIR] [-m MODE] [--] COMMAND [ARG...]
#
#   -d DIR   keep strace.txt, the reports (r-PID.jsonl) and the command's
#            stdout (out.txt) and stderr (err.txt) in DIR (default: a temp
#            dir removed on exit)
#   -m MODE  PTFREEZE_MODE (default report; would-block also works; strict
#            refuses calls, which strace then never sees: also compared)
#   Arming is the caller's: set PTFREEZE_ARM (or let the program call
#   ptfreeze_arm()); other PTFREEZE_* variables pass through.  The shim is
#   $PTFREEZE_LIBRARY or the build tree's .libs/libptfreeze.so.
#
# Exit status: 0 the sets (and, where one report kind stands for one
# syscall, the counts and addresses) agree; 1 they differ or the command
# failed (the lines starting FAIL say how); 77 strace or python3 missing;
# 99 no shim.  The command's exit status must be 0 unless
# STRACE_VS_REPORT_ANY_STATUS=1.
here=$(cd "$(dirname "$0")" && pwd)
# lib.sh resets PTFREEZE_*: the caller's settings (arming above all) are kept.
saved=$(env | grep '^PTFREEZE_' || true)
. "$here/lib.sh"
if [ -n "$saved" ]; then
	while IFS= read -r kv; do export "$kv"; done <<EOF_SAVED
$saved
EOF_SAVED
fi
need_strace
need_python
dir= mode=report
while [ $# -gt 0 ]; do
	case $1 in
	-d) dir=$2; shift 2 ;;
	-m) mode=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "strace-vs-report.sh: unknown option $1" >&2; exit 99 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: strace-vs-report.sh [-d DIR] [-m MODE] [--] COMMAND [ARG...]" >&2; exit 99; }
[ -n "$dir" ] || dir=$TMPD/svr
mkdir -p "$dir" || hard "cannot make $dir"
rm -f "$dir"/r-*.jsonl
trace=mmap,munmap,mprotect,pkey_mprotect,mremap,madvise,brk,shmat,shmdt,clone,clone3,fork,vfork,execve,seccomp
st=0
PTFREEZE_SECCOMP=on PTFREEZE_MODE=$mode PTFREEZE_REPORT="$dir/r-%p.jsonl" \
	strace -f -qq -s 64 -e trace=$trace -o "$dir/strace.txt" env LD_PRELOAD="$SHIM" "$@" \
	> "$dir/out.txt" 2> "$dir/err.txt" || st=$?
if [ $st -ne 0 ] && [ "${STRACE_VS_REPORT_ANY_STATUS:-0}" != 1 ]; then
	cat "$dir/err.txt" >&2
	fail "the command exited with status $st under strace and the backstop"
fi
ls "$dir"/r-*.jsonl > /dev/null 2>&1 || fail "the command wrote no report"
"$PY" "$here/strace_vs_report.py" "$dir/strace.txt" "$dir"/r-*.jsonl
