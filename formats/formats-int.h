/*
 * formats-int.h - internals shared by the files of formats/.
 */
#ifndef CAIRN_FORMATS_INT_H
#define CAIRN_FORMATS_INT_H

#include "formats.h"

#include <openssl/evp.h>

/* The fingerprint's stream: SHA-256 of a canonical byte sequence. */
struct fp_hash {
	EVP_MD_CTX *ctx;
};
void formats__hash_init(struct fp_hash *h);
void formats__hash_add(struct fp_hash *h, const void *data, size_t len);
/* Add a tagged text line: "TAG VALUE\n" (printf-style). */
void formats__hash_addf(struct fp_hash *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Finish into OUT (hex) and free the context. */
void formats__hash_final(struct fp_hash *h, char out[SHA256_HEX_LEN + 1]);
void formats__hash_release(struct fp_hash *h);

/* Is metadata item KEY (a GDAL "KEY=VALUE" key) volatile: left out of
 * fingerprints and differences? */
int formats__volatile_key(const char *key);

/*
 * A dataset or raster band holding more raw data than this (its elements
 * times their size) is too large to fingerprint or to compare value by
 * value: reading it would take longer than a job may (docs/formats.md).
 */
#define FORMATS_MAX_BYTES (64ULL << 30)

#if defined(__SANITIZE_ADDRESS__)
#define FORMATS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FORMATS_ASAN 1
#endif
#endif
#ifndef FORMATS_ASAN
#define FORMATS_ASAN 0
#endif

/* Confine a job's child (confine.c): NETWORK for the remote check;
 * PATHS (NULL-terminated) the files it reads. */
int formats__confine(int network, const char *const *paths);

/* ---- the helper (formats.c) ------------------------------------------- */

/* Run JOBS (a JSON array, see helper.c) in the cairn-formats helper;
 * *OUT gets its array of results.  0 or -1 (err set). */
int formats__call_many(json_t **out, json_t *jobs);
/* One result of formats__call_many(): its value in *OUT (new reference)
 * and its return code, with err set when negative. */
int formats__result(json_t **out, const json_t *r);
/* Keep the descriptors of formats_fd_lend() open across exec (in the
 * helper's child, before it runs the helper). */
void formats__fd_inherit(void);
/* formats__call_many() of one job, then formats__result(). */
int formats__call(json_t **out, json_t *job);

/* Cut formats_info()'s answer down to what step records keep. */
void formats__compact(json_t *info);

/* The helper's remote job (vsi.c). */
int formats__remote_validators(json_t **out, const char *path);

/* ---- GDAL (gdal.c) ------------------------------------------------------ */

/* Register GDAL's drivers and route its errors to a quiet handler, once. */
void formats__gdal_init(void);
int formats__gdal_info(json_t **out, const char *path, unsigned flags);
int formats__gdal_fingerprint(struct fp_hash *h, const char *path);
/* Compare two GDAL datasets: append change lines to CHANGES and numbers
 * to OUT.  1 different, 0 no difference found, negative on trouble. */
int formats__gdal_diff(json_t *out, json_t *changes, const char *a, const char *b);

/* ---- HDF5 (hdf5.c) ------------------------------------------------------ */

/* Open the library and silence its error printing, once. */
void formats__hdf5_init(void);
int formats__hdf5_info(json_t **out, const char *path);
int formats__hdf5_fingerprint(struct fp_hash *h, const char *path);
int formats__hdf5_diff(json_t *out, json_t *changes, const char *a, const char *b);

/* Append "  value" statistics text: "min 1 max 2 mean 1.5 std 0.5". */
void formats__stats_text(struct strbuf *out, const json_t *stats);

/* Running min/max/mean/std over doubles (Welford). */
struct fp_stats {
	double min, max, mean, m2;
	uint64_t n;
};
void formats__stats_add(struct fp_stats *s, double v);
json_t *formats__stats_json(const struct fp_stats *s);

#endif
