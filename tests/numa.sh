#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# PTFREEZE_NUMA_NODE, judged from outside while the probe is paused:
#  - node 0: /proc/PID/numa_maps shows the pool's mappings with the policy
#    prefer:0 and their pages on node 0; the report's pool says bound, and
#    its bytes on node 0 agree with numa_maps (about the pool's size);
#  - node 7 (absent here): one error line naming the node, the pool keeps
#    the default policy, the report says not bound, and the program's
#    output is what it is without the variable.
. "${srcdir:-$(dirname "$0")}/lib.sh"
[ -r /proc/self/numa_maps ] || skip "this kernel has no /proc/PID/numa_maps (no NUMA support)"
[ -d /sys/devices/system/node/node0 ] || skip "no NUMA node 0 in sysfs"
[ -d /sys/devices/system/node/node7 ] && skip "this machine has a node 7: the absent-node case needs a node that does not exist"
need_python
probe=$PROGS/probe
lib=$PROGS/.libs/libdlopen_target.so
export PTFREEZE_ARM=signal:USR2 PTFREEZE_LOG=off PTFREEZE_POOL=64M

# run_paused NODE TAG: runs the probe paused with PTFREEZE_NUMA_NODE=NODE
# ("" for unset); leaves in $TMPD the numa_maps lines of its pool in
# TAG.numa (the pool's regions are in the report's header, written before
# the program runs), its output in TAG.out, stderr in TAG.err and its
# report in TAG.jsonl.
run_paused() {
	( if [ -n "$1" ]; then export PTFREEZE_NUMA_NODE=$1; fi
	  PTFREEZE_REPORT="$TMPD/$2-%p.jsonl" exec env LD_PRELOAD="$SHIM" "$probe" "$lib" --pause ) > "$TMPD/$2.out" 2> "$TMPD/$2.err" &
	pid=$!
	i=0
	while ! grep -q paused "$TMPD/$2.out" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || { kill -9 $pid; fail "probe never paused ($2)"; }
		sleep 0.1
	done
	# The probe forks: its own report is the one that is not a fork child's.
	mv "$TMPD/$2-$pid.jsonl" "$TMPD/$2.jsonl" || fail "no report for the probe ($2)"
	# The pool's regions, from the report's header; numa_maps lines inside them.
	"$PY" -c 'import json,sys
regs=[(int(r["start"],16),int(r["start"],16)+r["size"]) for r in json.loads(open(sys.argv[1]).readline())["pool"]["regions"]]
for l in open(sys.argv[2]):
    a=int(l.split()[0],16)
    if any(s<=a<e for s,e in regs): sys.stdout.write(l)' "$TMPD/$2.jsonl" /proc/$pid/numa_maps > "$TMPD/$2.numa"
	kill -9 $pid; wait $pid 2>/dev/null
	[ -s "$TMPD/$2.numa" ] || fail "no numa_maps line for the pool ($2)"
}

# bytes_on_node0 FILE: the pages on node 0 of numa_maps lines, in bytes.
bytes_on_node0() {
	awk '{ps=4; n=0; for(i=1;i<=NF;i++){ if($i ~ /^kernelpagesize_kB=/){split($i,a,"=");ps=a[2]} if($i ~ /^N0=/){split($i,b,"=");n=b[2]} } t+=n*ps*1024 } END{print t+0}' "$1"
}
# header_numa REPORT FIELD: the header pool's numa field (bytes_by_node.0 for the bytes).
header_numa() {
	"$PY" -c 'import json,sys
h=json.loads(open(sys.argv[1]).readline())["pool"]["numa"]
v=(h["bytes_by_node"] or {}).get("0",0) if sys.argv[2]=="bytes0" else h[sys.argv[2]]
print(json.dumps(v))' "$1" "$2"
}

pool=$((64 << 20))
run_paused 0 n0
cat "$TMPD/n0.numa"
grep -v ' prefer:0 ' "$TMPD/n0.numa" && fail "a pool mapping without the policy prefer:0"
[ -s "$TMPD/n0.err" ] && { cat "$TMPD/n0.err"; fail "node 0 printed something on stderr"; }
b=$(bytes_on_node0 "$TMPD/n0.numa")
note "numa_maps: $b bytes of the pool on node 0 (pool $pool)"
[ "$b" -ge $((pool * 9 / 10)) ] || fail "only $b bytes of the $pool-byte pool are on node 0"
[ "$(header_numa "$TMPD/n0.jsonl" bound)" = true ] || fail "the report does not say the pool is bound"
[ "$(header_numa "$TMPD/n0.jsonl" node)" = 0 ] || fail "the report does not name node 0"
rb=$(header_numa "$TMPD/n0.jsonl" bytes0)
note "report: $rb bytes on node 0"
[ "$rb" -ge $((pool * 9 / 10)) ] || fail "the report puts only $rb bytes on node 0"

run_paused 7 n7
[ "$(wc -l < "$TMPD/n7.err")" -eq 1 ] || { cat "$TMPD/n7.err"; fail "node 7: expected exactly one line on stderr"; }
grep -q 'error: PTFREEZE_NUMA_NODE: node 7 does not exist' "$TMPD/n7.err" || fail "node 7: the line does not say the node does not exist"
grep -v ' default ' "$TMPD/n7.numa" && fail "node 7: a pool mapping has a policy"
[ "$(header_numa "$TMPD/n7.jsonl" bound)" = false ] || fail "node 7: the report says bound"
run_paused "" none
cmp -s "$TMPD/none.out" "$TMPD/n7.out" || fail "node 7 changed the program's output"

# The ptfreeze command's option sets the variable.
need_command
"$top_builddir/tools/ptfreeze" run --numa-node 0 --report "$TMPD/run-%p.jsonl" -- "$PROGS/probe" "$lib" > /dev/null 2>&1 ||
	fail "ptfreeze run --numa-node 0 failed"
r=$(grep -l '"fork_child":false' "$TMPD"/run-*.jsonl 2>/dev/null | head -1)
[ -n "$r" ] || fail "ptfreeze run --numa-node wrote no report"
[ "$(header_numa "$r" node)" = 0 ] || fail "ptfreeze run --numa-node 0 did not reach the library"
exit 0
