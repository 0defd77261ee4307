#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The smaps-diff record, judged against what the program did after arming:
# a file it mapped is in "added" (by address and path), the shared mapping
# it unmapped is in "removed", the anonymous region it mapped with a raw
# syscall before arming and touched 32 more pages of is in "changed" with
# RSS growth of at least 128K; the pool is marked, its size is the
# header's, and it is named in /proc/PID/maps exactly when the record says
# so.  `ptfreeze report` shows the diff in text and carries it in --json.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_python
export PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_MODE=report PTFREEZE_REPORT="$TMPD/r-%p.jsonl"
shim "$PROGS/smapsdiff" "$TMPD/file.dat" > "$TMPD/out.txt" || fail "smapsdiff failed"
cat "$TMPD/out.txt"
rep=$(ls "$TMPD"/r-*.jsonl) || fail "no report"
"$PY" - "$rep" "$TMPD/out.txt" "$TMPD/file.dat" <<'PYEOF' || fail "the smaps-diff record is wrong"
import json, sys
rep, out, path = sys.argv[1:4]
said = dict(l.split(None, 1) for l in open(out).read().splitlines())
recs = [json.loads(l) for l in open(rep)]
diffs = [r for r in recs if r["type"] == "smaps-diff"]
assert len(diffs) == 1, f"{len(diffs)} smaps-diff records"
d = diffs[0]
types = [r["type"] for r in recs]
assert types.index("smaps-diff") < types.index("summary"), "the diff must precede the summary"
def at(lst, addr):
    return [m for m in d[lst] if int(m["start"], 16) == int(addr, 16)]
a = at("added", said["file"])
assert a and a[0]["name"] == path and a[0]["size"] == 65536 and a[0]["perms"] == "r--p", f"file mapping not added: {d['added']}"
assert a[0]["rss"] == 65536, f"the file mapping's RSS is {a[0]['rss']}, want 64K (16 pages read)"
r = at("removed", said["gone"])
assert r and r[0]["size"] == 65536 and r[0]["perms"] == "rw-s", f"the unmapped region not removed: {d['removed']}"
# The kernel may merge the raw region with an anonymous neighbour: find the mapping that holds it.
raw = int(said["raw"], 16)
c = [m for m in d["changed"] if int(m["start"], 16) <= raw < int(m["end"], 16)]
assert c and c[0]["rss_delta"] >= 32 * 4096 and c[0]["size"] >= 64 * 4096, f"the raw region's growth is missing: {d['changed']}"
assert d["added_count"] >= 1 and d["removed_count"] >= 1 and d["changed_count"] >= 1
assert d["totals"]["rss"]["delta"] >= 32 * 4096 + 65536 - 4096 * 16, d["totals"]["rss"]
assert not d["truncated"]
hdr = recs[0]
assert d["pool"]["regions_at_exit"] >= 1 and d["pool"]["size"]["at_exit"] == hdr["pool"]["size"], (d["pool"], hdr["pool"]["size"])
assert d["pool"]["named"] == (said["pool-named"] == "yes"), "the record's pool.named disagrees with /proc/self/maps"
# Nothing of the pool was added, removed or lost its residency.
for lst in ("added", "removed"):
    assert not [m for m in d[lst] if m["pool"]], f"a pool region in {lst}"
assert d["pool"]["rss"]["delta"] >= 0
print("ok - added, removed and changed as the program did; pool", "named" if d["pool"]["named"] else "recognised by address")
PYEOF
grep -q '^pool-named yes' "$TMPD/out.txt" || note "this kernel does not name anonymous mappings (CONFIG_ANON_VMA_NAME): the pool is recognised by address"

CLI=$top_builddir/tools/ptfreeze
need_command
[ -x "$CLI" ] || hard "no $CLI"
"$CLI" report "$rep" > "$TMPD/text"
grep -q '^  since arm   RSS +' "$TMPD/text" || fail "report text has no 'since arm' line"
grep -qF "$TMPD/file.dat" "$TMPD/text" || fail "report text does not list the added file mapping"
grep -qE '^    - .* rw-s ' "$TMPD/text" || fail "report text does not list the removed mapping"
"$CLI" report --json "$rep" > "$TMPD/json"
"$PY" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
p = doc["processes"][0]
assert p["smaps_diff"] and p["smaps_diff"]["type"] == "smaps-diff", "no smaps_diff in --json"
assert p["tlb_shootdowns"]["scope"] == "system", "no tlb_shootdowns in --json"
' "$TMPD/json" || fail "report --json lacks the diff or the shootdowns"
exit 0
