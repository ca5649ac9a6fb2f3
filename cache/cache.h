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
 * root).  A later issue adds the action cache, the stat memo and garbage
 * collection here.
 */
#ifndef CAIRN_CACHE_H
#define CAIRN_CACHE_H

#include "util.h"

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

#endif
