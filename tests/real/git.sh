#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# git with its subcommands under the shim with DEFAULT settings (only
# LD_PRELOAD, and the report directory so the test can read it): the
# workload of tests/real/gitwork.sh (init, add, commit, status, diff, log,
# branch, checkout, a merge and a conflicting merge aborted, tag,
# describe, blame, grep, gc, repack, count-objects, verify-pack, fsck, an
# alias that runs a shell command, archive, clone) run by sh, every process
# under the shim; once armed as by default (delay:1s, so most git
# processes end before they arm) and once armed early (delay:1ms, every
# process armed during its start-up).  Then, armed early, 20 runs each of
# `git -c alias.t='!echo child-ran' t` (git forks a child that resets its
# signals and runs the shell) and of `git fsck 2>&1`.  Every run's
# standard output, standard error and exit status must be those of the run
# without the shim, and its reports are judged (tests/real/judge.py).
. "$(dirname "$0")/lib.sh"
need_prog git git
for p in awk sed seq sha256sum; do
	command -v $p >/dev/null 2>&1 || skip "$p is not installed"
done
# What could differ between two runs: the user's configuration, names,
# dates, the locale, and gc/repack's delta search, which splits its work
# between threads and so picks other deltas from run to run (size-pack 180
# against 181 once, with and without the shim alike): one thread.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=pack.threads GIT_CONFIG_VALUE_0=1
export HOME="$TMPD/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC \
	GIT_AUTHOR_NAME=ptfreeze GIT_AUTHOR_EMAIL=ptfreeze@example.org \
	GIT_COMMITTER_NAME=ptfreeze GIT_COMMITTER_EMAIL=ptfreeze@example.org \
	GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_EXEC_PATH GIT_TRACE PAGER GIT_PAGER
mkdir -p "$HOME"
WORK=$real_dir/gitwork.sh
# Each run builds its repository at the same path, so paths in the output match.
W=$TMPD/w
ok=0

rm -rf "$W" && plain git-plain sh "$WORK" "$W"
expect_ok git-plain "the git workload"
grep -q '^\[0 git fsck --full --strict\]$' "$TMPD/git-plain.out" && grep -q '^child-ran$' "$TMPD/git-plain.out" &&
	grep -q '^dangling blob ' "$TMPD/git-plain.out" ||
	hard "the git workload's output without the shim lacks what it must show: the test is broken"
note "git workload: $(grep -c '^\[' "$TMPD/git-plain.out") commands, $(grep -c '^\[[1-9]' "$TMPD/git-plain.out") with a non-zero status on purpose"

rm -rf "$W" && dflt git-shim "" sh "$WORK" "$W"
same3 git-plain git-shim "git workload (default arming)" || ok=1
shim_errors git-shim || ok=1
# Each git command ends long before the default 1 s delay: none arms, so
# (issue 12) none writes a report unless it recorded something.
if ls "$TMPD"/git-shim/*.jsonl >/dev/null 2>&1; then
	judge git-shim --min-processes 1 || ok=1
else
	echo "# git-shim: no process armed or recorded anything: no report, as intended"
fi

rm -rf "$W" && dflt git-early delay:1ms sh "$WORK" "$W"
same3 git-plain git-early "git workload (armed early)" || ok=1
shim_errors git-early || ok=1
judge git-early --min-processes 1 || ok=1

# Twenty runs each, armed early, in the repository of a second run
# without the shim (which must give the same output as the first).
N=${GIT_RUNS:-20}
rm -rf "$W" && plain git-plain2 sh "$WORK" "$W"
same git-plain git-plain2 "the git workload run twice without the shim" 2>/dev/null ||
	hard "the git workload gives different results in two runs without the shim: the test is broken"
cd "$W/repo" || hard "no repository in $W"
plain alias-plain git -c alias.t='!echo child-ran' t
plain fsck-plain sh -c 'git fsck 2>&1'
expect_ok alias-plain "git's alias"
expect_ok fsck-plain "git fsck"
grep -q '^dangling blob ' "$TMPD/fsck-plain.out" || hard "git fsck without the shim does not name the dangling blob"
mkdir -p "$TMPD/git-loop"
for what in alias fsck; do
	bad=0 i=1
	while [ $i -le "$N" ]; do
		if [ $what = alias ]; then
			dflt $what-$i delay:1ms git -c alias.t='!echo child-ran' t
		else
			dflt $what-$i delay:1ms sh -c 'git fsck 2>&1'
		fi
		if ! same3 $what-plain $what-$i "run $i of $N of $what" 2>"$TMPD/$what-$i.why"; then
			[ $bad -lt 3 ] && sed 's/^/# /' "$TMPD/$what-$i.why"
			bad=$((bad + 1))
		fi
		mv "$TMPD/$what-$i"/* "$TMPD/git-loop/" 2>/dev/null
		i=$((i + 1))
	done
	if [ $bad -gt 0 ]; then
		echo "FAIL: $what: $bad of $N runs armed early differ from the run without the shim" >&2
		ok=1
	else
		note "$what: $N of $N runs armed early the same as without the shim"
	fi
done
shim_errors alias-1 || ok=1
judge git-loop --min-processes 1 || ok=1
[ $ok = 0 ] || exit 1
exit 0
