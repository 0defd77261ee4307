/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render_args: a record's arguments decoded for people (prot, map and
 * mremap flags, madvise advice, sizes), for the text output (see render.h).
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cli.h"

struct bitname {
	unsigned long bit;
	const char *name;
};

static void put_bits(FILE *out, unsigned long v, const struct bitname *names, size_t n, const char *zero)
{
	if (v == 0) {
		fputs(zero, out);
		return;
	}
	const char *sep = "";
	for (size_t i = 0; i < n; i++) {
		if (names[i].bit && (v & names[i].bit) == names[i].bit) {
			fprintf(out, "%s%s", sep, names[i].name);
			sep = "|";
			v &= ~names[i].bit;
		}
	}
	if (v) {
		fprintf(out, "%s0x%lx", sep, v);
	}
}

static const struct bitname prot_names[] = {
	{PROT_READ, "READ"}, {PROT_WRITE, "WRITE"}, {PROT_EXEC, "EXEC"},
};

static const struct bitname map_names[] = {
	{MAP_SHARED, "SHARED"},       {MAP_PRIVATE, "PRIVATE"},     {MAP_FIXED, "FIXED"},
	{MAP_ANONYMOUS, "ANONYMOUS"}, {MAP_NORESERVE, "NORESERVE"}, {MAP_POPULATE, "POPULATE"},
	{MAP_HUGETLB, "HUGETLB"},     {MAP_STACK, "STACK"},         {MAP_GROWSDOWN, "GROWSDOWN"},
#ifdef MAP_FIXED_NOREPLACE
	{MAP_FIXED_NOREPLACE, "FIXED_NOREPLACE"},
#endif
};

static const struct bitname mremap_names[] = {
	{MREMAP_MAYMOVE, "MAYMOVE"},
	{MREMAP_FIXED, "FIXED"},
#ifdef MREMAP_DONTUNMAP
	{MREMAP_DONTUNMAP, "DONTUNMAP"},
#endif
};

static const char *advice_name(long long a)
{
	static const struct {
		int advice;
		const char *name;
	} names[] = {
		{MADV_NORMAL, "MADV_NORMAL"},       {MADV_RANDOM, "MADV_RANDOM"},         {MADV_SEQUENTIAL, "MADV_SEQUENTIAL"},
		{MADV_WILLNEED, "MADV_WILLNEED"},   {MADV_DONTNEED, "MADV_DONTNEED"},     {MADV_FREE, "MADV_FREE"},
		{MADV_REMOVE, "MADV_REMOVE"},       {MADV_DONTFORK, "MADV_DONTFORK"},     {MADV_DOFORK, "MADV_DOFORK"},
		{MADV_MERGEABLE, "MADV_MERGEABLE"}, {MADV_UNMERGEABLE, "MADV_UNMERGEABLE"}, {MADV_HUGEPAGE, "MADV_HUGEPAGE"},
		{MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE"}, {MADV_DONTDUMP, "MADV_DONTDUMP"},   {MADV_DODUMP, "MADV_DODUMP"},
		{MADV_WIPEONFORK, "MADV_WIPEONFORK"}, {MADV_KEEPONFORK, "MADV_KEEPONFORK"}, {MADV_HWPOISON, "MADV_HWPOISON"},
		{20, "MADV_COLD"},                  {21, "MADV_PAGEOUT"},                 {22, "MADV_POPULATE_READ"},
		{23, "MADV_POPULATE_WRITE"},        {24, "MADV_DONTNEED_LOCKED"},         {25, "MADV_COLLAPSE"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].advice == a) {
			return names[i].name;
		}
	}
	return NULL;
}

static void put_arg(FILE *out, const char *kind, const char *key, const json_t *v)
{
	bool mmap_like = strcmp(kind, "mmap") == 0 || strcmp(kind, "writeback-hazard") == 0;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strcmp(key, "path") == 0) {
			fprintf(out, "'%s'", s);
		} else {
			fputs(s, out);
		}
		return;
	}
	if (!json_is_integer(v)) {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		fputs(s ? s : "?", out);
		free(s);
		return;
	}
	long long n = json_integer_value(v);
	const char *adv;
	if (strcmp(key, "prot") == 0) {
		put_bits(out, (unsigned long)n, prot_names, sizeof(prot_names) / sizeof(prot_names[0]), "NONE");
	} else if (strcmp(key, "flags") == 0 && mmap_like) {
		put_bits(out, (unsigned long)n, map_names, sizeof(map_names) / sizeof(map_names[0]), "0");
	} else if (strcmp(key, "flags") == 0 && strcmp(kind, "mremap") == 0) {
		put_bits(out, (unsigned long)n, mremap_names, sizeof(mremap_names) / sizeof(mremap_names[0]), "0");
	} else if (strcmp(key, "advice") == 0 && (adv = advice_name(n)) != NULL) {
		fputs(adv, out);
	} else if (strstr(key, "len") || strcmp(key, "need") == 0 || strcmp(key, "increment") == 0) {
		char sz[32];
		fprintf(out, "%lld", n);
		if (n >= 1024) {
			fprintf(out, " (%s)", cli_size((uint64_t)n, sz, sizeof(sz)));
		}
	} else {
		fprintf(out, "%lld", n);
	}
}

void render_args_put(FILE *out, const char *kind, const json_t *args)
{
	const char *key;
	json_t *v;
	const char *sep = "";
	if (!json_is_object(args) || json_object_size(args) == 0) {
		fputs("-", out);
		return;
	}
	json_object_foreach((json_t *)args, key, v)
	{
		fprintf(out, "%s%s=", sep, key);
		put_arg(out, kind, key, v);
		sep = " ";
	}
}
