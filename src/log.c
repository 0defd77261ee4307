/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log: one-line messages on fd 2 (see log.h).  Never stdio: it runs inside
 * hooks, before libc is initialised and in signal handlers.  Never blocks:
 * the program's stderr may be a pipe nobody drains, and a shim that stalls
 * a latency-critical thread on its own message is worse than a lost line.
 */
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "fmt.h"
#include "shim.h"
#include "sys.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

static int verbosity;
static bool to_stderr;
static atomic_uint lines;
static atomic_ulong dropped;
static atomic_int applying;

void log_set_verbosity(int verbose) { verbosity = verbose; }
void log_set_stderr(bool on) { to_stderr = on; }
int log_verbosity(void) { return verbosity; }
unsigned long log_dropped(void) { return atomic_load(&dropped); }

/* Weak: the ptfreeze command links this file without the shim's state. */
extern _Atomic int shim_state __attribute__((weak));

void log_applying(bool on) { atomic_fetch_add(&applying, on ? 1 : -1); }

bool log_startup(void)
{
	if (&shim_state == NULL || atomic_load(&applying) > 0) {
		return true;
	}
	int st = atomic_load_explicit(&shim_state, memory_order_acquire);
	return st == SHIM_UNINIT || st == SHIM_INITIALIZING;
}

/*
 * Writes one line to fd 2 only if that cannot block.  A regular file never
 * blocks for long, so it gets a plain write.  A pipe, socket or terminal is
 * polled first (zero timeout) and the write itself asks for RWF_NOWAIT, so
 * another thread filling the pipe between the two cannot make it wait
 * either; where the kernel does not support RWF_NOWAIT for the file, the
 * poll is the guard.  A line that would block is dropped and counted.
 */
static void emit(const char *buf, size_t len)
{
	struct stat st;
	if (sys_raw(SYS_fstat, 2, (long)&st, 0, 0, 0, 0) < 0) {
		return;
	}
	if (S_ISREG(st.st_mode)) {
		sys_write_all(2, buf, len);
		return;
	}
	struct pollfd p = {.fd = 2, .events = POLLOUT};
	struct timespec zero = {0, 0};
	long r = sys_raw(SYS_ppoll, (long)&p, 1, (long)&zero, 0, 0, 0);
	if (r <= 0 || !(p.revents & POLLOUT)) {
		atomic_fetch_add(&dropped, 1);
		return;
	}
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	r = sys_raw(SYS_pwritev2, 2, (long)&iov, 1, -1, 0, RWF_NOWAIT);
	if (r == -EOPNOTSUPP || r == -EINVAL || r == -ESPIPE) {
		r = sys_write(2, buf, len);
	}
	if (r < 0) {
		atomic_fetch_add(&dropped, 1);
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if ((int)level - (int)LOG_WARN > verbosity) {
		return;
	}
	/* After start-up only errors speak unasked: warnings are PTFREEZE_LOG=stderr's. */
	if (level == LOG_WARN && !to_stderr && !log_startup()) {
		return;
	}
	if (level <= LOG_WARN) {
		unsigned n = atomic_fetch_add(&lines, 1);
		if (n > LOG_MAX_LINES) {
			return;
		}
		if (n == LOG_MAX_LINES) {
			char b[96];
			fmt_string(b, sizeof(b), "ptfreeze[%ld]: warning: further messages suppressed\n", sys_getpid());
			emit(b, strlen(b));
			return;
		}
	}
	char buf[1024];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf) - 1);
	sb_printf(&sb, "ptfreeze[%ld]: %s: ", sys_getpid(), names[level]);
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	buf[sb.len++] = '\n';
	emit(buf, sb.len);
}
