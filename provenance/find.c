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
	json_t *e, *a;
	size_t i, j;
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
		strbuf_reset(&joined);
		json_array_foreach(json_object_get(e, "argv"), j, a)
		{
			if (!json_is_string(a))
				continue;
			if (joined.len)
				strbuf_addch(&joined, ' ');
			strbuf_addstr(&joined, json_string_value(a));
		}
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

int provenance_find(struct prov_store *st, const struct prov_find_opts *opts,
		    int (*cb)(json_t *record, void *payload), void *payload)
{
	struct find_ctx c = { 0 };
	json_t *rec;
	size_t i;
	int ret;

	c.st = st;
	c.o = opts;
	c.order = json_array();
	c.byid = json_object();
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
	if ((ret = provenance_foreach_step(st, collect, &c)) < 0)
		goto out;
	json_array_foreach(c.order, i, rec)
	{
		if (!matches(&c, rec))
			continue;
		if ((ret = cb(rec, payload)))
			goto out;
	}
	ret = 0;
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
