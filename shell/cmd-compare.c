/*
 * cmd-compare.c - `cairn compare A B`: what differs between two runs.
 *
 * A and B are sessions (an id, a prefix of one, `@N`: the session of the
 * N-th newest step) or scripts (the newest session that ran each).
 * Steps are matched by command text (the longest common subsequence);
 * between two matched steps, the unmatched ones are paired in order while
 * they run the same program (a step whose arguments changed), and the
 * rest are removed (only in A) or added (only in B).  A matched pair
 * reports what differs: command, exit status, programs run, code
 * versions, environment, inputs, outputs; then the files the two runs
 * left different, with the format-aware diff of `cairn diff` when both
 * versions are in the content store.  Exits as diff(1): 0 the same, 1
 * different, 2 trouble.  See docs/history.md.
 */
#include "shell-int.h"

#include "cache.h"
#include "formats.h"
#include "provenance.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPARE_TROUBLE 2

struct run {
	char *session;
	json_t *steps; /* records, in order */
};

struct compare {
	struct prov_store *st;
	struct run a, b;
	json_t *env; /* the environment differences of the runs' first steps */
	char *tmpdir; /* for format diffs; removed at the end */
	unsigned ntmp;
};

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *orq(const char *s)
{
	return s ? s : "";
}

static int run_load(struct run *out, struct prov_store *st, const char *spec)
{
	struct stat sb;
	char *rel = NULL;
	int ret;

	/* A script file names its newest run. */
	if (spec[0] != '@' && stat(spec, &sb) == 0 && S_ISREG(sb.st_mode)) {
		char *session = NULL;
		if ((ret = provenance_relpath(&rel, st, spec)) < 0)
			return ret;
		ret = shell_script_session(&session, st, rel);
		free(rel);
		if (ret < 0)
			return ret;
		if (!session)
			return err_set(CAIRN_ENOTFOUND, "no recorded run of the script %s", spec);
		ret = provenance_session_steps(&out->steps, &out->session, st, session);
		free(session);
		return ret;
	}
	return provenance_session_steps(&out->steps, &out->session, st, spec);
}

/* The first word of a command: the program it runs. */
static size_t program_len(const char *cmd)
{
	return strcspn(cmd, " \t\n;|&<>");
}

static int same_program(json_t *a, json_t *b)
{
	const char *x = orq(str(a, "command")), *y = orq(str(b, "command"));
	size_t n = program_len(x);
	return n && n == program_len(y) && !strncmp(x, y, n);
}

/* ---- what differs between two matched steps ------------------------------ */

/* The exec_tree of REC, or of the step a cached REC reused. */
static json_t *programs_of(struct prov_store *st, json_t *rec)
{
	json_t *tree = json_object_get(rec, "exec_tree"), *from = NULL, *t;
	if (json_array_size(tree) || !json_is_true(json_object_get(rec, "cached")) ||
	    !str(rec, "from_step"))
		return json_incref(tree ? tree : json_array());
	if (provenance_step_get(&from, st, str(rec, "from_step")) < 0) {
		err_clear();
		return json_array();
	}
	t = json_incref(json_object_get(from, "exec_tree"));
	json_decref(from);
	return t ? t : json_array();
}

static char *argv_text(json_t *e)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(e, "argv"), i, v)
	{
		if (i)
			strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, orq(json_string_value(v)));
	}
	return strbuf_detach(&sb, NULL);
}

/* The members of ARRAY (strings) not in OTHER, as a new array. */
static json_t *minus(json_t *array, json_t *other)
{
	json_t *out = json_array(), *v, *w;
	size_t i, j;
	json_array_foreach(array, i, v)
	{
		int found = 0;
		json_array_foreach(other, j, w) if (json_equal(v, w)) found = 1;
		if (!found)
			json_array_append(out, v);
	}
	return out;
}

/* The argv of each program but the step's own shell (the first entry,
 * "bash p1.sh" or "bash -c ...": the script's name is not a difference). */
static json_t *argv_list(json_t *tree, json_t *rec)
{
	json_t *out = json_array(), *e;
	size_t i;
	json_array_foreach(tree, i, e)
	{
		char *t;
		if (i == 0 && str(rec, "shell_path") && str(e, "exe") &&
		    !strcmp(str(e, "exe"), str(rec, "shell_path")))
			continue;
		t = argv_text(e);
		json_array_append_new(out, util_json_str(t));
		free(t);
	}
	return out;
}

/* {key: value} of ARRAY's entries (KEY and VAL members) of kinds KINDS. */
static json_t *map_of(json_t *array, const char *key, const char *val, const char *const *kinds)
{
	json_t *m = json_object(), *e;
	size_t i, k;
	json_array_foreach(array, i, e)
	{
		const char *kk = str(e, key), *kind = str(e, "kind");
		int ok = !kinds && !json_object_get(e, "role");
		for (k = 0; kinds && kinds[k]; k++)
			if (kind && !strcmp(kind, kinds[k]) && !json_object_get(e, "role"))
				ok = 1;
		if (kk && ok) {
			json_t *v = json_object_get(e, val);
			json_object_set(m, kk, v ? v : json_null());
		}
	}
	return m;
}

/* [{KEY: name, a, b}] for the names whose values differ in A and B. */
static json_t *map_diff(json_t *a, json_t *b, const char *key)
{
	json_t *out = json_array(), *v;
	const char *k;
	json_object_foreach(a, k, v)
	{
		json_t *w = json_object_get(b, k);
		if (!w || !json_equal(v, w))
			json_array_append_new(
			    out,
			    json_pack("{s:s,s:O,s:O}", key, k, "a", v, "b", w ? w : json_null()));
	}
	json_object_foreach(b, k, v)
	{
		if (!json_object_get(a, k))
			json_array_append_new(out, json_pack("{s:s,s:n,s:O}", key, k, "a", "b", v));
	}
	return out;
}

/* The format-aware difference between two versions in the store, or NULL. */
static json_t *content_diff(struct compare *c, const char *path, const char *sha_a,
			    const char *sha_b)
{
	const char *dir = provenance_store_dir(c->st), *base = strrchr(path, '/');
	char *pa = NULL, *pb = NULL, *da, *db;
	json_t *d = NULL;

	if (!sha_a || !sha_b || !cache_cas_has(dir, sha_a) || !cache_cas_has(dir, sha_b))
		return NULL;
	base = base ? base + 1 : path;
	if (!c->tmpdir) {
		char *tmpl = xstrfmt("%s/tmp/compare-XXXXXX", dir);
		if (!mkdtemp(tmpl)) {
			free(tmpl);
			return NULL;
		}
		c->tmpdir = tmpl;
	}
	c->ntmp++;
	da = xstrfmt("%s/%ua", c->tmpdir, c->ntmp);
	db = xstrfmt("%s/%ub", c->tmpdir, c->ntmp);
	pa = xstrfmt("%s/%s", da, base);
	pb = xstrfmt("%s/%s", db, base);
	if (mkdir(da, 0700) == 0 && mkdir(db, 0700) == 0 &&
	    cache_cas_get_file(dir, sha_a, pa, 0600) == 0 &&
	    cache_cas_get_file(dir, sha_b, pb, 0600) == 0 &&
	    formats_diff(&d, pa, path, pb, path) < 0) {
		json_decref(d);
		d = NULL;
	}
	err_clear();
	unlink(pa);
	unlink(pb);
	rmdir(da);
	rmdir(db);
	free(pa);
	free(pb);
	free(da);
	free(db);
	return d;
}

/* [{path, a, b, diff}] for the writes (PATH -> sha) that differ. */
static json_t *outputs_diff(struct compare *c, json_t *wa, json_t *wb)
{
	json_t *out = map_diff(wa, wb, "path"), *e;
	size_t i;
	json_array_foreach(out, i, e)
	{
		json_t *d = content_diff(c, str(e, "path"), str(e, "a"), str(e, "b"));
		if (d)
			json_object_set_new(e, "diff", d);
	}
	return out;
}

static json_t *writes_map(json_t *rec)
{
	json_t *m = json_object(), *e;
	size_t i;
	json_array_foreach(json_object_get(rec, "writes"), i, e)
	{
		const char *p = str(e, "path");
		if (!p)
			continue;
		/* A file its hash, a deletion "deleted", a link "-> target", a
		 * directory "dir". */
		if (!strcmp(orq(str(e, "kind")), "deleted"))
			json_object_set_new(m, p, json_string("deleted"));
		else if (str(e, "sha256"))
			json_object_set(m, p, json_object_get(e, "sha256"));
		else if (str(e, "target"))
			json_object_set_new(m, p, json_sprintf("-> %s", str(e, "target")));
		else
			json_object_set_new(m, p, json_string(orq(str(e, "kind"))));
	}
	return m;
}

static const char *const input_kinds[] = { "file", "exec", NULL };

static json_t *resources(json_t *rec)
{
	json_t *r = json_object_get(rec, "resources");
	double cpu = json_number_value(json_object_get(r, "cpu_user_s")) +
	    json_number_value(json_object_get(r, "cpu_sys_s"));
	return json_pack("{s:O,s:f,s:O,s:b}", "wall_s", json_object_get(r, "wall_s") ?: json_null(),
			 "cpu_s", cpu, "max_rss_kb",
			 json_object_get(r, "max_rss_kb") ?: json_null(), "cached",
			 json_is_true(json_object_get(rec, "cached")));
}

/* The differences of matched steps A and B (an empty object: none). */
static json_t *step_diff(struct compare *c, json_t *a, json_t *b)
{
	json_t *d = json_object(), *ta = programs_of(c->st, a), *tb = programs_of(c->st, b);
	json_t *x, *y, *l, *wa, *wb;

	if (!json_equal(json_object_get(a, "command"), json_object_get(b, "command")))
		json_object_set_new(d, "command",
				    json_pack("{s:O,s:O}", "a", json_object_get(a, "command"), "b",
					      json_object_get(b, "command")));
	if (!json_equal(json_object_get(a, "exit_status"), json_object_get(b, "exit_status")))
		json_object_set_new(d, "exit_status",
				    json_pack("{s:O,s:O}", "a", json_object_get(a, "exit_status"),
					      "b", json_object_get(b, "exit_status")));
	x = argv_list(ta, a);
	y = argv_list(tb, b);
	if (!json_equal(x, y)) {
		json_t *rm = minus(x, y), *add = minus(y, x);
		if (json_array_size(rm) || json_array_size(add))
			json_object_set_new(d, "programs",
					    json_pack("{s:o,s:o}", "removed", rm, "added", add));
		else {
			json_decref(rm);
			json_decref(add);
		}
	}
	json_decref(x);
	json_decref(y);
	/* Code: the programs' executables and the code files read. */
	x = map_of(ta, "exe", "exe_sha256", NULL);
	y = map_of(tb, "exe", "exe_sha256", NULL);
	{
		json_t *cx = map_of(json_object_get(a, "code"), "path", "sha256", NULL);
		json_t *cy = map_of(json_object_get(b, "code"), "path", "sha256", NULL);
		json_object_update(x, cx);
		json_object_update(y, cy);
		json_decref(cx);
		json_decref(cy);
	}
	l = map_diff(x, y, "path");
	{
		/* A program only one side ran is in `programs`, not here. */
		json_t *kept = json_array(), *e;
		size_t i;
		json_array_foreach(l, i, e) if (!json_is_null(json_object_get(e, "a")) &&
						!json_is_null(json_object_get(e, "b")))
		    json_array_append(kept, e);
		json_decref(l);
		l = kept;
	}
	if (json_array_size(l))
		json_object_set(d, "code", l);
	json_decref(l);
	json_decref(x);
	json_decref(y);
	/* Environment and working directory. */
	x = json_object_get(json_object_get(a, "start_state"), "env");
	y = json_object_get(json_object_get(b, "start_state"), "env");
	if (json_is_object(x) && json_is_object(y) && !json_equal(x, y)) {
		/* What the whole runs differ in is said once, at the top. */
		l = map_diff(x, y, "name");
		if (!json_equal(l, c->env))
			json_object_set(d, "env", l);
		json_decref(l);
	}
	x = json_object_get(json_object_get(a, "start_state"), "cwd");
	y = json_object_get(json_object_get(b, "start_state"), "cwd");
	if (x && y && !json_equal(x, y))
		json_object_set_new(d, "cwd", json_pack("{s:O,s:O}", "a", x, "b", y));
	/* Inputs: files read (or run) whose version differs; not the old
	 * version of an output both steps wrote alike (a tool that looked
	 * at the file it then replaced). */
	wa = writes_map(a);
	wb = writes_map(b);
	x = map_of(json_object_get(a, "reads"), "path", "sha256", input_kinds);
	y = map_of(json_object_get(b, "reads"), "path", "sha256", input_kinds);
	l = map_diff(x, y, "path");
	{
		json_t *kept = json_array(), *e, *v;
		size_t i;
		json_array_foreach(l, i, e)
		{
			v = json_object_get(wa, str(e, "path"));
			if (!v || !json_equal(v, json_object_get(wb, str(e, "path"))))
				json_array_append(kept, e);
		}
		json_decref(l);
		l = kept;
	}
	if (json_array_size(l))
		json_object_set(d, "inputs", l);
	json_decref(l);
	json_decref(x);
	json_decref(y);
	l = outputs_diff(c, wa, wb);
	if (json_array_size(l))
		json_object_set(d, "outputs", l);
	json_decref(l);
	json_decref(wa);
	json_decref(wb);
	json_decref(ta);
	json_decref(tb);
	return d;
}

/* ---- matching ------------------------------------------------------------- */

static json_t *step_ref(json_t *rec)
{
	return json_pack("{s:O,s:O,s:O,s:o}", "seq", json_object_get(rec, "seq") ?: json_null(),
			 "id", json_object_get(rec, "id") ?: json_null(), "command",
			 json_object_get(rec, "command") ?: json_null(), "resources",
			 resources(rec));
}

static json_t *entry(struct compare *c, json_t *a, json_t *b)
{
	json_t *e = json_object();
	const char *what;
	if (a && b) {
		json_t *d = step_diff(c, a, b);
		what = json_object_size(d) ? "changed" : "same";
		json_object_set_new(e, "status", json_string(what));
		json_object_set_new(e, "a", step_ref(a));
		json_object_set_new(e, "b", step_ref(b));
		json_object_set_new(e, "differences", d);
	} else {
		json_t *w = writes_map(a ? a : b), *outs = json_array(), *v;
		const char *p;
		json_object_set_new(e, "status", json_string(a ? "removed" : "added"));
		json_object_set_new(e, "a", a ? step_ref(a) : json_null());
		json_object_set_new(e, "b", b ? step_ref(b) : json_null());
		json_object_foreach(w, p, v) json_array_append_new(outs, util_json_str(p));
		json_object_set_new(e, "outputs", outs);
		json_decref(w);
	}
	return e;
}

/* Longest common subsequence of the command texts: MATCH_A[i] is the
 * index in B of A's step I, or -1. */
static void lcs(long *match_a, json_t *sa, json_t *sb)
{
	size_t n = json_array_size(sa), m = json_array_size(sb), i, j;
	unsigned *t = xcalloc((n + 1) * (m + 1), sizeof(*t));
#define T(i, j) t[(i) * (m + 1) + (j)]
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			T(i, j) = json_equal(json_object_get(json_array_get(sa, i), "command"),
					     json_object_get(json_array_get(sb, j), "command"))
			    ? T(i + 1, j + 1) + 1
			    : T(i + 1, j) >= T(i, j + 1) ? T(i + 1, j)
							 : T(i, j + 1);
	for (i = 0; i < n; i++)
		match_a[i] = -1;
	for (i = 0, j = 0; i < n && j < m;) {
		if (json_equal(json_object_get(json_array_get(sa, i), "command"),
			       json_object_get(json_array_get(sb, j), "command"))) {
			match_a[i++] = (long)j++;
		} else if (T(i + 1, j) >= T(i, j + 1)) {
			i++;
		} else {
			j++;
		}
	}
#undef T
	free(t);
}

/* Unmatched A[ia..ea) against B[jb..eb): pairs while the program is the
 * same, the rest removed and added. */
static void gap(json_t *out, struct compare *c, size_t ia, size_t ea, size_t jb, size_t eb)
{
	json_t *sa = c->a.steps, *sb = c->b.steps;
	while (ia < ea && jb < eb && same_program(json_array_get(sa, ia), json_array_get(sb, jb)))
		json_array_append_new(out,
				      entry(c, json_array_get(sa, ia++), json_array_get(sb, jb++)));
	while (ia < ea)
		json_array_append_new(out, entry(c, json_array_get(sa, ia++), NULL));
	while (jb < eb)
		json_array_append_new(out, entry(c, NULL, json_array_get(sb, jb++)));
}

static json_t *match_steps(struct compare *c)
{
	size_t n = json_array_size(c->a.steps), m = json_array_size(c->b.steps), i, j = 0, last = 0;
	long *ma = xcalloc(n ? n : 1, sizeof(*ma));
	json_t *out = json_array();

	lcs(ma, c->a.steps, c->b.steps);
	for (i = 0; i < n; i++) {
		if (ma[i] < 0)
			continue;
		gap(out, c, last, i, j, (size_t)ma[i]);
		json_array_append_new(
		    out,
		    entry(c, json_array_get(c->a.steps, i), json_array_get(c->b.steps, ma[i])));
		last = i + 1;
		j = (size_t)ma[i] + 1;
	}
	gap(out, c, last, n, j, m);
	free(ma);
	return out;
}

/* ---- the runs as wholes --------------------------------------------------- */

/* The last write of each path in RUN: {path: sha256, null or ...}. */
static json_t *final_writes(struct run *r)
{
	json_t *m = json_object(), *rec;
	size_t i;
	json_array_foreach(r->steps, i, rec)
	{
		json_t *w;
		if (!json_is_true(json_object_get(rec, "committed")))
			continue;
		w = writes_map(rec);
		json_object_update(m, w);
		json_decref(w);
	}
	return m;
}

static json_t *run_summary(struct run *r)
{
	json_t *first = json_array_get(r->steps, 0),
	       *last = json_array_get(r->steps, json_array_size(r->steps) - 1), *rec;
	double wall = 0, cpu = 0;
	size_t i, cached = 0;
	json_array_foreach(r->steps, i, rec)
	{
		json_t *res = json_object_get(rec, "resources");
		wall += json_number_value(json_object_get(res, "wall_s"));
		cpu += json_number_value(json_object_get(res, "cpu_user_s")) +
		    json_number_value(json_object_get(res, "cpu_sys_s"));
		cached += json_is_true(json_object_get(rec, "cached"));
	}
	return json_pack("{s:s,s:O,s:i,s:i,s:O,s:O,s:f,s:f}", "session", r->session, "script",
			 json_object_get(first, "script") ?: json_null(), "steps",
			 (json_int_t)json_array_size(r->steps), "cached", (json_int_t)cached,
			 "started", json_object_get(first, "started") ?: json_null(), "finished",
			 json_object_get(last, "finished") ?: json_null(), "wall_s", wall, "cpu_s",
			 cpu);
}

/* ---- text ----------------------------------------------------------------- */

static void print_cmd(const char *prefix, json_t *ref)
{
	const char *cmd = orq(str(ref, "command"));
	struct strbuf vis = STRBUF_INIT;
	size_t n = strcspn(cmd, "\n");
	strbuf_add_visible(&vis, cmd, n);
	printf("%s%s%s\n", prefix, vis.buf, cmd[n] ? " ..." : "");
	strbuf_release(&vis);
}

static void print_res(json_t *res)
{
	json_t *w = json_object_get(res, "wall_s");
	printf("%.3f s, cpu %.3f s%s", json_is_number(w) ? json_number_value(w) : 0.0,
	       json_number_value(json_object_get(res, "cpu_s")),
	       json_is_true(json_object_get(res, "cached")) ? " (cached)" : "");
}

static const char *short_val(char buf[16], json_t *v)
{
	if (!v || json_is_null(v))
		return "(none)";
	snprintf(buf, 16, "%.12s", orq(json_string_value(v)));
	return buf;
}

static void print_pairs(const char *what, json_t *list, const char *key)
{
	json_t *e;
	size_t i;
	char x[16], y[16];
	json_array_foreach(list, i, e)
	{
		printf("      %s%s%s: %s -> %s\n", what, *what ? " " : "",
		       util_name_quoted(orq(str(e, key))), short_val(x, json_object_get(e, "a")),
		       short_val(y, json_object_get(e, "b")));
		if (json_object_get(e, "diff")) {
			json_t *ch;
			size_t k;
			json_array_foreach(json_object_get(json_object_get(e, "diff"), "changes"),
					   k, ch)
			    printf("        %s\n", orq(json_string_value(ch)));
			if (!strcmp(orq(str(json_object_get(e, "diff"), "how")), "semantic"))
				printf(
				    "        (same data: they differ only in volatile metadata)\n");
		}
	}
}

static void print_text(json_t *doc)
{
	json_t *steps = json_object_get(doc, "steps"), *e, *v;
	size_t i;
	const char *k;

	json_object_foreach(json_object_get(doc, "runs"), k, v)
	{
		printf(
		    "%s  session %s%s%s: %lld steps (%lld cached), %.3f s of steps, cpu %.3f s\n",
		    k, orq(str(v, "session")), str(v, "script") ? ", script " : "",
		    orq(str(v, "script")),
		    (long long)json_integer_value(json_object_get(v, "steps")),
		    (long long)json_integer_value(json_object_get(v, "cached")),
		    json_number_value(json_object_get(v, "wall_s")),
		    json_number_value(json_object_get(v, "cpu_s")));
	}
	json_array_foreach(json_object_get(doc, "env"), i, e)
	    printf("   env %s: %s -> %s\n", orq(str(e, "name")),
		   json_is_null(json_object_get(e, "a")) ? "(unset)" : orq(str(e, "a")),
		   json_is_null(json_object_get(e, "b")) ? "(unset)" : orq(str(e, "b")));
	putchar('\n');
	json_array_foreach(steps, i, e)
	{
		const char *s = orq(str(e, "status"));
		json_t *a = json_object_get(e, "a"), *b = json_object_get(e, "b"),
		       *d = json_object_get(e, "differences");
		if (!strcmp(s, "removed") || !strcmp(s, "added")) {
			json_t *ref = a && !json_is_null(a) ? a : b, *o;
			size_t j;
			printf("%s %s step %lld: ", s[0] == 'r' ? "-" : "+", s,
			       (long long)json_integer_value(json_object_get(ref, "seq")));
			print_cmd("", ref);
			json_array_foreach(json_object_get(e, "outputs"), j, o) printf(
			    "      writes %s\n", util_name_quoted(orq(json_string_value(o))));
			continue;
		}
		printf("%s %s  A %lld / B %lld: ", s[0] == 's' ? "=" : "~", s,
		       (long long)json_integer_value(json_object_get(a, "seq")),
		       (long long)json_integer_value(json_object_get(b, "seq")));
		print_cmd("", a);
		if (json_object_get(d, "command"))
			print_cmd("      B runs: ", b);
		if ((v = json_object_get(d, "exit_status")))
			printf("      exit status: %lld -> %lld\n",
			       (long long)json_integer_value(json_object_get(v, "a")),
			       (long long)json_integer_value(json_object_get(v, "b")));
		if ((v = json_object_get(d, "programs"))) {
			json_t *p;
			size_t j;
			json_array_foreach(json_object_get(v, "removed"), j, p)
			    printf("      program only in A: %s\n", orq(json_string_value(p)));
			json_array_foreach(json_object_get(v, "added"), j, p)
			    printf("      program only in B: %s\n", orq(json_string_value(p)));
		}
		print_pairs("code", json_object_get(d, "code"), "path");
		if ((v = json_object_get(d, "env"))) {
			json_t *p;
			size_t j;
			json_array_foreach(v, j, p) printf(
			    "      env %s: %s -> %s\n", orq(str(p, "name")),
			    json_is_null(json_object_get(p, "a")) ? "(unset)" : orq(str(p, "a")),
			    json_is_null(json_object_get(p, "b")) ? "(unset)" : orq(str(p, "b")));
		}
		if ((v = json_object_get(d, "cwd")))
			printf("      cwd: %s -> %s\n", orq(str(v, "a")), orq(str(v, "b")));
		print_pairs("input", json_object_get(d, "inputs"), "path");
		print_pairs("output", json_object_get(d, "outputs"), "path");
		{
			printf("      time: A ");
			print_res(json_object_get(a, "resources"));
			printf(" | B ");
			print_res(json_object_get(b, "resources"));
			putchar('\n');
		}
	}
	v = json_object_get(doc, "outputs");
	if (json_array_size(v)) {
		printf("\nfiles the runs left different:\n");
		print_pairs("", v, "path");
	} else {
		printf("\nthe runs left the same files\n");
	}
}

static int cmd_compare_exec(int argc, char **argv)
{
	struct compare c = { 0 };
	const char *spec[2] = { NULL, NULL };
	json_t *doc = NULL, *steps, *e, *fa = NULL, *fb = NULL, *counts;
	int json = 0, k, n = 0, ret, differ = 0;
	size_t i;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_compare_entry);
		return 0;
	}
	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json"))
			json = 1;
		else if (argv[k][0] == '-' && argv[k][1])
			return shell_usage_error(&cmd_compare_entry, "unknown option '%s'",
						 argv[k]);
		else if (n == 2)
			return shell_usage_error(&cmd_compare_entry, "more than two runs given");
		else
			spec[n++] = argv[k];
	}
	if (n != 2)
		return shell_usage_error(&cmd_compare_entry, "two runs are needed");
	if ((ret = shell_store_open(&c.st, &cmd_compare_entry)))
		return ret == 1 ? COMPARE_TROUBLE : ret;
	if ((ret = run_load(&c.a, c.st, spec[0])) < 0 ||
	    (ret = run_load(&c.b, c.st, spec[1])) < 0) {
		fprintf(stderr, "cairn compare: %s\n", err_last());
		ret = COMPARE_TROUBLE;
		goto out;
	}
	{
		json_t *x = json_object_get(
		    json_object_get(json_array_get(c.a.steps, 0), "start_state"), "env");
		json_t *y = json_object_get(
		    json_object_get(json_array_get(c.b.steps, 0), "start_state"), "env");
		c.env =
		    json_is_object(x) && json_is_object(y) ? map_diff(x, y, "name") : json_array();
	}
	steps = match_steps(&c);
	counts = json_pack("{s:i,s:i,s:i,s:i}", "same", 0, "changed", 0, "removed", 0, "added", 0);
	json_array_foreach(steps, i, e)
	{
		const char *s = str(e, "status");
		json_object_set_new(
		    counts, s, json_integer(json_integer_value(json_object_get(counts, s)) + 1));
		differ |= strcmp(s, "same") != 0;
	}
	fa = final_writes(&c.a);
	fb = final_writes(&c.b);
	doc = json_pack("{s:{s:o,s:o},s:O,s:o,s:o,s:o}", "runs", "A", run_summary(&c.a), "B",
			run_summary(&c.b), "env", c.env, "counts", counts, "steps", steps,
			"outputs", outputs_diff(&c, fa, fb));
	differ |= json_array_size(json_object_get(doc, "outputs")) != 0;
	if (json) {
		util_json_dumpf(doc, stdout,
				JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
		putchar('\n');
	} else {
		print_text(doc);
	}
	ret = differ ? 1 : 0;
out:
	if (c.tmpdir)
		rmdir(c.tmpdir);
	free(c.tmpdir);
	json_decref(fa);
	json_decref(fb);
	json_decref(doc);
	json_decref(c.env);
	json_decref(c.a.steps);
	json_decref(c.b.steps);
	free(c.a.session);
	free(c.b.session);
	provenance_store_free(c.st);
	return ret;
}

const struct cmd_entry cmd_compare_entry = {
	.name = "compare",
	.usage = "cairn compare A B [--json]",
	.summary = "What differs between two runs: steps, programs, inputs, outputs, time.",
	.help = "A and B are sessions (an id, a unique prefix of one, or @N: the session of the\n"
		"N-th newest step, as `cairn log` numbers them) or script files (the newest\n"
		"recorded run of each).\n\n"
		"Steps are matched by command text, in order; steps between two matched ones\n"
		"that run the same program are paired (their arguments changed), the others\n"
		"are listed as removed (only in A) or added (only in B).  For a matched pair:\n"
		"the command, exit status, programs run (their arguments), code versions\n"
		"(executables and code files read), environment and working directory,\n"
		"inputs whose version differs, outputs that differ, and time and resources\n"
		"side by side.  Last, the files the two runs left different, with the\n"
		"format-aware difference of `cairn diff` (rasters, HDF5) when both versions\n"
		"are in the content store.\n\n"
		"Options:\n"
		"  --json    one JSON document: runs {A, B}, counts, steps [{status, a, b,\n"
		"            differences | outputs}], outputs [{path, a, b, diff}]\n\n"
		"Exit status as diff(1): 0 no difference, 1 different, 2 trouble.\n"
		"See docs/history.md.\n",
	.exec = cmd_compare_exec,
};
