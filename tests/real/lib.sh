# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the real-program tests (tests/real/*.sh, make check-real): an
# unmodified program runs without the shim and under it (report mode, armed
# once its start-up is over), the two results must be identical (output,
# stored values, exit status), and the reports are judged by
# tests/real/judge.py: crashes, hangs, wrong output, unreadable reports and
# violations of the shim's own making fail; the program's own violations
# are printed and counted ('# figures' lines, quoted by docs/reliability.md).
real_dir=$(cd "$(dirname "$0")" && pwd)
# By hand from an in-tree build (sh tests/real/x.sh) as well as from make.
: "${abs_top_builddir:=$(cd "$real_dir/../.." && pwd)}"
export abs_top_builddir
. "$real_dir/../lib.sh"
PTFREEZE=$top_builddir/tools/ptfreeze
need_command
# Reports are read by Debian's interpreter, never under the shim.
HOSTPY=/usr/bin/python3
[ -x "$HOSTPY" ] || HOSTPY=$(command -v python3) || skip "python3 is needed to read the reports"
# Keep the logs to what the judges print; site lines are in the reports.
# (tests/lib.sh has dropped every PTFREEZE_* the caller exported.)
export PTFREEZE_LOG=off
# A run that takes longer than this is a hang (the slowest, the CPython
# tests, take about 30 s on a loaded 2-core VM).
LIMIT=${REAL_TIMEOUT:-240}

need_prog() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package $2)"; }

# Exports what the shim needs for run NAME armed by ARM: report mode,
# reports in $TMPD/NAME/.
shim_vars() {
	mkdir -p "$TMPD/$1"
	export LD_PRELOAD="$SHIM" PTFREEZE_MODE=report PTFREEZE_ARM="$2" PTFREEZE_REPORT="$TMPD/$1/%e-%p.jsonl"
}

# run NAME CMD...: runs CMD (stdin from /dev/null) under timeout; stdout in
# $TMPD/NAME.out, stderr in $TMPD/NAME.err, exit status in $TMPD/NAME.st.
run() {
	n=$1
	shift
	st=0
	timeout -k 10 "$LIMIT" "$@" >"$TMPD/$n.out" 2>"$TMPD/$n.err" </dev/null || st=$?
	echo "$st" >"$TMPD/$n.st"
	case $st in
	124 | 137) note "$n: killed after ${LIMIT}s (hang)" ;;
	0) ;;
	*) note "$n: exit status $st" ;;
	esac
	return 0
}

# plain NAME CMD...: CMD without the shim.
plain() { n=$1 && shift && run "$n" env -u LD_PRELOAD "$@"; }

# under NAME ARM CMD...: CMD under the shim, armed by ARM (delay:… or a signal
# the test sends), with any PTFREEZE_* in the caller's environment.
under() {
	n=$1 arm=$2
	shift 2
	mkdir -p "$TMPD/$n"
	run "$n" env LD_PRELOAD="$SHIM" PTFREEZE_MODE=report PTFREEZE_ARM="$arm" \
		PTFREEZE_REPORT="$TMPD/$n/%e-%p.jsonl" "$@"
}

# start NAME ARM|- CMD...: like under (or, with -, plain), in the
# background, for a program the test arms by signal or talks to; $pid is
# the program's.  A watchdog kills it after $LIMIT seconds (a hang).
start() {
	n=$1 arm=$2
	shift 2
	mkdir -p "$TMPD/$n"
	if [ "$arm" = - ]; then
		env -u LD_PRELOAD "$@" >"$TMPD/$n.out" 2>"$TMPD/$n.err" </dev/null &
	else
		env LD_PRELOAD="$SHIM" PTFREEZE_MODE=report PTFREEZE_ARM="$arm" PTFREEZE_REPORT="$TMPD/$n/%e-%p.jsonl" \
			"$@" >"$TMPD/$n.out" 2>"$TMPD/$n.err" </dev/null &
	fi
	pid=$!
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "$LIMIT" &
		s=$!
		wait $s
		echo "# $n: killed after ${LIMIT}s (hang)"
		kill -9 $pid 2>/dev/null
	) &
	watchdog=$!
}

# finish NAME: waits for the program of start and records its status.
finish() {
	st=0
	wait $pid || st=$?
	kill $watchdog 2>/dev/null
	wait $watchdog 2>/dev/null
	echo "$st" >"$TMPD/$1.st"
	[ "$st" = 0 ] || note "$1: exit status $st"
}

# same A B WHAT: the runs A and B must have the same output and exit status.
same() {
	sa=$(cat "$TMPD/$1.st") sb=$(cat "$TMPD/$2.st")
	if [ "$sa" != "$sb" ]; then
		tail -n 20 "$TMPD/$2.err" >&2
		echo "FAIL: $3: exit status $sb under the shim, $sa without" >&2
		return 1
	fi
	if ! cmp -s "$TMPD/$1.out" "$TMPD/$2.out"; then
		diff "$TMPD/$1.out" "$TMPD/$2.out" | head -n 20 >&2
		tail -n 20 "$TMPD/$2.err" >&2
		echo "FAIL: $3: output differs under the shim" >&2
		return 1
	fi
	return 0
}

# expect_ok NAME WHAT: the reference run NAME must have succeeded.
expect_ok() {
	[ "$(cat "$TMPD/$1.st")" = 0 ] && return 0
	tail -n 20 "$TMPD/$1.err" >&2
	hard "$2 failed without the shim (status $(cat "$TMPD/$1.st")): the test itself is broken"
}

# shim_errors NAME: error lines the shim printed on the run's stderr fail
# (a warning, such as a huge-page fallback, is only shown).
shim_errors() {
	grep -h 'ptfreeze\[[0-9]*\]: ' "$TMPD/$1.err" 2>/dev/null | sort | uniq -c | head -n 10 | sed 's/^/# stderr: /'
	if grep -q 'ptfreeze\[[0-9]*\]: error:' "$TMPD/$1.err" 2>/dev/null; then
		echo "FAIL: $1: the shim reported an error" >&2
		return 1
	fi
	return 0
}

# judge NAME [judge.py options]: the reports of run NAME must all be
# readable by 'ptfreeze report' (status 0 or 1, never 2); prints the sites
# and fails on violations the shim itself caused (see judge.py).
judge() {
	n=$1
	shift
	rst=0
	"$PTFREEZE" report "$TMPD/$n" >"$TMPD/$n.report" 2>&1 || rst=$?
	if [ "$rst" -gt 1 ]; then
		head -n 20 "$TMPD/$n.report" >&2
		echo "FAIL: $n: ptfreeze report cannot read the reports (status $rst)" >&2
		return 1
	fi
	# The violations, as a user sees them: the summary line and the site table.
	head -n 1 "$TMPD/$n.report"
	sed -n '/^SITE /,/^$/p' "$TMPD/$n.report" | head -n 30
	"$PTFREEZE" report --json "$TMPD/$n" >"$TMPD/$n.json" 2>/dev/null
	"$HOSTPY" "$real_dir/judge.py" "$n" "$@" <"$TMPD/$n.json"
}

# seccomp_note NAME REF WHAT: the PTFREEZE_SECCOMP=on run NAME is compared
# with REF and its reports judged, but only noted: the backstop is optional
# and inherited by every child, and its findings (raw system calls, glibc's
# own mappings) are judged by tests/backstop.sh.
seccomp_note() {
	if same "$2" "$1" "$3 (seccomp)" 2>"$TMPD/$1.why" && judge "$1" --allow-incomplete 1000 >"$TMPD/$1.judged" 2>&1; then
		grep '^# figures' "$TMPD/$1.judged" | sed 's/^# figures /# figures-seccomp /'
		note "$3 with PTFREEZE_SECCOMP=on: same result"
	else
		cat "$TMPD/$1.why" "$TMPD/$1.judged" 2>/dev/null | sed 's/^/# seccomp: /' | head -n 20
		note "NOTE: $3 with PTFREEZE_SECCOMP=on: DIFFERS (noted, not failed)"
	fi
	return 0
}

# Free TCP port on loopback (the kernel picks one; a race with another
# process taking it in between only makes the server fail to start, which
# the test reports as such).
free_port() {
	"$HOSTPY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Default settings (git.sh, nginx.sh, node.sh, java.sh): a user's first
# run, LD_PRELOAD and nothing else.  default_env prints the env(1)
# arguments that drop every PTFREEZE_* variable this suite or the caller
# set (the log, the huge pages, the pool, the mode, the fault sampler...);
# the test then sets only where the reports go, so it can read them, and,
# where it says so, when to arm.  REAL_SHIM_ENV (unset in the suite) adds
# assignments after the defaults, to check a test itself by hand, e.g.
# REAL_SHIM_ENV='PTFREEZE_FAULTS=off PTFREEZE_LOG=off' sh tests/real/git.sh.
default_env() {
	env | sed -n 's/^\(PTFREEZE_[A-Z0-9_]*\)=.*/-u \1/p' | tr '\n' ' '
}

# dflt NAME ARM CMD...: like under, with default settings; ARM empty is the
# default arming (delay:1s).
dflt() {
	n=$1 arm=$2
	shift 2
	mkdir -p "$TMPD/$n"
	# shellcheck disable=SC2046
	run "$n" env $(default_env) LD_PRELOAD="$SHIM" PTFREEZE_REPORT="$TMPD/$n/%e-%p.jsonl" \
		${arm:+"PTFREEZE_ARM=$arm"} ${REAL_SHIM_ENV:-} "$@"
}

# same_err A B WHAT: the runs A and B must also have the same standard
# error (the shim writes nothing there by default).
same_err() {
	cmp -s "$TMPD/$1.err" "$TMPD/$2.err" && return 0
	diff "$TMPD/$1.err" "$TMPD/$2.err" | head -n 20 >&2
	echo "FAIL: $3: standard error differs under the shim" >&2
	return 1
}

# same3 A B WHAT: same output, standard error and exit status.
same3() {
	r=0
	same "$1" "$2" "$3" || r=1
	same_err "$1" "$2" "$3" || r=1
	return $r
}

# dstart NAME ARM CMD...: like start, with default settings (ARM empty: the
# default arming).
dstart() {
	dn=$1 darm=$2
	shift 2
	mkdir -p "$TMPD/$dn"
	# shellcheck disable=SC2046
	start "$dn" - env $(default_env) LD_PRELOAD="$SHIM" PTFREEZE_REPORT="$TMPD/$dn/%e-%p.jsonl" \
		${darm:+"PTFREEZE_ARM=$darm"} ${REAL_SHIM_ENV:-} "$@"
}

# judge_json NAME [judge.py options]: judge without the text report (one
# pass of 'ptfreeze report' instead of two: symbolising a JIT runtime's
# frames takes most of a minute).
judge_json() {
	n=$1
	shift
	rst=0
	"$PTFREEZE" report --json "$TMPD/$n" >"$TMPD/$n.json" 2>"$TMPD/$n.jerr" || rst=$?
	if [ "$rst" -gt 1 ]; then
		head -n 20 "$TMPD/$n.jerr" >&2
		echo "FAIL: $n: ptfreeze report cannot read the reports (status $rst)" >&2
		return 1
	fi
	"$HOSTPY" "$real_dir/judge.py" "$n" "$@" <"$TMPD/$n.json"
}

# For the forking servers (nginx.sh, haproxy.sh):
# workers PID: the pids of the children of PID, on one line.
workers() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' '
}

# minus A B: the pids of A not in B, on one line.
minus() {
	for x in $1; do
		case " $2 " in *" $x "*) ;; *) printf '%s ' "$x" ;; esac
	done
	echo
}
