/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ptfreeze: the command's entry point.  Finds the subcommand (run, report,
 * check, help) and hands it its own argv; prints the overview for
 * --help and the version for --version.  Owns nothing else: each
 * subcommand lives in its own cmd_*.c.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
	const char *summary;
};

static const struct command commands[] = {
	{"run", cmd_run, cmd_run_usage, "run a program under libptfreeze.so"},
	{"report", cmd_report, cmd_report_usage, "summarise and symbolise report files"},
	{"check", cmd_check, cmd_check_usage, "audit this host's virtual-memory settings"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fputs("usage: ptfreeze [--help] [--version] COMMAND [ARGS]\n"
	      "\n"
	      "Freeze a latency-critical program's page tables after start-up, and\n"
	      "find what still changes them.\n"
	      "\n"
	      "commands:\n",
	      out);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	}
	fputs("  help     show the help of a command\n"
	      "\n"
	      "A first run:\n"
	      "  ptfreeze run --arm signal:USR2 -- ./server     # then kill -USR2 when warm\n"
	      "  ptfreeze report                                # what changed page tables, where\n"
	      "  ptfreeze check                                 # what on this host still causes spikes\n"
	      "\n"
	      "'ptfreeze COMMAND --help' for a command's options; man ptfreeze for details.\n",
	      out);
}

static const struct command *find(const char *name)
{
	return cli_find_named(commands, NCOMMANDS, sizeof(commands[0]), name);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_INVALID;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		printf("ptfreeze %s\n", PACKAGE_VERSION);
		return CLI_OK;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return CLI_OK;
		}
		const struct command *c = find(argv[2]);
		if (c == NULL) {
			cli_error("help: no command '%s' (commands: run, report, check)", argv[2]);
			return CLI_INVALID;
		}
		c->usage(stdout);
		return CLI_OK;
	}
	const struct command *c = find(name);
	if (c == NULL) {
		cli_error("'%s' is not a ptfreeze command (commands: run, report, check; see 'ptfreeze --help')", name);
		return CLI_INVALID;
	}
	return c->run(argc - 1, argv + 1);
}
