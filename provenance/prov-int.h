/*
 * prov-int.h - internals shared by the files of provenance/.
 */
#ifndef CAIRN_PROV_INT_H
#define CAIRN_PROV_INT_H

#include <git2.h>
#include <stdint.h>

#include "provenance.h"

#define PROV_REF_SESSIONS "refs/cairn/sessions/"
#define PROV_REF_LATEST "refs/cairn/latest"
#define PROV_REF_INDEX "refs/cairn/index"
#define PROV_REF_TAGS "refs/cairn/tags"

/* Code files larger than this are data: recorded by hash only. */
#define PROV_CODE_MAX (1024 * 1024)
/* A NUL byte in this many leading bytes makes a file binary. */
#define PROV_TEXT_PROBE 8192

struct prov_store {
	char *root; /* absolute, resolved */
	char *dir; /* ROOT/.cairn */
	git_repository *repo; /* .cairn/lineage.git */
	/* The project's own git work tree, opened on first need. */
	git_repository *work;
	int work_tried;
	char *work_prefix; /* ROOT relative to the work tree: "" or "sub/dir/" */
	/*
	 * A batch (provenance_batch_begin): the writer lock held throughout,
	 * and ref updates kept here, in order, until provenance_batch_end().
	 */
	int batch_lock; /* the lock's descriptor, or -1: no batch */
	struct prov_pending_ref {
		char *name;
		git_oid oid;
	} * pending;
	size_t npending, alloc_pending;
	/* Refs read from disk during the batch: under the lock nobody else
	 * moves them, so each is read once (found: 1, absent: 0). */
	struct prov_read_ref {
		char *name;
		git_oid oid;
		int found;
	} * readrefs;
	size_t nreadrefs, alloc_readrefs;
	/*
	 * Path index entries this process has looked up or written, valid
	 * while refs/cairn/index is PATHS_TIP (another writer moving it
	 * empties the cache): {path: entry, or null when no step wrote it}.
	 */
	json_t *paths;
	git_oid paths_tip;
	/* A batch's steps waiting to be indexed at its end, and their path
	 * entries ({path: entry}, the last write winning). */
	struct prov_batch_step {
		git_oid step;
		char id[PROV_ID_LEN + 1];
		int64_t when;
	} * bsteps;
	size_t nbsteps, alloc_bsteps;
	json_t *bpaths;
	/* The query index (qdb.c): the database, once opened; its prepared
	 * statements by SQL text; records the writer just stored, by step
	 * commit (hex), so that catching up need not read them back. */
	struct sqlite3 *qdb;
	int qdb_failed;
	struct prov_qstmt {
		const char *sql;
		struct sqlite3_stmt *s;
	} * qstmts;
	size_t nqstmts, alloc_qstmts;
	json_t *qhints;
};

/* Call CB for every record of every session (walking the session refs,
 * not the index), with its step commit; a non-zero return stops the walk
 * and is returned.  0 or -1. */
int prov__walk_sessions(struct prov_store *st,
			int (*cb)(const git_oid *commit, json_t *record, void *payload),
			void *payload);

/* Index the batch's steps (one tree, a commit per step).  0 or -1. */
int prov__index_flush_batch(struct prov_store *st);
/* Is step ID waiting in the batch?  1 or 0. */
int prov__batch_has(struct prov_store *st, const char *id);

/* The value of ref NAME, a batch's pending update first.  0,
 * GIT_ENOTFOUND, or another negative libgit2 code. */
int prov__ref_id(git_oid *out, struct prov_store *st, const char *name);
/* Point ref NAME at OID: now, or at the end of the batch.  0 or -1. */
int prov__ref_set(struct prov_store *st, const char *name, const git_oid *oid, const char *msg);

/* err_set() CODE with MSG followed by libgit2's last message. */
int prov__git_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- record.c ---------------------------------------------------------- */

/*
 * Is REC a record provenance_record_step() may store: an object with a
 * 32-hex `id`, a `session` fit for a ref name (its ref goes to REF),
 * an integer `seq`, a string `command`, an RFC 3339 `finished`, and
 * `reads` and `writes` arrays (added empty when absent)?  0 or -1.
 */
int prov__check_record(json_t *rec, struct strbuf *ref);

/* Can PATH (project-relative) be stored as code/<PATH> in a git tree:
 * plain (no empty, `.` or `..` component, not absolute), not under
 * .cairn/, no `.git` component?  1 or 0. */
int prov__code_path_ok(const char *path);

/* Serialise writers: an exclusive flock on .cairn/lock.  *FD for unlock.
 * Within a batch the lock is held already: *FD is -1 and nothing is
 * taken. */
int prov__lock(struct prov_store *st, int *fd);
void prov__unlock(int fd);

/* Parse an RFC 3339 time ("2026-12-02T13:30:00.123Z", or with +hh:mm)
 * to seconds since the epoch.  0 or -1. */
int prov__parse_time(int64_t *out, const char *s);

/* The author/committer for commits at time WHEN: git config's user, else
 * $USER@hostname. */
int prov__signature(git_signature **out, struct prov_store *st, int64_t when);

/* Read the tree of refs/TIP's commit (*OUT NULL when REF does not exist). */
int prov__ref_tree(git_tree **out, struct prov_store *st, const char *ref);

/* Parse BUF (LEN bytes, a blob of the store named NAME in messages) as
 * JSON: *OUT a new reference, or NULL and -1.  Reads nothing else
 * (fuzz_record feeds it arbitrary bytes). */
int prov__parse_json(json_t **out, const void *buf, size_t len, const char *name);

/* Parse the JSON blob at PATH in TREE.  CAIRN_ENOTFOUND when absent. */
int prov__tree_json(json_t **out, struct prov_store *st, git_tree *tree, const char *path);

/* Load step.json of step commit COMMIT (no tags merged). */
int prov__load_record(json_t **out, struct prov_store *st, const git_oid *commit);

/* Merge the tags of RECORD's step from TAGS_TREE (may be NULL). */
int prov__overlay_tags(json_t *record, struct prov_store *st, git_tree *tags_tree);

/* ---- index.c ---------------------------------------------------------- */

/* The tip of refs/cairn/index, or *OUT NULL when nothing is indexed. */
int prov__index_tip(git_commit **out, struct prov_store *st);

/* The step commit that index commit IDX added (its last parent). */
const git_oid *prov__index_step(const git_commit *idx);

/*
 * Find the step whose id starts with PREFIX (4 to 32 lowercase hex) in
 * the index tree IDX_TREE (may be NULL: nothing indexed).  Fills FULL and
 * COMMIT (either may be NULL).  CAIRN_ENOTFOUND or CAIRN_ECONFLICT.
 */
int prov__index_find_id(char full[PROV_ID_LEN + 1], git_oid *commit, struct prov_store *st,
			git_tree *idx_tree, const char *prefix);

/* The index entry of PATH ({path, step, sha256, kind, size, mode}) as a
 * new reference, or CAIRN_ENOTFOUND. */
int prov__index_path(json_t **out, struct prov_store *st, git_tree *idx_tree, const char *path);

/* Every path entry of the index, as an object path -> entry. */
int prov__index_all_paths(json_t **out, struct prov_store *st, git_tree *idx_tree);

/* Index the step commit STEP whose record is RECORD (under the lock). */
int prov__index_add(struct prov_store *st, const git_oid *step, json_t *record);

/* Index the steps of the chain ending at session tip TIP that the index
 * lacks (under the lock). */
int prov__index_catch_up(struct prov_store *st, const git_oid *tip);

/* Point refs/cairn/latest at the index's newest step when they differ
 * (after a crash between the two updates); under the lock. */
int prov__latest_repair(struct prov_store *st);

/* The path index entries of RECORD's writes, the last write of a path
 * winning: {path: {path, step, sha256, kind[, size, mode, target]}}. */
json_t *prov__index_entries(const char *id, json_t *record);

/* ---- qdb.c: the query index (.cairn/lineage.db) ------------------------- */

/* Leading bytes of a command text kept as a program key. */
#define PROV_QDB_LEAD 64

struct sqlite3;
struct sqlite3_stmt;

/*
 * The query index, brought up to date with refs/cairn/index and
 * refs/cairn/tags first: *OUT borrowed (owned by ST), or NULL when it
 * cannot be had (a read-only store, $CAIRN_QUERY_WALK set): the caller
 * then walks the records, which gives the same answers.  0.
 */
int prov__qdb_get(struct sqlite3 **out, struct prov_store *st);
/* A prepared statement for SQL (a string constant: cached by address),
 * reset and unbound; NULL with the error set. */
struct sqlite3_stmt *prov__qdb_stmt(struct prov_store *st, const char *sql);
/* The argv of exec_tree entry E joined by spaces into SB (reset first). */
void prov__argv_join(struct strbuf *sb, json_t *e);
/* Every entry of the path index (as prov__index_all_paths()), from the
 * query index. */
int prov__qdb_latest(json_t **out, struct prov_store *st);
/* Catch up now, reporting errors; *ADDED the steps added.  0 or -1. */
int prov__qdb_catch_up(size_t *added, struct prov_store *st);
/* The writer stored RECORD as step commit STEP: keep it for the catch-up. */
void prov__qdb_hint(struct prov_store *st, const git_oid *step, json_t *record);
/* After a record (or a batch) is stored: catch up, best effort. */
void prov__qdb_after_record(struct prov_store *st);
void prov__qdb_close(struct prov_store *st);
/*
 * For fsck: catch the query index up, then check that it holds one step
 * per commit of the index chain and names its tip.  -1 with *PROBLEM
 * saying what is wrong (the database is then emptied: the next query
 * rebuilds it), else 0.
 */
int prov__qdb_check(struct strbuf *problem, struct prov_store *st);

#endif
