/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sys: the shim's only path to the kernel (see sys.h).  Owns the single
 * trusted syscall instruction; must never call a libc wrapper that the shim
 * interposes.
 */
#include "autoconf.h"
#include "sys.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
/* rdi=nr, rsi..r9 = a1..a5, 8(%rsp) = a6; kernel wants rax, rdi, rsi, rdx, r10, r8, r9. */
__asm__(".text\n"
	".globl sys_raw\n"
	".hidden sys_raw\n"
	".type sys_raw,@function\n"
	"sys_raw:\n"
	".cfi_startproc\n"
	"\tmov %rdi, %rax\n"
	"\tmov %rsi, %rdi\n"
	"\tmov %rdx, %rsi\n"
	"\tmov %rcx, %rdx\n"
	"\tmov %r8, %r10\n"
	"\tmov %r9, %r8\n"
	"\tmov 8(%rsp), %r9\n"
	"\tsyscall\n"
	".globl ptfreeze_sys_raw_after\n"
	".hidden ptfreeze_sys_raw_after\n"
	"ptfreeze_sys_raw_after:\n"
	"\tret\n"
	".cfi_endproc\n"
	".size sys_raw, .-sys_raw\n");
extern char ptfreeze_sys_raw_after[];
uintptr_t sys_raw_site(void) { return (uintptr_t)ptfreeze_sys_raw_after; }
#else
long sys_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	int saved = errno;
	long r = syscall(nr, a1, a2, a3, a4, a5, a6);
	if (r == -1) {
		r = -errno;
	}
	errno = saved;
	return r;
}
uintptr_t sys_raw_site(void) { return 0; }
#endif

long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return sys_raw(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
}

long sys_munmap(void *addr, size_t len) { return sys_raw(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0); }

long sys_mprotect(void *addr, size_t len, int prot)
{
	return sys_raw(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0);
}

long sys_madvise(void *addr, size_t len, int advice)
{
	return sys_raw(SYS_madvise, (long)addr, (long)len, advice, 0, 0, 0);
}

long sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return sys_raw(SYS_mremap, (long)old, (long)old_len, (long)new_len, flags, (long)new_addr, 0);
}

long sys_mlock(const void *addr, size_t len) { return sys_raw(SYS_mlock, (long)addr, (long)len, 0, 0, 0, 0); }

long sys_open(const char *path, int flags, int mode)
{
	return sys_raw(SYS_openat, AT_FDCWD, (long)path, flags, mode, 0, 0);
}

long sys_read(int fd, void *buf, size_t len) { return sys_raw(SYS_read, fd, (long)buf, (long)len, 0, 0, 0); }
long sys_write(int fd, const void *buf, size_t len) { return sys_raw(SYS_write, fd, (long)buf, (long)len, 0, 0, 0); }
long sys_close(int fd) { return sys_raw(SYS_close, fd, 0, 0, 0, 0, 0); }

long sys_readlink(const char *path, char *buf, size_t len)
{
	return sys_raw(SYS_readlinkat, AT_FDCWD, (long)path, (long)buf, (long)len, 0, 0);
}

long sys_getpid(void) { return sys_raw(SYS_getpid, 0, 0, 0, 0, 0, 0); }
long sys_gettid(void) { return sys_raw(SYS_gettid, 0, 0, 0, 0, 0, 0); }
long sys_getppid(void) { return sys_raw(SYS_getppid, 0, 0, 0, 0, 0, 0); }

long sys_prctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
	return sys_raw(SYS_prctl, op, (long)a2, (long)a3, (long)a4, (long)a5, 0);
}

void sys_backoff(unsigned *spins)
{
	if ((*spins)++ < 128) {
		__builtin_ia32_pause();
	} else {
		sys_raw(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
}

int sys_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		long n = sys_write(fd, p, len);
		if (n == -EINTR) {
			continue;
		}
		if (n < 0) {
			return (int)n;
		}
		if (n == 0) {
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

long sys_high_fd(long fd)
{
	if (fd >= 0) {
		long high = sys_raw(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 200, 0, 0, 0);
		if (high >= 0) {
			sys_close((int)fd);
			fd = high;
		}
	}
	return fd;
}

/* sys_read, again while a signal interrupts it. */
static long read_intr(long fd, void *buf, size_t len)
{
	long n;
	do {
		n = sys_read((int)fd, buf, len);
	} while (n == -EINTR);
	return n;
}

long sys_read_file(const char *path, char *buf, size_t cap)
{
	if (cap == 0) {
		return -EINVAL;
	}
	long fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		return fd;
	}
	size_t got = 0;
	while (got + 1 < cap) {
		long n = read_intr(fd, buf + got, cap - 1 - got);
		if (n < 0) {
			sys_close((int)fd);
			return n;
		}
		if (n == 0) {
			break;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	sys_close((int)fd);
	return (long)got;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t sys_now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

uint64_t sys_wall_ns(void) { return clock_ns(CLOCK_REALTIME); }

int sys_for_each_line(const char *path, int (*fn)(char *line, void *arg), void *arg)
{
	char buf[8192];
	long fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		return (int)fd;
	}
	size_t have = 0;
	bool stop = false, skipping = false; /* skipping: the rest of a line already delivered cut */
	while (!stop) {
		long n = read_intr(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0) {
			sys_close((int)fd);
			return (int)n;
		}
		have += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < have && !stop; i++) {
			if (buf[i] != '\n') {
				continue;
			}
			buf[i] = '\0';
			if (!skipping) {
				stop = !fn(buf + start, arg);
			}
			skipping = false;
			start = i + 1;
		}
		if (n == 0) {
			if (start < have && !stop && !skipping) {
				buf[have] = '\0';
				fn(buf + start, arg);
			}
			break;
		}
		if (start == 0 && have == sizeof(buf) - 1) {
			/* Overlong line: deliver it cut, drop the rest of it. */
			buf[have] = '\0';
			if (!skipping) {
				stop = !fn(buf, arg);
			}
			skipping = true;
			start = have;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	sys_close((int)fd);
	return 0;
}

long sys_madvise_except(uintptr_t lo, uintptr_t hi, int advice, const struct sys_span *holes, size_t nholes)
{
	long res = 0;
	while (lo < hi) {
		/* The hole that starts first in [lo, hi) (the longest of those): the piece before it goes. */
		uintptr_t cut = hi, next = hi;
		for (size_t i = 0; i < nholes; i++) {
			const struct sys_span *h = &holes[i];
			if (h->lo >= h->hi || h->hi <= lo || h->lo >= hi) {
				continue;
			}
			uintptr_t a = h->lo > lo ? h->lo : lo;
			if (a < cut || (a == cut && h->hi > next)) {
				cut = a;
				next = h->hi;
			}
		}
		if (cut > lo) {
			long r = sys_madvise((void *)lo, cut - lo, advice);
			res = r < 0 ? r : res;
		}
		if (cut == hi) {
			break;
		}
		lo = next;
	}
	return res;
}
