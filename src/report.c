/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report: JSON Lines records written with write(2) (see report.h and
 * docs/report-format.md).  Must never use stdio or allocate in a record
 * writer; only report_open() and report_header() run outside hooks.
 */
#include "autoconf.h"
#include "config.h"
#include "drift.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arena.h"
#include "capture.h"
#include "audit.h"
#include "fmt.h"
#include "kinds.h"
#include "log.h"
#include "numa.h"
#include "phdr.h"
#include "pool.h"
#include "shim.h"
#include "suppress.h"
#include "sys.h"
#include "tstack.h"

static int fd = -1;
/*
 * The file is created lazily, by the first record (an arm record, a
 * violation): a process that never arms and records nothing leaves no file.
 * The header and the module records go first, from the creating thread.
 */
enum { R_OFF, R_PENDING, R_OPENING, R_OPEN, R_FAILED, R_FORKED, R_RESOLVING };
static _Atomic int rstate;
static _Atomic long opener_tid;
static long header_parent;
static uint64_t start_wall_ns; /* when this process (or fork child) started: the header is written later */
static char choice[CONFIG_VALUE_MAX + 64];
static int fd_error; /* why the last creation failed (-errno) */
/* Pool growth before the file exists (start-up), written after the header. */
#define EARLY_GROWS 16
static struct early_grow {
	size_t need, size;
	int result;
	const char *who; /* a string literal */
} early_grows[EARLY_GROWS];
static _Atomic unsigned nearly_grows;
static void write_early_grows(void);
static dev_t fd_dev;
static ino_t fd_ino;
static char path[CONFIG_PATH_MAX];
static char exe[512];
static char header_buf[65536];
static char *summary_buf;
static size_t summary_cap;
static atomic_flag summary_done;
static long owner_pid; /* the process the open report belongs to */
static _Atomic int reopening;
/* The first write the file refused (-errno; 0: none), and records lost since. */
static _Atomic long write_error;
static _Atomic uint64_t dropped_records;
/* RLIMIT_FSIZE at open: writing past it would kill the program with SIGXFSZ. */
static rlim_t fsize_limit = RLIM_INFINITY;
static off_t file_size;

#define MAX_MODULES 1024
static uintptr_t modules_seen[MAX_MODULES];
static size_t nmodules;

static void resolve_forked(void);

bool report_enabled(void)
{
	resolve_forked();
	int st = atomic_load(&rstate);
	return st == R_PENDING || st == R_OPENING || st == R_OPEN;
}
bool report_written(void) { return atomic_load(&rstate) == R_OPEN && fd > 2; }

void report_set_choice(const char *why)
{
	size_t n = strlen(why);
	n = n < sizeof(choice) - 1 ? n : sizeof(choice) - 1;
	memcpy(choice, why, n);
	choice[n] = '\0';
}
const char *report_path(void)
{
	resolve_forked();
	return path;
}

static const char *exe_name(void)
{
	if (exe[0] == '\0') {
		long n = sys_readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
	}
	return exe;
}

int report_expand(const char *tmpl, long pid, const char *exe_path, char *buf, size_t cap)
{
	struct sb sb;
	sb_init(&sb, buf, cap);
	const char *base = strrchr(exe_path, '/');
	base = base ? base + 1 : exe_path;
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%') {
			sb_putc(&sb, *p);
			continue;
		}
		p++;
		if (*p == 'p') {
			sb_putu(&sb, (uint64_t)pid);
		} else if (*p == 'e') {
			/* Only safe characters: the name can never add a path component. */
			if (*base == '\0' || *base == '.') {
				sb_putc(&sb, '_');
			}
			for (const char *c = base; *c; c++) {
				bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
					  *c == '.' || *c == '_' || *c == '-' || *c == '+';
				sb_putc(&sb, ok ? *c : '_');
			}
		} else if (*p == '%') {
			sb_putc(&sb, '%');
		} else {
			return -EINVAL;
		}
		if (*p == '\0') {
			break;
		}
	}
	sb_cstr(&sb);
	return sb.overflow ? -ENAMETOOLONG : 0;
}

/* Opens the report path, moved clear of the low descriptors programs dup2 over. */
static long open_file(int extra)
{
	/* O_NONBLOCK: a FIFO planted at the path must not hang the program. */
	long r = sys_open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_APPEND | O_NONBLOCK | extra, 0600);
	if (r < 0) {
		return r;
	}
	struct stat st;
	if (sys_raw(SYS_fstat, r, (long)&st, 0, 0, 0, 0) != 0 || !S_ISREG(st.st_mode)) {
		sys_close((int)r);
		return -EINVAL;
	}
	return sys_high_fd(r);
}

static void remember_identity(void)
{
	struct stat st;
	if (sys_raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) == 0) {
		fd_dev = st.st_dev;
		fd_ino = st.st_ino;
	}
}

/*
 * An exec keeps the pid: when the file at `path` is this pid's own report,
 * written by the image before the exec, the new image writes beside it
 * (NAME.execN.jsonl) instead of truncating it.
 */
static void keep_pre_exec_report(void)
{
	char head[256];
	long f = sys_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
	if (f < 0) {
		return;
	}
	long n = sys_read((int)f, head, sizeof(head) - 1);
	sys_close((int)f);
	if (n <= 0) {
		return;
	}
	head[n] = '\0';
	char want[40];
	fmt_string(want, sizeof(want), "\"pid\":%ld,", sys_getpid());
	if (strncmp(head, "{\"type\":\"header\",", 17) != 0 || !strstr(head, want)) {
		return;
	}
	size_t len = strlen(path);
	size_t stem = len > 6 && strcmp(path + len - 6, ".jsonl") == 0 ? len - 6 : len;
	char alt[sizeof(path)];
	for (unsigned k = 1; k < 100; k++) {
		struct sb sb;
		sb_init(&sb, alt, sizeof(alt));
		sb_putmem(&sb, path, stem);
		sb_printf(&sb, ".exec%u.jsonl", k);
		sb_cstr(&sb);
		if (sb.overflow) {
			return;
		}
		long r = sys_open(alt, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
		if (r == -ENOENT) {
			memcpy(path, alt, strlen(alt) + 1);
			return;
		}
		if (r >= 0) {
			sys_close((int)r);
		}
	}
}

/* The path and its checks; the state to publish (report_open, resolve_forked). */
static int open_path(int *state)
{
	*state = R_OFF;
	if (config.report[0] == '\0') {
		path[0] = '\0';
		return 0;
	}
	if (strcmp(config.report, "stderr") == 0) {
		memcpy(path, "stderr", 7);
		*state = R_PENDING;
		return 0;
	}
	if (report_expand(config.report, sys_getpid(), exe_name(), path, sizeof(path)) != 0) {
		log_msg(LOG_ERROR, "PTFREEZE_REPORT: '%s' expands to a path too long; no report", config.report);
		return -ENAMETOOLONG;
	}
	/*
	 * The file comes later, but a path that cannot work is said now, in one
	 * line, not at arming: a symbolic link there, or a directory that is
	 * missing or not writable.  Two system calls.
	 */
	struct stat st;
	long r = sys_raw(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st, AT_SYMLINK_NOFOLLOW, 0, 0);
	if (r == 0 && S_ISLNK(st.st_mode)) {
		r = -ELOOP;
	} else {
		char dir[sizeof(path)];
		const char *slash = strrchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : 0;
		memcpy(dir, slash ? path : ".", slash ? (n ? n : 1) : 1);
		dir[slash ? (n ? n : 1) : 1] = '\0';
		r = sys_raw(SYS_faccessat, AT_FDCWD, (long)dir, W_OK | X_OK, 0, 0, 0);
	}
	if (r < 0) {
		log_msg(LOG_ERROR, "PTFREEZE_REPORT: cannot create '%s' (%s); no report is written, the program carries on",
			path, r == -ELOOP ? "it is a symbolic link" : strerrordesc_np((int)-r)); /* no locale: may run in a hook now */
		*state = R_FAILED;
		return (int)r;
	}
	*state = R_PENDING;
	return 0;
}

/* A fork child: the parent's file and a thread reopening it at the fork are not its own. */
static void leave_parents_file(long parent_pid)
{
	atomic_store(&reopening, 0);
	if (fd > 2) {
		sys_close(fd);
	}
	fd = -1;
	header_parent = parent_pid;
	start_wall_ns = sys_wall_ns();
}

int report_open(long parent_pid)
{
	leave_parents_file(parent_pid);
	atomic_store(&rstate, R_OFF);
	int state, r = open_path(&state);
	atomic_store(&rstate, state);
	return r;
}

/*
 * A fork child's report_open, deferred to its first need (a record, the
 * path asked for): most fork children exec or exit first, and the path's
 * expansion, its two checks and the buffers it writes cost a shell's
 * subshell page faults it need not take.  The header keeps the fork's
 * time.
 */
void report_fork_child(long parent_pid)
{
	leave_parents_file(parent_pid);
	atomic_store(&rstate, R_FORKED);
}

static void resolve_forked(void)
{
	int st = atomic_load(&rstate);
	if (st != R_FORKED && st != R_RESOLVING) {
		return;
	}
	int expect = R_FORKED;
	if (atomic_compare_exchange_strong(&rstate, &expect, R_RESOLVING)) {
		int state;
		open_path(&state);
		atomic_store(&rstate, state);
		return;
	}
	unsigned spins = 0;
	while (atomic_load(&rstate) == R_RESOLVING) {
		sys_backoff(&spins);
	}
}

static void compose_header(struct sb *sb);
static void emit(struct sb *sb);
static void write_header(void);
static void write_modules(void);

/*
 * Creates the file and, with_header, writes the header and modules.  Raw
 * syscalls only.  The header is composed before the file is opened (it
 * reads smaps for the pool's backing, milliseconds): a process killed in
 * between, as a pipeline's upstream sort killed by SIGPIPE while its arming
 * thread created the report, left an empty file that 'ptfreeze report DIR'
 * refused (tests/real/forkexec.sh, once).
 */
static bool create_file(bool with_header)
{
	struct sb header;
	if (with_header) {
		compose_header(&header);
	}
	if (strcmp(path, "stderr") == 0) {
		fd = 2;
	} else {
		keep_pre_exec_report();
		long r = open_file(O_TRUNC);
		if (r < 0) {
			log_msg(LOG_ERROR, "PTFREEZE_REPORT: cannot create '%s' (%s); no report is written, the program carries on",
				path, r == -ELOOP ? "it is a symbolic link" : r == -EINVAL ? "not a regular file" : strerror((int)-r));
			fd_error = (int)r;
			return false;
		}
		fd = (int)r;
		remember_identity();
		struct rlimit rl;
		fsize_limit = getrlimit(RLIMIT_FSIZE, &rl) == 0 ? rl.rlim_cur : RLIM_INFINITY;
	}
	owner_pid = sys_getpid();
	atomic_store(&write_error, 0);
	atomic_store(&dropped_records, 0);
	if (with_header) {
		emit(&header);
		write_modules();
		write_early_grows();
	}
	return true;
}

int report_open_now(long parent_pid)
{
	int r = report_open(parent_pid);
	int expect = R_PENDING;
	if (r == 0 && atomic_compare_exchange_strong(&rstate, &expect, R_OPENING)) {
		bool ok = create_file(false);
		atomic_store(&rstate, ok ? R_OPEN : R_FAILED);
		if (!ok) {
			return fd_error ? fd_error : -EIO;
		}
	}
	return r;
}

/* True when records can be written: creates the file on first use; false if there is none. */
static bool materialize(void)
{
	resolve_forked();
	int st = atomic_load(&rstate);
	if (st == R_OPEN) {
		return true;
	}
	long me = sys_gettid();
	if (st == R_OPENING && atomic_load(&opener_tid) == me) {
		return true; /* the header and modules of the file being created */
	}
	if (st == R_PENDING) {
		int expect = R_PENDING;
		if (atomic_compare_exchange_strong(&rstate, &expect, R_OPENING)) {
			atomic_store(&opener_tid, me);
			bool ok = create_file(true);
			atomic_store(&rstate, ok ? R_OPEN : R_FAILED);
			return ok;
		}
	}
	unsigned spins = 0;
	while (atomic_load(&rstate) == R_OPENING) {
		sys_backoff(&spins);
	}
	return atomic_load(&rstate) == R_OPEN;
}

/* True if fd is still the file we opened; reopens (appending) if not. */
static bool fd_still_ours(void)
{
	if (fd == 2 || fd < 0) {
		return fd == 2;
	}
	struct stat st;
	if (sys_raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) == 0 && st.st_dev == fd_dev && st.st_ino == fd_ino) {
		file_size = st.st_size;
		return true;
	}
	int expect = 0;
	if (!atomic_compare_exchange_strong(&reopening, &expect, 1)) {
		return false;
	}
	long r = open_file(0);
	if (r >= 0) {
		fd = (int)r;
		remember_identity();
	}
	atomic_store(&reopening, 0);
	return r >= 0;
}

/*
 * Appends buf with write(2).  A record the file has no room for is not left
 * half written: after a short write followed by an error, the file is cut
 * back to where the record began if nothing was appended after it.  A
 * record that would cross RLIMIT_FSIZE is refused before writing, since the
 * kernel answers that write with SIGXFSZ, which kills the program.
 * 0 or -errno.
 */
static long append(const char *buf, size_t len)
{
	if (fsize_limit != RLIM_INFINITY && fd != 2 && (rlim_t)file_size + len > fsize_limit) {
		return -EFBIG;
	}
	size_t done = 0;
	while (done < len) {
		long n = sys_write(fd, buf + done, len - done);
		if (n == -EINTR) {
			continue;
		}
		if (n <= 0) {
			struct stat st;
			long end = done ? sys_raw(SYS_lseek, fd, 0, SEEK_CUR, 0, 0, 0) : -1;
			if (end >= (long)done && sys_raw(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) == 0 && st.st_size == end) {
				sys_raw(SYS_ftruncate, fd, end - (long)done, 0, 0, 0, 0);
			}
			return n < 0 ? n : -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}

static const char *errno_name(long err)
{
	const char *s = strerrorname_np((int)err);
	return s ? s : "error";
}

/*
 * Writes one record.  Once the file refuses a write (full, quota, size
 * limit, I/O error) every later record is dropped and counted, and one line
 * says so: the program carries on, and the file stays whole lines.  Only
 * the summary (last_chance) tries again, carrying the count.
 */
static void emit_record(struct sb *sb, bool last_chance)
{
	if (!materialize() || fd < 0 || !fd_still_ours()) {
		return;
	}
	if (sb->overflow) {
		log_msg(LOG_WARN, "report: a record did not fit its buffer and was cut");
		return;
	}
	if (atomic_load(&write_error) != 0 && !last_chance) {
		atomic_fetch_add(&dropped_records, 1);
		return;
	}
	/* Every record buffer is initialised one byte short: the newline fits. */
	sb->buf[sb->len++] = '\n';
	long r = append(sb->buf, sb->len);
	if (r < 0) {
		atomic_fetch_add(&dropped_records, 1);
		long expect = 0;
		if (atomic_compare_exchange_strong(&write_error, &expect, r)) {
			log_msg(LOG_ERROR, "report '%s': cannot write (%s%s); later records are dropped and counted, the program carries on",
				path, errno_name(-r), r == -EFBIG ? ": RLIMIT_FSIZE" : "");
		}
	}
}

static void emit(struct sb *sb) { emit_record(sb, false); }
bool report_create(void) { return materialize(); }

void report_record(struct sb *sb) { emit(sb); }

static void put_hex(struct sb *sb, uintptr_t v)
{
	sb_puts(sb, "\"0x");
	sb_puthex(sb, v);
	sb_putc(sb, '"');
}

static void put_str(struct sb *sb, const char *s) { sb_json(sb, s, strlen(s)); }
void report_put_str(struct sb *sb, const char *s) { put_str(sb, s); }

/* "off" (PTFREEZE_MLOCK=0), "locked", "refused" (no region) or "partly" (some regions). */
static const char *mlock_state(void)
{
	int n = atomic_load(&pool.nregions), locked = 0;
	for (int i = 0; i < n; i++) {
		locked += pool.regions[i].locked;
	}
	return !pool.want_mlock || n == 0 ? "off" : locked == n ? "locked" : locked == 0 ? "refused" : "partly";
}

static void put_pool(struct sb *sb)
{
	int n = atomic_load(&pool.nregions);
	sb_printf(sb, "{\"size\":%zu,\"backing\":\"%s\",\"requested\":\"%s\",\"bytes_huge\":%zu,\"prefault_ns\":%lu,"
		      "\"prefault_threads\":%d,\"populate\":\"%s\",\"locked\":%s,\"mlock\":\"%s\",\"regions\":[",
		  pool_size(), n ? kinds_backing_name(pool_main_backing()) : "none", config_hugepages_name(pool.requested),
		  pool_huge_bytes(), (unsigned long)pool.prefault_ns, pool.prefault_threads,
		  pool.populate_fallback ? "touch" : "madvise", pool.want_mlock && n && pool.regions[0].locked ? "true" : "false", mlock_state());
	for (int i = 0; i < n; i++) {
		const struct pool_region *r = &pool.regions[i];
		sb_puts(sb, i ? ",{\"start\":" : "{\"start\":");
		put_hex(sb, r->base);
		sb_printf(sb, ",\"size\":%zu,\"backing\":\"%s\",\"bytes_huge\":%zu,\"prefault_ns\":%lu,\"locked\":%s,"
			      "\"startup\":%s}",
			  (size_t)(r->end - r->base), kinds_backing_name(r->backing), r->huge_bytes,
			  (unsigned long)r->prefault_ns, r->locked ? "true" : "false", r->at_startup ? "true" : "false");
	}
	sb_puts(sb, "],\"numa\":");
	numa_json(sb);
	sb_putc(sb, '}');
}
void report_put_pool(struct sb *sb) { put_pool(sb); }

void report_header(long parent_pid)
{
	header_parent = parent_pid;
	if (atomic_load(&rstate) == R_OPEN) {
		write_header(); /* a file opened with report_open_now() */
	}
}

static void write_header(void)
{
	struct sb sb;
	compose_header(&sb);
	emit(&sb);
}

/* The header record, in header_buf. */
static void compose_header(struct sb *out)
{
	long parent_pid = header_parent;
	pool_measure();
	struct sb sb;
	sb_init(&sb, header_buf, sizeof(header_buf) - 1);
	sb_printf(&sb, "{\"type\":\"header\",\"format\":\"ptfreeze-report\",\"version\":%d,\"ptfreeze\":\"%s\",",
		  REPORT_VERSION, PACKAGE_VERSION);
	sb_printf(&sb, "\"pid\":%ld,\"ppid\":%ld,\"fork_child\":%s,\"start_unix_ns\":%lu,\"exe\":", sys_getpid(),
		  sys_getppid(), parent_pid ? "true" : "false", (unsigned long)start_wall_ns);
	put_str(&sb, exe_name());
	sb_puts(&sb, ",\"argv\":[");
	static char cmdline[16384];
	long n = sys_read_file("/proc/self/cmdline", cmdline, sizeof(cmdline));
	for (long i = 0, k = 0; i < n; k++) {
		size_t l = strlen(cmdline + i);
		if (k) {
			sb_putc(&sb, ',');
		}
		sb_json(&sb, cmdline + i, l);
		i += (long)l + 1;
	}
	sb_puts(&sb, "],\"process\":{\"decision\":\"chosen\",\"why\":");
	put_str(&sb, choice[0] ? choice : "every program");
	sb_puts(&sb, "},\"config\":{");
	for (size_t i = 0; i < config_nvars; i++) {
		if (i) {
			sb_putc(&sb, ',');
		}
		put_str(&sb, config_vars[i].name);
		sb_putc(&sb, ':');
		put_str(&sb, config_value(i));
	}
	sb_printf(&sb, "},\"mode\":\"%s\",\"pool\":", config_mode_name(config.mode));
	put_pool(&sb);
	sb_printf(&sb, ",\"jemalloc\":{\"hooked\":%s,\"arenas\":%u},\"unwinder\":%s,\"host\":",
		  arena_installed() ? "true" : "false", arena_count(), capture_has_unwinder() ? "true" : "false");
	audit_snapshot_json(&sb, config.pool_size);
	sb_puts(&sb, ",\"thread_stacks\":");
	tstack_json(&sb, false);
	sb_putc(&sb, '}');
	*out = sb;
}

static void build_id(struct dl_phdr_info *info, struct sb *sb)
{
	const unsigned char *id;
	size_t n;
	if (!phdr_build_id(info, &id, &n)) {
		sb_puts(sb, "null");
		return;
	}
	sb_putc(sb, '"');
	sb_puthexbytes(sb, id, n);
	sb_putc(sb, '"');
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t lo, hi;
	if (!phdr_load_span(info->dlpi_phdr, info->dlpi_phnum, info->dlpi_addr, 0, &lo, &hi)) {
		return 0;
	}
	for (size_t i = 0; i < nmodules; i++) {
		if (modules_seen[i] == lo) {
			return 0;
		}
	}
	if (nmodules < MAX_MODULES) {
		modules_seen[nmodules++] = lo;
	}
	char buf[2048];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf) - 1);
	const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : exe_name();
	sb_puts(&sb, "{\"type\":\"module\",\"path\":");
	put_str(&sb, name);
	sb_puts(&sb, ",\"base\":");
	put_hex(&sb, info->dlpi_addr);
	sb_puts(&sb, ",\"start\":");
	put_hex(&sb, lo);
	sb_puts(&sb, ",\"end\":");
	put_hex(&sb, hi);
	sb_puts(&sb, ",\"build_id\":");
	build_id(info, &sb);
	sb_putc(&sb, '}');
	emit(&sb);
	return 0;
}

void report_modules(void)
{
	if (atomic_load(&rstate) != R_OPEN) {
		return; /* written with the header when the file is created */
	}
	write_modules();
}

static void write_modules(void)
{
	if (fd >= 0) {
		capture_walk_enter(); /* the loader's lock and fork (capture.h) */
		dl_iterate_phdr(module_cb, NULL);
		capture_walk_leave();
	}
}

void report_reset_modules(void) { nmodules = 0; }

static void put_faults(struct sb *sb, long minor, long major)
{
	sb_printf(sb, "{\"minor\":%ld,\"major\":%ld}", minor, major);
}
void report_put_faults(struct sb *sb, long minor, long major) { put_faults(sb, minor, major); }

void report_arm(const char *how, long minor, long major, const char *mlockall, const struct report_arm_info *info)
{
	char buf[4096]; /* page_faults lists the sampler's rings: up to 128 */
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf) - 1);
	sb_printf(&sb, "{\"type\":\"arm\",\"how\":");
	put_str(&sb, how);
	sb_printf(&sb, ",\"unix_ns\":%lu,\"faults_before\":", (unsigned long)sys_wall_ns());
	put_faults(&sb, minor, major);
	sb_printf(&sb, ",\"prefault\":{\"bytes\":%zu,\"before_arm\":%zu,\"wait_ns\":%lu},\"pool_used\":%zu,\"mlockall\":",
		  info->prefault_bytes, info->prefault_before_arm, (unsigned long)info->prefault_wait_ns, pool_used());
	if (mlockall) {
		put_str(&sb, mlockall);
	} else {
		sb_puts(&sb, "null");
	}
	sb_puts(&sb, ",\"page_faults\":");
	info->page_faults(&sb);
	sb_putc(&sb, '}');
	emit(&sb);
}

void report_disarm(void)
{
	char buf[256];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf) - 1);
	sb_printf(&sb, "{\"type\":\"disarm\",\"t_ns\":%lu}", (unsigned long)shim_since_arm_ns());
	emit(&sb);
}

static bool arg_is_address(const char *name)
{
	return strcmp(name, "addr") == 0 || strcmp(name, "old_addr") == 0 || strcmp(name, "new_addr") == 0 ||
	       strcmp(name, "handle") == 0;
}

/*
 * "blocked" (strict refused it), "would-block" (would-block mode: it went
 * ahead, strict would have refused it) or "allowed".  A writeback hazard is
 * never refused.
 */
static const char *action_of(const struct event *ev)
{
	if (ev->blocked) {
		return "blocked";
	}
	if (config.mode == MODE_WOULD_BLOCK && kinds_refusable(ev->kind)) {
		return "would-block";
	}
	return "allowed";
}

void report_site(const struct site *s, const struct event *ev, long tid, unsigned long long t_ns)
{
	char buf[8192];
	struct sb sb;
	if (!report_enabled()) {
		return;
	}
	sb_init(&sb, buf, sizeof(buf) - 1);
	sb_printf(&sb, "{\"type\":\"site\",\"id\":%u,\"kind\":\"%s\",\"t_ns\":%llu,\"pid\":%ld,\"tid\":%ld,\"action\":\"%s\",\"args\":{",
		  s->id, kinds_name(ev->kind), t_ns, sys_getpid(), tid, action_of(ev));
	const char *const *names = kinds_args(ev->kind);
	for (int i = 0, k = 0; i < 6 && names[i]; i++, k++) {
		sb_printf(&sb, "%s\"%s\":", k ? "," : "", names[i]);
		if (arg_is_address(names[i])) {
			put_hex(&sb, ev->args[i]);
		} else if (strcmp(names[i], "increment") == 0 || strcmp(names[i], "fd") == 0 ||
			   strcmp(names[i], "shmid") == 0 || strcmp(names[i], "pkey") == 0) {
			sb_puti(&sb, (int64_t)ev->args[i]);
		} else {
			sb_putu(&sb, ev->args[i]);
		}
	}
	if (ev->cls) {
		sb_printf(&sb, "%s\"class\":", names[0] ? "," : "");
		put_str(&sb, ev->cls);
	}
	if (ev->path) {
		sb_printf(&sb, "%s\"path\":", names[0] || ev->cls ? "," : "");
		put_str(&sb, ev->path);
	}
	sb_puts(&sb, "},\"detail\":");
	if (ev->detail) {
		put_str(&sb, ev->detail);
	} else {
		sb_puts(&sb, "null");
	}
	if (config.mode == MODE_WOULD_BLOCK && kinds_refusable(ev->kind)) {
		sb_printf(&sb, ",\"would_result\":-1,\"would_errno\":%d",
			  ev->refuse_errno ? ev->refuse_errno : kinds_refuse_errno(ev->kind));
	}
	sb_printf(&sb, ",\"bytes\":%zu,\"result\":%ld,\"errno\":%ld,\"stack\":[", ev->bytes,
		  ev->result < 0 && ev->result > -4096 ? -1L : ev->result, ev->result < 0 && ev->result > -4096 ? -ev->result : 0L);
	for (int i = 0; i < s->depth; i++) {
		if (i) {
			sb_putc(&sb, ',');
		}
		put_hex(&sb, s->ips[i]);
	}
	sb_puts(&sb, "]}");
	emit(&sb);
}

static void emit_pool_grow(size_t bytes, int result, bool armed, const char *who, size_t size)
{
	char buf[512];
	struct sb sb;
	sb_init(&sb, buf, sizeof(buf) - 1);
	sb_printf(&sb, "{\"type\":\"pool-grow\",\"armed\":%s,\"who\":\"%s\",\"need\":%zu,\"result\":%d,\"pool_size\":%zu}",
		  armed ? "true" : "false", who, bytes, result, size);
	emit(&sb);
}

void report_pool_grow(size_t bytes, int result, bool armed, const char *who)
{
	if (!armed && atomic_load(&rstate) != R_OPEN) {
		/*
		 * Growth during start-up alone is no reason for a file: kept (the
		 * first few) and written after the header if the process arms.
		 */
		unsigned i = atomic_fetch_add(&nearly_grows, 1);
		if (i < EARLY_GROWS) {
			early_grows[i] = (struct early_grow){bytes, pool_size(), result, who};
		}
		return;
	}
	emit_pool_grow(bytes, result, armed, who, pool_size());
}

static void write_early_grows(void)
{
	unsigned n = atomic_load(&nearly_grows);
	for (unsigned i = 0; i < n && i < EARLY_GROWS; i++) {
		const struct early_grow *g = &early_grows[i];
		if (g->who) {
			emit_pool_grow(g->need, g->result, false, g->who, g->size);
		}
	}
}

int report_prepare_summary(size_t max_sites)
{
	summary_cap = 8192 + max_sites * 192 + suppress_json_size() + DRIFT_JSON_MAX;
	summary_buf = pool_carve(summary_cap, 64);
	return summary_buf ? 0 : -ENOMEM;
}

void report_summary_again(void) { atomic_flag_clear(&summary_done); }

bool report_summary_begin(struct sb *sb)
{
	/* A vfork child shares our memory and descriptors: the summary is not its to write. */
	if (atomic_load(&rstate) != R_OPEN || fd < 0 || summary_buf == NULL || (fd != 2 && sys_getpid() != owner_pid) ||
	    atomic_flag_test_and_set(&summary_done)) {
		return false;
	}
	sb_init(sb, summary_buf, summary_cap - 1);
	return true;
}

uint64_t report_dropped_records(void) { return atomic_load(&dropped_records); }

void report_summary_end(struct sb *sb)
{
	uint64_t lost = atomic_load(&dropped_records);
	emit_record(sb, true);
	long err = atomic_load(&write_error);
	if (err != 0) {
		bool summary_lost = atomic_load(&dropped_records) > lost;
		log_msg(LOG_ERROR, "report '%s': %lu record%s dropped (%s)%s", path,
			(unsigned long)atomic_load(&dropped_records), atomic_load(&dropped_records) == 1 ? "" : "s",
			errno_name(-err), summary_lost ? ", the summary among them" : "; the summary at exit says how many");
	}
}
