/*
 * index.c - refs/cairn/index: the id -> commit and path -> latest writer
 * maps, and the recording order.
 *
 * Each recorded step adds one commit to refs/cairn/index whose parents
 * are the previous index commit and the step's own commit, and whose tree
 * is the previous tree updated with
 *   ids/<2 hex>/<30 hex>           a gitlink to the step's commit
 *   paths/<2 hex>/<62 hex>         a JSON blob {path, step, sha256, kind,
 *                                  size, mode} for each path it wrote,
 *                                  keyed by the SHA-256 of the path
 * Lookups read one or two trees and a blob whatever the store's size;
 * `@N` and `log` walk the first parents.  Keeping the index in git (not
 * in a file beside it) means it travels with the lineage refs and gets
 * git's crash safety: objects first, the ref last.
 */
#include "prov-int.h"

#include <stdlib.h>
#include <string.h>

int prov__index_tip(git_commit **out, struct prov_store *st)
{
	git_oid oid;
	int e;

	*out = NULL;
	e = prov__ref_id(&oid, st, PROV_REF_INDEX);
	if (e == GIT_ENOTFOUND)
		return 0;
	if (e < 0 || git_commit_lookup(out, st->repo, &oid) < 0)
		return prov__git_err(CAIRN_ERROR, "cannot read %s", PROV_REF_INDEX);
	return 0;
}

const git_oid *prov__index_step(const git_commit *idx)
{
	unsigned n = git_commit_parentcount(idx);
	return n ? git_commit_parent_id(idx, n - 1) : NULL;
}

/* A short description of step commit OID for messages: "3f9c2a1b (cmd)". */
static void describe_step(struct strbuf *out, struct prov_store *st, const char *id,
			  const git_oid *oid)
{
	json_t *rec = NULL;
	const char *cmd;

	strbuf_addf(out, "%.12s", id);
	if (prov__load_record(&rec, st, oid) < 0) {
		err_clear();
		return;
	}
	cmd = json_string_value(json_object_get(rec, "command"));
	if (cmd) {
		size_t n = strcspn(cmd, "\n");
		strbuf_addf(out, " (%.*s%s)", (int)(n > 40 ? 40 : n), cmd, n > 40 ? "..." : "");
	}
	json_decref(rec);
}

int prov__index_find_id(char full[PROV_ID_LEN + 1], git_oid *commit, struct prov_store *st,
			git_tree *idx_tree, const char *prefix)
{
	git_tree_entry *dir = NULL;
	git_tree *sub = NULL;
	struct strbuf msg = STRBUF_INIT;
	const git_tree_entry *found = NULL;
	size_t n = strlen(prefix), i, count, matches = 0;
	char path[16];
	int rc, ret = 0;

	if (n < 2 || n > PROV_ID_LEN)
		return err_set(CAIRN_EUSAGE, "'%s' is not a step id", prefix);
	if (!idx_tree)
		return err_set(CAIRN_ENOTFOUND, "no step %s: the store has no steps yet", prefix);
	snprintf(path, sizeof(path), "ids/%.2s", prefix);
	rc = git_tree_entry_bypath(&dir, idx_tree, path);
	if (rc == GIT_ENOTFOUND)
		return err_set(CAIRN_ENOTFOUND, "no step %s", prefix);
	if (rc < 0 || git_tree_lookup(&sub, st->repo, git_tree_entry_id(dir)) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read the step index");
		goto out;
	}
	count = git_tree_entrycount(sub);
	for (i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(sub, i);
		if (strncmp(git_tree_entry_name(e), prefix + 2, n - 2))
			continue;
		if (++matches == 1)
			found = e;
		if (matches == 2) {
			char fid[PROV_ID_LEN + 1];
			snprintf(fid, sizeof(fid), "%.2s%s", prefix, git_tree_entry_name(found));
			strbuf_addf(&msg, "step id %s is ambiguous; it could be: ", prefix);
			describe_step(&msg, st, fid, git_tree_entry_id(found));
		}
		if (matches >= 2 && matches <= 8) {
			char fid[PROV_ID_LEN + 1];
			snprintf(fid, sizeof(fid), "%.2s%s", prefix, git_tree_entry_name(e));
			strbuf_addstr(&msg, ", ");
			describe_step(&msg, st, fid, git_tree_entry_id(e));
		}
	}
	if (!matches) {
		ret = err_set(CAIRN_ENOTFOUND, "no step %s", prefix);
		goto out;
	}
	if (matches > 1) {
		if (matches > 8)
			strbuf_addf(&msg, " and %zu more", matches - 8);
		ret = err_set(CAIRN_ECONFLICT, "%s", msg.buf);
		goto out;
	}
	if (full)
		snprintf(full, PROV_ID_LEN + 1, "%.2s%s", prefix, git_tree_entry_name(found));
	if (commit)
		git_oid_cpy(commit, git_tree_entry_id(found));
out:
	strbuf_release(&msg);
	git_tree_free(sub);
	git_tree_entry_free(dir);
	return ret;
}

/* "paths/ab/cdef..." for PATH. */
static void path_key(char out[80], const char *path)
{
	char h[SHA256_HEX_LEN + 1];
	util_sha256_hex(h, path, strlen(path));
	snprintf(out, 80, "paths/%.2s/%s", h, h + 2);
}

/* The path cache, for index tree IDX_TREE: NULL when IDX_TREE is not the
 * index's tip (a tree of another time), else emptied if the tip moved. */
static json_t *path_cache(struct prov_store *st, git_tree *idx_tree)
{
	git_commit *tip = NULL;
	json_t *cache = NULL;
	if (!idx_tree || prov__index_tip(&tip, st) < 0 || !tip)
		goto out;
	if (!git_oid_equal(git_commit_tree_id(tip), git_tree_id(idx_tree)))
		goto out;
	if (!st->paths || !git_oid_equal(&st->paths_tip, git_commit_id(tip))) {
		json_decref(st->paths);
		st->paths = json_object();
		git_oid_cpy(&st->paths_tip, git_commit_id(tip));
	}
	cache = st->paths;
out:
	git_commit_free(tip);
	err_clear();
	return cache;
}

int prov__index_path(json_t **out, struct prov_store *st, git_tree *idx_tree, const char *path)
{
	char key[80];
	json_t *e = NULL, *cache, *hit;
	int ret;

	*out = NULL;
	if (!idx_tree)
		return err_set(CAIRN_ENOTFOUND, "no step wrote %s", path);
	cache = path_cache(st, idx_tree);
	if (cache && (hit = json_object_get(cache, path))) {
		if (json_is_null(hit))
			return err_set(CAIRN_ENOTFOUND, "no step wrote %s", path);
		*out = json_incref(hit);
		return 0;
	}
	path_key(key, path);
	ret = prov__tree_json(&e, st, idx_tree, key);
	if (ret == CAIRN_ENOTFOUND) {
		if (cache)
			json_object_set_new_nocheck(cache, path, json_null());
		return err_set(CAIRN_ENOTFOUND, "no step wrote %s", path);
	}
	if (ret < 0)
		return ret;
	if (!json_is_object(e) ||
	    strcmp(json_string_value(json_object_get(e, "path")) ?: "", path)) {
		json_decref(e);
		return err_set(CAIRN_ERROR, "the path index entry of %s is damaged", path);
	}
	if (cache)
		json_object_set_nocheck(cache, path, e);
	*out = e;
	return 0;
}

int prov__index_all_paths(json_t **out, struct prov_store *st, git_tree *idx_tree)
{
	git_tree_entry *top = NULL;
	git_tree *paths = NULL;
	json_t *all = json_object();
	size_t i, j;
	int rc, ret = 0;

	*out = NULL;
	if (!idx_tree)
		goto done;
	rc = git_tree_entry_bypath(&top, idx_tree, "paths");
	if (rc == GIT_ENOTFOUND)
		goto done;
	if (rc < 0 || git_tree_lookup(&paths, st->repo, git_tree_entry_id(top)) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read the path index");
		goto out;
	}
	for (i = 0; i < git_tree_entrycount(paths); i++) {
		const git_tree_entry *fan = git_tree_entry_byindex(paths, i);
		git_tree *sub = NULL;
		if (git_tree_lookup(&sub, st->repo, git_tree_entry_id(fan)) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot read the path index");
			goto out;
		}
		for (j = 0; j < git_tree_entrycount(sub); j++) {
			const git_tree_entry *e = git_tree_entry_byindex(sub, j);
			git_blob *blob = NULL;
			json_t *v;
			const char *p;
			if (git_blob_lookup(&blob, st->repo, git_tree_entry_id(e)) < 0) {
				git_tree_free(sub);
				ret = prov__git_err(CAIRN_ERROR, "cannot read the path index");
				goto out;
			}
			v = util_json_loadb(git_blob_rawcontent(blob),
					    (size_t)git_blob_rawsize(blob), 0, NULL);
			git_blob_free(blob);
			p = json_string_value(json_object_get(v, "path"));
			if (p)
				json_object_set_nocheck(all, p, v);
			json_decref(v);
		}
		git_tree_free(sub);
	}
done:
	*out = all;
	all = NULL;
out:
	json_decref(all);
	git_tree_free(paths);
	git_tree_entry_free(top);
	return ret;
}

json_t *prov__index_entries(const char *id, json_t *record)
{
	json_t *byp = json_object(), *fresh = json_object(), *w, *v;
	const char *p;
	size_t i;

	json_array_foreach(json_object_get(record, "writes"), i, w)
	{
		if ((p = json_string_value(json_object_get(w, "path"))))
			json_object_set_nocheck(byp, p, w);
	}
	json_object_foreach(byp, p, w)
	{
		json_t *entry = json_object();
		json_object_set_new(entry, "path", util_json_str(p));
		json_object_set_new(entry, "step", json_string(id));
		v = json_object_get(w, "sha256");
		json_object_set_new(entry, "sha256",
				    json_is_string(v) ? json_copy(v) : json_null());
		v = json_object_get(w, "kind");
		json_object_set_new(entry, "kind",
				    json_is_string(v) ? json_copy(v) : json_string("file"));
		if ((v = json_object_get(w, "size")))
			json_object_set(entry, "size", v);
		if ((v = json_object_get(w, "mode")))
			json_object_set(entry, "mode", v);
		if ((v = json_object_get(w, "target")))
			json_object_set(entry, "target", v);
		json_object_set_new_nocheck(fresh, p, entry);
	}
	json_decref(byp);
	return fresh;
}

/*
 * Index STEPS (N of them, in order) with the path entries ENTRIES: one
 * tree holding all of them, and one index commit per step (parents: the
 * previous index commit and the step), the last one becoming the index's
 * tip.  In a batch the commits of its earlier steps share the final tree:
 * only the tip's tree is ever looked up.
 */
static int index_commit(struct prov_store *st, const struct prov_batch_step *steps, size_t n,
			json_t *entries)
{
	git_commit *tip = NULL, *prev = NULL, *step_commit = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_tree_update *up = NULL;
	struct strvec paths = STRVEC_INIT;
	const git_commit *parents[2];
	git_oid tree_oid, commit_oid;
	size_t i, k = 0, nup = n + json_object_size(entries);
	const char *p;
	json_t *entry;
	int ret = -1;

	if ((ret = prov__index_tip(&tip, st)) < 0)
		goto out;
	/* Without a tip the baseline is NULL: the empty tree. */
	if (tip && git_commit_tree(&base, tip) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read %s", PROV_REF_INDEX);
		goto out;
	}
	up = xcalloc(nup + 1, sizeof(*up));
	for (i = 0; i < n; i++) {
		strvec_pushf(&paths, "ids/%.2s/%s", steps[i].id, steps[i].id + 2);
		up[k].action = GIT_TREE_UPDATE_UPSERT;
		up[k].filemode = GIT_FILEMODE_COMMIT;
		git_oid_cpy(&up[k].id, &steps[i].step);
		k++;
	}
	json_object_foreach(entries, p, entry)
	{
		char key[80];
		char *text = util_json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
		if (git_blob_create_from_buffer(&up[k].id, st->repo, text, strlen(text)) < 0) {
			free(text);
			ret = prov__git_err(CAIRN_ERROR, "cannot write the path index");
			goto out;
		}
		free(text);
		path_key(key, p);
		strvec_push(&paths, key);
		up[k].action = GIT_TREE_UPDATE_UPSERT;
		up[k].filemode = GIT_FILEMODE_BLOB;
		k++;
	}
	for (i = 0; i < k; i++)
		up[i].path = paths.v[i];
	if (git_tree_create_updated(&tree_oid, st->repo, base, k, up) < 0 ||
	    git_tree_lookup(&tree, st->repo, &tree_oid) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot update the index of step %s",
				    steps[n - 1].id);
		goto out;
	}

	prev = tip;
	tip = NULL;
	for (i = 0; i < n; i++) {
		size_t np = 0;
		char *msg;
		if (git_commit_lookup(&step_commit, st->repo, &steps[i].step) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot read the commit of step %s",
					    steps[i].id);
			goto out;
		}
		if (prev)
			parents[np++] = prev;
		parents[np++] = step_commit;
		if ((ret = prov__signature(&sig, st,
					   steps[i].when ? steps[i].when
							 : (int64_t)git_commit_time(step_commit))) <
		    0)
			goto out;
		msg = xstrfmt("index step %s\n", steps[i].id);
		ret = git_commit_create(&commit_oid, st->repo, NULL, sig, sig, NULL, msg, tree, np,
					parents);
		free(msg);
		git_signature_free(sig);
		sig = NULL;
		git_commit_free(step_commit);
		step_commit = NULL;
		if (ret < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot commit the index of step %s",
					    steps[i].id);
			goto out;
		}
		git_commit_free(prev);
		prev = NULL;
		if (git_commit_lookup(&prev, st->repo, &commit_oid) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot read back the index");
			goto out;
		}
	}
	if ((ret = prov__ref_set(st, PROV_REF_INDEX, &commit_oid, "cairn: step indexed")) < 0)
		goto out;
	ret = 0;
out:
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(step_commit);
	git_commit_free(prev);
	git_commit_free(tip);
	strvec_clear(&paths);
	free(up);
	return ret;
}

int prov__index_add(struct prov_store *st, const git_oid *step, json_t *record)
{
	const char *id = json_string_value(json_object_get(record, "id"));
	struct prov_batch_step one;
	json_t *fresh, *cache;
	git_oid before;
	int ret, had_tip;

	if (!id || strlen(id) != PROV_ID_LEN)
		return err_set(CAIRN_ERROR, "cannot index a step without an id");
	git_oid_cpy(&one.step, step);
	snprintf(one.id, sizeof(one.id), "%s", id);
	one.when = 0;
	prov__parse_time(&one.when, json_string_value(json_object_get(record, "finished")));
	fresh = prov__index_entries(id, record);
	prov__qdb_hint(st, step, record);
	had_tip = prov__ref_id(&before, st, PROV_REF_INDEX) == 0;
	/* Is the path cache in step with the index as it stands? */
	cache = st->paths && had_tip && git_oid_equal(&st->paths_tip, &before) ? st->paths : NULL;

	if (st->batch_lock >= 0) {
		/* In a batch: indexed at its end; lookups meanwhile go
		 * through the path cache, which learns the entries now. */
		ALLOC_GROW(st->bsteps, st->nbsteps + 1, st->alloc_bsteps);
		st->bsteps[st->nbsteps++] = one;
		if (!st->bpaths)
			st->bpaths = json_object();
		json_object_update(st->bpaths, fresh);
		if (cache) {
			json_object_update(cache, fresh);
		} else {
			json_decref(st->paths);
			st->paths = NULL;
		}
		json_decref(fresh);
		return 0;
	}
	ret = index_commit(st, &one, 1, fresh);
	if (ret == 0 && cache && prov__ref_id(&st->paths_tip, st, PROV_REF_INDEX) == 0) {
		json_object_update(cache, fresh);
	} else {
		json_decref(st->paths);
		st->paths = NULL;
	}
	json_decref(fresh);
	return ret;
}

int prov__index_flush_batch(struct prov_store *st)
{
	git_oid before, after;
	int ret = 0, in_step;
	if (!st->nbsteps)
		goto out;
	in_step = st->paths && prov__ref_id(&before, st, PROV_REF_INDEX) == 0 &&
	    git_oid_equal(&st->paths_tip, &before);
	if (!st->bpaths)
		st->bpaths = json_object();
	ret = index_commit(st, st->bsteps, st->nbsteps, st->bpaths);
	/* The cache learnt the batch's entries as they came: it stays good
	 * for the new tip. */
	if (ret == 0 && in_step && prov__ref_id(&after, st, PROV_REF_INDEX) == 0) {
		git_oid_cpy(&st->paths_tip, &after);
	} else {
		json_decref(st->paths);
		st->paths = NULL;
	}
out:
	st->nbsteps = 0;
	json_decref(st->bpaths);
	st->bpaths = NULL;
	return ret;
}

int prov__batch_has(struct prov_store *st, const char *id)
{
	size_t i;
	for (i = 0; i < st->nbsteps; i++)
		if (!strcmp(st->bsteps[i].id, id))
			return 1;
	return 0;
}

/* Is the step with full id ID in the index tree IDX_TREE?  1, 0 or -1. */
static int indexed(struct prov_store *st, git_tree *idx_tree, const char *id)
{
	int rc = prov__index_find_id(NULL, NULL, st, idx_tree, id);
	if (rc == CAIRN_ENOTFOUND) {
		err_clear();
		return 0;
	}
	return rc < 0 ? rc : 1;
}

int prov__index_catch_up(struct prov_store *st, const git_oid *tip)
{
	git_commit *idx = NULL, *c = NULL;
	git_tree *idx_tree = NULL;
	git_oid *todo = NULL;
	json_t **recs = NULL;
	size_t nr = 0, alloc = 0, alloc2 = 0;
	git_oid cur;
	int ret;

	if ((ret = prov__index_tip(&idx, st)) < 0)
		goto out;
	/* The common case, asked before every record: TIP is the step the
	 * index took in last.  Walking would load and parse its record. */
	if (idx && git_commit_parentcount(idx) && git_oid_equal(prov__index_step(idx), tip))
		goto out;
	if (idx && git_commit_tree(&idx_tree, idx) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read %s", PROV_REF_INDEX);
		goto out;
	}
	git_oid_cpy(&cur, tip);
	for (;;) {
		json_t *rec = NULL;
		const char *id;
		if ((ret = prov__load_record(&rec, st, &cur)) < 0)
			goto out;
		id = json_string_value(json_object_get(rec, "id"));
		ret = id ? indexed(st, idx_tree, id) : 1;
		if (ret != 0) {
			json_decref(rec);
			if (ret < 0)
				goto out;
			break;
		}
		ALLOC_GROW(todo, nr + 1, alloc);
		ALLOC_GROW(recs, nr + 1, alloc2);
		git_oid_cpy(&todo[nr], &cur);
		recs[nr++] = rec;
		if (git_commit_lookup(&c, st->repo, &cur) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot read a session commit");
			goto out;
		}
		if (!git_commit_parentcount(c))
			break;
		git_oid_cpy(&cur, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
	}
	while (nr) {
		nr--;
		ret = prov__index_add(st, &todo[nr], recs[nr]);
		json_decref(recs[nr]);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	while (nr)
		json_decref(recs[--nr]);
	free(recs);
	free(todo);
	git_commit_free(c);
	git_tree_free(idx_tree);
	git_commit_free(idx);
	return ret;
}

int prov__latest_repair(struct prov_store *st)
{
	git_commit *idx = NULL;
	git_oid latest;
	int have_latest, ret = 0;

	have_latest = prov__ref_id(&latest, st, PROV_REF_LATEST) == 0;
	if (have_latest && (ret = prov__index_catch_up(st, &latest)) < 0)
		goto out;
	if ((ret = prov__index_tip(&idx, st)) < 0 || !idx)
		goto out;
	if (have_latest && git_oid_equal(&latest, prov__index_step(idx)))
		goto out;
	ret =
	    prov__ref_set(st, PROV_REF_LATEST, prov__index_step(idx), "cairn: newest indexed step");
out:
	git_commit_free(idx);
	return ret;
}

int provenance_latest_writer(char out_id[PROV_ID_LEN + 1], char out_sha[SHA256_HEX_LEN + 1],
			     struct prov_store *st, const char *path)
{
	git_tree *t = NULL;
	json_t *e = NULL;
	const char *id, *sha;
	int ret;

	if ((ret = prov__ref_tree(&t, st, PROV_REF_INDEX)) < 0)
		goto out;
	if ((ret = prov__index_path(&e, st, t, path)) < 0)
		goto out;
	id = json_string_value(json_object_get(e, "step"));
	sha = json_string_value(json_object_get(e, "sha256"));
	if (!id || strlen(id) != PROV_ID_LEN) {
		ret = err_set(CAIRN_ERROR, "the path index entry of %s is damaged", path);
		goto out;
	}
	if (out_id)
		snprintf(out_id, PROV_ID_LEN + 1, "%s", id);
	if (out_sha)
		snprintf(out_sha, SHA256_HEX_LEN + 1, "%s", sha ? sha : "");
out:
	json_decref(e);
	git_tree_free(t);
	return ret;
}

/* For sorting records by finish time, then session and sequence. */
struct reidx {
	git_oid oid;
	json_t *rec;
};

static int reidx_cmp(const void *a, const void *b)
{
	const struct reidx *x = a, *y = b;
	int c = strcmp(json_string_value(json_object_get(x->rec, "finished")) ?: "",
		       json_string_value(json_object_get(y->rec, "finished")) ?: "");
	if (c)
		return c;
	c = strcmp(json_string_value(json_object_get(x->rec, "session")) ?: "",
		   json_string_value(json_object_get(y->rec, "session")) ?: "");
	if (c)
		return c;
	return (int)(json_integer_value(json_object_get(x->rec, "seq")) -
		     json_integer_value(json_object_get(y->rec, "seq")));
}

struct reidx_list {
	struct reidx *all;
	size_t nr, alloc;
};

static int reidx_collect(const git_oid *commit, json_t *record, void *payload)
{
	struct reidx_list *l = payload;
	ALLOC_GROW(l->all, l->nr + 1, l->alloc);
	git_oid_cpy(&l->all[l->nr].oid, commit);
	l->all[l->nr].rec = json_incref(record);
	l->nr++;
	return 0;
}

int provenance_reindex(struct prov_store *st)
{
	git_reference *ref = NULL;
	struct reidx_list l = { 0 };
	size_t i;
	int lock = -1, ret, rc;

	if ((ret = prov__lock(st, &lock)) < 0)
		return ret;
	if ((ret = prov__walk_sessions(st, reidx_collect, &l)) < 0)
		goto out;
	qsort(l.all, l.nr, sizeof(*l.all), reidx_cmp);
	rc = git_reference_lookup(&ref, st->repo, PROV_REF_INDEX);
	if (rc == 0 && git_reference_delete(ref) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot reset %s", PROV_REF_INDEX);
		goto out;
	}
	git_reference_free(ref);
	ref = NULL;
	for (i = 0; i < l.nr; i++)
		if ((ret = prov__index_add(st, &l.all[i].oid, l.all[i].rec)) < 0)
			goto out;
	ret = prov__latest_repair(st);
	if (!ret)
		prov__qdb_after_record(st);
out:
	for (i = 0; i < l.nr; i++)
		json_decref(l.all[i].rec);
	free(l.all);
	git_reference_free(ref);
	prov__unlock(lock);
	return ret;
}
