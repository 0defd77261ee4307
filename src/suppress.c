/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * suppress: the rule file, the glob matcher and the first-sight match of a
 * site against the rules (see suppress.h).  Never allocates, never maps
 * memory, never uses stdio; the only locks are the loader's, taken by
 * dl_iterate_phdr exactly as libunwind takes them for every stack.
 */
#include "autoconf.h"
#include "config.h"
#include "suppress.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kinds.h"
#include "log.h"
#include "phdr.h"
#include "sys.h"

#define MAX_MODULES 512
#define MODULE_PATH_MAX 256
#define FUN_NAME_MAX 160

/*
 * The rules and their counters: static room for the usual file, and for a
 * bigger one a private mapping made at load time (start-up, before arming),
 * sized to the file's rules and touched whole so using it never faults.
 */
static struct suppress_rule static_rules[SUPPRESS_STATIC_RULES];
static _Atomic uint64_t static_hits[SUPPRESS_STATIC_RULES], static_nsites[SUPPRESS_STATIC_RULES];
static struct suppress_rule *rules = static_rules;
static _Atomic uint64_t *hits = static_hits, *nsites = static_nsites;
static int capacity = SUPPRESS_STATIC_RULES;
static _Atomic int nrules;
static _Atomic int peak_rules; /* the most rules ever loaded: counters past it were never written */
static char file[CONFIG_PATH_MAX];

/* The loaded modules: append-only, so a reader never sees an entry change. */
static struct module {
	uintptr_t lo, hi, bias;
	char path[MODULE_PATH_MAX];
} modules[MAX_MODULES];
static _Atomic int nmodules;
static atomic_flag refreshing;

bool suppress_glob(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*') {
		p++;
	}
	return *p == '\0';
}

/* suppress_glob on the first n characters of s. */
static bool glob_n(const char *pat, const char *s, size_t n)
{
	char buf[FUN_NAME_MAX];
	if (n >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return suppress_glob(pat, buf);
}

static int kind_of(const char *w, size_t n)
{
	if (n == 1 && w[0] == '*') {
		return -1;
	}
	int k = kinds_by_name(w, n);
	return k >= 0 ? k : -2;
}

static void set_err(char *err, size_t cap, const char *a, const char *w, size_t n, const char *b)
{
	struct sb sb;
	sb_init(&sb, err, cap);
	sb_puts(&sb, a);
	if (w) {
		sb_putmem(&sb, w, n > 60 ? 60 : n);
	}
	sb_puts(&sb, b);
	sb_cstr(&sb);
}

int suppress_parse_line(const char *line, struct suppress_rule *r, char *err, size_t errcap)
{
	const char *p = line;
	size_t tlen = 0, glen = 0;
	int word = 0;
	memset(r, 0, sizeof(*r));
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
		}
		if (*p == '\0' || *p == '#') {
			break;
		}
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#') {
			p++;
		}
		size_t n = (size_t)(p - w);
		if (tlen + n + 1 >= sizeof(r->text)) {
			set_err(err, errcap, "rule longer than 255 characters", NULL, 0, "");
			return -EINVAL;
		}
		if (tlen) {
			r->text[tlen++] = ' ';
		}
		memcpy(r->text + tlen, w, n);
		tlen += n;
		if (word++ == 0) {
			r->kind = kind_of(w, n);
			if (r->kind == -2) {
				set_err(err, errcap, "unknown kind '", w, n,
					"' (expected a report kind like munmap or pthread_create, or *)");
				return -EINVAL;
			}
			continue;
		}
		if (r->npatterns == SUPPRESS_MAX_PATTERNS) {
			set_err(err, errcap, "more than 8 patterns", NULL, 0, "");
			return -EINVAL;
		}
		enum suppress_pattern_type type;
		if (n > 4 && strncmp(w, "fun:", 4) == 0) {
			type = SUPPRESS_FUN;
		} else if (n > 4 && strncmp(w, "mod:", 4) == 0) {
			type = SUPPRESS_MOD;
		} else {
			set_err(err, errcap, "cannot parse pattern '", w, n, "' (expected fun:GLOB or mod:GLOB)");
			return -EINVAL;
		}
		/* globs has room: it holds less than text, which was checked above. */
		r->patterns[r->npatterns].type = type;
		r->patterns[r->npatterns].off = (unsigned short)glen;
		r->patterns[r->npatterns].path = type == SUPPRESS_MOD && memchr(w + 4, '/', n - 4) != NULL;
		memcpy(r->globs + glen, w + 4, n - 4);
		glen += n - 4;
		r->globs[glen++] = '\0';
		r->npatterns++;
	}
	r->text[tlen] = '\0';
	return word ? 1 : 0;
}

/* ---- modules and symbols ------------------------------------------------ */

static int module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	uintptr_t lo = 0, hi = 0;
	phdr_load_span(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, 0, &lo, &hi);
	int n = atomic_load(&nmodules);
	if (hi == 0 || n >= MAX_MODULES) {
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (modules[i].lo == lo && modules[i].hi == hi) {
			return 0;
		}
	}
	struct module *m = &modules[n];
	m->lo = lo;
	m->hi = hi;
	m->bias = info->dlpi_addr;
	const char *name = info->dlpi_name;
	if (name && name[0]) {
		size_t l = strlen(name);
		l = l < MODULE_PATH_MAX - 1 ? l : MODULE_PATH_MAX - 1;
		memcpy(m->path, name, l);
		m->path[l] = '\0';
	} else {
		/* The program itself: its real path, for mod: and for reading its symbols. */
		long l = sys_readlink("/proc/self/exe", m->path, MODULE_PATH_MAX - 1);
		m->path[l > 0 ? l : 0] = '\0';
	}
	atomic_store(&nmodules, n + 1);
	return 0;
}

static void refresh_modules(void)
{
	/* One refresher at a time; the others use the table as it is. */
	if (atomic_flag_test_and_set(&refreshing)) {
		return;
	}
	dl_iterate_phdr(module_cb, NULL);
	atomic_flag_clear(&refreshing);
}

static const struct module *module_of(uintptr_t ip, bool refresh)
{
	for (int pass = 0; pass < 2; pass++) {
		/* Newest first: a module loaded where a closed one was wins. */
		for (int i = atomic_load(&nmodules) - 1; i >= 0; i--) {
			if (ip >= modules[i].lo && ip < modules[i].hi) {
				return &modules[i];
			}
		}
		if (!refresh || pass) {
			break;
		}
		refresh_modules();
	}
	return NULL;
}

static bool pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	long r;
	do {
		r = sys_raw(SYS_pread64, fd, (long)buf, (long)len, (long)off, 0, 0);
	} while (r == -EINTR);
	return r == (long)len;
}

/* Looks addr up in the symbol table of section type `type`; true if found. */
static bool lookup_table(int fd, const Elf64_Ehdr *eh, unsigned type, uint64_t addr, char *name, size_t cap)
{
	Elf64_Shdr sh, str;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (!pread_all(fd, &sh, sizeof(sh), eh->e_shoff + (uint64_t)i * eh->e_shentsize)) {
			return false;
		}
		if (sh.sh_type == type) {
			break;
		}
		if (i + 1 == eh->e_shnum) {
			return false;
		}
	}
	if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_link >= eh->e_shnum ||
	    !pread_all(fd, &str, sizeof(str), eh->e_shoff + (uint64_t)sh.sh_link * eh->e_shentsize)) {
		return false;
	}
	Elf64_Sym chunk[64];
	uint64_t count = sh.sh_size / sizeof(Elf64_Sym);
	for (uint64_t i = 0; i < count;) {
		uint64_t take = count - i < 64 ? count - i : 64;
		if (!pread_all(fd, chunk, take * sizeof(Elf64_Sym), sh.sh_offset + i * sizeof(Elf64_Sym))) {
			return false;
		}
		for (uint64_t j = 0; j < take; j++) {
			const Elf64_Sym *s = &chunk[j];
			unsigned t = ELF64_ST_TYPE(s->st_info);
			if ((t != STT_FUNC && t != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF || s->st_size == 0 ||
			    addr < s->st_value || addr - s->st_value >= s->st_size || s->st_name >= str.sh_size) {
				continue;
			}
			size_t want = cap - 1;
			if (str.sh_size - s->st_name < want) {
				want = str.sh_size - s->st_name;
			}
			if (!pread_all(fd, name, want, str.sh_offset + s->st_name)) {
				return false;
			}
			name[want] = '\0';
			return name[0] != '\0';
		}
		i += take;
	}
	return false;
}

bool suppress_function_of(uintptr_t ip, char *name, size_t cap)
{
	const struct module *m = module_of(ip, true);
	if (m == NULL || cap < 2) {
		return false;
	}
	long fd = sys_open(m->path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		return false;
	}
	Elf64_Ehdr eh;
	bool ok = pread_all((int)fd, &eh, sizeof(eh), 0) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
		  eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_shentsize >= sizeof(Elf64_Shdr);
	uint64_t addr = ip - m->bias;
	/* .symtab has the static functions; a stripped file has only .dynsym. */
	ok = ok && (lookup_table((int)fd, &eh, SHT_SYMTAB, addr, name, cap) ||
		    lookup_table((int)fd, &eh, SHT_DYNSYM, addr, name, cap));
	sys_close((int)fd);
	return ok;
}

/* ---- matching ----------------------------------------------------------- */

static const char *base_of(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

/*
 * Matches rules [from, to) (at most MATCH_CHUNK of them: their progress
 * bits live on the stack).  Returns the 1-based rule, or 0.
 */
#define MATCH_CHUNK 256
static unsigned match_chunk(int kind, const uintptr_t *ips, int n, int from, int to)
{
	uint8_t want[MATCH_CHUNK], got[MATCH_CHUNK];
	bool need_fun = false, any = false;
	for (int r = from; r < to; r++) {
		got[r - from] = 0;
		want[r - from] = 0;
		if (rules[r].kind != -1 && rules[r].kind != kind) {
			continue;
		}
		if (rules[r].npatterns == 0) {
			return (unsigned)r + 1;
		}
		any = true;
		for (int p = 0; p < rules[r].npatterns; p++) {
			want[r - from] |= (uint8_t)(1u << p);
			need_fun |= rules[r].patterns[p].type == SUPPRESS_FUN;
		}
	}
	if (!any) {
		return 0;
	}
	for (int i = 0; i < n; i++) {
		/* Return addresses: the call is the byte before. */
		uintptr_t ip = ips[i] > 0 ? ips[i] - 1 : 0;
		const struct module *m = module_of(ip, true);
		char fun[FUN_NAME_MAX];
		bool have_fun = need_fun && suppress_function_of(ip, fun, sizeof(fun));
		/* GCC's clones (f.constprop.0, f.isra.0, f.cold) also answer to f. */
		size_t base_len = 0;
		if (have_fun) {
			const char *dot = strchr(fun, '.');
			base_len = dot && dot > fun ? (size_t)(dot - fun) : 0;
		}
		for (int r = from; r < to; r++) {
			if (want[r - from] == 0) {
				continue;
			}
			for (int p = 0; p < rules[r].npatterns; p++) {
				const char *g = rules[r].globs + rules[r].patterns[p].off;
				bool hit;
				if (got[r - from] & (1u << p)) {
					continue;
				}
				if (rules[r].patterns[p].type == SUPPRESS_FUN) {
					hit = have_fun && (suppress_glob(g, fun) || (base_len && glob_n(g, fun, base_len)));
				} else {
					hit = m && suppress_glob(g, rules[r].patterns[p].path ? m->path : base_of(m->path));
				}
				if (hit) {
					got[r - from] |= (uint8_t)(1u << p);
				}
			}
			if (got[r - from] == want[r - from]) {
				return (unsigned)r + 1;
			}
		}
	}
	return 0;
}

unsigned suppress_match(int kind, const uintptr_t *ips, int n)
{
	int nr = atomic_load(&nrules);
	/* In file order, a chunk at a time: the first rule that takes the site wins, as in one pass. */
	for (int from = 0; from < nr; from += MATCH_CHUNK) {
		unsigned r = match_chunk(kind, ips, n, from, from + MATCH_CHUNK < nr ? from + MATCH_CHUNK : nr);
		if (r) {
			return r;
		}
	}
	return 0;
}

void suppress_count(unsigned rule, bool new_site)
{
	if (rule == 0 || rule > (unsigned)atomic_load(&nrules)) {
		return;
	}
	atomic_fetch_add_explicit(&hits[rule - 1], 1, memory_order_relaxed);
	if (new_site) {
		atomic_fetch_add_explicit(&nsites[rule - 1], 1, memory_order_relaxed);
	}
}

void suppress_reset(void)
{
	/* A fork child may have been born while another thread refreshed. */
	atomic_flag_clear(&refreshing);
	int peak = atomic_load(&peak_rules);
	for (int r = 0; r < peak && r < capacity; r++) { /* written only where set: a fork child copies no page for a zero */
		if (atomic_load_explicit(&hits[r], memory_order_relaxed)) {
			atomic_store(&hits[r], 0);
		}
		if (atomic_load_explicit(&nsites[r], memory_order_relaxed)) {
			atomic_store(&nsites[r], 0);
		}
	}
}

size_t suppress_json_size(void)
{
	/* Each rule's own text, escaped at worst 6 bytes a byte: thousands of rules need not cost 1.6K each. */
	size_t n = 64;
	for (int r = 0; r < atomic_load(&nrules); r++) {
		n += 6 * strlen(rules[r].text) + 96;
	}
	return n;
}

void suppress_json(struct sb *sb)
{
	int nr = atomic_load(&nrules);
	sb_puts(sb, "[");
	for (int r = 0; r < nr; r++) {
		sb_puts(sb, r ? ",{\"rule\":" : "{\"rule\":");
		sb_json(sb, rules[r].text, strlen(rules[r].text));
		sb_printf(sb, ",\"line\":%u,\"sites\":%lu,\"count\":%lu}", rules[r].line,
			  (unsigned long)atomic_load(&nsites[r]), (unsigned long)atomic_load(&hits[r]));
	}
	sb_puts(sb, "]");
}

bool suppress_active(void) { return atomic_load_explicit(&nrules, memory_order_relaxed) > 0; }
int suppress_nrules(void) { return atomic_load(&nrules); }
const struct suppress_rule *suppress_rule_at(int i) { return i >= 0 && i < nrules ? &rules[i] : NULL; }

/* ---- loading ------------------------------------------------------------ */

struct load_state {
	unsigned line;
	int loaded, dropped;
	bool counting; /* the first pass: only count the rules, say nothing */
};

static int load_line(char *line, void *arg)
{
	struct load_state *st = arg;
	char err[160];
	struct suppress_rule scratch;
	st->line++;
	int n = atomic_load(&nrules);
	struct suppress_rule *into = !st->counting && n < capacity ? &rules[n] : &scratch;
	int r = suppress_parse_line(line, into, err, sizeof(err));
	if (st->counting) {
		st->loaded += r > 0;
		return 1;
	}
	if (r < 0) {
		log_msg(LOG_ERROR, "PTFREEZE_SUPPRESS: %s:%u: %s; line ignored", file, st->line, err);
		return 1;
	}
	if (r == 0) {
		return 1;
	}
	if (n >= capacity) {
		st->dropped++;
		return 1;
	}
	rules[n].line = st->line;
	if (n + 1 > atomic_load(&peak_rules)) {
		atomic_store(&peak_rules, n + 1);
	}
	atomic_store(&nrules, n + 1);
	st->loaded++;
	return 1;
}

/*
 * Room for want rules: the static arrays, or one private mapping made now
 * (start-up) and touched whole.  Returns the capacity got.
 */
static int make_room(int want)
{
	if (rules != static_rules) {
		sys_munmap(rules, (size_t)capacity * (sizeof(*rules) + 2 * sizeof(*hits)));
		rules = static_rules;
		hits = static_hits;
		nsites = static_nsites;
		capacity = SUPPRESS_STATIC_RULES;
	}
	if (want <= SUPPRESS_STATIC_RULES) {
		return capacity;
	}
	size_t len = (size_t)want * (sizeof(*rules) + 2 * sizeof(*hits));
	long p = sys_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p < 0 && p > -4096) {
		return capacity;
	}
	memset((void *)p, 0, len);
	/* Counters first: 8-byte aligned at the start of the page-aligned mapping. */
	hits = (_Atomic uint64_t *)p;
	nsites = hits + want;
	rules = (struct suppress_rule *)(nsites + want);
	capacity = want;
	return capacity;
}

int suppress_load_file(const char *path)
{
	fmt_copy(file, sizeof(file), path);
	atomic_store(&nrules, 0);
	/* Two passes: count the rules, make room for all of them, then load. */
	struct load_state count = {.counting = true};
	int r = sys_for_each_line(path, load_line, &count);
	if (r < 0) {
		log_msg(LOG_ERROR, "PTFREEZE_SUPPRESS: cannot read '%s' (%s); nothing is suppressed", path, strerror(-r));
		return 0;
	}
	make_room(count.loaded);
	suppress_reset();
	struct load_state st = {0};
	r = sys_for_each_line(path, load_line, &st);
	if (r < 0) {
		log_msg(LOG_ERROR, "PTFREEZE_SUPPRESS: cannot read '%s' (%s); nothing is suppressed", path, strerror(-r));
		atomic_store(&nrules, 0);
		return 0;
	}
	if (st.dropped) {
		/* The file grew between the passes, or no memory for the room: say what was left out. */
		log_msg(LOG_ERROR, "PTFREEZE_SUPPRESS: %s: %d rule%s past the first %d not loaded (no room); they suppress nothing",
			file, st.dropped, st.dropped == 1 ? "" : "s", capacity);
	}
	/* Touch the whole module table now: appending after arming must not fault. */
	memset(modules, 0, sizeof(modules));
	atomic_store(&nmodules, 0);
	refresh_modules();
	log_msg(LOG_INFO, "PTFREEZE_SUPPRESS: %d rules from %s", st.loaded, path);
	return st.loaded;
}

int suppress_load(void)
{
	if (config.suppress[0] == '\0') {
		return 0;
	}
	return suppress_load_file(config.suppress);
}
