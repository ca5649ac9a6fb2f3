/*
 * state.c - the shell state as a value: copy, serialise, parse, hash.
 *
 * The serialisation is a list of records "KEY LEN\nBYTES\n" in a fixed
 * order.  Lengths (not escaping) keep it exact for any bytes, including
 * newlines in variable values and function bodies.
 */
#include "exec.h"

#include <stdlib.h>
#include <string.h>

#define STATE_MAGIC "cairn-state 1\n"

void exec_state_init(struct exec_state *st)
{
	memset(st, 0, sizeof(*st));
	strvec_init(&st->vars);
	strvec_init(&st->env);
	strvec_init(&st->argv);
	strvec_init(&st->fds);
	st->umask = 022;
	st->initial = 1;
}

static void func_release(struct exec_func *f)
{
	free(f->name);
	free(f->body);
	free(f->src);
	free(f->attrs);
}

void exec_state_release(struct exec_state *st)
{
	size_t i;
	free(st->cwd);
	strvec_clear(&st->vars);
	strvec_clear(&st->env);
	for (i = 0; i < st->nfuncs; i++)
		func_release(&st->funcs[i]);
	free(st->funcs);
	free(st->aliases);
	free(st->options);
	free(st->shopts);
	free(st->traps);
	free(st->pipestatus);
	free(st->dirstack);
	free(st->disabled);
	free(st->limits);
	strvec_clear(&st->argv);
	strvec_clear(&st->fds);
	exec_state_init(st);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void exec_state_copy(struct exec_state *dst, const struct exec_state *src)
{
	size_t i;
	exec_state_release(dst);
	dst->cwd = dup_or_null(src->cwd);
	strvec_copy(&dst->vars, &src->vars);
	strvec_copy(&dst->env, &src->env);
	strvec_copy(&dst->argv, &src->argv);
	strvec_copy(&dst->fds, &src->fds);
	for (i = 0; i < src->nfuncs; i++) {
		struct exec_func *f;
		ALLOC_GROW(dst->funcs, dst->nfuncs + 1, dst->alloc_funcs);
		f = &dst->funcs[dst->nfuncs++];
		f->name = xstrdup(src->funcs[i].name);
		f->body = xstrdup(src->funcs[i].body);
		f->src = dup_or_null(src->funcs[i].src);
		f->line = src->funcs[i].line;
		f->attrs = dup_or_null(src->funcs[i].attrs);
	}
	dst->aliases = dup_or_null(src->aliases);
	dst->options = dup_or_null(src->options);
	dst->shopts = dup_or_null(src->shopts);
	dst->traps = dup_or_null(src->traps);
	dst->pipestatus = dup_or_null(src->pipestatus);
	dst->dirstack = dup_or_null(src->dirstack);
	dst->disabled = dup_or_null(src->disabled);
	if (src->nlimits) {
		dst->limits = xcalloc(src->nlimits, sizeof(*dst->limits));
		memcpy(dst->limits, src->limits, src->nlimits * sizeof(*dst->limits));
		dst->nlimits = src->nlimits;
	}
	dst->status = src->status;
	dst->umask = src->umask;
	dst->initial = src->initial;
}

static void put(struct strbuf *out, const char *key, const char *val)
{
	size_t n = val ? strlen(val) : 0;
	strbuf_addf(out, "%s %zu\n", key, n);
	strbuf_add(out, val ? val : "", n);
	strbuf_addch(out, '\n');
}

static void put_num(struct strbuf *out, const char *key, long long v)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", v);
	put(out, key, num);
}

void exec_state_serialize(struct strbuf *out, const struct exec_state *st)
{
	size_t i;

	strbuf_addstr(out, STATE_MAGIC);
	put_num(out, "initial", st->initial);
	put(out, "cwd", st->cwd);
	for (i = 0; i < st->vars.nr; i++)
		put(out, "var", st->vars.v[i]);
	for (i = 0; i < st->env.nr; i++)
		put(out, "env", st->env.v[i]);
	for (i = 0; i < st->nfuncs; i++) {
		const struct exec_func *f = &st->funcs[i];
		put(out, "func", f->name);
		put(out, "func.body", f->body);
		if (f->src) {
			put(out, "func.src", f->src);
			put_num(out, "func.line", f->line);
		}
		if (f->attrs)
			put(out, "func.attrs", f->attrs);
	}
	put(out, "aliases", st->aliases);
	put(out, "options", st->options);
	put(out, "shopts", st->shopts);
	put(out, "traps", st->traps);
	for (i = 0; i < st->argv.nr; i++)
		put(out, "arg", st->argv.v[i]);
	put_num(out, "status", st->status);
	if (st->pipestatus)
		put(out, "pipestatus", st->pipestatus);
	put_num(out, "umask", st->umask);
	if (st->dirstack)
		put(out, "dirstack", st->dirstack);
	if (st->disabled)
		put(out, "disabled", st->disabled);
	for (i = 0; i < st->nlimits; i++) {
		char lim[96];
		snprintf(lim, sizeof(lim), "%d %llu %llu", st->limits[i].resource,
			 st->limits[i].cur, st->limits[i].max);
		put(out, "limit", lim);
	}
	for (i = 0; i < st->fds.nr; i++)
		put(out, "fd", st->fds.v[i]);
}

void exec_state_hash(char out[SHA256_HEX_LEN + 1], const struct exec_state *st)
{
	struct strbuf sb = STRBUF_INIT;
	exec_state_serialize(&sb, st);
	util_sha256_hex(out, sb.buf, sb.len);
	strbuf_release(&sb);
}

/* Read one "KEY LEN\nBYTES\n" record at *POS. */
static int get(const char *buf, size_t len, size_t *pos, char key[32], char **val)
{
	size_t p = *pos, k = 0, n = 0;
	int digits = 0;

	while (p < len && buf[p] != ' ' && k < 31)
		key[k++] = buf[p++];
	key[k] = '\0';
	if (p >= len || buf[p] != ' ' || !k)
		return -1;
	p++;
	while (p < len && buf[p] >= '0' && buf[p] <= '9') {
		if (n > (SIZE_MAX - 9) / 10)
			return -1;
		n = n * 10 + (size_t)(buf[p++] - '0');
		digits++;
	}
	if (!digits || p >= len || buf[p] != '\n')
		return -1;
	p++;
	if (n > len - p || len - p - n < 1 || buf[p + n] != '\n')
		return -1;
	*val = xstrndup(buf + p, n);
	*pos = p + n + 1;
	return 0;
}

static int to_num(const char *s, long long *out)
{
	char *end;
	if (!*s)
		return -1;
	*out = strtoll(s, &end, 10);
	return *end ? -1 : 0;
}

int exec_state_parse(struct exec_state *out, const char *buf, size_t len)
{
	size_t pos = strlen(STATE_MAGIC);
	struct exec_func *cur = NULL;
	char key[32];
	char *val = NULL;
	long long num;

	exec_state_release(out);
	if (len < pos || memcmp(buf, STATE_MAGIC, pos))
		return err_set(CAIRN_ERROR, "not a cairn state record");
	while (pos < len) {
		if (get(buf, len, &pos, key, &val) < 0)
			goto bad;
		if (!strcmp(key, "var")) {
			strvec_push_nodup(&out->vars, val);
		} else if (!strcmp(key, "env")) {
			strvec_push_nodup(&out->env, val);
		} else if (!strcmp(key, "arg")) {
			strvec_push_nodup(&out->argv, val);
		} else if (!strcmp(key, "fd")) {
			strvec_push_nodup(&out->fds, val);
		} else if (!strcmp(key, "func")) {
			ALLOC_GROW(out->funcs, out->nfuncs + 1, out->alloc_funcs);
			cur = &out->funcs[out->nfuncs++];
			memset(cur, 0, sizeof(*cur));
			cur->name = val;
		} else if (!strcmp(key, "func.body") && cur && !cur->body) {
			cur->body = val;
		} else if (!strcmp(key, "func.src") && cur && !cur->src) {
			cur->src = val;
		} else if (!strcmp(key, "func.attrs") && cur && !cur->attrs) {
			cur->attrs = val;
		} else if (!strncmp(key, "func.", 5) && cur) {
			if (to_num(val, &num) < 0 || num < 0 || num > 0x7fffffff)
				goto bad;
			if (!strcmp(key, "func.line"))
				cur->line = (unsigned)num;
			else
				goto bad;
			free(val);
		} else {
			char **slot = NULL;
			if (!strcmp(key, "cwd"))
				slot = &out->cwd;
			else if (!strcmp(key, "aliases"))
				slot = &out->aliases;
			else if (!strcmp(key, "options"))
				slot = &out->options;
			else if (!strcmp(key, "shopts"))
				slot = &out->shopts;
			else if (!strcmp(key, "traps"))
				slot = &out->traps;
			else if (!strcmp(key, "pipestatus"))
				slot = &out->pipestatus;
			else if (!strcmp(key, "dirstack"))
				slot = &out->dirstack;
			else if (!strcmp(key, "disabled"))
				slot = &out->disabled;
			if (!slot && !strcmp(key, "limit")) {
				struct exec_rlimit l;
				if (sscanf(val, "%d %llu %llu", &l.resource, &l.cur, &l.max) != 3)
					goto bad;
				out->limits = xrealloc(out->limits,
						       (out->nlimits + 1) * sizeof(*out->limits));
				out->limits[out->nlimits++] = l;
				free(val);
				val = NULL;
				continue;
			}
			if (slot) {
				free(*slot);
				*slot = val;
				continue;
			}
			if (to_num(val, &num) < 0)
				goto bad;
			free(val);
			if (!strcmp(key, "status"))
				out->status = (int)num;
			else if (!strcmp(key, "umask"))
				out->umask = (unsigned)num & 0777;
			else if (!strcmp(key, "initial"))
				out->initial = !!num;
			else
				goto bad_nofree;
		}
		val = NULL;
	}
	for (size_t i = 0; i < out->nfuncs; i++)
		if (!out->funcs[i].body)
			goto bad_nofree;
	return 0;
bad:
	free(val);
bad_nofree:
	exec_state_release(out);
	return err_set(CAIRN_ERROR, "malformed cairn state record near byte %zu", pos);
}
