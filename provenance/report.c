/*
 * report.c - a lineage or session graph as one self-contained HTML page
 * (`cairn report`, docs/report.md).
 *
 * Everything a record holds (paths, commands, tags, format summaries)
 * reaches the page through html_escape() only: a file named <script> is
 * text.  The page fetches nothing: its style is inline, its graph an
 * inline SVG, its thumbnails data: URIs, and it has no script.
 */
#include "lineage-int.h"

#include <stdlib.h>
#include <string.h>

/* Append S with the five characters that HTML gives a meaning escaped. */
static void html_escape(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			strbuf_addstr(out, "&amp;");
			break;
		case '<':
			strbuf_addstr(out, "&lt;");
			break;
		case '>':
			strbuf_addstr(out, "&gt;");
			break;
		case '"':
			strbuf_addstr(out, "&quot;");
			break;
		case '\'':
			strbuf_addstr(out, "&#39;");
			break;
		default:
			strbuf_addch(out, *s);
			break;
		}
	}
}

/* Is S a step id of the store's form (hex), fit for an HTML id? */
static int hex_id(const char *s)
{
	return s && *s && strspn(s, "0123456789abcdef") == strlen(s);
}

/* An RFC 3339 time as "2026-12-02 13:30:00 UTC". */
static void add_time(struct strbuf *out, const char *t)
{
	size_t n;

	if (!t) {
		strbuf_addstr(out, "?");
		return;
	}
	n = strcspn(t, ".Z+");
	if (n > 19)
		n = 19;
	for (size_t i = 0; i < n; i++)
		strbuf_addch(out, t[i] == 'T' ? ' ' : t[i]);
	if (strchr(t, 'Z'))
		strbuf_addstr(out, " UTC");
}

static double num(const json_t *obj, const char *key)
{
	json_t *x = json_object_get(obj, key);
	return json_is_number(x) ? json_number_value(x) : 0.0;
}

static void add_seconds(struct strbuf *out, double s)
{
	if (s < 60)
		strbuf_addf(out, "%.2f s", s);
	else if (s < 3600)
		strbuf_addf(out, "%dm %02ds", (int)s / 60, (int)s % 60);
	else
		strbuf_addf(out, "%dh %02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

static int is_cached(const json_t *rec)
{
	return json_is_true(json_object_get(rec, "cached"));
}

static int failed(const json_t *rec)
{
	return lineage__int(rec, "exit_status", -1) != 0 ||
	    json_is_true(json_object_get(rec, "interrupted"));
}

/* A link to step ID's section when it is on the page, else its short id. */
static void step_ref(struct strbuf *out, struct lineage_view *v, const char *id)
{
	if (!id) {
		strbuf_addstr(out, "&mdash;");
	} else if (hex_id(id) && json_object_get(v->step_by_id, id)) {
		strbuf_addf(out, "<a class=\"id\" href=\"#step-%s\">%.8s</a>", id, id);
	} else {
		strbuf_addstr(out, "<span class=\"id\">");
		html_escape(out, id);
		strbuf_addstr(out, "</span> <span class=\"dim\">(not on this page)</span>");
	}
}

/*
 * Per file version (by lineage__file_key()): {"i": its index in the
 * graph's files, for its #file-N anchor; "readers": [ids of the steps on
 * the page that read it]}.  Built once: a 1,000-step page asks often.
 */
static json_t *file_index(struct lineage_view *v)
{
	struct strbuf key = STRBUF_INIT;
	json_t *idx = json_object(), *x, *e;
	size_t i, k;

	json_array_foreach(v->files, i, x)
	{
		lineage__file_key(&key, lineage__str(x, "path"), lineage__str(x, "sha256"));
		json_object_set_new(idx, key.buf,
				    json_pack("{s:I, s:[]}", "i", (json_int_t)i, "readers"));
	}
	json_array_foreach(v->steps, i, x)
	{
		const char *id = lineage__str(x, "id");
		json_array_foreach(json_object_get(v->used_by_step, id ? id : ""), k, e)
		{
			json_t *ent;
			lineage__file_key(&key, lineage__str(e, "path"), lineage__str(e, "sha256"));
			ent = json_object_get(idx, key.buf);
			if (ent)
				json_array_append_new(json_object_get(ent, "readers"),
						      json_string(id));
		}
	}
	strbuf_release(&key);
	return idx;
}

static json_t *file_entry(json_t *idx, const char *path, const char *sha)
{
	struct strbuf key = STRBUF_INIT;
	json_t *ent;
	lineage__file_key(&key, path, sha);
	ent = json_object_get(idx, key.buf);
	strbuf_release(&key);
	return ent;
}

/* Links to the steps on the page that read a file version (ENT). */
static void readers(struct strbuf *out, struct lineage_view *v, const json_t *ent)
{
	json_t *r;
	size_t i, n = 0;
	json_array_foreach(json_object_get(ent, "readers"), i, r)
	{
		strbuf_addstr(out, n++ ? ", " : "");
		step_ref(out, v, json_string_value(r));
	}
	if (!n)
		strbuf_addstr(out, "&mdash;");
}

static const char style[] =
    "<style>\n"
    ":root{--fg:#1d2330;--dim:#6b7280;--line:#e2e5ea;--bg:#f6f7f9;--accent:#2657a6;"
    "--ok:#2f7d32;--bad:#b3261e;--hit:#e3f2e1}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "color:var(--fg);background:var(--bg)}\n"
    "header{background:#1d2330;color:#fff;padding:18px 28px}\n"
    "header h1{margin:0;font-size:20px;font-weight:600;word-break:break-all}\n"
    "header .sub{color:#b8c0cc;font-size:12px;margin-top:4px}\n"
    "main{max-width:1200px;margin:0 auto;padding:18px 28px 60px}\n"
    "h2{font-size:16px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:6px}\n"
    ".card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px;"
    "min-width:120px}\n"
    ".card b{display:block;font-size:20px}.card span{color:var(--dim);font-size:12px}\n"
    ".graph{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px;"
    "overflow:auto;max-height:85vh}\n"
    ".graph svg{max-width:100%;height:auto}\n"
    ".graph a:hover text{fill:var(--accent)}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}\n"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}\n"
    "th{background:#eef0f3;font-weight:600;font-size:12px}\n"
    "td.n{text-align:right;white-space:nowrap}\n"
    "code,pre,.id{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;"
    "font-size:12.5px}\n"
    "pre{background:#f2f4f7;border:1px solid var(--line);border-radius:6px;padding:8px 10px;"
    "overflow:auto;white-space:pre-wrap;word-break:break-all;margin:6px 0}\n"
    "a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}\n"
    ".step{background:#fff;border:1px solid var(--line);border-left:4px solid var(--ok);"
    "border-radius:8px;padding:10px 16px;margin:12px 0;content-visibility:auto;"
    "contain-intrinsic-size:auto 320px}\n"
    ".step.cached{border-left-color:#7cb342}.step.failed{border-left-color:var(--bad)}\n"
    ".step h3{margin:0 0 4px;font-size:14px}\n"
    ".step:target{outline:3px solid #f5c542}tr:target td{background:#fff3c4}\n"
    "table.ft{table-layout:fixed}td code{word-break:break-all}.step table{margin-top:8px}\n"
    ".ft5 th:nth-child(1){width:34%}.ft5 th:nth-child(2){width:13%}.ft5 th:nth-child(3)"
    "{width:9%}.ft5 th:nth-child(4){width:28%}\n"
    ".ft6 th:nth-child(1){width:30%}.ft6 th:nth-child(2){width:12%}.ft6 th:nth-child(3)"
    "{width:8%}.ft6 th:nth-child(4){width:24%}.ft6 th:nth-child(5){width:13%}\n"
    ".kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}\n"
    ".kv dt{color:var(--dim)}.kv dd{margin:0}\n"
    ".badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;"
    "font-weight:600;margin-left:6px;vertical-align:1px}\n"
    ".badge.ok{background:#e6f1e7;color:var(--ok)}.badge.bad{background:#fbe9e7;"
    "color:var(--bad)}.badge.hit{background:var(--hit);color:#33691e}\n"
    ".dim{color:var(--dim)}\n"
    ".diff .add{color:#1a7f37}.diff .del{color:var(--bad)}.diff .hunk{color:#8250df}\n"
    "img.thumb{max-width:160px;max-height:160px;border:1px solid var(--line);"
    "image-rendering:pixelated;display:block;margin-top:4px}\n"
    "details summary{cursor:pointer;color:var(--accent)}\n"
    "footer{color:var(--dim);font-size:12px;margin-top:40px}\n"
    "</style>\n";

/* A table of a step's inputs (USED) or outputs. */
static void file_rows(struct strbuf *out, struct lineage_view *v, json_t *idx, const json_t *edges,
		      int outputs, const struct provenance_report_opts *o)
{
	json_t *e;
	size_t i;

	if (!json_array_size(edges)) {
		strbuf_addf(out, "<p class=\"dim\">no %s</p>\n", outputs ? "outputs" : "inputs");
		return;
	}
	strbuf_addf(out,
		    "<table class=\"ft ft5\"><tr><th>%s</th><th>sha256</th><th>size</th>"
		    "<th>format</th><th>%s</th></tr>\n",
		    outputs ? "output" : "input", outputs ? "read by" : "made by");
	json_array_foreach(edges, i, e)
	{
		json_t *f = lineage__edge_file(v, e);
		const char *path = lineage__str(e, "path");
		const char *sha = lineage__str(e, "sha256");
		const char *fmt = f ? lineage__str(f, "format") : NULL;
		json_t *size = f ? json_object_get(f, "size") : NULL;
		json_t *ent = file_entry(idx, path, sha);
		long fi = ent ? (long)lineage__int(ent, "i", -1) : -1;

		strbuf_addstr(out, "<tr><td>");
		if (fi >= 0)
			strbuf_addf(out, "<a href=\"#file-%ld\"><code>", fi);
		else
			strbuf_addstr(out, "<code>");
		html_escape(out, path);
		strbuf_addstr(out, fi >= 0 ? "</code></a>" : "</code>");
		if (f && !strcmp(lineage__str(f, "role") ? lineage__str(f, "role") : "", "code"))
			strbuf_addstr(out, " <span class=\"dim\">(code)</span>");
		strbuf_addstr(out, "</td><td class=\"id\">");
		if (sha)
			strbuf_addf(out, "%.12s", hex_id(sha) ? sha : "?");
		strbuf_addstr(out, "</td><td class=\"n\">");
		if (json_is_integer(size))
			lineage__human_size(out, (long long)json_integer_value(size));
		strbuf_addstr(out, "</td><td>");
		html_escape(out, fmt);
		if (outputs && f && fmt && o && o->thumbnail) {
			struct strbuf uri = STRBUF_INIT;
			if (o->thumbnail(&uri, f, o->payload) == 0 && uri.len &&
			    !strncmp(uri.buf, "data:image/png;base64,", 22)) {
				strbuf_addstr(out, "<img class=\"thumb\" alt=\"thumbnail of ");
				html_escape(out, path);
				strbuf_addstr(out, "\" src=\"");
				html_escape(out, uri.buf);
				strbuf_addstr(out, "\">");
			}
			strbuf_release(&uri);
		}
		strbuf_addstr(out, "</td><td>");
		if (!outputs) {
			step_ref(out, v, f ? lineage__str(f, "producer") : NULL);
			if (f && !lineage__str(f, "producer"))
				strbuf_addstr(out, " <span class=\"dim\">raw input</span>");
		} else {
			readers(out, v, ent);
		}
		strbuf_addstr(out, "</td></tr>\n");
	}
	strbuf_addstr(out, "</table>\n");
}

/* The style of a line of a unified diff. */
static const char *diff_class(const char *line)
{
	if (!strncmp(line, "---", 3) || !strncmp(line, "+++", 3))
		return "dim";
	if (*line == '@')
		return "hunk";
	if (*line == '+')
		return "add";
	return *line == '-' ? "del" : NULL;
}

/* A unified diff, coloured line by line. */
static void add_diff(struct strbuf *out, const char *diff)
{
	const char *p = diff;

	strbuf_addstr(out, "<pre class=\"diff\">");
	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);
		const char *cls = diff_class(p);
		if (cls)
			strbuf_addf(out, "<span class=\"%s\">", cls);
		html_escape(out, line);
		if (cls)
			strbuf_addstr(out, "</span>");
		strbuf_addch(out, '\n');
		free(line);
		p += n;
		if (*p)
			p++;
	}
	strbuf_addstr(out, "</pre>\n");
}

/*
 * The code files of REC, and a diff against the version an earlier step
 * on the page ran (PREV: {path: {sha256, step}}, updated).
 */
static void code_section(struct strbuf *out, const json_t *rec, json_t *prev,
			 const struct provenance_report_opts *o)
{
	json_t *code = json_object_get(rec, "code"), *c;
	const char *id = lineage__str(rec, "id");
	size_t i;

	if (!json_array_size(code))
		return;
	strbuf_addstr(out, "<dt>code</dt><dd>");
	json_array_foreach(code, i, c)
	{
		const char *path = lineage__str(c, "path");
		const char *sha = lineage__str(c, "sha256");
		const char *state = lineage__str(c, "git_state");
		json_t *before;
		const char *old_sha, *old_step;

		if (!path || !sha)
			continue;
		strbuf_addstr(out, "<div><code>");
		html_escape(out, path);
		strbuf_addf(out, "</code> @ <span class=\"id\">%.8s</span>",
			    hex_id(sha) ? sha : "?");
		if (state && strcmp(state, "clean")) {
			strbuf_addstr(out, " <span class=\"dim\">(git: ");
			html_escape(out, state);
			strbuf_addstr(out, ")</span>");
		}
		before = json_object_get(prev, path);
		old_sha = lineage__str(before, "sha256");
		old_step = lineage__str(before, "step");
		if (!before && o && o->code_before) {
			/* Not run earlier on the page: the version the step
			 * before it in the store ran, once per path. */
			char bid[PROV_REPORT_ID_MAX], bsha[PROV_REPORT_ID_MAX];
			if (o->code_before(bid, bsha, rec, path, o->payload) == 0)
				before = json_pack("{s:s, s:s}", "sha256", bsha, "step", bid);
			else
				before = json_object();
			json_object_set_new(prev, path, before);
			old_sha = lineage__str(before, "sha256");
			old_step = lineage__str(before, "step");
		}
		if (hex_id(old_sha) && strcmp(old_sha, sha)) {
			struct strbuf d = STRBUF_INIT;
			strbuf_addf(out,
				    " <span class=\"badge bad\">changed</span> <span "
				    "class=\"dim\">(was %.8s)</span>",
				    old_sha);
			if (o && o->code_diff &&
			    o->code_diff(&d, old_step, old_sha, id, path, o->payload) == 0 &&
			    d.len) {
				strbuf_addf(out,
					    "<details open><summary>diff against %.8s</summary>",
					    old_sha);
				add_diff(out, d.buf);
				strbuf_addstr(out, "</details>");
			}
			strbuf_release(&d);
		}
		strbuf_addstr(out, "</div>");
		json_object_set_new(prev, path,
				    json_pack("{s:s, s:s}", "sha256", sha, "step", id ? id : ""));
	}
	strbuf_addstr(out, "</dd>\n");
}

static void step_section(struct strbuf *out, struct lineage_view *v, json_t *idx, const json_t *rec,
			 json_t *prev_code, const struct provenance_report_opts *o)
{
	const char *id = lineage__str(rec, "id");
	const char *cmd = lineage__str(rec, "command");
	json_t *res = json_object_get(rec, "resources");
	json_t *tags = json_object_get(rec, "tags");
	struct strbuf prog = STRBUF_INIT;
	const char *exe = NULL, *exe_sha = NULL;

	if (!hex_id(id))
		return;
	strbuf_addf(out, "<section class=\"step%s\" id=\"step-%s\">\n",
		    failed(rec)		 ? " failed"
			: is_cached(rec) ? " cached"
					 : "",
		    id);
	strbuf_addf(out, "<h3>step <span class=\"id\">%.8s</span>", id);
	if (json_is_integer(json_object_get(rec, "seq")))
		strbuf_addf(out, " <span class=\"dim\">#%lld</span>", lineage__int(rec, "seq", 0));
	if (failed(rec))
		strbuf_addf(out, "<span class=\"badge bad\">exit %lld</span>",
			    lineage__int(rec, "exit_status", -1));
	else
		strbuf_addstr(out, "<span class=\"badge ok\">exit 0</span>");
	if (is_cached(rec))
		strbuf_addstr(out, "<span class=\"badge hit\">cache hit</span>");
	strbuf_addstr(out, "</h3>\n<pre class=\"cmd\">");
	html_escape(out, cmd);
	strbuf_addstr(out, "</pre>\n<dl class=\"kv\">\n");

	strbuf_addstr(out, "<dt>ran</dt><dd>");
	add_time(out, lineage__str(rec, "started"));
	strbuf_addstr(out, " &rarr; ");
	add_time(out, lineage__str(rec, "finished"));
	strbuf_addstr(out, "</dd>\n");
	if (json_is_object(res) && is_cached(rec)) {
		/* A hit's resources are those of serving it. */
		strbuf_addstr(out, "<dt>resources</dt><dd>served in ");
		add_seconds(out, num(res, "wall_s"));
		strbuf_addstr(out, "</dd>\n");
	} else if (json_is_object(res)) {
		strbuf_addstr(out, "<dt>resources</dt><dd>wall ");
		add_seconds(out, num(res, "wall_s"));
		strbuf_addstr(out, ", cpu ");
		add_seconds(out, num(res, "cpu_user_s") + num(res, "cpu_sys_s"));
		strbuf_addstr(out, ", max RSS ");
		lineage__human_size(out, lineage__int(res, "max_rss_kb", 0) * 1024);
		strbuf_addstr(out, ", read ");
		lineage__human_size(out, lineage__int(res, "read_bytes", 0));
		strbuf_addstr(out, ", written ");
		lineage__human_size(out, lineage__int(res, "write_bytes", 0));
		if (json_is_number(json_object_get(res, "energy_j"))) {
			const char *m = lineage__str(res, "energy_model");
			strbuf_addf(out, ", energy %.1f J (%s)", num(res, "energy_j"),
				    m && !strncmp(m, "rapl", 4) ? "RAPL, the machine's"
								: "a model");
		}
		strbuf_addstr(out, "</dd>\n");
	}
	strbuf_addstr(out, "<dt>cache</dt><dd>");
	if (is_cached(rec)) {
		strbuf_addstr(out, "served from step ");
		step_ref(out, v, lineage__str(rec, "from_step"));
		strbuf_addstr(out, ", saved ");
		add_seconds(out, num(rec, "saved_wall_s"));
		strbuf_addstr(out, " wall (");
		add_seconds(out, num(rec, "saved_cpu_s"));
		strbuf_addstr(out, " cpu)");
	} else {
		json_t *cache = json_object_get(rec, "cache");
		const char *lookup = lineage__str(cache, "lookup");
		const char *off = lineage__str(cache, "off");
		strbuf_addstr(out, "ran");
		if (lookup) {
			strbuf_addstr(out, " <span class=\"dim\">(lookup: ");
			html_escape(out, lookup);
			if (off) {
				strbuf_addstr(out, ", ");
				html_escape(out, off);
			}
			strbuf_addstr(out, ")</span>");
		}
	}
	strbuf_addstr(out, "</dd>\n");
	lineage__main_program(&prog, rec, &exe, &exe_sha);
	if (prog.len) {
		strbuf_addstr(out, "<dt>program</dt><dd><code>");
		html_escape(out, prog.buf);
		strbuf_addstr(out, "</code>");
		if (exe && strcmp(exe, prog.buf)) {
			strbuf_addstr(out, " <span class=\"dim\">");
			html_escape(out, exe);
			if (hex_id(exe_sha))
				strbuf_addf(out, " @ %.8s", exe_sha);
			strbuf_addstr(out, "</span>");
		}
		strbuf_addstr(out, "</dd>\n");
	}
	code_section(out, rec, prev_code, o);
	if (json_object_size(tags)) {
		const char *k;
		json_t *val;
		strbuf_addstr(out, "<dt>tags</dt><dd>");
		json_object_foreach(tags, k, val)
		{
			strbuf_addstr(out, "<code>");
			html_escape(out, k);
			strbuf_addch(out, '=');
			html_escape(out, json_string_value(val));
			strbuf_addstr(out, "</code> ");
		}
		strbuf_addstr(out, "</dd>\n");
	}
	strbuf_addstr(out, "</dl>\n");
	file_rows(out, v, idx, json_object_get(v->used_by_step, id), 0, o);
	file_rows(out, v, idx, json_object_get(v->generated_by_step, id), 1, o);
	strbuf_addstr(out, "</section>\n");
	strbuf_release(&prog);
}

/* The steps in the order they ran (the walk's order is depth-first). */
static int by_start(const void *a, const void *b)
{
	const json_t *ra = *(const json_t *const *)a, *rb = *(const json_t *const *)b;
	const char *sa = lineage__str(ra, "started"), *sb = lineage__str(rb, "started");
	return strcmp(sa ? sa : "", sb ? sb : "");
}

int provenance_render_html(struct strbuf *out, const json_t *graph,
			   const struct provenance_report_opts *o)
{
	struct lineage_view v;
	const char *session = lineage__str(graph, "session");
	json_t **order = NULL, *prev_code = NULL, *idx = NULL, *x;
	double wall = 0, saved = 0, saved_cpu = 0;
	size_t i, n, ncached = 0, nfailed = 0;
	const char *first = NULL, *last = NULL;
	int ret;

	if ((ret = lineage__view_init(&v, graph)) < 0)
		return ret;
	n = json_array_size(v.steps);
	idx = file_index(&v);
	order = xcalloc(n ? n : 1, sizeof(*order));
	json_array_foreach(v.steps, i, x)
	{
		const char *s = lineage__str(x, "started"), *f = lineage__str(x, "finished");
		order[i] = x;
		wall += num(json_object_get(x, "resources"), "wall_s");
		if (is_cached(x)) {
			ncached++;
			saved += num(x, "saved_wall_s");
			saved_cpu += num(x, "saved_cpu_s");
		}
		if (failed(x))
			nfailed++;
		if (s && (!first || strcmp(s, first) < 0))
			first = s;
		if (f && (!last || strcmp(f, last) > 0))
			last = f;
	}
	if (!session)
		qsort(order, n, sizeof(*order), by_start);

	strbuf_addstr(out,
		      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<meta name=\"generator\" content=\"cairn report\">\n<title>");
	strbuf_addstr(out, session ? "cairn report: session " : "cairn report: lineage of ");
	html_escape(out, session ? session : v.target);
	strbuf_addstr(out, "</title>\n");
	strbuf_addstr(out, style);
	strbuf_addstr(out, "</head>\n<body>\n<header><h1>");
	if (session) {
		strbuf_addstr(out, "Session <span class=\"id\">");
		html_escape(out, session);
		strbuf_addstr(out, "</span>");
	} else {
		strbuf_addstr(out, "Lineage of <code>");
		html_escape(out, v.target);
		strbuf_addstr(out, "</code>");
	}
	strbuf_addstr(out, "</h1><div class=\"sub\">");
	if (session && n && lineage__str(json_array_get(v.steps, 0), "script")) {
		strbuf_addstr(out, "script <code>");
		html_escape(out, lineage__str(json_array_get(v.steps, 0), "script"));
		strbuf_addstr(out, "</code> &middot; ");
	}
	if (!session && hex_id(v.target_sha256))
		strbuf_addf(out, "sha256 %s &middot; ", v.target_sha256);
	add_time(out, first);
	strbuf_addstr(out, " &rarr; ");
	add_time(out, last);
	strbuf_addstr(out, " &middot; made by cairn ");
	html_escape(out, lineage__str(graph, "cairn_version"));
	strbuf_addstr(out, "</div></header>\n<main>\n");

	/* The summary. */
	strbuf_addstr(out, "<div class=\"cards\" id=\"summary\">\n");
	strbuf_addf(out, "<div class=\"card\"><b>%zu</b><span>steps</span></div>\n", n);
	strbuf_addf(out, "<div class=\"card\"><b>%zu</b><span>ran</span></div>\n", n - ncached);
	strbuf_addf(out, "<div class=\"card\"><b>%zu</b><span>cache hits</span></div>\n", ncached);
	strbuf_addstr(out, "<div class=\"card\"><b>");
	add_seconds(out, saved);
	strbuf_addstr(out, "</b><span>time saved by the cache (");
	add_seconds(out, saved_cpu);
	strbuf_addstr(out, " cpu)</span></div>\n<div class=\"card\"><b>");
	add_seconds(out, wall);
	strbuf_addstr(out, "</b><span>wall time of the steps</span></div>\n");
	strbuf_addf(out, "<div class=\"card\"><b>%zu</b><span>files</span></div>\n",
		    json_array_size(v.files));
	if (nfailed)
		strbuf_addf(out,
			    "<div class=\"card\"><b style=\"color:var(--bad)\">%zu</b>"
			    "<span>failed</span></div>\n",
			    nfailed);
	strbuf_addstr(out, "</div>\n");

	/* The graph. */
	strbuf_addstr(out, "<h2 id=\"graph\">Graph</h2>\n");
	if (o && o->svg) {
		const char *svg = strstr(o->svg, "<svg");
		strbuf_addstr(out,
			      "<p class=\"dim\">Files are boxes (raw inputs shaded), steps "
			      "ellipses (cache hits green, failures red); click one to see "
			      "it.</p>\n<div class=\"graph\">\n");
		/* dot's own output, whose labels it escaped; the XML prologue and
		 * DOCTYPE dropped, as HTML has no use for them. */
		strbuf_addstr(out, svg ? svg : "");
		strbuf_addstr(out, "</div>\n");
	} else {
		strbuf_addstr(out, "<p class=\"dim\">");
		html_escape(out, o && o->svg_note ? o->svg_note : "no graph");
		strbuf_addstr(out, "</p>\n");
	}

	/* The steps: an index, then each in full. */
	strbuf_addstr(out,
		      "<h2 id=\"steps\">Steps</h2>\n<table class=\"index\"><tr><th>step</th>"
		      "<th>command</th><th>status</th><th>wall</th></tr>\n");
	for (i = 0; i < n; i++) {
		const char *id = lineage__str(order[i], "id");
		struct strbuf c = STRBUF_INIT;
		if (!hex_id(id))
			continue;
		lineage__short_command(&c, lineage__str(order[i], "command") ?: "", 90);
		strbuf_addf(out,
			    "<tr><td><a class=\"id\" href=\"#step-%s\">%.8s</a></td><td><code>", id,
			    id);
		html_escape(out, c.buf);
		strbuf_addstr(out, "</code></td><td>");
		if (failed(order[i]))
			strbuf_addf(out, "<span class=\"badge bad\">exit %lld</span>",
				    lineage__int(order[i], "exit_status", -1));
		else if (is_cached(order[i]))
			strbuf_addstr(out, "<span class=\"badge hit\">cached</span>");
		else
			strbuf_addstr(out, "<span class=\"badge ok\">ran</span>");
		strbuf_addstr(out, "</td><td class=\"n\">");
		add_seconds(out, num(json_object_get(order[i], "resources"), "wall_s"));
		strbuf_addstr(out, "</td></tr>\n");
		strbuf_release(&c);
	}
	strbuf_addstr(out, "</table>\n");
	prev_code = json_object();
	for (i = 0; i < n; i++)
		step_section(out, &v, idx, order[i], prev_code, o);

	/* The files. */
	strbuf_addstr(
	    out,
	    "<h2 id=\"files\">Files</h2>\n<table class=\"ft ft6\"><tr><th>file</th><th>sha256</th>"
	    "<th>size</th><th>format</th><th>made by</th><th>read by</th></tr>\n");
	json_array_foreach(v.files, i, x)
	{
		const char *path = lineage__str(x, "path");
		const char *sha = lineage__str(x, "sha256");
		json_t *size = json_object_get(x, "size");
		int target = !session && sha && v.target_sha256 && !strcmp(path, v.target) &&
		    !strcmp(sha, v.target_sha256);

		strbuf_addf(out, "<tr class=\"file\" id=\"file-%zu\"><td><code>", i);
		if (target)
			strbuf_addstr(out, "<b>");
		html_escape(out, path);
		strbuf_addstr(out, target ? "</b></code>" : "</code>");
		if (!strcmp(lineage__str(x, "role") ?: "", "code"))
			strbuf_addstr(out, " <span class=\"dim\">(code)</span>");
		strbuf_addstr(out, "</td><td class=\"id\">");
		if (hex_id(sha))
			strbuf_addf(out, "%.12s", sha);
		strbuf_addstr(out, "</td><td class=\"n\">");
		if (json_is_integer(size))
			lineage__human_size(out, (long long)json_integer_value(size));
		strbuf_addstr(out, "</td><td>");
		html_escape(out, lineage__str(x, "format"));
		strbuf_addstr(out, "</td><td>");
		step_ref(out, &v, lineage__str(x, "producer"));
		strbuf_addstr(out, "</td><td>");
		readers(out, &v, file_entry(idx, path, sha));
		strbuf_addstr(out, "</td></tr>\n");
	}
	strbuf_addstr(out,
		      "</table>\n<footer>Made by <code>cairn report</code>. Everything on "
		      "this page comes from the step records in the project's store; "
		      "<code>cairn show STEP</code> prints a whole record.</footer>\n"
		      "</main>\n</body>\n</html>\n");
	json_decref(prev_code);
	json_decref(idx);
	free(order);
	lineage__view_release(&v);
	return 0;
}
