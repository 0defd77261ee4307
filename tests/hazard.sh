#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Writeback hazards, judged from the report: a writable shared mapping of a
# file on a disk-backed filesystem (/var/tmp) is a writeback-hazard record
# even during start-up; one on tmpfs (/dev/shm) or a read-only one is not.
. "${srcdir:-$(dirname "$0")}/lib.sh"
need_python
[ -d /dev/shm ] && [ -w /dev/shm ] || skip "no writable /dev/shm"
[ "$(stat -f -c %T /var/tmp)" != tmpfs ] || skip "/var/tmp is tmpfs here"
disk=$(mktemp /var/tmp/ptfreeze-hazard.XXXXXX)
mem=$(mktemp /dev/shm/ptfreeze-hazard.XXXXXX)
trap 'rm -rf "$TMPD" "$disk" "$mem"' EXIT
cat > "$TMPD/map.py" <<'PY'
import mmap, sys
for path, write in ((sys.argv[1], True), (sys.argv[2], True), (sys.argv[1], False)):
    with open(path, "r+b") as f:
        f.truncate(8192)
        m = mmap.mmap(f.fileno(), 8192, access=mmap.ACCESS_WRITE if write else mmap.ACCESS_READ)
        if write:
            m[0:5] = b"dirty"
        m.close()
print("mapped")
PY
out=$(PTFREEZE_ARM=manual PTFREEZE_LOG=off PTFREEZE_REPORT="$TMPD/r.jsonl" shim "$PY" "$TMPD/map.py" "$disk" "$mem") ||
	fail "python3 failed under the shim"
[ "$out" = mapped ] || fail "python3 printed '$out'"
n=$(grep '"type":"site"' "$TMPD/r.jsonl" | grep -c '"kind":"writeback-hazard"' || true)
grep '"kind":"writeback-hazard"' "$TMPD/r.jsonl" | grep -q "\"path\":\"$disk\"" || fail "no hazard for $disk"
grep '"kind":"writeback-hazard"' "$TMPD/r.jsonl" | grep -q "\"path\":\"$mem\"" && fail "a hazard for tmpfs $mem"
[ "$n" -eq 1 ] || fail "$n hazard records, want 1 (the read-only mapping is not one)"
note "hazard recorded for $disk only"
exit 0
