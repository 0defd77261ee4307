#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Programs that fork and exec children, every process under the shim (the
# children inherit LD_PRELOAD):
#  - a shell script (/bin/sh) running pipelines, command substitutions and
#    subshells of seq, awk, sort, uniq, gzip, sha256sum, xargs;
#  - a fork-per-request TCP server in python3 (tests/real/forkserver.py):
#    a forked child per request, every 10th of which also runs sort(1).
# The output, with and without the shim, must be the same, and the reports
# of the parent and of every child (fork children born armed, exec'd
# programs with their own) must all be readable by 'ptfreeze report DIR'.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed (Debian package python3)"
for p in awk gzip sha256sum xargs seq sort uniq; do
	command -v $p >/dev/null 2>&1 || skip "$p is not installed"
done
# Every process reserves its own pool: keep them small (sort and gzip grow
# theirs during their own start-up if they need to).
export PTFREEZE_POOL=32M

cat >"$TMPD/pipes.sh" <<'SH'
sleep 0.5 # the shell arms meanwhile (delay:300ms); its children are born armed
seq 1 200000 | awk '{ print ($1 * 7919) % 100003 }' | sort -n | uniq -c | sort -k1,1nr -k2,2n | head -n 3
n=$(seq 1 50000 | awk '$1 % 7 == 0' | wc -l)
echo "multiples of 7: $n"
seq 1 100000 | gzip -c | gzip -dc | sha256sum
i=0
while [ $i -lt 10 ]; do
	( echo "sub $i $(echo $i | awk '{ print $1 * $1 }')" )
	i=$((i + 1))
done | sort -r | sha256sum
seq 1 3000 | xargs -n 300 sh -c 'echo $# $(( $1 + $# ))' sh | sort -n | tail -n 2
SH
plain fx-plain sh "$TMPD/pipes.sh"
expect_ok fx-plain "the shell script"
sed 's/^/# /' "$TMPD/fx-plain.out"
under fx-shim delay:300ms sh "$TMPD/pipes.sh"
ok=0
same fx-plain fx-shim "shell pipelines" || ok=1
shim_errors fx-shim || ok=1
judge fx-shim --min-processes 20 --children-may-die || ok=1

# serve NAME ARM|-: the fork-per-request server and its client (never
# under the shim); what must match goes to $TMPD/NAME.out.
REQUESTS=100
serve() {
	rm -f "$TMPD/port" "$TMPD/port.quit"
	start "$1" "$2" "$PY" "$real_dir/forkserver.py" server "$TMPD/port"
	i=0
	while [ ! -f "$TMPD/port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -f "$TMPD/port" ] || { kill $pid; hard "$1: the server did not start"; }
	sleep 0.4 # past the arming delay: every request's child is born armed
	timeout -k 5 "$LIMIT" env -u LD_PRELOAD "$PY" "$real_dir/forkserver.py" client "$TMPD/port" $REQUESTS >"$TMPD/$1.cli" 2>&1
	finish "$1"
	cat "$TMPD/$1.cli" >>"$TMPD/$1.out"
}
serve fs-plain -
expect_ok fs-plain "the fork-per-request server"
sed 's/^/# /' "$TMPD/fs-plain.out"
serve fs-shim delay:300ms
same fs-plain fs-shim "fork-per-request server" || ok=1
shim_errors fs-shim || ok=1
# A request's child ends in os._exit: its report has sites, no summary.
judge fs-shim --min-processes $((REQUESTS + 1)) || ok=1
[ $ok = 0 ] || exit 1

PTFREEZE_SECCOMP=on under fx-seccomp delay:300ms sh "$TMPD/pipes.sh"
seccomp_note fx-seccomp fx-plain "shell pipelines"
PTFREEZE_SECCOMP=on serve fs-seccomp delay:300ms
seccomp_note fs-seccomp fs-plain "fork-per-request server"
exit 0
