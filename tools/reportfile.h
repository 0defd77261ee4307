/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportfile: reading ptfreeze report files (docs/report-format.md) into
 * memory, and merging many of them (a program and its fork children, or
 * several runs) into one list of violation sites, most important first.
 *
 * A file is one process.  A truncated last line (a process killed in the
 * middle of a write) is skipped with a warning; anything else that is not
 * a valid version-1 report makes the file invalid: one line on stderr
 * naming the file and line, and the file is left out.  Unknown record
 * types and fields are ignored, as the format asks.  JSON is read with
 * jansson, one json_loadb() per line, except a site record's few fields,
 * which a scanner reads (reportfile_scan.c; the whole record is parsed when
 * a renderer asks for it: reportfile_site_record()).  Nothing here symbolises or prints
 * results: that is symbolize.c and render.c.
 */
#ifndef PTFREEZE_REPORTFILE_H
#define PTFREEZE_REPORTFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rf_module {
	char *path;
	char *build_id; /* hex, or NULL */
	uint64_t base, start, end;
};

struct rf_site {
	unsigned id;
	const char *kind;  /* owned by record, or a static string for summary-only sites */
	json_t *record;    /* the site record (args, detail, action, ...), or the summary's entry if only the summary knew it;
			    * NULL until reportfile_site_record() parses it from line (the reader scans a site's few fields) */
	const char *line;  /* the record's text (in the process's text), or NULL */
	size_t line_len;
	char *cls, *path;  /* a page fault's args.class and args.path, or NULL */
	long long result;  /* the record's result, -1 when absent */
	uint64_t *stack;   /* innermost first */
	size_t depth;
	uint64_t count, blocked, bytes, first_ns, last_ns;
	uint64_t would_block; /* would-block mode: calls that went ahead but strict mode would refuse */
	bool counted;      /* counters come from the summary (else: one event, from the site record) */
	bool after_summary; /* first seen after the exit summary (a destructor or atexit handler that ran later) */
};

struct rf_process {
	char *file;
	json_t *header;
	json_t *summary;   /* NULL: the process did not exit normally */
	json_t *arm;       /* the first arm record, NULL if never armed */
	json_t *smaps_diff; /* the smaps-diff record (address space at arming vs exit), or NULL */
	size_t narms;
	long pid, ppid;
	bool fork_child;
	const char *exe;   /* owned by header */
	struct rf_module *modules;
	size_t nmodules;
	struct rf_site *sites;
	size_t nsites;
	size_t truncated_line; /* the line number of a skipped truncated last record, or 0 */
	char *text;        /* the file's bytes: the sites' lines */
	char **kinds;      /* the sites' kinds, each once (a site's kind points here) */
	size_t nkinds;
};

/* One stack frame of a merged site; function, file and line are filled by symbolize.c. */
struct rf_frame {
	uint64_t ip;
	const struct rf_module *module; /* NULL: in no module the report lists */
	uint64_t offset;                /* ip - module base (or ip when there is no module) */
	const char *function;           /* NULL when unknown; demangled (C++, Rust) and the inlined callee's */
	const char *symbol;             /* the symbol table's name, as the shim matches it (mangled); NULL when unknown */
	const char *file;               /* NULL when unknown */
	int line;                       /* 0 when unknown */
};

/* A violation site merged over every process that has it (same kind, same code). */
struct rf_group {
	const char *kind;
	uint64_t count, blocked, bytes, first_ns, last_ns;
	uint64_t would_block;
	bool fault;                   /* a page fault's site */
	bool estimated;               /* some process wrote no summary: its count is taken as 1 */
	bool after_summary;           /* some member was first seen after its process's exit summary: counted once */
	struct rf_site *site;         /* the first member: args, detail */
	struct rf_process *process;   /* and its process */
	struct rf_process **procs;    /* every process that has this site */
	size_t nprocs;
	struct rf_frame *frames;      /* innermost first */
	size_t depth;
};

struct rf_set {
	struct rf_process **procs;
	size_t nprocs;
	struct rf_group *groups;      /* most important first */
	size_t ngroups;
};

/*
 * Expands the command line into report files: a directory means every
 * *.jsonl in it, no argument means ptfreeze-*.jsonl in the current
 * directory; the same file named twice is read once.  Prints one line for
 * each argument that yields nothing.  Returns 0 or 2 (CLI_INVALID); the
 * list holds what was found either way, and *found (as long) whether each
 * file was found in a directory or by the pattern rather than named.
 */
int reportfile_collect(char **args, int nargs, char ***files, bool **found, size_t *nfiles);

/* Reads and validates one file; NULL (one line printed) if it is invalid. */
struct rf_process *reportfile_read(const char *path);
/*
 * reportfile_read for a file that was found rather than named (a
 * directory's, ptfreeze run's): one that is empty or whose first record
 * was cut short, as a process killed while its report was being created
 * leaves it, is skipped with a warning, and *stillborn says so.  NULL
 * then too.
 */
struct rf_process *reportfile_read_found(const char *path, bool *stillborn);
/* Frees what reportfile_read() returned. */
void reportfile_free_process(struct rf_process *p);

/* Only the header of path: its pid and ppid.  0, or -1 if it is not a report. */
int reportfile_peek(const char *path, long *pid, long *ppid);

/*
 * A site's whole record, parsed from its line on first use (the reader
 * takes only the fields the merge needs; the renderers ask for the rest of
 * the sites they show).  Never NULL.
 */
json_t *reportfile_site_record(const struct rf_site *s);

/* The module of p that contains ip, or NULL. */
const struct rf_module *reportfile_module_of(const struct rf_process *p, uint64_t ip);

/*
 * Merges the sites of every process in set into set->groups, sorted
 * blocked first (then would-block), then by count, then by bytes; page
 * faults after every page-table call.  A page fault's site is its stack,
 * its address class and its mapping (args.class, args.path).
 */
void reportfile_merge(struct rf_set *set);

void reportfile_free_set(struct rf_set *set);

/* Integer field of an object, or def when absent or not an integer. */
long long reportfile_get_int(const json_t *obj, const char *key, long long def);
/* String field of an object, or NULL. */
const char *reportfile_get_str(const json_t *obj, const char *key);

#endif
