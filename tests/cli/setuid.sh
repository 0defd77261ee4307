#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze run refuses set-user-ID and set-group-ID programs (the loader
# ignores LD_PRELOAD for them): one line, status 2, and the program does not
# run.  Needs root (to make a set-user-ID copy) and a filesystem that honours
# the bit.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to make a set-user-ID copy"
opts=$(findmnt -n -o OPTIONS -T "$TMPD" 2> /dev/null || true)
case ",$opts," in *,nosuid,*) skip "$TMPD is on a nosuid filesystem" ;; esac

cp "$PROBE" "$TMPD/suid-probe" || hard "cannot copy the probe"
chmod u+s "$TMPD/suid-probe"
pf run --arm signal:USR2 --report "$TMPD/r-%p.jsonl" -- "$TMPD/suid-probe"
expect_status 2 "a set-user-ID program"
one_error_line "a set-user-ID program" "set-user-ID"
grep -q done "$TMPD/out" && fail "the set-user-ID program ran"
ls "$TMPD"/r-*.jsonl > /dev/null 2>&1 && fail "a report was written for a refused program"

chmod u-s,g+s "$TMPD/suid-probe"
pf run --arm signal:USR2 --report "$TMPD/r-%p.jsonl" -- "$TMPD/suid-probe"
expect_status 2 "a set-group-ID program"
one_error_line "a set-group-ID program" "set-group-ID"

# Found through PATH, the bit is still seen.
chmod g-s,u+s "$TMPD/suid-probe"
PATH="$TMPD:$PATH" pf run --arm signal:USR2 -- suid-probe
expect_status 2 "a set-user-ID program found in PATH"
one_error_line "a set-user-ID program found in PATH" "set-user-ID"
note "set-user-ID and set-group-ID programs refused"
exit 0
