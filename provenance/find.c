/*
 * find.c - provenance_find(): steps by tag, program, argument, path,
 * ancestry and time.
 *
 * Tags flow downstream: a step carries the tags set on it, the tags of
 * the file versions it read (provenance_tag_file()), and the tags of
 * every step upstream of it through `producer` links.  So "every output
 * derived from an input tagged center=X" is the writes of the steps that
 * --tag center=X finds.
 */
#include "prov-int.h"
#include "lineage-int.h"

#include <fnmatch.h>
#include <regex.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void prov_find_opts_release(struct prov_find_opts *o)
{
	strvec_clear(&o->tags);
	strvec_clear(&o->own_tags);
}

struct find_ctx {
	struct prov_store *st;
	const struct prov_find_opts *o;
	json_t *order; /* every record, newest first */
	json_t *byid; /* id -> record */
	git_tree *tags_tree;
	json_t *file_tags; /* sha256 -> tags object */
	json_t **tag_memo; /* per opts->tags entry: id -> true/false */
	json_t *derived_memo; /* id -> true/false */
	json_t *step_memo; /* --derived-from-step: id -> true/false */
	json_t *content_memo; /* --reads-matching: sha256 -> true/false */
	json_t *reads_memo; /* --reads-matching: id -> true/false */
	regex_t re;
	int have_re;
};

static int collect(json_t *rec, void *payload)
{
	struct find_ctx *c = payload;
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_array_append(c->order, rec);
	if (id)
		json_object_set(c->byid, id, rec);
	return 0;
}

/* The key of tag condition SPEC ("K=V", "K!=V" or "K"), malloc'd. */
static char *tag_key(const char *spec)
{
	const char *eq = strchr(spec, '=');
	size_t n = eq ? (size_t)(eq - spec) : strlen(spec);
	if (eq && n && spec[n - 1] == '!')
		n--;
	return xstrndup(spec, n);
}

/* Is SPEC a negated condition, "K!=V"? */
static int tag_negated(const char *spec)
{
	const char *eq = strchr(spec, '=');
	return eq && eq > spec && eq[-1] == '!';
}

/* Does VALUE equal WANT, or one of WANT's comma-separated values? */
static int value_in(const char *value, const char *want)
{
	size_t n = strlen(value);
	const char *p = want;
	if (!strcmp(value, want))
		return 1;
	while (*p) {
		size_t k = strcspn(p, ",");
		if (k == n && !strncmp(p, value, n))
			return 1;
		p += k;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Does TAGS hold SPEC ("K=V", "K=V1,V2,...": any of them, "K" for any
 * value)?  A "K!=..." SPEC is matched as its positive form here; the
 * caller negates. */
static int tags_match(json_t *tags, const char *spec)
{
	const char *eq = strchr(spec, '=');
	json_t *v;
	char *key;

	if (!json_is_object(tags))
		return 0;
	key = tag_key(spec);
	v = json_object_get(tags, key);
	free(key);
	if (!v)
		return 0;
	return !eq || (json_is_string(v) && value_in(json_string_value(v), eq + 1));
}

static json_t *file_tags(struct find_ctx *c, const char *sha)
{
	json_t *t = json_object_get(c->file_tags, sha);
	char path[96];

	if (t)
		return t;
	t = NULL;
	if (c->tags_tree) {
		snprintf(path, sizeof(path), "files/%s.json", sha);
		if (prov__tree_json(&t, c->st, c->tags_tree, path) < 0)
			err_clear();
	}
	if (!t)
		t = json_object();
	json_object_set_new(c->file_tags, sha, t);
	return t;
}

/* The step upstream of REC through its read R: the record of the step
 * that wrote the version R read, unless that is an earlier run of REC's
 * own command or a circle (lineage.c's rules); else NULL. */
static json_t *upstream(const struct find_ctx *c, json_t *rec, json_t *r)
{
	const char *producer = json_string_value(json_object_get(r, "producer"));
	json_t *up = producer ? json_object_get(c->byid, producer) : NULL;
	if (!up ||
	    lineage__earlier_run_read(rec, r, json_string_value(json_object_get(up, "command"))) ||
	    lineage__circular_read(rec, r, up))
		return NULL;
	return up;
}

/* Does REC, a file version it read, or a step upstream carry SPEC? */
static int upstream_tagged(struct find_ctx *c, json_t *memo, json_t *rec, const char *spec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *m, *r;
	size_t i;
	int hit = 0;

	if (!id)
		return 0;
	if ((m = json_object_get(memo, id)))
		return json_is_true(m);
	json_object_set_new(memo, id, json_false()); /* cycles end here */
	if (tags_match(json_object_get(rec, "tags"), spec))
		hit = 1;
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *sha = json_string_value(json_object_get(r, "sha256"));
		json_t *up;
		if (hit)
			break;
		if (sha && util_is_sha256_hex(sha) && tags_match(file_tags(c, sha), spec))
			hit = 1;
		else if ((up = upstream(c, rec, r)))
			hit = upstream_tagged(c, memo, up, spec);
	}
	json_object_set_new(memo, id, json_boolean(hit));
	return hit;
}

/* Did REC read PATH, directly or through a step upstream? */
static int derived_from(struct find_ctx *c, json_t *rec, const char *path)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *m, *r;
	size_t i;
	int hit = 0;

	if (!id)
		return 0;
	if ((m = json_object_get(c->derived_memo, id)))
		return json_is_true(m);
	json_object_set_new(c->derived_memo, id, json_false());
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *p = json_string_value(json_object_get(r, "path"));
		json_t *up;
		if (p && !strcmp(p, path)) {
			hit = 1;
			break;
		}
		if ((up = upstream(c, rec, r)) && derived_from(c, up, path)) {
			hit = 1;
			break;
		}
	}
	json_object_set_new(c->derived_memo, id, json_boolean(hit));
	return hit;
}

static int has_path(json_t *list, const char *path)
{
	json_t *e;
	size_t i;
	json_array_foreach(list, i, e)
	{
		const char *p = json_string_value(json_object_get(e, "path"));
		if (p && !strcmp(p, path))
			return 1;
	}
	return 0;
}

/* Split S on blanks into OUT. */
static void split_words(struct strvec *out, const char *s)
{
	while (*s) {
		size_t n;
		s += strspn(s, " \t\n");
		n = strcspn(s, " \t\n");
		if (n)
			strvec_push_nodup(out, xstrndup(s, n));
		s += n;
	}
}

/* Does the word list HAY hold the words of NEEDLE consecutively? */
static int words_contain(const struct strvec *hay, const char *needle)
{
	struct strvec nw = STRVEC_INIT;
	size_t i, j;
	int hit = 0;

	split_words(&nw, needle);
	for (i = 0; !hit && nw.nr && i + nw.nr <= hay->nr; i++) {
		for (j = 0; j < nw.nr && !strcmp(hay->v[i + j], nw.v[j]); j++)
			;
		hit = j == nw.nr;
	}
	strvec_clear(&nw);
	return hit;
}

/* Does the word list W (a program's argv, or a command's words) match
 * --command GLOB and --arg ARG?  JOINED is W's text. */
static int words_match(const char *command, const char *arg, const struct strvec *w,
		       const char *joined)
{
	if (command) {
		const char *prog = w->nr ? w->v[0] : "";
		const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
		char *short_form = NULL;
		int ok = !fnmatch(command, joined, 0) || !fnmatch(command, prog, 0) ||
		    !fnmatch(command, base, 0);
		if (!ok && base != prog) {
			/* "/usr/bin/gdalwarp -m 12" as "gdalwarp -m 12" */
			short_form = xstrfmt("%s%s", base, joined + strlen(prog));
			ok = !fnmatch(command, short_form, 0);
			free(short_form);
		}
		if (!ok)
			return 0;
	}
	return !arg || words_contain(w, arg);
}

/* Does the command of REC, or a program it ran, match COMMAND (a glob)
 * and ARG (consecutive words)?  Either may be NULL. */
static int program_match_with(json_t *rec, const char *command, const char *arg)
{
	struct strvec w = STRVEC_INIT;
	struct strbuf joined = STRBUF_INIT;
	const char *cmd = json_string_value(json_object_get(rec, "command")) ?: "";
	json_t *e;
	size_t i;
	int hit;

	if (!command && !arg)
		return 1;
	split_words(&w, cmd);
	hit = words_match(command, arg, &w, cmd);
	strvec_clear(&w);
	json_array_foreach(json_object_get(rec, "exec_tree"), i, e)
	{
		if (hit)
			break;
		prov__argv_join(&joined, e);
		split_words(&w, joined.buf);
		hit = words_match(command, arg, &w, joined.buf);
		strvec_clear(&w);
	}
	strbuf_release(&joined);
	return hit;
}

/* Does version SHA of PATH hold a line matching the regex? */
static int content_match(struct find_ctx *c, const char *path, const char *sha)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *m = json_object_get(c->content_memo, sha);
	int hit = 0;

	if (m)
		return json_is_true(m);
	if (c->o->read_content && c->o->read_content(&sb, path, sha, c->o->content_payload) == 0)
		hit = !regexec(&c->re, sb.buf, 0, NULL, 0);
	else
		err_clear();
	strbuf_release(&sb);
	json_object_set_new(c->content_memo, sha, json_boolean(hit));
	return hit;
}

/* Did REC, or a step upstream of it, read a file --reads-matching names? */
static int reads_matching(struct find_ctx *c, json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *m, *r;
	size_t i;
	int hit = 0;

	if (!id)
		return 0;
	if ((m = json_object_get(c->reads_memo, id)))
		return json_is_true(m);
	json_object_set_new(c->reads_memo, id, json_false());
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *p = json_string_value(json_object_get(r, "path"));
		const char *sha = json_string_value(json_object_get(r, "sha256"));
		const char *kind = json_string_value(json_object_get(r, "kind"));
		const char *base = p && strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
		json_t *up;
		if (p && sha && kind && !strcmp(kind, "file") && util_is_sha256_hex(sha) &&
		    (!fnmatch(c->o->reads_glob, p, 0) || !fnmatch(c->o->reads_glob, base, 0)) &&
		    content_match(c, p, sha)) {
			hit = 1;
			break;
		}
		if ((up = upstream(c, rec, r)) && reads_matching(c, up)) {
			hit = 1;
			break;
		}
	}
	json_object_set_new(c->reads_memo, id, json_boolean(hit));
	return hit;
}

static int program_match(const struct find_ctx *c, json_t *rec)
{
	return program_match_with(rec, c->o->command, c->o->arg);
}

/* Is a step upstream of REC (through the producers of its reads; not REC
 * itself) one that --derived-from-step names?  Memoised per step. */
static int derived_from_step(struct find_ctx *c, json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	json_t *m, *r;
	size_t i;
	int hit = 0;

	if (!id)
		return 0;
	if ((m = json_object_get(c->step_memo, id)))
		return json_is_true(m);
	json_object_set_new(c->step_memo, id, json_false());
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		json_t *up;
		if (!(up = upstream(c, rec, r)))
			continue;
		if (program_match_with(up, c->o->step_command, c->o->step_arg) ||
		    derived_from_step(c, up)) {
			hit = 1;
			break;
		}
	}
	json_object_set_new(c->step_memo, id, json_boolean(hit));
	return hit;
}

static int time_match(const struct find_ctx *c, json_t *rec)
{
	const char *started = json_string_value(json_object_get(rec, "started"));

	if (c->o->since) {
		char *since = xstrdup(c->o->since);
		char *sp = strchr(since, ' ');
		int ok;
		if (sp)
			*sp = 'T';
		ok = started && strcmp(started, since) >= 0;
		free(since);
		if (!ok)
			return 0;
	}
	if (c->o->weekday >= 0) {
		int64_t t;
		time_t tt;
		struct tm tm;
		if (prov__parse_time(&t, started) < 0) {
			err_clear();
			return 0;
		}
		tt = (time_t)t;
		if (!localtime_r(&tt, &tm) || tm.tm_wday != c->o->weekday)
			return 0;
	}
	return 1;
}

static int matches(struct find_ctx *c, json_t *rec)
{
	size_t i;

	for (i = 0; i < c->o->own_tags.nr; i++)
		if (tags_match(json_object_get(rec, "tags"), c->o->own_tags.v[i]) ==
		    tag_negated(c->o->own_tags.v[i]))
			return 0;
	if (c->o->reads && !has_path(json_object_get(rec, "reads"), c->o->reads))
		return 0;
	if (c->o->writes && !has_path(json_object_get(rec, "writes"), c->o->writes))
		return 0;
	if (!time_match(c, rec) || !program_match(c, rec))
		return 0;
	if (c->o->derived_from && !derived_from(c, rec, c->o->derived_from))
		return 0;
	if ((c->o->step_command || c->o->step_arg) && !derived_from_step(c, rec))
		return 0;
	if (c->have_re && !reads_matching(c, rec))
		return 0;
	for (i = 0; i < c->o->tags.nr; i++)
		if (upstream_tagged(c, c->tag_memo[i], rec, c->o->tags.v[i]) ==
		    tag_negated(c->o->tags.v[i]))
			return 0;
	return 1;
}

/* ---- through the query index (qdb.c) ------------------------------------ */

/* A set of steps: their ords (places in the index chain), sorted. */
struct ords {
	int64_t *v;
	size_t nr, alloc;
};

static void ords_release(struct ords *o)
{
	free(o->v);
	o->v = NULL;
	o->nr = o->alloc = 0;
}

static void ords_add(struct ords *o, int64_t x)
{
	ALLOC_GROW(o->v, o->nr + 1, o->alloc);
	o->v[o->nr++] = x;
}

static int cmp_ord(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void ords_sort(struct ords *o)
{
	size_t i, k = 0;
	if (!o->nr)
		return;
	qsort(o->v, o->nr, sizeof(*o->v), cmp_ord);
	for (i = 0; i < o->nr; i++)
		if (!k || o->v[k - 1] != o->v[i])
			o->v[k++] = o->v[i];
	o->nr = k;
}

void prov__argv_join(struct strbuf *sb, json_t *e)
{
	json_t *a;
	size_t j;
	strbuf_reset(sb);
	json_array_foreach(json_object_get(e, "argv"), j, a)
	{
		if (!json_is_string(a))
			continue;
		if (sb->len)
			strbuf_addch(sb, ' ');
		strbuf_addstr(sb, json_string_value(a));
	}
}

/*
 * Run SQL (up to two text parameters A1, A2) and hand each row's first
 * column: into ORDS as an integer, or into STRINGS as text (a
 * NULL left out).
 */
static int rows_sql(struct prov_store *st, const char *sql, const char *a1, const char *a2,
		    struct ords *ords, struct strvec *strings)
{
	sqlite3_stmt *s = prov__qdb_stmt(st, sql);
	int rc;
	if (!s)
		return -1;
	if (a1)
		sqlite3_bind_text(s, 1, a1, -1, SQLITE_TRANSIENT);
	if (a2)
		sqlite3_bind_text(s, 2, a2, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (ords)
			ords_add(ords, sqlite3_column_int64(s, 0));
		else if (sqlite3_column_text(s, 0))
			strvec_push(strings, (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return err_set(CAIRN_ERROR, "the query index: %s",
			       sqlite3_errmsg(sqlite3_db_handle(s)));
	return 0;
}

/* The ords SQL (one integer column) gives, appended to OUT. */
static int ords_sql(struct ords *out, struct prov_store *st, const char *sql, const char *a1,
		    const char *a2)
{
	return rows_sql(st, sql, a1, a2, out, NULL);
}

/* The strings SQL (one text column) gives, appended to OUT. */
static int strings_sql(struct strvec *out, struct prov_store *st, const char *sql, const char *a1,
		       const char *a2)
{
	return rows_sql(st, sql, a1, a2, NULL, out);
}

/* The literal text a glob starts with (up to its first special
 * character), malloc'd. */
static char *glob_prefix(const char *glob)
{
	return xstrndup(glob, strcspn(glob, "*?[\\"));
}

/* The literal text a glob ends with (after its last special character),
 * reversed; malloc'd. */
static char *glob_suffix_reversed(const char *glob)
{
	size_t n = strlen(glob), k = n, i;
	char *out;
	while (k > 0 && !strchr("*?[]\\", glob[k - 1]))
		k--;
	out = xmalloc(n - k + 1);
	for (i = 0; i < n - k; i++)
		out[i] = glob[n - 1 - i];
	out[n - k] = '\0';
	return out;
}

/* Keys from PREFIX on that start with it: [PREFIX, PREFIX "\xff"). */
static char *prefix_end(const char *prefix)
{
	return xstrfmt("%s\xff", prefix);
}

struct ifind {
	struct find_ctx *c;
	int64_t max;
	int full; /* the callback wants whole records */
};

/*
 * Step ORD as find matches it: its summary (the record's fields find
 * reads, qdb.c) or, for a caller that wants them, its whole record;
 * tags merged as provenance_foreach_step() merges them.
 */
static int load_step(json_t **out, struct ifind *f, int64_t ord)
{
	sqlite3_stmt *s =
	    prov__qdb_stmt(f->c->st, "SELECT summary, scommit FROM step WHERE ord = ?1");
	json_t *rec = NULL;
	git_oid oid;
	int ret = 0, rc;

	*out = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, ord);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return err_set(CAIRN_ERROR, "the query index has no step %lld", (long long)ord);
	}
	if (f->full) {
		if (git_oid_fromstr(&oid, (const char *)sqlite3_column_text(s, 1)) < 0)
			ret = err_set(CAIRN_ERROR, "the query index is damaged");
		sqlite3_reset(s);
		if (!ret)
			ret = prov__load_record(&rec, f->c->st, &oid);
	} else {
		ret = prov__parse_json(&rec, sqlite3_column_text(s, 0),
				       (size_t)sqlite3_column_bytes(s, 0), "a step summary");
		sqlite3_reset(s);
	}
	if (!ret && (ret = prov__overlay_tags(rec, f->c->st, f->c->tags_tree)) == 0) {
		*out = rec;
		rec = NULL;
	}
	json_decref(rec);
	return ret;
}

/*
 * Steps whose command or a program they ran may match COMMAND (a glob)
 * and ARG (words), as program_match_with() judges them: a superset, from
 * the word index (the rarest word of ARG) or the program index (names
 * and command texts that start with the glob's literal beginning, or
 * that it starts with).  0 when neither narrows anything (*OUT
 * untouched: every step), 1 with *OUT filled, -1.
 */
static int program_candidates(struct ords *out, struct ifind *f, const char *command,
			      const char *arg)
{
	struct prov_store *st = f->c->st;
	struct strvec words = STRVEC_INIT;
	char *pre = NULL, *end = NULL;
	const char *best = NULL;
	int64_t best_n = -1;
	size_t i;
	int ret = 0;

	if (arg) {
		split_words(&words, arg);
		ret = 1;
		for (i = 0; i < words.nr; i++) {
			struct ords n = { 0 };
			if (ords_sql(&n, st,
				     "SELECT count(*) FROM (SELECT 1 FROM word WHERE w = ?1"
				     " LIMIT 20000)",
				     words.v[i], NULL) < 0) {
				ret = -1;
				goto out;
			}
			if (n.nr && (best_n < 0 || n.v[0] < best_n)) {
				best_n = n.v[0];
				best = words.v[i];
			}
			ords_release(&n);
		}
		/* No word at all: words_contain() never holds. */
		if (best && ords_sql(out, st, "SELECT ord FROM word WHERE w = ?1", best, NULL) < 0)
			ret = -1;
		goto out;
	}
	if (!command)
		goto out;
	pre = glob_prefix(command);
	if (!*pre)
		goto out;
	end = prefix_end(pre);
	ret = 1;
	if (ords_sql(out, st, "SELECT ord FROM prog WHERE key >= ?1 AND key < ?2", pre, end) < 0) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < strlen(pre); i++) {
		char *p = xstrndup(pre, i);
		int rc = ords_sql(out, st, "SELECT ord FROM prog WHERE key = ?1", p, NULL);
		free(p);
		if (rc < 0) {
			ret = -1;
			goto out;
		}
	}
out:
	if (ret == 1)
		ords_sort(out);
	free(pre);
	free(end);
	strvec_clear(&words);
	return ret;
}

/* Steps whose tags (as rows of the tag index: a superset) may hold SPEC. */
static int tag_candidates(struct ords *out, struct ifind *f, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *key = tag_key(spec);
	int ret = 0;

	if (!eq) {
		ret = ords_sql(out, f->c->st, "SELECT ord FROM tag WHERE key = ?1", key, NULL);
	} else {
		const char *p = eq + 1;
		ret = ords_sql(out, f->c->st, "SELECT ord FROM tag WHERE key = ?1 AND val = ?2",
			       key, p);
		while (!ret && *p) {
			size_t k = strcspn(p, ",");
			char *v = xstrndup(p, k);
			ret = ords_sql(out, f->c->st,
				       "SELECT ord FROM tag WHERE key = ?1 AND val = ?2", key, v);
			free(v);
			p += k;
			if (*p == ',')
				p++;
		}
	}
	free(key);
	ords_sort(out);
	return ret;
}

/*
 * Close SEEDS downstream: every step that read a version a member wrote,
 * through a read find follows upstream (qdb.c's `follow`: upstream()'s
 * rules).  IN[ord] is set for the members; with WITH_SEEDS the seeds are
 * members, else only steps reached through at least one read.
 */
static int close_down(unsigned char *in, struct ifind *f, const struct ords *seeds, int with_seeds)
{
	unsigned char *expanded = xcalloc((size_t)f->max + 1, 1);
	struct ords queue = { 0 }, next = { 0 };
	size_t i, head = 0;
	int ret = 0;

	for (i = 0; i < seeds->nr; i++) {
		if (seeds->v[i] < 1 || seeds->v[i] > f->max)
			continue;
		if (with_seeds)
			in[seeds->v[i]] = 1;
		if (!expanded[seeds->v[i]]) {
			expanded[seeds->v[i]] = 1;
			ords_add(&queue, seeds->v[i]);
		}
	}
	while (head < queue.nr) {
		sqlite3_stmt *s =
		    prov__qdb_stmt(f->c->st, "SELECT ord FROM rd WHERE pord = ?1 AND follow = 1");
		int rc;
		if (!s) {
			ret = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, queue.v[head++]);
		next.nr = 0;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			ords_add(&next, sqlite3_column_int64(s, 0));
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			ret = err_set(CAIRN_ERROR, "the query index: cannot read");
			break;
		}
		for (i = 0; i < next.nr; i++) {
			int64_t o = next.v[i];
			if (o < 1 || o > f->max)
				continue;
			in[o] = 1;
			if (!expanded[o]) {
				expanded[o] = 1;
				ords_add(&queue, o);
			}
		}
	}
	ords_release(&queue);
	ords_release(&next);
	free(expanded);
	return ret;
}

/* The members of IN, as a sorted set. */
static void members(struct ords *out, const struct ifind *f, const unsigned char *in)
{
	int64_t o;
	for (o = 1; o <= f->max; o++)
		if (in[o])
			ords_add(out, o);
}

/* --tag SPEC: the steps that carry it, read a file version that does, or
 * lie downstream of such a step (upstream_tagged()). */
static int tag_closure(unsigned char *in, struct ifind *f, const char *spec)
{
	struct ords cand = { 0 }, seeds = { 0 };
	struct strvec shas = STRVEC_INIT;
	const char *eq = strchr(spec, '=');
	char *key = tag_key(spec);
	size_t i;
	int ret;

	if ((ret = tag_candidates(&cand, f, spec)) < 0)
		goto out;
	for (i = 0; i < cand.nr; i++) {
		json_t *rec = NULL;
		if ((ret = load_step(&rec, f, cand.v[i])) < 0)
			goto out;
		if (tags_match(json_object_get(rec, "tags"), spec))
			ords_add(&seeds, cand.v[i]);
		json_decref(rec);
	}
	/* Tagged file versions, and the steps that read them. */
	(void)eq;
	if ((ret = strings_sql(&shas, f->c->st, "SELECT DISTINCT sha FROM ftag WHERE key = ?1", key,
			       NULL)) < 0)
		goto out;
	for (i = 0; i < shas.nr; i++) {
		if (!util_is_sha256_hex(shas.v[i]) || !tags_match(file_tags(f->c, shas.v[i]), spec))
			continue;
		if ((ret = ords_sql(&seeds, f->c->st, "SELECT ord FROM rd WHERE sha = ?1",
				    shas.v[i], NULL)) < 0)
			goto out;
	}
	ret = close_down(in, f, &seeds, 1);
out:
	free(key);
	strvec_clear(&shas);
	ords_release(&cand);
	ords_release(&seeds);
	return ret;
}

/* --derived-from-step: the steps downstream (not counting themselves) of
 * a step whose program matches (derived_from_step()). */
static int step_closure(unsigned char *in, struct ifind *f)
{
	const struct prov_find_opts *o = f->c->o;
	struct ords cand = { 0 }, seeds = { 0 };
	size_t i;
	int ret, narrowed;
	int64_t k;

	if ((narrowed = program_candidates(&cand, f, o->step_command, o->step_arg)) < 0) {
		ret = -1;
		goto out;
	}
	if (!narrowed)
		for (k = 1; k <= f->max; k++)
			ords_add(&cand, k);
	for (i = 0; i < cand.nr; i++) {
		json_t *rec = NULL;
		if ((ret = load_step(&rec, f, cand.v[i])) < 0)
			goto out;
		if (program_match_with(rec, o->step_command, o->step_arg))
			ords_add(&seeds, cand.v[i]);
		json_decref(rec);
	}
	ret = close_down(in, f, &seeds, 0);
out:
	ords_release(&cand);
	ords_release(&seeds);
	return ret;
}

/* --reads-matching: the steps that read (kind file) a version of a path
 * the glob names whose content matches, and the steps downstream
 * (reads_matching()).  Only the versions of the paths that match are
 * read. */
static int content_closure(unsigned char *in, struct ifind *f)
{
	const char *glob = f->c->o->reads_glob;
	struct strvec paths = STRVEC_INIT, shas = STRVEC_INIT;
	struct ords seeds = { 0 };
	char *pre = glob_prefix(glob), *end = prefix_end(pre), *suf = glob_suffix_reversed(glob);
	size_t i, j;
	int ret;

	/* The paths the glob can match: those (or their base names) that
	 * start with its literal beginning, else those that end with its
	 * literal end (a path ends as its base name does), else all. */
	if (*pre) {
		ret = strings_sql(&paths, f->c->st,
				  "SELECT path FROM rpath WHERE path >= ?1 AND path < ?2"
				  " UNION SELECT path FROM rpath WHERE base >= ?1 AND base < ?2",
				  pre, end);
	} else if (*suf) {
		free(end);
		end = prefix_end(suf);
		ret = strings_sql(&paths, f->c->st,
				  "SELECT path FROM rpath WHERE rev >= ?1 AND rev < ?2", suf, end);
	} else {
		ret = strings_sql(&paths, f->c->st, "SELECT path FROM rpath", NULL, NULL);
	}
	for (i = 0; !ret && i < paths.nr; i++) {
		const char *p = paths.v[i];
		const char *base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
		if (fnmatch(glob, p, 0) && fnmatch(glob, base, 0))
			continue;
		strvec_clear(&shas);
		if ((ret = strings_sql(&shas, f->c->st,
				       "SELECT DISTINCT sha FROM rd WHERE path = ?1 AND"
				       " kind = 'file' AND sha IS NOT NULL",
				       p, NULL)) < 0)
			break;
		for (j = 0; !ret && j < shas.nr; j++)
			if (content_match(f->c, p, shas.v[j]))
				ret = ords_sql(&seeds, f->c->st,
					       "SELECT ord FROM rd WHERE path = ?1 AND sha = ?2 AND"
					       " kind = 'file'",
					       p, shas.v[j]);
	}
	if (!ret)
		ret = close_down(in, f, &seeds, 1);
	strvec_clear(&paths);
	strvec_clear(&shas);
	ords_release(&seeds);
	free(pre);
	free(end);
	free(suf);
	return ret;
}

/* Keep in *CAND (or, when none yet, set it to) the members of SET. */
static void narrow(struct ords *cand, int *have, struct ords *set)
{
	size_t i = 0, j = 0, k = 0;
	ords_sort(set);
	if (!*have) {
		ords_release(cand);
		*cand = *set;
		memset(set, 0, sizeof(*set));
		*have = 1;
		return;
	}
	while (i < cand->nr && j < set->nr) {
		if (cand->v[i] < set->v[j])
			i++;
		else if (cand->v[i] > set->v[j])
			j++;
		else {
			cand->v[k++] = cand->v[i];
			i++;
			j++;
		}
	}
	cand->nr = k;
	ords_release(set);
}

static int find_indexed(struct find_ctx *c, int full, int (*cb)(json_t *record, void *payload),
			void *payload)
{
	const struct prov_find_opts *o = c->o;
	struct ifind f = { c, 0, full };
	struct ords cand = { 0 }, set = { 0 };
	unsigned char **tag_in = xcalloc(o->tags.nr + 1, sizeof(*tag_in));
	unsigned char *derived_in = NULL, *step_in = NULL, *content_in = NULL;
	size_t i;
	int have = 0, ret, rc;

	if ((ret = ords_sql(&set, c->st, "SELECT coalesce(max(ord), 0) FROM step", NULL, NULL)) < 0)
		goto out;
	f.max = set.nr ? set.v[0] : 0;
	ords_release(&set);

	/* Each condition an index answers narrows the candidates... */
	if (o->reads) {
		if ((ret = ords_sql(&set, c->st, "SELECT ord FROM rd WHERE path = ?1", o->reads,
				    NULL)) < 0)
			goto out;
		narrow(&cand, &have, &set);
	}
	if (o->writes) {
		if ((ret = ords_sql(&set, c->st, "SELECT ord FROM wr WHERE path = ?1", o->writes,
				    NULL)) < 0)
			goto out;
		narrow(&cand, &have, &set);
	}
	if (o->since) {
		char *since = xstrdup(o->since), *sp = strchr(since, ' ');
		if (sp)
			*sp = 'T';
		ret =
		    ords_sql(&set, c->st, "SELECT ord FROM step WHERE started >= ?1", since, NULL);
		free(since);
		if (ret < 0)
			goto out;
		narrow(&cand, &have, &set);
	}
	for (i = 0; i < o->own_tags.nr; i++) {
		if (tag_negated(o->own_tags.v[i]))
			continue;
		if ((ret = tag_candidates(&set, &f, o->own_tags.v[i])) < 0)
			goto out;
		narrow(&cand, &have, &set);
	}
	if ((rc = program_candidates(&set, &f, o->command, o->arg)) < 0) {
		ret = rc;
		goto out;
	}
	if (rc)
		narrow(&cand, &have, &set);
	ords_release(&set);
	/* ... and so does each walk upstream, done downstream once. */
	if (o->derived_from) {
		struct ords seeds = { 0 };
		derived_in = xcalloc((size_t)f.max + 1, 1);
		if ((ret = ords_sql(&seeds, c->st, "SELECT ord FROM rd WHERE path = ?1",
				    o->derived_from, NULL)) == 0)
			ret = close_down(derived_in, &f, &seeds, 1);
		ords_release(&seeds);
		if (ret < 0)
			goto out;
		members(&set, &f, derived_in);
		narrow(&cand, &have, &set);
	}
	if (o->step_command || o->step_arg) {
		step_in = xcalloc((size_t)f.max + 1, 1);
		if ((ret = step_closure(step_in, &f)) < 0)
			goto out;
		members(&set, &f, step_in);
		narrow(&cand, &have, &set);
	}
	if (c->have_re) {
		content_in = xcalloc((size_t)f.max + 1, 1);
		if ((ret = content_closure(content_in, &f)) < 0)
			goto out;
		members(&set, &f, content_in);
		narrow(&cand, &have, &set);
	}
	for (i = 0; i < o->tags.nr; i++) {
		tag_in[i] = xcalloc((size_t)f.max + 1, 1);
		if ((ret = tag_closure(tag_in[i], &f, o->tags.v[i])) < 0)
			goto out;
		if (tag_negated(o->tags.v[i]))
			continue;
		members(&set, &f, tag_in[i]);
		narrow(&cand, &have, &set);
	}
	if (!have) {
		/* Nothing indexed narrows these conditions (--weekday, a
		 * negation alone, a glob that starts with a wildcard): every
		 * step is a candidate. */
		int64_t k;
		for (k = 1; k <= f.max; k++)
			ords_add(&cand, k);
	}

	/* Newest first; each candidate checked as matches() would. */
	for (i = cand.nr; i-- > 0;) {
		int64_t ord = cand.v[i];
		json_t *rec = NULL;
		size_t t;
		int ok = 1;
		if ((ret = load_step(&rec, &f, ord)) < 0)
			goto out;
		for (t = 0; ok && t < o->own_tags.nr; t++)
			if (tags_match(json_object_get(rec, "tags"), o->own_tags.v[t]) ==
			    tag_negated(o->own_tags.v[t]))
				ok = 0;
		if (ok && o->writes && !has_path(json_object_get(rec, "writes"), o->writes))
			ok = 0;
		if (ok && (!time_match(c, rec) || !program_match(c, rec)))
			ok = 0;
		if (ok && derived_in && !derived_in[ord])
			ok = 0;
		if (ok && step_in && !step_in[ord])
			ok = 0;
		if (ok && content_in && !content_in[ord])
			ok = 0;
		for (t = 0; ok && t < o->tags.nr; t++)
			if (tag_in[t][ord] == tag_negated(o->tags.v[t]))
				ok = 0;
		if (ok)
			ret = cb(rec, payload);
		json_decref(rec);
		if (ok && ret)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; i < o->tags.nr; i++)
		free(tag_in[i]);
	free(tag_in);
	free(derived_in);
	free(step_in);
	free(content_in);
	ords_release(&cand);
	ords_release(&set);
	return ret;
}

/* ---- the walk: every record, the reference for the index ---------------- */

static int find_walk(struct find_ctx *c, int (*cb)(json_t *record, void *payload), void *payload)
{
	json_t *rec;
	size_t i;
	int ret;

	c->order = json_array();
	c->byid = json_object();
	if ((ret = provenance_foreach_step(c->st, collect, c)) < 0)
		return ret;
	json_array_foreach(c->order, i, rec)
	{
		if (!matches(c, rec))
			continue;
		if ((ret = cb(rec, payload)))
			return ret;
	}
	return 0;
}

int provenance_find(struct prov_store *st, const struct prov_find_opts *opts,
		    int (*cb)(json_t *record, void *payload), void *payload)
{
	struct find_ctx c = { 0 };
	sqlite3 *db = NULL;
	size_t i;
	int ret;

	c.st = st;
	c.o = opts;
	c.file_tags = json_object();
	c.derived_memo = json_object();
	c.step_memo = json_object();
	c.content_memo = json_object();
	c.reads_memo = json_object();
	c.tag_memo = xcalloc(opts->tags.nr + 1, sizeof(*c.tag_memo));
	for (i = 0; i < opts->tags.nr; i++)
		c.tag_memo[i] = json_object();
	if (opts->reads_glob && opts->reads_regex) {
		int rc = regcomp(&c.re, opts->reads_regex, REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
		if (rc) {
			char msg[256];
			regerror(rc, &c.re, msg, sizeof(msg));
			ret = err_set(CAIRN_EUSAGE, "--reads-matching: %s: %s", opts->reads_regex,
				      msg);
			goto out;
		}
		c.have_re = 1;
	}
	if ((ret = prov__ref_tree(&c.tags_tree, st, PROV_REF_TAGS)) < 0)
		goto out;
	if ((ret = prov__qdb_get(&db, st)) < 0)
		goto out;
	ret = db ? find_indexed(&c, !opts->summary, cb, payload) : find_walk(&c, cb, payload);
out:
	for (i = 0; i < opts->tags.nr; i++)
		json_decref(c.tag_memo[i]);
	free(c.tag_memo);
	json_decref(c.order);
	json_decref(c.byid);
	json_decref(c.file_tags);
	json_decref(c.derived_memo);
	json_decref(c.step_memo);
	json_decref(c.content_memo);
	json_decref(c.reads_memo);
	if (c.have_re)
		regfree(&c.re);
	git_tree_free(c.tags_tree);
	return ret;
}
