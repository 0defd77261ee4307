#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The report reader's scanner (tools/reportfile_scan.c) reads a site
# record's few fields from its line and leaves the rest to jansson, for the
# sites shown; PTFREEZE_REPORT_PARSE=jansson parses every record whole, as
# before.  Both ways must print the same bytes (text, --all, --json,
# --suppressions-out), the same error lines and the same status, on the
# fuzz corpus, on reports of real runs (the probe, its fork child, C++
# sites), and on variants of them the scanner does not take or must read
# exactly as jansson does: escapes, non-ASCII, reals, big integers,
# duplicate keys, odd stacks, malformed lines.
. "$(dirname "$0")/lib.sh"
need_py() { [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"; }
need_py
C=$TMPD/cases
mkdir -p "$C"
cp -r "$top_srcdir"/tests/fuzz/corpus/report/* "$C/"
chmod -R u+w "$C"

# Real runs: the probe with a fork child, and C++ sites.
run_probe "$C/probe-fork" --fork
pf run --arm manual --report "$C/cxx-%p.jsonl" -- "$top_builddir/tests/cli/cxxsite"
ls "$C"/cxx-*.jsonl > /dev/null 2>&1 || fail "cxxsite wrote no report: $(cat "$TMPD/err")"

# Variants of the demo report, one change each (python's json writes what jansson reads).
/usr/bin/python3 - "$C/demo.jsonl" "$C" << 'PYEOF'
import json, sys
src, out = sys.argv[1], sys.argv[2]
lines = open(src).read().splitlines()
def site_lines():
    return [i for i, l in enumerate(lines) if l.startswith('{"type":"site"')]
def write(name, ls):
    open(f"{out}/v-{name}.jsonl", "w").write("".join(l + "\n" for l in ls))
def edit(name, fn):
    ls = list(lines)
    i = site_lines()[0]
    ls[i] = fn(ls[i])
    write(name, ls)
def jedit(name, fn):
    def f(l):
        rec = json.loads(l)
        fn(rec)
        return json.dumps(rec, separators=(",", ":"))
    edit(name, f)
jedit("escape-detail", lambda r: r.update(detail='a "quoted"\tdetail \\ here'))
jedit("unicode-path", lambda r: r["args"].update(path="/tmp/caf\u00e9 \u2603.log", **{"class": "file"}))
edit("raw-utf8", lambda l: l.replace('"detail":"', '"detail":"caf\u00e9 '))
jedit("real-bytes", lambda r: r.update(bytes=65536.0))
jedit("exp-t_ns", lambda r: r.update(t_ns=1e3))
jedit("big-result", lambda r: r.update(result=18446744073709551615))
jedit("llong-max", lambda r: r.update(result=9223372036854775807))
jedit("llong-max-plus-1", lambda r: r.update(result=9223372036854775808))
jedit("llong-min", lambda r: r.update(result=-9223372036854775808))
jedit("llong-min-minus-1", lambda r: r.update(result=-9223372036854775809))
jedit("t_ns-19-digits", lambda r: r.update(t_ns=1796547788797332317))
jedit("id-string", lambda r: r.update(id="1"))
jedit("kind-empty", lambda r: r.update(kind=""))
jedit("no-kind", lambda r: r.pop("kind"))
jedit("stack-not-array", lambda r: r.update(stack="0x1"))
jedit("stack-no-0x", lambda r: r["stack"].__setitem__(1, "5612b112b4e8"))
jedit("stack-number", lambda r: r["stack"].__setitem__(2, 12345))
jedit("stack-0x-only", lambda r: r["stack"].__setitem__(0, "0x"))
jedit("stack-uppercase", lambda r: r["stack"].__setitem__(0, "0xABCDEF"))
jedit("stack-long", lambda r: r["stack"].__setitem__(0, "0x" + "0" * 120 + "1"))
jedit("stack-17-digits", lambda r: r["stack"].__setitem__(0, "0x1" + "0" * 16))
jedit("stack-empty", lambda r: r.update(stack=[]))
jedit("args-not-object", lambda r: r.update(args=[1, 2]))
jedit("args-nested", lambda r: r["args"].update(extra={"a": [1, {"b": None, "c": True}], "d": False}))
jedit("fault-class", lambda r: r.update(kind="page-fault", args={"class": "pool", "path": "[anon]"}))
edit("dup-kind", lambda l: l.replace('"kind":"mmap"', '"kind":"mmap","kind":"munmap"'))
edit("dup-type", lambda l: l[:-1] + ',"type":"module"}')
edit("dup-stack", lambda l: l[:-1] + ',"stack":["0x1"]}')
edit("dup-id", lambda l: l.replace('"id":1,', '"id":1,"id":7,'))
edit("spaces", lambda l: l.replace(',', ' ,\t').replace(':', ' : '))
edit("leading-zero", lambda l: l.replace('"id":1,', '"id":01,'))
edit("negative-zero", lambda l: l.replace('"errno":0', '"errno":-0'))
edit("trailing-garbage", lambda l: l + "x")
edit("trailing-comma", lambda l: l[:-1] + ",}")
edit("missing-brace", lambda l: l[:-1])
edit("bad-literal", lambda l: l.replace('"errno":0', '"errno":nul'))
edit("control-char", lambda l: l.replace('"detail":"', '"detail":"\x01'))
edit("nul-byte", lambda l: l.replace('"detail":"', '"detail":"\x00'))
edit("unterminated", lambda l: l.replace('"detail":"shared file mapping",', '"detail":"shared'))
edit("deep", lambda l: l[:-1] + ',"deep":' + "[" * 40 + "]" * 40 + "}")
# A site record first, before the header; a summary with odd entries.
ls = list(lines)
i = site_lines()[0]
write("site-first", [ls[i]] + ls)
def summary(name, fn):
    ls = list(lines)
    for k, l in enumerate(ls):
        if l.startswith('{"type":"summary"'):
            rec = json.loads(l)
            fn(rec)
            ls[k] = json.dumps(rec, separators=(",", ":"))
    write(name, ls)
summary("summary-only-site", lambda r: r["sites"].append({"id": 99, "kind": "mprotect", "count": 5, "blocked": 0, "bytes": 4096, "first_ns": 1, "last_ns": 2}))
summary("summary-entry-not-object", lambda r: r["sites"].append(7))
summary("summary-entry-no-id", lambda r: r["sites"].append({"kind": "mmap"}))
summary("summary-entry-escape", lambda r: r["sites"].append({"id": 98, "kind": "m\u00e9\"x", "count": 2}))
summary("summary-entry-real", lambda r: r["sites"][0].update(count=2.5))
summary("summary-sites-object", lambda r: r.update(sites={}))
summary("summary-count-string", lambda r: r["sites"][0].update(count="3"))
summary("summary-big-count", lambda r: r["sites"][0].update(count=9223372036854775807, bytes=9223372036854775808))
PYEOF

n=0
for f in "$C"/*; do
	for args in "" "--all" "--json" "--suppressions-out $TMPD/supp"; do
		# shellcheck disable=SC2086 # args are words
		"$PTFREEZE" report $args "$f" > "$TMPD/new.out" 2> "$TMPD/new.err"
		st_new=$?
		[ -z "$args" ] || [ "${args#--supp}" = "$args" ] || cp "$TMPD/supp" "$TMPD/supp.new" 2> /dev/null
		# shellcheck disable=SC2086
		PTFREEZE_REPORT_PARSE=jansson "$PTFREEZE" report $args "$f" > "$TMPD/old.out" 2> "$TMPD/old.err"
		st_old=$?
		[ "$st_new" -eq "$st_old" ] || fail "${f##*/} $args: status $st_new scanned, $st_old parsed whole"
		cmp -s "$TMPD/new.out" "$TMPD/old.out" ||
			fail "${f##*/} $args: the output differs: $(diff "$TMPD/old.out" "$TMPD/new.out" | head -n 10)"
		cmp -s "$TMPD/new.err" "$TMPD/old.err" ||
			fail "${f##*/} $args: the error lines differ: $(diff "$TMPD/old.err" "$TMPD/new.err" | head -n 10)"
		if [ "${args#--supp}" != "$args" ] && [ -f "$TMPD/supp.new" ]; then
			cmp -s "$TMPD/supp" "$TMPD/supp.new" || fail "${f##*/}: the suppression rules differ"
			rm -f "$TMPD/supp" "$TMPD/supp.new"
		fi
		n=$((n + 1))
	done
done
# The variants are read at all: the scanner's cases and jansson's errors both occur.
grep -l . "$C"/v-*.jsonl > /dev/null || hard "no variants written"
PTFREEZE_REPORT_PARSE=jansson "$PTFREEZE" report "$C/v-trailing-garbage.jsonl" > /dev/null 2> "$TMPD/err"
grep -q "v-trailing-garbage.jsonl:[0-9]*: not a JSON object (corrupt report: " "$TMPD/err" ||
	fail "a malformed site line is not named with its line: $(cat "$TMPD/err")"
note "$n runs, scanned and parsed whole, printed the same"
exit 0
