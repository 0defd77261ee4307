/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_report: the fuzz target for the report reader of `ptfreeze report`
 * (tools/reportfile.c) and its renderers (tools/render.c), and for the
 * writer's JSON string escaping (sb_json in src/fmt.c).
 *
 * The input is up to four report files separated by NUL bytes (a report
 * never holds one), so that merging a parent with its fork children is
 * reached too.  Each is written to a memfd and read back by its
 * /proc/self/fd path exactly as `ptfreeze report FILE...` reads files:
 * reportfile_peek, reportfile_read, reportfile_merge, then the text, JSON
 * and folded renderers.  Symbolisation is left out: it opens the module
 * files a report names, and a fuzzer must not open whatever host file a
 * mutation spells (tests/cli/hostile-report.sh covers a hostile module path).
 * Besides the sanitizers, the target aborts when a property breaks:
 *  - the JSON output is one document jansson reads back;
 *  - every folded line is "FRAME;FRAME... COUNT", one space, one line per
 *    site at most, with as many frames as the site's stack has;
 *  - what sb_json writes for any C string is one JSON string that jansson
 *    reads back, equal to the input when the input is valid UTF-8.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fmt.h"
#include "render.h"
#include "reportfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES 4

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_report: property broken: %s\n", what);
		abort();
	}
}

static void check_folded(const char *out, size_t len, const struct rf_set *set)
{
	size_t lines = 0;
	for (const char *p = out, *end = out + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		check(nl != NULL, "folded output does not end its last line");
		const char *sp = memchr(p, ' ', (size_t)(nl - p));
		check(sp != NULL && sp > p, "a folded line without 'STACK COUNT'");
		check(sp + 1 < nl, "a folded line without a count");
		for (const char *d = sp + 1; d < nl; d++) {
			check(*d >= '0' && *d <= '9', "a folded count that is not a number");
		}
		size_t frames = 0;
		for (const char *c = p; c < sp; c++) {
			frames += *c == ';';
		}
		bool depth_seen = false;
		for (size_t i = 0; i < set->ngroups; i++) {
			depth_seen |= set->groups[i].depth == frames;
		}
		check(depth_seen, "a folded line with a frame count no site has");
		lines++;
		p = nl + 1;
	}
	check(lines <= set->ngroups, "more folded lines than sites");
}

static void render_all(const struct rf_set *set)
{
	static FILE *devnull;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL) {
		abort();
	}
	render_text(devnull, set);

	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	check(mem != NULL, "open_memstream");
	check(render_json(mem, set) == 0, "render_json failed");
	fclose(mem);
	json_error_t err;
	json_t *doc = json_loadb(buf, len, 0, &err);
	check(json_is_object(doc), "the JSON output does not read back");
	json_decref(doc);
	free(buf);

	mem = open_memstream(&buf, &len);
	check(mem != NULL, "open_memstream");
	render_folded(mem, set);
	fclose(mem);
	check_folded(buf, len, set);
	free(buf);
}

/* sb_json of s (a C string, as every caller passes) must read back. */
static void check_escape(const char *s, size_t n)
{
	size_t cap = 6 * n + 3;
	char *out = malloc(cap);
	check(out != NULL, "malloc");
	struct sb sb;
	sb_init(&sb, out, cap);
	sb_json(&sb, s, n);
	check(!sb.overflow, "sb_json overflowed 6 bytes per byte");
	json_error_t err;
	json_t *v = json_loadb(out, sb.len, JSON_DECODE_ANY, &err);
	check(json_is_string(v), "sb_json wrote something that is not one JSON string");
	json_t *same = json_stringn(s, n); /* NULL when s is not valid UTF-8 */
	if (same) {
		check(json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0,
		      "sb_json changed a valid UTF-8 string");
	}
	json_decref(same);
	json_decref(v);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fds[MAX_FILES] = {-1, -1, -1, -1};
	char paths[MAX_FILES][64];
	size_t nfiles = 0;
	for (size_t i = 0; i <= size && nfiles < MAX_FILES;) {
		const uint8_t *z = memchr(data + i, '\0', size - i);
		size_t end = z ? (size_t)(z - data) : size;
		if (fds[nfiles] < 0 && (fds[nfiles] = memfd_create("report", MFD_CLOEXEC)) < 0) {
			abort();
		}
		int fd = fds[nfiles];
		if (ftruncate(fd, 0) != 0 || pwrite(fd, data + i, end - i, 0) != (ssize_t)(end - i)) {
			abort();
		}
		snprintf(paths[nfiles], sizeof(paths[nfiles]), "/proc/self/fd/%d", fd);
		if (nfiles == 0) {
			check_escape((const char *)data + i, strnlen((const char *)data + i, end - i));
		}
		nfiles++;
		i = end + 1;
	}

	struct rf_set set = {0};
	set.procs = calloc(nfiles, sizeof(*set.procs));
	check(set.procs != NULL, "calloc");
	for (size_t i = 0; i < nfiles; i++) {
		long pid, ppid;
		(void)reportfile_peek(paths[i], &pid, &ppid);
		struct rf_process *p = reportfile_read(paths[i]);
		if (p) {
			set.procs[set.nprocs++] = p;
		}
	}
	if (set.nprocs > 0) {
		reportfile_merge(&set);
		render_all(&set);
	}
	reportfile_free_set(&set);
	return 0;
}
