/*
 * cmd-diff.c - `cairn diff`: format-aware differences between two files,
 * or between recorded versions of one (their bytes from the content
 * store).  Exits as diff(1) does: 0 the same, 1 different, 2 trouble.
 */
#include "shell-int.h"

#include "cache.h"
#include "formats.h"
#include "provenance.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_TROUBLE 2

/* One side of the comparison: where its bytes are, how it is named. */
struct side {
	char *bytes; /* a path to read */
	char *label; /* "dem.tif" or "dem.tif@3f9c2a1b" */
	char *name; /* the file's name, for format detection */
	int alias; /* BYTES is an alias to remove */
	int fd; /* the verified object BYTES leads to, lent to the helper, or -1 */
};

static void side_release(struct side *s)
{
	if (s->alias)
		formats_alias_remove(s->bytes);
	if (s->fd >= 0)
		formats_fd_close(s->fd);
	free(s->bytes);
	free(s->label);
	free(s->name);
}

/* The version of REL that step SPEC wrote (or read), from the CAS. */
static int side_at(struct side *out, struct prov_store *st, const char *rel, const char *spec)
{
	struct strbuf al = STRBUF_INIT;
	json_t *rec = NULL, *e = NULL;
	const char *sha;
	char *tmp = NULL, *lent = NULL;
	int fd = -1, ret;

	if ((ret = shell_step_file(&rec, &e, st, spec, rel, 1)) < 0)
		goto out;
	sha = json_string_value(json_object_get(e, "sha256"));
	if (!sha || !util_is_sha256_hex(sha)) {
		ret = err_set(CAIRN_ENOTFOUND, "step %.8s has no content hash for %s", spec, rel);
		goto out;
	}
	if (!cache_cas_has(provenance_store_dir(st), sha)) {
		ret = err_set(CAIRN_ENOTFOUND,
			      "the version of %s that step %.8s saw is not in the content store "
			      "(only outputs of steps are kept there)",
			      rel, json_string_value(json_object_get(rec, "id")));
		goto out;
	}
	/* Verified, raw or compressed: never the object's file by name. */
	if ((ret = cache_cas_open(&fd, provenance_store_dir(st), sha)) < 0)
		goto out;
	lent = formats_fd_lend(fd);
	tmp = xstrfmt("%s/tmp", provenance_store_dir(st));
	if ((ret = formats_alias_create(&al, tmp, lent, rel)) < 0)
		goto out;
	out->bytes = strbuf_detach(&al, NULL);
	out->alias = 1;
	out->fd = fd;
	fd = -1;
	out->label = xstrfmt("%s@%.8s", rel, json_string_value(json_object_get(rec, "id")));
	out->name = xstrdup(rel);
out:
	formats_fd_close(fd);
	free(lent);
	free(tmp);
	strbuf_release(&al);
	json_decref(rec);
	return ret;
}

static void side_file(struct side *out, const char *path)
{
	out->bytes = xstrdup(path);
	out->label = xstrdup(path);
	out->name = xstrdup(path);
}

static int trouble(void)
{
	fprintf(stderr, "cairn diff: %s\n", err_last());
	return DIFF_TROUBLE;
}

static int cmd_diff_exec(int argc, char **argv)
{
	struct prov_store *st = NULL;
	struct side a = { .fd = -1 }, b = { .fd = -1 };
	const char *paths[2] = { NULL, NULL }, *at[2] = { NULL, NULL };
	char latest[PROV_ID_LEN + 1];
	json_t *d = NULL;
	char *rel = NULL;
	int npaths = 0, nat = 0, json = 0, i, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_diff_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--at") || !strncmp(argv[i], "--at=", 5)) {
			const char *v = argv[i][4] == '=' ? argv[i] + 5 : NULL;
			if (!v && i + 1 >= argc)
				return shell_usage_error(&cmd_diff_entry, "--at needs a step");
			if (!v)
				v = argv[++i];
			if (nat == 2)
				return shell_usage_error(&cmd_diff_entry,
							 "--at given more than twice");
			at[nat++] = v;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return shell_usage_error(&cmd_diff_entry, "unknown option '%s'", argv[i]);
		} else {
			if (npaths == 2)
				return shell_usage_error(&cmd_diff_entry,
							 "more than two paths given");
			paths[npaths++] = argv[i];
		}
	}
	if (!npaths)
		return shell_usage_error(&cmd_diff_entry, "no path given");
	if (npaths == 2 && nat)
		return shell_usage_error(&cmd_diff_entry, "--at compares versions of one path");

	if (npaths == 2) {
		side_file(&a, paths[0]);
		side_file(&b, paths[1]);
	} else {
		if ((ret = shell_store_open(&st, &cmd_diff_entry)))
			return DIFF_TROUBLE;
		if (provenance_relpath(&rel, st, paths[0]) < 0) {
			ret = trouble();
			goto out;
		}
		/* No --at: the newest recorded version against the file. */
		if (!nat) {
			if (provenance_latest_writer(latest, NULL, st, rel) < 0) {
				ret = trouble();
				goto out;
			}
			at[nat++] = latest;
		}
		if (side_at(&a, st, rel, at[0]) < 0) {
			ret = trouble();
			goto out;
		}
		if (nat == 2) {
			if (side_at(&b, st, rel, at[1]) < 0) {
				ret = trouble();
				goto out;
			}
		} else {
			side_file(&b, paths[0]);
		}
	}
	ret = formats_diff(&d, a.bytes, a.name, b.bytes, b.name);
	if (ret < 0) {
		ret = trouble();
		goto out;
	}
	if (json) {
		json_object_set_new(d, "a", json_string(a.label));
		json_object_set_new(d, "b", json_string(b.label));
		util_json_dumpf(d, stdout,
				JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
		putchar('\n');
	} else {
		formats_diff_print(stdout, d, a.label, b.label);
	}
out:
	json_decref(d);
	side_release(&a);
	side_release(&b);
	free(rel);
	provenance_store_free(st);
	return ret;
}

const struct cmd_entry cmd_diff_entry = {
	.name = "diff",
	.usage = "cairn diff PATH [PATH2] [--at STEP]... [--json]",
	.summary = "Compare two files, or versions of one, knowing their formats.",
	.help =
	    "  cairn diff A B                      two files on disk\n"
	    "  cairn diff PATH --at S1 --at S2    the versions steps S1 and S2 wrote (or read)\n"
	    "  cairn diff PATH --at S             that version against the file on disk\n"
	    "  cairn diff PATH                    the newest recorded version against the file\n\n"
	    "Files are first compared byte for byte, then by semantic fingerprint (values,\n"
	    "georeferencing, attributes; not TIFF DateTime or HDF5 timestamps).  When they\n"
	    "differ, rasters show size, CRS, geotransform, nodata and per-band statistics,\n"
	    "and for equal shapes the count of differing cells and the largest absolute\n"
	    "difference; HDF5 files show datasets added, removed or changed.  See\n"
	    "docs/formats.md.\n\n"
	    "Options:\n"
	    "  --json    one JSON document on standard output\n\n"
	    "Exit status as diff(1): 0 the same (bitwise or semantically; the output says\n"
	    "which), 1 different, 2 trouble.\n",
	.exec = cmd_diff_exec,
};
