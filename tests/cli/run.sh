#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ptfreeze run: the program's exit status (128+N when signal N kills it),
# the environment it gets (LD_PRELOAD prepended, options as PTFREEZE_*),
# option values checked before anything runs, refusals (not found,
# statically linked) with one line and status 2, the report files named at
# the end (fork children's too), the default template, and signal
# forwarding.
. "$(dirname "$0")/lib.sh"
R="$TMPD/reports"
mkdir -p "$R"

pf run --report "$R/e-%p.jsonl" -- sh -c 'exit 3'
expect_status 3 "a program that exits 3"
pf run --report "$R/e-%p.jsonl" -- sh -c 'kill -9 $$'
expect_status 137 "a program killed by SIGKILL"

# The environment: options become variables, LD_PRELOAD keeps what was there.
LD_PRELOAD=libc.so.6 pf run --mode strict --pool 64M --hugepages none --arm manual --strict-action abort \
	--report off -v -- env
expect_status 0 "env under ptfreeze run"
grep -qx "LD_PRELOAD=$(cd "$top_builddir/.libs" && pwd -P)/libptfreeze.so:libc.so.6" "$TMPD/out" ||
	fail "LD_PRELOAD is not the library prepended: $(grep LD_PRELOAD "$TMPD/out")"
for v in PTFREEZE_MODE=strict PTFREEZE_POOL=64M PTFREEZE_HUGEPAGES=none PTFREEZE_ARM=manual \
	PTFREEZE_STRICT_ACTION=abort PTFREEZE_REPORT=off PTFREEZE_VERBOSE=1; do
	grep -qx "$v" "$TMPD/out" || fail "the program's environment lacks $v"
done

# PTFREEZE_LIBRARY picks the library, and is not passed on to the program.
cp "$SHIM" "$TMPD/copy.so"
PTFREEZE_LIBRARY="$TMPD/copy.so" pf run --report off -- env
expect_status 0 "env with PTFREEZE_LIBRARY"
grep -qx "LD_PRELOAD=$TMPD/copy.so" "$TMPD/out" || fail "PTFREEZE_LIBRARY is not what is preloaded"
grep -q '^PTFREEZE_LIBRARY=' "$TMPD/out" && fail "PTFREEZE_LIBRARY reached the program"
PTFREEZE_LIBRARY="$TMPD/no-such.so" pf run --report off -- true
expect_status 2 "a PTFREEZE_LIBRARY that does not exist"
one_error_line "a PTFREEZE_LIBRARY that does not exist" "PTFREEZE_LIBRARY"

# Bad values: one line naming the option, status 2, nothing runs.
for bad in "--pool banana" "--mode loud" "--hugepages 3m" "--arm signal:NOPE" "--arm delay:soon" \
	"--strict-action explode" "--report bad%x"; do
	# shellcheck disable=SC2086
	pf run $bad --report "$R/bad-%p.jsonl" -- sh -c 'echo ran'
	expect_status 2 "run $bad"
	one_error_line "run $bad" "${bad%% *}"
	[ -s "$TMPD/out" ] && fail "run $bad ran the program"
done
ls "$R"/bad-* > /dev/null 2>&1 && fail "a refused run wrote a report"

pf run -- ptfreeze-no-such-command
expect_status 2 "a command that does not exist"
one_error_line "a command that does not exist" "not found"
pf run -- ./no/such/file
expect_status 2 "a path that does not exist"
one_error_line "a path that does not exist"
pf run --mode report
expect_status 2 "run without a command"
one_error_line "run without a command"
pf run --report /nonexistent-dir/r-%p.jsonl -- true
expect_status 2 "a report template in a missing directory"
one_error_line "a report template in a missing directory" "does not exist"

# Statically linked: LD_PRELOAD cannot reach it.
pf run -- "$top_builddir/tests/cli/static"
expect_status 2 "a statically linked program"
one_error_line "a statically linked program" "statically linked"
# ... nor a script whose interpreter is one.
printf '#!%s\n' "$top_builddir/tests/cli/static" > "$TMPD/script"
chmod +x "$TMPD/script"
pf run -- "$TMPD/script"
expect_status 2 "a script run by a static interpreter"
one_error_line "a script run by a static interpreter" "statically linked"

# The report files are named at the end: the program's and its fork children's,
# each with its program, pid and trigger; the probe and its fork child are one
# program: no --only suggestion (tests/cli/only-hint.sh has two programs).
run_probe "$R/fork" --fork
n=$(ls "$R/fork" | wc -l)
[ "$n" -eq 2 ] || fail "the probe and its fork child wrote $n reports, want 2"
for f in "$R"/fork/*.jsonl; do
	grep -q "^ptfreeze: report written: $f (pid [0-9]*.*probe, armed by signal:USR2)" "$TMPD/err" ||
		fail "no line naming $f: $(cat "$TMPD/err")"
done
grep -q "^ptfreeze: report written: .*(pid [0-9]*, fork child, probe, armed by" "$TMPD/err" ||
	fail "the fork child is not named as one: $(cat "$TMPD/err")"
grep -q -- "--only NAME" "$TMPD/err" && fail "--only suggested for one program and its fork child: $(cat "$TMPD/err")"

# The default template: ptfreeze-%e-%p.jsonl in the current directory, named by its absolute path.
mkdir -p "$TMPD/default" && cd "$TMPD/default" || hard "cd"
pf run --arm signal:USR2 -- "$PROBE"
expect_status 0 "the probe with the default report template"
f=$(ls ptfreeze-probe-*.jsonl 2> /dev/null) || fail "no ptfreeze-probe-PID.jsonl in the current directory"
grep -q "^ptfreeze: report written: $TMPD/default/$f (pid [0-9]*, probe, armed by signal:USR2)\$" "$TMPD/err" ||
	fail "the report line is '$(cat "$TMPD/err")', want $TMPD/default/$f"
grep -q -- "--only NAME" "$TMPD/err" && fail "--only suggested for one armed process: $(cat "$TMPD/err")"

# A relative template is made absolute: a program that changes directory keeps its report here.
mkdir -p "$TMPD/rel/sub" && cd "$TMPD/rel" || hard "cd"
pf run --arm signal:USR2 --report 'r-%e.jsonl' -- sh -c 'cd sub && exec "$0"' "$PROBE"
expect_status 0 "the probe after a cd, relative template"
[ -f "$TMPD/rel/r-probe.jsonl" ] || fail "a relative template followed the program's cd: $(ls -R "$TMPD/rel")"
cd "$TMPD" || hard "cd"

# Nothing armed or recorded: no report, and the run says so in one line.
mkdir -p "$TMPD/none" && cd "$TMPD/none" || hard "cd"
pf run -- true
expect_status 0 "true under ptfreeze run"
[ -z "$(ls)" ] || fail "true left report files: $(ls)"
grep -q "^ptfreeze: no process armed or recorded anything" "$TMPD/err" || fail "the run did not say so: $(cat "$TMPD/err")"
cd "$TMPD" || hard "cd"

# Bad --only and --skip values: one clear line, nothing run.
pf run --only 'a,,b' -- true
expect_status 2 "--only with an empty glob"
one_error_line "--only with an empty glob" "--only: cannot parse"
pf run --skip ',' -- true
expect_status 2 "--skip with an empty glob"
one_error_line "--skip with an empty glob" "--skip: cannot parse"

# Forwarding: SIGUSR1 sent to ptfreeze reaches the program.
"$PTFREEZE" run --report off -- sh -c 'trap "exit 42" USR1; touch "$0.ready"; while :; do sleep 0.05; done' \
	"$TMPD/fw" > /dev/null 2>&1 &
pid=$!
i=0
while [ ! -e "$TMPD/fw.ready" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { kill -9 $pid; fail "the forwarding test program never started"; }
	sleep 0.05
done
kill -USR1 $pid
st=0
wait $pid || st=$?
[ "$st" -eq 42 ] || fail "SIGUSR1 to ptfreeze: status $st, want 42 (the program's trap)"
note "run: statuses, environment, refusals, report names and forwarding as documented"
exit 0
