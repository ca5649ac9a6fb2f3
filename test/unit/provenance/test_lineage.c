/*
 * test_lineage.c - the lineage walk and its renderers, over the
 * three-step fixture pipeline in test/data/lineage:
 *
 *   A  gdal_translate -of GTiff raw.tif dem.tif          raw.tif (raw) -> dem.tif
 *   B  python3 slope.py dem.tif slope.tif                 dem.tif (A), slope.py (code),
 *                                                         /tmp/slope-params.json (raw)
 *                                                         -> slope.tif, slope.tif.aux.xml
 *   C  gdal_calc.py -A slope.tif -B dem.tif ...           dem.tif (A), slope.tif (B)
 *                                                         -> habitat.tif
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "lineage-int.h"

#define ID_A "a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define ID_B "3f9c2a1b7d8e4f60a1b2c3d4e5f60718"
#define ID_C "7c1e2a3b4d5e6f708192a3b4c5d6e7f8"
#define SHA_HABITAT "2771437604d0e3a779938dd09ed115773b69515832c16c7db13cbb4e63b021ba"
#define SHA_DEM "e0f9d66e61058a64b127cc8bd67f100aa9c0c736f49938c7c7e70c00aac6a513"

static struct fixture fx;

static int setup(void **state)
{
	(void)state;
	err_clear();
	return fixture_load(&fx, CAIRN_TEST_DATA "/lineage");
}

static int teardown(void **state)
{
	(void)state;
	fixture_release(&fx);
	return 0;
}

static json_t *walk(const char *path, int depth)
{
	json_t *g = NULL;
	int ret = provenance_lineage_walk(&g, &fx.src, path, depth);
	if (ret < 0)
		fail_msg("walk failed: %s", err_last());
	assert_non_null(g);
	return g;
}

static const char *step_id(const json_t *g, size_t i)
{
	return lineage__str(json_array_get(json_object_get(g, "steps"), i), "id");
}

static json_t *find_file(const json_t *g, const char *path)
{
	json_t *f;
	size_t i;
	json_array_foreach(json_object_get(g, "files"), i, f)
	{
		if (!strcmp(lineage__str(f, "path"), path))
			return f;
	}
	return NULL;
}

static size_t count_edges(const json_t *g, const char *rel, const char *step)
{
	json_t *e;
	size_t i, n = 0;
	json_array_foreach(json_object_get(g, "edges"), i, e)
	{
		if (!strcmp(lineage__str(e, "rel"), rel) &&
		    (!step || !strcmp(lineage__str(e, "step"), step)))
			n++;
	}
	return n;
}

static size_t count_str(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;
	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* ---- the walk ------------------------------------------------------------ */

static void test_walk_full(void **state)
{
	json_t *g = walk("habitat.tif", 0), *f, *e;
	(void)state;

	assert_int_equal(lineage__int(g, "lineage_version", 0), 1);
	assert_string_equal(lineage__str(g, "target"), "habitat.tif");
	assert_string_equal(lineage__str(g, "target_sha256"), SHA_HABITAT);
	assert_string_equal(lineage__str(g, "target_step"), ID_C);
	assert_true(json_is_null(json_object_get(g, "depth")));
	assert_non_null(lineage__str(g, "cairn_version"));

	/* depth-first pre-order, reads in record order: dem.tif (A) first */
	assert_int_equal(json_array_size(json_object_get(g, "steps")), 3);
	assert_string_equal(step_id(g, 0), ID_C);
	assert_string_equal(step_id(g, 1), ID_A);
	assert_string_equal(step_id(g, 2), ID_B);
	/* records are carried whole, tags included */
	assert_string_equal(
	    lineage__str(json_object_get(json_array_get(json_object_get(g, "steps"), 0), "tags"),
			 "reviewed"),
	    "yes");
	assert_int_equal(json_array_size(json_object_get(g, "unexpanded")), 0);

	/* files: data, code, /tmp; not the machine's */
	assert_int_equal(json_array_size(json_object_get(g, "files")), 7);
	f = find_file(g, "dem.tif");
	assert_non_null(f);
	assert_string_equal(lineage__str(f, "sha256"), SHA_DEM);
	assert_int_equal(lineage__int(f, "size", -1), 50430);
	assert_string_equal(lineage__str(f, "role"), "data");
	assert_string_equal(lineage__str(f, "producer"), ID_A);
	assert_string_equal(lineage__str(f, "format"), "GTiff 111x111 Float32 EPSG:32725");
	f = find_file(g, "raw.tif");
	assert_non_null(f);
	assert_true(json_is_null(json_object_get(f, "producer")));
	f = find_file(g, "slope.py");
	assert_non_null(f);
	assert_string_equal(lineage__str(f, "role"), "code");
	assert_true(json_is_null(json_object_get(f, "format")));
	assert_non_null(find_file(g, "/tmp/slope-params.json"));
	assert_non_null(find_file(g, "slope.tif.aux.xml")); /* a side output of B */
	assert_null(find_file(g, "/usr/lib/python3.11/os.py"));
	assert_null(find_file(g, "/usr/bin/gdal_translate")); /* exec reads are programs */
	assert_null(find_file(g, "__pycache__/helpers.cpython-311.pyc"));
	assert_null(find_file(g, "/home/ana/.local/lib/python3.11/site-packages/sitecustomize.py"));
	assert_null(find_file(g, "dem.tif.aux.xml")); /* absent */
	assert_null(find_file(g, ".")); /* dir */

	/* edges */
	assert_int_equal(json_array_size(json_object_get(g, "edges")), 10);
	assert_int_equal(count_edges(g, "used", ID_C), 2);
	assert_int_equal(count_edges(g, "used", ID_A), 1);
	assert_int_equal(count_edges(g, "used", ID_B), 3);
	assert_int_equal(count_edges(g, "generated", ID_B), 2);
	assert_int_equal(count_edges(g, "generated", NULL), 4);
	e = json_array_get(json_object_get(g, "edges"), 0);
	assert_string_equal(lineage__str(e, "rel"), "used");
	assert_string_equal(lineage__str(e, "step"), ID_C);
	assert_string_equal(lineage__str(e, "path"), "dem.tif");
	assert_string_equal(lineage__str(e, "sha256"), SHA_DEM);
	json_decref(g);
}

static void test_walk_depth(void **state)
{
	json_t *g, *u;
	(void)state;

	fx.calls = 0;
	g = walk("habitat.tif", 1);
	assert_int_equal(fx.calls, 1); /* nothing fetched beyond the limit */
	assert_int_equal(lineage__int(g, "depth", 0), 1);
	assert_int_equal(json_array_size(json_object_get(g, "steps")), 1);
	assert_string_equal(step_id(g, 0), ID_C);
	u = json_object_get(g, "unexpanded");
	assert_int_equal(json_array_size(u), 2);
	assert_string_equal(lineage__str(json_array_get(u, 0), "step"), ID_A);
	assert_string_equal(lineage__str(json_array_get(u, 0), "reason"), "depth");
	assert_string_equal(lineage__str(json_array_get(u, 1), "step"), ID_B);
	assert_int_equal(json_array_size(json_object_get(g, "files")), 3);
	json_decref(g);

	/* A is read by C directly: depth 2 reaches it whatever the order */
	g = walk("habitat.tif", 2);
	assert_int_equal(json_array_size(json_object_get(g, "steps")), 3);
	assert_int_equal(json_array_size(json_object_get(g, "unexpanded")), 0);
	json_decref(g);

	/* a middle file: its lineage is B then A */
	g = walk("slope.tif", 0);
	assert_int_equal(json_array_size(json_object_get(g, "steps")), 2);
	assert_string_equal(step_id(g, 0), ID_B);
	assert_string_equal(step_id(g, 1), ID_A);
	json_decref(g);
}

static void test_walk_missing_producer(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *g, *u;
	(void)state;

	json_object_set_new(fx.hidden, ID_A, json_true());
	g = walk("habitat.tif", 0);
	json_object_clear(fx.hidden);
	assert_int_equal(json_array_size(json_object_get(g, "steps")), 2);
	assert_string_equal(step_id(g, 0), ID_C);
	assert_string_equal(step_id(g, 1), ID_B);
	u = json_object_get(g, "unexpanded");
	assert_int_equal(json_array_size(u), 1);
	assert_string_equal(lineage__str(json_array_get(u, 0), "step"), ID_A);
	assert_string_equal(lineage__str(json_array_get(u, 0), "reason"), "missing");
	assert_int_equal(provenance_render_tree(&sb, g, 0), 0);
	assert_int_equal(count_str(sb.buf, "step a1b2c3d4  (not in the store)"), 2);
	strbuf_release(&sb);
	json_decref(g);
}

static void test_walk_errors(void **state)
{
	json_t *g = NULL, *rec;
	(void)state;

	assert_int_equal(provenance_lineage_walk(&g, &fx.src, "nope.tif", 0), CAIRN_ENOTFOUND);
	assert_null(g);
	assert_non_null(strstr(err_last(), "nope.tif was not written by any recorded step"));

	fx.fail_get = 1;
	assert_int_equal(provenance_lineage_walk(&g, &fx.src, "habitat.tif", 0), CAIRN_ERROR);
	assert_null(g);
	assert_string_equal(err_last(), "fixture: the store is broken");
	fx.fail_get = 0;

	/* the writer's own record is missing: the store is inconsistent */
	json_object_set_new(fx.hidden, ID_C, json_true());
	assert_int_equal(provenance_lineage_walk(&g, &fx.src, "habitat.tif", 0), CAIRN_ERROR);
	assert_non_null(strstr(err_last(), "missing from the store"));
	json_object_clear(fx.hidden);

	assert_int_equal(provenance_lineage_walk(&g, &fx.src, "habitat.tif", -1), CAIRN_ERROR);

	/* the newest write of habitat.tif deletes it */
	rec = json_pack("{s:s, s:s, s:s, s:i, s:[], s:[{s:s, s:n, s:n, s:s}]}", "id",
			"dddddddddddddddddddddddddddddddd", "command", "rm habitat.tif", "finished",
			"2026-12-02T14:00:00.000Z", "exit_status", 0, "reads", "writes", "path",
			"habitat.tif", "sha256", "size", "kind", "deleted");
	fixture_add(&fx, rec);
	assert_int_equal(provenance_lineage_walk(&g, &fx.src, "habitat.tif", 0), CAIRN_ENOTFOUND);
	assert_non_null(strstr(err_last(), "habitat.tif was deleted by step dddddddd"));
	json_decref(rec);
	fixture_release(&fx);
	assert_int_equal(fixture_load(&fx, CAIRN_TEST_DATA "/lineage"), 0);
}

/* Records that (impossibly) produce each other still end the walk. */
static void test_walk_cycle(void **state)
{
	struct fixture c;
	struct strbuf sb = STRBUF_INIT;
	json_t *x, *y, *g = NULL;
	(void)state;

	fixture_load(&c, "/nonexistent");
	x = json_pack("{s:s, s:s, s:s, s:i, s:[{s:s, s:s, s:i, s:s, s:s}], s:[{s:s, s:s, s:i, "
		      "s:s}]}",
		      "id", "11111111111111111111111111111111", "command", "cp b a", "finished",
		      "2026-01-01T00:00:02.000Z", "exit_status", 0, "reads", "path", "b", "sha256",
		      "bb", "size", 1, "kind", "file", "producer",
		      "22222222222222222222222222222222", "writes", "path", "a", "sha256", "aa",
		      "size", 1, "kind", "file");
	y = json_pack("{s:s, s:s, s:s, s:i, s:[{s:s, s:s, s:i, s:s, s:s}], s:[{s:s, s:s, s:i, "
		      "s:s}]}",
		      "id", "22222222222222222222222222222222", "command", "cp a b", "finished",
		      "2026-01-01T00:00:01.000Z", "exit_status", 0, "reads", "path", "a", "sha256",
		      "aa", "size", 1, "kind", "file", "producer",
		      "11111111111111111111111111111111", "writes", "path", "b", "sha256", "bb",
		      "size", 1, "kind", "file");
	fixture_add(&c, x);
	fixture_add(&c, y);
	assert_int_equal(provenance_lineage_walk(&g, &c.src, "a", 0), 0);
	assert_int_equal(json_array_size(json_object_get(g, "steps")), 2);
	assert_int_equal(provenance_render_tree(&sb, g, 0), 0);
	assert_int_equal(count_str(sb.buf, "(shown above)"), 1);
	strbuf_reset(&sb);
	assert_int_equal(provenance_render_dot(&sb, g), 0);
	strbuf_release(&sb);
	json_decref(g);
	json_decref(x);
	json_decref(y);
	fixture_release(&c);
}

/* ---- tree ----------------------------------------------------------------- */

static const char tree_ascii[] =
    "habitat.tif  27714376  12.6 KiB  GTiff 111x111 Byte EPSG:32725\n"
    "`-- step 7c1e2a3b  gdal_calc.py -A slope.tif -B dem.tif --outfile=habitat.tif "
    "--calc=\"(A...\n"
    "    |   2026-12-02 13:30:01 UTC, 0.70 s, exit 0\n"
    "    |   programs: gdal_calc.py, python3.11; 1 system file read\n"
    "    |   tags: reviewed=yes\n"
    "    |-- dem.tif  e0f9d66e  49.2 KiB  GTiff 111x111 Float32 EPSG:32725\n"
    "    |   `-- step a1b2c3d4  gdal_translate -of GTiff raw.tif dem.tif\n"
    "    |       |   2026-12-02 13:30:00 UTC, 0.19 s, exit 0\n"
    "    |       |   programs: gdal_translate; 3 system files read\n"
    "    |       `-- raw.tif  dfca2922  47.7 KiB  GTiff 111x111 Int16 EPSG:32725  (raw "
    "input)\n"
    "    `-- slope.tif  9d7c1826  48.6 KiB  GTiff 111x111 Float32 EPSG:32725\n"
    "        `-- step 3f9c2a1b  python3 slope.py dem.tif slope.tif\n"
    "            |   2026-12-02 13:30:00 UTC, 0.75 s, exit 0\n"
    "            |   programs: python3.11; 3 system files read\n"
    "            |   code: slope.py @ 47a72787\n"
    "            |-- /tmp/slope-params.json  5233c0ce  120 B  (raw input)\n"
    "            `-- dem.tif  e0f9d66e  49.2 KiB  GTiff 111x111 Float32 EPSG:32725\n"
    "                `-- step a1b2c3d4  gdal_translate -of GTiff raw.tif dem.tif  (shown "
    "above)\n";

static void test_tree_ascii(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *g = walk("habitat.tif", 0);
	size_t i;
	(void)state;

	assert_int_equal(provenance_render_tree(&sb, g, 0), 0);
	assert_string_equal(sb.buf, tree_ascii);
	for (i = 0; i < sb.len; i++)
		assert_true((unsigned char)sb.buf[i] < 0x80 && sb.buf[i] != '\033');
	strbuf_release(&sb);
	json_decref(g);
}

static void test_tree_utf8_color(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *g = walk("habitat.tif", 0);
	(void)state;

	assert_int_equal(provenance_render_tree(&sb, g, PROVENANCE_TREE_UTF8), 0);
	assert_null(strchr(sb.buf, '\033'));
	assert_null(strchr(sb.buf, '`'));
	assert_int_equal(count_str(sb.buf, "\u2514\u2500\u2500 step "), 4);
	assert_int_equal(count_str(sb.buf, "\u251c\u2500\u2500 "), 2);
	assert_int_equal(count_str(sb.buf, "\u2514\u2500\u2500 "), 7);
	assert_non_null(strstr(sb.buf, "\n    \u2502   2026-12-02 13:30:01 UTC"));
	strbuf_reset(&sb);

	assert_int_equal(
	    provenance_render_tree(&sb, g, PROVENANCE_TREE_UTF8 | PROVENANCE_TREE_COLOR), 0);
	assert_non_null(strstr(sb.buf, "step \033[33m7c1e2a3b\033[m"));
	assert_non_null(strstr(sb.buf, "\033[1mhabitat.tif\033[m"));
	assert_non_null(strstr(sb.buf, "\033[32m  (raw input)\033[m"));
	strbuf_release(&sb);
	json_decref(g);
}

static void test_tree_failed_cached(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *rec = json_deep_copy(json_object_get(fx.records, ID_C)), *g;
	(void)state;

	json_object_set_new(rec, "exit_status", json_integer(3));
	json_object_set_new(rec, "cached", json_true());
	json_object_set_new(rec, "from_step", json_string("feedfacefeedfacefeedfacefeedface"));
	json_object_set(fx.records, ID_C, rec);
	g = walk("habitat.tif", 1);
	assert_int_equal(provenance_render_tree(&sb, g, PROVENANCE_TREE_COLOR), 0);
	assert_non_null(strstr(sb.buf, "0.70 s, \033[31mexit 3\033[m, cached from feedface\n"));
	assert_int_equal(count_str(sb.buf, "(beyond --depth)"), 2);
	strbuf_reset(&sb);

	/* and the other formats say it failed */
	assert_int_equal(provenance_render_dot(&sb, g), 0);
	assert_non_null(strstr(sb.buf, "\\nexit 3\", color=red"));
	strbuf_reset(&sb);
	assert_int_equal(provenance_render_rocrate(&sb, g), 0);
	assert_non_null(strstr(sb.buf, "http://schema.org/FailedActionStatus"));
	assert_non_null(strstr(sb.buf, "\"error\": \"exit status 3\""));
	strbuf_release(&sb);
	json_decref(g);
	json_decref(rec);
	fixture_release(&fx);
	assert_int_equal(fixture_load(&fx, CAIRN_TEST_DATA "/lineage"), 0);
}

/* ---- dot ------------------------------------------------------------------ */

static void test_dot(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *g = walk("habitat.tif", 0), *rec;
	(void)state;

	assert_int_equal(provenance_render_dot(&sb, g), 0);
	assert_int_equal(strncmp(sb.buf, "digraph lineage {\n", 18), 0);
	assert_int_equal(sb.buf[sb.len - 2], '}');
	assert_int_equal(count_str(sb.buf, " -> "), 10);
	assert_int_equal(count_str(sb.buf, "shape=ellipse"), 3);
	assert_int_equal(count_str(sb.buf, "shape=box"), 6);
	assert_int_equal(count_str(sb.buf, "shape=note"), 1); /* slope.py */
	assert_int_equal(count_str(sb.buf, "peripheries=2"), 1);
	assert_non_null(strstr(sb.buf,
			       "f2 [shape=box, label=\"habitat.tif\\n27714376, 12.6 KiB\\n"
			       "GTiff 111x111 Byte EPSG:32725\", peripheries=2"));
	/* raw inputs are shaded: raw.tif, /tmp/slope-params.json, slope.py */
	assert_int_equal(count_str(sb.buf, "fillcolor=\"#eeeeee\""), 3);
	assert_non_null(strstr(sb.buf, "\ts0 -> f2;\n"));
	assert_non_null(strstr(sb.buf, "\tf3 -> s1;\n"));
	json_decref(g);

	/* quotes, backslashes and newlines in a command stay inside the label */
	strbuf_reset(&sb);
	rec = json_object_get(fx.records, ID_C);
	json_object_set_new(rec, "command", json_string("echo \"a\\b\"\nx"));
	g = walk("habitat.tif", 1);
	assert_int_equal(provenance_render_dot(&sb, g), 0);
	assert_non_null(strstr(sb.buf, "label=\"7c1e2a3b\\necho \\\"a\\\\b\\\"...\"]"));
	strbuf_release(&sb);
	json_decref(g);
	fixture_release(&fx);
	assert_int_equal(fixture_load(&fx, CAIRN_TEST_DATA "/lineage"), 0);
}

/* ---- report --------------------------------------------------------------- */

/* The HTML page: every text from a record escaped, the sections linked. */
static void test_html(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct provenance_report_opts o = { 0 };
	json_t *rec = json_object_get(fx.records, ID_C), *g;
	(void)state;

	json_object_set_new(rec, "command", json_string("echo '</pre><script>alert(1)</script>'"));
	json_object_set_new(json_object_get(rec, "tags"), "<img src=x>", json_string("\"&'"));
	g = walk("habitat.tif", 0);
	o.svg_note = "<no graph>";
	assert_int_equal(provenance_render_html(&sb, g, &o), 0);
	assert_int_equal(strncmp(sb.buf, "<!DOCTYPE html>", 15), 0);
	assert_null(strstr(sb.buf, "<script"));
	assert_null(strstr(sb.buf, "<img src=x"));
	assert_null(strstr(sb.buf, "<no graph>"));
	assert_non_null(strstr(sb.buf, "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(sb.buf, "&lt;img src=x&gt;=&quot;&amp;&#39;"));
	assert_non_null(strstr(sb.buf, "id=\"step-" ID_A "\""));
	assert_non_null(strstr(sb.buf, "id=\"step-" ID_C "\""));
	assert_int_equal(count_str(sb.buf, "<section class=\"step"), 3);
	assert_non_null(strstr(sb.buf, "href=\"#step-" ID_A "\""));
	assert_int_equal(count_str(sb.buf, "id=\"file-"), 7);
	assert_null(strstr(sb.buf, "http"));
	strbuf_release(&sb);
	json_decref(g);
	fixture_release(&fx);
	assert_int_equal(fixture_load(&fx, CAIRN_TEST_DATA "/lineage"), 0);
}

/* A session's graph, drawn with links; the script the shell read left out. */
static void test_session_graph(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *recs = json_array(), *g = NULL, *b;
	(void)state;

	b = json_deep_copy(json_object_get(fx.records, ID_B));
	json_array_append_new(json_object_get(b, "reads"),
			      json_pack("{s:s, s:s, s:s, s:i, s:s}", "path", "pipeline.sh", "kind",
					"file", "sha256", SHA_DEM, "size", 10, "role", "script"));
	json_array_append(recs, json_object_get(fx.records, ID_A));
	json_array_append_new(recs, b);
	json_array_append(recs, json_object_get(fx.records, ID_C));
	assert_int_equal(provenance_session_graph(&g, recs, "S1"), 0);
	assert_string_equal(lineage__str(g, "session"), "S1");
	assert_string_equal(lineage__str(g, "target_step"), ID_C);
	assert_int_equal(json_array_size(json_object_get(g, "steps")), 3);
	assert_non_null(find_file(g, "habitat.tif"));
	assert_non_null(find_file(g, "raw.tif"));
	assert_null(find_file(g, "pipeline.sh"));
	assert_int_equal(count_edges(g, "generated", ID_B), 2);

	assert_int_equal(
	    provenance_render_dot_flags(&sb, g, PROVENANCE_DOT_LINKS | PROVENANCE_DOT_TOP_DOWN), 0);
	assert_non_null(strstr(sb.buf, "rankdir=TB"));
	assert_non_null(strstr(sb.buf, "label=\"session S1\""));
	assert_non_null(strstr(sb.buf, "URL=\"#step-" ID_A "\""));
	assert_non_null(strstr(sb.buf, "URL=\"#file-0\""));
	/* the plain renderer is as before: no links */
	strbuf_reset(&sb);
	assert_int_equal(provenance_render_dot(&sb, g), 0);
	assert_null(strstr(sb.buf, "URL="));
	strbuf_release(&sb);
	json_decref(g);
	json_decref(recs);
}

/* ---- json ----------------------------------------------------------------- */

static void test_json(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *g = walk("habitat.tif", 0), *back;
	(void)state;

	assert_int_equal(provenance_render_json(&sb, g), 0);
	assert_int_equal(sb.buf[sb.len - 1], '\n');
	back = json_loads(sb.buf, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(back, g));
	json_decref(back);
	strbuf_reset(&sb);
	/* not a graph */
	back = json_pack("{s:s}", "target", "x");
	assert_int_equal(provenance_render_json(&sb, back), CAIRN_ERROR);
	assert_int_equal(provenance_render_tree(&sb, back, 0), CAIRN_ERROR);
	assert_int_equal(provenance_render_dot(&sb, back), CAIRN_ERROR);
	assert_int_equal(provenance_render_prov(&sb, back), CAIRN_ERROR);
	assert_int_equal(provenance_render_rocrate(&sb, back), CAIRN_ERROR);
	assert_int_equal(sb.len, 0);
	json_decref(back);
	strbuf_release(&sb);
	json_decref(g);
}

/* ---- PROV-JSON ------------------------------------------------------------ */

static json_t *render(int (*fn)(struct strbuf *, const json_t *), const json_t *g)
{
	struct strbuf sb = STRBUF_INIT;
	json_error_t jerr;
	json_t *doc;
	assert_int_equal(fn(&sb, g), 0);
	doc = json_loads(sb.buf, 0, &jerr);
	if (!doc)
		fail_msg("not JSON: %s", jerr.text);
	strbuf_release(&sb);
	return doc;
}

/* The relations of KIND in DOC whose member A is VA (NULL: any). */
static size_t count_rel(const json_t *doc, const char *kind, const char *a, const char *va)
{
	const char *k;
	json_t *r;
	size_t n = 0;
	json_object_foreach(json_object_get(doc, kind), k, r)
	{
		if (!va || !strcmp(lineage__str(r, a), va))
			n++;
	}
	return n;
}

/* The relations of KIND in DOC with A = VA and B = VB. */
static size_t count_rel2(const json_t *doc, const char *kind, const char *a, const char *va,
			 const char *b, const char *vb)
{
	const char *k;
	json_t *r;
	size_t n = 0;
	json_object_foreach(json_object_get(doc, kind), k, r)
	{
		if (!strcmp(lineage__str(r, a), va) && !strcmp(lineage__str(r, b), vb))
			n++;
	}
	return n;
}

static void test_prov(void **state)
{
	json_t *g = walk("habitat.tif", 0);
	json_t *doc = render(provenance_render_prov, g), *ent, *act, *ag;
	(void)state;

	assert_string_equal(lineage__str(json_object_get(doc, "prefix"), "cairn"), "urn:cairn:");
	assert_string_equal(lineage__str(json_object_get(doc, "prefix"), "file"),
			    "urn:cairn:file:");
	assert_int_equal(json_object_size(json_object_get(doc, "entity")), 7);
	ent = json_object_get(json_object_get(doc, "entity"), "file:dem.tif@" SHA_DEM);
	assert_non_null(ent);
	assert_string_equal(lineage__str(ent, "prov:label"), "dem.tif");
	assert_string_equal(lineage__str(ent, "cairn:sha256"), SHA_DEM);
	assert_int_equal(lineage__int(ent, "cairn:size", 0), 50430);
	assert_string_equal(lineage__str(json_object_get(ent, "prov:type"), "$"), "cairn:File");
	ent = json_object_get(json_object_get(doc, "entity"),
			      "file:/tmp/slope-params.json@"
			      "5233c0cef40c1ea6bcff59ce40d0975642c3b129afd5c81fa0260da4e4f9b498");
	assert_non_null(ent);

	act = json_object_get(json_object_get(doc, "activity"), "step:" ID_B);
	assert_non_null(act);
	assert_string_equal(lineage__str(act, "prov:startTime"), "2026-12-02T13:30:00.400Z");
	assert_string_equal(lineage__str(act, "prov:endTime"), "2026-12-02T13:30:01.150Z");
	assert_string_equal(lineage__str(act, "prov:label"), "python3 slope.py dem.tif slope.tif");

	ag = json_object_get(json_object_get(doc, "agent"), "agent:cairn");
	assert_non_null(ag);
	assert_string_equal(lineage__str(json_object_get(ag, "prov:type"), "$"),
			    "prov:SoftwareAgent");
	assert_string_equal(lineage__str(ag, "cairn:version"), lineage__str(g, "cairn_version"));
	assert_non_null(json_object_get(json_object_get(doc, "agent"), "agent:user/ana"));

	assert_int_equal(count_rel(doc, "used", "prov:activity", NULL), 6);
	assert_int_equal(count_rel(doc, "used", "prov:activity", "step:" ID_B), 3);
	assert_int_equal(count_rel2(doc, "used", "prov:activity", "step:" ID_C, "prov:entity",
				    "file:dem.tif@" SHA_DEM),
			 1);
	assert_int_equal(count_rel(doc, "wasGeneratedBy", "prov:activity", "step:" ID_B), 2);
	assert_int_equal(count_rel2(doc, "wasGeneratedBy", "prov:entity",
				    "file:habitat.tif@" SHA_HABITAT, "prov:activity", "step:" ID_C),
			 1);
	assert_int_equal(count_rel2(doc, "wasDerivedFrom", "prov:generatedEntity",
				    "file:habitat.tif@" SHA_HABITAT, "prov:usedEntity",
				    "file:dem.tif@" SHA_DEM),
			 1);
	assert_int_equal(count_rel2(doc, "wasInformedBy", "prov:informed", "step:" ID_B,
				    "prov:informant", "step:" ID_A),
			 1);
	assert_int_equal(count_rel(doc, "wasDerivedFrom", "prov:generatedEntity",
				   "file:habitat.tif@" SHA_HABITAT),
			 2);
	assert_int_equal(count_rel(doc, "wasDerivedFrom", "prov:activity", NULL), 9);
	assert_int_equal(count_rel(doc, "wasInformedBy", "prov:informed", "step:" ID_C), 2);
	assert_int_equal(count_rel(doc, "wasInformedBy", "prov:informant", "step:" ID_A), 2);
	assert_int_equal(count_rel(doc, "wasAssociatedWith", "prov:agent", "agent:cairn"), 3);
	assert_int_equal(count_rel(doc, "wasAssociatedWith", "prov:agent", "agent:user/ana"), 3);
	assert_int_equal(count_rel(doc, "actedOnBehalfOf", "prov:delegate", "agent:cairn"), 1);
	json_decref(doc);
	json_decref(g);

	/* beyond the depth, a producer is named on the entity only */
	g = walk("habitat.tif", 1);
	doc = render(provenance_render_prov, g);
	ent = json_object_get(json_object_get(doc, "entity"), "file:dem.tif@" SHA_DEM);
	assert_string_equal(lineage__str(ent, "cairn:producer"), ID_A);
	assert_int_equal(json_object_size(json_object_get(doc, "activity")), 1);
	assert_null(json_object_get(doc, "wasInformedBy"));
	json_decref(doc);
	json_decref(g);
}

/* ---- RO-Crate -------------------------------------------------------------- */

static json_t *crate_get(const json_t *doc, const char *id)
{
	json_t *e;
	size_t i;
	json_array_foreach(json_object_get(doc, "@graph"), i, e)
	{
		if (!strcmp(lineage__str(e, "@id"), id))
			return e;
	}
	return NULL;
}

static const char *ref_at(const json_t *e, const char *prop, size_t i)
{
	json_t *v = json_object_get(e, prop);
	if (json_is_object(v))
		return i ? NULL : lineage__str(v, "@id");
	return lineage__str(json_array_get(v, i), "@id");
}

static int has_type(const json_t *e, const char *type)
{
	json_t *t = json_object_get(e, "@type"), *x;
	size_t i;
	if (json_is_string(t))
		return !strcmp(json_string_value(t), type);
	json_array_foreach(t, i, x)
	{
		if (!strcmp(json_string_value(x), type))
			return 1;
	}
	return 0;
}

static void test_rocrate(void **state)
{
	json_t *g = walk("habitat.tif", 0);
	json_t *doc = render(provenance_render_rocrate, g), *e, *root, *wf, *act, *org;
	(void)state;

	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "@context"), 0)),
			    "https://w3id.org/ro/crate/1.1/context");
	e = crate_get(doc, "ro-crate-metadata.json");
	assert_non_null(e);
	assert_string_equal(ref_at(e, "conformsTo", 0), "https://w3id.org/ro/crate/1.1");
	assert_string_equal(ref_at(e, "about", 0), "./");

	root = crate_get(doc, "./");
	assert_true(has_type(root, "Dataset"));
	assert_string_equal(ref_at(root, "conformsTo", 0), "https://w3id.org/ro/wfrun/process/0.5");
	assert_string_equal(ref_at(root, "conformsTo", 1),
			    "https://w3id.org/ro/wfrun/workflow/0.5");
	assert_string_equal(ref_at(root, "conformsTo", 2),
			    "https://w3id.org/ro/wfrun/provenance/0.5");
	assert_string_equal(ref_at(root, "mentions", 0), "#run");
	assert_string_equal(ref_at(root, "mentions", 1), "#step-" ID_C);
	assert_null(ref_at(root, "mentions", 4));

	/* all steps came from pipeline.sh: it is the workflow */
	assert_string_equal(ref_at(root, "mainEntity", 0), "pipeline.sh");
	wf = crate_get(doc, "pipeline.sh");
	assert_true(has_type(wf, "File") && has_type(wf, "ComputationalWorkflow") &&
		    has_type(wf, "HowTo") && has_type(wf, "SoftwareSourceCode"));

	act = crate_get(doc, "#step-" ID_C);
	assert_true(has_type(act, "CreateAction"));
	assert_string_equal(lineage__str(act, "identifier"), ID_C);
	assert_string_equal(ref_at(act, "instrument", 0), "#program-gdal_calc.py");
	assert_string_equal(ref_at(act, "object", 0), "dem.tif");
	assert_string_equal(ref_at(act, "object", 1), "slope.tif");
	assert_string_equal(ref_at(act, "result", 0), "habitat.tif");
	assert_string_equal(lineage__str(act, "startTime"), "2026-12-02T13:30:01.200Z");
	assert_string_equal(lineage__str(act, "endTime"), "2026-12-02T13:30:01.900Z");
	assert_string_equal(ref_at(act, "actionStatus", 0),
			    "http://schema.org/CompletedActionStatus");
	assert_string_equal(ref_at(act, "agent", 0), "#user-ana");
	assert_true(has_type(crate_get(doc, "#user-ana"), "Person"));
	/* the interpreter's script is the program; B's is slope.py */
	assert_string_equal(ref_at(crate_get(doc, "#step-" ID_B), "instrument", 0),
			    "#program-slope.py");
	assert_string_equal(ref_at(crate_get(doc, "#step-" ID_A), "instrument", 0),
			    "#program-gdal_translate");
	e = crate_get(doc, "#program-gdal_translate");
	assert_true(has_type(e, "SoftwareApplication"));
	assert_string_equal(lineage__str(e, "identifier"), "/usr/bin/gdal_translate");

	e = crate_get(doc, "dem.tif");
	assert_true(has_type(e, "File"));
	assert_string_equal(lineage__str(e, "sha256"), SHA_DEM);
	assert_string_equal(lineage__str(e, "contentSize"), "50430");
	assert_string_equal(lineage__str(e, "description"), "GTiff 111x111 Float32 EPSG:32725");
	assert_true(has_type(crate_get(doc, "slope.py"), "SoftwareSourceCode"));
	assert_non_null(crate_get(doc, "file:///tmp/slope-params.json"));

	/* step order: A ran first */
	assert_string_equal(lineage__str(crate_get(doc, "#howto-" ID_A), "position"), "0");
	assert_string_equal(lineage__str(crate_get(doc, "#howto-" ID_B), "position"), "1");
	assert_string_equal(lineage__str(crate_get(doc, "#howto-" ID_C), "position"), "2");
	e = crate_get(doc, "#control-" ID_C);
	assert_string_equal(ref_at(e, "instrument", 0), "#howto-" ID_C);
	assert_string_equal(ref_at(e, "object", 0), "#step-" ID_C);

	org = crate_get(doc, "#cairn-run");
	assert_true(has_type(org, "OrganizeAction"));
	assert_string_equal(ref_at(org, "instrument", 0), "#cairn");
	assert_string_equal(ref_at(org, "result", 0), "#run");
	assert_string_equal(ref_at(org, "object", 2), "#control-" ID_B);
	assert_string_equal(lineage__str(crate_get(doc, "#cairn"), "name"), "cairn");

	e = crate_get(doc, "#run");
	assert_string_equal(ref_at(e, "instrument", 0), "pipeline.sh");
	assert_string_equal(ref_at(e, "result", 0), "habitat.tif");
	/* the run's inputs: what no step of the graph produced */
	assert_string_equal(ref_at(e, "object", 0), "raw.tif");
	assert_string_equal(ref_at(e, "object", 1), "file:///tmp/slope-params.json");
	assert_string_equal(ref_at(e, "object", 2), "slope.py");
	assert_null(ref_at(e, "object", 3));
	assert_string_equal(lineage__str(e, "startTime"), "2026-12-02T13:30:00.120Z");
	assert_string_equal(lineage__str(e, "endTime"), "2026-12-02T13:30:01.900Z");
	json_decref(doc);
	json_decref(g);
}

/* Two versions of one path: the newer keeps the plain @id. */
static void test_rocrate_versions(void **state)
{
	struct fixture c;
	json_t *x, *y, *g = NULL, *doc;
	(void)state;

	fixture_load(&c, "/nonexistent");
	x = json_pack("{s:s, s:s, s:s, s:s, s:i, s:[], s:[{s:s, s:s, s:i, s:s}]}", "id",
		      "11111111111111111111111111111111", "command", "echo 1 > a", "started",
		      "2026-01-01T00:00:00.000Z", "finished", "2026-01-01T00:00:01.000Z",
		      "exit_status", 0, "reads", "writes", "path", "a b#c", "sha256", "a1", "size",
		      2, "kind", "file");
	y = json_pack("{s:s, s:s, s:s, s:s, s:i, s:[{s:s, s:s, s:i, s:s, s:s}], s:[{s:s, s:s, "
		      "s:i, s:s}]}",
		      "id", "22222222222222222222222222222222", "command", "sed -i s/1/2/ a",
		      "started", "2026-01-01T00:00:02.000Z", "finished", "2026-01-01T00:00:03.000Z",
		      "exit_status", 0, "reads", "path", "a b#c", "sha256", "a1", "size", 2, "kind",
		      "file", "producer", "11111111111111111111111111111111", "writes", "path",
		      "a b#c", "sha256", "a2", "size", 2, "kind", "file");
	fixture_add(&c, x);
	fixture_add(&c, y);
	assert_int_equal(provenance_lineage_walk(&g, &c.src, "a b#c", 0), 0);
	doc = render(provenance_render_rocrate, g);
	assert_string_equal(lineage__str(crate_get(doc, "a%20b%23c"), "sha256"), "a2");
	assert_string_equal(lineage__str(crate_get(doc, "#a%20b%23c@a1"), "sha256"), "a1");
	/* steps without a script: the lineage is a contextual workflow */
	assert_string_equal(ref_at(crate_get(doc, "./"), "mainEntity", 0), "#lineage");
	assert_false(has_type(crate_get(doc, "#lineage"), "File"));
	json_decref(doc);
	json_decref(g);
	json_decref(x);
	json_decref(y);
	fixture_release(&c);
}

/* ---- helpers ---------------------------------------------------------------- */

static void test_helpers(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;

	lineage__human_size(&sb, 0);
	assert_string_equal(sb.buf, "0 B");
	strbuf_reset(&sb);
	lineage__human_size(&sb, 1023);
	assert_string_equal(sb.buf, "1023 B");
	strbuf_reset(&sb);
	lineage__human_size(&sb, 1536);
	assert_string_equal(sb.buf, "1.5 KiB");
	strbuf_reset(&sb);
	lineage__human_size(&sb, 3LL << 30);
	assert_string_equal(sb.buf, "3.0 GiB");
	strbuf_reset(&sb);

	lineage__short_command(&sb, "abc", 5);
	assert_string_equal(sb.buf, "abc");
	strbuf_reset(&sb);
	lineage__short_command(&sb, "abcdefgh", 5);
	assert_string_equal(sb.buf, "ab...");
	strbuf_reset(&sb);
	lineage__short_command(&sb, "abcde", 5);
	assert_string_equal(sb.buf, "abcde");
	strbuf_reset(&sb);
	lineage__short_command(&sb, "for f in *\ndo x\ndone", 40);
	assert_string_equal(sb.buf, "for f in *...");
	strbuf_reset(&sb);
	/* characters, not bytes: no cut inside a UTF-8 sequence */
	lineage__short_command(&sb, "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", 5);
	assert_string_equal(sb.buf, "\u00e9\u00e9...");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_full),
		cmocka_unit_test(test_walk_depth),
		cmocka_unit_test(test_walk_missing_producer),
		cmocka_unit_test(test_walk_errors),
		cmocka_unit_test(test_walk_cycle),
		cmocka_unit_test(test_tree_ascii),
		cmocka_unit_test(test_tree_utf8_color),
		cmocka_unit_test(test_tree_failed_cached),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_session_graph),
		cmocka_unit_test(test_prov),
		cmocka_unit_test(test_rocrate),
		cmocka_unit_test(test_rocrate_versions),
		cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
