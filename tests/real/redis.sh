#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# redis-server on loopback, without and under the shim (armed by SIGUSR2
# once it answers PING, so its start-up is over): redis-benchmark (bounded:
# 20000 requests per test), then redis-cli stores 20000 keys with known
# values (small and up to 512 KiB), reads every one back, deletes half,
# overwrites and grows some, and a BGSAVE forks a child that writes the
# database.  The dataset digest (DEBUG DIGEST), DBSIZE, what was read back,
# the BGSAVE status and the server's exit status must be the same in both
# runs.
. "$(dirname "$0")/lib.sh"
need_prog redis-server redis-server
need_prog redis-cli redis-tools
need_prog redis-benchmark redis-tools
N=20000

# session NAME PORT: the client side of one run; what must match goes to
# $TMPD/NAME.res, the figures to $TMPD/NAME.fig.
session() {
	cli="timeout -k 5 60 redis-cli -p $2"
	res=$TMPD/$1.res
	: >"$res"
	timeout -k 5 "$LIMIT" redis-benchmark -p "$2" -n $N -c 20 -q --csv \
		-t ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange,mset \
		>"$TMPD/$1.bench" 2>&1 || echo "redis-benchmark failed" >>"$res"
	echo "after benchmark: dbsize $($cli dbsize) digest $($cli debug digest)" >>"$res"
	# 20000 keys with values that say what they are: mostly small, every
	# 500th of 64-512 KiB.
	"$HOSTPY" -c '
import sys
out = sys.stdout.buffer
def cmd(*a):
    out.write(b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a))
for i in range(20000):
    v = (b"value-%d-" % i) * (1 + i % 13)
    if i % 500 == 0:
        v = (b"big-%d-" % i) * (8192 * (1 + i % 8))
    cmd(b"SET", b"k:%d" % i, v)
for i in range(0, 20000, 2):
    cmd(b"DEL", b"k:%d" % i)
for i in range(1, 20000, 6):
    cmd(b"APPEND", b"k:%d" % i, b"+appended" * (i % 50))
for i in range(200):
    cmd(b"RPUSH", b"list", b"item-%d" % i * (1 + i % 30))
' >"$TMPD/$1.cmds"
	timeout -k 5 "$LIMIT" $cli --pipe <"$TMPD/$1.cmds" >"$TMPD/$1.pipe" 2>&1 || echo "redis-cli --pipe failed" >>"$res"
	grep -o 'errors: [0-9]*, replies: [0-9]*' "$TMPD/$1.pipe" >>"$res"
	# Every stored value, read back and checked against what was sent.
	"$HOSTPY" -c '
import sys
for i in range(20000):
    if i % 2 == 0:
        continue
    v = (b"value-%d-" % i) * (1 + i % 13)
    if i % 500 == 0:
        v = (b"big-%d-" % i) * (8192 * (1 + i % 8))
    if i % 6 == 1:
        v += b"+appended" * (i % 50)
    print("GET k:%d" % i)
' | timeout -k 5 "$LIMIT" $cli >"$TMPD/$1.got" 2>&1
	"$HOSTPY" -c '
import sys
got = open(sys.argv[1], "rb").read().split(b"\n")
bad = 0
n = 0
for i in range(1, 20000, 2):
    v = (b"value-%d-" % i) * (1 + i % 13)
    if i % 6 == 1:
        v += b"+appended" * (i % 50)
    if got[n] != v:
        bad += 1
    n += 1
print("read back %d values, %d wrong" % (n, bad))
' "$TMPD/$1.got" >>"$res"
	echo "after keys: dbsize $($cli dbsize) digest $($cli debug digest) llen $($cli llen list)" >>"$res"
	# A fork: the child writes the database while the parent serves.
	$cli bgsave >/dev/null
	i=0
	while [ $i -lt 300 ] && $cli info persistence | grep -q 'rdb_bgsave_in_progress:1'; do
		sleep 0.1
		i=$((i + 1))
	done
	$cli info persistence | grep -o 'rdb_last_bgsave_status:[a-z]*' >>"$res"
	$cli info stats | grep -o 'total_commands_processed:[0-9]*' >"$TMPD/$1.fig"
	$cli shutdown nosave >/dev/null 2>&1 || true
}

# wait_ready PORT: until the server answers PING (10 s at most).
wait_ready() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# server NAME ARM|-: one run of the server and its session; - is without the shim.
server() {
	sname=$1 sarm=$2
	port=$(free_port)
	mkdir -p "$TMPD/$sname-dir"
	set -- redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--enable-debug-command yes --dir "$TMPD/$sname-dir" --daemonize no
	start "$sname" "$sarm" "$@"
	if ! wait_ready "$port"; then
		tail -n 5 "$TMPD/$sname.out" >&2
		kill $pid
		hard "$sname: redis-server did not answer on port $port"
	fi
	[ "$sarm" = - ] || kill -USR2 $pid
	session "$sname" "$port"
	finish "$sname"
	mv "$TMPD/$sname.res" "$TMPD/$sname.out"
}

server redis-plain -
expect_ok redis-plain "redis-server"
grep -q ' 0 wrong' "$TMPD/redis-plain.out" || hard "the values read back without the shim are wrong: the test is broken"
cat "$TMPD/redis-plain.out" | sed 's/^/# /'
server redis-shim signal:USR2
ok=0
same redis-plain redis-shim "redis-server" || ok=1
shim_errors redis-shim || ok=1
judge redis-shim || ok=1
requests=$(awk -F, 'NR > 1 { n++ } END { print n * '$N' }' "$TMPD/redis-shim.bench")
note "figures redis benchmark_tests=$(awk 'NR > 1' "$TMPD/redis-shim.bench" | wc -l) benchmark_requests=$requests $(cat "$TMPD/redis-shim.fig")"
[ $ok = 0 ] || exit 1
PTFREEZE_SECCOMP=on server redis-seccomp signal:USR2
seccomp_note redis-seccomp redis-plain "redis-server"
exit 0
