/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_run: `ptfreeze run [options] -- COMMAND [ARGS]`.  Validates the
 * options with the shim's own parsers, finds libptfreeze.so, vets the
 * program (target.c), then fork+exec's it with the library prepended to
 * LD_PRELOAD and the options as PTFREEZE_* variables, waits, and names the
 * report files the run wrote (the program's and its fork children's).
 * Exits with the program's status, 128+N if signal N killed it, or 2 when
 * it refuses to run anything.  While the program runs, SIGINT and SIGQUIT
 * are left to it (the terminal sends them to both) and SIGTERM, SIGHUP,
 * SIGUSR1 and SIGUSR2 sent to ptfreeze are forwarded to it, so
 * `kill -USR2 <ptfreeze's pid>` arms a program run with --arm signal:USR2.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "reportfile.h"
#include "target.h"

#ifndef PTFREEZE_LIBDIR
#error "PTFREEZE_LIBDIR must name the installed library directory (tools/local.mk passes it)"
#endif

#define LIBRARY_NAME "libptfreeze.so"
/* File timestamps are taken from a coarse clock: allow for its lag. */
#define MTIME_SLACK_S 2

void cmd_run_usage(FILE *out)
{
	fputs("usage: ptfreeze run [options] [--] COMMAND [ARGS]...\n"
	      "\n"
	      "Runs COMMAND with libptfreeze.so preloaded and waits for it; exits with\n"
	      "its status (128+N if signal N killed it).  Each option sets the PTFREEZE_*\n"
	      "variable named in brackets (see ptfreeze(7)); variables already in the\n"
	      "environment are passed on.\n"
	      "\n"
	      "options:\n"
	      "  -m, --mode MODE          off, report, strict or would-block       [PTFREEZE_MODE]\n"
	      "  -p, --pool SIZE          pool reserved at start-up, like 512M     [PTFREEZE_POOL]\n"
	      "  -H, --hugepages KIND     auto, 1g, 2m, thp or none                [PTFREEZE_HUGEPAGES]\n"
	      "  -a, --arm WHEN           manual, delay:DURATION, signal:NAME      [PTFREEZE_ARM]\n"
	      "  -r, --report TEMPLATE    report path; %p pid, %e program name     [PTFREEZE_REPORT]\n"
	      "  -s, --strict-action ACT  errno or abort                           [PTFREEZE_STRICT_ACTION]\n"
	      "  -N, --numa-node NODE     prefer this NUMA node for the pool       [PTFREEZE_NUMA_NODE]\n"
	      "  -S, --suppress FILE      accepted violations (ptfreeze(7))        [PTFREEZE_SUPPRESS]\n"
	      "  -v, --verbose            start-up facts on stderr (twice: debug)  [PTFREEZE_VERBOSE]\n"
	      "  -h, --help               this help\n"
	      "\n"
	      "The default report is ptfreeze-%e-%p.jsonl in the current directory; at the\n"
	      "end the report files written (the program's and its fork children's) are\n"
	      "named on stderr.  SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to ptfreeze are\n"
	      "forwarded to COMMAND.  Set-user-ID, set-group-ID and statically linked\n"
	      "programs ignore LD_PRELOAD: run refuses them (exit status 2).\n"
	      "The library is $PTFREEZE_LIBRARY, else the build tree's or " PTFREEZE_LIBDIR "/" LIBRARY_NAME ".\n",
	      out);
}

/* ---- the library ---- */

static char *usable_library(const char *path)
{
	char real[PATH_MAX];
	if (access(path, R_OK) != 0 || realpath(path, real) == NULL) {
		return NULL;
	}
	return cli_strdup(real);
}

/* The absolute path of the library, or NULL (one line printed). */
static char *find_library(void)
{
	const char *env = getenv("PTFREEZE_LIBRARY");
	if (env && *env) {
		char *lib = usable_library(env);
		if (lib == NULL) {
			cli_error("PTFREEZE_LIBRARY=%s: %s", env, strerror(errno));
		}
		return lib;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *build = NULL;
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
		}
		/* The build tree: the command is tools/ptfreeze, the library .libs/. */
		build = cli_asprintf("%s/../.libs/%s", exe, LIBRARY_NAME);
		char *lib = usable_library(build);
		if (lib) {
			free(build);
			return lib;
		}
	}
	char *lib = usable_library(PTFREEZE_LIBDIR "/" LIBRARY_NAME);
	if (lib == NULL) {
		cli_error("cannot find %s (looked for %s%s" PTFREEZE_LIBDIR "/" LIBRARY_NAME "); set PTFREEZE_LIBRARY",
			  LIBRARY_NAME, build ? build : "", build ? " and " : "");
	}
	free(build);
	return lib;
}

/* LD_PRELOAD with the library first (once); the loader splits on ':' and ' '. */
static char *preload_value(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	if (old == NULL || *old == '\0') {
		return cli_strdup(lib);
	}
	size_t n = strlen(lib);
	for (const char *p = old; *p;) {
		size_t k = strcspn(p, ": ");
		if (k == n && strncmp(p, lib, n) == 0) {
			return cli_strdup(old);
		}
		p += k;
		p += *p != '\0';
	}
	return cli_asprintf("%s:%s", lib, old);
}

/* ---- report files ---- */

/* The template as a glob(3) pattern: %p and %e become '*', the rest is literal. */
static char *template_glob(const char *tmpl)
{
	char *g = cli_malloc(2 * strlen(tmpl) + 1);
	size_t n = 0;
	for (const char *p = tmpl; *p; p++) {
		if (*p == '%' && (p[1] == 'p' || p[1] == 'e')) {
			g[n++] = '*';
			p++;
			continue;
		}
		if (*p == '%' && p[1] == '%') {
			p++;
		}
		if (strchr("*?[\\", *p)) {
			g[n++] = '\\';
		}
		g[n++] = *p;
	}
	g[n] = '\0';
	return g;
}

static bool has_pid(const long *v, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == pid) {
			return true;
		}
	}
	return false;
}

/*
 * Names on stderr the reports this run wrote: files matching the template
 * whose header is the child's, or a descendant's (a fork child, or a
 * program one of them ran), written since the run started.
 */
static void name_reports(const char *tmpl, long child, time_t started)
{
	char *pattern = template_glob(tmpl);
	glob_t g;
	int gr = glob(pattern, 0, NULL, &g);
	size_t n = gr == 0 ? g.gl_pathc : 0;
	long *pids = cli_calloc(n + 1, sizeof(*pids)), *fpid = cli_calloc(n + 1, sizeof(*fpid)),
	     *fppid = cli_calloc(n + 1, sizeof(*fppid));
	bool *cand = cli_calloc(n + 1, sizeof(*cand)), *taken = cli_calloc(n + 1, sizeof(*taken));
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		cand[i] = stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime >= started - MTIME_SLACK_S &&
			  reportfile_peek(g.gl_pathv[i], &fpid[i], &fppid[i]) == 0;
	}
	size_t npids = 1, ntaken = 0;
	pids[0] = child;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < n; i++) {
			if (cand[i] && !taken[i] && (has_pid(pids, npids, fpid[i]) || has_pid(pids, npids, fppid[i]))) {
				taken[i] = grew = true;
				ntaken++;
				if (!has_pid(pids, npids, fpid[i])) {
					pids = cli_realloc(pids, (npids + 1) * sizeof(*pids));
					pids[npids++] = fpid[i];
				}
			}
		}
	}
	if (ntaken == 0) {
		cli_warn("no report file was written (expected one matching '%s'; see the messages above)", tmpl);
	} else {
		fflush(stdout);
		fprintf(stderr, "ptfreeze: %s written:", ntaken == 1 ? "report" : "reports");
		for (size_t i = 0; i < n; i++) {
			if (taken[i]) {
				fprintf(stderr, " %s", g.gl_pathv[i]);
			}
		}
		if (ntaken > 1) {
			fprintf(stderr, " (%zu processes)", ntaken);
		}
		fputc('\n', stderr);
	}
	if (gr == 0) {
		globfree(&g);
	}
	free(pattern);
	free(pids);
	free(fpid);
	free(fppid);
	free(cand);
	free(taken);
}

/* A template whose directory does not exist would silently give no report. */
static bool report_dir_ok(const char *tmpl)
{
	const char *slash = strrchr(tmpl, '/');
	if (slash == NULL || strcmp(tmpl, "stderr") == 0) {
		return true;
	}
	char *dir = slash == tmpl ? cli_strdup("/") : cli_asprintf("%.*s", (int)(slash - tmpl), tmpl);
	struct stat st;
	bool ok = strchr(dir, '%') != NULL || (stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	if (!ok) {
		cli_error("--report: the directory '%s' does not exist", dir);
	}
	free(dir);
	return ok;
}

/* ---- running ---- */

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0) {
		kill((pid_t)child_pid, sig);
	}
}

static void child_exec(const char *path, char **argv, int report_fd)
{
	execv(path, argv);
	if (errno == ENOEXEC) {
		/* A script without "#!": execvp would hand it to the shell, so do we. */
		int argc = 0;
		while (argv[argc]) {
			argc++;
		}
		char **sh = calloc((size_t)argc + 2, sizeof(*sh));
		if (sh) {
			sh[0] = "/bin/sh";
			sh[1] = (char *)path;
			for (int i = 1; i <= argc; i++) {
				sh[i + 1] = argv[i];
			}
			execv("/bin/sh", sh);
		}
	}
	int e = errno;
	if (write(report_fd, &e, sizeof(e)) < 0) {
		_exit(127);
	}
	_exit(127);
}

/* Runs the program and waits: its exit status, 128+signal, or -errno if exec failed. */
static int spawn(const char *path, char **argv, pid_t *spawned)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		return -errno;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		close(fds[0]);
		child_exec(path, argv, fds[1]);
	}
	child_pid = pid;
	*spawned = pid;
	close(fds[1]);
	struct sigaction fw = {0}, ign = {0};
	fw.sa_handler = forward;
	sigemptyset(&fw.sa_mask);
	fw.sa_flags = SA_RESTART;
	ign.sa_handler = SIG_IGN;
	sigaction(SIGTERM, &fw, NULL);
	sigaction(SIGHUP, &fw, NULL);
	sigaction(SIGUSR1, &fw, NULL);
	sigaction(SIGUSR2, &fw, NULL);
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGQUIT, &ign, NULL);
	int exec_errno = 0;
	ssize_t got;
	do {
		got = read(fds[0], &exec_errno, sizeof(exec_errno));
	} while (got < 0 && errno == EINTR);
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			return -errno;
		}
	}
	child_pid = 0;
	if (got == (ssize_t)sizeof(exec_errno)) {
		return -exec_errno;
	}
	if (WIFSIGNALED(status)) {
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

struct run_option {
	int code;
	const char *name;
	const char *var;
};

static const struct run_option run_options[] = {
	{'m', "--mode", "PTFREEZE_MODE"},
	{'p', "--pool", "PTFREEZE_POOL"},
	{'H', "--hugepages", "PTFREEZE_HUGEPAGES"},
	{'a', "--arm", "PTFREEZE_ARM"},
	{'r', "--report", "PTFREEZE_REPORT"},
	{'s', "--strict-action", "PTFREEZE_STRICT_ACTION"},
	{'N', "--numa-node", "PTFREEZE_NUMA_NODE"},
	{'S', "--suppress", "PTFREEZE_SUPPRESS"},
};
#define NRUN_OPTIONS (sizeof(run_options) / sizeof(run_options[0]))

int cmd_run(int argc, char **argv)
{
	static const struct option options[] = {
		{"mode", required_argument, NULL, 'm'},
		{"pool", required_argument, NULL, 'p'},
		{"hugepages", required_argument, NULL, 'H'},
		{"arm", required_argument, NULL, 'a'},
		{"report", required_argument, NULL, 'r'},
		{"strict-action", required_argument, NULL, 's'},
		{"numa-node", required_argument, NULL, 'N'},
		{"suppress", required_argument, NULL, 'S'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *values[NRUN_OPTIONS] = {0};
	int verbose = 0, c;
	opterr = 0;
	/* '+': stop at COMMAND, its own options are its business. */
	while ((c = getopt_long(argc, argv, "+m:p:H:a:r:s:N:S:vh", options, NULL)) != -1) {
		if (c == 'h') {
			cmd_run_usage(stdout);
			return CLI_OK;
		}
		if (c == 'v') {
			verbose++;
			continue;
		}
		size_t i = 0;
		while (i < NRUN_OPTIONS && run_options[i].code != c) {
			i++;
		}
		if (i == NRUN_OPTIONS) {
			return cli_bad_option("run", argv[optind - 1]);
		}
		if (!cli_check_value(run_options[i].name, run_options[i].var, optarg)) {
			return CLI_INVALID;
		}
		values[i] = optarg;
	}
	if (optind >= argc) {
		cli_error("run: no command to run (usage: ptfreeze run [options] -- COMMAND [ARGS])");
		return CLI_INVALID;
	}
	char **cmd = argv + optind;

	const char *tmpl = values[4] ? values[4] : getenv("PTFREEZE_REPORT");
	if (tmpl == NULL || *tmpl == '\0') {
		tmpl = cli_default("PTFREEZE_REPORT");
	} else if (!values[4] && !cli_check_value("PTFREEZE_REPORT", "PTFREEZE_REPORT", tmpl)) {
		return CLI_INVALID;
	}
	if (!report_dir_ok(tmpl)) {
		return CLI_INVALID;
	}

	char path[PATH_MAX];
	int r = target_resolve(cmd[0], path, sizeof(path));
	if (r < 0) {
		cli_error("%s: %s", cmd[0],
			  r == -ENOENT ? (strchr(cmd[0], '/') ? "no such file" : "command not found") : strerror(-r));
		return CLI_INVALID;
	}
	if (target_check(cmd[0], path) != 0) {
		return CLI_INVALID;
	}
	char *lib = find_library();
	if (lib == NULL) {
		return CLI_INVALID;
	}
	if (strpbrk(lib, ": ")) {
		cli_error("%s: LD_PRELOAD cannot name a path with a space or a colon (set PTFREEZE_LIBRARY to a copy)", lib);
		free(lib);
		return CLI_INVALID;
	}

	char *preload = preload_value(lib);
	setenv("LD_PRELOAD", preload, 1);
	/* Ours, not the library's: it would warn about a variable it does not know. */
	unsetenv("PTFREEZE_LIBRARY");
	for (size_t i = 0; i < NRUN_OPTIONS; i++) {
		if (values[i]) {
			setenv(run_options[i].var, values[i], 1);
		}
	}
	if (verbose) {
		setenv("PTFREEZE_VERBOSE", verbose > 1 ? "2" : "1", 1);
		cli_note("running %s with LD_PRELOAD=%s, report '%s'", path, preload, tmpl);
	}
	free(preload);
	free(lib);

	time_t started = time(NULL);
	pid_t child = 0;
	int status = spawn(path, cmd, &child);
	if (status < 0) {
		cli_error("%s: cannot run: %s", cmd[0], strerror(-status));
		return CLI_INVALID;
	}
	bool to_file = strcmp(tmpl, "stderr") != 0 && strcasecmp(tmpl, "off") != 0 && strcasecmp(tmpl, "none") != 0;
	if (to_file) {
		name_reports(tmpl, (long)child, started);
	}
	return status;
}
