/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fmt: a string builder over a caller's fixed buffer, with a small
 * printf-like formatter.  Used by every message and report record so the
 * shim never touches stdio.  Never allocates; async-signal-safe; output
 * that does not fit is cut and sb.overflow is set.
 *
 * Conversions: %s %c %d %i %u %x %p %% with length modifiers l, ll, z.
 */
#ifndef PTFREEZE_FMT_H
#define PTFREEZE_FMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb {
	char *buf;
	size_t len;
	size_t cap;
	bool overflow;
};

void sb_init(struct sb *sb, char *buf, size_t cap);
void sb_putc(struct sb *sb, char c);
void sb_puts(struct sb *sb, const char *s);
void sb_putmem(struct sb *sb, const char *s, size_t n);
void sb_putu(struct sb *sb, uint64_t v);
void sb_puti(struct sb *sb, int64_t v);
void sb_puthex(struct sb *sb, uint64_t v);
/* Two lowercase hex digits per byte of p (a build id). */
void sb_puthexbytes(struct sb *sb, const unsigned char *p, size_t n);
/* JSON string literal of n bytes of s; invalid UTF-8 bytes become \u00XX. */
void sb_json(struct sb *sb, const char *s, size_t n);
void sb_printf(struct sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct sb *sb, const char *fmt, va_list ap);
/* NUL-terminates (cutting one byte if needed) and returns buf. */
const char *sb_cstr(struct sb *sb);

/*
 * The hex number at s (digits of either case, no "0x"; 0 if none), and in
 * *end (if not NULL) where it stops.  The one hex reader for /proc fields.
 */
uint64_t fmt_parse_hex(const char *s, const char **end);
/* src into dst, cut to cap - 1 bytes, NUL-terminated (cap > 0): strlcpy for the shim. */
void fmt_copy(char *dst, size_t cap, const char *src);
/* s past its leading spaces and tabs. */
const char *fmt_skip_space(const char *s);
/*
 * One item of a kernel CPU list ("0-3,8,10-11") at s: "N" or "N-M" into
 * *lo and *hi (hi = lo for "N"); returns where it stops (at the ',' or
 * whatever ends the list).  The one reader of such lists.
 */
const char *fmt_cpu_range(const char *s, unsigned long *lo, unsigned long *hi);
/* sb_printf into buf (cut to cap, NUL-terminated): snprintf for the shim; returns buf. */
const char *fmt_string(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
