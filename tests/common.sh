# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/lib.sh and tests/cli/lib.sh: the judges, and the host
# settings lock.  Automake exit codes: 0 pass, 77 skip, 99 hard error,
# anything else fail.
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
hard() { echo "ERROR: $*" >&2; exit 99; }
note() { echo "# $*"; }

# host_settings_lock: host settings (sysctls, KSM, the huge page
# reservation) are shared by the tests make -j runs side by side: a test that changes one takes this lock for the rest of its run
# (cause.sh and drift.sh both turned KSM on and off, and each saw the
# other's change: a fork child's report header with KSM off in the middle
# of cause.sh's KSM run).  flock(1) is util-linux's; without it, no lock.
host_settings_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	exec 9>>"${TMPDIR:-/tmp}/ptfreeze-tests-host.lock"
	flock 9 || hard "cannot take the host settings lock"
}
