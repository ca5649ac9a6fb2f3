#include "shell-int.h"

#include "provenance.h"

#include <stdlib.h>
#include <sys/stat.h>

static int cmd_init_exec(int argc, char **argv)
{
	struct prov_store *st = NULL;
	struct stat sb;
	char *root = NULL, *probe;
	int existed, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_init_entry);
		return 0;
	}
	if (argc > 2)
		return shell_usage_error(&cmd_init_entry, "too many arguments");
	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		return shell_usage_error(&cmd_init_entry, "unknown option '%s'", argv[1]);
	root = argc == 2 ? xstrdup(argv[1]) : shell_store_root();
	if (!root)
		root = xstrdup(".");
	probe = xstrfmt("%s/.cairn/lineage.git", root);
	existed = stat(probe, &sb) == 0;
	free(probe);
	if ((ret = provenance_store_open(&st, root, 1)) < 0) {
		ret = shell_store_fail(&cmd_init_entry, ret);
		goto out;
	}
	if (!shell_opts.quiet)
		printf("%s cairn store in %s\n",
		       existed ? "Reinitialized existing" : "Initialized empty",
		       provenance_store_dir(st));
	ret = 0;
out:
	provenance_store_free(st);
	free(root);
	return ret;
}

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.usage = "cairn init [DIR]",
	.summary = "Create a cairn store (.cairn/) in DIR or the working directory.",
	.help = "The store holds the lineage repository (.cairn/lineage.git, a bare git\n"
		"repository), the content store (.cairn/cas) and the caches.  Steps create\n"
		"one on first use; `init` makes it explicitly.  Running it again is\n"
		"harmless.\n",
	.exec = cmd_init_exec,
};
