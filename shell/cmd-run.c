/*
 * cmd-run.c - `cairn run FILE [ARG...]`: run a script, one step per
 * top-level command.
 */
#include "shell-int.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int cmd_run_exec(int argc, char **argv)
{
	struct exec_session_opts o = { 0 };
	struct strbuf sb = STRBUF_INIT;
	const char *shell = NULL;
	struct stat st;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cmd_print_help(&cmd_run_entry);
			return 0;
		} else if (!strcmp(argv[i], "--no-cache")) {
			shell_opts.no_cache = 1;
		} else if (!strcmp(argv[i], "--shell") && i + 1 < argc) {
			shell = argv[++i];
		} else if (!strncmp(argv[i], "--shell=", 8)) {
			shell = argv[i] + 8;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "cairn run: unknown option '%s'\nusage: %s\n", argv[i],
				cmd_run_entry.usage);
			return 2;
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "cairn run: no script given\nusage: %s\n", cmd_run_entry.usage);
		return 2;
	}
	if (shell && strcmp(shell, "bash") && strcmp(shell, "sh")) {
		fprintf(stderr, "cairn run: --shell must be bash or sh, not '%s'\n", shell);
		return 2;
	}

	/* As bash: 127 for a missing script, 126 for one that cannot be read. */
	if (stat(argv[i], &st) < 0) {
		fprintf(stderr, "cairn: %s: %s\n", argv[i], strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "cairn: %s: Is a directory\n", argv[i]);
		return 126;
	}
	if (strbuf_read_file(&sb, argv[i]) < 0) {
		fprintf(stderr, "cairn: %s\n", err_last());
		return 126;
	}

	o.mode = EXEC_MODE_SCRIPT;
	o.script = argv[i];
	o.args = (const char *const *)argv + i + 1;
	if (shell)
		o.lang = strcmp(shell, "sh") ? EXEC_LANG_BASH : EXEC_LANG_SH;
	else
		o.lang = shell_lang_of(sb.buf, sb.len);
	ret = shell_run_text(&o, argv[i], sb.buf, sb.len);
	strbuf_release(&sb);
	return ret;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "cairn run [--shell bash|sh] [--no-cache] FILE [ARG...]",
	.summary = "Run a script; each top-level command is a step.",
	.help = "The whole script is checked for syntax errors first (reported as\n"
		"FILE:LINE:COL: message, exit status 2, nothing run).  Each top-level\n"
		"complete command then runs as a step in a real shell: bash, or sh when\n"
		"the script's #! line names sh or dash (--shell overrides).  Shell state\n"
		"(working directory, variables, functions, aliases, options, traps,\n"
		"positional parameters, $?) carries from step to step, so the script\n"
		"prints and exits as it would under that shell.  ARGs become $1, $2, ...\n"
		"\n"
		"Lines starting with `#cairn:` are directives for the next step:\n"
		"  #cairn: net            allow network access (recorded as impure)\n"
		"  #cairn: nocache        never serve this step from the cache\n"
		"  #cairn: timeout=SECS   time limit\n"
		"  #cairn: mem=SIZE       memory limit (e.g. 512M, 4G)\n"
		"\n"
		"Each step runs in the sandbox (see cairn(1), docs/sandbox.md): the host\n"
		"read only, the project, a session-private /tmp and $HOME (its writes\n"
		"private to the session) writable; a step that fails changes nothing.\n"
		"\n"
		"Exit status: the script's, as under the shell; 127 when FILE does not\n"
		"exist, 126 when it cannot be read, 2 for syntax errors.\n",
	.exec = cmd_run_exec,
};
