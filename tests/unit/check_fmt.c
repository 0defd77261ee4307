/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_fmt: the fixed-buffer string builder (src/fmt.c): every conversion
 * the formatter documents, cutting at the buffer's end without writing past
 * it, and JSON string escaping.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sys/types.h>

#include "check_ptfreeze.h"
#include "fmt.h"

/* sb_printf without the format attribute, for formats the compiler would flag. */
static void loose_printf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

/* Formats into a roomy buffer and returns it. */
#define FMT(out, ...)                                                                                  \
	do {                                                                                           \
		struct sb sb_;                                                                         \
		sb_init(&sb_, out, sizeof(out));                                                       \
		sb_printf(&sb_, __VA_ARGS__);                                                          \
		ck_assert(!sb_.overflow);                                                              \
		sb_cstr(&sb_);                                                                         \
	} while (0)

static const char *json_of(char *out, size_t cap, const char *s, size_t n, bool *overflow)
{
	struct sb sb;
	sb_init(&sb, out, cap);
	sb_json(&sb, s, n);
	if (overflow) {
		*overflow = sb.overflow;
	}
	return sb_cstr(&sb);
}

START_TEST(test_fmt_printf_strings_and_chars)
{
	char b[128];
	FMT(b, "a%sb", "xyz");
	ck_assert_str_eq(b, "axyzb");
	FMT(b, "[%s]", "");
	ck_assert_str_eq(b, "[]");
	static const char *volatile none = NULL; /* hidden from -Wformat-overflow */
	FMT(b, "%s", none);
	ck_assert_str_eq(b, "(null)");
	FMT(b, "%c%c", 'o', 'k');
	ck_assert_str_eq(b, "ok");
	FMT(b, "no conversions");
	ck_assert_str_eq(b, "no conversions");
}
END_TEST

START_TEST(test_fmt_printf_signed_conversions)
{
	char b[128];
	FMT(b, "%d %d %d", 0, -7, 42);
	ck_assert_str_eq(b, "0 -7 42");
	FMT(b, "%d %d", INT_MIN, INT_MAX);
	ck_assert_str_eq(b, "-2147483648 2147483647");
	FMT(b, "%i", -3);
	ck_assert_str_eq(b, "-3");
	FMT(b, "%ld %ld", LONG_MIN, LONG_MAX);
	ck_assert_str_eq(b, "-9223372036854775808 9223372036854775807");
	FMT(b, "%lld", (long long)-1);
	ck_assert_str_eq(b, "-1");
	FMT(b, "%zd", (ssize_t)-5);
	ck_assert_str_eq(b, "-5");
}
END_TEST

START_TEST(test_fmt_printf_unsigned_and_hex_conversions)
{
	char b[128];
	FMT(b, "%u %u", 0u, UINT_MAX);
	ck_assert_str_eq(b, "0 4294967295");
	FMT(b, "%lu", ULONG_MAX);
	ck_assert_str_eq(b, "18446744073709551615");
	FMT(b, "%zu", (size_t)SIZE_MAX);
	ck_assert_str_eq(b, "18446744073709551615");
	FMT(b, "%llu", 12345ull);
	ck_assert_str_eq(b, "12345");
	FMT(b, "%x %x %x", 0u, 0xdeadbeefu, 10u);
	ck_assert_str_eq(b, "0 deadbeef a");
	FMT(b, "%lx", 0x123456789abcdef0ul);
	ck_assert_str_eq(b, "123456789abcdef0");
	FMT(b, "%zx", (size_t)255);
	ck_assert_str_eq(b, "ff");
}
END_TEST

START_TEST(test_fmt_printf_pointer_and_percent)
{
	char b[128], want[64];
	void *p = (void *)(uintptr_t)0x7f00dead1000ul;
	FMT(b, "%p", p);
	ck_assert_str_eq(b, "0x7f00dead1000");
	snprintf(want, sizeof(want), "%p", (void *)b);
	FMT(b, "%p", (void *)b);
	ck_assert_str_eq(b, want);
	FMT(b, "100%%");
	ck_assert_str_eq(b, "100%");
	FMT(b, "%%%d%%", 5);
	ck_assert_str_eq(b, "%5%");
}
END_TEST

START_TEST(test_fmt_printf_mixed_arguments_stay_in_step)
{
	/* Length modifiers must consume the right argument size, or later ones shift. */
	char b[256];
	FMT(b, "%s=%d,%zu,%lu,%ld,%x,%u,%s", "k", -1, (size_t)1 << 40, 7ul, -8l, 0xabu, 9u, "end");
	ck_assert_str_eq(b, "k=-1,1099511627776,7,-8,ab,9,end");
}
END_TEST

START_TEST(test_fmt_printf_unknown_conversion_is_printed_verbatim)
{
	char b[64];
	struct sb sb;
	sb_init(&sb, b, sizeof(b));
	loose_printf(&sb, "a%qb");
	ck_assert_str_eq(sb_cstr(&sb), "a%qb");
	sb_init(&sb, b, sizeof(b));
	loose_printf(&sb, "tail%");
	ck_assert_str_eq(sb_cstr(&sb), "tail");
}
END_TEST

START_TEST(test_fmt_overflow_sets_flag_and_never_writes_past_cap)
{
	static const char full[] = "pid=12345 name=abcdefghijklmnopqrstuvwxyz hex=deadbeef";
	for (size_t cap = 0; cap <= sizeof(full) + 4; cap++) {
		char b[sizeof(full) + 64];
		memset(b, 'Z', sizeof(b));
		struct sb sb;
		sb_init(&sb, b, cap);
		sb_printf(&sb, "pid=%d name=%s hex=%x", 12345, "abcdefghijklmnopqrstuvwxyz", 0xdeadbeefu);
		const char *s = sb_cstr(&sb);
		for (size_t i = cap; i < sizeof(b); i++) {
			ck_assert_msg(b[i] == 'Z', "cap %zu: byte %zu written", cap, i);
		}
		bool fits = cap > strlen(full);
		ck_assert_msg(sb.overflow == !fits, "cap %zu: overflow %d", cap, sb.overflow);
		ck_assert_uint_le(sb.len, cap ? cap - 1 : 0);
		if (cap > 0) {
			ck_assert_uint_eq(strlen(s), sb.len);
			ck_assert_msg(strncmp(s, full, sb.len) == 0, "cap %zu: '%s' is not a prefix", cap, s);
		} else {
			ck_assert_str_eq(s, "");
		}
	}
}
END_TEST

START_TEST(test_fmt_putmem_and_putc_respect_cap)
{
	char b[8 + 8];
	memset(b, 'Z', sizeof(b));
	struct sb sb;
	sb_init(&sb, b, 8);
	sb_putmem(&sb, "0123456789", 10);
	ck_assert(sb.overflow);
	ck_assert_uint_eq(sb.len, 7);
	sb_putc(&sb, 'x');
	sb_puts(&sb, "more");
	ck_assert_uint_eq(sb.len, 7);
	ck_assert_str_eq(sb_cstr(&sb), "0123456");
	for (size_t i = 8; i < sizeof(b); i++) {
		ck_assert(b[i] == 'Z');
	}
}
END_TEST

START_TEST(test_fmt_put_numbers_cover_the_64_bit_range)
{
	char b[64];
	struct sb sb;
	sb_init(&sb, b, sizeof(b));
	sb_putu(&sb, UINT64_MAX);
	sb_putc(&sb, ' ');
	sb_puti(&sb, INT64_MIN);
	sb_putc(&sb, ' ');
	sb_puthex(&sb, 0);
	sb_putc(&sb, ' ');
	sb_puthex(&sb, UINT64_MAX);
	ck_assert_str_eq(sb_cstr(&sb), "18446744073709551615 -9223372036854775808 0 ffffffffffffffff");
}
END_TEST

START_TEST(test_fmt_json_escapes_quotes_and_backslash)
{
	char b[128];
	ck_assert_str_eq(json_of(b, sizeof(b), "a\"b\\c", 5, NULL), "\"a\\\"b\\\\c\"");
	ck_assert_str_eq(json_of(b, sizeof(b), "", 0, NULL), "\"\"");
	ck_assert_str_eq(json_of(b, sizeof(b), "/path/ok", 8, NULL), "\"/path/ok\"");
}
END_TEST

START_TEST(test_fmt_json_escapes_control_characters)
{
	char b[128];
	ck_assert_str_eq(json_of(b, sizeof(b), "a\nb\tc", 5, NULL), "\"a\\nb\\tc\"");
	ck_assert_str_eq(json_of(b, sizeof(b), "\x01\x1f\r\x7f", 4, NULL), "\"\\u0001\\u001f\\u000d\\u007f\"");
	/* n counts bytes: an embedded NUL is data, not the end. */
	ck_assert_str_eq(json_of(b, sizeof(b), "a\0b", 3, NULL), "\"a\\u0000b\"");
}
END_TEST

START_TEST(test_fmt_json_escapes_invalid_utf8_bytes)
{
	char b[128];
	ck_assert_str_eq(json_of(b, sizeof(b), "\xff", 1, NULL), "\"\\u00ff\"");
	ck_assert_str_eq(json_of(b, sizeof(b), "a\x80z", 3, NULL), "\"a\\u0080z\"");
	/* A sequence cut short, by the data or by the length given. */
	ck_assert_str_eq(json_of(b, sizeof(b), "\xe2\x82", 2, NULL), "\"\\u00e2\\u0082\"");
	ck_assert_str_eq(json_of(b, sizeof(b), "\xe2\x82\xac", 2, NULL), "\"\\u00e2\\u0082\"");
	/* Lead byte followed by a non-continuation byte. */
	ck_assert_str_eq(json_of(b, sizeof(b), "\xc3(", 2, NULL), "\"\\u00c3(\"");
	/* Two-byte overlong forms (C0, C1) and bytes that never start a sequence. */
	ck_assert_str_eq(json_of(b, sizeof(b), "\xc0\xaf", 2, NULL), "\"\\u00c0\\u00af\"");
	ck_assert_str_eq(json_of(b, sizeof(b), "\xf5\x80\x80\x80", 4, NULL), "\"\\u00f5\\u0080\\u0080\\u0080\"");
}
END_TEST

START_TEST(test_fmt_json_keeps_valid_multibyte_utf8)
{
	char b[128];
	ck_assert_str_eq(json_of(b, sizeof(b), "\xc3\xa9", 2, NULL), "\"\xc3\xa9\"");             /* é */
	ck_assert_str_eq(json_of(b, sizeof(b), "\xe2\x82\xac", 3, NULL), "\"\xe2\x82\xac\"");     /* € */
	ck_assert_str_eq(json_of(b, sizeof(b), "\xf0\x9f\x98\x80", 4, NULL), "\"\xf0\x9f\x98\x80\""); /* 😀 */
	ck_assert_str_eq(json_of(b, sizeof(b), "\xf4\x8f\xbf\xbf", 4, NULL), "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	ck_assert_str_eq(json_of(b, sizeof(b), "\xed\x9f\xbf", 3, NULL), "\"\xed\x9f\xbf\"");     /* U+D7FF */
}
END_TEST

/*
 * BUG (src/fmt.c utf8_len): sequences that are well-formed in shape but
 * invalid UTF-8 under RFC 3629 are copied raw: 3-byte overlongs (E0 80..9F
 * xx), UTF-16 surrogates (ED A0..BF xx), 4-byte overlongs (F0 80..8F xx xx)
 * and code points above U+10FFFF (F4 90..BF xx xx).  The report then holds
 * invalid UTF-8, which is not JSON (RFC 8259 section 8.1); strict readers
 * such as Python's json on bytes reject the whole record.  Expected: each
 * byte escaped as \u00XX like any other invalid byte.
 */
START_TEST(test_fmt_json_escapes_overlong_surrogate_and_out_of_range_utf8)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
		{"\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\""},             /* overlong '/' */
		{"\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\""},             /* U+D800 */
		{"\xf0\x80\x80\xaf", 4, "\"\\u00f0\\u0080\\u0080\\u00af\""}, /* overlong '/' */
		{"\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\""}, /* U+110000 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char b[128];
		const char *got = json_of(b, sizeof(b), cases[i].in, cases[i].n, NULL);
		ck_assert_msg(unit_json_valid(got, strlen(got)), "case %zu: sb_json wrote invalid UTF-8, not JSON", i);
		ck_assert_str_eq(got, cases[i].want);
	}
}
END_TEST

START_TEST(test_fmt_json_output_is_valid_json_for_every_byte)
{
	/* Every single byte, and every byte after a valid lead, comes out as JSON. */
	for (int c = 0; c < 256; c++) {
		char in[2] = {(char)c, 'x'}, b[64];
		const char *got = json_of(b, sizeof(b), in, 2, NULL);
		ck_assert_msg(unit_json_valid(got, strlen(got)), "byte 0x%02x: %s", c, got);
	}
}
END_TEST

START_TEST(test_fmt_json_overflow_is_flagged)
{
	char b[8];
	bool overflow = false;
	json_of(b, sizeof(b), "abcdefghij", 10, &overflow);
	ck_assert(overflow);
	ck_assert_uint_eq(strlen(b), 7);
}
END_TEST

START_TEST(test_fmt_cstr_is_empty_for_zero_cap_and_fresh_builder)
{
	char b[4] = "xyz";
	struct sb sb;
	sb_init(&sb, b, 0);
	ck_assert_str_eq(sb_cstr(&sb), "");
	ck_assert_str_eq(b, "xyz");
	sb_init(&sb, b, sizeof(b));
	ck_assert_str_eq(sb_cstr(&sb), "");
}
END_TEST

START_TEST(test_fmt_parse_hex_reads_digits_of_either_case)
{
	const char *end;
	ck_assert_uint_eq(fmt_parse_hex("7fffdead-beef", &end), 0x7fffdeadu);
	ck_assert_str_eq(end, "-beef");
	ck_assert_uint_eq(fmt_parse_hex("ABCdef0 x", &end), 0xabcdef0u);
	ck_assert_str_eq(end, " x");
	ck_assert_uint_eq(fmt_parse_hex("ffffffffffffffff", NULL), UINT64_MAX);
	ck_assert_uint_eq(fmt_parse_hex("g1", &end), 0);
	ck_assert_str_eq(end, "g1");
}
END_TEST

START_TEST(test_fmt_hexbytes_skip_space_and_string)
{
	char buf[32];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf));
	static const unsigned char id[] = {0x00, 0x1f, 0xa0, 0xff};
	sb_puthexbytes(&sb, id, sizeof(id));
	ck_assert_str_eq(sb_cstr(&sb), "001fa0ff");
	ck_assert_str_eq(fmt_skip_space(" \t x "), "x ");
	ck_assert_str_eq(fmt_skip_space("x"), "x");
	ck_assert_str_eq(fmt_string(buf, sizeof(buf), "/proc/%ld/%s", 42L, "comm"), "/proc/42/comm");
	char small[6];
	ck_assert_str_eq(fmt_string(small, sizeof(small), "%s", "abcdefgh"), "abcde");
}
END_TEST

/* fmt_cpu_range reads "N" and "N-M" and stops at what follows; fmt_copy cuts to fit. */
START_TEST(test_fmt_cpu_range_and_copy)
{
	unsigned long lo, hi;
	const char *e = fmt_cpu_range("0-3,8", &lo, &hi);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_eq(hi, 3);
	ck_assert_str_eq(e, ",8");
	e = fmt_cpu_range(e + 1, &lo, &hi);
	ck_assert_uint_eq(lo, 8);
	ck_assert_uint_eq(hi, 8);
	ck_assert_str_eq(e, "");
	e = fmt_cpu_range("12-15\n", &lo, &hi);
	ck_assert_uint_eq(lo, 12);
	ck_assert_uint_eq(hi, 15);
	ck_assert_str_eq(e, "\n");
	char small[4], roomy[16];
	fmt_copy(small, sizeof(small), "abcdef");
	ck_assert_str_eq(small, "abc");
	fmt_copy(roomy, sizeof(roomy), "abcdef");
	ck_assert_str_eq(roomy, "abcdef");
	fmt_copy(small, 1, "x");
	ck_assert_str_eq(small, "");
}
END_TEST

Suite *fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("printf");
	tcase_add_test(tc, test_fmt_printf_strings_and_chars);
	tcase_add_test(tc, test_fmt_printf_signed_conversions);
	tcase_add_test(tc, test_fmt_printf_unsigned_and_hex_conversions);
	tcase_add_test(tc, test_fmt_printf_pointer_and_percent);
	tcase_add_test(tc, test_fmt_printf_mixed_arguments_stay_in_step);
	tcase_add_test(tc, test_fmt_printf_unknown_conversion_is_printed_verbatim);
	tcase_add_test(tc, test_fmt_overflow_sets_flag_and_never_writes_past_cap);
	tcase_add_test(tc, test_fmt_putmem_and_putc_respect_cap);
	tcase_add_test(tc, test_fmt_put_numbers_cover_the_64_bit_range);
	tcase_add_test(tc, test_fmt_cstr_is_empty_for_zero_cap_and_fresh_builder);
	tcase_add_test(tc, test_fmt_parse_hex_reads_digits_of_either_case);
	tcase_add_test(tc, test_fmt_hexbytes_skip_space_and_string);
	tcase_add_test(tc, test_fmt_cpu_range_and_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, test_fmt_json_escapes_quotes_and_backslash);
	tcase_add_test(tc, test_fmt_json_escapes_control_characters);
	tcase_add_test(tc, test_fmt_json_escapes_invalid_utf8_bytes);
	tcase_add_test(tc, test_fmt_json_keeps_valid_multibyte_utf8);
	tcase_add_test(tc, test_fmt_json_escapes_overlong_surrogate_and_out_of_range_utf8);
	tcase_add_test(tc, test_fmt_json_output_is_valid_json_for_every_byte);
	tcase_add_test(tc, test_fmt_json_overflow_is_flagged);
	suite_add_tcase(s, tc);
	return s;
}
