/* SPDX-License-Identifier: BSD-2-Clause */
/* check_phdr: the program-header walker (src/phdr.c), against the loader's view. */
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "check_ptfreeze.h"
#include "phdr.h"

struct object {
	uintptr_t addr;
	bool found, contains;
	uintptr_t lo, hi, xlo, xhi;
	bool has_id;
	size_t id_len;
};

static int object_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct object *o = arg;
	uintptr_t lo, hi;
	if (!phdr_load_span(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, 0, &lo, &hi) || o->addr < lo ||
	    o->addr >= hi) {
		return 0;
	}
	o->found = true;
	o->lo = lo;
	o->hi = hi;
	o->contains = phdr_load_contains(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, o->addr);
	ck_assert(phdr_load_span(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, PF_X, &o->xlo, &o->xhi));
	const unsigned char *id;
	o->has_id = phdr_build_id(info, &id, &o->id_len);
	return 1;
}

START_TEST(test_phdr_spans_the_object_holding_a_function)
{
	struct object o = {.addr = (uintptr_t)&object_cb};
	ck_assert(dl_iterate_phdr(object_cb, &o));
	ck_assert(o.found);
	ck_assert(o.contains);
	/* Code lies inside the whole image, and the function inside the code. */
	ck_assert(o.lo <= o.xlo && o.xhi <= o.hi);
	ck_assert(o.addr >= o.xlo && o.addr < o.xhi);
}
END_TEST

START_TEST(test_phdr_reads_libc_build_id)
{
	struct object o = {.addr = (uintptr_t)&strlen};
	ck_assert(dl_iterate_phdr(object_cb, &o));
	ck_assert(o.found);
	if (!o.has_id) {
		unit_note("libc has no GNU build id note here: nothing to compare");
		return;
	}
	ck_assert_uint_eq(o.id_len, 20); /* SHA-1, what Debian's toolchain writes */
}
END_TEST

START_TEST(test_phdr_no_load_segment_is_no_span)
{
	ElfW(Phdr) ph[2];
	memset(ph, 0, sizeof(ph));
	ph[0].p_type = PT_NOTE;
	ph[1].p_type = PT_LOAD;
	ph[1].p_flags = PF_R;
	ph[1].p_vaddr = 0x1000;
	ph[1].p_memsz = 0x2000;
	uintptr_t lo = 1, hi = 2;
	ck_assert(!phdr_load_span(ph, 2, 0x400000, PF_X, &lo, &hi));
	ck_assert_uint_eq(lo, 1); /* untouched */
	ck_assert(phdr_load_span(ph, 2, 0x400000, 0, &lo, &hi));
	ck_assert_uint_eq(lo, 0x401000);
	ck_assert_uint_eq(hi, 0x403000);
	ck_assert(phdr_load_contains(ph, 2, 0x400000, 0x402fff));
	ck_assert(!phdr_load_contains(ph, 2, 0x400000, 0x403000));
}
END_TEST

START_TEST(test_phdr_image_end_rejects_what_is_not_elf)
{
	static unsigned char junk[4096];
	ck_assert_uint_eq(phdr_image_end((uintptr_t)junk, sizeof(junk)), 0);
	ck_assert_uint_eq(phdr_image_end((uintptr_t)junk, 8), 0);
}
END_TEST

Suite *phdr_suite(void)
{
	Suite *s = suite_create("phdr");
	TCase *tc = tcase_create("walk");
	tcase_add_test(tc, test_phdr_spans_the_object_holding_a_function);
	tcase_add_test(tc, test_phdr_reads_libc_build_id);
	tcase_add_test(tc, test_phdr_no_load_segment_is_no_span);
	tcase_add_test(tc, test_phdr_image_end_rejects_what_is_not_elf);
	suite_add_tcase(s, tc);
	return s;
}
