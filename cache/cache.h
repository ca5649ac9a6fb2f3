/*
 * cache.h - the content-addressed store (CAS) under .cairn/cas.
 *
 * An object is a file's bytes, named by their SHA-256:
 * CAIRN_DIR/cas/sha256/ab/cdef... (the first two hex digits are a fan-out
 * directory).  Objects are written once, read-only, and never change;
 * every write goes through a temporary file that is fsync'ed and renamed,
 * so a killed process never leaves a partial object under its name.
 *
 * CAIRN_DIR is always the `.cairn` directory itself (not the project
 * root).  Also here: the stat memo (.cairn/index) and the action cache
 * (.cairn/actions/), see docs/cache.md.
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
 * file is hashed first and copied only when the object is absent (then
 * hashed again while copying: a file that changed in between is refused
 * with an error rather than stored under the wrong name).  The copy is
 * staged in CAIRN_DIR/tmp, fsync'ed, and renamed into place.
 * 0, CAIRN_ENOTFOUND (PATH missing) or -1.
 */
int cache_cas_put_file(char out[SHA256_HEX_LEN + 1], const char *cairn_dir, const char *path);

/* Is object SHA present?  1 or 0 (also 0 for a malformed SHA). */
int cache_cas_has(const char *cairn_dir, const char *sha);

/*
 * Copy object SHA to DEST with permission bits MODE (set exactly; the umask
 * does not apply).  The bytes go to a temporary file
 * beside DEST, are hashed while copying, and the file is renamed over
 * DEST only when the hash matches: a corrupt object gives an error naming
 * it and leaves DEST untouched.  0, CAIRN_ENOTFOUND (no such object) or
 * -1.
 */
int cache_cas_get_file(const char *cairn_dir, const char *sha, const char *dest, unsigned mode);

/*
 * Store LEN bytes at BUF; their SHA-256 to OUT.  Not synced to disk: for
 * objects that only make the cache faster (logs, shell states), whose
 * loss after a machine crash is a miss, caught by the hash on reading.
 */
int cache_cas_put_buf(char out[SHA256_HEX_LEN + 1], const char *cairn_dir, const void *buf,
		      size_t len);

/* Read object SHA (at most MAX bytes) into OUT, verifying its hash.
 * 0, CAIRN_ENOTFOUND or -1. */
int cache_cas_read(struct strbuf *out, const char *cairn_dir, const char *sha, size_t max);

/* ---- the stat memo (memo.c) ---- */

struct cache_memo;

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

#endif
