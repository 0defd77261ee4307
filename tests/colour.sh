#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Blocks above 16 KiB start on different 64-byte lines of their first page
# (src/arena.c lc_colour, docs/design.md "Colour"), so that their first
# bytes, and the bytes a page apart from them, do not all fall in the same
# few sets of the CPU's caches; judged from the addresses malloc returns:
# many offsets, each on a line, blocks apart and whole, usable sizes within
# the size class (and a page, from 64 KiB), the same block at the same
# address when reused, a colour for sizes that fill a class of 64 KiB or
# more (spans give them a page more) and none below, realloc and
# cross-thread frees intact.  Then the same program without the shim, as a check of the check.
. "${srcdir:-$(dirname "$0")}/lib.sh"
prog=$PROGS/colour

PTFREEZE_POOL=256M PTFREEZE_LOG=off shim "$prog" > "$TMPD/out" || fail "colour failed under the shim"
sed 's/^/# /' "$TMPD/out"
# 64 colours from a hash of the block's address: 64 blocks show about 40; fewer than 16 is no colouring.
[ "$(val offsets)" -ge 16 ] || fail "64 blocks above 16 KiB started at only $(val offsets) offsets in their page"
[ "$(val lines)" = 1 ] || fail "a block above 16 KiB did not start on a 64-byte line"
[ "$(val apart)" = 1 ] || fail "blocks overlapped: a block filled to its size lost its bytes"
[ "$(val usable)" = 1 ] || fail "malloc_usable_size was below the size asked or beyond the size class"
[ "$(val same)" = 1 ] || fail "a block freed and asked for again with its size came back at another address"
[ "$(val whole)" -ge 12 ] || fail "only $(val whole) of 16 blocks of a whole class of 64 KiB or more started off their page"
[ "$(val small)" = 16 ] || fail "only $(val small) of 16 blocks of a whole class of 20-56 KiB started on their page"
[ "$(val realloc)" = 1 ] || fail "realloc of a coloured block lost bytes"
[ "$(val cross)" = 1 ] || fail "blocks freed by another thread came back broken"

"$prog" > "$TMPD/plain" || fail "colour failed without the shim"
exit 0
