/*
 * commands.c - main(): global options, the subcommand table, -c, stdin
 * and the REPL.
 */
#include "shell-int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct shell_opts shell_opts;

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.0.0"
#endif
const char shell_version[] = CAIRN_VERSION;

/* Every subcommand; a new one is a file plus a line here. */
/* clang-format off */
const struct cmd_entry *const cmd_table[] = {
	&cmd_run_entry,
	&cmd_replay_entry,
	&cmd_init_entry,
	&cmd_log_entry,
	&cmd_show_entry,
	&cmd_status_entry,
	&cmd_tag_entry,
	&cmd_find_entry,
	&cmd_checkout_entry,
	&cmd_undo_entry,
	&cmd_why_entry,
	&cmd_info_entry,
	&cmd_diff_entry,
	&cmd_compare_entry,
	&cmd_lineage_entry,
	&cmd_report_entry,
	&cmd_rerun_entry,
	&cmd_verify_entry,
	&cmd_cache_entry,
	&cmd_fsck_entry,
	&cmd_help_entry,
	&cmd_version_entry,
	NULL,
};
/* clang-format on */

const struct cmd_entry *cmd_find(const char *name)
{
	size_t i;
	for (i = 0; cmd_table[i]; i++)
		if (!strcmp(cmd_table[i]->name, name))
			return cmd_table[i];
	return NULL;
}

void cmd_print_help(const struct cmd_entry *cmd)
{
	printf("usage: %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->help && *cmd->help)
		printf("\n%s", cmd->help);
}

int cmd_wants_help(int argc, char **argv)
{
	int i;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

static const char main_usage[] =
    "usage: cairn [OPTION...]                      interactive shell (REPL)\n"
    "       cairn [OPTION...] -c COMMANDS [NAME [ARG...]]\n"
    "       cairn [OPTION...] run FILE [ARG...]\n"
    "       cairn [OPTION...] COMMAND [ARG...]\n"
    "       cairn --help | --version\n";

static void print_main_help(void)
{
	size_t i;
	printf("%s\n", main_usage);
	printf("cairn runs shell commands as recorded steps: each top-level command of a\n"
	       "script (or each line typed) is one step, run by a real bash (or sh when a\n"
	       "script's #! line asks for it) with the shell state carried across steps,\n"
	       "in a sandbox that sees what it reads and writes.  A step's outputs are\n"
	       "committed when it succeeds, and its record goes to the project's store\n"
	       "(.cairn/ in the nearest directory up, made here when there is none).\n"
	       "With no arguments it reads commands from standard input when that is not a\n"
	       "terminal, and starts the interactive shell when it is.\n\n");
	printf("Commands:\n");
	for (i = 0; cmd_table[i]; i++)
		printf("  %-10s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	printf("\nOptions:\n"
	       "  -c COMMANDS    run COMMANDS (one step per top-level command)\n"
	       "  --store DIR    the cairn store to use (default: found from the working\n"
	       "                 directory; also $CAIRN_STORE)\n"
	       "  --no-sandbox   run steps without the sandbox (recorded as unsandboxed;\n"
	       "                 nothing is traced)\n"
	       "  --keep-failed  keep the outputs of a failed step in .cairn/failed/STEP/\n"
	       "  --no-cache     run every step; serve none from the cache (steps are\n"
	       "                 still recorded and offered to it)\n"
	       "  -q, --quiet    print less\n"
	       "  -v, --verbose  print more\n"
	       "  -h, --help     this help; `cairn COMMAND --help` for one command\n"
	       "  --version      print the version\n\n"
	       "Exit status: a step's own status for `run` and -c; 2 for usage and syntax\n"
	       "errors; 125 when cairn itself fails.  See cairn(1).\n");
}

static int run_string(int argc, char **argv)
{
	struct exec_session_opts o = { 0 };

	/* As bash -c: the first argument after the commands is $0. */
	o.mode = EXEC_MODE_STRING;
	o.lang = EXEC_LANG_BASH;
	o.argv0 = argc > 1 ? argv[1] : NULL;
	o.args = argc > 2 ? (const char *const *)argv + 2 : NULL;
	return shell_run_text(&o, "-c", argv[0], strlen(argv[0]));
}

static int run_stdin(void)
{
	struct exec_session_opts o = { 0 };
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (strbuf_read_fd(&sb, 0) < 0) {
		warn("cannot read commands from standard input: %s", err_last());
		return 125;
	}
	o.mode = EXEC_MODE_STDIN;
	o.lang = shell_lang_of(sb.buf, sb.len);
	/* Standard input is used up: the steps find it at its end. */
	ret = shell_run_text(&o, "<stdin>", sb.buf, sb.len);
	strbuf_release(&sb);
	return ret;
}

int shell_main(int argc, char **argv)
{
	const struct cmd_entry *cmd;
	int i;

	shell_opts.store = getenv("CAIRN_STORE");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_main_help();
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("cairn %s\n", shell_version);
			return 0;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			shell_opts.quiet = 1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			shell_opts.verbose = 1;
		} else if (!strcmp(a, "--no-sandbox")) {
			shell_opts.no_sandbox = 1;
		} else if (!strcmp(a, "--keep-failed")) {
			shell_opts.keep_failed = 1;
		} else if (!strcmp(a, "--no-cache")) {
			shell_opts.no_cache = 1;
		} else if (!strcmp(a, "--store")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "cairn: --store needs a directory\n%s", main_usage);
				return 2;
			}
			shell_opts.store = argv[++i];
		} else if (!strncmp(a, "--store=", 8)) {
			shell_opts.store = a + 8;
		} else if (!strcmp(a, "-c")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "cairn: -c: option requires an argument\n%s",
					main_usage);
				return 2;
			}
			return run_string(argc - i - 1, argv + i + 1);
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "cairn: unknown option '%s'\n%s", a, main_usage);
			return 2;
		} else {
			break;
		}
	}
	if (i >= argc) {
		struct exec_session_opts o = { 0 };
		if (isatty(0)) {
			o.mode = EXEC_MODE_REPL;
			return shell_repl(&o);
		}
		return run_stdin();
	}
	cmd = cmd_find(argv[i]);
	if (!cmd) {
		fprintf(stderr, "cairn: '%s' is not a cairn command; see 'cairn --help'\n",
			argv[i]);
		return 2;
	}
	return cmd->exec(argc - i, argv + i);
}
