/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log: rate-limited one-line messages (see log.h).  Never stdio: it runs
 * inside hooks, before libc is initialised and in signal handlers.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>

#include "fmt.h"
#include "sys.h"

static int verbosity;
static atomic_uint lines;

void log_set_verbosity(int verbose) { verbosity = verbose; }
int log_verbosity(void) { return verbosity; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if ((int)level - (int)LOG_WARN > verbosity) {
		return;
	}
	if (level <= LOG_WARN) {
		unsigned n = atomic_fetch_add(&lines, 1);
		if (n > LOG_MAX_LINES) {
			return;
		}
		if (n == LOG_MAX_LINES) {
			char b[96];
			struct sb sb;
			sb_init(&sb, b, sizeof(b));
			sb_printf(&sb, "ptfreeze[%ld]: warning: further messages suppressed\n", sys_getpid());
			sys_write_all(2, b, sb.len);
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
	sys_write_all(2, buf, sb.len);
}
