/*
 * status.c - provenance_status(): is each recorded output still what its
 * lineage says?
 */
#include "prov-int.h"
#include "lineage-int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *provenance_state_name(enum prov_state s)
{
	switch (s) {
	case PROV_FRESH:
		return "fresh";
	case PROV_STALE:
		return "stale";
	case PROV_MODIFIED:
		return "modified";
	case PROV_DELETED:
		return "deleted";
	case PROV_UNTRACKED:
		return "untracked";
	default:
		return "?";
	}
}

struct status_ctx {
	struct prov_store *st;
	git_tree *idx_tree;
	json_t *paths; /* path -> index entry (the latest write) */
	json_t *disk; /* path -> sha256 on disk, or null when missing */
	json_t *memo; /* step id -> reason (string), false (fresh), null (being checked) */
	json_t *cmds; /* step id -> command text, or null when unknown */
};

/* The SHA-256 of project file PATH now, or NULL when it is missing or
 * unreadable; hashed once per run. */
static const char *disk_sha(struct status_ctx *c, const char *path)
{
	json_t *v = json_object_get(c->disk, path);
	char *full;
	char sha[SHA256_HEX_LEN + 1];

	if (v)
		return json_string_value(v);
	full = xstrfmt("%s/%s", c->st->root, path);
	if (util_sha256_file(sha, NULL, full) == 0) {
		json_object_set_new_nocheck(c->disk, path, json_string(sha));
	} else {
		err_clear();
		json_object_set_new_nocheck(c->disk, path, json_null());
	}
	free(full);
	return json_string_value(json_object_get(c->disk, path));
}

static int step_stale(const char **reason, struct status_ctx *c, const char *id);

/* The command text of step ID, or NULL when it is not recorded. */
static const char *step_command(struct status_ctx *c, const char *id)
{
	json_t *v = json_object_get(c->cmds, id), *rec = NULL;
	git_oid commit;

	if (v)
		return json_string_value(v);
	if (prov__index_find_id(NULL, &commit, c->st, c->idx_tree, id) != 0 ||
	    prov__load_record(&rec, c->st, &commit) < 0) {
		err_clear();
		json_object_set_new(c->cmds, id, json_null());
		return NULL;
	}
	json_object_set(c->cmds, id, json_object_get(rec, "command") ?: json_null());
	json_decref(rec);
	return json_string_value(json_object_get(c->cmds, id));
}

/* Why input R of step ID makes it stale, or NULL. */
static char *input_reason(struct status_ctx *c, const char *id, const json_t *rec, json_t *r,
			  json_t *own_writes)
{
	const char *path = json_string_value(json_object_get(r, "path"));
	const char *sha = json_string_value(json_object_get(r, "sha256"));
	const char *kind = json_string_value(json_object_get(r, "kind"));
	const char *producer = json_string_value(json_object_get(r, "producer"));
	const char *d, *sub = NULL;
	json_t *latest;

	if (!path || !sha || !kind || path[0] == '/' ||
	    (strcmp(kind, "file") && strcmp(kind, "exec")))
		return NULL;
	/* A file the step read and rewrote (sed -i): only the version it read
	 * matters, through its producer. */
	if (!json_object_get(own_writes, path)) {
		d = disk_sha(c, path);
		if (!d)
			return xstrfmt("input %s was deleted", path);
		if (strcmp(d, sha))
			return xstrfmt("input %s changed", path);
		latest = json_object_get(c->paths, path);
		if (latest &&
		    strcmp(json_string_value(json_object_get(latest, "step")) ?: "", id) &&
		    strcmp(json_string_value(json_object_get(latest, "sha256")) ?: "", sha))
			return xstrfmt("input %s was rewritten by step %.8s", path,
				       json_string_value(json_object_get(latest, "step")) ?: "?");
	}
	/* The version of its own output that an earlier run of the same
	 * command left (gdaldem opens the old file before replacing it) is
	 * not an input of what it makes now: following it would walk every
	 * earlier run of the step back to the first. */
	if (json_object_get(own_writes, path) && producer &&
	    lineage__earlier_run_read(rec, r, step_command(c, producer)))
		return NULL;
	/* Nor is a companion of its own output read only to be removed. */
	if (producer && lineage__deletes(rec, path)) {
		json_t *prec = NULL;
		git_oid commit;
		int circular = 0;
		if (prov__index_find_id(NULL, &commit, c->st, c->idx_tree, producer) == 0 &&
		    prov__load_record(&prec, c->st, &commit) == 0)
			circular = lineage__circular_read(rec, r, prec);
		err_clear();
		json_decref(prec);
		if (circular)
			return NULL;
	}
	/* When a later step wrote the very bytes read, that step vouches for
	 * them now: an input reproduced unchanged by a fresh step is fresh. */
	latest = json_object_get(c->paths, path);
	if (latest && !strcmp(json_string_value(json_object_get(latest, "sha256")) ?: "", sha) &&
	    json_is_string(json_object_get(latest, "step")))
		producer = json_string_value(json_object_get(latest, "step"));
	if (producer && strcmp(producer, id) && step_stale(&sub, c, producer) == 0 && sub)
		return xstrfmt("input %s is stale: %s", path, sub);
	return NULL;
}

/* *REASON: why step ID's outputs are stale, or NULL when they are not. */
static int step_stale(const char **reason, struct status_ctx *c, const char *id)
{
	json_t *m = json_object_get(c->memo, id), *rec = NULL, *own = NULL, *r;
	char *why = NULL;
	git_oid commit;
	size_t i;
	int rc;

	*reason = NULL;
	if (m) {
		*reason = json_string_value(m); /* NULL for false and in progress */
		return 0;
	}
	json_object_set_new(c->memo, id, json_null()); /* cycles end here */
	rc = prov__index_find_id(NULL, &commit, c->st, c->idx_tree, id);
	if (rc < 0 || prov__load_record(&rec, c->st, &commit) < 0) {
		err_clear(); /* an unknown producer proves nothing */
		json_object_set_new(c->memo, id, json_false());
		return 0;
	}
	own = json_object();
	json_array_foreach(json_object_get(rec, "writes"), i, r)
	{
		const char *p = json_string_value(json_object_get(r, "path"));
		if (p)
			json_object_set_new_nocheck(own, p, json_true());
	}
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		if ((why = input_reason(c, id, rec, r, own)))
			break;
	}
	json_object_set_new(c->memo, id, why ? json_string(why) : json_false());
	*reason = json_string_value(json_object_get(c->memo, id));
	free(why);
	json_decref(own);
	json_decref(rec);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the files under ROOT/REL (not .cairn, not .git) into OUT. */
static void walk(struct strvec *out, const char *root, const char *rel)
{
	char *dir = *rel ? xstrfmt("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		free(dir);
		return;
	}
	while ((de = readdir(d))) {
		char *child;
		struct stat sb;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git") || (!*rel && !strcmp(de->d_name, ".cairn")))
			continue;
		child = *rel ? xstrfmt("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		{
			char *full = xstrfmt("%s/%s", root, child);
			int ok = lstat(full, &sb) == 0;
			free(full);
			if (!ok) {
				free(child);
				continue;
			}
		}
		if (S_ISDIR(sb.st_mode)) {
			walk(out, root, child);
			free(child);
		} else if (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode)) {
			strvec_push_nodup(out, child);
		} else {
			free(child);
		}
	}
	closedir(d);
	free(dir);
}

int provenance_status(struct prov_store *st,
		      int (*cb)(const struct prov_status_entry *e, void *payload), void *payload)
{
	struct status_ctx c = { st, NULL, NULL, NULL, NULL, NULL };
	struct strvec written = STRVEC_INIT, files = STRVEC_INIT;
	struct sqlite3 *db = NULL;
	const char *path;
	json_t *e;
	size_t i;
	int ret;

	c.disk = json_object();
	c.memo = json_object();
	c.cmds = json_object();
	if ((ret = prov__ref_tree(&c.idx_tree, st, PROV_REF_INDEX)) < 0)
		goto out;
	if ((ret = prov__qdb_get(&db, st)) < 0)
		goto out;
	/* The newest write of each path: from the query index, else from
	 * the paths/ tree of refs/cairn/index (a blob per path). */
	if ((ret = db ? prov__qdb_latest(&c.paths, st)
		      : prov__index_all_paths(&c.paths, st, c.idx_tree)) < 0)
		goto out;
	json_object_foreach(c.paths, path, e)
	{
		const char *kind = json_string_value(json_object_get(e, "kind")) ?: "file";
		if (path[0] != '/' && strcmp(kind, "deleted") && strcmp(kind, "dir"))
			strvec_push(&written, path);
	}
	qsort(written.v, written.nr, sizeof(char *), cmp_str);

	for (i = 0; i < written.nr; i++) {
		struct prov_status_entry se = { written.v[i], PROV_FRESH, NULL, NULL };
		const char *kind, *sha;
		char *full = xstrfmt("%s/%s", st->root, se.path);
		struct stat sb;

		e = json_object_get(c.paths, se.path);
		kind = json_string_value(json_object_get(e, "kind")) ?: "file";
		sha = json_string_value(json_object_get(e, "sha256"));
		se.step = json_string_value(json_object_get(e, "step"));
		if (lstat(full, &sb) < 0) {
			se.state = PROV_DELETED;
		} else if (!strcmp(kind, "symlink")) {
			char target[4096];
			ssize_t n = readlink(full, target, sizeof(target) - 1);
			const char *want = json_string_value(json_object_get(e, "target"));
			if (n >= 0)
				target[n] = '\0';
			if (n < 0 || (want && strcmp(want, target)))
				se.state = PROV_MODIFIED;
		} else {
			const char *d = disk_sha(&c, se.path);
			if (!d || !sha || strcmp(d, sha))
				se.state = PROV_MODIFIED;
		}
		free(full);
		if (se.state == PROV_FRESH && se.step) {
			step_stale(&se.reason, &c, se.step);
			if (se.reason)
				se.state = PROV_STALE;
		}
		if ((ret = cb(&se, payload)))
			goto out;
	}

	walk(&files, st->root, "");
	qsort(files.v, files.nr, sizeof(char *), cmp_str);
	for (i = 0; i < files.nr; i++) {
		struct prov_status_entry se = { files.v[i], PROV_UNTRACKED, NULL, NULL };
		e = json_object_get(c.paths, se.path);
		if (e && strcmp(json_string_value(json_object_get(e, "kind")) ?: "", "deleted"))
			continue;
		if ((ret = cb(&se, payload)))
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&written);
	strvec_clear(&files);
	json_decref(c.paths);
	json_decref(c.disk);
	json_decref(c.memo);
	json_decref(c.cmds);
	git_tree_free(c.idx_tree);
	return ret;
}
