/*
 * formats.h - what cairn knows about scientific file formats: metadata
 * summaries (`cairn info`, the `formats` field of step records),
 * semantic fingerprints, format-aware differences (`cairn diff`) and the
 * HTTP validators of remote datasets read through GDAL's virtual file
 * systems.  See docs/formats.md.
 *
 * Rasters, vectors, NetCDF and GeoPackage go through GDAL; HDF5 files
 * through the HDF5 C API.  Neither library prints anything: their errors
 * become cairn errors (err_last()), and a damaged or truncated file is an
 * error, never a crash of the caller.
 *
 * The contents are read by a helper program, cairn-formats, that links
 * GDAL and HDF5 (so that cairn itself does not load them at every start,
 * and survives a library crash on a damaged file); it is found beside
 * the running program, in ../libexec/cairn/, or at $CAIRN_FORMATS_HELPER.
 *
 * This module knows nothing of steps, stores or caches; callers hand it
 * paths.  Functions return 0 or a negative code (util.h).  They are not
 * thread-safe: call them from one thread.
 */
#ifndef CAIRN_FORMATS_H
#define CAIRN_FORMATS_H

#include <jansson.h>

#include "util.h"

/* What formats_detect() recognises. */
enum formats_kind {
	FORMATS_NONE = 0, /* not a format this module reads */
	FORMATS_GDAL, /* a raster or vector format GDAL reads */
	FORMATS_HDF5, /* an HDF5 file (not NetCDF-4: that goes to GDAL) */
};

/*
 * Guess the format of the file at PATH from the extension of NAME (the
 * name the user knows it by; PATH itself when NAME is NULL) and its first
 * bytes.  Cheap: at most one open() and one 1 KiB read, no library is
 * initialised.  Never fails: unreadable files are FORMATS_NONE.
 */
enum formats_kind formats_detect(const char *path, const char *name);

/* Flags of formats_info(). */
#define FORMATS_STATS 1 /* read all values for per-band statistics */

/*
 * The metadata of the file at PATH as a new JSON object (see
 * docs/formats.md): `format` ("gdal" or "hdf5"), `driver`, `size_bytes`,
 * and for rasters `width`, `height`, `bands` [{band, type, nodata,
 * block, stats}], `crs` {epsg, name, wkt} or null, `geotransform`;
 * for vectors `layers`; for containers `subdatasets`; for HDF5 `objects`
 * [{path, type: group|dataset|soft_link|external_link|..., shape,
 * maxshape, dtype, chunks, filters, attributes}].  Always a one-line
 * `summary` ("GTiff 111x111 Float32 EPSG:32725").  Only metadata is read
 * unless FLAGS has FORMATS_STATS.  NAME as in formats_detect().
 * CAIRN_EUNSUPPORTED when the file is in no known format; -1 (err set)
 * when it is damaged.  *OUT is json_decref()'d by the caller.
 */
int formats_info(json_t **out, const char *path, const char *name, unsigned flags);

/*
 * The compact form of formats_info() that step records carry under
 * `formats`: the same fields without metadata, WKT and attribute values,
 * HDF5 objects capped at 64 (then `objects_truncated`).  Metadata only.
 * Same returns as formats_info().
 */
int formats_summary(json_t **out, const char *path, const char *name);

/*
 * formats_summary() of many files in one go (one start of the helper
 * that reads them): FILES is an array of {path, name}; the summary of
 * each file in a known format is set in OUT under its name, or
 * {error, summary: "unreadable"} when it cannot be read.  Names already
 * in OUT are skipped, and so are later entries of a name given twice.  0, or -1 when the helper
 * could not run (err set).
 */
int formats_summaries(json_t *out, const json_t *files);

/*
 * The semantic fingerprint of the file at PATH: SHA-256 (64 hex digits)
 * over its values (pixels, features, dataset elements), shapes, types,
 * georeferencing and attributes, leaving out volatile metadata (TIFF
 * DateTime and Software, HDF5 object timestamps, GDAL's cached
 * statistics).  Two files with the same fingerprint hold the same data.
 * Reads the whole file.  CAIRN_EUNSUPPORTED or -1 as formats_info().
 */
int formats_fingerprint(char out[SHA256_HEX_LEN + 1], const char *path, const char *name);

/*
 * Compare the files at A and B (named NAME_A, NAME_B for messages and
 * format detection).  *OUT gets a new object: `same` (bool), `how`
 * ("bitwise", "semantic" or "different"), `format`, and `changes`
 * [strings, one per difference, e.g. "size: 95x90 -> 101x87"]; equal-
 * shaped rasters and datasets add `max_abs_diff`, `differing_cells` and
 * `first_difference` (where).  Files of no known format are compared
 * byte for byte.  Returns 0 when the files are the same, 1 when they
 * differ, negative on trouble (err set).
 */
int formats_diff(json_t **out, const char *a, const char *name_a, const char *b,
		 const char *name_b);

/* Print the output of formats_diff() as text lines to FP. */
void formats_diff_print(FILE *fp, const json_t *diff, const char *label_a, const char *label_b);

/* Print formats_info() output as text (what `cairn info` shows) to FP. */
void formats_info_print(FILE *fp, const json_t *info);

/*
 * The version of the summaries formats_summaries() and the session's
 * helper make: part of the key under which a store keeps one content's
 * summary, so that a helper that summarises differently never reuses an
 * older one's.  FORMATS_SUMMARY_VERSION (changed with what a summary
 * holds) and the helper program's identity (its path, size and
 * modification time: another build or install of it); not the GDAL
 * and HDF5 libraries it loads, which cairn does not load to ask.
 */
#define FORMATS_SUMMARY_VERSION "cairn-formats-summary 1"
const char *formats_summary_version(void);

/*
 * The session's helper: `cairn-formats --serve`, started once and fed
 * batches of summary jobs, each job still in a confined child of its own
 * (see helper.c), so that no caller waits for GDAL or HDF5 to load.
 * formats_server_send() hands it BATCH, an object {id, jobs: [{op:
 * "info", path, name, kind, key, size?, mtime_ns?}], fds: [N...]} with
 * descriptors FDS (NFDS of them; the paths name them as
 * /proc/self/fd/N, N being fds[i] in the caller) -- it does not wait
 * for the answer.  formats_server_recv() waits at most TIMEOUT_MS for
 * one answer {id, results: [{key, ret, value, error, transient}]} (the
 * value compacted as formats_summaries() does): 1 with *OUT set, 0 when
 * none came, -1 when the helper has gone.  An answer {"ended": true}
 * follows everything sent before formats_server_send() of {"end":
 * true}.  formats_server_free() closes the socket: the helper ends.
 */
struct formats_server;
/* One result {ret, value, error} of an answer: its value in *OUT (new
 * reference) and its code, err set when negative. */
int formats_result(json_t **out, const json_t *r);
int formats_server_start(struct formats_server **out);
int formats_server_send(struct formats_server *s, const json_t *batch, const int *fds, size_t nfds);
int formats_server_recv(struct formats_server *s, json_t **out, int timeout_ms);
void formats_server_free(struct formats_server *s);

/* ---- remote datasets ----------------------------------------------------- */

/*
 * Scan TEXT (a command line, or one argument) for remote datasets that
 * GDAL would read: "/vsicurl/...", "/vsis3/...", "/vsigs/...",
 * "/vsiaz/..." paths, plus http(s):// and s3:// URLs when GDAL_TOOL is
 * set (the text is an argument of a GDAL program, which reads such URLs
 * through /vsicurl/ and /vsis3/).  Each is appended to OUT once, as the
 * GDAL path ("/vsicurl/http://host/x.tif"), unless OUT has it already.
 */
void formats_remote_scan(struct strvec *out, const char *text, int gdal_tool);

/* The URL that virtual path PATH stands for ("/vsis3/b/k" -> "s3://b/k");
 * malloc'd. */
char *formats_remote_url(const char *path);

/* Is PROGRAM (an argv[0] or executable path) a GDAL or OGR tool? */
int formats_is_gdal_tool(const char *program);

/*
 * The current HTTP validators of remote dataset PATH (a GDAL virtual
 * path as formats_remote_scan() gives), asked afresh (GDAL's cache of
 * earlier answers is dropped first): *OUT is a new object {"path",
 * "kind": "remote", "sha256": null, "size", "etag", "last_modified",
 * "url"}, a field being null when the server did not say.
 * CAIRN_ENOTFOUND when the server says there is no such object, -1 when
 * it cannot be asked.
 */
int formats_remote_validators(json_t **out, const char *path);

/*
 * As formats_remote_validators(), with the variables of ENV (an object
 * {name: value}, e.g. a step's exported environment) that configure
 * GDAL's network access set for the query: GDAL_*, CPL_*, VSI_*, AWS_*,
 * GS_*, GOOGLE_*, AZURE_*, OSS_*, SWIFT_*, and the proxy variables.
 * ENV may be NULL.
 */
int formats_remote_validators_env(json_t **out, const char *path, const json_t *env);

/* ---- helpers for callers that keep bytes under other names ---------------- */

/*
 * Some drivers need a file's real name (its extension): make a fresh
 * directory under TMPDIR holding a symlink NAME's basename -> TARGET,
 * and put the symlink's path in OUT.  Undo with formats_alias_remove().
 * 0 or -1.
 */
int formats_alias_create(struct strbuf *out, const char *tmpdir, const char *target,
			 const char *name);
void formats_alias_remove(const char *alias);

/*
 * Lend the helper FD, a readable descriptor of the caller's (such as
 * cache_cas_open()'s, whose bytes it verified): returns
 * "/proc/self/fd/FD" (caller frees), which names those bytes in this
 * process and in the helper's, which inherits FD until
 * formats_fd_close(FD) closes it.  An alias to that name gives the
 * bytes a file name (formats_alias_create()).  The one way to hand the
 * helper a content-store object: raw or compressed, it is read as
 * verified, never by the object's file name.
 */
char *formats_fd_lend(int fd);
void formats_fd_close(int fd);

#endif
