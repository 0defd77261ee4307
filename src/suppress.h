/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * suppress: known, accepted violations (PTFREEZE_SUPPRESS=FILE).  The file
 * holds one rule per line,
 *
 *     KIND [fun:GLOB | mod:GLOB]...      # comment
 *
 * KIND is a report kind (munmap, pthread_create, ...) or `*`; each pattern
 * must match some frame of the site's stack (all patterns of a rule must
 * match, each in any frame).  fun: matches the ELF symbol name of the
 * function containing the frame (as in the symbol table: mangled for C++);
 * mod: matches the module's path when the glob has a '/', else its base
 * name.  Globs know `*` and `?`.  A rule with no pattern takes every site
 * of its kind.
 *
 * The file is read once at start-up with raw syscalls (suppress_load),
 * twice: once to count its rules, then into storage of that size (static
 * for up to SUPPRESS_STATIC_RULES, else a private mapping made and touched
 * then, before arming), so any number of rules is loaded; if that room
 * cannot be had, one line says how many rules were left out.  A malformed
 * line prints one line with FILE:LINE and is ignored.  Matching (suppress_match) runs once per new site, on first
 * sight, which is not the fast path: it may read symbol tables from the
 * modules' files with open/pread/close into stack buffers.  It never
 * allocates, maps memory, takes a lock or uses stdio, so it is safe in any
 * hook and in a signal handler.  The counters are atomic.
 */
#ifndef PTFREEZE_SUPPRESS_H
#define PTFREEZE_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

/* Rules kept in static storage; a file with more gets a mapping sized to it at load time. */
#define SUPPRESS_STATIC_RULES 256
#define SUPPRESS_MAX_PATTERNS 8
#define SUPPRESS_TEXT_MAX 256

enum suppress_pattern_type { SUPPRESS_FUN, SUPPRESS_MOD };

struct suppress_rule {
	int kind;     /* an enum kind, or -1 for `*` */
	int npatterns;
	struct {
		enum suppress_pattern_type type;
		bool path;          /* mod: with a '/': matched against the whole path */
		unsigned short off; /* glob = text + off, NUL-terminated in globs */
	} patterns[SUPPRESS_MAX_PATTERNS];
	char globs[SUPPRESS_TEXT_MAX];
	char text[SUPPRESS_TEXT_MAX]; /* the rule as written, spaces collapsed */
	unsigned line;
};

/*
 * Reads config.suppress (nothing when it is empty) and the loaded modules.
 * Not for hooks (dl_iterate_phdr at start-up).  Returns the rules loaded;
 * an unreadable file is one line and no rule.
 */
int suppress_load(void);
/* True if at least one rule is loaded. */
bool suppress_active(void);

/*
 * The rule that takes site (kind, ips[0..n)), 1-based, or 0 for none.
 * First sight only: reads symbol tables from disk when a rule has fun:.
 */
unsigned suppress_match(int kind, const uintptr_t *ips, int n);
/* Counts one call of a suppressed site (new_site: its first). */
void suppress_count(unsigned rule, bool new_site);
/* Forgets the counts (fork child). */
void suppress_reset(void);
/* Appends the summary's "suppressed" array; bytes it may need, for the buffer. */
void suppress_json(struct sb *sb);
size_t suppress_json_size(void);

/*
 * Parses one line into r.  Returns 1 for a rule, 0 for a blank or comment
 * line, -EINVAL with a reason in err (a short phrase) for a malformed one.
 */
int suppress_parse_line(const char *line, struct suppress_rule *r, char *err, size_t errcap);
/* Glob match: `*` any run of characters, `?` one character. */
bool suppress_glob(const char *pat, const char *s);

/*
 * The ELF symbol name of the function containing ip, from the module's
 * symbol table on disk (open/pread/close); false if none is found.
 * Async-signal-safe, no allocation.  The module is found in the table
 * suppress_load() built (refreshed at most once per call if ip is in none).
 */
bool suppress_function_of(uintptr_t ip, char *name, size_t cap);

/* Rules loaded and their text, for tests. */
int suppress_nrules(void);
const struct suppress_rule *suppress_rule_at(int i);
/* Loads rules from path (as suppress_load does for config.suppress). */
int suppress_load_file(const char *path);

#endif
