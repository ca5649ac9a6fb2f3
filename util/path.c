/*
 * path.c - the one path resolver: absolute paths cleaned of ".", "//"
 * and of the ".." that can be taken away by text alone, and resolved
 * component by component, as the kernel looks them up, in a view that
 * the caller supplies.
 *
 * A ".." names the parent of what the component before it *resolved
 * to*: with `link -> ext/sub`, `link/..` is `ext`, not the directory
 * that holds `link`.  So text alone may only take away a ".." that
 * follows a part known to name no symlink (a working directory or a
 * descriptor's path, as the kernel reports them); every other ".." is
 * kept for util_path_resolve(), which sees the links.
 */
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

size_t util_path_clean(struct strbuf *sb, size_t physical)
{
	char *s = sb->buf;
	size_t r = 1, w = 1, n = sb->len;

	if (!n || s[0] != '/')
		return 0;
	if (physical > n)
		physical = n;
	/* The physical part itself is as the kernel printed it: clean. */
	while (physical > 1 && s[physical - 1] == '/')
		physical--;
	if (physical > 1)
		r = w = physical;
	else
		physical = 1;
	while (r < n) {
		size_t start, len;
		while (r < n && s[r] == '/')
			r++;
		start = r;
		while (r < n && s[r] != '/')
			r++;
		len = r - start;
		if (!len || (len == 1 && s[start] == '.'))
			continue;
		if (len == 2 && s[start] == '.' && s[start + 1] == '.' && w <= physical) {
			/* Only symlink-free components before: pop one. */
			while (w > 1 && s[w - 1] != '/')
				w--;
			if (w > 1)
				w--;
			physical = w;
			continue;
		}
		if (w > 1)
			s[w++] = '/';
		memmove(s + w, s + start, len);
		w += len;
	}
	strbuf_setlen(sb, w);
	return physical;
}

/* Does the rest of a path, P, hold a ".." component? */
static int has_dotdot(const char *p)
{
	while (*p) {
		const char *q;
		while (*p == '/')
			p++;
		q = strchrnul(p, '/');
		if (q - p == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p = q;
	}
	return 0;
}

static void swap_bufs(struct strbuf *a, struct strbuf *b)
{
	struct strbuf t = *a;
	*a = *b;
	*b = t;
}

/* Drop the last component of the resolved path OUT ("" is the root). */
static void pop_component(struct strbuf *out)
{
	char *slash = strrchr(out->buf, '/');
	strbuf_setlen(out, slash ? (size_t)(slash - out->buf) : 0);
}

/* ---- the prefix cache ------------------------------------------------- */

/*
 * A text prefix of a path to resolve ("/p/deep/d", as given: no key is
 * cleaned) and the resolver's state once it has consumed it: OUT, and
 * the symlinks followed so far (the limit counts them).  Resuming from
 * that state is what the resolver would have done, as long as the view
 * is the same: so a step working 2000 directories deep looks up one or
 * two components per call, not 2000.
 */
struct util_path_prefix {
	uint64_t hash;
	char *key; /* NULL: an empty slot */
	size_t len;
	char *val; /* NULL: the key itself (no link nor ".." on the way) */
	int hops;
};

/* FNV-1a, byte by byte, so that every prefix's hash comes in one pass. */
#define PREFIX_HASH0 1469598103934665603ULL
static uint64_t prefix_hash_add(uint64_t h, char c)
{
	return (h ^ (unsigned char)c) * 1099511628211ULL;
}

static struct util_path_prefix *prefix_find(const struct util_path_cache *pc, const char *key,
					    size_t len, uint64_t h)
{
	size_t i;
	if (!pc->cap)
		return NULL;
	for (i = (size_t)h & (pc->cap - 1); pc->slots[i].key; i = (i + 1) & (pc->cap - 1)) {
		const struct util_path_prefix *e = &pc->slots[i];
		if (e->hash == h && e->len == len && !memcmp(e->key, key, len))
			return &pc->slots[i];
	}
	return NULL;
}

static void prefix_put(struct util_path_cache *pc, const char *key, size_t len,
		       const struct strbuf *val, int hops)
{
	struct util_path_prefix *e;
	uint64_t h = PREFIX_HASH0;
	size_t i;

	for (i = 0; i < len; i++)
		h = prefix_hash_add(h, key[i]);
	if (prefix_find(pc, key, len, h))
		return;
	if ((pc->nr + 1) * 2 > pc->cap) {
		struct util_path_prefix *old = pc->slots;
		size_t j, oldcap = pc->cap;
		pc->cap = pc->cap ? pc->cap * 2 : 64;
		pc->slots = xcalloc(pc->cap, sizeof(*pc->slots));
		for (j = 0; j < oldcap; j++) {
			if (!old[j].key)
				continue;
			for (i = (size_t)old[j].hash & (pc->cap - 1); pc->slots[i].key;
			     i = (i + 1) & (pc->cap - 1))
				;
			pc->slots[i] = old[j];
		}
		free(old);
	}
	for (i = (size_t)h & (pc->cap - 1); pc->slots[i].key; i = (i + 1) & (pc->cap - 1))
		;
	e = &pc->slots[i];
	e->hash = h;
	e->key = xstrndup(key, len);
	e->len = len;
	e->val = val->len == len && !memcmp(val->buf, key, len) ? NULL : xstrdup(val->buf);
	e->hops = hops;
	pc->nr++;
}

void util_path_cache_release(struct util_path_cache *pc)
{
	size_t i;
	for (i = 0; i < pc->cap; i++) {
		free(pc->slots[i].key);
		free(pc->slots[i].val);
	}
	free(pc->slots);
	free(pc->ends);
	memset(pc, 0, sizeof(*pc));
}

/*
 * The longest prefix of PATH in PC that ends before PATH's last
 * component (that one is always looked up: its type and NOFOLLOW are the
 * caller's); NULL if none.  One pass over PATH, then a probe per
 * component from the longest: linear in PATH's length.
 */
static const struct util_path_prefix *prefix_longest(struct util_path_cache *pc, const char *path)
{
	uint64_t h = PREFIX_HASH0;
	size_t i, n = 0;

	if (!pc->nr)
		return NULL;
	for (i = 0; path[i]; i++) {
		/* the end of a component, with another one after it */
		if (path[i] == '/' && i && path[i - 1] != '/' && path[i + strspn(path + i, "/")]) {
			ALLOC_GROW(pc->ends, n + 1, pc->alloc_ends);
			pc->ends[n].pos = i;
			pc->ends[n].hash = h;
			n++;
		}
		h = prefix_hash_add(h, path[i]);
	}
	while (n--) {
		const struct util_path_prefix *e =
		    prefix_find(pc, path, pc->ends[n].pos, pc->ends[n].hash);
		if (e)
			return e;
	}
	return NULL;
}

/* ---- resolving ---------------------------------------------------------- */

int util_path_resolve(struct strbuf *out, const char *path, int nofollow,
		      const struct util_path_view *view, struct util_path_cache *cache,
		      struct stat *st, void *payload)
{
	struct strbuf todo = STRBUF_INIT, next = STRBUF_INIT, cand = STRBUF_INIT;
	const struct util_path_prefix *hit = NULL;
	const char *p;
	int hops = 0, exists = 0, looked = 0;
	/* TODO.buf + ORIG onwards is PATH + ORIG_IN onwards (what follows
	 * the links met so far): a component that ends there ends a prefix
	 * of PATH, whose state the cache may keep. */
	size_t orig = 0, orig_in = 0;

	strbuf_reset(out);
	strbuf_addstr(&todo, path);
	p = todo.buf;
	if (cache && (hit = prefix_longest(cache, path))) {
		strbuf_addstr(out, hit->val ? hit->val : hit->key);
		hops = hit->hops;
		p = todo.buf + hit->len;
	}
	for (;;) {
		const char *q;
		int last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		q = strchrnul(p, '/');
		last = !q[strspn(q, "/")];
		looked = 0;
		if (q - p == 1 && p[0] == '.') {
			p = q;
		} else if (q - p == 2 && p[0] == '.' && p[1] == '.') {
			pop_component(out);
			p = q;
		} else {
			strbuf_reset(&cand);
			strbuf_addbuf(&cand, out);
			strbuf_addch(&cand, '/');
			strbuf_add(&cand, p, (size_t)(q - p));
			if (view->lstat(cand.buf, last, st, payload) < 0) {
				/* The lookup fails here.  Name the rest as given,
				 * unless a ".." in it would make that another path. */
				strbuf_reset(out);
				strbuf_addbuf(out, &cand);
				if (!has_dotdot(q)) {
					strbuf_addstr(out, q);
					util_path_clean(out, 0);
				}
				goto done;
			}
			if (S_ISLNK(st->st_mode) && !(last && nofollow)) {
				size_t at = (size_t)(q - todo.buf);
				strbuf_reset(&next);
				if (++hops > 40 || view->readlink(cand.buf, &next, payload) < 0 ||
				    !next.len) {
					strbuf_reset(out);
					strbuf_addbuf(out, &cand);
					goto done;
				}
				/* The target is looked up from the link's directory
				 * (OUT as it stands), or from the root. */
				if (next.buf[0] == '/')
					strbuf_reset(out);
				/* What follows the link: still PATH's text from ORIG. */
				if (at > orig)
					orig_in += at - orig;
				orig = next.len + (at < orig ? orig - at : 0);
				strbuf_addstr(&next, q);
				swap_bufs(&todo, &next);
				p = todo.buf;
				continue;
			}
			swap_bufs(out, &cand);
			p = q;
			looked = 1;
		}
		/* PATH up to here resolves to OUT, with HOPS links followed. */
		if (cache && !last && (size_t)(q - todo.buf) >= orig)
			prefix_put(cache, path, orig_in + (size_t)(q - todo.buf) - orig, out, hops);
	}
	if (!out->len)
		strbuf_addch(out, '/');
	/* The last component was just looked up as itself: ST is its. */
	exists = looked || view->lstat(out->buf, 1, st, payload) == 0;
done:
	strbuf_release(&todo);
	strbuf_release(&next);
	strbuf_release(&cand);
	return exists;
}

int util_path_plain(const char *rel)
{
	const char *p = rel;
	if (!p || !*p || *p == '/')
		return 0;
	for (;;) {
		size_t n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}
