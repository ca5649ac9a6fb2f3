#include "shell-int.h"

#include "provenance.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * TARGET names a step or a file.  A file is tagged through the step that
 * wrote its current version; a version no step wrote (an input brought
 * in by hand, or a file edited since) is tagged by its content hash.
 */
static int cmd_tag_exec(int argc, char **argv)
{
	struct prov_store *st = NULL;
	const char *target;
	char id[PROV_ID_LEN + 1] = "", wsha[SHA256_HEX_LEN + 1], dsha[SHA256_HEX_LEN + 1];
	char *rel = NULL, *full = NULL;
	struct stat sb;
	int i, ret, is_path;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_tag_entry);
		return 0;
	}
	if (argc < 3)
		return shell_usage_error(&cmd_tag_entry, "give a path or step and KEY=VALUE");
	for (i = 2; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i])
			return shell_usage_error(&cmd_tag_entry, "'%s' is not KEY=VALUE", argv[i]);
	}
	target = argv[1];
	if ((ret = shell_store_open(&st, &cmd_tag_entry)))
		return ret;

	/* A path when such a file exists (or a step wrote it), else a step. */
	if ((ret = provenance_relpath(&rel, st, target)) < 0)
		goto fail;
	full = rel[0] == '/' ? xstrdup(rel) : xstrfmt("%s/%s", provenance_store_root(st), rel);
	is_path = target[0] != '@' &&
	    (lstat(full, &sb) == 0 || provenance_latest_writer(NULL, NULL, st, rel) == 0);
	err_clear();
	if (!is_path) {
		if ((ret = provenance_step_resolve(id, st, target)) < 0) {
			if (ret == CAIRN_EUSAGE)
				err_set(CAIRN_ENOTFOUND, "'%s' is neither a file nor a step",
					target);
			ret = CAIRN_ENOTFOUND;
			goto fail;
		}
	} else {
		if ((ret = util_sha256_file(dsha, NULL, full)) < 0)
			goto fail;
		ret = provenance_latest_writer(id, wsha, st, rel);
		if (ret < 0 && ret != CAIRN_ENOTFOUND)
			goto fail;
		if (ret == CAIRN_ENOTFOUND || strcmp(wsha, dsha)) {
			/* No step wrote these bytes: tag the version itself. */
			for (i = 2; i < argc; i++) {
				char *key =
				    xstrndup(argv[i], (size_t)(strchr(argv[i], '=') - argv[i]));
				ret = provenance_tag_file(st, dsha, key, strchr(argv[i], '=') + 1);
				free(key);
				if (ret < 0)
					goto fail;
			}
			if (!shell_opts.quiet)
				printf("tagged %s (version %.12s, written by no step)\n", rel,
				       dsha);
			ret = 0;
			goto out;
		}
	}
	for (i = 2; i < argc; i++) {
		char *key = xstrndup(argv[i], (size_t)(strchr(argv[i], '=') - argv[i]));
		ret = provenance_tag(st, id, key, strchr(argv[i], '=') + 1);
		free(key);
		if (ret < 0)
			goto fail;
	}
	if (!shell_opts.quiet) {
		if (is_path)
			printf("tagged step %.8s (it wrote %s)\n", id, rel);
		else
			printf("tagged step %.8s\n", id);
	}
	ret = 0;
	goto out;
fail:
	ret = shell_store_fail(&cmd_tag_entry, ret);
out:
	free(rel);
	free(full);
	provenance_store_free(st);
	return ret;
}

const struct cmd_entry cmd_tag_entry = {
	.name = "tag",
	.usage = "cairn tag PATH|STEP KEY=VALUE...",
	.summary = "Annotate a step, or the step that wrote a file's current version.",
	.help = "A PATH tags the step that wrote the version on disk now; a version no\n"
		"step wrote (an input brought in by hand) is tagged by its content hash.\n"
		"Tags flow downstream: `cairn find --tag KEY=VALUE` finds every step that\n"
		"carries the tag or derives from one that does.  A later value for the\n"
		"same KEY replaces the earlier one.\n",
	.exec = cmd_tag_exec,
};
