/*
 * query.c - reading records back: by id prefix or @N, in order, their
 * code blobs; tags.
 */
#include "prov-int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The step commit of the N-th most recently recorded step. */
static int nth_step(git_oid *out, struct prov_store *st, unsigned long n)
{
	git_commit *idx = NULL, *prev = NULL;
	unsigned long i;
	int ret, had_tip;

	if ((ret = prov__index_tip(&idx, st)) < 0)
		return ret;
	had_tip = idx != NULL;
	for (i = 1; idx && i < n; i++) {
		if (git_commit_parentcount(idx) < 2) {
			git_commit_free(idx);
			idx = NULL;
			break;
		}
		if (git_commit_parent(&prev, idx, 0) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot read %s", PROV_REF_INDEX);
			goto out;
		}
		git_commit_free(idx);
		idx = prev;
		prev = NULL;
	}
	if (!idx) {
		/* The walk saw I steps before it ran out. */
		if (had_tip)
			ret = err_set(CAIRN_ENOTFOUND, "no step @%lu: the store holds %lu step%s",
				      n, i, i == 1 ? "" : "s");
		else
			ret =
			    err_set(CAIRN_ENOTFOUND, "no step @%lu: the store has no steps yet", n);
		goto out;
	}
	git_oid_cpy(out, prov__index_step(idx));
out:
	git_commit_free(idx);
	return ret;
}

/* Resolve SPEC to a step commit and (when FULL is not NULL) its id. */
static int resolve(git_oid *commit, char full[PROV_ID_LEN + 1], struct prov_store *st,
		   const char *spec)
{
	git_tree *t = NULL;
	char prefix[PROV_ID_LEN + 1];
	size_t i, n;
	int ret;

	if (!spec || !*spec)
		return err_set(CAIRN_EUSAGE, "no step given");
	if (spec[0] == '@') {
		char *end;
		unsigned long k;
		errno = 0;
		k = strtoul(spec + 1, &end, 10);
		if (!isdigit((unsigned char)spec[1]) || *end || errno || k < 1)
			return err_set(CAIRN_EUSAGE, "'%s' is not a step: use @N with N >= 1",
				       spec);
		if ((ret = nth_step(commit, st, k)) < 0)
			return ret;
		if (full) {
			json_t *rec = NULL;
			if ((ret = prov__load_record(&rec, st, commit)) < 0)
				return ret;
			snprintf(full, PROV_ID_LEN + 1, "%s",
				 json_string_value(json_object_get(rec, "id")) ?: "");
			json_decref(rec);
		}
		return 0;
	}
	n = strlen(spec);
	if (n > PROV_ID_LEN)
		return err_set(CAIRN_EUSAGE, "'%s' is not a step id (ids have %d hex digits)", spec,
			       PROV_ID_LEN);
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)spec[i]))
			return err_set(CAIRN_EUSAGE,
				       "'%s' is not a step: give an id prefix (hex) or @N", spec);
		prefix[i] = (char)tolower((unsigned char)spec[i]);
	}
	prefix[n] = '\0';
	if (n < PROV_MIN_PREFIX)
		return err_set(CAIRN_EUSAGE,
			       "step id prefix '%s' is too short: give at least %d digits", spec,
			       PROV_MIN_PREFIX);
	if ((ret = prov__ref_tree(&t, st, PROV_REF_INDEX)) < 0)
		return ret;
	ret = prov__index_find_id(full, commit, st, t, prefix);
	git_tree_free(t);
	return ret;
}

int provenance_step_resolve(char out[PROV_ID_LEN + 1], struct prov_store *st, const char *spec)
{
	git_oid c;
	return resolve(&c, out, st, spec);
}

int provenance_step_get(json_t **out, struct prov_store *st, const char *spec)
{
	git_tree *tags = NULL;
	json_t *rec = NULL;
	git_oid c;
	int ret;

	*out = NULL;
	if ((ret = resolve(&c, NULL, st, spec)) < 0)
		return ret;
	if ((ret = prov__load_record(&rec, st, &c)) < 0)
		return ret;
	if ((ret = prov__ref_tree(&tags, st, PROV_REF_TAGS)) < 0 ||
	    (ret = prov__overlay_tags(rec, st, tags)) < 0) {
		json_decref(rec);
		goto out;
	}
	*out = rec;
out:
	git_tree_free(tags);
	return ret;
}

int provenance_step_code(struct strbuf *out, struct prov_store *st, const char *spec,
			 const char *path)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	char full[PROV_ID_LEN + 1];
	char *where = NULL;
	git_oid oid;
	int rc, ret;

	if ((ret = resolve(&oid, full, st, spec)) < 0)
		return ret;
	if (git_commit_lookup(&c, st->repo, &oid) < 0 || git_commit_tree(&t, c) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read step %s", full);
		goto out;
	}
	where = xstrfmt("code/%s", path);
	rc = git_tree_entry_bypath(&e, t, where);
	if (rc == GIT_ENOTFOUND || (!rc && git_tree_entry_type(e) != GIT_OBJECT_BLOB)) {
		struct strbuf have = STRBUF_INIT;
		json_t *rec = NULL, *code;
		size_t i;
		if (prov__load_record(&rec, st, &oid) == 0) {
			json_array_foreach(json_object_get(rec, "code"), i, code)
			{
				strbuf_addstr(&have, have.len ? ", " : "");
				strbuf_addstr(
				    &have, json_string_value(json_object_get(code, "path")) ?: "?");
			}
		}
		json_decref(rec);
		ret =
		    err_set(CAIRN_ENOTFOUND, "step %.12s stored no code file %s (%s%s)", full, path,
			    have.len ? "it stored: " : "it stored none", have.len ? have.buf : "");
		strbuf_release(&have);
		goto out;
	}
	if (rc < 0 || git_blob_lookup(&blob, st->repo, git_tree_entry_id(e)) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read %s of step %s", where, full);
		goto out;
	}
	strbuf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	ret = 0;
out:
	free(where);
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return ret;
}

int provenance_foreach_step(struct prov_store *st, int (*cb)(json_t *record, void *payload),
			    void *payload)
{
	git_commit *idx = NULL, *prev = NULL;
	git_tree *tags = NULL;
	int ret;

	if ((ret = prov__index_tip(&idx, st)) < 0)
		return ret;
	if ((ret = prov__ref_tree(&tags, st, PROV_REF_TAGS)) < 0)
		goto out;
	while (idx) {
		json_t *rec = NULL;
		if ((ret = prov__load_record(&rec, st, prov__index_step(idx))) < 0)
			goto out;
		if ((ret = prov__overlay_tags(rec, st, tags)) < 0) {
			json_decref(rec);
			goto out;
		}
		ret = cb(rec, payload);
		json_decref(rec);
		if (ret)
			goto out;
		if (git_commit_parentcount(idx) < 2)
			break;
		if (git_commit_parent(&prev, idx, 0) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot read %s", PROV_REF_INDEX);
			goto out;
		}
		git_commit_free(idx);
		idx = prev;
		prev = NULL;
	}
	ret = 0;
out:
	git_tree_free(tags);
	git_commit_free(idx);
	return ret;
}

/* ---- tags ---------------------------------------------------------------- */

/* Set KEY=VALUE in the JSON object at PATH of refs/cairn/tags' tree. */
static int tag_put(struct prov_store *st, const char *path, const char *key, const char *value)
{
	git_commit *tip = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_tree_update up = { 0 };
	const git_commit *parents[1];
	json_t *obj = NULL;
	git_oid oid, tree_oid;
	char *text = NULL, *msg = NULL;
	int lock = -1, rc, ret;

	if (!key || !*key || strchr(key, '='))
		return err_set(CAIRN_EUSAGE, "a tag key must be non-empty and hold no '='");
	if ((ret = prov__lock(st, &lock)) < 0)
		return ret;
	rc = git_reference_name_to_id(&oid, st->repo, PROV_REF_TAGS);
	if (rc == 0) {
		if (git_commit_lookup(&tip, st->repo, &oid) < 0 ||
		    git_commit_tree(&base, tip) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot read %s", PROV_REF_TAGS);
			goto out;
		}
		ret = prov__tree_json(&obj, st, base, path);
		if (ret == CAIRN_ENOTFOUND)
			err_clear();
		else if (ret < 0)
			goto out;
	} else if (rc != GIT_ENOTFOUND) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read %s", PROV_REF_TAGS);
		goto out;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		obj = json_object();
	}
	json_object_set_new(obj, key, json_string(value));
	text = util_json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (git_blob_create_from_buffer(&up.id, st->repo, text, strlen(text)) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot store tags");
		goto out;
	}
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.filemode = GIT_FILEMODE_BLOB;
	up.path = path;
	if (git_tree_create_updated(&tree_oid, st->repo, base, 1, &up) < 0 ||
	    git_tree_lookup(&tree, st->repo, &tree_oid) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot store tags");
		goto out;
	}
	if ((ret = prov__signature(&sig, st, (int64_t)time(NULL))) < 0)
		goto out;
	msg = xstrfmt("tag %s: %s=%s\n", path, key, value);
	parents[0] = tip;
	if (git_commit_create(&oid, st->repo, PROV_REF_TAGS, sig, sig, NULL, msg, tree, tip ? 1 : 0,
			      parents) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot commit tags");
		goto out;
	}
	ret = 0;
out:
	prov__unlock(lock);
	free(text);
	free(msg);
	json_decref(obj);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(tip);
	return ret;
}

int provenance_tag(struct prov_store *st, const char *step_id, const char *key, const char *value)
{
	char full[PROV_ID_LEN + 1], path[64];
	int ret;

	if ((ret = provenance_step_resolve(full, st, step_id)) < 0)
		return ret;
	snprintf(path, sizeof(path), "tags/%s.json", full);
	return tag_put(st, path, key, value);
}

int provenance_tag_file(struct prov_store *st, const char *sha256, const char *key,
			const char *value)
{
	char path[96];

	if (!util_is_sha256_hex(sha256))
		return err_set(CAIRN_EUSAGE, "'%s' is not a SHA-256", sha256);
	snprintf(path, sizeof(path), "files/%s.json", sha256);
	return tag_put(st, path, key, value);
}

int provenance_file_tags(json_t **out, struct prov_store *st, const char *sha256)
{
	git_tree *t = NULL;
	char path[96];
	int ret;

	*out = NULL;
	if (!util_is_sha256_hex(sha256))
		return err_set(CAIRN_EUSAGE, "'%s' is not a SHA-256", sha256);
	snprintf(path, sizeof(path), "files/%s.json", sha256);
	if ((ret = prov__ref_tree(&t, st, PROV_REF_TAGS)) < 0)
		return ret;
	ret = t ? prov__tree_json(out, st, t, path) : CAIRN_ENOTFOUND;
	git_tree_free(t);
	if (ret == CAIRN_ENOTFOUND) {
		err_clear();
		*out = json_object();
		return 0;
	}
	if (ret == 0 && !json_is_object(*out)) {
		json_decref(*out);
		*out = json_object();
	}
	return ret;
}

/* ---- sessions -------------------------------------------------------------- */

static int cmp_seq(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seq"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "seq"));
	return x < y ? -1 : x > y;
}

/* The full session id SPEC names (an id or a unique prefix of one). */
static int session_resolve(char **out, struct prov_store *st, const char *spec)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	struct strvec found = STRVEC_INIT;
	size_t n = strlen(spec), i;
	int ret = 0;

	if (git_reference_iterator_glob_new(&it, st->repo, PROV_REF_SESSIONS "*") < 0)
		return prov__git_err(CAIRN_ERROR, "cannot list the sessions");
	while (git_reference_next(&ref, it) == 0) {
		const char *id = git_reference_name(ref) + strlen(PROV_REF_SESSIONS);
		if (!strcmp(id, spec)) {
			strvec_clear(&found);
			strvec_push(&found, id);
			git_reference_free(ref);
			break;
		}
		if (!strncmp(id, spec, n))
			strvec_push(&found, id);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (found.nr == 1) {
		*out = xstrdup(found.v[0]);
	} else if (!found.nr) {
		ret = err_set(CAIRN_ENOTFOUND, "no session %s", spec);
	} else {
		struct strbuf sb = STRBUF_INIT;
		for (i = 0; i < found.nr && i < 10; i++)
			strbuf_addf(&sb, "\n  %s", found.v[i]);
		ret = err_set(CAIRN_ECONFLICT, "%s names %zu sessions:%s", spec, found.nr, sb.buf);
		strbuf_release(&sb);
	}
	strvec_clear(&found);
	return ret;
}

int provenance_session_steps(json_t **out, char **session, struct prov_store *st, const char *spec)
{
	git_commit *c = NULL, *prev = NULL;
	git_oid tip;
	json_t *arr = json_array(), *rec = NULL;
	char *id = NULL, *ref = NULL;
	int ret;

	*out = NULL;
	if (!spec || !*spec || spec[0] == '@') {
		/* The session of a step: the newest one's by default. */
		if ((ret = provenance_step_get(&rec, st, spec && *spec ? spec : "@1")) < 0)
			goto out;
		id = xstrdup(json_string_value(json_object_get(rec, "session"))
				 ? json_string_value(json_object_get(rec, "session"))
				 : "");
		json_decref(rec);
		rec = NULL;
	} else if ((ret = session_resolve(&id, st, spec)) < 0) {
		goto out;
	}
	ref = xstrfmt("%s%s", PROV_REF_SESSIONS, id);
	if (prov__ref_id(&tip, st, ref) < 0) {
		ret = err_set(CAIRN_ENOTFOUND, "no session %s", id);
		goto out;
	}
	if (git_commit_lookup(&c, st->repo, &tip) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read %s", ref);
		goto out;
	}
	for (;;) {
		if ((ret = prov__load_record(&rec, st, git_commit_id(c))) < 0)
			goto out;
		json_array_append_new(arr, rec);
		rec = NULL;
		if (git_commit_parentcount(c) == 0)
			break;
		if (git_commit_parent(&prev, c, 0) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot read %s", ref);
			goto out;
		}
		git_commit_free(c);
		c = prev;
		prev = NULL;
	}
	{
		/* Sorted by seq (the chain is newest first). */
		size_t n = json_array_size(arr), i;
		json_t **v = xcalloc(n ? n : 1, sizeof(*v)), *sorted = json_array();
		for (i = 0; i < n; i++)
			v[i] = json_array_get(arr, i);
		qsort(v, n, sizeof(*v), cmp_seq);
		for (i = 0; i < n; i++)
			json_array_append(sorted, v[i]);
		free(v);
		json_decref(arr);
		arr = sorted;
	}
	*out = arr;
	arr = NULL;
	if (session) {
		*session = id;
		id = NULL;
	}
	ret = 0;
out:
	json_decref(arr);
	git_commit_free(c);
	free(id);
	free(ref);
	return ret;
}
