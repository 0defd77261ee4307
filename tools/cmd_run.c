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
#include "render.h"
#include "reportfile.h"
#include "symbolize.h"
#include "target.h"

#ifndef PTFREEZE_LIBDIR
#error "PTFREEZE_LIBDIR must name the installed library directory (tools/local.mk passes it)"
#endif

#define LIBRARY_NAME "libptfreeze.so"
/* File timestamps are taken from a coarse clock: allow for its lag. */
#define MTIME_SLACK_S 2

/* The options that set a variable (src/options.inc's PTFREEZE_RUN_OPTION). */
struct run_option {
	int code;
	const char *long_name; /* "mode" */
	const char *name;      /* "--mode", for messages */
	const char *metavar;   /* NULL: no value */
	const char *var;
	const char *help;
};

static const struct run_option run_options[] = {
#define PTFREEZE_RUN_OPTION(c, nm, meta, v, h) {c, nm, "--" nm, meta, v, h},
#include "options.inc"
};
#define NRUN_OPTIONS (sizeof(run_options) / sizeof(run_options[0]))

void cmd_run_usage(FILE *out)
{
	fputs("usage: ptfreeze run [options] [--] COMMAND [ARGS]...\n"
	      "\n"
	      "Runs COMMAND with libptfreeze.so preloaded and waits for it; exits with\n"
	      "its status (128+N if signal N killed it).  Each option sets the PTFREEZE_*\n"
	      "variable named in brackets (see ptfreeze(7)); variables already in the\n"
	      "environment are passed on.\n"
	      "\n"
	      "options:\n",
	      out);
	for (size_t i = 0; i < NRUN_OPTIONS; i++) {
		const struct run_option *o = &run_options[i];
		char spec[32];
		snprintf(spec, sizeof(spec), "%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
		fprintf(out, "  -%c, %-21s%-41s[%s]\n", o->code, spec, o->help, o->var);
	}
	fputs("  -h, --help               this help\n"
	      "\n"
	      "The default report is ptfreeze-%e-%p.jsonl in the current directory (a\n"
	      "relative template is made absolute, so programs that chdir keep theirs).\n"
	      "Only processes that arm or record something write a report.  At the end\n"
	      "each report written is named on stderr with its program, pid and what\n"
	      "armed it, then the totals and top sites they recorded; processes\n"
	      "still running are said to be; when two or more programs armed\n"
	      "(fork children are their program's), --only is suggested.  Every process of the tree is\n"
	      "judged at its exec: with --only the others are passive (no pool, no\n"
	      "report); --skip also keeps the library from their children.  SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to ptfreeze are\n"
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

/* What the end-of-run summary says of one report file. */
struct run_report {
	const char *path;
	char exe[256];  /* the program's name (the header's exe, last component) */
	char how[64];   /* what armed it, "" if it never armed */
	long pid, ppid;
	unsigned long long events; /* what it recorded: the summary's counts, else its site records */
	bool fork_child, finished, running;
};

/* Copies the JSON string value after `"key":"` in line into out (no unescaping: names only). */
static void json_str_after(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *p = strstr(line, pat);
	out[0] = '\0';
	if (p == NULL) {
		return;
	}
	p += strlen(pat);
	size_t n = 0;
	while (p[n] && p[n] != '"' && n + 1 < cap) {
		n++;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The events a summary line counted: the sum of its sites' counts. */
static unsigned long long summary_events(const char *line)
{
	unsigned long long n = 0;
	for (const char *p = strstr(line, "\"count\":"); p; p = strstr(p, "\"count\":")) {
		p += strlen("\"count\":");
		n += strtoull(p, NULL, 10);
	}
	return n;
}

static void scan_report(struct run_report *r)
{
	FILE *f = fopen(r->path, "r");
	if (f == NULL) {
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "{\"type\":\"header\"", 16) == 0) {
			char exe[PATH_MAX];
			json_str_after(line, "exe", exe, sizeof(exe));
			const char *b = strrchr(exe, '/');
			snprintf(r->exe, sizeof(r->exe), "%s", b ? b + 1 : exe);
			r->fork_child = strstr(line, "\"fork_child\":true") != NULL;
		} else if (strncmp(line, "{\"type\":\"arm\"", 13) == 0 && r->how[0] == '\0') {
			json_str_after(line, "how", r->how, sizeof(r->how));
		} else if (strncmp(line, "{\"type\":\"summary\"", 17) == 0) {
			r->finished = true;
			r->events = summary_events(line);
		} else if (strncmp(line, "{\"type\":\"site\"", 15) == 0 && !r->finished) {
			r->events++;
		}
	}
	free(line);
	fclose(f);
	/* No summary yet and the pid is alive: a daemon the program left behind. */
	r->running = !r->finished && r->pid > 0 && kill((pid_t)r->pid, 0) == 0;
}

/* Reports read for the closing summary at most: a big tree is ptfreeze report's job. */
#define BRIEF_MAX_REPORTS 64
/* Violation sites the closing summary names. */
#define BRIEF_TOP_SITES 3

/*
 * What the run's finished reports recorded, in a few lines: the totals and
 * the top violation sites, symbolised; `ptfreeze report` has the rest.
 */
static void brief(const struct run_report *rr, size_t n)
{
	struct rf_set set = {0};
	set.procs = cli_calloc(n + 1, sizeof(*set.procs));
	for (size_t i = 0; i < n && set.nprocs < BRIEF_MAX_REPORTS; i++) {
		bool stillborn;
		struct rf_process *p = rr[i].running ? NULL : reportfile_read_found(rr[i].path, &stillborn);
		if (p) {
			set.procs[set.nprocs++] = p;
		}
	}
	if (set.nprocs > 0) {
		reportfile_merge(&set);
		struct symbolizer *sym = symbolize_new();
		for (size_t i = 0; i < set.ngroups && i < BRIEF_TOP_SITES; i++) {
			symbolize_frames(sym, set.groups[i].frames, set.groups[i].depth);
		}
		render_text_brief(stderr, &set, BRIEF_TOP_SITES);
		fprintf(stderr, "ptfreeze: the whole story: ptfreeze report %s%s\n", n == 1 ? rr[0].path : "",
			n == 1 ? "" : "<the reports above>");
		symbolize_free(sym);
	}
	reportfile_free_set(&set);
}

/*
 * Whether live process pid was started with PTFREEZE_REPORT=tmpl in its
 * environment: a daemon that detached (forked twice, its parent gone) has
 * init as its parent in its report, and only this ties it to the run.
 */
static bool run_by_us(long pid, const char *tmpl)
{
	char path[64], buf[1 << 16];
	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return false;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *want = cli_asprintf("PTFREEZE_REPORT=%s", tmpl);
	bool found = false;
	for (size_t i = 0; i < n && !found; i += strlen(buf + i) + 1) {
		found = strcmp(buf + i, want) == 0;
	}
	free(want);
	return found;
}

/* An armed program: its processes (a fork child belongs to its parent's program), by name. */
struct program {
	const char *exe;
	unsigned long long events;
	bool parent; /* a process of it is the parent of another armed program's */
	size_t first;
};

static int by_likelihood(const void *a, const void *b)
{
	const struct program *x = a, *y = b;
	if (x->events != y->events) {
		return x->events > y->events ? -1 : 1;
	}
	if (x->parent != y->parent) {
		return x->parent ? 1 : -1;
	}
	return x->first < y->first ? -1 : x->first > y->first;
}

/* The program of every armed process in rr, by name; returns how many there are. */
static size_t armed_programs(const struct run_report *rr, size_t n, struct program *pg)
{
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		const char *exe = rr[i].exe[0] ? rr[i].exe : "?";
		size_t j = 0;
		while (j < np && strcmp(pg[j].exe, exe) != 0) {
			j++;
		}
		if (rr[i].how[0] == '\0') {
			continue;
		}
		if (j == np) {
			pg[np++] = (struct program){exe, 0, false, i};
		}
		pg[j].events += rr[i].events;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < n; k++) {
			if (rr[i].how[0] && rr[k].how[0] && rr[k].ppid == rr[i].pid && strcmp(rr[i].exe, rr[k].exe) != 0) {
				for (size_t j = 0; j < np; j++) {
					pg[j].parent |= strcmp(pg[j].exe, rr[i].exe[0] ? rr[i].exe : "?") == 0;
				}
			}
		}
	}
	qsort(pg, np, sizeof(*pg), by_likelihood);
	return np;
}

/*
 * When two or more programs armed (fork children are their program's),
 * --only is suggested, naming them all, the likeliest wanted first: the
 * most events recorded, then the deepest in the tree (not the parent of
 * another armed program).
 */
static void suggest_only(const struct run_report *rr, size_t n)
{
	struct program *pg = cli_calloc(n + 1, sizeof(*pg));
	size_t np = armed_programs(rr, n, pg);
	if (np >= 2) {
		fprintf(stderr, "ptfreeze: %zu programs armed (", np);
		for (size_t j = 0; j < np; j++) {
			fprintf(stderr, "%s%s", j ? ", " : "", pg[j].exe);
		}
		fprintf(stderr, "); to freeze one program only, run again with --only NAME (e.g. --only '%s')\n", pg[0].exe);
	}
	free(pg);
}

/*
 * Says on stderr what this run left: the report files whose header is the
 * child's, or a descendant's (a fork child, or a program one of them ran,
 * or a daemon that detached and still runs), written since the run started; for each, the program, its pid and what
 * armed it; which are still running; and, when more than one process
 * armed (programs, not fork children), how to keep to one with --only.
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
	/* Detached daemons still running (their reports name init as the parent). */
	for (size_t i = 0; i < n; i++) {
		if (cand[i] && !taken[i] && fpid[i] > 0 && kill((pid_t)fpid[i], 0) == 0 && run_by_us(fpid[i], tmpl)) {
			taken[i] = true;
			ntaken++;
		}
	}
	struct run_report *rr = cli_calloc(ntaken + 1, sizeof(*rr));
	size_t k = 0, running = 0;
	for (size_t i = 0; i < n; i++) {
		if (taken[i]) {
			rr[k].path = g.gl_pathv[i];
			rr[k].pid = fpid[i];
			rr[k].ppid = fppid[i];
			scan_report(&rr[k]);
			running += rr[k].running;
			k++;
		}
	}
	fflush(stdout);
	if (ntaken == 0) {
		fprintf(stderr, "ptfreeze: no process armed or recorded anything: no report written (template '%s')\n", tmpl);
	}
	for (size_t i = 0; i < ntaken; i++) {
		const struct run_report *r = &rr[i];
		fprintf(stderr, "ptfreeze: %s: %s (pid %ld%s, %s%s%s)\n", r->running ? "still running, report" : "report written",
			r->path, r->pid, r->fork_child ? ", fork child" : "", r->exe[0] ? r->exe : "?",
			r->how[0] ? ", armed by " : ", not armed", r->how);
	}
	brief(rr, ntaken);
	suggest_only(rr, ntaken);
	if (running) {
		fprintf(stderr, "ptfreeze: %zu process%s still running: %s report%s no summary yet\n", running,
			running == 1 ? " is" : "es are", running == 1 ? "its" : "their", running == 1 ? " has" : "s have");
	}
	free(rr);
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

int cmd_run(int argc, char **argv)
{
	/* getopt's tables, from run_options: "+m:p:...vh" ('+': stop at COMMAND, its own options are its business). */
	struct option options[NRUN_OPTIONS + 2];
	char optstring[3 * NRUN_OPTIONS + 4] = "+";
	size_t nopt = 1;
	for (size_t i = 0; i < NRUN_OPTIONS; i++) {
		int arg = run_options[i].metavar ? required_argument : no_argument;
		options[i] = (struct option){run_options[i].long_name, arg, NULL, run_options[i].code};
		optstring[nopt++] = (char)run_options[i].code;
		if (arg == required_argument) {
			optstring[nopt++] = ':';
		}
	}
	options[NRUN_OPTIONS] = (struct option){"help", no_argument, NULL, 'h'};
	options[NRUN_OPTIONS + 1] = (struct option){NULL, 0, NULL, 0};
	optstring[nopt++] = 'h';
	optstring[nopt] = '\0';
	const char *values[NRUN_OPTIONS] = {0};
	size_t report = 0;
	while (strcmp(run_options[report].var, "PTFREEZE_REPORT") != 0) {
		report++;
	}
	int verbose = 0, c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, options, NULL)) != -1) {
		if (c == 'v') {
			verbose++;
			continue;
		}
		size_t i = 0;
		while (i < NRUN_OPTIONS && run_options[i].code != c) {
			i++;
		}
		if (i == NRUN_OPTIONS) { /* --help, or a bad option */
			return cli_option_end("run", c, argv, cmd_run_usage);
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

	const char *tmpl = values[report] ? values[report] : getenv("PTFREEZE_REPORT");
	if (tmpl == NULL || *tmpl == '\0') {
		tmpl = cli_default("PTFREEZE_REPORT");
	} else if (!values[report] && !cli_check_value("PTFREEZE_REPORT", "PTFREEZE_REPORT", tmpl)) {
		return CLI_INVALID;
	}
	if (!report_dir_ok(tmpl)) {
		return CLI_INVALID;
	}
	/* Relative to the directory of the run, not of whichever process writes it. */
	char *abs_tmpl = NULL;
	if (tmpl[0] != '/' && strcmp(tmpl, "stderr") != 0 && strcasecmp(tmpl, "off") != 0 && strcasecmp(tmpl, "none") != 0) {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			cli_error("--report: cannot get the current directory: %s", strerror(errno));
			return CLI_INVALID;
		}
		abs_tmpl = cli_asprintf("%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", tmpl);
		tmpl = abs_tmpl;
		values[report] = abs_tmpl;
	}

	char path[PATH_MAX];
	int r = target_resolve(cmd[0], path, sizeof(path));
	if (r < 0) {
		cli_error("%s: %s", cmd[0],
			  r == -ENOENT ? (strchr(cmd[0], '/') ? "no such file" : "command not found") : strerror(-r));
		free(abs_tmpl);
		return CLI_INVALID;
	}
	if (target_check(cmd[0], path) != 0) {
		free(abs_tmpl);
		return CLI_INVALID;
	}
	char *lib = find_library();
	if (lib == NULL) {
		free(abs_tmpl);
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
	free(abs_tmpl);
	return status;
}
