/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_ptfreeze: the unit-test suites for the shim's internal modules, one
 * check_<module>.c per src/<module>.c, run by check_main.c.  The tests link
 * src/libptfreeze_core.la statically and call its hidden functions directly.
 *
 * Every test runs in its own forked child (the runner forces CK_FORK), so a
 * test may reserve a pool, change `config` or arm the phase without cleaning
 * up after itself; pmap, capture and report keep static state that has no
 * reset, and the suites rely on the fork for isolation.
 *
 * Include "pool.h" rather than "config.h" here: from tests/unit a bare
 * "config.h" can resolve to the top-level autoheader file.
 */
#ifndef PTFREEZE_CHECK_PTFREEZE_H
#define PTFREEZE_CHECK_PTFREEZE_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include "pool.h" /* also src/config.h */

Suite *fmt_suite(void);
Suite *kinds_suite(void);
Suite *config_suite(void);
Suite *pool_suite(void);
Suite *spare_suite(void);
Suite *pmap_suite(void);
Suite *capture_suite(void);
Suite *report_suite(void);
Suite *guard_suite(void);
Suite *sys_suite(void);
Suite *suppress_suite(void);
Suite *tstack_suite(void);
Suite *smaps_suite(void);
Suite *faults_suite(void);
Suite *procfs_suite(void);
Suite *phdr_suite(void);
Suite *writeback_suite(void);
Suite *hostspec_suite(void);
Suite *serve_suite(void);

/* Helpers shared by the suites (check_main.c). */

/* Prints "note: ..." on stderr: a test that passes without checking what it
 * could not check on this host says why (Check has no per-test skip). */
void unit_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends fd 2 to /dev/null for the rest of the test: for tests that make the
 * shim log on purpose, many times (Check's own messages do not use fd 2). */
void unit_quiet_stderr(void);

/* A fresh private directory inside the run's directory under $TMPDIR (or
 * /tmp), removed by the runner after every test ran; fails the test if it
 * cannot be made. */
void unit_tmpdir(char *out, size_t cap);
/* Removes a directory made by unit_tmpdir() and everything in it. */
void unit_rmtree(const char *dir);
/* Reads a whole file into a NUL-terminated malloc'd buffer; NULL on error. */
char *unit_slurp(const char *path, size_t *len);

/*
 * A strict JSON (RFC 8259) validator for one value spanning s[0..n):
 * strings must be valid UTF-8 (no overlong forms, no surrogates) and free
 * of raw control characters.  Returns true if s is exactly one value,
 * optionally surrounded by whitespace.
 */
bool unit_json_valid(const char *s, size_t n);

/* Reserves a small 4K-page pool for the test (pool_reserve with HUGEPAGES_NONE). */
void unit_pool_small(size_t size);

#endif
