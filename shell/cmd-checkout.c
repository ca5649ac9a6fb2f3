#include "shell-int.h"

#include "cache.h"
#include "provenance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Replace DEST by a symlink to TARGET, atomically. */
static int restore_symlink(const char *dest, const char *target)
{
	char *tmp = xstrfmt("%s.cairn-checkout.%d", dest, (int)getpid());
	int ret = 0;

	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, dest) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot restore the symlink %s", dest);
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

static int cmd_checkout_exec(int argc, char **argv)
{
	struct prov_store *st = NULL;
	const char *path = NULL, *at = NULL, *kind, *sha, *mode;
	char id[PROV_ID_LEN + 1];
	json_t *rec = NULL, *found = NULL;
	char *rel = NULL, *dest = NULL;
	int k, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_checkout_entry);
		return 0;
	}
	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--at") && k + 1 < argc)
			at = argv[++k];
		else if (!strncmp(argv[k], "--at=", 5))
			at = argv[k] + 5;
		else if (argv[k][0] == '-' && argv[k][1])
			return shell_usage_error(&cmd_checkout_entry, "unknown option '%s'",
						 argv[k]);
		else if (path)
			return shell_usage_error(&cmd_checkout_entry, "more than one path given");
		else
			path = argv[k];
	}
	if (!path)
		return shell_usage_error(&cmd_checkout_entry, "no path given");
	if ((ret = shell_store_open(&st, &cmd_checkout_entry)))
		return ret;
	if ((ret = provenance_relpath(&rel, st, path)) < 0)
		goto fail;
	if (rel[0] == '/' || !strcmp(rel, ".")) {
		ret = err_set(CAIRN_EUSAGE, "%s is not a file in the project (%s)", path,
			      provenance_store_root(st));
		goto fail;
	}
	/* Without --at: the newest recorded version. */
	if (!at) {
		if ((ret = provenance_latest_writer(id, NULL, st, rel)) < 0)
			goto fail;
		at = id;
	}
	if ((ret = shell_step_file(&rec, &found, st, at, rel, 0)) < 0)
		goto fail;
	kind = json_string_value(json_object_get(found, "kind")) ?: "file";
	sha = json_string_value(json_object_get(found, "sha256"));
	mode = json_string_value(json_object_get(found, "mode"));
	dest = xstrfmt("%s/%s", provenance_store_root(st), rel);
	if ((ret = shell_make_parents(dest)) < 0)
		goto fail;
	if (!strcmp(kind, "deleted")) {
		ret =
		    err_set(CAIRN_ENOTFOUND, "step %.8s deleted %s: there is no version to restore",
			    json_string_value(json_object_get(rec, "id")), rel);
		goto fail;
	} else if (!strcmp(kind, "symlink")) {
		const char *target = json_string_value(json_object_get(found, "target"));
		if (!target) {
			ret = err_set(CAIRN_ERROR, "the record of %s has no symlink target", rel);
			goto fail;
		}
		if ((ret = restore_symlink(dest, target)) < 0)
			goto fail;
	} else if (!strcmp(kind, "file")) {
		unsigned m = exec_restore_mode(mode);
		if (!sha) {
			ret = err_set(CAIRN_ERROR, "the record of %s has no hash", rel);
			goto fail;
		}
		ret = cache_cas_get_file(provenance_store_dir(st), sha, dest, m ? m : 0644);
		if (ret < 0) {
			char *why = xstrdup(err_last());
			err_set(ret, "cannot restore %s as step %.8s wrote it: %s", rel,
				json_string_value(json_object_get(rec, "id")), why);
			free(why);
			goto fail;
		}
	} else {
		ret = err_set(CAIRN_ERROR, "cannot restore %s: step %.8s wrote a %s", rel,
			      json_string_value(json_object_get(rec, "id")), kind);
		goto fail;
	}
	if (!shell_opts.quiet)
		printf("restored %s as step %.8s wrote it\n", util_name_quoted(rel),
		       json_string_value(json_object_get(rec, "id")));
	ret = 0;
	goto out;
fail:
	ret = shell_store_fail(&cmd_checkout_entry, ret);
out:
	free(rel);
	free(dest);
	json_decref(rec);
	provenance_store_free(st);
	return ret;
}

const struct cmd_entry cmd_checkout_entry = {
	.name = "checkout",
	.usage = "cairn checkout PATH [--at STEP]",
	.summary = "Restore the version of a file that a step wrote, from the content store.",
	.help = "Without --at, the newest recorded version.  The bytes come from the\n"
		"content store (.cairn/cas), are verified against the recorded hash, and\n"
		"replace PATH atomically (temporary file + rename); PATH is left untouched\n"
		"when the object is missing or corrupt.\n",
	.exec = cmd_checkout_exec,
};
