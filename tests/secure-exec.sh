#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A set-user-ID program ignores the PTFREEZE_* variables of whoever runs it
# and writes no report.  tests/progs/secure is linked to the shim (the
# loader drops LD_PRELOAD for set-user-ID programs, not a library they
# need).  Run by an unprivileged user with PTFREEZE_REPORT naming a file and
# PTFREEZE_MODE=strict:
#  - not set-user-ID (the control, so the test can fail): secure=0, the
#    report is at that path, and strict mode refuses the munmap;
#  - set-user-ID root: secure=1, no file at that path, none in its current
#    directory, and the munmap goes ahead (the variables were not read).
# Needs root (to make the copy and to switch user) and a filesystem that
# honours the set-user-ID bit; otherwise exits 77.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_root "making a set-user-ID root copy and running it as another user"
command -v setpriv > /dev/null 2>&1 || skip "setpriv (util-linux) is not installed"
id nobody > /dev/null 2>&1 || skip "no user 'nobody'"
opts=$(findmnt -n -o OPTIONS -T "$TMPD" 2> /dev/null || true)
case ",$opts," in *,nosuid,*) skip "$TMPD is on a nosuid filesystem" ;; esac
as_nobody() { setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups "$@"; }
as_nobody test -r "$SHIM" || skip "user nobody cannot read $SHIM (the build tree is private)"

chmod 755 "$TMPD"
mkdir "$TMPD/cwd" && chown nobody "$TMPD/cwd" || hard "cannot make a directory for nobody"
cp "$PROGS/secure" "$TMPD/plain" && cp "$PROGS/secure" "$TMPD/suid" || hard "cannot copy the program"
chmod 755 "$TMPD/plain"
chmod 4755 "$TMPD/suid"
run() { # PROGRAM REPORT-NAME
	(cd "$TMPD/cwd" && as_nobody env PTFREEZE_REPORT="$TMPD/cwd/$2" PTFREEZE_MODE=strict PTFREEZE_ARM=manual \
		PTFREEZE_POOL=16M PTFREEZE_LOG=off "$1") 2> "$TMPD/err"
}

out=$(run "$TMPD/plain" control.jsonl) || { cat "$TMPD/err" >&2; fail "the control run failed"; }
[ "$out" = "secure=0 armed=1 munmap=refused" ] || fail "control: '$out', want 'secure=0 armed=1 munmap=refused'"
[ -f "$TMPD/cwd/control.jsonl" ] || fail "control: no report at PTFREEZE_REPORT (the test cannot see a difference)"
[ "$(stat -c %U "$TMPD/cwd/control.jsonl")" = nobody ] || fail "control: the report is not nobody's"

out=$(run "$TMPD/suid" evil.jsonl) || { cat "$TMPD/err" >&2; fail "the set-user-ID run failed"; }
[ "$out" = "secure=1 armed=1 munmap=ok" ] ||
	fail "set-user-ID: '$out', want 'secure=1 armed=1 munmap=ok' (secure execution, shim loaded, strict ignored)"
[ -e "$TMPD/cwd/evil.jsonl" ] && fail "a set-user-ID program wrote the report PTFREEZE_REPORT named"
ls "$TMPD"/cwd/ptfreeze-*.jsonl > /dev/null 2>&1 && fail "a set-user-ID program wrote a report in its caller's directory"
note "set-user-ID root program run by nobody: PTFREEZE_REPORT and PTFREEZE_MODE ignored, no report written"
exit 0
