#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# node (V8's JIT) under the shim with DEFAULT settings (only LD_PRELOAD,
# and the report directory): tests/real/jit.js (hot loops compiled and
# deoptimised, JSON, regular expressions, typed arrays, maps, sorting,
# BigInt, a worker thread, a child node), armed as by default (delay:1s,
# in the middle of the run) and armed early (delay:1ms); `node --version`;
# a script that throws (status 1, a stack trace on standard error).  The
# standard output, standard error and exit status must be those of the
# run without the shim; the reports of the default run are judged
# (tests/real/judge.py).  The
# wall time with and without the shim is logged, not judged.
. "$(dirname "$0")/lib.sh"
need_prog node nodejs
WORK=$real_dir/jit.js
ok=0

# timed NAME CMD...: CMD, its wall time in ms in $TMPD/NAME.ms.
now_ms() { date +%s%3N; }
timed() {
	t0=$(now_ms)
	"$@"
	echo $(($(now_ms) - t0)) >"$TMPD/$2.ms"
}

plain ver-plain node --version
expect_ok ver-plain "node --version"
dflt ver-shim "" node --version
same3 ver-plain ver-shim "node --version" || ok=1
note "node $(cat "$TMPD/ver-plain.out")"

timed plain node-plain node "$WORK"
expect_ok node-plain "the JIT workload"
grep -q '^worker .* agrees$' "$TMPD/node-plain.out" && grep -q '^child sorted' "$TMPD/node-plain.out" ||
	hard "the JIT workload's output without the shim lacks what it must show: the test is broken"
sed 's/^/# /' "$TMPD/node-plain.out"
timed dflt node-shim "" node "$WORK"
same3 node-plain node-shim "node JIT workload (default arming)" || ok=1
shim_errors node-shim || ok=1
judge_json node-shim --min-processes 2 || ok=1
timed dflt node-early delay:1ms node "$WORK"
same3 node-plain node-early "node JIT workload (armed early)" || ok=1
shim_errors node-early || ok=1
# Its reports are not judged: symbolising 1000 sites of node's takes a minute.
p=$(cat "$TMPD/node-plain.ms") s=$(cat "$TMPD/node-shim.ms") e=$(cat "$TMPD/node-early.ms")
note "figures node wall_ms plain=$p shim=$s early=$e ratio_shim=$(awk "BEGIN { printf \"%.2f\", $s / $p }") ratio_early=$(awk "BEGIN { printf \"%.2f\", $e / $p }") (logged, not judged)"

# An uncaught exception: status 1, the stack trace on standard error.
cat >"$TMPD/throws.js" <<'JS'
'use strict';
function deeper(n) { if (n === 0) throw new Error('thrown on purpose'); return deeper(n - 1) + 1; }
console.log('before');
deeper(20);
JS
plain throw-plain node "$TMPD/throws.js"
[ "$(cat "$TMPD/throw-plain.st")" = 1 ] && grep -q 'thrown on purpose' "$TMPD/throw-plain.err" ||
	hard "the throwing script does not fail with status 1 without the shim: the test is broken"
dflt throw-shim delay:1ms node "$TMPD/throws.js"
same3 throw-plain throw-shim "node script that throws" || ok=1
[ $ok = 0 ] || exit 1
exit 0
