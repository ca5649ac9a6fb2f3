/*
 * cmd-verify.c - `cairn verify PATH|STEP [--json]`: run a lineage again
 * without the cache, into a staging directory, and compare each step's
 * outputs with what its record says (bytes, then the formats' semantic
 * fingerprints).  The runs are not recorded; see docs/rerun.md.
 */
#include "shell-int.h"

#include "cache.h"
#include "formats.h"
#include "provenance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERIFY_TROUBLE 2

/* {path, result}: PATH as bytes (json_pack() takes only UTF-8), RESULT
 * left out when NULL. */
static json_t *path_result(const char *path, const char *result)
{
	json_t *o = json_object();

	json_object_set_new(o, "path", util_json_str(path));
	if (result)
		json_object_set_new(o, "result", json_string(result));
	return o;
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/*
 * A GDAL sidecar (X.aux.xml) holds what GDAL derives from X and makes
 * again whenever it is asked (statistics, histograms): when X itself is
 * in the staging directory, a sidecar missing or different there is
 * noted in result X (`sidecar`) and does not make the pipeline diverge --
 * what was computed from it, such as a statistics table, is compared as
 * an output of its own.  Not when it is what is verified, nor when a
 * step of the chain read it: then it is an input like any other.
 */
static int derived_sidecar(json_t *x, const char *staging, const struct exec_chain *chain)
{
	const char *path = str(x, "path");
	size_t n = path ? strlen(path) : 0, i, k;
	struct stat st;
	json_t *r;
	char *base;
	int ok;
	if (n <= 8 || strcmp(path + n - 8, ".aux.xml") || !strcmp(path, chain->target))
		return 0;
	/* a sidecar a step of the chain read is an input like any other */
	for (i = 0; i < chain->nsteps; i++)
		json_array_foreach(json_object_get(chain->steps[i].record, "reads"), k, r)
		{
			if (!strcmp(str(r, "path") ?: "", path))
				return 0;
		}
	base = xstrfmt("%s/%.*s", staging, (int)(n - 8), path);
	ok = lstat(base, &st) == 0 && S_ISREG(st.st_mode);
	free(base);
	if (ok)
		json_object_set_new(x, "sidecar",
				    json_string("GDAL's derived metadata, made again on demand: "
						"not counted as a difference"));
	return ok;
}

/* Did a step of CHAIN record writing PATH? */
static int recorded_write(const struct exec_chain *chain, const char *path)
{
	json_t *w;
	size_t i, k;
	for (i = 0; i < chain->nsteps; i++)
		json_array_foreach(json_object_get(chain->steps[i].record, "writes"), k, w)
		{
			if (!strcmp(str(w, "path") ?: "", path))
				return 1;
		}
	return 0;
}

/* The files under STAGING/REL that no step of the recorded run wrote:
 * {path, sidecar?} into OUT (a file in one run only is reported). */
static void only_here(json_t *out, const struct exec_chain *chain, const char *staging,
		      const char *rel)
{
	char *dir = *rel ? xstrfmt("%s/%s", staging, rel) : xstrdup(staging);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *sub, *full;
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = *rel ? xstrfmt("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		full = xstrfmt("%s/%s", staging, sub);
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			only_here(out, chain, staging, sub);
		} else if (!recorded_write(chain, sub)) {
			json_t *x = path_result(sub, "only in this run");
			derived_sidecar(x, staging, chain);
			json_array_append_new(out, x);
		}
		free(full);
		free(sub);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* Compare one recorded write W with the file at STAGED: an object
 * {path, result, ...}. */
static json_t *compare(struct prov_store *st, json_t *w, const char *staged)
{
	const char *path = str(w, "path"), *want = str(w, "sha256");
	const char *cdir = provenance_store_dir(st);
	json_t *o = path_result(path, NULL), *d = NULL;
	char sha[SHA256_HEX_LEN + 1];
	struct strbuf al = STRBUF_INIT;
	char *tmp = NULL, *lent = NULL;
	uint64_t size;
	struct stat sst;
	int r, fd = -1;

	if (lstat(staged, &sst) < 0 || !S_ISREG(sst.st_mode)) {
		json_object_set_new(o, "result", json_string("missing"));
		goto out;
	}
	if (util_sha256_file(sha, &size, staged) < 0) {
		json_object_set_new(o, "result", json_string("missing"));
		json_object_set_new(o, "error", json_string(err_last()));
		goto out;
	}
	json_object_set_new(o, "sha256", json_string(sha));
	json_object_set_new(o, "recorded_sha256", want ? json_string(want) : json_null());
	if (want && !strcmp(sha, want)) {
		json_object_set_new(o, "result", json_string("identical"));
		goto out;
	}
	if (!want || !cache_cas_has(cdir, want)) {
		json_object_set_new(o, "result", json_string("different"));
		json_object_set_new(
		    o, "note", json_string("the recorded version is not in the content store"));
		goto out;
	}
	/* Verified, raw or compressed: never the object's file by name. */
	if (cache_cas_open(&fd, cdir, want) < 0) {
		json_object_set_new(o, "result", json_string("different"));
		json_object_set_new(o, "error", json_string(err_last()));
		err_clear();
		goto out;
	}
	lent = formats_fd_lend(fd);
	tmp = xstrfmt("%s/tmp", cdir);
	if (formats_alias_create(&al, tmp, lent, path) < 0) {
		json_object_set_new(o, "result", json_string("different"));
		goto out;
	}
	r = formats_diff(&d, al.buf, path, staged, path);
	formats_alias_remove(al.buf);
	if (r == 0) {
		json_object_set_new(o, "result", json_string("semantically identical"));
	} else {
		json_t *band0 = json_array_get(json_object_get(d, "bands"), 0);
		json_object_set_new(o, "result", json_string("different"));
		if (json_object_get(d, "max_abs_diff"))
			json_object_set(o, "max_abs_diff", json_object_get(d, "max_abs_diff"));
		if (json_object_get(d, "differing_cells"))
			json_object_set(o, "differing_cells",
					json_object_get(d, "differing_cells"));
		if (band0 && json_is_object(json_object_get(band0, "first_difference")))
			json_object_set(o, "first_difference",
					json_object_get(band0, "first_difference"));
		if (json_is_array(json_object_get(d, "changes")))
			json_object_set(o, "changes", json_object_get(d, "changes"));
		if (r < 0)
			err_clear();
	}
out:
	formats_fd_close(fd);
	json_decref(d);
	free(lent);
	free(tmp);
	strbuf_release(&al);
	return o;
}

/* The change line that says where the largest difference is, else the
 * first one. */
static const char *where(const json_t *o)
{
	json_t *changes = json_object_get(o, "changes"), *c;
	size_t i;
	json_array_foreach(changes, i, c)
	{
		if (json_string_value(c) && strstr(json_string_value(c), "max abs difference"))
			return json_string_value(c);
	}
	return json_string_value(json_array_get(changes, 0));
}

static void print_report(const json_t *rep)
{
	json_t *s, *o;
	size_t i, k;
	const char *first = str(rep, "first_divergent");
	printf("cairn verify: %s: %zu step%s run again without the cache\n",
	       util_name_quoted(str(rep, "target")), json_array_size(json_object_get(rep, "steps")),
	       json_array_size(json_object_get(rep, "steps")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(rep, "steps"), i, s)
	{
		const char *cmd = str(s, "command");
		printf("  %.8s  %.*s%s\n", str(s, "id"), (int)strcspn(cmd ? cmd : "", "\n"),
		       cmd ? cmd : "",
		       json_is_integer(json_object_get(s, "status")) &&
			       json_integer_value(json_object_get(s, "status"))
			   ? " (failed)"
			   : "");
		json_array_foreach(json_object_get(s, "outputs"), k, o)
		{
			printf("      %-32s %s", util_name_quoted(str(o, "path")),
			       str(o, "result"));
			if (json_object_get(o, "max_abs_diff")) {
				char *m = util_json_dumps(json_object_get(o, "max_abs_diff"),
							  JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
				printf(" (max |diff| %s", m);
				free(m);
				if (where(o))
					printf("; %s", where(o));
				printf(")");
			}
			if (str(o, "error"))
				printf(" (%s)", str(o, "error"));
			if (json_object_get(o, "sidecar"))
				printf(" (a GDAL sidecar, made again on demand: not counted)");
			printf("\n");
		}
		json_array_foreach(json_object_get(s, "nondeterministic"), k, o)
		    printf("      the step read %s: its output may differ from run to run\n",
			   util_name_quoted(json_string_value(o)));
	}
	json_array_foreach(json_object_get(rep, "only_in_this_run"), k, o)
	{
		printf("  only in this run: %s%s\n", util_name_quoted(str(o, "path")),
		       json_object_get(o, "sidecar") ? " (a GDAL sidecar: not counted)" : "");
	}
	if (first)
		printf("first divergent step: %.8s (%s)\n", first,
		       str(rep, "first_divergent_command") ? str(rep, "first_divergent_command")
							   : "");
	else if (!json_is_true(json_object_get(rep, "reproducible")))
		printf("not reproduced: this run made files the recorded one did not\n");
	else
		printf("reproduced: every output is identical or semantically identical\n");
}

static int cmd_verify_exec(int argc, char **argv)
{
	struct exec_session_opts o = { 0 };
	struct shell_project proj = { 0 };
	struct exec_session es;
	struct exec_chain chain = { 0 };
	const char *arg = NULL;
	char *root = NULL, *rel = NULL, *staging = NULL, *step = NULL;
	char id[PROV_ID_LEN + 1];
	json_t *rep = NULL, *steps;
	size_t failed = (size_t)-1, i, k;
	int json = 0, ret = VERIFY_TROUBLE, have_session = 0, r, differs = 0, saved_out = -1;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_verify_entry);
		return 0;
	}
	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1] && argv[i][0] != '@')
			return shell_usage_error(&cmd_verify_entry, "unknown option '%s'", argv[i]);
		else if (arg)
			return shell_usage_error(&cmd_verify_entry, "one PATH or STEP only");
		else
			arg = argv[i];
	}
	if (!arg)
		return shell_usage_error(&cmd_verify_entry, "no path or step given");
	root = shell_store_root();
	if (!root && provenance_find_root(&root, ".") < 0) {
		fprintf(stderr, "cairn verify: %s\n", err_last());
		goto out;
	}
	if (shell_project_setup(&o, &proj) < 0) {
		fprintf(stderr, "cairn verify: %s\n", err_last());
		goto out;
	}
	/* A recorded path, else a step. */
	if (provenance_relpath(&rel, proj.store, arg) == 0 &&
	    provenance_latest_writer(NULL, NULL, proj.store, rel) == 0) {
		r = exec_chain_plan(&chain, proj.store, rel, NULL, NULL, 0);
	} else if (provenance_step_resolve(id, proj.store, arg) == 0) {
		step = xstrdup(id);
		r = exec_chain_plan(&chain, proj.store, arg, step, NULL, 0);
	} else {
		fprintf(stderr, "cairn verify: %s is neither a recorded path nor a step\n", arg);
		goto out;
	}
	if (r < 0) {
		fprintf(stderr, "cairn verify: %s\n", err_last());
		goto out;
	}

	/* The staging area: .cairn/tmp, on the project's filesystem. */
	staging = xstrfmt("%s/tmp/verify-XXXXXX", provenance_store_dir(proj.store));
	if (!mkdtemp(staging)) {
		fprintf(stderr, "cairn verify: cannot create %s: %s\n", staging, strerror(errno));
		free(staging);
		staging = NULL;
		goto out;
	}
	o.mode = EXEC_MODE_STRING;
	o.lang = EXEC_LANG_BASH;
	o.into = staging;
	o.no_cache = 1;
	if (exec_session_init(&es, &o) < 0) {
		fprintf(stderr, "cairn verify: %s\n", err_last());
		goto out;
	}
	have_session = 1;
	/* What the steps print is not the report: to standard error. */
	fflush(stdout);
	saved_out = dup(1);
	if (saved_out >= 0)
		dup2(2, 1);
	r = exec_chain_run(&es, &chain, EXEC_CHAIN_DISCARD, &failed);
	fflush(stdout);
	if (saved_out >= 0) {
		dup2(saved_out, 1);
		close(saved_out);
	}
	if (r < 0) {
		fprintf(stderr, "cairn verify: %s\n", err_last());
		goto out;
	}

	rep = json_object();
	steps = json_array();
	json_object_set_new(rep, "target", json_string(chain.target));
	for (i = 0; i < chain.nsteps; i++) {
		const struct exec_chain_step *cs = &chain.steps[i];
		json_t *s = json_object(), *outs = json_array(), *w, *x;
		int diverged = 0;
		json_object_set_new(s, "id", json_string(str(cs->record, "id")));
		json_object_set_new(s, "command", util_json_str(str(cs->record, "command") ?: ""));
		json_object_set_new(s, "ran", json_boolean(cs->done));
		json_object_set_new(s, "status", cs->done ? json_integer(cs->status) : json_null());
		json_array_foreach(json_object_get(cs->record, "writes"), k, w)
		{
			const char *p = str(w, "path"), *kind = str(w, "kind");
			char *staged;
			if (!p || !kind || strcmp(kind, "file"))
				continue;
			if (p[0] == '/') {
				json_array_append_new(
				    outs, path_result(p, "not compared (outside the project)"));
				continue;
			}
			if (!cs->done) {
				json_array_append_new(outs, path_result(p, "not run"));
				continue;
			}
			staged = xstrfmt("%s/%s", staging, p);
			x = compare(proj.store, w, staged);
			free(staged);
			if (strcmp(str(x, "result"), "identical") &&
			    strcmp(str(x, "result"), "semantically identical") &&
			    !derived_sidecar(x, staging, &chain))
				diverged = 1;
			json_array_append_new(outs, x);
		}
		if (cs->done && cs->status)
			diverged = 1;
		json_object_set_new(s, "outputs", outs);
		/* What may explain a difference: the step read something whose
		 * content differs from run to run (/dev/urandom...). */
		if (diverged && json_array_size(json_object_get(cs->record, "nondeterministic")))
			json_object_set(s, "nondeterministic",
					json_object_get(cs->record, "nondeterministic"));
		json_object_set_new(s, "reproduced", json_boolean(cs->done && !diverged));
		if ((diverged || !cs->done) && !json_object_get(rep, "first_divergent") &&
		    cs->done) {
			const char *cmd = str(cs->record, "command");
			json_object_set_new(rep, "first_divergent",
					    json_string(str(cs->record, "id")));
			json_object_set_new(
			    rep, "first_divergent_command",
			    json_stringn(cmd ? cmd : "", strcspn(cmd ? cmd : "", "\n")));
		}
		differs |= diverged || !cs->done;
		json_array_append_new(steps, s);
	}
	json_object_set_new(rep, "steps", steps);
	{
		/* Files this run made that the recorded run did not */
		json_t *extra = json_array();
		size_t e;
		only_here(extra, &chain, staging, "");
		for (e = 0; e < json_array_size(extra); e++) {
			json_t *x = json_array_get(extra, e);
			if (!json_object_get(x, "sidecar"))
				differs = 1;
		}
		json_object_set_new(rep, "only_in_this_run", extra);
	}
	json_object_set_new(rep, "reproducible", json_boolean(!differs));
	if (!json_object_get(rep, "first_divergent"))
		json_object_set_new(rep, "first_divergent", json_null());
	if (json) {
		util_json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_report(rep);
	}
	ret = differs ? 1 : 0;
out:
	if (have_session)
		exec_session_release(&es);
	if (staging)
		exec_remove_tree(staging);
	if (proj.store && shell_project_release(&proj) < 0) {
		fprintf(stderr, "cairn verify: %s\n", err_last());
		ret = VERIFY_TROUBLE;
	}
	exec_chain_release(&chain);
	json_decref(rep);
	free(root);
	free(rel);
	free(staging);
	free(step);
	return ret;
}

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.usage = "cairn verify PATH|STEP [--json]",
	.summary = "Re-execute a lineage without the cache and compare its outputs.",
	.help = "Runs again, in fresh sandboxes and without the cache, the steps that made\n"
		"PATH (or STEP's outputs): the writer of its current version and the steps\n"
		"that wrote what it read, oldest first, each from its recorded start\n"
		"state.  Outputs go to a private staging directory under .cairn/tmp/\n"
		"(later steps read the re-made files from there); working files are not\n"
		"touched and the staging directory is removed afterwards.  These runs are\n"
		"not recorded and not added to the cache: `cairn log`, `cairn status` and\n"
		"the newest versions of files stay as they were.\n"
		"\n"
		"Each output is compared with the version its record names: `identical`\n"
		"(same SHA-256), `semantically identical` (bytes differ, values and\n"
		"georeferencing do not: see cairn diff), `different` (rasters: the largest\n"
		"absolute difference and where) or `missing`.  A GDAL sidecar (X.aux.xml)\n"
		"missing or different beside a re-made X is shown, not counted: GDAL makes\n"
		"it again on demand.  The report names the first\n"
		"step whose outputs diverge, and what a step whose outputs differ read\n"
		"whose content differs from run to run (/dev/urandom...).  See\n"
		"docs/rerun.md.\n"
		"\n"
		"Options:\n"
		"  --json    one JSON document on standard output\n"
		"\n"
		"Exit status: 0 everything reproduced (bitwise or semantically), 1 something\n"
		"differs, 2 usage or trouble.\n",
	.exec = cmd_verify_exec,
};
