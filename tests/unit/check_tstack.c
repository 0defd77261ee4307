/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_tstack: the thread stack cache (src/tstack.c): threads run on
 * slots below a PROT_NONE guard with a prefaulted top, a joined or exited
 * detached thread's slot is reused without growing the cache, the tid word
 * is found, a caller's own stack and a stack larger than a slot are left to
 * glibc, and PTFREEZE_THREAD_STACKS=0 turns the cache off.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check_ptfreeze.h"
#include "real.h"
#include "tstack.h"

static void setup_cache(int slots)
{
	ck_assert_int_eq(config_load((char *[]){NULL}), 0);
	config.log_stderr = false;
	config.thread_stacks = slots;
	real_resolve();
	ck_assert_int_eq(tstack_init(), 0);
	ck_assert(tstack_enabled());
	ck_assert_int_eq(tstack_slots(), slots);
}

struct seen {
	uintptr_t lo, hi; /* the thread's stack per pthread_getattr_np */
	long tid;
	sem_t done;
	sem_t go;
	bool wait_go;
};

static void *look(void *p)
{
	struct seen *s = p;
	pthread_attr_t a;
	void *lo;
	size_t n;
	ck_assert_int_eq(pthread_getattr_np(pthread_self(), &a), 0);
	ck_assert_int_eq(pthread_attr_getstack(&a, &lo, &n), 0);
	pthread_attr_destroy(&a);
	s->lo = (uintptr_t)lo;
	s->hi = (uintptr_t)lo + n;
	s->tid = syscall(SYS_gettid);
	sem_post(&s->done);
	if (s->wait_go) {
		sem_wait(&s->go);
	}
	return NULL;
}

/* Creates a thread through the cache; returns it. */
static pthread_t create(const pthread_attr_t *attr, struct seen *s)
{
	pthread_t t;
	int r = -1;
	const char *why = NULL;
	bool grew = false;
	ck_assert_int_eq(tstack_create(&t, attr, look, s, TSTACK_EMPTY_GROW, &r, &why, &grew), TSTACK_DONE);
	ck_assert_int_eq(r, 0);
	return t;
}

static void join(pthread_t t)
{
	ck_assert_int_eq(real.pthread_join(t, NULL), 0);
	tstack_joined(t);
}

/* The permissions /proc/self/maps gives the page holding a, like "---p". */
static void perms_of(uintptr_t a, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	strcpy(out, "?");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && a >= lo && a < hi) {
			strcpy(out, p);
		}
	}
	if (f) {
		fclose(f);
	}
}

START_TEST(test_tstack_threads_run_on_guarded_prefaulted_slots)
{
	setup_cache(4);
	struct seen s = {0};
	sem_init(&s.done, 0, 0);
	pthread_t t = create(NULL, &s);
	join(t);
	ck_assert_int_ge(tstack_slot_of((void *)s.lo), 0);
	ck_assert_int_eq(tstack_slot_of((void *)s.lo), tstack_slot_of((void *)(s.hi - 1)));
	ck_assert_int_eq(tstack_slot_of((void *)t), tstack_slot_of((void *)s.lo));
	char p[5];
	perms_of(s.lo - 1, p);
	ck_assert_msg(strcmp(p, "---p") == 0, "the page below the stack is %s, not a guard", p);
	perms_of(s.lo, p);
	ck_assert_str_eq(p, "rw-p");
	unsigned char vec[64];
	ck_assert_int_eq(mincore((void *)(s.hi - sizeof(vec) * 4096), sizeof(vec) * 4096, vec), 0);
	for (size_t i = 0; i < sizeof(vec); i++) {
		ck_assert_msg(vec[i] & 1, "page %zu below the stack top is not resident", sizeof(vec) - i);
	}
}
END_TEST

START_TEST(test_tstack_finds_the_kernel_tid_word)
{
	setup_cache(2);
	long off = tstack_tid_offset();
	ck_assert_int_ge(off, 0);
	struct seen s = {.wait_go = true};
	sem_init(&s.done, 0, 0);
	sem_init(&s.go, 0, 0);
	pthread_t t = create(NULL, &s);
	sem_wait(&s.done);
	ck_assert_int_eq(*(volatile int *)((uintptr_t)t + (uintptr_t)off), s.tid);
	sem_post(&s.go);
	join(t);
}
END_TEST

START_TEST(test_tstack_joined_slots_are_reused_without_growth)
{
	setup_cache(2);
	for (int i = 0; i < 50; i++) {
		struct seen a = {0}, b = {0};
		sem_init(&a.done, 0, 0);
		sem_init(&b.done, 0, 0);
		pthread_t x = create(NULL, &a), y = create(NULL, &b);
		join(x);
		join(y);
		ck_assert_int_ne(tstack_slot_of((void *)a.lo), tstack_slot_of((void *)b.lo));
	}
	ck_assert_int_eq(tstack_slots(), 2);
}
END_TEST

START_TEST(test_tstack_detached_slots_are_reclaimed_after_exit)
{
	setup_cache(2);
	long off = tstack_tid_offset();
	ck_assert_int_ge(off, 0);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 20; i++) {
		struct seen s = {0};
		sem_init(&s.done, 0, 0);
		pthread_t t = create(&a, &s);
		sem_wait(&s.done);
		/* Until the kernel clears the tid word the slot is not free. */
		while (*(volatile int *)((uintptr_t)t + (uintptr_t)off) != 0) {
			usleep(100);
		}
	}
	/* One more, still running, while the cache holds two slots. */
	struct seen s = {.wait_go = true};
	sem_init(&s.done, 0, 0);
	sem_init(&s.go, 0, 0);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE);
	pthread_t t = create(&a, &s);
	sem_wait(&s.done);
	ck_assert_int_eq(tstack_slots(), 2);
	sem_post(&s.go);
	join(t);
	pthread_attr_destroy(&a);
}
END_TEST

START_TEST(test_tstack_later_detach_frees_the_slot)
{
	setup_cache(1);
	for (int i = 0; i < 10; i++) {
		struct seen s = {0};
		sem_init(&s.done, 0, 0);
		pthread_t t = create(NULL, &s);
		sem_wait(&s.done);
		ck_assert_int_eq(real.pthread_detach(t), 0);
		tstack_detached(t);
		while (*(volatile int *)((uintptr_t)t + (uintptr_t)tstack_tid_offset()) != 0) {
			usleep(100);
		}
	}
	ck_assert_int_eq(tstack_slots(), 1);
}
END_TEST

START_TEST(test_tstack_grows_before_arming_when_empty)
{
	setup_cache(1);
	struct seen s[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].wait_go = true;
		sem_init(&s[i].done, 0, 0);
		sem_init(&s[i].go, 0, 0);
		t[i] = create(NULL, &s[i]);
		sem_wait(&s[i].done);
	}
	ck_assert_int_ge(tstack_slots(), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_ge(tstack_slot_of((void *)s[i].lo), 0);
		sem_post(&s[i].go);
		join(t[i]);
	}
}
END_TEST

START_TEST(test_tstack_own_stack_attr_is_recognised)
{
	pthread_attr_t a;
	static char buf[1 << 20] __attribute__((aligned(4096)));
	pthread_attr_init(&a);
	ck_assert(!tstack_attr_has_stack(&a));
	pthread_attr_setstacksize(&a, 1 << 20);
	ck_assert(!tstack_attr_has_stack(&a));
	pthread_attr_setstack(&a, buf, sizeof(buf));
	ck_assert(tstack_attr_has_stack(&a));
	pthread_attr_destroy(&a);
}
END_TEST

START_TEST(test_tstack_larger_stack_goes_to_glibc)
{
	setup_cache(1);
	pthread_attr_t a, d;
	size_t slot = 0;
	pthread_getattr_default_np(&d);
	pthread_attr_getstacksize(&d, &slot);
	pthread_attr_destroy(&d);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, slot * 2);
	pthread_t t;
	int r = -1;
	const char *why = NULL;
	bool grew = false;
	ck_assert_int_eq(tstack_create(&t, &a, look, NULL, TSTACK_EMPTY_GROW, &r, &why, &grew), TSTACK_GLIBC);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "larger"));
	pthread_attr_setstacksize(&a, slot);
	pthread_attr_setguardsize(&a, 1 << 20);
	ck_assert_int_eq(tstack_create(&t, &a, look, NULL, TSTACK_EMPTY_GROW, &r, &why, &grew), TSTACK_GLIBC);
	pthread_attr_destroy(&a);
}
END_TEST

START_TEST(test_tstack_off_when_zero_slots)
{
	ck_assert_int_eq(config_load((char *[]){"PTFREEZE_THREAD_STACKS=0", NULL}), 0);
	real_resolve();
	ck_assert_int_eq(tstack_init(), 0);
	ck_assert(!tstack_enabled());
	ck_assert_int_eq(tstack_slots(), 0);
	pthread_t t;
	int r = -1;
	const char *why = NULL;
	bool grew = false;
	ck_assert_int_eq(tstack_create(&t, NULL, look, NULL, TSTACK_EMPTY_GROW, &r, &why, &grew), TSTACK_GLIBC);
}
END_TEST

Suite *tstack_suite(void)
{
	Suite *s = suite_create("tstack");
	TCase *tc = tcase_create("cache");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tstack_threads_run_on_guarded_prefaulted_slots);
	tcase_add_test(tc, test_tstack_finds_the_kernel_tid_word);
	tcase_add_test(tc, test_tstack_joined_slots_are_reused_without_growth);
	tcase_add_test(tc, test_tstack_detached_slots_are_reclaimed_after_exit);
	tcase_add_test(tc, test_tstack_later_detach_frees_the_slot);
	tcase_add_test(tc, test_tstack_grows_before_arming_when_empty);
	tcase_add_test(tc, test_tstack_own_stack_attr_is_recognised);
	tcase_add_test(tc, test_tstack_larger_stack_goes_to_glibc);
	tcase_add_test(tc, test_tstack_off_when_zero_slots);
	suite_add_tcase(s, tc);
	return s;
}
