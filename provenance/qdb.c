/*
 * qdb.c - the query index: .cairn/lineage.db, an SQLite database derived
 * from refs/cairn/index and refs/cairn/tags, so that `find` and `status`
 * cost what their answer costs, not what the store holds.
 *
 * It holds, per recorded step (ord: its place in the index chain, 1 the
 * oldest), a summary of its record (the fields find prints and matches
 * on), the words and program names it ran, every path it read (with the
 * producer's ord and whether find follows that link upstream) and wrote,
 * its tags, and the newest write of each path.  `meta` names the index
 * and tags commits it reflects.  Every reader first brings it up to date
 * (prov__qdb_get()): it walks refs/cairn/index back from the tip to the
 * newest commit it knows and adds the steps after it, in one
 * transaction; a chain it does not know (a reindexed store, a database
 * from another time) is rebuilt from scratch.  So a crash between a
 * record and its index update, a deleted or damaged database, or a
 * store written by an older cairn all end in the same catch-up, and an
 * answer never comes from a database behind the records.  The writer
 * calls the same catch-up after each record (or batch), so it usually
 * has one step to add.
 *
 * The tag rows are a superset (a value a later tag replaced stays): find
 * checks each candidate against the real tags.  Same for the program
 * and word rows: they only choose candidates.
 */
#include "prov-int.h"
#include "lineage-int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QDB_VERSION "3"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
    "CREATE TABLE IF NOT EXISTS step(ord INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " icommit TEXT NOT NULL UNIQUE, scommit TEXT NOT NULL, started TEXT, summary TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS step_started ON step(started);"
    "CREATE TABLE IF NOT EXISTS prog(key TEXT NOT NULL, ord INTEGER NOT NULL,"
    " UNIQUE(key, ord));"
    "CREATE TABLE IF NOT EXISTS word(w TEXT NOT NULL, ord INTEGER NOT NULL, UNIQUE(w, ord));"
    "CREATE TABLE IF NOT EXISTS rd(ord INTEGER NOT NULL, path TEXT NOT NULL, sha TEXT,"
    " kind TEXT, producer TEXT, pord INTEGER, follow INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS rd_path ON rd(path);"
    "CREATE INDEX IF NOT EXISTS rd_sha ON rd(sha);"
    "CREATE INDEX IF NOT EXISTS rd_pord ON rd(pord);"
    "CREATE INDEX IF NOT EXISTS rd_producer ON rd(producer)"
    " WHERE pord IS NULL AND producer IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS rpath(path TEXT PRIMARY KEY, base TEXT NOT NULL,"
    " rev TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS rpath_base ON rpath(base);"
    "CREATE INDEX IF NOT EXISTS rpath_rev ON rpath(rev);"
    "CREATE TABLE IF NOT EXISTS wr(ord INTEGER NOT NULL, path TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS wr_path ON wr(path);"
    "CREATE TABLE IF NOT EXISTS latest(path TEXT PRIMARY KEY, entry TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tag(ord INTEGER NOT NULL, key TEXT NOT NULL, val TEXT,"
    " UNIQUE(key, val, ord));"
    "CREATE TABLE IF NOT EXISTS ftag(sha TEXT NOT NULL, key TEXT NOT NULL, val TEXT,"
    " UNIQUE(key, val, sha));";

static const char drop_sql[] =
    "DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS step; DROP TABLE IF EXISTS prog;"
    "DROP TABLE IF EXISTS word; DROP TABLE IF EXISTS rd; DROP TABLE IF EXISTS rpath;"
    "DROP TABLE IF EXISTS wr; DROP TABLE IF EXISTS latest; DROP TABLE IF EXISTS tag;"
    "DROP TABLE IF EXISTS ftag;";

static const char wipe_sql[] = "DELETE FROM step; DELETE FROM prog; DELETE FROM word;"
			       "DELETE FROM rd; DELETE FROM rpath; DELETE FROM wr;"
			       "DELETE FROM latest; DELETE FROM tag; DELETE FROM ftag;"
			       "DELETE FROM meta WHERE k IN ('tip', 'tags');";

static int db_err(sqlite3 *db, const char *what)
{
	return err_set(CAIRN_ERROR, "the query index (.cairn/lineage.db): %s: %s", what,
		       db ? sqlite3_errmsg(db) : "out of memory");
}

/* Prepare SQL (cached per text for the life of the store). */
static sqlite3_stmt *stmt(struct prov_store *st, const char *sql)
{
	size_t i;
	for (i = 0; i < st->nqstmts; i++)
		if (st->qstmts[i].sql == sql) {
			sqlite3_reset(st->qstmts[i].s);
			sqlite3_clear_bindings(st->qstmts[i].s);
			return st->qstmts[i].s;
		}
	ALLOC_GROW(st->qstmts, st->nqstmts + 1, st->alloc_qstmts);
	st->qstmts[st->nqstmts].sql = sql;
	if (sqlite3_prepare_v2(st->qdb, sql, -1, &st->qstmts[st->nqstmts].s, NULL) != SQLITE_OK)
		return NULL;
	return st->qstmts[st->nqstmts++].s;
}

sqlite3_stmt *prov__qdb_stmt(struct prov_store *st, const char *sql)
{
	sqlite3_stmt *s = stmt(st, sql);
	if (!s)
		db_err(st->qdb, "cannot prepare a query");
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Run S (bound) to completion.  0 or -1. */
static int step_done(struct prov_store *st, sqlite3_stmt *s)
{
	int rc;
	if (!s)
		return db_err(st->qdb, "cannot prepare a statement");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		return db_err(st->qdb, "cannot update");
	return 0;
}

static int exec_sql(struct prov_store *st, const char *sql)
{
	if (sqlite3_exec(st->qdb, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(st->qdb, sql);
	return 0;
}

static char *meta_get(struct prov_store *st, const char *k)
{
	sqlite3_stmt *s = stmt(st, "SELECT v FROM meta WHERE k = ?1");
	char *v = NULL;
	if (!s)
		return NULL;
	bind_text(s, 1, k);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return v;
}

static int meta_set(struct prov_store *st, const char *k, const char *v)
{
	sqlite3_stmt *s = stmt(st, "INSERT OR REPLACE INTO meta(k, v) VALUES (?1, ?2)");
	if (!s)
		return db_err(st->qdb, "cannot prepare a statement");
	bind_text(s, 1, k);
	bind_text(s, 2, v);
	return step_done(st, s);
}

/* ---- one step ---------------------------------------------------------- */

/* The fields of RECORD that find matches on and prints. */
static json_t *summary_of(json_t *rec)
{
	static const char *const keys[] = { "id",     "session",     "seq",	"command",
					    "cached", "exit_status", "started", "tags" };
	json_t *s = json_object(), *w, *e, *out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(rec, keys[i]);
		if (v)
			json_object_set(s, keys[i], v);
	}
	out = json_array();
	json_array_foreach(json_object_get(rec, "writes"), i, w)
	{
		json_t *x = json_object();
		static const char *const wk[] = { "path", "sha256", "kind" };
		size_t k;
		for (k = 0; k < ARRAY_SIZE(wk); k++)
			if (json_object_get(w, wk[k]))
				json_object_set(x, wk[k], json_object_get(w, wk[k]));
		json_array_append_new(out, x);
	}
	json_object_set_new(s, "writes", out);
	out = json_array();
	json_array_foreach(json_object_get(rec, "exec_tree"), i, e)
	{
		json_t *argv = json_object_get(e, "argv");
		json_array_append_new(out, json_pack("{s:O}", "argv", argv ? argv : json_array()));
	}
	json_object_set_new(s, "exec_tree", out);
	return s;
}

static int add_key(struct prov_store *st, const char *sql, const char *key, int64_t ord)
{
	sqlite3_stmt *s = stmt(st, sql);
	if (!s)
		return db_err(st->qdb, "cannot prepare a statement");
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, ord);
	return step_done(st, s);
}

/* Index the words of one program run (or of the command text): each word,
 * the first word and its base name, and the first bytes of the text. */
static int add_words(struct prov_store *st, int64_t ord, const char *joined)
{
	static const char word_sql[] = "INSERT OR IGNORE INTO word(w, ord) VALUES (?1, ?2)";
	static const char prog_sql[] = "INSERT OR IGNORE INTO prog(key, ord) VALUES (?1, ?2)";
	const char *p = joined;
	int first = 1, ret = 0;
	char *lead = xstrndup(joined, strnlen(joined, PROV_QDB_LEAD));

	ret = add_key(st, prog_sql, lead, ord);
	free(lead);
	while (!ret && *p) {
		size_t n;
		char *w;
		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (!n)
			break;
		w = xstrndup(p, n);
		ret = add_key(st, word_sql, w, ord);
		if (!ret && first) {
			const char *base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
			ret = add_key(st, prog_sql, w, ord);
			if (!ret)
				ret = add_key(st, prog_sql, base, ord);
			first = 0;
		}
		free(w);
		p += n;
	}
	return ret;
}

static int add_tags(struct prov_store *st, int64_t ord, json_t *tags)
{
	sqlite3_stmt *s;
	const char *k;
	json_t *v;
	int ret = 0;

	if (!json_is_object(tags))
		return 0;
	json_object_foreach(tags, k, v)
	{
		if (!(s = stmt(st, "INSERT OR IGNORE INTO tag(ord, key, val) VALUES (?1, ?2, ?3)")))
			return db_err(st->qdb, "cannot prepare a statement");
		sqlite3_bind_int64(s, 1, ord);
		bind_text(s, 2, k);
		bind_text(s, 3, json_is_string(v) ? json_string_value(v) : NULL);
		if ((ret = step_done(st, s)) < 0)
			break;
	}
	return ret;
}

/* The record of step ORD (its step commit), for a link's check. */
static int load_ord(json_t **out, struct prov_store *st, int64_t ord)
{
	sqlite3_stmt *s = stmt(st, "SELECT scommit FROM step WHERE ord = ?1");
	git_oid oid;
	int ok = 0;

	*out = NULL;
	if (!s)
		return db_err(st->qdb, "cannot prepare a statement");
	sqlite3_bind_int64(s, 1, ord);
	if (sqlite3_step(s) == SQLITE_ROW)
		ok = git_oid_fromstr(&oid, (const char *)sqlite3_column_text(s, 0)) == 0;
	sqlite3_reset(s);
	if (!ok)
		return err_set(CAIRN_ENOTFOUND, "no step %lld in the query index", (long long)ord);
	return prov__load_record(out, st, &oid);
}

/* Does find follow read R of REC (step ORD) up to its producer PREC?
 * find.c's upstream(): not an earlier run's version of its own output,
 * not a companion read to be removed.  Only a rewritten or deleted path
 * needs the producer's record. */
static int follows(json_t *rec, json_t *r, json_t *prec)
{
	return !lineage__earlier_run_read(rec, r,
					  json_string_value(json_object_get(prec, "command"))) &&
	    !lineage__circular_read(rec, r, prec);
}

static int rewrites(json_t *rec, const char *path)
{
	json_t *w;
	size_t i;
	json_array_foreach(json_object_get(rec, "writes"), i, w)
	{
		if (!strcmp(json_string_value(json_object_get(w, "path")) ?: "", path ? path : ""))
			return 1;
	}
	return 0;
}

static int64_t ord_of_id(struct prov_store *st, const char *id)
{
	sqlite3_stmt *s = stmt(st, "SELECT ord FROM step WHERE id = ?1");
	int64_t ord = 0;
	if (!s || !id)
		return 0;
	bind_text(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		ord = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return ord;
}

/* Reads that named step ID as producer before it was indexed (a chain
 * out of order): link them now. */
static int link_late(struct prov_store *st, const char *id, int64_t ord, json_t *prec)
{
	sqlite3_stmt *s =
	    stmt(st, "SELECT rowid, ord, path FROM rd WHERE producer = ?1 AND pord IS NULL");
	struct late {
		int64_t rowid, ord;
		char *path;
	} *v = NULL;
	size_t n = 0, alloc = 0, i;
	int ret = 0;

	if (!s)
		return db_err(st->qdb, "cannot prepare a statement");
	bind_text(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		ALLOC_GROW(v, n + 1, alloc);
		v[n].rowid = sqlite3_column_int64(s, 0);
		v[n].ord = sqlite3_column_int64(s, 1);
		v[n++].path = xstrdup((const char *)sqlite3_column_text(s, 2));
	}
	sqlite3_reset(s);
	for (i = 0; i < n; i++) {
		json_t *rec = NULL, *r;
		size_t k;
		int f = 0;
		if (!ret && load_ord(&rec, st, v[i].ord) == 0) {
			json_array_foreach(json_object_get(rec, "reads"), k, r)
			{
				if (!strcmp(json_string_value(json_object_get(r, "producer")) ?: "",
					    id) &&
				    !strcmp(json_string_value(json_object_get(r, "path")) ?: "",
					    v[i].path)) {
					f = follows(rec, r, prec);
					break;
				}
			}
		}
		err_clear();
		json_decref(rec);
		free(v[i].path);
		if (ret)
			continue;
		if (!(s = stmt(st, "UPDATE rd SET pord = ?1, follow = ?2 WHERE rowid = ?3"))) {
			ret = db_err(st->qdb, "cannot prepare a statement");
			continue;
		}
		sqlite3_bind_int64(s, 1, ord);
		sqlite3_bind_int(s, 2, f);
		sqlite3_bind_int64(s, 3, v[i].rowid);
		ret = step_done(st, s);
	}
	free(v);
	return ret;
}

static int add_step(struct prov_store *st, int64_t ord, const git_oid *icommit,
		    const git_oid *scommit, json_t *rec, git_tree *tags_tree)
{
	char ihex[GIT_OID_HEXSZ + 1], shex[GIT_OID_HEXSZ + 1];
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *summary = summary_of(rec), *r, *e, *tags = NULL, *paths;
	char *text = util_json_dumps(summary, JSON_COMPACT);
	sqlite3_stmt *s;
	struct strbuf joined = STRBUF_INIT;
	const char *p;
	size_t i;
	int ret;

	git_oid_tostr(ihex, sizeof(ihex), icommit);
	git_oid_tostr(shex, sizeof(shex), scommit);
	if (!(s = stmt(st,
		       "INSERT INTO step(ord, id, icommit, scommit, started, summary)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))) {
		ret = db_err(st->qdb, "cannot prepare a statement");
		goto out;
	}
	sqlite3_bind_int64(s, 1, ord);
	bind_text(s, 2, id ? id : shex);
	bind_text(s, 3, ihex);
	bind_text(s, 4, shex);
	bind_text(s, 5, json_string_value(json_object_get(rec, "started")));
	bind_text(s, 6, text);
	if ((ret = step_done(st, s)) < 0)
		goto out;

	/* Programs and words: the command text, and each program's argv. */
	if ((ret = add_words(st, ord, json_string_value(json_object_get(rec, "command")) ?: "")) <
	    0)
		goto out;
	json_array_foreach(json_object_get(rec, "exec_tree"), i, e)
	{
		prov__argv_join(&joined, e);
		if ((ret = add_words(st, ord, joined.buf)) < 0)
			goto out;
	}

	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *path = json_string_value(json_object_get(r, "path"));
		const char *sha = json_string_value(json_object_get(r, "sha256"));
		const char *kind = json_string_value(json_object_get(r, "kind"));
		const char *producer = json_string_value(json_object_get(r, "producer"));
		int64_t pord = producer ? ord_of_id(st, producer) : 0;
		int f = 0;
		if (!path)
			continue;
		if (pord) {
			f = 1;
			if (rewrites(rec, path)) {
				json_t *prec = NULL;
				if (load_ord(&prec, st, pord) == 0)
					f = follows(rec, r, prec);
				else
					f = follows(rec, r, NULL);
				err_clear();
				json_decref(prec);
			}
		}
		if (!(s = stmt(st,
			       "INSERT INTO rd(ord, path, sha, kind, producer, pord, follow)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"))) {
			ret = db_err(st->qdb, "cannot prepare a statement");
			goto out;
		}
		sqlite3_bind_int64(s, 1, ord);
		bind_text(s, 2, path);
		bind_text(s, 3, sha && util_is_sha256_hex(sha) ? sha : NULL);
		bind_text(s, 4, kind);
		bind_text(s, 5, producer);
		if (pord)
			sqlite3_bind_int64(s, 6, pord);
		sqlite3_bind_int(s, 7, f);
		if ((ret = step_done(st, s)) < 0)
			goto out;
		if (kind && !strcmp(kind, "file")) {
			const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
			size_t n = strlen(path), k;
			char *rev = xmalloc(n + 1);
			for (k = 0; k < n; k++)
				rev[k] = path[n - 1 - k];
			rev[n] = '\0';
			if (!(s = stmt(st,
				       "INSERT OR IGNORE INTO rpath(path, base, rev)"
				       " VALUES (?1, ?2, ?3)"))) {
				free(rev);
				ret = db_err(st->qdb, "cannot prepare a statement");
				goto out;
			}
			bind_text(s, 1, path);
			bind_text(s, 2, base);
			bind_text(s, 3, rev);
			free(rev);
			if ((ret = step_done(st, s)) < 0)
				goto out;
		}
	}
	json_array_foreach(json_object_get(rec, "writes"), i, e)
	{
		if (!(p = json_string_value(json_object_get(e, "path"))))
			continue;
		if ((ret = add_key(st, "INSERT INTO wr(path, ord) VALUES (?1, ?2)", p, ord)) < 0)
			goto out;
	}
	paths = prov__index_entries(id ? id : "", rec);
	json_object_foreach(paths, p, e)
	{
		char *t = util_json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
		if (!(s = stmt(st, "INSERT OR REPLACE INTO latest(path, entry) VALUES (?1, ?2)"))) {
			free(t);
			json_decref(paths);
			ret = db_err(st->qdb, "cannot prepare a statement");
			goto out;
		}
		bind_text(s, 1, p);
		bind_text(s, 2, t);
		free(t);
		if ((ret = step_done(st, s)) < 0) {
			json_decref(paths);
			goto out;
		}
	}
	json_decref(paths);

	if ((ret = add_tags(st, ord, json_object_get(rec, "tags"))) < 0)
		goto out;
	if (tags_tree && id && strlen(id) == PROV_ID_LEN) {
		char tp[64];
		snprintf(tp, sizeof(tp), "tags/%s.json", id);
		if (prov__tree_json(&tags, st, tags_tree, tp) == 0)
			ret = add_tags(st, ord, tags);
		err_clear();
		if (ret < 0)
			goto out;
	}
	if (id)
		ret = link_late(st, id, ord, rec);
out:
	json_decref(tags);
	json_decref(summary);
	strbuf_release(&joined);
	free(text);
	return ret;
}

/* ---- tags -------------------------------------------------------------- */

/* Add every tag of TAGS_TREE (tags/<id>.json onto the steps, files/<sha>.json
 * into ftag).  Rows are only added: find checks the real tags. */
static int load_tags(struct prov_store *st, git_tree *tags_tree)
{
	static const char *const dirs[] = { "tags", "files" };
	size_t d, i;
	int ret = 0;

	for (d = 0; d < ARRAY_SIZE(dirs) && tags_tree; d++) {
		git_tree_entry *te = NULL;
		git_tree *sub = NULL;
		if (git_tree_entry_bypath(&te, tags_tree, dirs[d]) < 0 ||
		    git_tree_lookup(&sub, st->repo, git_tree_entry_id(te)) < 0) {
			git_tree_entry_free(te);
			git_error_clear();
			continue;
		}
		for (i = 0; !ret && i < git_tree_entrycount(sub); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(sub, i);
			const char *name = git_tree_entry_name(e);
			size_t n = strlen(name);
			char *key = n > 5 ? xstrndup(name, n - 5) : xstrdup(name);
			git_blob *blob = NULL;
			json_t *obj = NULL, *v;
			const char *k;
			if (git_blob_lookup(&blob, st->repo, git_tree_entry_id(e)) == 0)
				obj = util_json_loadb(git_blob_rawcontent(blob),
						      (size_t)git_blob_rawsize(blob), 0, NULL);
			git_blob_free(blob);
			git_error_clear();
			if (json_is_object(obj) && d == 0) {
				int64_t ord = ord_of_id(st, key);
				if (ord)
					ret = add_tags(st, ord, obj);
			} else if (json_is_object(obj)) {
				json_object_foreach(obj, k, v)
				{
					sqlite3_stmt *s = stmt(st,
							       "INSERT OR IGNORE INTO"
							       " ftag(sha, key, val)"
							       " VALUES (?1, ?2, ?3)");
					if (!s) {
						ret = db_err(st->qdb, "cannot prepare a statement");
						break;
					}
					bind_text(s, 1, key);
					bind_text(s, 2, k);
					bind_text(s, 3,
						  json_is_string(v) ? json_string_value(v) : NULL);
					if ((ret = step_done(st, s)) < 0)
						break;
				}
			}
			json_decref(obj);
			free(key);
		}
		git_tree_free(sub);
		git_tree_entry_free(te);
	}
	return ret;
}

/* ---- catching up -------------------------------------------------------- */

/* The record of step commit OID: the writer's copy when it left one. */
static int record_of(json_t **out, struct prov_store *st, const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];
	json_t *h;
	git_oid_tostr(hex, sizeof(hex), oid);
	if (st->qhints && (h = json_object_get(st->qhints, hex))) {
		*out = json_incref(h);
		return 0;
	}
	return prov__load_record(out, st, oid);
}

static int64_t ord_of_icommit(struct prov_store *st, const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];
	sqlite3_stmt *s = stmt(st, "SELECT ord FROM step WHERE icommit = ?1");
	int64_t ord = 0;
	if (!s)
		return -1;
	git_oid_tostr(hex, sizeof(hex), oid);
	bind_text(s, 1, hex);
	if (sqlite3_step(s) == SQLITE_ROW)
		ord = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return ord;
}

static int64_t max_ord(struct prov_store *st)
{
	sqlite3_stmt *s = stmt(st, "SELECT coalesce(max(ord), 0) FROM step");
	int64_t n = 0;
	if (s && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	return n;
}

/* Bring the database up to refs/cairn/index and refs/cairn/tags, in one
 * transaction.  *ADDED: the steps added. */
static int sync_db(struct prov_store *st, size_t *added)
{
	git_commit *idx = NULL, *c = NULL;
	git_tree *tags_tree = NULL;
	git_oid tags_oid, *chain = NULL;
	char hex[GIT_OID_HEXSZ + 1], thex[GIT_OID_HEXSZ + 1] = "";
	char *have = NULL, *have_tags = NULL;
	size_t n = 0, alloc = 0;
	int64_t base = 0, top;
	int ret, wiped = 0, rebuild = 0;

	*added = 0;
	if ((ret = exec_sql(st, "BEGIN IMMEDIATE")) < 0)
		return ret;
	if ((ret = prov__index_tip(&idx, st)) < 0)
		goto out;
	hex[0] = '\0';
	if (idx)
		git_oid_tostr(hex, sizeof(hex), git_commit_id(idx));
	if (prov__ref_id(&tags_oid, st, PROV_REF_TAGS) == 0)
		git_oid_tostr(thex, sizeof(thex), &tags_oid);
	git_error_clear();
	have = meta_get(st, "tip");
	have_tags = meta_get(st, "tags");
	if (!strcmp(have ? have : "", hex) && !strcmp(have_tags ? have_tags : "", thex))
		goto done;
	if ((ret = prov__ref_tree(&tags_tree, st, PROV_REF_TAGS)) < 0)
		goto out;
	if (strcmp(have ? have : "", hex)) {
		/* Back along the chain to a commit the database knows. */
		top = max_ord(st);
again:
		if (idx) {
			git_commit_dup(&c, idx);
			for (;;) {
				int64_t k = rebuild ? 0 : ord_of_icommit(st, git_commit_id(c));
				git_commit *prev = NULL;
				if (k < 0) {
					ret = db_err(st->qdb, "cannot read");
					goto out;
				}
				if (k > 0) {
					base = k;
					break;
				}
				ALLOC_GROW(chain, n + 1, alloc);
				git_oid_cpy(&chain[n++], git_commit_id(c));
				if (git_commit_parentcount(c) < 2)
					break;
				if (git_commit_parent(&prev, c, 0) < 0) {
					ret = prov__git_err(CAIRN_ERROR, "cannot read %s",
							    PROV_REF_INDEX);
					goto out;
				}
				git_commit_free(c);
				c = prev;
			}
			git_commit_free(c);
			c = NULL;
		}
		if (base != top) {
			/* Not the database's newest step: another chain (a
			 * reindex), or a database ahead of the refs.  Start
			 * over. */
			if ((ret = exec_sql(st, wipe_sql)) < 0)
				goto out;
			wiped = 1;
			if (base) {
				base = 0;
				n = 0;
				rebuild = 1;
				goto again;
			}
		}
		while (n) {
			git_commit *ic = NULL;
			json_t *rec = NULL;
			n--;
			if (git_commit_lookup(&ic, st->repo, &chain[n]) < 0) {
				ret = prov__git_err(CAIRN_ERROR, "cannot read %s", PROV_REF_INDEX);
				goto out;
			}
			if (!git_commit_parentcount(ic))
				ret = err_set(CAIRN_ERROR, "an index commit names no step");
			else if ((ret = record_of(&rec, st, prov__index_step(ic))) == 0)
				ret = add_step(st, ++base, &chain[n], prov__index_step(ic), rec,
					       tags_tree);
			json_decref(rec);
			git_commit_free(ic);
			if (ret < 0)
				goto out;
			(*added)++;
		}
	}
	if (wiped || strcmp(have_tags ? have_tags : "", thex))
		if ((ret = load_tags(st, tags_tree)) < 0)
			goto out;
	if ((ret = meta_set(st, "tip", hex)) < 0 || (ret = meta_set(st, "tags", thex)) < 0)
		goto out;
done:
	ret = exec_sql(st, "COMMIT");
out:
	if (ret < 0)
		sqlite3_exec(st->qdb, "ROLLBACK", NULL, NULL, NULL);
	json_decref(st->qhints);
	st->qhints = NULL;
	free(chain);
	free(have);
	free(have_tags);
	git_tree_free(tags_tree);
	git_commit_free(c);
	git_commit_free(idx);
	return ret;
}

static void close_db(struct prov_store *st)
{
	size_t i;
	for (i = 0; i < st->nqstmts; i++)
		sqlite3_finalize(st->qstmts[i].s);
	free(st->qstmts);
	st->qstmts = NULL;
	st->nqstmts = st->alloc_qstmts = 0;
	sqlite3_close(st->qdb);
	st->qdb = NULL;
}

static int open_db(struct prov_store *st)
{
	char *path = xstrfmt("%s/lineage.db", st->dir);
	char *v = NULL;
	int ret = 0;

	if (sqlite3_open_v2(path, &st->qdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		ret = db_err(st->qdb, "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(st->qdb, 30000);
	/* WAL: readers do not wait for the writer.  synchronous=NORMAL: a
	 * power loss may take the last transactions back, never leave the
	 * database damaged; what it loses, the next catch-up adds again. */
	if ((ret = exec_sql(st,
			    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);")) < 0)
		goto out;
	v = meta_get(st, "version");
	if (v && !strcmp(v, QDB_VERSION))
		goto out;
	/* Another layout (or none yet): made again, filled by the catch-up.
	 * Asked again under the write lock: another process may have just
	 * made it. */
	if ((ret = exec_sql(st, "BEGIN IMMEDIATE")) < 0)
		goto out;
	free(v);
	v = meta_get(st, "version");
	if ((!v || strcmp(v, QDB_VERSION)) &&
	    ((ret = exec_sql(st, drop_sql)) < 0 || (ret = exec_sql(st, schema)) < 0 ||
	     (ret = meta_set(st, "version", QDB_VERSION)) < 0)) {
		sqlite3_exec(st->qdb, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	ret = exec_sql(st, "COMMIT");
out:
	free(v);
	free(path);
	if (ret < 0)
		close_db(st);
	return ret;
}

int prov__qdb_get(struct sqlite3 **out, struct prov_store *st)
{
	size_t added;
	const char *walk = getenv("CAIRN_QUERY_WALK");
	char *path;

	*out = NULL;
	if (walk && *walk && strcmp(walk, "0"))
		return 0;
	if (!st->qdb && !st->qdb_failed && open_db(st) < 0) {
		/* A damaged file: move it aside once and start again. */
		path = xstrfmt("%s/lineage.db", st->dir);
		err_clear();
		unlink(path);
		free(path);
		path = xstrfmt("%s/lineage.db-wal", st->dir);
		unlink(path);
		free(path);
		path = xstrfmt("%s/lineage.db-shm", st->dir);
		unlink(path);
		free(path);
		if (open_db(st) < 0) {
			st->qdb_failed = 1;
			err_clear();
		}
	}
	if (!st->qdb)
		return 0;
	if (sync_db(st, &added) < 0) {
		/* Not usable now (read-only store, a damaged database): the
		 * caller walks the records instead. */
		err_clear();
		close_db(st);
		st->qdb_failed = 1;
		return 0;
	}
	*out = st->qdb;
	return 0;
}

int prov__qdb_latest(json_t **out, struct prov_store *st)
{
	sqlite3_stmt *s = prov__qdb_stmt(st, "SELECT path, entry FROM latest");
	json_t *all;
	int rc;

	*out = NULL;
	if (!s)
		return -1;
	all = json_object();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *e = util_json_loadb((const char *)sqlite3_column_text(s, 1),
					    (size_t)sqlite3_column_bytes(s, 1), 0, NULL);
		if (e)
			json_object_set_new_nocheck(all, (const char *)sqlite3_column_text(s, 0),
						    e);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(all);
		return db_err(st->qdb, "cannot read the paths");
	}
	*out = all;
	return 0;
}

int prov__qdb_catch_up(size_t *added, struct prov_store *st)
{
	*added = 0;
	if (!st->qdb && open_db(st) < 0)
		return -1;
	return sync_db(st, added);
}

int prov__qdb_check(struct strbuf *problem, struct prov_store *st)
{
	git_commit *idx = NULL, *prev = NULL;
	sqlite3_stmt *s;
	size_t added, chain = 0;
	int64_t rows = -1;
	int ret = 0;

	if (prov__qdb_catch_up(&added, st) < 0) {
		strbuf_addf(problem,
			    "the query index (.cairn/lineage.db) cannot be brought up to "
			    "date: %s (queries walk the records meanwhile)",
			    err_last());
		err_clear();
		return -1;
	}
	if (prov__index_tip(&idx, st) < 0) {
		err_clear();
		return 0; /* the walk reports it */
	}
	while (idx) {
		chain++;
		if (git_commit_parentcount(idx) < 2 || git_commit_parent(&prev, idx, 0) < 0)
			break;
		git_commit_free(idx);
		idx = prev;
		prev = NULL;
	}
	git_commit_free(idx);
	git_error_clear();
	if ((s = stmt(st, "SELECT count(*) FROM step")) && sqlite3_step(s) == SQLITE_ROW)
		rows = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	if (rows != (int64_t)chain) {
		strbuf_addf(problem,
			    "the query index (.cairn/lineage.db) holds %lld steps, %s %zu: "
			    "emptied, the next query rebuilds it",
			    (long long)rows, PROV_REF_INDEX, chain);
		exec_sql(st, wipe_sql);
		err_clear();
		ret = -1;
	}
	return ret;
}

void prov__qdb_hint(struct prov_store *st, const git_oid *step, json_t *record)
{
	char hex[GIT_OID_HEXSZ + 1];
	if (!st->qhints)
		st->qhints = json_object();
	json_object_set(st->qhints, git_oid_tostr(hex, sizeof(hex), step), record);
}

void prov__qdb_after_record(struct prov_store *st)
{
	size_t added;
	const char *walk = getenv("CAIRN_QUERY_WALK");
	/* Best effort: a database that cannot be brought up to date now is
	 * caught up by the next reader. */
	if (!(walk && *walk && strcmp(walk, "0")) && !st->qdb_failed &&
	    prov__qdb_catch_up(&added, st) < 0)
		err_clear();
	json_decref(st->qhints);
	st->qhints = NULL;
}

void prov__qdb_close(struct prov_store *st)
{
	if (st->qdb)
		close_db(st);
	json_decref(st->qhints);
	st->qhints = NULL;
}
