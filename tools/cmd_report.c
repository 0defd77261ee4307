/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_report: `ptfreeze report [--all] [--json|--folded] [FILE|DIR]...`.  Reads
 * every report (reportfile.c), merges the sites of all processes,
 * symbolises their stacks offline (symbolize.c) and prints them
 * (render.c).  Decides the exit status: 2 if any input was unreadable or
 * invalid (what was readable is still printed), else 1 if there was a
 * violation, else 0.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kinds.h"
#include "prom.h"
#include "render.h"
#include "suppressions.h"
#include "reportfile.h"
#include "symbolize.h"

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_FOLDED, FORMAT_PROMETHEUS };

void cmd_report_usage(FILE *out)
{
	fputs("usage: ptfreeze report [--all] [--json | --folded | --format FORMAT] [--suppressions-out FILE]\n"
	      "                       [FILE | DIR]...\n"
	      "\n"
	      "Reads report files written by libptfreeze.so (one per process; a DIR\n"
	      "means every *.jsonl in it, no argument means ptfreeze-*.jsonl here),\n"
	      "merges them and prints the totals, a line per kind and the top sites of\n"
	      "each kind, most important first (blocked, then count, then bytes), with\n"
	      "their stacks symbolised offline and C++ names demangled.\n"
	      "\n"
	      "options:\n"
	      "  -a, --all       every site and every process's facts, not only the top\n"
	      "                  sites of each kind and a table of alike processes\n"
	      "  -j, --json      one JSON document: processes and sites with frames\n"
	      "  -f, --folded    collapsed stacks for flamegraph.pl or speedscope:\n"
	      "                  KIND;OUTERMOST;...;INNERMOST COUNT\n"
	      "      --format F  text, json, folded, or prometheus: the Prometheus text\n"
	      "                  format for node_exporter's textfile collector (per process:\n"
	      "                  pool, armed, events by kind, page faults, dropped records)\n"
	      "  -S, --suppressions-out FILE\n"
	      "                  also write a suppression file for PTFREEZE_SUPPRESS: one rule\n"
	      "                  per site (its kind and its innermost function in the program)\n"
	      "  -F, --fail-on-faults\n"
	      "                  page faults after arming make the exit status 1 too\n"
	      "  -h, --help      this help\n"
	      "\n"
	      "exit status: 0 no violations (suppressed calls and page faults do not count),\n"
	      "1 violations found (or page faults, with -F),\n"
	      "2 unreadable or invalid input.\n"
	      "A truncated last line (a process killed while writing) is skipped with a warning.\n",
	      out);
}

/* The metrics are made from the JSON document, so the two cannot disagree. */
static int render_prometheus(FILE *out, const struct rf_set *set)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (mem == NULL) {
		return -1;
	}
	int r = render_json(mem, set);
	if (fclose(mem) != 0 || r != 0) {
		free(buf);
		return -1;
	}
	json_error_t err;
	json_t *doc = json_loadb(buf, len, 0, &err);
	free(buf);
	if (doc == NULL) {
		return -1;
	}
	r = prom_report(out, doc);
	json_decref(doc);
	return r;
}

int cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
		{"all", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"folded", no_argument, NULL, 'f'},
		{"suppressions-out", required_argument, NULL, 'S'},
		{"fail-on-faults", no_argument, NULL, 'F'},
		{"format", required_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum format format = FORMAT_TEXT;
	const char *supp_out = NULL;
	bool fail_on_faults = false, all = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ajfS:Fh", options, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'j':
			format = FORMAT_JSON;
			break;
		case 'f':
			format = FORMAT_FOLDED;
			break;
		case 'S':
			supp_out = optarg;
			break;
		case 'F':
			fail_on_faults = true;
			break;
		case 'O': {
			static const char *const formats[] = {"text", "json", "folded", "prometheus", NULL};
			if (!cli_parse_choice("report", "--format", optarg, formats, (int *)&format)) {
				return CLI_INVALID;
			}
			break;
		}
		default: /* --help, or a bad option */
			return cli_option_end("report", c, argv, cmd_report_usage);
		}
	}

	/*
	 * A report of 100k sites is a million small allocations (jansson): no
	 * fastbins, so freeing them never makes malloc consolidate them again.
	 */
	mallopt(M_MXFAST, 0);
	char **files;
	bool *in_dir;
	size_t nfiles;
	int status = reportfile_collect(argv + optind, argc - optind, &files, &in_dir, &nfiles);
	struct rf_set set = {0};
	set.procs = cli_calloc(nfiles, sizeof(*set.procs));
	for (size_t i = 0; i < nfiles; i++) {
		bool stillborn = false; /* reportfile_read leaves it */
		struct rf_process *p = in_dir[i] ? reportfile_read_found(files[i], &stillborn) : reportfile_read(files[i]);
		if (p) {
			set.procs[set.nprocs++] = p;
		} else if (!stillborn) {
			status = CLI_INVALID;
		}
		free(files[i]);
	}
	free(files);
	free(in_dir);
	if (set.nprocs == 0) {
		if (status == 0) {
			cli_error("no report to read: every file found was skipped");
		}
		reportfile_free_set(&set);
		return CLI_INVALID;
	}

	reportfile_merge(&set);
	struct symbolizer *sym = symbolize_new();
	/* The text's first screen names only its top sites: symbolising the rest would be most of the time. */
	bool *need = cli_calloc(set.ngroups ? set.ngroups : 1, sizeof(*need));
	if (format == FORMAT_TEXT && !all && supp_out == NULL) {
		render_text_shown(&set, false, need);
	} else if (format == FORMAT_PROMETHEUS && supp_out == NULL) {
		/* No frames in the metrics: nothing to symbolise. */
	} else {
		memset(need, 1, set.ngroups * sizeof(*need));
	}
	for (size_t i = 0; i < set.ngroups; i++) {
		if (need[i]) {
			symbolize_frames(sym, set.groups[i].frames, set.groups[i].depth);
		}
	}
	free(need);
	/* Text and folded write as they go; JSON and the metrics are documents that can fail whole. */
	if (format == FORMAT_TEXT) {
		render_text_all(stdout, &set, all);
	} else if (format == FORMAT_FOLDED) {
		render_folded(stdout, &set);
	} else if ((format == FORMAT_JSON ? render_json(stdout, &set) : render_prometheus(stdout, &set)) != 0) {
		cli_error("cannot write %s", format == FORMAT_JSON ? "the JSON document" : "the metrics");
		status = CLI_INVALID;
	}
	if (supp_out && suppressions_write(supp_out, &set) != 0) {
		status = CLI_INVALID;
	}
	/* Violations are page-table calls; page faults count only with --fail-on-faults. */
	bool found = false;
	for (size_t i = 0; i < set.ngroups; i++) {
		found |= !render_is_fault(&set.groups[i]) || fail_on_faults;
	}
	for (size_t i = 0; i < set.nprocs; i++) {
		json_t *sum = set.procs[i]->summary;
		if (sum) {
			long long faults = reportfile_get_int(json_object_get(sum, "events_by_kind"), kinds_name(KIND_PAGE_FAULT), 0);
			long long events = reportfile_get_int(sum, "events", 0);
			found |= events - (fail_on_faults ? 0 : faults) > 0;
		}
	}
	symbolize_free(sym);
	reportfile_free_set(&set);
	if (fflush(stdout) != 0) {
		cli_error("cannot write the output");
		return CLI_INVALID;
	}
	return status ? status : found ? CLI_FOUND : CLI_OK;
}
