#include "shell-int.h"

static int cmd_version_exec(int argc, char **argv)
{
	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_version_entry);
		return 0;
	}
	printf("cairn %s\n", shell_version);
	return 0;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.usage = "cairn version",
	.summary = "Print the version of cairn.",
	.help = "",
	.exec = cmd_version_exec,
};
