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
int provenance_render_json(struct strbuf *out, const json_t *graph);
int provenance_render_prov(struct strbuf *out, const json_t *graph);
int provenance_render_rocrate(struct strbuf *out, const json_t *graph);

#endif
