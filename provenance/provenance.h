/*
 * provenance.h - the lineage store: step records in a bare git repository
 * (.cairn/lineage.git), with indexes that answer "which step is this id",
 * "which step last wrote this path" and "the last N steps" without
 * walking history.  See docs/store.md and docs/step-record.md.
 *
 * Layout of the repository:
 *   refs/cairn/sessions/<session>  one commit per step, chained per session;
 *                                  tree: step.json + code/<path>
 *   refs/cairn/latest              the newest step's commit
 *   refs/cairn/index               one commit per step in recording order
 *                                  (parents: previous index commit, the
 *                                  step's commit); tree: ids/ab/<rest of
 *                                  id> -> the step's commit (a gitlink),
 *                                  paths/ab/<rest of sha256(path)> -> a
 *                                  JSON blob naming the latest writer
 *   refs/cairn/tags                tags/<step id>.json, files/<sha256>.json
 *
 * Records are jansson values.  Functions return 0 or a negative code
 * with the message in err_last() (util.h).
 */
#ifndef CAIRN_PROVENANCE_H
#define CAIRN_PROVENANCE_H

#include <jansson.h>

#include "util.h"

struct prov_store;

/* Length of a step id in hex digits. */
#define PROV_ID_LEN 32
/* The shortest id prefix accepted. */
#define PROV_MIN_PREFIX 4

/*
 * Find the project root: walk up from START (a directory) to the first
 * directory holding a `.cairn` directory, as git does for `.git`.  0 and
 * *OUT (absolute, malloc'd; caller frees) or CAIRN_ENOTFOUND with a
 * message naming START.  The caller honours `--store`/$CAIRN_STORE
 * itself by passing that directory to provenance_store_open() instead.
 */
int provenance_find_root(char **out, const char *start);

/*
 * Open the store of the project ROOT (the directory holding `.cairn`).
 * With CREATE, first make what is missing of .cairn/{lineage.git (bare,
 * initial head "main"), cas/, actions/, tmp/, config}; creating is
 * idempotent.  Without CREATE a missing store is CAIRN_ENOTFOUND.
 * *OUT is freed with provenance_store_free().
 */
int provenance_store_open(struct prov_store **out, const char *root, int create);
void provenance_store_free(struct prov_store *st);

/* Every value of the multi-valued key NAME ("sandbox.writable") in
 * .cairn/config, appended to OUT; none when the key is not set.  0 or -1. */
int provenance_config_values(struct strvec *out, struct prov_store *st, const char *name);
/* The same from the git-config file PATH (none when it does not exist). */
int provenance_config_file_values(struct strvec *out, const char *path, const char *name);

/* The absolute project root and its `.cairn` directory; borrowed, valid
 * until provenance_store_free(). */
const char *provenance_store_root(const struct prov_store *st);
const char *provenance_store_dir(const struct prov_store *st);

/*
 * PATH (absolute, or relative to the working directory; it need not
 * exist) as records write it: relative to the project root without "./"
 * when it lies under the root ("." for the root), else absolute.  Its
 * directory is resolved through symlinks when it exists.  *OUT is
 * malloc'd.
 */
int provenance_relpath(char **out, struct prov_store *st, const char *path);

/*
 * Record one step.  RECORD is a step.json object (borrowed; see
 * docs/step-record.md) with at least `id` (32 hex digits, not yet
 * recorded: CAIRN_EEXISTS), `session`, `seq`, `command` and `finished`.
 * The function fills in:
 *   - `code`: text files under the root that `reads` names (kind file or
 *     exec, at most 1 MiB, no NUL byte in the first 8 KiB, whose content
 *     on disk still hashes to the read's sha256), stored as blobs under
 *     code/<path> in the commit's tree;
 *   - `git`: the project's git HEAD and the code files that are not clean
 *     (null when the project is not in a git work tree);
 *   - `producer` of each read that has no such member: the latest writer
 *     of the path when it wrote the same sha256, else null.
 * Then it commits on refs/cairn/sessions/<session> (parent: that ref's
 * tip), updates the indexes and refs/cairn/latest.  Writers serialise on
 * .cairn/lock.  A process killed half-way leaves a valid repository: git
 * objects are written before the refs naming them, and the next writer
 * indexes a session tip that the index missed.
 */
int provenance_record_step(struct prov_store *st, json_t *record);

/*
 * Record several steps as one batch: the writer lock is held from begin
 * to end, and the refs (session, index, latest) are written once at the
 * end, in the order a single record writes them.  Records stored in a
 * batch are durable only once provenance_batch_end() returned 0.
 */
int provenance_batch_begin(struct prov_store *st);
int provenance_batch_end(struct prov_store *st);

/*
 * The record of step SPEC: a unique prefix of its id (at least 4 hex
 * digits) or `@N`, the N-th most recently recorded step (`@1` is the
 * newest).  Tags added with provenance_tag() are merged into `tags`.
 * *OUT is a new reference (json_decref() it).  CAIRN_ENOTFOUND, or
 * CAIRN_ECONFLICT when a prefix names several steps (the message lists
 * them), or CAIRN_EUSAGE for a malformed SPEC.
 */
int provenance_step_get(json_t **out, struct prov_store *st, const char *spec);

/* Resolve SPEC (as in provenance_step_get()) to the full id in OUT. */
int provenance_step_resolve(char out[PROV_ID_LEN + 1], struct prov_store *st, const char *spec);

/*
 * Append the code blob that step SPEC stored for PATH (project-relative,
 * as in its `code` list) to OUT, byte for byte.  CAIRN_ENOTFOUND when the
 * step stored no such file (the message says which files it stored).
 */
int provenance_step_code(struct strbuf *out, struct prov_store *st, const char *spec,
			 const char *path);

/*
 * The newest recorded write of PATH (as written in records: relative to
 * the root, or absolute outside it): the step id in OUT_ID and the sha256
 * it wrote in OUT_SHA ("" when that write deleted the path).  Either out
 * parameter may be NULL.  Reads one index entry; CAIRN_ENOTFOUND when no
 * step wrote PATH.
 */
int provenance_latest_writer(char out_id[PROV_ID_LEN + 1], char out_sha[SHA256_HEX_LEN + 1],
			     struct prov_store *st, const char *path);

/*
 * Call CB for every step, newest first (in the order they were
 * recorded; tags merged).  RECORD is borrowed for the duration of the
 * call (json_incref() it to keep it).  A non-zero return from CB stops
 * the walk and is returned.  Stopping early is cheap: `log -n 10` reads
 * ten records.
 */
int provenance_foreach_step(struct prov_store *st, int (*cb)(json_t *record, void *payload),
			    void *payload);

/*
 * The records of session SPEC (its id, a unique prefix of one, or `@N`:
 * the session of the N-th most recent step; NULL or "": the newest
 * step's), in the order the steps ran: *OUT a new array, *SESSION (may
 * be NULL) the full session id.  CAIRN_ENOTFOUND, CAIRN_ECONFLICT when a
 * prefix names several sessions (the message lists them), or -1.
 */
int provenance_session_steps(json_t **out, char **session, struct prov_store *st, const char *spec);

/*
 * Set tag KEY=VALUE on step STEP_ID (a full id or any spec accepted by
 * provenance_step_get()).  Tags are kept on refs/cairn/tags, never by
 * rewriting the step's commit; a later value for KEY replaces the
 * earlier one.  KEY is non-empty and holds no '='.
 */
int provenance_tag(struct prov_store *st, const char *step_id, const char *key, const char *value);

/*
 * Tag a file *version* that no step wrote (an input brought in by hand):
 * the content SHA256.  Steps that read that version, and everything
 * derived from them, carry the tag for provenance_find().
 */
int provenance_tag_file(struct prov_store *st, const char *sha256, const char *key,
			const char *value);

/* The tags of file version SHA256 as a new object ({} when none). */
int provenance_file_tags(json_t **out, struct prov_store *st, const char *sha256);

/* ---- status ------------------------------------------------------------ */

enum prov_state {
	PROV_FRESH, /* on disk as recorded, and so is everything it derives from */
	PROV_STALE, /* as recorded, but an input it derives from has changed */
	PROV_MODIFIED, /* the bytes on disk differ from the recorded write */
	PROV_DELETED, /* recorded as written, missing on disk */
	PROV_UNTRACKED, /* on disk under the root, never written by a step */
};

/* "fresh", "stale", ... */
const char *provenance_state_name(enum prov_state s);

struct prov_status_entry {
	const char *path; /* project-relative */
	enum prov_state state;
	const char *step; /* the writer's id, NULL when untracked */
	const char *reason; /* why stale: "input dem.tif changed", or NULL */
};

/*
 * Report every project-relative path whose newest record is a write
 * (sorted by path), then every untracked file (sorted; `.cairn` and
 * `.git` are skipped).  A path is stale when an input of its writer
 * (kind file or exec, under the root) now hashes differently on disk,
 * was rewritten by a later step, or is itself stale: staleness follows
 * producer links transitively.  Entries are borrowed during CB.  A
 * non-zero return from CB stops and is returned.
 */
int provenance_status(struct prov_store *st,
		      int (*cb)(const struct prov_status_entry *e, void *payload), void *payload);

/* ---- find -------------------------------------------------------------- */

struct prov_find_opts {
	struct strvec tags; /* "K=V": the step, a file version it read, or a
			     * step upstream of it carries the tag; "K=V1,V2":
			     * any of the values; "K!=V": none of them does */
	struct strvec own_tags; /* "K=V": the step itself carries the tag */
	const char *command; /* glob on the command text or a program run */
	const char *arg; /* whole words in the argv of a program run (or the
			  * command text) */
	const char *reads; /* path read directly */
	const char *writes; /* path written */
	const char *derived_from; /* path read directly or upstream */
	const char *since; /* started at or after: YYYY-MM-DD[THH:MM[:SS]] */
	int weekday; /* 0 Sunday .. 6 Saturday (local time), -1 any */
	/* A step upstream of it (not itself) ran a program matching
	 * STEP_COMMAND (glob) and STEP_ARG (words), as command and arg. */
	const char *step_command;
	const char *step_arg;
	/* The step, or a step upstream of it, read (kind file) a path
	 * matching READS_GLOB (the path or its base name) whose content
	 * matches READS_REGEX (POSIX extended, per line).  READ_CONTENT gets
	 * the bytes of version SHA of PATH (or the first part of them) into
	 * OUT: 0, or CAIRN_ENOTFOUND when they are not to be had (the version
	 * then does not match).  The store holds no file bytes, so the caller
	 * supplies them (the content store, or the file when it is still that
	 * version). */
	const char *reads_glob;
	const char *reads_regex;
	int (*read_content)(struct strbuf *out, const char *path, const char *sha, void *payload);
	void *content_payload;
	/* CB reads only id, session, seq, command, cached, exit_status,
	 * started, tags and writes (path, sha256, kind) of a record: it may
	 * get a record holding only those (a summary from the query index,
	 * without reading the step's commit). */
	int summary;
};
#define PROV_FIND_OPTS_INIT                                                                        \
	{                                                                                          \
		STRVEC_INIT, STRVEC_INIT, NULL, NULL, NULL, NULL, NULL, NULL, -1, NULL, NULL,      \
		    NULL, NULL, NULL, NULL, 0                                                      \
	}
void prov_find_opts_release(struct prov_find_opts *o);

/*
 * Call CB for every step matching all of OPTS, newest first (records
 * borrowed as in provenance_foreach_step()).  When --command and --arg
 * are both given, one program (or the command text) must match both.
 */
int provenance_find(struct prov_store *st, const struct prov_find_opts *opts,
		    int (*cb)(json_t *record, void *payload), void *payload);

/* ---- maintenance -------------------------------------------------------- */

/* Rebuild refs/cairn/index from the session refs (after a crash, or to
 * repair); steps are ordered by `finished`. */
int provenance_reindex(struct prov_store *st);

/*
 * Call CB for every record on the session refs, found by walking each
 * session's chain of commits (not the index, so a step that the index
 * missed after a crash is seen too); no order is promised, tags are not
 * merged.  RECORD is borrowed during the call.  A record that cannot be
 * read is an error (-1): callers deciding what to delete must not go on
 * with a partial view.  A non-zero return from CB stops and is returned.
 */
int provenance_foreach_record(struct prov_store *st, int (*cb)(json_t *record, void *payload),
			      void *payload);

/*
 * Check the lineage repository: every ref under refs/cairn/ resolves to
 * a commit; every commit reachable from them parses; those reachable
 * from the session refs and refs/cairn/latest hold a step.json object
 * with an id.  Each problem found is a sentence passed to REPORT.  The
 * number of commits checked goes to *OUT_COMMITS (may be NULL).  0 when
 * sound, CAIRN_ECONFLICT when problems were reported, -1 when the check
 * itself failed.
 */
int provenance_check(size_t *out_commits, struct prov_store *st,
		     void (*report)(const char *problem, void *payload), void *payload);

/* ---- format summaries, one per content (summaries.c) ---------------------- */

/*
 * The summary a store keeps for KEY (64 hex digits: the SHA-256 that
 * exec's formats.c makes of a file's bytes, the helper's version and
 * what else the summary depends on), in CAIRN_DIR/formats/: *OUT a new
 * object, or CAIRN_ENOTFOUND.
 */
int provenance_summary_get(json_t **out, const char *cairn_dir, const char *key);
/* Keep SUMMARY under KEY (durably: temporary file, fsync, rename, fsync
 * of the directory), then drop KEY's pending job.  0 or -1. */
int provenance_summary_put(const char *cairn_dir, const char *key, const json_t *summary);
/* A summary that a record names but that is not made yet: JOB (what it
 * takes to make it) kept in CAIRN_DIR/formats/pending/ until
 * provenance_summary_put() or provenance_summary_pending_done() --
 * durably once provenance_summary_pending_sync() (the directory, once
 * for many jobs) has returned 0. */
int provenance_summary_pending_put(const char *cairn_dir, const char *key, const json_t *job);
int provenance_summary_pending_sync(const char *cairn_dir);
void provenance_summary_pending_done(const char *cairn_dir, const char *key);
/* The pending jobs: *OUT a new object {key: job}.  0. */
int provenance_summary_pending_list(json_t **out, const char *cairn_dir);
/* Where KEY's summary lies (PENDING: its pending job); malloc'd.  The
 * session's formats helper writes there itself. */
char *provenance_summary_path(const char *cairn_dir, const char *key, int pending);
/* Fill the `pending` entries of REC's `formats` whose summary the store
 * now has; how many stay pending.  (Records read from the store get this
 * done; so does a record as it is stored.) */
int provenance_formats_resolve(json_t *rec, const char *cairn_dir);
/* The same, waiting up to MAX_MS for the summaries that a running
 * session's helper is making: the record writer completes a record so
 * before it stores it.  How many stay pending. */
int provenance_formats_complete(json_t *rec, const char *cairn_dir, int max_ms);

#endif
