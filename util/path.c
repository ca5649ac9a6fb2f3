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

int util_path_resolve(struct strbuf *out, const char *path, int nofollow,
		      const struct util_path_view *view, struct stat *st, void *payload)
{
	struct strbuf todo = STRBUF_INIT, next = STRBUF_INIT, cand = STRBUF_INIT;
	const char *p;
	int hops = 0, exists = 0;

	strbuf_reset(out);
	strbuf_addstr(&todo, path);
	p = todo.buf;
	for (;;) {
		const char *q;
		int last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		q = strchrnul(p, '/');
		last = !q[strspn(q, "/")];
		if (q - p == 1 && p[0] == '.') {
			p = q;
			continue;
		}
		if (q - p == 2 && p[0] == '.' && p[1] == '.') {
			pop_component(out);
			p = q;
			continue;
		}
		strbuf_reset(&cand);
		strbuf_addbuf(&cand, out);
		strbuf_addch(&cand, '/');
		strbuf_add(&cand, p, (size_t)(q - p));
		if (view->lstat(cand.buf, last, st, payload) < 0) {
			/* The lookup fails here.  Name the rest as given, unless
			 * a ".." in it would make that another path. */
			strbuf_reset(out);
			strbuf_addbuf(out, &cand);
			if (!has_dotdot(q)) {
				strbuf_addstr(out, q);
				util_path_clean(out, 0);
			}
			goto done;
		}
		if (S_ISLNK(st->st_mode) && !(last && nofollow)) {
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
			strbuf_addstr(&next, q);
			swap_bufs(&todo, &next);
			p = todo.buf;
			continue;
		}
		swap_bufs(out, &cand);
		p = q;
	}
	if (!out->len)
		strbuf_addch(out, '/');
	exists = view->lstat(out->buf, 1, st, payload) == 0;
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
