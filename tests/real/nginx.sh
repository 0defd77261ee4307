#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# nginx (a master and 2 worker processes, on 127.0.0.1 only) under the shim
# with DEFAULT settings (only LD_PRELOAD, and the report directory), reloaded
# twice under load: a checking client (tests/real/httpload.py, 4 threads, a
# new connection per request) fetches 3 static files (1 KiB to 2 MiB) and a
# `return` location and checks every status and body, while wrk keeps 16
# keep-alive connections busy; meanwhile `nginx -s reload` (under the shim
# too) and then a SIGHUP each replace the workers; then `nginx -s quit`.
# Must be the same with and without the shim: every request answered
# correctly, each generation of workers answered, the workers replaced,
# the reload command's output and status, the error log's lines (at level
# warn: none; nginx makes it its standard error), the master's standard
# error and exit status.  The reports are judged
# (tests/real/judge.py).
. "$(dirname "$0")/lib.sh"
need_prog nginx nginx
need_prog wrk wrk
need_root "nginx's workers run as root in a private temp dir"
LOAD=$real_dir/httpload.py
WWW=$TMPD/www
mkdir -p "$WWW"
"$HOSTPY" "$LOAD" files "$WWW" || hard "cannot write the site's files"

# server NAME ARM|-: one run; what must match goes to $TMPD/NAME.out (the
# master's standard output, then the session's lines).
server() {
	sname=$1 sarm=$2
	P=$TMPD/$sname-prefix
	mkdir -p "$P"
	port=$(free_port)
	cat >"$P/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
user root;
pid $P/nginx.pid;
error_log $P/error.log warn;
events { worker_connections 256; }
http {
	access_log $P/access.log;
	client_body_temp_path $P/body;
	proxy_temp_path $P/proxy;
	fastcgi_temp_path $P/fastcgi;
	uwsgi_temp_path $P/uwsgi;
	scgi_temp_path $P/scgi;
	default_type application/octet-stream;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$port;
		root $WWW;
		add_header X-Pid \$pid always;
		location = /hello { return 200 "hello from the server\n"; }
	}
}
CONF
	# The nginx commands of this run: under the shim or not, like the master.
	if [ "$sarm" = - ]; then
		ngx() { env -u LD_PRELOAD nginx "$@"; }
		start "$sname" - nginx -p "$P" -e "$P/error.log" -c "$P/nginx.conf"
	else
		# shellcheck disable=SC2046
		ngx() {
			mkdir -p "$TMPD/$sname-cmd"
			env $(default_env) LD_PRELOAD="$SHIM" PTFREEZE_REPORT="$TMPD/$sname-cmd/%e-%p.jsonl" \
				${REAL_SHIM_ENV:-} nginx "$@"
		}
		dstart "$sname" "" nginx -p "$P" -e "$P/error.log" -c "$P/nginx.conf"
	fi
	master=$pid
	if ! "$HOSTPY" "$LOAD" wait "$port"; then
		kill $master
		cat "$P/error.log" "$TMPD/$sname.err" >&2
		hard "$sname: nginx did not listen on port $port"
	fi
	# Past the default arming (delay:1s): the master is armed when the load starts.
	sleep 1.5
	stop=$TMPD/$sname.stop
	gen0=$(workers $master)
	timeout -k 5 60 env -u LD_PRELOAD "$HOSTPY" "$LOAD" load "$port" "$WWW" "$stop" 4 100000 40 \
		>"$TMPD/$sname.load" 2>"$TMPD/$sname.loadlog" &
	client=$!
	timeout -k 5 60 env -u LD_PRELOAD wrk -t 2 -c 16 -d 6s "http://127.0.0.1:$port/medium.bin" \
		>"$TMPD/$sname.wrk" 2>&1 &
	wrkpid=$!
	sleep 1.5
	ngx -p "$P" -e "$P/error.log" -c "$P/nginx.conf" -s reload >"$TMPD/$sname.reload" 2>&1
	echo "nginx -s reload: status $?, output: $(cat "$TMPD/$sname.reload")" >>"$TMPD/$sname.out"
	# The new workers (the old ones finish their requests and leave).
	sleep 1.5
	gen1=$(workers $master)
	kill -HUP $master
	sleep 1.5
	gen2=$(workers $master)
	sleep 1
	: >"$stop"
	wait $client
	wait $wrkpid
	# Each generation: the workers the master had after that reload, minus
	# the old ones still finishing.
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
	echo "error log: $(grep -cE '\[(alert|crit|emerg)\]' "$P/error.log") alert, crit or emerg lines" >>"$TMPD/$sname.out"
	grep -E '\[(alert|crit|emerg)\]' "$P/error.log" | head -n 5 | sed 's/^/# /'
	ngx -p "$P" -e "$P/error.log" -c "$P/nginx.conf" -s quit >>"$TMPD/$sname.reload" 2>&1
	echo "nginx -s quit: status $?" >>"$TMPD/$sname.out"
	finish "$sname"
	left=$(workers $master)
	[ -z "$left" ] || { kill -9 $left; echo "workers left running: $left" >>"$TMPD/$sname.out"; }
	# The error log is the program's output too (nginx makes it its
	# standard error): its lines, dates and numbers left out, must match.
	sed -E 's@^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} @@; s/[0-9]+/N/g' "$P/error.log" | sort -u |
		sed 's/^/error log: /' >>"$TMPD/$sname.out"
}

server nginx-plain -
expect_ok nginx-plain "nginx"
sed 's/^/# /' "$TMPD/nginx-plain.out"
grep -q '^requests: all answered correctly$' "$TMPD/nginx-plain.out" &&
	! grep -q 'answered: no' "$TMPD/nginx-plain.out" ||
	hard "nginx without the shim did not answer every request or every generation: the test is broken"
server nginx-shim ""
ok=0
same3 nginx-plain nginx-shim "nginx reloaded under load" || ok=1
shim_errors nginx-shim || ok=1
judge nginx-shim --min-processes 5 || ok=1
[ $ok = 0 ] || exit 1
exit 0
