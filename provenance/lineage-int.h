/*
 * lineage-int.h - internals shared by lineage.c and export.c.
 */
#ifndef CAIRN_LINEAGE_INT_H
#define CAIRN_LINEAGE_INT_H

#include "provenance-lineage.h"

/*
 * A graph opened for rendering: borrowed views into it, plus lookup
 * tables.  Valid while the graph lives; release with lineage__view_release().
 */
struct lineage_view {
	const json_t *graph;
	const char *target;
	const char *target_sha256;
	const char *target_step;
	json_t *steps; /* borrowed array of records */
	json_t *files; /* borrowed array */
	json_t *edges; /* borrowed array */
	json_t *unexpanded; /* borrowed array */
	json_t *step_by_id; /* owned: {id: record} */
	json_t *file_by_key; /* owned: {key: file node}, see lineage__file_key() */
	json_t *unexpanded_by_id; /* owned: {id: reason string} */
	json_t *used_by_step; /* owned: {id: [used edges, in record order]} */
	json_t *generated_by_step; /* owned: {id: [generated edges]} */
};

/* The file node an edge points at (borrowed), or NULL. */
json_t *lineage__edge_file(struct lineage_view *v, const json_t *edge);

/* Check that GRAPH has the walk's shape and index it.  0 or -1. */
int lineage__view_init(struct lineage_view *v, const json_t *graph);
void lineage__view_release(struct lineage_view *v);

/* The key of a file version in file_by_key: "SHA256 PATH" ("-" for no hash). */
void lineage__file_key(struct strbuf *out, const char *path, const char *sha256);

/* Borrowed string member KEY of OBJ, or NULL when absent or not a string. */
const char *lineage__str(const json_t *obj, const char *key);

/*
 * Is READ of step RECORD the version of RECORD's own output that an
 * earlier run of the same command left (its producer, whose command is
 * PRODUCER_COMMAND, ran the same command text and RECORD wrote that path
 * again)?  Such a read is not an input of what the step made: GDAL's
 * drivers open the old output before replacing it.  Lineage, status and
 * find do not follow it.
 */
int lineage__earlier_run_read(const json_t *record, const json_t *read,
			      const char *producer_command);

/*
 * Did step RECORD read READ only to remove it, a companion made from its
 * own earlier output?  RECORD deleted that path, which is named after an
 * output of RECORD (X.aux.xml beside X, X.dbf beside X.shp), and the read
 * version's producer (PRODUCER_RECORD) made it from a path RECORD writes:
 * GDAL
 * opens out/x.tif.aux.xml (which `gdalinfo -stats` made from the last
 * out/x.tif) and deletes it before writing out/x.tif again.  Following it
 * would lead into the previous run; lineage, status and find do not.
 */
int lineage__circular_read(const json_t *record, const json_t *read, const json_t *producer_record);

/* Does step RECORD delete PATH (a write of kind "deleted")? */
int lineage__deletes(const json_t *record, const char *path);

/* Integer member KEY of OBJ, or DEF when absent or not an integer. */
long long lineage__int(const json_t *obj, const char *key, long long def);

/* Append N bytes as "523 B", "48.6 KiB", "1.2 MiB", ... */
void lineage__human_size(struct strbuf *out, long long n);

/* Append the first line of S, cut to at most MAX characters (UTF-8 aware,
 * an ellipsis "..." marking the cut or further lines). */
void lineage__short_command(struct strbuf *out, const char *s, size_t max);

/* The format summary of PATH in RECORD's `formats`, or NULL.  Accepts
 * both {"summary": "..."} objects and plain strings. */
const char *lineage__format_summary(const json_t *record, const char *path);

/* The user a step ran as (its USER or LOGNAME), or "unknown". */
const char *lineage__user(const json_t *record);

/* Basename of the main program a step ran: the first process of its
 * exec_tree that is not a shell or a wrapper (env, nice, time, ...) -- or
 * the script such a process runs when it is an interpreter (python3
 * slope.py: slope.py) -- else the first word of its command.  Appends to OUT; sets *EXE to the
 * program's path (borrowed) or NULL, *EXE_SHA to its hash or NULL. */
void lineage__main_program(struct strbuf *out, const json_t *record, const char **exe,
			   const char **exe_sha);

#endif
