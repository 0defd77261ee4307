#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# sqlite3 (the shell of Debian's sqlite3 package) builds a database of about
# 300 MB (500000 rows of 500-byte text, in WAL mode, whose -shm index is a
# shared file mapping), indexes it, queries it, deletes and rewrites part of
# it, VACUUMs it (a second copy of the whole database) and checks its
# integrity, with a 128 MB page cache on the heap.  Every query result and
# the exit status must be the same with and without the shim (armed 200 ms
# after start, before the bulk of the work).
. "$(dirname "$0")/lib.sh"
need_prog sqlite3 sqlite3
cat >"$TMPD/work.sql" <<'SQL'
.bail on
PRAGMA cache_size = -131072;
PRAGMA journal_mode = WAL;
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, body TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000)
INSERT INTO t SELECT x, x % 1000, 'name-' || (x * 7919 % 500009), printf('%0500d', x * 2654435761 % 1000000007) FROM c;
CREATE INDEX t_grp ON t(grp, name);
SELECT 'size ok', page_count * page_size > 250000000 FROM pragma_page_count(), pragma_page_size();
SELECT count(*), sum(length(body)), min(name), max(name), total(id * grp) FROM t;
SELECT grp, count(*), max(name), substr(min(body), -12) FROM t GROUP BY grp ORDER BY count(*) DESC, grp LIMIT 5;
CREATE TABLE g AS SELECT grp, count(*) AS n, group_concat(substr(name, 6), ',') AS names FROM t WHERE id % 97 = 0 GROUP BY grp;
SELECT sum(n), length(group_concat(names)), sum(length(names)) FROM g;
SELECT t.grp, g.n, count(*) FROM t JOIN g ON g.grp = t.grp WHERE t.id % 1001 = 0 GROUP BY t.grp ORDER BY t.grp LIMIT 5;
SELECT name, count(*) AS c FROM t GROUP BY name ORDER BY c DESC, name LIMIT 3;
DELETE FROM t WHERE id % 3 = 0;
UPDATE t SET body = upper(hex(substr(body, 1, 200))) || name WHERE id % 5 = 0;
INSERT INTO t(grp, name, body) SELECT grp, name || '-copy', body FROM t WHERE id % 11 = 1;
SELECT count(*), sum(length(body)), max(id) FROM t;
PRAGMA wal_checkpoint(TRUNCATE);
VACUUM;
PRAGMA integrity_check;
SELECT count(*), sum(length(body)), sum(grp), min(name), max(name) FROM t;
SELECT id, grp, name, substr(body, 1, 24) FROM t ORDER BY name DESC, id LIMIT 5;
SELECT 'shrunk', page_count * page_size < 300000000 FROM pragma_page_count(), pragma_page_size();
SQL
plain sq-plain sqlite3 -batch "$TMPD/plain.db" ".read $TMPD/work.sql"
expect_ok sq-plain "sqlite3"
rm -f "$TMPD"/plain.db*
sed 's/^/# /' "$TMPD/sq-plain.out"
# The page cache (128 MB), VACUUM's copy and the statements' sorters.
export PTFREEZE_POOL=512M
under sq-shim delay:200ms sqlite3 -batch "$TMPD/shim.db" ".read $TMPD/work.sql"
rm -f "$TMPD"/shim.db*
ok=0
same sq-plain sq-shim "sqlite3" || ok=1
shim_errors sq-shim || ok=1
judge sq-shim || ok=1
[ $ok = 0 ] || exit 1
PTFREEZE_SECCOMP=on under sq-seccomp delay:200ms sqlite3 -batch "$TMPD/seccomp.db" ".read $TMPD/work.sql"
rm -f "$TMPD"/seccomp.db*
seccomp_note sq-seccomp sq-plain "sqlite3"
exit 0
