#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Java (OpenJDK's HotSpot JIT) under the shim with DEFAULT settings (only
# LD_PRELOAD, and the report directory): `java -version` (on standard
# error), `java -version 2>&1 | head -1` (must be the version line), and
# tests/real/Jit.java (compiled here without the shim: hot loops, maps
# churned through the collector, regular expressions, sorting,
# BigInteger, a thread pool and a parallel stream, a child process through
# ProcessBuilder) armed as by default (delay:1s) and armed early
# (delay:1ms), and the same class throwing an uncaught exception (status
# 1, a stack trace).  Standard output, standard error and exit status must
# be those of the run without the shim; the reports of the default run are
# judged (tests/real/judge.py).  Wall times are logged, not judged.
. "$(dirname "$0")/lib.sh"
need_prog java openjdk-17-jre-headless
need_prog javac openjdk-17-jdk-headless
command -v sort >/dev/null 2>&1 || skip "sort is not installed"
ok=0

now_ms() { date +%s%3N; }
timed() {
	t0=$(now_ms)
	"$@"
	echo $(($(now_ms) - t0)) >"$TMPD/$2.ms"
}

plain ver-plain java -version
expect_ok ver-plain "java -version"
dflt ver-shim "" java -version
same3 ver-plain ver-shim "java -version" || ok=1
plain head-plain sh -c 'java -version 2>&1 | head -n 1'
grep -q 'version "' "$TMPD/head-plain.out" || hard "java -version 2>&1 | head -n 1 is not the version line without the shim"
note "$(cat "$TMPD/head-plain.out")"
dflt head-shim "" sh -c 'java -version 2>&1 | head -n 1'
same3 head-plain head-shim "java -version 2>&1 | head -n 1" || ok=1

mkdir -p "$TMPD/classes"
env -u LD_PRELOAD javac -d "$TMPD/classes" "$real_dir/Jit.java" >"$TMPD/javac.log" 2>&1 ||
	{ cat "$TMPD/javac.log" >&2; hard "javac cannot compile tests/real/Jit.java"; }
timed plain java-plain java -cp "$TMPD/classes" Jit
expect_ok java-plain "the Java workload"
grep -q '^child 0,1,2 status 0$' "$TMPD/java-plain.out" ||
	hard "the Java workload's output without the shim lacks its child's: the test is broken"
sed 's/^/# /' "$TMPD/java-plain.out"
timed dflt java-shim "" java -cp "$TMPD/classes" Jit
same3 java-plain java-shim "Java workload (default arming)" || ok=1
shim_errors java-shim || ok=1
judge_json java-shim || ok=1
timed dflt java-early delay:1ms java -cp "$TMPD/classes" Jit
same3 java-plain java-early "Java workload (armed early)" || ok=1
shim_errors java-early || ok=1
p=$(cat "$TMPD/java-plain.ms") s=$(cat "$TMPD/java-shim.ms") e=$(cat "$TMPD/java-early.ms")
note "figures java wall_ms plain=$p shim=$s early=$e ratio_shim=$(awk "BEGIN { printf \"%.2f\", $s / $p }") ratio_early=$(awk "BEGIN { printf \"%.2f\", $e / $p }") (logged, not judged)"

plain throw-plain java -cp "$TMPD/classes" Jit throw
[ "$(cat "$TMPD/throw-plain.st")" = 1 ] && grep -q 'thrown on purpose' "$TMPD/throw-plain.err" ||
	hard "the throwing run does not fail with status 1 without the shim: the test is broken"
dflt throw-shim delay:1ms java -cp "$TMPD/classes" Jit throw
same3 throw-plain throw-shim "Java exception" || ok=1
[ $ok = 0 ] || exit 1
exit 0
