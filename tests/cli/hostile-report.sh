#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `ptfreeze report` on hostile report files: it neither hangs nor crashes,
# and says what is wrong in one line.
#  - a module path naming a FIFO or a device: not opened for symbols (a
#    FIFO used to hang the symboliser), one warning, sites still shown;
#  - a site with an empty kind, a line nested 100000 deep, a 4 MB string,
#    bytes that are not UTF-8: the file is invalid, one error line naming
#    it and the line, status 2.
. "$(dirname "$0")/lib.sh"
run_probe "$TMPD/r"
f=$(ls "$TMPD"/r/r-*.jsonl)
grep -q "\"path\":\"[^\"]*/tests/cli/probe\"" "$f" || hard "the probe's module record is not in its report"
# Every hostile run gets a deadline: a hang is a failure, not a stuck suite.
pf_bounded() {
	st=0
	timeout 60 "$PTFREEZE" "$@" > "$TMPD/out" 2> "$TMPD/err" || st=$?
	[ $st -ne 124 ] || fail "ptfreeze $* did not finish in 60 s"
}

mkfifo "$TMPD/fifo"
for target in "$TMPD/fifo" /dev/zero; do
	sed "s#\"path\":\"[^\"]*/tests/cli/probe\"#\"path\":\"$target\"#" "$f" > "$TMPD/module.jsonl"
	pf_bounded report "$TMPD/module.jsonl"
	expect_status 1 "a module path naming $target"
	grep -q "^ptfreeze: warning: $target: cannot read (not a regular file)" "$TMPD/err" ||
		fail "$target as a module: no warning: $(cat "$TMPD/err")"
	grep -q '^site 1: ' "$TMPD/out" || fail "$target as a module: the sites are lost"
done

invalid() { # FILE WHAT
	pf_bounded report "$1"
	expect_status 2 "$2"
	one_error_line "$2" "$(basename "$1"):[0-9]+: "
}
head -n 1 "$f" > "$TMPD/kind.jsonl"
echo '{"type":"site","id":1,"kind":"","stack":[]}' >> "$TMPD/kind.jsonl"
invalid "$TMPD/kind.jsonl" "a site with an empty kind"

head -n 1 "$f" > "$TMPD/deep.jsonl"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; print "" }' >> "$TMPD/deep.jsonl"
invalid "$TMPD/deep.jsonl" "a line nested 100000 deep"

head -n 1 "$f" > "$TMPD/long.jsonl"
{ printf '{"type":"note","x":"'; head -c 4194304 /dev/zero | tr '\0' a; echo '"}'; printf 'x\n'; } >> "$TMPD/long.jsonl"
invalid "$TMPD/long.jsonl" "a 4 MB string followed by garbage"

head -n 1 "$f" > "$TMPD/utf8.jsonl"
printf '{"type":"site","id":1,"kind":"mmap\377","stack":[]}\n' >> "$TMPD/utf8.jsonl"
invalid "$TMPD/utf8.jsonl" "bytes that are not UTF-8"
note "FIFO and device module paths, empty kind, deep nesting, a 4 MB line, bad UTF-8: no hang, no crash"
exit 0
