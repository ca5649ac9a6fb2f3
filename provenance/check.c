/*
 * check.c - walking every record without the index, and checking that
 * the lineage repository is sound (for gc and fsck).
 */
#include "prov-int.h"

#include <stdlib.h>
#include <string.h>

int prov__walk_sessions(struct prov_store *st,
			int (*cb)(const git_oid *commit, json_t *record, void *payload),
			void *payload)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_commit *c = NULL;
	json_t *rec = NULL;
	int ret = 0, rc;

	if (git_reference_iterator_glob_new(&it, st->repo, PROV_REF_SESSIONS "*") < 0)
		return prov__git_err(CAIRN_ERROR, "cannot list the sessions");
	while (!ret && (rc = git_reference_next(&ref, it)) == 0) {
		git_oid cur;
		int more = git_reference_target(ref) != NULL;
		if (more)
			git_oid_cpy(&cur, git_reference_target(ref));
		git_reference_free(ref);
		ref = NULL;
		/* A session's steps are a first-parent chain. */
		while (more && !ret) {
			if ((ret = prov__load_record(&rec, st, &cur)) < 0)
				goto out;
			ret = cb(&cur, rec, payload);
			json_decref(rec);
			rec = NULL;
			if (ret)
				goto out;
			if (git_commit_lookup(&c, st->repo, &cur) < 0) {
				ret = prov__git_err(CAIRN_ERROR, "cannot read a session commit");
				goto out;
			}
			more = git_commit_parentcount(c) > 0;
			if (more)
				git_oid_cpy(&cur, git_commit_parent_id(c, 0));
			git_commit_free(c);
			c = NULL;
		}
	}
	if (!ret && rc != GIT_ITEROVER)
		ret = prov__git_err(CAIRN_ERROR, "cannot list the sessions");
out:
	json_decref(rec);
	git_commit_free(c);
	git_reference_iterator_free(it);
	return ret;
}

struct foreach_args {
	int (*cb)(json_t *record, void *payload);
	void *payload;
};

static int foreach_one(const git_oid *commit, json_t *record, void *payload)
{
	struct foreach_args *a = payload;
	(void)commit;
	return a->cb(record, a->payload);
}

int provenance_foreach_record(struct prov_store *st, int (*cb)(json_t *record, void *payload),
			      void *payload)
{
	struct foreach_args a = { cb, payload };
	return prov__walk_sessions(st, foreach_one, &a);
}

static void reportf(void (*report)(const char *problem, void *payload), void *payload,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reportf(void (*report)(const char *problem, void *payload), void *payload,
		    const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	report(sb.buf, payload);
	strbuf_release(&sb);
}

/* Walk every commit reachable from the refs pushed on W; with STEPS,
 * each must hold a step.json object with an id.  Counts problems. */
static size_t walk_commits(struct prov_store *st, git_revwalk *w, int steps, size_t *ncommits,
			   void (*report)(const char *problem, void *payload), void *payload)
{
	size_t problems = 0;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid oid;
	int rc;

	while ((rc = git_revwalk_next(&oid, w)) == 0) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		json_t *rec = NULL;

		(*ncommits)++;
		git_oid_tostr(hex, sizeof(hex), &oid);
		if (git_commit_lookup(&c, st->repo, &oid) < 0 || git_commit_tree(&t, c) < 0) {
			const git_error *e = git_error_last();
			reportf(report, payload, "commit %s cannot be read: %s", hex,
				e && e->message ? e->message : "unknown error");
			problems++;
		} else if (steps && prov__load_record(&rec, st, &oid) < 0) {
			reportf(report, payload, "step commit %s: %s", hex, err_last());
			problems++;
		} else if (steps && !json_is_string(json_object_get(rec, "id"))) {
			reportf(report, payload, "step commit %s: step.json has no id", hex);
			problems++;
		}
		json_decref(rec);
		git_tree_free(t);
		git_commit_free(c);
	}
	if (rc != GIT_ITEROVER) {
		const git_error *e = git_error_last();
		reportf(report, payload, "the history is broken (a commit is missing): %s",
			e && e->message ? e->message : "unknown error");
		problems++;
	}
	return problems;
}

/* Is the newest step of the session whose ref names OID in the index
 * tree IDX_TREE?  A writer stopped between the session ref and the index
 * leaves it out; so does a record the index lost. */
static size_t check_indexed(struct prov_store *st, git_tree *idx_tree, const char *name,
			    const git_oid *oid, void (*report)(const char *problem, void *payload),
			    void *payload)
{
	json_t *rec = NULL;
	const char *id;
	size_t problems = 0;
	int rc;

	if (prov__load_record(&rec, st, oid) < 0) {
		err_clear(); /* reported by the walk */
		return 0;
	}
	id = json_string_value(json_object_get(rec, "id"));
	if (id && strlen(id) == PROV_ID_LEN) {
		rc = prov__index_find_id(NULL, NULL, st, idx_tree, id);
		if (rc == CAIRN_ENOTFOUND) {
			reportf(report, payload,
				"step %.12s, the newest of %s, is not in %s (a writer stopped "
				"before indexing it; the next record of that session indexes "
				"it)",
				id, name + strlen(PROV_REF_SESSIONS), PROV_REF_INDEX);
			problems++;
		}
		err_clear();
	}
	json_decref(rec);
	return problems;
}

int provenance_check(size_t *out_commits, struct prov_store *st,
		     void (*report)(const char *problem, void *payload), void *payload)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL, *res = NULL;
	git_revwalk *steps = NULL, *others = NULL;
	git_tree *idx_tree = NULL;
	struct strbuf qproblem = STRBUF_INIT;
	size_t problems = 0, ncommits = 0;
	int rc, ret = 0;

	if (prov__ref_tree(&idx_tree, st, PROV_REF_INDEX) < 0)
		err_clear(); /* the walk reports it */

	if (git_revwalk_new(&steps, st->repo) < 0 || git_revwalk_new(&others, st->repo) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot walk %s/lineage.git", st->dir);
		goto out;
	}
	if (git_reference_iterator_glob_new(&it, st->repo, "refs/cairn/*") < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot list the refs of %s/lineage.git", st->dir);
		goto out;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *oid;
		git_commit *c = NULL;
		int is_step = !strncmp(name, PROV_REF_SESSIONS, strlen(PROV_REF_SESSIONS)) ||
		    !strcmp(name, PROV_REF_LATEST);

		if (git_reference_resolve(&res, ref) < 0 || !(oid = git_reference_target(res))) {
			reportf(report, payload, "ref %s does not resolve", name);
			problems++;
		} else if (git_commit_lookup(&c, st->repo, oid) < 0) {
			char hex[GIT_OID_HEXSZ + 1];
			reportf(report, payload, "ref %s names %s, which is not a readable commit",
				name, git_oid_tostr(hex, sizeof(hex), oid));
			problems++;
		} else if (git_revwalk_push(is_step ? steps : others, oid) < 0) {
			reportf(report, payload, "ref %s: cannot walk its history", name);
			problems++;
		} else if (idx_tree && strcmp(name, PROV_REF_LATEST) && is_step) {
			problems += check_indexed(st, idx_tree, name, oid, report, payload);
		}
		git_commit_free(c);
		git_reference_free(res);
		res = NULL;
		git_reference_free(ref);
		ref = NULL;
	}
	if (rc != GIT_ITEROVER) {
		ret = prov__git_err(CAIRN_ERROR, "cannot list the refs of %s/lineage.git", st->dir);
		goto out;
	}
	problems += walk_commits(st, steps, 1, &ncommits, report, payload);
	/* The index's and the tags' own commits: they parse.  (Step commits
	 * they reach were checked above; the walk hides them.) */
	git_revwalk_sorting(others, GIT_SORT_NONE);
	problems += walk_commits(st, others, 0, &ncommits, report, payload);
	/* The query index: brought up to date (derived data, as any query
	 * would), then checked against the index chain. */
	if (prov__qdb_check(&qproblem, st) < 0) {
		reportf(report, payload, "%s", qproblem.buf);
		problems++;
	}
	if (out_commits)
		*out_commits = ncommits;
	ret = problems ? CAIRN_ECONFLICT : 0;
out:
	strbuf_release(&qproblem);
	git_tree_free(idx_tree);
	git_reference_iterator_free(it);
	git_revwalk_free(steps);
	git_revwalk_free(others);
	return ret;
}
