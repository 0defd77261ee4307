#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Invalid input to ptfreeze report: status 2 and one clear line naming the
# file (and line) each time, while whatever is valid is still printed:
# garbage, an empty file, a corrupt line in the middle, a first record that
# is not a header, a summary site that blocked more calls than it counted
# or has a negative count,
# a newer format version, a missing file, a directory
# without reports, no reports in the current directory.  An empty file or
# a cut header found in a directory is a process killed as it created its
# report: a warning, and the rest is read.
. "$(dirname "$0")/lib.sh"
G="$TMPD/good"
run_probe "$G"
good=$(ls "$G"/r-*.jsonl)

printf 'hello, world\n' > "$TMPD/garbage.jsonl"
pf report "$TMPD/garbage.jsonl"
expect_status 2 "a garbage file"
one_error_line "a garbage file" 'garbage\.jsonl:1:'

: > "$TMPD/empty.jsonl"
pf report "$TMPD/empty.jsonl"
expect_status 2 "an empty file"
one_error_line "an empty file" 'empty\.jsonl: empty'

{ head -n 1 "$good"; echo 'not json'; tail -n 1 "$good"; } > "$TMPD/middle.jsonl"
pf report "$TMPD/middle.jsonl"
expect_status 2 "a corrupt line in the middle"
one_error_line "a corrupt line in the middle" 'middle\.jsonl:2:'

sed -n 2p "$good" > "$TMPD/noheader.jsonl"
pf report "$TMPD/noheader.jsonl"
expect_status 2 "a first record that is not a header"
one_error_line "a first record that is not a header" 'noheader\.jsonl:1: .*header'

# A summary whose site blocked more calls than it counted (found by fuzzing:
# the JSON output printed count - blocked as a huge number).
sed '/"type":"summary"/s/"blocked":0/"blocked":999999/' "$good" > "$TMPD/overblocked.jsonl"
grep -q '"blocked":999999' "$TMPD/overblocked.jsonl" || hard "the probe's summary has no site with \"blocked\":0"
pf report --json "$TMPD/overblocked.jsonl"
expect_status 2 "a summary site that blocked more calls than it counted"
one_error_line "a summary site that blocked more calls than it counted" 'overblocked\.jsonl:[0-9]*: summary: site [0-9]* blocked more calls than it counted'

sed '/"type":"summary"/s/"count":\([0-9]\)/"count":-\1/' "$good" > "$TMPD/negative.jsonl"
pf report --json "$TMPD/negative.jsonl"
expect_status 2 "a summary site with a negative count"
one_error_line "a summary site with a negative count" 'negative\.jsonl:[0-9]*: summary: site [0-9]* has a negative count'

head -n 1 "$good" | sed 's/"version":1,/"version":99,/' > "$TMPD/v99.jsonl"
pf report "$TMPD/v99.jsonl"
expect_status 2 "a newer format version"
one_error_line "a newer format version" 'version 99'

pf report "$TMPD/no-such-file.jsonl"
expect_status 2 "a missing file"
one_error_line "a missing file" 'no-such-file'

mkdir -p "$TMPD/nothing-here"
echo text > "$TMPD/nothing-here/notes.txt"
pf report "$TMPD/nothing-here"
expect_status 2 "a directory without reports"
one_error_line "a directory without reports" 'nothing-here: no report files'

cd "$TMPD/nothing-here" || hard cd
pf report
expect_status 2 "no reports in the current directory"
one_error_line "no reports in the current directory" 'no report files'
cd "$TMPD" || hard cd

# One bad file among good ones: the good one is printed, the status is 2.
pf report "$good" "$TMPD/garbage.jsonl"
expect_status 2 "a good and a garbage file"
one_error_line "a good and a garbage file" 'garbage\.jsonl:1:'
grep -q do_mprotect "$TMPD/out" || fail "the good report was not printed next to the bad one"
# A directory's file that is empty or whose header was cut short is a process killed as its report
# was created, not damage: one warning line each, the rest printed, the status the rest gives (1:
# the good report has violations).  All skipped: status 2.
mkdir -p "$TMPD/stillborn"
cp "$good" "$TMPD/stillborn/"
: > "$TMPD/stillborn/ptfreeze-sort-1.jsonl"
head -c 40 "$good" > "$TMPD/stillborn/ptfreeze-sort-2.jsonl"
pf report "$TMPD/stillborn"
expect_status 1 "a directory with a good report (violations), an empty one and a cut header"
[ "$(grep -c '^ptfreeze: warning: .*killed as its report was created; skipped' "$TMPD/err")" -eq 2 ] &&
	[ "$(wc -l < "$TMPD/err")" -eq 2 ] ||
	fail "an empty file and a cut header in a directory: want two warning lines, got: $(cat "$TMPD/err")"
grep -q do_mprotect "$TMPD/out" || fail "the good report was not printed next to the killed processes' files"
rm "$TMPD/stillborn/$(basename "$good")"
pf report "$TMPD/stillborn"
expect_status 2 "a directory whose only files are a killed process's"
grep -q '^ptfreeze: error: no report to read' "$TMPD/err" || fail "every file skipped: no error line: $(cat "$TMPD/err")"
note "invalid input: status 2, one line each; a killed process's file in a directory: a warning"
exit 0
