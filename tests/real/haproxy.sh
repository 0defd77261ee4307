#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# haproxy in master-worker mode (-W: a master that re-executes itself on
# reload and forks a worker of 2 threads; 127.0.0.1 only) under the shim
# with DEFAULT settings (only LD_PRELOAD, and the report directory),
# reloaded twice (SIGUSR2) under load: the checking client
# (tests/real/httpload.py, 4 threads, a new connection per request) asks
# for a 1 KiB file and a string that haproxy answers itself, while wrk
# keeps 16 keep-alive connections busy; each old worker soft-stops; then
# SIGUSR1 soft-stops everything.  Must be the same with and without the
# shim: every request answered correctly, each generation of workers
# answered, the workers replaced, the master's exit status, and its
# standard error (where haproxy logs: pids and connection counts left out,
# lines sorted and each kept once, as they interleave differently from run
# to run) with the exit code of every worker.  The reports are judged (tests/real/judge.py).
. "$(dirname "$0")/lib.sh"
need_prog haproxy haproxy
need_prog wrk wrk
LOAD=$real_dir/httpload.py
WWW=$TMPD/www
mkdir -p "$WWW"
"$HOSTPY" "$LOAD" files "$WWW" || hard "cannot write the site's files"

# server NAME ARM|-: one run; what must match goes to $TMPD/NAME.out.
server() {
	sname=$1 sarm=$2
	P=$TMPD/$sname-prefix
	mkdir -p "$P"
	port=$(free_port)
	cat >"$P/haproxy.cfg" <<CONF
global
	nbthread 2
	hard-stop-after 30s
defaults
	mode http
	timeout client 10s
	timeout server 10s
	timeout connect 5s
frontend web
	bind 127.0.0.1:$port
	http-request return status 200 content-type text/plain string "hello from the server\n" if { path /hello }
	http-request return status 200 content-type application/octet-stream file $WWW/small.txt if { path /small.txt }
	http-request return status 404 content-type text/plain string "not here\n"
	http-after-response set-header X-Pid %pid
CONF
	if [ "$sarm" = - ]; then
		start "$sname" - haproxy -W -f "$P/haproxy.cfg"
	else
		dstart "$sname" "" haproxy -W -f "$P/haproxy.cfg"
	fi
	master=$pid
	if ! "$HOSTPY" "$LOAD" wait "$port"; then
		kill $master
		cat "$TMPD/$sname.err" >&2
		hard "$sname: haproxy did not listen on port $port"
	fi
	# Past the default arming (delay:1s).
	sleep 1.5
	stop=$TMPD/$sname.stop
	gen0=$(workers $master)
	timeout -k 5 60 env -u LD_PRELOAD "$HOSTPY" "$LOAD" load "$port" "$WWW" "$stop" 4 100000 40 /hello,/small.txt \
		>"$TMPD/$sname.load" 2>"$TMPD/$sname.loadlog" &
	client=$!
	timeout -k 5 60 env -u LD_PRELOAD wrk -t 2 -c 16 -d 6s "http://127.0.0.1:$port/hello" \
		>"$TMPD/$sname.wrk" 2>&1 &
	wrkpid=$!
	sleep 1.5
	kill -USR2 $master
	sleep 1.5
	gen1=$(workers $master)
	kill -USR2 $master
	sleep 1.5
	gen2=$(workers $master)
	sleep 1
	: >"$stop"
	wait $client
	wait $wrkpid
	{
		echo "$gen0"
		minus "$gen1" "$gen0"
		minus "$gen2" "$gen1"
	} >"$stop.gens"
	note "$sname: workers $gen0 -> $gen1 -> $gen2"
	"$HOSTPY" "$LOAD" gens "$stop.gens" "$TMPD/$sname.loadlog" >>"$TMPD/$sname.load"
	cat "$TMPD/$sname.load" >>"$TMPD/$sname.out"
	sed 's/^/# /' "$TMPD/$sname.loadlog"
	sed 's/^/# /' "$TMPD/$sname.wrk" | grep -E 'requests in|Socket errors|Non-2xx|Requests/sec'
	if grep -q 'Non-2xx' "$TMPD/$sname.wrk"; then
		echo "wrk: answers other than 2xx" >>"$TMPD/$sname.out"
	fi
	for g in $gen0; do
		case " $gen2 " in *" $g "*) echo "first worker $g still there after two reloads" >>"$TMPD/$sname.out" ;; esac
	done
	kill -USR1 $master
	finish "$sname"
	left=$(workers $master)
	[ -z "$left" ] || { kill -9 $left; echo "workers left running: $left" >>"$TMPD/$sname.out"; }
	# haproxy's log: how each worker exited is in it.
	# Pids and counts left out; versions and exit codes kept.
	sed -E 's/^(\[[A-Z]+\] +)\([0-9]+\)/\1(N)/; s/worker \([0-9]+\)/worker (N)/; s/(FE|BE): [0-9]+/\1: N/g' \
		"$TMPD/$sname.err" | sort -u | sed 's/^/stderr: /' >>"$TMPD/$sname.out"
	grep -h 'exited with code' "$TMPD/$sname.err" | sed 's/^/# /'
}

server haproxy-plain -
expect_ok haproxy-plain "haproxy"
sed 's/^/# /' "$TMPD/haproxy-plain.out"
grep -q '^requests: all answered correctly$' "$TMPD/haproxy-plain.out" &&
	! grep -q 'answered: no' "$TMPD/haproxy-plain.out" ||
	hard "haproxy without the shim did not answer every request or every generation: the test is broken"
server haproxy-shim ""
ok=0
same haproxy-plain haproxy-shim "haproxy reloaded under load" || ok=1
shim_errors haproxy-shim || ok=1
judge haproxy-shim --min-processes 4 || ok=1
[ $ok = 0 ] || exit 1
exit 0
