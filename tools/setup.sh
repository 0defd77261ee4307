#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The first command of the README: on a fresh Debian 12 machine, as root,
# installs what ptfreeze needs, builds it, and runs the bundled demo under
# the shim, then reads its report.
#   sh tools/setup.sh            install, build, run the demo
#   sh tools/setup.sh --deps     install the Debian packages only
set -eu
cd "$(dirname "$0")/.."

# Build: toolchain, autotools, the libraries the shim and the command use.
# Tests: strace, python3, binutils (addr2line).  Benchmarks: the peer allocators.
# make check-real: the real programs (CPython's tests, redis, sqlite3).
# The metrics test: promtool (prometheus) and node_exporter.
# Fuzzing: clang, libFuzzer (libclang-rt-dev), llvm-symbolizer (llvm).
PACKAGES="build-essential autoconf automake libtool pkg-config
libjemalloc-dev libunwind-dev check libjansson-dev libdw-dev libelf-dev libiberty-dev
strace python3 binutils g++ file
clang libclang-rt-dev llvm
libmimalloc-dev libtcmalloc-minimal4 libgoogle-perftools-dev
libpython3.11-testsuite redis-server redis-tools sqlite3
git nginx-light wrk haproxy nodejs openjdk-17-jdk-headless
prometheus prometheus-node-exporter"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
[ "${1:-}" = "--deps" ] && exit 0

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"

echo
echo "== the demo without ptfreeze"
./demo/ptfreeze-demo
echo
echo "== the demo under ptfreeze (report mode)"
out=$(mktemp -d)
./tools/ptfreeze run --mode report --report "$out/demo-%p.jsonl" -- ./demo/ptfreeze-demo
echo
echo "== what it found"
./tools/ptfreeze report "$out" || [ $? -eq 1 ] # 1: violations found, as the demo means to
echo
echo "== the host"
./tools/ptfreeze check || true
echo
echo "setup: done. The report is in $out; 'sh tools/test.sh' runs the test suite."
