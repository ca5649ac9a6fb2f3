/*
 * cache-int.h - internals shared by the files of cache/.
 */
#ifndef CAIRN_CACHE_INT_H
#define CAIRN_CACHE_INT_H

#include "cache.h"

/* Bytes read or written at a time when streaming an object. */
#define CACHE_CHUNK (1 << 17)

/* open(PATH, O_RDONLY) without updating its access time where the
 * kernel allows it (we own the file), else plainly.  As open(2). */
int cache__open_noatime(const char *path);

/*
 * Stream the object file IN (named IN_NAME for messages) to OUT (when
 * OUT >= 0; OUT_NAME for messages), decoding one or more zstd frames
 * when COMPRESSED, hashing the raw bytes: their SHA-256 goes to HEX and
 * their count to *SIZE (may be NULL).  0 or -1 (unreadable, not zstd,
 * truncated: the message names IN_NAME).
 */
int cache__stream(char hex[SHA256_HEX_LEN + 1], uint64_t *size, int in, const char *in_name,
		  int compressed, int out, const char *out_name);

/* zst.c: cache__stream() of a compressed object. */
int cache__zst_stream(char hex[SHA256_HEX_LEN + 1], uint64_t *size, int in, const char *in_name,
		      int out, const char *out_name);

/* mkdir PATH unless it exists.  0 or -1. */
int cache__mkdir(const char *path, unsigned mode);

/* A new temporary file CAIRN_DIR/tmp/PREFIX.XXXXXX (tmp/ made when
 * missing); its path goes to PATH (reset first).  The descriptor, or -1
 * (err set, PATH empty). */
int cache__tmpfile(struct strbuf *path, const char *cairn_dir, const char *prefix);

/*
 * Parse BUF (LEN bytes of the action-cache file NAME, for messages): a
 * JSON object, with a `candidates` array when CANDIDATES (an entry, not
 * a site).  *OUT a new reference, or NULL and -1.  Reads nothing else
 * (fuzz_action_entry feeds it arbitrary bytes).  What a candidate may
 * make the step runner write is checked where it is served
 * (exec__entry_refused_write()).
 */
int cache__action_parse(json_t **out, const char *buf, size_t len, const char *name,
			int candidates);

#endif
