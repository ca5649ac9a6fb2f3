/*
 * record.c - provenance_record_step(): one commit per step.
 */
#include "prov-int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_hex_id(const char *s)
{
	size_t i;
	for (i = 0; i < PROV_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[PROV_ID_LEN] == '\0';
}

int prov__check_record(json_t *rec, struct strbuf *ref)
{
	const char *id, *session, *p;
	int64_t t;

	if (!json_is_object(rec))
		return err_set(CAIRN_ERROR, "a step record must be a JSON object");
	id = json_string_value(json_object_get(rec, "id"));
	if (!id || !is_hex_id(id))
		return err_set(CAIRN_ERROR, "step record: `id` must be 32 lowercase hex digits");
	session = json_string_value(json_object_get(rec, "session"));
	if (!session || !*session || *session == '.' || *session == '-')
		return err_set(CAIRN_ERROR, "step record %s: missing or bad `session`", id);
	for (p = session; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return err_set(CAIRN_ERROR, "step record %s: bad character in session '%s'",
				       id, session);
	strbuf_addf(ref, PROV_REF_SESSIONS "%s", session);
	if (!json_is_integer(json_object_get(rec, "seq")))
		return err_set(CAIRN_ERROR, "step record %s: `seq` must be an integer", id);
	if (!json_is_string(json_object_get(rec, "command")))
		return err_set(CAIRN_ERROR, "step record %s: `command` must be a string", id);
	if (prov__parse_time(&t, json_string_value(json_object_get(rec, "finished"))) < 0)
		return err_set(CAIRN_ERROR, "step record %s: `finished` must be an RFC 3339 time",
			       id);
	if (!json_object_get(rec, "reads"))
		json_object_set_new(rec, "reads", json_array());
	if (!json_object_get(rec, "writes"))
		json_object_set_new(rec, "writes", json_array());
	if (!json_is_array(json_object_get(rec, "reads")) ||
	    !json_is_array(json_object_get(rec, "writes")))
		return err_set(CAIRN_ERROR, "step record %s: `reads` and `writes` must be arrays",
			       id);
	return 0;
}

/*
 * A read without a `producer` gets the latest writer of its path when
 * that writer wrote the very bytes read; anything else (a file edited by
 * hand since, or never written by a step) has no producer.
 */
static int fill_producers(struct prov_store *st, git_tree *idx_tree, json_t *rec)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *path = json_string_value(json_object_get(r, "path"));
		const char *sha = json_string_value(json_object_get(r, "sha256"));
		json_t *w = NULL, *producer = json_null();
		int rc;

		if (!json_is_object(r) || json_object_get(r, "producer"))
			continue;
		if (path && sha) {
			rc = prov__index_path(&w, st, idx_tree, path);
			if (rc == CAIRN_ENOTFOUND)
				err_clear();
			else if (rc < 0)
				return rc;
			if (w &&
			    !strcmp(json_string_value(json_object_get(w, "sha256")) ?: "", sha))
				producer = json_copy(json_object_get(w, "step"));
			json_decref(w);
		}
		json_object_set_new(r, "producer", producer);
	}
	return 0;
}

int prov__code_path_ok(const char *path)
{
	const char *p = path;

	/* (util_path_plain() refuses a trailing `/` too: "a/" named no
	 * file, but passed the walk this replaced) */
	if (!util_path_plain(p) || !strcmp(p, ".cairn") || !strncmp(p, ".cairn/", 7))
		return 0;
	for (;;) {
		size_t n = strcspn(p, "/");
		if (n == 4 && !strncasecmp(p, ".git", 4))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/* Open the project's git work tree, if any (once). */
static void open_work(struct prov_store *st)
{
	const char *wd;
	char *rwd = NULL;
	size_t n;

	if (st->work_tried)
		return;
	st->work_tried = 1;
	if (git_repository_open_ext(&st->work, st->root, 0, NULL) < 0) {
		git_error_clear();
		st->work = NULL;
		return;
	}
	wd = git_repository_workdir(st->work);
	if (!wd || !(rwd = realpath(wd, NULL)))
		goto drop;
	n = strlen(rwd);
	if (!strcmp(rwd, st->root))
		st->work_prefix = xstrdup("");
	else if (!strncmp(st->root, rwd, n) && (st->root[n] == '/' || !strcmp(rwd, "/")))
		st->work_prefix = xstrfmt("%s/", st->root + n + (st->root[n] == '/'));
	else
		goto drop;
	free(rwd);
	return;
drop:
	free(rwd);
	git_repository_free(st->work);
	st->work = NULL;
}

/* clean | modified | untracked for PATH in the work tree, or NULL. */
static const char *git_state_of(struct prov_store *st, const char *path)
{
	unsigned int flags = 0;
	char *wpath = xstrfmt("%s%s", st->work_prefix, path);
	int rc = git_status_file(&flags, st->work, wpath);

	free(wpath);
	if (rc < 0) {
		git_error_clear();
		return NULL;
	}
	if (!flags)
		return "clean";
	if (flags & (GIT_STATUS_WT_NEW | GIT_STATUS_IGNORED))
		return "untracked";
	return "modified";
}

struct code_file {
	char *path; /* code/<path> */
	git_oid blob;
	git_filemode_t mode;
};

/*
 * Read PATH (project-relative) if it is a small text file whose bytes
 * still hash to SHA; 1 with *OUT filled, 0 when it is not code, -1.
 */
static int read_code(struct strbuf *out, mode_t *mode, struct prov_store *st, const char *path,
		     const char *sha)
{
	char *full = xstrfmt("%s/%s", st->root, path);
	char got[SHA256_HEX_LEN + 1];
	struct stat sb;
	int ret = 0;

	if (stat(full, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > PROV_CODE_MAX)
		goto out;
	strbuf_reset(out);
	if (strbuf_read_file(out, full) < 0) {
		err_clear();
		goto out;
	}
	if (out->len > PROV_CODE_MAX ||
	    memchr(out->buf, '\0', out->len < PROV_TEXT_PROBE ? out->len : PROV_TEXT_PROBE))
		goto out;
	util_sha256_hex(got, out->buf, out->len);
	if (strcmp(got, sha))
		goto out; /* changed since the step read it: not that version */
	*mode = sb.st_mode;
	ret = 1;
out:
	free(full);
	return ret;
}

/*
 * Is a text file the step read code (or the configuration of code) rather
 * than data?  A CSV that a step reads is an input, not a version of the
 * analysis: `code` is the step's script, programs and scripts it ran
 * (`exec` reads, a `#!` line), and files whose name says source or
 * configuration.
 */
static int is_code_text(const char *path, const char *kind, const char *role,
			const struct strbuf *text)
{
	static const char *const exts[] = {
		"py",	"pyw", "pyx",  "cu",   "ipynb",	 "r",	  "rmd", "qmd",	 "jl",
		"pl",	"pm",  "rb",   "lua",  "awk",	 "sed",	  "sh",	 "bash", "zsh",
		"ksh",	"csh", "fish", "m",    "sql",	 "js",	  "mjs", "ts",	 "c",
		"h",	"cc",  "cpp",  "cxx",  "hpp",	 "f",	  "f90", "f95",	 "f03",
		"for",	"go",  "rs",   "java", "scala",	 "kt",	  "tcl", "mk",	 "cmake",
		"nf",	"smk", "wdl",  "cwl",  "ncl",	 "gs",	  "pro", "yaml", "yml",
		"toml", "ini", "cfg",  "conf", "sbatch", "slurm", "pbs",
	};
	static const char *const names[] = { "Makefile",   "makefile", "GNUmakefile", "Snakefile",
					     "Dockerfile", "Rprofile", ".Rprofile" };
	const char *base = strrchr(path, '/'), *dot;
	size_t i;

	base = base ? base + 1 : path;
	if ((role && !strcmp(role, "script")) || !strcmp(kind, "exec"))
		return 1;
	if (text->len >= 2 && text->buf[0] == '#' && text->buf[1] == '!')
		return 1;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(base, names[i]))
			return 1;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return 0;
	for (i = 0; i < ARRAY_SIZE(exts); i++)
		if (!strcasecmp(dot + 1, exts[i]))
			return 1;
	return 0;
}

/* Fill `code` and `git` of REC; the blobs to put in the tree go to *FILES. */
static int fill_code(struct code_file **files, size_t *nfiles, struct prov_store *st, json_t *rec)
{
	struct strbuf buf = STRBUF_INIT;
	json_t *code = json_array(), *dirty = json_array(), *r;
	size_t i, alloc = 0;
	int ret = 0;

	open_work(st);
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *path = json_string_value(json_object_get(r, "path"));
		const char *sha = json_string_value(json_object_get(r, "sha256"));
		const char *kind = json_string_value(json_object_get(r, "kind"));
		const char *gstate = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		struct code_file *cf;
		json_t *entry;
		mode_t mode = 0;
		size_t k;
		int dup = 0;

		if (!path || !sha || !kind || (strcmp(kind, "file") && strcmp(kind, "exec")) ||
		    !prov__code_path_ok(path))
			continue;
		for (k = 0; k < *nfiles; k++)
			if (!strcmp((*files)[k].path + 5, path))
				dup = 1;
		if (dup || read_code(&buf, &mode, st, path, sha) <= 0 ||
		    !is_code_text(path, kind, json_string_value(json_object_get(r, "role")), &buf))
			continue;
		ALLOC_GROW(*files, *nfiles + 1, alloc);
		cf = &(*files)[*nfiles];
		if (git_blob_create_from_buffer(&cf->blob, st->repo, buf.buf, buf.len) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot store code file %s", path);
			goto out;
		}
		cf->path = xstrfmt("code/%s", path);
		cf->mode = (mode & 0111) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
		(*nfiles)++;

		if (st->work)
			gstate = git_state_of(st, path);
		entry = json_object();
		json_object_set_new(entry, "path", util_json_str(path));
		json_object_set_new(entry, "sha256", json_string(sha));
		json_object_set_new(entry, "blob",
				    json_string(git_oid_tostr(hex, sizeof(hex), &cf->blob)));
		json_object_set_new(entry, "git_state", gstate ? json_string(gstate) : json_null());
		json_array_append_new(code, entry);
		if (gstate && strcmp(gstate, "clean"))
			json_array_append_new(dirty, util_json_str(path));
	}
	json_object_set(rec, "code", code);
	if (st->work) {
		json_t *git = json_object();
		git_oid head;
		char hex[GIT_OID_HEXSZ + 1];
		if (git_reference_name_to_id(&head, st->work, "HEAD") == 0)
			json_object_set_new(git, "head",
					    json_string(git_oid_tostr(hex, sizeof(hex), &head)));
		else
			json_object_set_new(git, "head", json_null()); /* no commit yet */
		git_error_clear();
		json_object_set(git, "dirty", dirty);
		json_object_set_new(rec, "git", git);
	} else {
		json_object_set_new(rec, "git", json_null());
	}
out:
	json_decref(code);
	json_decref(dirty);
	strbuf_release(&buf);
	return ret;
}

/* The tree of the step's commit: step.json and the code files. */
static int write_tree(git_oid *out, struct prov_store *st, const char *json,
		      struct code_file *files, size_t nfiles)
{
	git_tree_update *up = xcalloc(nfiles + 1, sizeof(*up));
	size_t i;
	int ret = 0;

	if (git_blob_create_from_buffer(&up[0].id, st->repo, json, strlen(json)) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot store step.json");
		goto out;
	}
	up[0].action = GIT_TREE_UPDATE_UPSERT;
	up[0].filemode = GIT_FILEMODE_BLOB;
	up[0].path = "step.json";
	for (i = 0; i < nfiles; i++) {
		up[i + 1].action = GIT_TREE_UPDATE_UPSERT;
		up[i + 1].filemode = files[i].mode;
		up[i + 1].path = files[i].path;
		git_oid_cpy(&up[i + 1].id, &files[i].blob);
	}
	if (git_tree_create_updated(out, st->repo, NULL, nfiles + 1, up) < 0)
		ret = prov__git_err(CAIRN_ERROR, "cannot write the tree of a step");
out:
	free(up);
	return ret;
}

/* Commit message: the command's first line, then its status. */
static char *commit_message(json_t *rec)
{
	struct strbuf sb = STRBUF_INIT;
	const char *cmd = json_string_value(json_object_get(rec, "command"));
	json_t *from = json_object_get(rec, "from_step");
	size_t n = strcspn(cmd, "\n");

	if (n)
		strbuf_add(&sb, cmd, n);
	else
		strbuf_addstr(&sb, "(empty command)");
	strbuf_addf(&sb, "\n\nstatus: %lld\n",
		    (long long)json_integer_value(json_object_get(rec, "exit_status")));
	if (json_is_true(json_object_get(rec, "cached")) && json_is_string(from))
		strbuf_addf(&sb, "cached from: %s\n", json_string_value(from));
	return strbuf_detach(&sb, NULL);
}

/* How long storing a record waits for its summaries being made: 3 s,
 * or $CAIRN_SUMMARY_WAIT_MS (0: not at all; benchmarks). */
static int summary_wait_ms(void)
{
	const char *e = getenv("CAIRN_SUMMARY_WAIT_MS");
	return e && *e ? atoi(e) : 3000;
}

int provenance_record_step(struct prov_store *st, json_t *rec)
{
	struct strbuf ref = STRBUF_INIT;
	struct code_file *files = NULL;
	size_t nfiles = 0, i;
	git_commit *parent = NULL;
	git_tree *idx_tree = NULL, *tree = NULL;
	git_signature *sig = NULL;
	const git_commit *parents[1];
	git_oid tip, tree_oid, commit_oid;
	char *json = NULL, *msg = NULL;
	int64_t when = 0;
	int lock = -1, have_tip, rc, ret;

	if ((ret = prov__check_record(rec, &ref)) < 0)
		goto out;
	/* Summaries made since the step ended go in whole; those the
	 * session's helper is making are waited for, for a while, before
	 * the lock is taken (the writer is a process of its own: no step
	 * waits for it).  Left pending, records read from the store get
	 * them (store.c). */
	(void)provenance_formats_complete(rec, st->dir, summary_wait_ms());
	if (!git_reference_name_is_valid(&rc, ref.buf) && !rc) {
		ret = err_set(CAIRN_ERROR, "step record: session gives a bad ref name %s", ref.buf);
		goto out;
	}
	if ((ret = prov__lock(st, &lock)) < 0)
		goto out;

	/* Repair what a writer killed half-way may have left: a session tip
	 * or a latest step the index does not know yet. */
	have_tip = prov__ref_id(&tip, st, ref.buf) == 0;
	/* (Within a batch, once steps wait to be indexed, the refs run
	 * ahead of the index on purpose: repaired before the first only.) */
	if (!st->nbsteps && have_tip && (ret = prov__index_catch_up(st, &tip)) < 0)
		goto out;
	if (!st->nbsteps && (ret = prov__latest_repair(st)) < 0)
		goto out;
	if (prov__batch_has(st, json_string_value(json_object_get(rec, "id")) ?: "")) {
		ret = err_set(CAIRN_EEXISTS, "step %s is already recorded",
			      json_string_value(json_object_get(rec, "id")));
		goto out;
	}

	if ((ret = prov__ref_tree(&idx_tree, st, PROV_REF_INDEX)) < 0)
		goto out;
	rc = prov__index_find_id(NULL, NULL, st, idx_tree,
				 json_string_value(json_object_get(rec, "id")));
	if (rc == 0) {
		ret = err_set(CAIRN_EEXISTS, "step %s is already recorded",
			      json_string_value(json_object_get(rec, "id")));
		goto out;
	}
	if (rc != CAIRN_ENOTFOUND) {
		ret = rc;
		goto out;
	}
	err_clear();
	if ((ret = fill_producers(st, idx_tree, rec)) < 0)
		goto out;
	if ((ret = fill_code(&files, &nfiles, st, rec)) < 0)
		goto out;

	json = util_json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	if (!json) {
		ret = err_set(CAIRN_ERROR, "cannot serialise the step record");
		goto out;
	}
	{
		char *nl = xstrfmt("%s\n", json);
		free(json);
		json = nl;
	}
	if ((ret = write_tree(&tree_oid, st, json, files, nfiles)) < 0)
		goto out;
	if (git_tree_lookup(&tree, st->repo, &tree_oid) < 0 ||
	    (have_tip && git_commit_lookup(&parent, st->repo, &tip) < 0)) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read back the step's objects");
		goto out;
	}
	parents[0] = parent;
	prov__parse_time(&when, json_string_value(json_object_get(rec, "finished")));
	if ((ret = prov__signature(&sig, st, when)) < 0)
		goto out;
	msg = commit_message(rec);
	/* Objects are all written; now the refs, session first.  libgit2
	 * refuses the update if the session's tip moved meanwhile. */
	if (git_commit_create(&commit_oid, st->repo, NULL, sig, sig, NULL, msg, tree,
			      have_tip ? 1 : 0, parents) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot commit step %s",
				    json_string_value(json_object_get(rec, "id")));
		goto out;
	}
	if ((ret = prov__ref_set(st, ref.buf, &commit_oid, "cairn: step")) < 0)
		goto out;
	if ((ret = prov__index_add(st, &commit_oid, rec)) < 0)
		goto out;
	if ((ret = prov__ref_set(st, PROV_REF_LATEST, &commit_oid, "cairn: step recorded")) < 0)
		goto out;
	/* The query index (in a batch: at its end, once the refs are set). */
	if (st->batch_lock < 0)
		prov__qdb_after_record(st);
	ret = 0;
out:
	prov__unlock(lock);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(idx_tree);
	git_commit_free(parent);
	for (i = 0; i < nfiles; i++)
		free(files[i].path);
	free(files);
	free(json);
	free(msg);
	strbuf_release(&ref);
	return ret;
}
