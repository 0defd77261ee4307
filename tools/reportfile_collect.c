/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportfile_collect: the report files named by `ptfreeze report`'s
 * arguments (files, directories, globs), sorted (see reportfile.h).
 */
#include "reportfile.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

struct names {
	char **v;
	bool *found; /* in a directory or by the default pattern, not named */
	size_t n, cap;
	dev_t *dev;
	ino_t *ino;
};

static void add_name(struct names *l, const char *path, bool found)
{
	struct stat st;
	bool known = stat(path, &st) == 0;
	for (size_t i = 0; known && i < l->n; i++) {
		if (l->dev[i] == st.st_dev && l->ino[i] == st.st_ino) {
			return;
		}
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = cli_realloc(l->v, l->cap * sizeof(*l->v));
		l->found = cli_realloc(l->found, l->cap * sizeof(*l->found));
		l->dev = cli_realloc(l->dev, l->cap * sizeof(*l->dev));
		l->ino = cli_realloc(l->ino, l->cap * sizeof(*l->ino));
	}
	l->dev[l->n] = known ? st.st_dev : 0;
	l->ino[l->n] = known ? st.st_ino : 0;
	l->found[l->n] = found;
	l->v[l->n++] = cli_strdup(path);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Every regular *.jsonl file in dir, sorted; false if none. */
static bool add_dir(struct names *l, const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		cli_error("%s: cannot read the directory: %s", dir, strerror(errno));
		return false;
	}
	char **found = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !ends_with(e->d_name, ".jsonl")) {
			continue;
		}
		char *path = cli_asprintf("%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		found = cli_realloc(found, (n + 1) * sizeof(*found));
		found[n++] = path;
	}
	closedir(d);
	/* No entries leaves found NULL, which qsort must not be given (UBSan: nonnull-arg). */
	if (n > 0) {
		qsort(found, n, sizeof(*found), by_name);
	}
	for (size_t i = 0; i < n; i++) {
		add_name(l, found[i], true);
		free(found[i]);
	}
	free(found);
	if (n == 0) {
		cli_error("%s: no report files (*.jsonl) in this directory", dir);
		return false;
	}
	return true;
}

int reportfile_collect(char **args, int nargs, char ***files, bool **found, size_t *nfiles)
{
	struct names l = {0};
	int status = 0;
	if (nargs == 0) {
		glob_t g;
		if (glob("ptfreeze-*.jsonl", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
			cli_error("no report files (ptfreeze-*.jsonl) in the current directory; "
				  "name the files or directories to read");
			status = CLI_INVALID;
		} else {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				add_name(&l, g.gl_pathv[i], true);
			}
		}
		globfree(&g);
	}
	for (int i = 0; i < nargs; i++) {
		struct stat st;
		if (stat(args[i], &st) != 0) {
			cli_error("%s: %s", args[i], strerror(errno));
			status = CLI_INVALID;
		} else if (S_ISDIR(st.st_mode)) {
			if (!add_dir(&l, args[i])) {
				status = CLI_INVALID;
			}
		} else {
			add_name(&l, args[i], false);
		}
	}
	free(l.dev);
	free(l.ino);
	*files = l.v;
	*found = l.found;
	*nfiles = l.n;
	return status;
}
