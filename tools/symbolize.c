/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symbolize: libdw lookups for report frames (see symbolize.h).  The only
 * file that includes elfutils headers.
 */
#include "symbolize.h"

#include <dwarf.h>
#include <errno.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* libiberty's demangler (Debian: libiberty-dev): C++, Rust legacy and Rust v0. */
#include <libiberty/demangle.h>

/* One looked-up address: reports repeat the same frames thousands of times. */
struct cached {
	uint64_t offset; /* key; 0 marks an empty slot (offset 0 is never looked up) */
	const char *function, *symbol, *file;
	int line;
};

struct module_file {
	char *path;
	char *build_id; /* of the file on disk, hex; NULL if it has none */
	Dwfl *dwfl;     /* NULL: the file could not be opened */
	Dwfl_Module *mod;
	bool warned_build_id;
	char **owned; /* names made here (not libdw's), freed with the file */
	size_t nowned, owned_cap;
	struct cached *cache; /* open addressing, a power of two */
	size_t ncache, cache_cap;
};

struct symbolizer {
	struct module_file *files;
	size_t n;
};

static char *debuginfo_path;

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

struct symbolizer *symbolize_new(void) { return cli_calloc(1, sizeof(struct symbolizer)); }

void symbolize_free(struct symbolizer *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (s->files[i].dwfl) {
			dwfl_end(s->files[i].dwfl);
		}
		for (size_t k = 0; k < s->files[i].nowned; k++) {
			free(s->files[i].owned[k]);
		}
		free(s->files[i].owned);
		free(s->files[i].cache);
		free(s->files[i].path);
		free(s->files[i].build_id);
	}
	free(s->files);
	free(s);
}

static char *hex(const unsigned char *bits, int n)
{
	char *out = cli_malloc((size_t)n * 2 + 1);
	for (int i = 0; i < n; i++) {
		snprintf(out + 2 * i, 3, "%02x", bits[i]);
	}
	out[2 * n] = '\0';
	return out;
}

static struct module_file *open_file(struct symbolizer *s, const char *path)
{
	/* Consecutive frames are often in one module: try the last one first. */
	static size_t last;
	if (last < s->n && strcmp(s->files[last].path, path) == 0) {
		return &s->files[last];
	}
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->files[i].path, path) == 0) {
			last = i;
			return &s->files[i];
		}
	}
	last = s->n;
	s->files = cli_realloc(s->files, (s->n + 1) * sizeof(*s->files));
	struct module_file *f = &s->files[s->n++];
	memset(f, 0, sizeof(*f));
	f->path = cli_strdup(path);
	/* "linux-vdso.so.1" and the like are not files. */
	if (path[0] != '/') {
		return f;
	}
	/* A report is input: a module path naming a FIFO or a device must not hang or be read. */
	struct stat st;
	if (stat(path, &st) != 0) {
		cli_warn("%s: cannot read (%s): its frames are shown as module+offset", path, strerror(errno));
		return f;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_warn("%s: cannot read (not a regular file): its frames are shown as module+offset", path);
		return f;
	}
	Dwfl *dwfl = dwfl_begin(&callbacks);
	if (dwfl == NULL) {
		return f;
	}
	dwfl_report_begin(dwfl);
	const char *base = strrchr(path, '/');
	/* Bias 0: addresses are module-relative, valid for every process. */
	Dwfl_Module *mod = dwfl_report_elf(dwfl, base + 1, path, -1, 0, true);
	dwfl_report_end(dwfl, NULL, NULL);
	if (mod == NULL) {
		cli_warn("%s: cannot read (%s): its frames are shown as module+offset", path, dwfl_errmsg(-1));
		dwfl_end(dwfl);
		return f;
	}
	f->dwfl = dwfl;
	f->mod = mod;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	if (n > 0) {
		f->build_id = hex(bits, n);
	}
	return f;
}

/*
 * The name of the function inlined at addr, if any: with inlining the
 * symbol table names only the outer function, the DWARF scopes the code.
 */
static const char *inlined_name(Dwfl_Module *mod, Dwarf_Addr addr)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	Dwarf_Die *scopes = NULL;
	const char *name = NULL;
	if (cu == NULL) {
		return NULL;
	}
	int n = dwarf_getscopes(cu, addr - bias, &scopes);
	for (int i = 0; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_inlined_subroutine) {
			Dwarf_Attribute attr;
			/* The linkage name qualifies a C++ callee (ns::Class::f); C has only DW_AT_name. */
			name = dwarf_formstring(dwarf_attr_integrate(&scopes[i], DW_AT_linkage_name, &attr));
			if (name == NULL) {
				name = dwarf_formstring(dwarf_attr_integrate(&scopes[i], DW_AT_name, &attr));
			}
			break;
		}
		if (tag == DW_TAG_subprogram) {
			break;
		}
	}
	free(scopes);
	return name;
}

static const char *keep(struct module_file *f, char *s)
{
	if (f->nowned == f->owned_cap) {
		f->owned_cap = f->owned_cap ? 2 * f->owned_cap : 16;
		f->owned = cli_realloc(f->owned, f->owned_cap * sizeof(*f->owned));
	}
	f->owned[f->nowned++] = s;
	return s;
}

/* Rust's legacy mangling ends each path with "::h" and a 16-digit hash: noise for people. */
static void drop_rust_hash(char *s)
{
	size_t n = strlen(s);
	if (n > 19 && strncmp(s + n - 19, "::h", 3) == 0 && strspn(s + n - 16, "0123456789abcdef") == 16) {
		s[n - 19] = '\0';
	}
}

/*
 * A name for people: C++ ("_Z...") and Rust, legacy ("_ZN...17h<hash>E") and
 * v0 ("_R..."), demangled by libiberty's cplus_demangle (the demangler of
 * binutils and GDB); anything else as it is.
 */
static const char *demangle(struct module_file *f, const char *name)
{
	if (name == NULL || (strncmp(name, "_Z", 2) != 0 && strncmp(name, "_R", 2) != 0)) {
		return name;
	}
	char *d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
	if (d == NULL) {
		return name;
	}
	drop_rust_hash(d);
	return keep(f, d);
}

static struct cached *cache_slot(struct module_file *f, uint64_t offset)
{
	if (f->cache == NULL) {
		f->cache_cap = 1024;
		f->cache = cli_calloc(f->cache_cap, sizeof(*f->cache));
	}
	size_t mask = f->cache_cap - 1, h = (size_t)((offset * 0x9E3779B97F4A7C15ull) >> 20) & mask;
	while (f->cache[h].offset != 0 && f->cache[h].offset != offset) {
		h = (h + 1) & mask;
	}
	return &f->cache[h];
}

static void cache_put(struct module_file *f, const struct rf_frame *fr)
{
	if (2 * (f->ncache + 1) > f->cache_cap || f->cache == NULL) {
		struct cached *old = f->cache;
		size_t n = f->cache_cap;
		f->cache_cap = n ? 2 * n : 1024;
		f->cache = cli_calloc(f->cache_cap, sizeof(*f->cache));
		for (size_t i = 0; i < n; i++) {
			if (old[i].offset) {
				*cache_slot(f, old[i].offset) = old[i];
			}
		}
		free(old);
	}
	struct cached *c = cache_slot(f, fr->offset);
	if (c->offset == 0) {
		f->ncache++;
	}
	*c = (struct cached){fr->offset, fr->function, fr->symbol, fr->file, fr->line};
}

static void lookup(struct module_file *f, struct rf_frame *fr)
{
	/*
	 * Every recorded frame is a return address, the innermost one included
	 * (the shim's own frames are cut off, so frame 0 is where the program's
	 * call returns to): one byte back is inside the call instruction, and
	 * so on the caller's line even when the call ends a function.
	 */
	Dwarf_Addr addr = fr->offset ? fr->offset - 1 : 0;
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(f->mod, addr, &off, &sym, NULL, NULL, NULL);
	const char *inl = inlined_name(f->mod, addr);
	if (name && strchr(name, '@')) {
		/* "__libc_start_main@@GLIBC_2.34": the version is noise here. */
		char *plain = cli_strdup(name);
		plain[strcspn(plain, "@")] = '\0';
		name = keep(f, plain);
	}
	fr->symbol = name;
	fr->function = demangle(f, inl ? inl : name);
	Dwfl_Line *line = dwfl_module_getsrc(f->mod, addr);
	if (line) {
		int lineno = 0;
		const char *src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (src && lineno > 0) {
			fr->file = src;
			fr->line = lineno;
		}
	}
}

void symbolize_frames(struct symbolizer *s, struct rf_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct rf_frame *fr = &frames[i];
		if (fr->module == NULL) {
			continue;
		}
		struct module_file *f = open_file(s, fr->module->path);
		if (f->mod == NULL) {
			continue;
		}
		if (fr->module->build_id && f->build_id && strcmp(fr->module->build_id, f->build_id) != 0) {
			if (!f->warned_build_id) {
				cli_warn("%s: build-id differs from the report's (rebuilt since the run?): "
					 "its frames are shown as module+offset",
					 f->path);
				f->warned_build_id = true;
			}
			continue;
		}
		if (fr->offset == 0) {
			lookup(f, fr);
			continue;
		}
		struct cached *c = f->cache ? cache_slot(f, fr->offset) : NULL;
		if (c && c->offset == fr->offset) {
			fr->function = c->function;
			fr->symbol = c->symbol;
			fr->file = c->file;
			fr->line = c->line;
			continue;
		}
		lookup(f, fr);
		cache_put(f, fr);
	}
}
