#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The git workload of tests/real/git.sh: sh gitwork.sh DIR.  Builds a
# repository in DIR (which must not exist) with git's porcelain and
# plumbing; every command's output goes to this script's standard output
# or error as git writes it, followed by its exit status, so two runs can
# be compared byte for byte.  Everything that could differ between runs
# (dates, names, the user's configuration) is fixed by the caller.
set -u
W=$1
# c CMD...: runs CMD, then prints its exit status.
c() {
	"$@"
	echo "[$? $*]"
}
c git init -q -b main "$W/repo"
cd "$W/repo" || exit 1
mkdir d0 d1 d2 d3 d4 d5
# 60 files of 400 to 1050 numbered lines, written by one awk.
awk 'BEGIN {
	for (i = 0; i < 60; i++) {
		f = "d" (i % 6) "/f" i ".txt"
		for (n = i * 37; n <= i * 48 + 400; n++)
			print "line", n * i % 1009, n >f
		close(f)
	}
}'
c git add -A
c git commit -q -m "initial: 60 files"
c git status --porcelain
for i in 1 2 3; do
	sed -i "s/line $i/line changed-$i/" d$i/f$i.txt d0/f$((i * 6)).txt
	echo "appended $i" >>d$i/f$((i + 6)).txt
	c git diff --stat
	git diff | sha256sum
	c git commit -q -a -m "change $i"
done
c git log --oneline
c git log --format='%H %an %ad %s' --date=iso
c git diff HEAD~3 HEAD --numstat
c git branch feature HEAD~1
c git checkout -q feature
echo "from feature" >d5/new.txt
sed -i '2s/$/ feature/' d5/f5.txt
c git add d5/new.txt d5/f5.txt
c git commit -q -m "feature work"
c git checkout -q main
sed -i '4s/$/ main/' d1/f7.txt
c git commit -q -a -m "main work"
c git merge -q --no-edit -m "merge feature" feature
# A conflict: the merge stops (status 1) and is aborted.
c git checkout -q -b other HEAD~1
sed -i '2s/$/ other/' d5/f5.txt
c git commit -q -a -m "other work"
c git checkout -q main
c git merge --no-edit other
c git status --porcelain
c git diff --name-only --diff-filter=U
c git merge --abort
c git status --porcelain
c git log --graph --oneline --all
c git branch -a
c git show --stat HEAD
c git tag -a v1 -m "tag v1"
c git describe
c git blame -s -L 1,5 d5/f5.txt
c git grep -c "line 9" -- d2
c git -c gc.autoDetach=false gc -q
c git repack -a -d -q
c git count-objects -v
c git verify-pack -s .git/objects/pack/*.idx
# An object nothing refers to: fsck names it ("dangling blob").
c git hash-object -w --stdin <<DANGLING
nothing refers to this
DANGLING
c git fsck 2>&1
c git fsck --full --strict 2>&1
c git -c alias.t='!echo child-ran' t
c git -c alias.u='!f() { git rev-list --count HEAD; git ls-files | wc -l; }; f' u
c git archive --format=tar HEAD | sha256sum
c git clone -q --no-local "$W/repo" "$W/clone"
c git -C "$W/clone" log --oneline -n 3
c git -C "$W/clone" fsck 2>&1
c git stash list
c git rev-parse HEAD 'HEAD^{tree}'
