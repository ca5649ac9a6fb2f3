/*
 * provenance-lineage.h - the lineage walk and its exports.
 *
 * To be folded into provenance.h (the module's one public header); kept
 * apart while the store (provenance.c) is written in parallel.  The walk
 * reads step records through an abstract source, so that it can be
 * driven by the real store or by fixtures in tests.
 *
 * The graph the walk returns is described in docs/lineage.md; every
 * renderer takes it read-only.
 */
#ifndef CAIRN_PROVENANCE_LINEAGE_H
#define CAIRN_PROVENANCE_LINEAGE_H

#include <jansson.h>

#include "util.h"

/*
 * Where the walk gets records from.
 *
 * GET sets *OUT to a new reference to the record of STEP_ID (a full
 * 32-digit id) with its tags merged; CAIRN_ENOTFOUND (message set) when
 * the store has no such step, -1 on other failures.
 *
 * WRITER finds the newest step that wrote PATH (project-relative, or
 * absolute outside the project): its id in OUT_ID and the hash it wrote
 * in OUT_SHA (empty when that write deleted the file); CAIRN_ENOTFOUND
 * when no recorded step wrote PATH.
 */
struct prov_source {
	int (*get)(json_t **out, const char *step_id, void *payload);
	int (*writer)(char out_id[33], char out_sha[65], const char *path, void *payload);
	void *payload;
};

/* Version of the graph layout ("lineage_version" in the graph). */
#define PROVENANCE_LINEAGE_VERSION 1

/*
 * The lineage of PATH: the step that wrote its current version, then,
 * for each file that step read with a `producer`, that step, and so on.
 * Each step is visited once, in depth-first pre-order; DEPTH > 0 limits
 * the number of step levels (1: only the writer), 0 means no limit.
 *
 * On success *OUT is a new graph object (caller frees with
 * json_decref()):
 *   {"lineage_version": 1, "cairn_version": "...",
 *    "target": PATH, "target_sha256": ..., "target_step": id,
 *    "depth": DEPTH or null,
 *    "steps": [records in walk order],
 *    "files": [{path, sha256, size, role: data|code, producer, format}],
 *    "edges": [{rel: used|generated, step, path, sha256}],
 *    "unexpanded": [{step, reason: depth|missing}]}
 * Returns CAIRN_ENOTFOUND (with a message naming PATH) when no recorded
 * step wrote PATH or the newest one deleted it; errors of SRC are passed
 * on unchanged.
 */
int provenance_lineage_walk(json_t **out, const struct prov_source *src, const char *path,
			    int depth);

/* Flags of provenance_render_tree(). */
enum {
	PROVENANCE_TREE_COLOR = 1, /* ANSI colours */
	PROVENANCE_TREE_UTF8 = 2, /* box-drawing characters instead of ASCII */
};

/*
 * Renderers: each appends the GRAPH of provenance_lineage_walk() to OUT
 * in one format, ending with a newline.  0, or -1 with a message when
 * the graph is not one the walk made.
 *
 *   tree     text for a terminal; FLAGS is a set of PROVENANCE_TREE_*
 *   dot      a Graphviz digraph (files boxes/notes, steps ellipses)
 *   json     the graph itself, indented
 *   prov     W3C PROV-JSON
 *   rocrate  an RO-Crate 1.1 ro-crate-metadata.json (Provenance Run Crate 0.5)
 */
int provenance_render_tree(struct strbuf *out, const json_t *graph, int flags);
int provenance_render_dot(struct strbuf *out, const json_t *graph);

/* Flags of provenance_render_dot_flags(). */
enum {
	PROVENANCE_DOT_LINKS = 1, /* nodes link to #step-ID and #file-N (N: index in
				     "files"), cache hits shaded: for cairn report */
	PROVENANCE_DOT_SKIP_LONE = 2, /* leave out steps with no input or output */
	PROVENANCE_DOT_TOP_DOWN = 4, /* rankdir=TB: fits the width of a page */
};
int provenance_render_dot_flags(struct strbuf *out, const json_t *graph, int flags);
int provenance_render_json(struct strbuf *out, const json_t *graph);
int provenance_render_prov(struct strbuf *out, const json_t *graph);
int provenance_render_rocrate(struct strbuf *out, const json_t *graph);

/*
 * What provenance_render_html() is given besides the graph: the graph
 * drawn (dot -Tsvg of provenance_render_dot_flags() with
 * PROVENANCE_DOT_LINKS), or NULL and SVG_NOTE saying why there is none;
 * and optional callbacks: CODE_DIFF appends a unified diff of PATH from
 * the version OLD_SHA256 that step OLD_STEP stored to the one step
 * NEW_STEP stored; CODE_BEFORE finds the newest step that ran before
 * RECORD with code file PATH (its id and that file's hash), for a file
 * no earlier step on the page ran, or returns <0; THUMBNAIL
 * appends a "data:image/png;base64,..." URI of FILE (a node of the
 * graph's files) when it can make one; each returns 0 or <0 (then
 * nothing is shown).  Each is called at most once per code path.
 */
#define PROV_REPORT_ID_MAX 65 /* room for a step id or a sha256, and the NUL */
struct provenance_report_opts {
	const char *svg;
	const char *svg_note;
	int (*code_diff)(struct strbuf *out, const char *old_step, const char *old_sha256,
			 const char *new_step, const char *path, void *payload);
	int (*code_before)(char out_step[PROV_REPORT_ID_MAX], char out_sha256[PROV_REPORT_ID_MAX],
			   const json_t *record, const char *path, void *payload);
	int (*thumbnail)(struct strbuf *out, const json_t *file, void *payload);
	void *payload;
};

/*
 * GRAPH (of provenance_lineage_walk() or provenance_session_graph()) as
 * one self-contained HTML page appended to OUT: a summary (steps, cache
 * hits, time saved), the graph, each step (command, times, resources,
 * cache, program, code and its diff, inputs and outputs), and the files.
 * Every text from the records is HTML-escaped; the page loads nothing.
 * 0, or -1 when GRAPH is not a graph the walk made.
 */
int provenance_render_html(struct strbuf *out, const json_t *graph,
			   const struct provenance_report_opts *o);

/*
 * The graph of a session: RECORDS (the session's records, in the order
 * they ran; borrowed) as the walk's graph (see provenance_lineage_walk()),
 * with the same reads and writes kept (but the script the shell read,
 * `role: script`, named once on the page), plus "session": SESSION.  Its
 * "target" is "" and "target_step" the last step.  Producers outside the
 * session are named by the files, not walked.  *OUT: caller frees.
 */
int provenance_session_graph(json_t **out, const json_t *records, const char *session);

#endif
