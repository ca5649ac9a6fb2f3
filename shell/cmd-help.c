#include "shell-int.h"

#include <string.h>

static int cmd_help_exec(int argc, char **argv)
{
	const struct cmd_entry *cmd;
	char *args[] = { "cairn", "--help", NULL };
	if (argc < 2)
		return shell_main(2, args);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cmd_print_help(&cmd_help_entry);
		return 0;
	}
	cmd = cmd_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "cairn: '%s' is not a cairn command; see 'cairn --help'\n",
			argv[1]);
		return 2;
	}
	cmd_print_help(cmd);
	return 0;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "cairn help [COMMAND]",
	.summary = "Show help for cairn or one of its commands.",
	.help = "",
	.exec = cmd_help_exec,
};
