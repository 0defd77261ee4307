/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sys: raw system calls for the rest of the shim.
 *
 * Every system call the shim makes on its own behalf goes through
 * sys_raw(), one function with one syscall instruction, so that the shim
 * never re-enters its own interposed libc wrappers and so that a seccomp
 * filter can recognise the shim's own calls by instruction pointer
 * (sys_raw_site()).  All functions return the kernel's result: a value >= 0
 * or -errno.  They never touch errno, never allocate and are
 * async-signal-safe.
 */
#ifndef PTFREEZE_SYS_H
#define PTFREEZE_SYS_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

long sys_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
/*
 * For an interposer's return, the one place here that sets errno: a
 * kernel result < 0 becomes errno and -1, as libc's int-returning wrappers do.
 */
static inline int sys_ret_int(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}
/* Address just after the trusted syscall instruction. */
uintptr_t sys_raw_site(void);

long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
long sys_munmap(void *addr, size_t len);
long sys_mprotect(void *addr, size_t len, int prot);
long sys_madvise(void *addr, size_t len, int advice);
long sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr);
long sys_mlock(const void *addr, size_t len);
long sys_open(const char *path, int flags, int mode);
long sys_read(int fd, void *buf, size_t len);
long sys_write(int fd, const void *buf, size_t len);
long sys_close(int fd);
long sys_readlink(const char *path, char *buf, size_t len);
long sys_getpid(void);
long sys_gettid(void);
long sys_getppid(void);
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
long sys_prctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);

/*
 * One round of waiting for a spin flag: a pause for the first rounds, then
 * sched_yield.  With more threads than CPUs the holder may be preempted (or
 * forking, or prefaulting a new pool region), and pure spinning burns the
 * time it needs to finish.  *spins starts at 0.
 */
void sys_backoff(unsigned *spins);

/* Takes a spin flag, backing off while another thread holds it; drops it. */
static inline void sys_spin_lock(atomic_flag *f)
{
	unsigned spins = 0;
	while (atomic_flag_test_and_set_explicit(f, memory_order_acquire)) {
		sys_backoff(&spins);
	}
}

static inline void sys_spin_unlock(atomic_flag *f) { atomic_flag_clear_explicit(f, memory_order_release); }

/*
 * Moves fd (if >= 0) to a close-on-exec descriptor >= 200, clear of the
 * low ones programs dup2 over; returns the new one, or fd where it cannot.
 */
long sys_high_fd(long fd);

/* Writes all of buf (retrying short writes and EINTR); 0 or -errno. */
int sys_write_all(int fd, const void *buf, size_t len);
/* Reads a whole small file into buf (NUL-terminated); bytes read or -errno. */
long sys_read_file(const char *path, char *buf, size_t cap);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in ns (vDSO via libc: no syscall). */
uint64_t sys_now_ns(void);
uint64_t sys_wall_ns(void);

/*
 * Calls fn for each line of a (proc) file, read through a fixed buffer with
 * raw syscalls; a line longer than the buffer is delivered cut and the rest
 * of it dropped.  fn returns false to stop.  Returns 0 or -errno.
 */
int sys_for_each_line(const char *path, int (*fn)(char *line, void *arg), void *arg);

/* An address range [lo, hi). */
struct sys_span {
	uintptr_t lo, hi;
};
/*
 * madvise(advice) over [lo, hi) but the holes (page-aligned, any order):
 * one call per piece left.  The result of the last call that failed, or 0.
 */
long sys_madvise_except(uintptr_t lo, uintptr_t hi, int advice, const struct sys_span *holes, size_t nholes);

#endif

