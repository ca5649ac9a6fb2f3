/*
 * cache.h - the content-addressed store (CAS) under .cairn/cas.
 *
 * An object is a file's bytes, named by their SHA-256:
 * CAIRN_DIR/cas/sha256/ab/cdef... (the first two hex digits are a fan-out
 * directory).  Objects are written once, read-only, and never change;
 * every write goes through a temporary file that is fsync'ed and renamed,
 * so a killed process never leaves a partial object under its name.
 *
 * A cold object may be stored compressed instead, as one zstd frame of its
 * bytes: CAIRN_DIR/cas/sha256/ab/cdef....zst (still named by the SHA-256
 * of the raw bytes).  Every reader here accepts either form and verifies
 * the hash of the raw bytes.
 *
 * CAIRN_DIR is always the `.cairn` directory itself (not the project
 * root).  Also here: the stat memo (.cairn/index) and the action cache
 * (.cairn/actions/).  See docs/store.md and docs/cache.md.
 */
#ifndef CAIRN_CACHE_H
#define CAIRN_CACHE_H

#include "util.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/stat.h>

/* Append the path of object SHA (64 lowercase hex digits) to OUT. */
void cache_cas_path(struct strbuf *out, const char *cairn_dir, const char *sha);

/*
 * Store the bytes of the file at PATH; write their SHA-256 to OUT.  The
 * file is hashed first and copied only when the object is absent, or
 * torn (a raw object of another size, which the copy replaces
 * atomically).  The copy is hashed again while copying: a file that
 * changed in between is refused with an error rather than stored under
 * the wrong name.  It is staged in CAIRN_DIR/tmp, fsync'ed, renamed into
 * place, and the directory fsync'ed.
 * 0, CAIRN_ENOTFOUND (PATH missing) or -1.
 */
int cache_cas_put_file(char out[SHA256_HEX_LEN + 1], const char *cairn_dir, const char *path);

/* Append the path of the compressed form of object SHA ("....zst"). */
void cache_cas_zst_path(struct strbuf *out, const char *cairn_dir, const char *sha);

/* Is object SHA present (raw or compressed)?  1 or 0 (also 0 for a
 * malformed SHA). */
int cache_cas_has(const char *cairn_dir, const char *sha);

/*
 * Copy object SHA to DEST with permission bits MODE (set exactly; the umask
 * does not apply).  The bytes go to a temporary file
 * beside DEST, are hashed while copying, and the file is renamed over
 * DEST only when the hash matches: a corrupt object gives an error naming
 * it and leaves DEST untouched.  0, CAIRN_ENOTFOUND (no such object) or
 * -1.  A compressed object is decompressed on the way.
 */
int cache_cas_get_file(const char *cairn_dir, const char *sha, const char *dest, unsigned mode);

/*
 * Store LEN bytes at BUF; their SHA-256 to OUT.  As for a file: written
 * when absent or torn (another size), staged, fsync'ed, renamed into
 * place, and the directory fsync'ed, so that a record naming the object
 * never outlives it after a power loss.
 */
int cache_cas_put_buf(char out[SHA256_HEX_LEN + 1], const char *cairn_dir, const void *buf,
		      size_t len);

/* Read object SHA (at most MAX bytes) into OUT, verifying its hash.
 * 0, CAIRN_ENOTFOUND or -1. */
int cache_cas_read(struct strbuf *out, const char *cairn_dir, const char *sha, size_t max);

/* ---- the stat memo (memo.c) ---- */

struct cache_memo;

/*
 * Write object SHA to DEST (which must not exist) with MODE, for putting
 * outputs back in place: a reflink where the filesystem shares blocks,
 * else a copy made by the kernel; a compressed object is decompressed.
 * The object is verified first: by MEMO (may be NULL) when the object
 * has not changed since it was last hashed, else by hashing it.  DEST is
 * not synced: the caller renames it into place through its journal.
 * 0, CAIRN_ENOTFOUND or -1 (DEST then removed).
 */
int cache_cas_materialize(const char *cairn_dir, const char *sha, const char *dest, unsigned mode,
			  struct cache_memo *memo);

/* Load CAIRN_DIR/index (NULL CAIRN_DIR: an empty memo kept in memory). */
struct cache_memo *cache_memo_load(const char *cairn_dir);
void cache_memo_free(struct cache_memo *m);

/* The coarse real-time clock file timestamps come from, in ns. */
uint64_t cache_memo_clock(void);

/* The SHA-256 remembered for the regular file whose lstat is ST: 1 and
 * OUT set, or 0. */
int cache_memo_get(struct cache_memo *m, const struct stat *st, char out[SHA256_HEX_LEN + 1]);

/*
 * Remember SHA for the file whose lstat is ST, hashed from time T0
 * (cache_memo_clock() before its first byte was read).  Entries a later
 * change within the same clock tick could hide are not kept.  SEALED:
 * nobody could write the file between hashing and ST (a finished step's
 * output, renamed into place): then a later change shows in mtime alone.
 */
void cache_memo_put(struct cache_memo *m, const struct stat *st, const char *sha, uint64_t t0,
		    int sealed);

/* Hash the regular file PATH (lstat ST) through the memo M (may be NULL).
 * 0, CAIRN_ENOTFOUND or -1. */
int cache_memo_hash(struct cache_memo *m, char out[SHA256_HEX_LEN + 1], const char *path,
		    const struct stat *st);

/* Merge M's new entries into CAIRN_DIR/index (locked, replaced whole). */
int cache_memo_save(struct cache_memo *m, const char *cairn_dir);

/* ---- the action cache (action.c) ---- */

/* The entry for action KEY ({key, key_parts, candidates}): 0,
 * CAIRN_ENOTFOUND, or -1 for a damaged entry (err set). */
int cache_action_get(json_t **out, const char *cairn_dir, const char *key);

/*
 * Add CANDIDATE (a trace, docs/cache.md) to KEY's entry, newest first,
 * replacing a candidate with the same trace and keeping at most MAX.
 * SITE (may be NULL): where the step came from; its key is remembered
 * for cache_site_get().  0 or -1.
 */
int cache_action_add(const char *cairn_dir, const char *key, json_t *key_parts, json_t *candidate,
		     const char *site, size_t max);

/* The key SITE had when a candidate was last added: {key, key_parts}. */
int cache_site_get(json_t **out, const char *cairn_dir, const char *site);

/*
 * A readable descriptor of the raw bytes of object SHA, at offset 0, in
 * *OUT (the caller closes it).  The bytes are verified first: a raw
 * object is hashed and rewound; a compressed one is decompressed into a
 * temporary file under CAIRN_DIR/tmp that is unlinked at once (so it
 * vanishes with the descriptor), hashing on the way.  0, CAIRN_ENOTFOUND
 * (no such object) or -1 (corrupt, unreadable: the message names the
 * object file).
 */
int cache_cas_open(int *out, const char *cairn_dir, const char *sha);

/*
 * Store object SHA compressed when that saves space: its raw bytes are
 * verified, compressed (zstd, with the frame checksum) to a temporary
 * file, checked by decompressing it, fsync'ed and renamed to the ".zst"
 * name; then the raw file is unlinked.  Readers see one form or the
 * other at every moment.  When the compressed form would not be at
 * least 10% smaller, the raw object stays and *SAVED is 0; else *SAVED
 * is the number of bytes saved.  An object already compressed is left
 * as it is (0 saved).  0, CAIRN_ENOTFOUND or -1 (a corrupt raw object is
 * refused and left in place).
 */
int cache_cas_compress(uint64_t *saved, const char *cairn_dir, const char *sha);

/* ---- walking and checking the objects ----------------------------------- */

/* One file found under CAIRN_DIR/cas/sha256 by cache_cas_foreach(). */
struct cache_object {
	const char *path; /* the file */
	const char *name; /* "ab/cdef...[.zst]" relative to cas/sha256 */
	char sha[SHA256_HEX_LEN + 1]; /* the SHA its name gives ("" if misnamed) */
	int compressed; /* the name ends in ".zst" */
	int misnamed; /* not <2 hex>/<62 hex>[.zst], or not a regular file */
	uint64_t size; /* bytes on disk */
	int64_t mtime, atime; /* seconds since the epoch */
};

/*
 * Call CB for every file under CAIRN_DIR/cas/sha256 (fan-out directories
 * in order; a missing cas/ is no objects).  O is borrowed during the call.
 * A non-zero return from CB stops the walk and is returned.
 */
int cache_cas_foreach(const char *cairn_dir, int (*cb)(const struct cache_object *o, void *payload),
		      void *payload);

/*
 * Re-hash object O (decompressing a compressed one).  0 when its bytes
 * hash to its name; CAIRN_ECONFLICT when they hash to something else
 * (then GOT holds that hash); -1 when it cannot be read or is not a
 * valid zstd frame (a truncated one, say: the message says why).  *RAW
 * (may be NULL) gets the number of raw bytes read.  Reads do not update
 * the object's access time where the kernel allows (O_NOATIME).
 */
int cache_cas_check(char got[SHA256_HEX_LEN + 1], uint64_t *raw, const struct cache_object *o);

/* The raw size of object O: its size, or for a compressed one the
 * content size its frame header declares (-1 when it declares none). */
int cache_cas_raw_size(uint64_t *out, const struct cache_object *o);

/*
 * Move PATH (a file under CAIRN_DIR) to CAIRN_DIR/lost+found/, under its
 * base name plus a time stamp; *OUT (may be NULL) gets the new path
 * (malloc'd).  0 or -1.
 */
int cache_quarantine(char **out, const char *cairn_dir, const char *path);

/* ---- sets of object names ----------------------------------------------- */

struct cache_shaset {
	char (*v)[SHA256_HEX_LEN + 1];
	size_t nr, alloc;
	int sorted;
};
#define CACHE_SHASET_INIT                                                                          \
	{                                                                                          \
		NULL, 0, 0, 1                                                                      \
	}
/* Add SHA (ignored unless 64 lowercase hex digits). */
void cache_shaset_add(struct cache_shaset *s, const char *sha);
/* Is SHA in S?  (Sorts S on first use after an add.) */
int cache_shaset_has(struct cache_shaset *s, const char *sha);
void cache_shaset_release(struct cache_shaset *s);

/* ---- the action cache's entries (maintenance only) ---------------------- */

struct cache_actions_result {
	size_t entries; /* well-formed entry files seen */
	size_t candidates; /* candidates in them (before dropping) */
	size_t malformed; /* entry files that are not valid entries */
	size_t dropped; /* candidates dropped (or that would be) */
	size_t removed; /* entry files removed (or that would be) */
};

enum {
	CACHE_ACTIONS_DRY_RUN = 1, /* count only, change nothing */
	CACHE_ACTIONS_DROP_MALFORMED = 2, /* remove malformed entry files */
};

/*
 * Walk the action cache (CAIRN_DIR/actions/ab/<62 hex>).  When ALIVE is
 * not NULL, a candidate that references an object (writes[].sha256,
 * stdout, stderr, end_state) for which ALIVE returns 0 is dropped: the
 * entry is rewritten (temporary file + rename, under the exclusive flock
 * on actions/.lock) or removed when no candidate is left.  REPORT (may be
 * NULL) hears about every malformed entry and every dropped candidate
 * (PATH, a sentence).  Counts go to *OUT.  0 or -1.
 */
int cache_actions_prune(struct cache_actions_result *out, const char *cairn_dir,
			int (*alive)(const char *sha, void *payload),
			void (*report)(const char *path, const char *problem, void *payload),
			unsigned flags, void *payload);

/* ---- garbage collection ------------------------------------------------- */

struct cache_gc_result {
	size_t kept, removed; /* objects */
	uint64_t kept_bytes, removed_bytes; /* bytes on disk */
	struct cache_actions_result actions;
};

/*
 * Remove every object whose name is not in KEEP (misnamed files are left
 * to fsck), then drop the action-cache candidates that reference an
 * object no longer present.  With DRY_RUN nothing changes and the counts
 * say what would go.  The caller holds the exclusive cache lock.  0 or -1.
 */
int cache_gc_sweep(struct cache_gc_result *out, const char *cairn_dir, struct cache_shaset *keep,
		   int dry_run);

/* ---- the cache lock ----------------------------------------------------- */

/*
 * CAIRN_DIR/cache.lock: every running session holds a shared flock on it
 * for its lifetime; gc and fsck --repair take it exclusively, so they
 * never remove an object that a running session has just stored and not
 * yet recorded.  *OUT gets the descriptor holding the lock (release with
 * cache_unlock()).
 */
int cache_lock_shared(int *out, const char *cairn_dir);
/* Exclusive; without WAIT, CAIRN_ECONFLICT when a session holds it. */
int cache_lock_exclusive(int *out, const char *cairn_dir, int wait);
void cache_unlock(int fd);

#endif
