/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * render_args: a record's arguments decoded for people (prot, map and
 * mremap flags, madvise advice: names from src/kinds.inc; sizes), for the
 * text output (see render.h).
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kinds.h"

static void put_bits(FILE *out, unsigned long v, const struct kinds_bit *names, size_t n, const char *zero)
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

static void put_arg(FILE *out, const char *kind, const char *key, const json_t *v)
{
	enum kind k = (enum kind)kinds_by_name(kind, strlen(kind));
	size_t nflags;
	const struct kinds_bit *flags = kinds_flag_names(kinds_flagset(k), &nflags);
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
		size_t nprot;
		const struct kinds_bit *prot = kinds_prot_names(&nprot);
		put_bits(out, (unsigned long)n, prot, nprot, "NONE");
	} else if (strcmp(key, "flags") == 0 && flags) {
		put_bits(out, (unsigned long)n, flags, nflags, "0");
	} else if (strcmp(key, "advice") == 0 && (adv = kinds_advice_name(n, NULL)) != NULL) {
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
