/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fmt: fixed-buffer string building (see fmt.h).  Must never allocate or
 * call stdio: it runs inside hooks and signal handlers.
 */
#include "fmt.h"

#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

void sb_init(struct sb *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->len = 0;
	sb->cap = cap;
	sb->overflow = false;
	if (cap > 0) {
		buf[0] = '\0';
	}
}

void sb_putc(struct sb *sb, char c)
{
	if (sb->len + 1 < sb->cap) {
		sb->buf[sb->len++] = c;
	} else {
		sb->overflow = true;
	}
}

void sb_putmem(struct sb *sb, const char *s, size_t n)
{
	size_t room = sb->cap > sb->len + 1 ? sb->cap - sb->len - 1 : 0;
	if (n > room) {
		n = room;
		sb->overflow = true;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
}

void sb_puts(struct sb *sb, const char *s) { sb_putmem(sb, s ? s : "(null)", strlen(s ? s : "(null)")); }

/* v in base 10 or 16 (inlined with the base known: a shift for 16). */
static inline void put_digits(struct sb *sb, uint64_t v, unsigned base)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = hex_digits[v % base];
		v /= base;
	} while (v);
	while (i) {
		sb_putc(sb, tmp[--i]);
	}
}

void sb_putu(struct sb *sb, uint64_t v) { put_digits(sb, v, 10); }

void sb_puti(struct sb *sb, int64_t v)
{
	if (v < 0) {
		sb_putc(sb, '-');
		sb_putu(sb, (uint64_t)0 - (uint64_t)v);
	} else {
		sb_putu(sb, (uint64_t)v);
	}
}

void sb_puthex(struct sb *sb, uint64_t v) { put_digits(sb, v, 16); }

/*
 * Length of the well-formed UTF-8 sequence at s (1..4), or 0: overlong
 * forms, surrogates and code points above U+10FFFF are not well formed
 * (strict JSON readers reject them).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	if (c < 0x80) {
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xf4) {
		len = c <= 0xef ? 3 : 4;
		/* The second byte's narrower ranges: no overlongs, no surrogates, nothing past U+10FFFF. */
		switch (c) {
		case 0xe0: lo = 0xa0; break;
		case 0xed: hi = 0x9f; break;
		case 0xf0: lo = 0x90; break;
		case 0xf4: hi = 0x8f; break;
		default: break;
		}
	} else {
		return 0;
	}
	if (len > n || s[1] < lo || s[1] > hi) {
		return 0;
	}
	for (size_t i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
	}
	return len;
}

void sb_json(struct sb *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	sb_putc(sb, '"');
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			sb_putc(sb, '\\');
			sb_putc(sb, (char)c);
			i++;
		} else if (c == '\n') {
			sb_puts(sb, "\\n");
			i++;
		} else if (c == '\t') {
			sb_puts(sb, "\\t");
			i++;
		} else {
			size_t l = c < 0x20 || c == 0x7f ? 0 : utf8_len(p + i, n - i);
			if (l == 0) {
				/* A control byte, or not UTF-8: keep the byte visible without breaking JSON. */
				sb_puts(sb, "\\u00");
				sb_puthexbytes(sb, &c, 1);
				i++;
			} else {
				sb_putmem(sb, (const char *)p + i, l);
				i += l;
			}
		}
	}
	sb_putc(sb, '"');
}

void sb_vprintf(struct sb *sb, const char *fmt, va_list ap)
{
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			sb_putc(sb, *f);
			continue;
		}
		f++;
		int lng = 0;
		bool size = false;
		while (*f == 'l' || *f == 'z') {
			if (*f == 'l') {
				lng++;
			} else {
				size = true;
			}
			f++;
		}
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v = size ? (int64_t)va_arg(ap, long) : lng ? (int64_t)va_arg(ap, long) : va_arg(ap, int);
			sb_puti(sb, v);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = size ? va_arg(ap, size_t) : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			if (*f == 'u') {
				sb_putu(sb, v);
			} else {
				sb_puthex(sb, v);
			}
			break;
		}
		case 'p':
			sb_puts(sb, "0x");
			sb_puthex(sb, (uintptr_t)va_arg(ap, void *));
			break;
		case 's':
			sb_puts(sb, va_arg(ap, const char *));
			break;
		case 'c':
			sb_putc(sb, (char)va_arg(ap, int));
			break;
		case '%':
			sb_putc(sb, '%');
			break;
		case '\0':
			return;
		default:
			sb_putc(sb, '%');
			sb_putc(sb, *f);
			break;
		}
	}
}

void sb_printf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

const char *sb_cstr(struct sb *sb)
{
	if (sb->cap == 0) {
		return "";
	}
	sb->buf[sb->len < sb->cap ? sb->len : sb->cap - 1] = '\0';
	return sb->buf;
}

void sb_puthexbytes(struct sb *sb, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sb_putc(sb, hex_digits[p[i] >> 4]);
		sb_putc(sb, hex_digits[p[i] & 15]);
	}
}

uint64_t fmt_parse_hex(const char *s, const char **end)
{
	uint64_t v = 0;
	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9') {
			d = (unsigned)(*s - '0');
		} else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f') {
			d = (unsigned)((*s | 0x20) - 'a' + 10);
		} else {
			break;
		}
		v = v << 4 | d;
	}
	if (end) {
		*end = s;
	}
	return v;
}

const char *fmt_skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	return s;
}

void fmt_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap) {
		n = cap - 1;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

const char *fmt_cpu_range(const char *s, unsigned long *lo, unsigned long *hi)
{
	*lo = 0;
	while (*s >= '0' && *s <= '9') {
		*lo = *lo * 10 + (unsigned long)(*s++ - '0');
	}
	*hi = *lo;
	if (*s == '-') {
		s++;
		*hi = 0;
		while (*s >= '0' && *s <= '9') {
			*hi = *hi * 10 + (unsigned long)(*s++ - '0');
		}
	}
	return s;
}

const char *fmt_string(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	struct sb sb;
	va_start(ap, fmt);
	sb_init(&sb, buf, cap);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	return sb_cstr(&sb);
}
