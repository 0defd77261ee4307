#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# python3 (Debian's interpreter, not a wrapper) building and dropping large
# containers in threads (tests/real/bigcontainers.py): the same digests,
# line for line, with and without the shim, armed 300 ms after start-up.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed (Debian package python3)"
WORK=$real_dir/bigcontainers.py

plain py-plain "$PY" "$WORK"
expect_ok py-plain "the workload"
# The workload peaks near 520 MB; jemalloc keeps what it frees for reuse,
# and fragments, so its pool reaches about 1.2 GB (docs/reliability.md).
export PTFREEZE_POOL=2G
under py-shim delay:300ms "$PY" "$WORK"
ok=0
same py-plain py-shim "python3 workload" || ok=1
shim_errors py-shim || ok=1
judge py-shim || ok=1
[ $ok = 0 ] || exit 1
PTFREEZE_SECCOMP=on under py-seccomp delay:300ms "$PY" "$WORK"
seccomp_note py-seccomp py-plain "python3 workload"
exit 0
