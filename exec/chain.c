/*
 * chain.c - a path's recorded lineage run again: `cairn rerun` (with
 * inputs swapped) and `cairn verify` (without the cache, into a staging
 * directory).  See docs/rerun.md.
 *
 * The chain is the step that wrote the path's current version and,
 * through the `producer` of each read, the steps that wrote what it
 * read, run oldest first.  Each step starts from the state it was
 * recorded with (its serialisation is in the content store under the
 * record's `state_sha256`), with the same shell, mode and $0: the action
 * key is then the recorded one, and a step that the substitution does not
 * reach is served from the cache.
 *
 * --into DIR is a session setting (exec_session_opts.into): DIR is shown
 * to steps above the project (an extra lower layer of the project's
 * overlay) and the project's writes are committed under it.
 */
#include "exec-int.h"

#include "cache.h"
#include "formats.h"
#include "provenance.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_STATE (64u << 20)

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- --into ----------------------------------------------------------- */

int exec__into_init(struct exec_session *s, const char *into)
{
	struct strbuf name = STRBUF_INIT;
	s->into = realpath(into, NULL);
	if (!s->into)
		return err_errno(CAIRN_ERROR, "%s", into);
	if (!strcmp(s->into, s->root) || exec__under(s->root, s->into))
		return err_set(CAIRN_EUSAGE, "%s holds the project: it cannot receive its files",
			       s->into);
	exec__record_name(s, &name, s->into);
	s->into_name = strbuf_detach(&name, NULL);
	/* overlayfs refuses a lower layer inside another: a copy then. */
	if (exec__under(s->into, s->root))
		s->into_view = xstrfmt("%s/into", s->tmpdir);
	else
		s->into_view = xstrdup(s->into);
	return 0;
}

/* Copy the tree SRC to DST (made): files, directories, symlinks. */
static int copy_tree(const char *src, const char *dst, unsigned mode)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct dirent *e;
	DIR *d;
	int ret = 0;

	if (mkdir(dst, mode & 07777) < 0 && errno != EEXIST)
		return err_errno(CAIRN_ERROR, "cannot create %s", dst);
	d = opendir(src);
	if (!d)
		return err_errno(CAIRN_ERROR, "%s", src);
	while (!ret && (e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strbuf_reset(&a);
		strbuf_reset(&b);
		strbuf_addf(&a, "%s/%s", src, e->d_name);
		strbuf_addf(&b, "%s/%s", dst, e->d_name);
		if (lstat(a.buf, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			ret = copy_tree(a.buf, b.buf, st.st_mode | 0700);
		} else if (S_ISLNK(st.st_mode)) {
			char t[PATH_MAX];
			ssize_t n = readlink(a.buf, t, sizeof(t) - 1);
			if (n >= 0) {
				t[n] = '\0';
				if (symlink(t, b.buf) < 0)
					ret = err_errno(CAIRN_ERROR, "symlink %s", b.buf);
			}
		} else if (S_ISREG(st.st_mode)) {
			char buf[65536];
			ssize_t n;
			int in = open(a.buf, O_RDONLY | O_CLOEXEC);
			int out = open(b.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				       st.st_mode & 07777);
			if (in < 0 || out < 0)
				ret = err_errno(CAIRN_ERROR, "cannot copy %s", a.buf);
			while (!ret && (n = read(in, buf, sizeof(buf))) != 0) {
				if (n < 0 || util_write_all(out, buf, (size_t)n) < 0)
					ret = err_errno(CAIRN_ERROR, "cannot copy %s", a.buf);
			}
			if (in >= 0)
				close(in);
			if (out >= 0)
				close(out);
		}
	}
	closedir(d);
	strbuf_release(&a);
	strbuf_release(&b);
	return ret;
}

/*
 * The chain's steps see what it rebuilt, never the working tree's
 * versions of what it writes: a whiteout for every file and symlink a
 * step of CHAIN wrote as recorded, in a layer below the into directory
 * (sandbox_layer.lower_hide).  A sidecar the first run wrote (GDAL's
 * .aux.xml) is then not there for the rerun to read in place of its own.
 */
static int as_recorded(struct exec_session *s, const struct exec_chain *chain, json_t *rec,
		       struct strbuf *p);

/* Does step REC delete PATH? */
static int deletes(json_t *rec, const char *path)
{
	json_t *w;
	size_t i;
	json_array_foreach(json_object_get(rec, "writes"), i, w)
	{
		if (!strcmp(str(w, "path") ?: "", path) && !strcmp(str(w, "kind") ?: "", "deleted"))
			return 1;
	}
	return 0;
}

/* The mode a step of CHAIN gave PATH when it wrote it, or NULL (a file
 * changed in place keeps its mode: an edited program stays runnable). */
static const char *written_mode(const struct exec_chain *chain, const char *path)
{
	json_t *w;
	size_t i, k;
	for (i = 0; i < chain->nsteps; i++)
		json_array_foreach(json_object_get(chain->steps[i].record, "writes"), k, w)
		{
			if (!strcmp(str(w, "path") ?: "", path) && str(w, "mode"))
				return str(w, "mode");
		}
	return NULL;
}

/* Is ID one of CHAIN's steps? */
static int in_chain(const struct exec_chain *chain, const char *id)
{
	size_t i;
	for (i = 0; id && i < chain->nsteps; i++)
		if (!strcmp(str(chain->steps[i].record, "id") ?: "", id))
			return 1;
	return 0;
}

/*
 * PATH, which the chain writes, was read by a step of the chain in a
 * version no step of the chain made (a file edited in place: `sed -i`,
 * `>>`): put that version at DEST.  1 done, 0 not such a path, -1 it
 * cannot be had (the chain cannot run as recorded).
 */
static int initial_version(struct exec_session *s, const struct exec_chain *chain, const char *path,
			   const char *dest)
{
	size_t i, k;
	json_t *r;
	for (i = 0; i < chain->nsteps; i++)
		json_array_foreach(json_object_get(chain->steps[i].record, "reads"), k, r)
		{
			const char *sha = str(r, "sha256"), *kind = str(r, "kind"), *m;
			unsigned mode;
			if (strcmp(str(r, "path") ?: "", path) || !kind ||
			    (strcmp(kind, "file") && strcmp(kind, "exec")) ||
			    in_chain(chain, str(r, "producer")) ||
			    deletes(chain->steps[i].record, path))
				continue; /* (GDAL reads the old sidecar it removes) */
			if (!sha || cache_cas_has(s->cairn_dir, sha) != 1)
				return err_set(
				    CAIRN_ERROR,
				    "%s is changed in place by the chain, and the version "
				    "its steps read (%.8s) is not stored: the chain cannot "
				    "run as recorded",
				    path, sha ? sha : "?");
			m = str(r, "mode");
			if (!m)
				m = written_mode(chain, path);
			mode = m ? (unsigned)strtoul(m, NULL, 8) & 0777 : 0644;
			if (cache_cas_materialize(s->cairn_dir, sha, dest, mode, NULL) < 0)
				return -1;
			return 1;
		}
	return 0;
}

/* The longest of DIRS that PATH lies strictly below, or NULL. */
static const char *dir_above(const struct strvec *dirs, const char *path)
{
	const char *best = NULL;
	size_t i, n, bn = 0;
	for (i = 0; i < dirs->nr; i++) {
		n = strlen(dirs->v[i]);
		if (n > bn && !strncmp(path, dirs->v[i], n) && path[n] == '/') {
			best = dirs->v[i];
			bn = n;
		}
	}
	return best;
}

/* A whiteout at HIDE/PATH (its directories made as plain ones). */
static int whiteout(struct exec_session *s, const char *path, struct strbuf *p)
{
	char *slash;
	strbuf_reset(p);
	strbuf_addf(p, "%s/%s", s->into_hide, path);
	slash = strrchr(p->buf, '/');
	*slash = '\0';
	if (exec__mkdir_p(p->buf, 0700) < 0)
		return -1;
	*slash = '/';
	if (mknod(p->buf, S_IFCHR | 0600, makedev(0, 0)) < 0 && errno != EEXIST)
		return err_errno(CAIRN_ERROR, "cannot hide %s from the chain's steps", path);
	return 0;
}

static int into_hide(struct exec_session *s, const struct exec_chain *chain)
{
	struct strbuf p = STRBUF_INIT;
	size_t i, k;
	json_t *w;
	int ret = 0;

	free(s->into_hide);
	s->into_hide = xstrfmt("%s/hide", s->tmpdir);
	exec__remove_tree(s->into_hide);
	if (mkdir(s->into_hide, 0700) < 0)
		return err_errno(CAIRN_ERROR, "cannot create %s", s->into_hide);
	strvec_clear(&s->into_dirs);
	strvec_clear(&s->into_later);
	/* Directories the chain makes did not exist when it began: hidden
	 * whole (`mkdir d` without -p, `[ -d d ]` see what the recorded
	 * steps saw); what lies below them waits for them to be made. */
	for (i = 0; i < chain->nsteps; i++)
		json_array_foreach(json_object_get(chain->steps[i].record, "writes"), k, w)
		{
			const char *path = str(w, "path");
			if (path && !strcmp(str(w, "kind") ?: "", "dir") && util_path_plain(path))
				strvec_push(&s->into_dirs, path);
		}
	for (i = 0; !ret && i < s->into_dirs.nr; i++) {
		if (dir_above(&s->into_dirs, s->into_dirs.v[i]))
			strvec_push(&s->into_later, s->into_dirs.v[i]);
		else
			ret = whiteout(s, s->into_dirs.v[i], &p);
	}
	for (i = 0; !ret && i < chain->nsteps; i++) {
		json_array_foreach(json_object_get(chain->steps[i].record, "writes"), k, w)
		{
			const char *path = str(w, "path"), *kind = str(w, "kind");
			char *slash;
			if (!path || !kind || (strcmp(kind, "file") && strcmp(kind, "symlink")) ||
			    !util_path_plain(path))
				continue;
			if (dir_above(&s->into_dirs, path)) {
				strvec_push(&s->into_later, path);
				continue;
			}
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s", s->into_hide, path);
			slash = strrchr(p.buf, '/');
			*slash = '\0';
			if (exec__mkdir_p(p.buf, 0700) < 0) {
				ret = -1;
				break;
			}
			*slash = '/';
			/* Changed in place (sed -i, >>): the chain starts from the
			 * version the steps read, not from nothing. */
			if ((ret = initial_version(s, chain, path, p.buf)) != 0) {
				if (ret > 0)
					ret = 0;
				continue;
			}
			if (mknod(p.buf, S_IFCHR | 0600, makedev(0, 0)) < 0 && errno != EEXIST)
				ret = err_errno(CAIRN_ERROR,
						"cannot hide %s from the chain's steps", path);
		}
	}
	for (i = 0; !ret && i < chain->nsteps; i++)
		ret = as_recorded(s, chain, chain->steps[i].record, &p);
	strbuf_release(&p);
	return ret;
}

/*
 * What the chain does not rebuild is read as the recorded steps read it:
 * a raw input whose working version differs is put in the hide layer in
 * its recorded version when the content store has it, else said (the
 * chain then reads it as it is now).  The inputs being substituted are
 * left alone.
 */
static int as_recorded(struct exec_session *s, const struct exec_chain *chain, json_t *rec,
		       struct strbuf *p)
{
	json_t *r, *x;
	size_t k, j;
	json_array_foreach(json_object_get(rec, "reads"), k, r)
	{
		const char *path = str(r, "path"), *sha = str(r, "sha256"), *kind = str(r, "kind");
		char now[SHA256_HEX_LEN + 1];
		struct stat st;
		int subst = 0;
		if (!path || !sha || !kind || (strcmp(kind, "file") && strcmp(kind, "exec")) ||
		    !util_path_plain(path) || str(r, "role") || dir_above(&s->into_dirs, path))
			continue;
		json_array_foreach(chain->with, j, x)
		{
			subst |= !strcmp(str(x, "old") ?: "", path);
		}
		strbuf_reset(p);
		strbuf_addf(p, "%s/%s", s->into_hide, path);
		if (subst || !lstat(p->buf, &st))
			continue; /* substituted, rebuilt by the chain, or done */
		strbuf_reset(p);
		strbuf_addf(p, "%s/%s", s->root, path);
		if (lstat(p->buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    !exec__hash_file(s, now, p->buf, &st) && !strcmp(now, sha))
			continue;
		strbuf_reset(p);
		strbuf_addf(p, "%s/%s", s->into_hide, path);
		if (cache_cas_has(s->cairn_dir, sha) == 1) {
			char *slash = strrchr(p->buf, '/');
			*slash = '\0';
			if (exec__mkdir_p(p->buf, 0700) < 0)
				return -1;
			*slash = '/';
			const char *m = str(r, "mode");
			unsigned mode = m	    ? (unsigned)strtoul(m, NULL, 8) & 0777
			    : !strcmp(kind, "exec") ? 0755
						    : 0644;
			if (cache_cas_materialize(s->cairn_dir, sha, p->buf, mode, NULL) == 0) {
				fprintf(stderr,
					"cairn: %s has changed since the recorded steps read it; "
					"they read the recorded version (%.8s)\n",
					path, sha);
				continue;
			}
			err_clear();
		}
		fprintf(stderr,
			"cairn: %s has changed since the recorded steps read it (%.8s) and that "
			"version is not stored: the steps read it as it is now\n",
			path, sha);
		/* said once: a whiteout-free marker is not needed, the
		 * next step's read finds it unchanged or says it again */
	}
	return 0;
}

/* Does WRITES (a record's) name REST below the into directory? */
static int writes_rest(const struct exec_session *s, json_t *writes, const char *rest)
{
	json_t *w;
	size_t i;
	int found = 0;
	json_array_foreach(writes, i, w)
	{
		const char *path = str(w, "path");
		char *abs;
		const char *r;
		if (!path || found)
			continue;
		abs = path[0] == '/' ? xstrdup(path) : xstrfmt("%s/%s", s->root, path);
		r = exec__under(abs, s->into);
		found = r && !strcmp(r, rest);
		free(abs);
	}
	return found;
}

/* Directory DIR of the chain is made now: what lies right below it
 * (no other waiting directory between) and is not made by this step
 * is hidden now. */
static void unhide_dir(struct exec_session *s, json_t *writes, const char *dir, struct strbuf *p)
{
	size_t i, n = 0;
	int made = 0;
	for (i = 0; i < s->into_dirs.nr; i++)
		made |= !strcmp(s->into_dirs.v[i], dir);
	if (!made)
		return;
	for (i = 0; i < s->into_later.nr; i++) {
		char *q = s->into_later.v[i];
		const char *above = dir_above(&s->into_dirs, q);
		if (above && !strcmp(above, dir)) {
			if (!writes_rest(s, writes, q) && whiteout(s, q, p) < 0)
				err_clear();
			free(q);
			continue;
		}
		s->into_later.v[n++] = q;
	}
	s->into_later.nr = n;
}

void exec__into_unhide(struct exec_session *s, json_t *writes)
{
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	json_t *w;
	size_t i;
	if (!s->into_hide)
		return;
	json_array_foreach(writes, i, w)
	{
		const char *path = str(w, "path"), *rest;
		char *abs;
		if (!path)
			continue;
		abs = path[0] == '/' ? xstrdup(path) : xstrfmt("%s/%s", s->root, path);
		rest = exec__under(abs, s->into);
		if (rest && *rest) {
			strbuf_reset(&p);
			strbuf_addf(&p, "%s/%s", s->into_hide, rest);
			/* a whiteout, or the version a change in place began from */
			if (!lstat(p.buf, &st) && !S_ISDIR(st.st_mode))
				unlink(p.buf);
			unhide_dir(s, writes, rest, &p);
		}
		free(abs);
	}
	strbuf_release(&p);
}

int exec__into_refresh(struct exec_session *s)
{
	if (!s->into || !strcmp(s->into, s->into_view))
		return 0;
	exec__remove_tree(s->into_view);
	return copy_tree(s->into, s->into_view, 0755);
}

/* ---- paths and words ----------------------------------------------------- */

/* Characters that continue a path or a word: OLD must not be a part of a
 * longer one. */
static int path_char(int c)
{
	return c && (isalnum(c) || strchr("._-/+~@%,", c));
}

/*
 * Append TEXT (LEN bytes) to OUT with every occurrence of OLD that stands
 * alone (no path character on either side) replaced by REPL.  Returns how
 * many were replaced.
 */
static size_t replace_words(struct strbuf *out, const char *text, size_t len, const char *old,
			    const char *repl)
{
	size_t n = strlen(old), i = 0, count = 0;
	while (i < len) {
		if (n && i + n <= len && !memcmp(text + i, old, n) &&
		    (i == 0 || !path_char((unsigned char)text[i - 1])) &&
		    (i + n == len || !path_char((unsigned char)text[i + n]))) {
			strbuf_addstr(out, repl);
			i += n;
			count++;
			continue;
		}
		strbuf_addch(out, text[i++]);
	}
	return count;
}

/* Does TEXT name OLD as a whole word? */
static int names(const char *text, const char *old)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = replace_words(&sb, text, strlen(text), old, "");
	strbuf_release(&sb);
	return n > 0;
}

/* ABS (absolute) relative to directory DIR (absolute), with "..". */
static char *relative_to(const char *abs, const char *dir)
{
	struct strbuf out = STRBUF_INIT;
	const char *a = abs, *d = dir, *rest;
	size_t common = 0, i;
	if ((rest = exec__under(abs, dir)))
		return xstrdup(*rest ? rest : ".");
	/* The longest common directory prefix. */
	for (i = 0; a[i] && d[i] && a[i] == d[i]; i++)
		if (a[i] == '/')
			common = i;
	if (!d[i] && a[i] == '/')
		common = i;
	for (d = dir + common; *d; d++)
		if (*d == '/')
			strbuf_addstr(&out, "../");
	strbuf_addstr(&out, abs + common + 1);
	return strbuf_detach(&out, NULL);
}

static int is_url(const char *s)
{
	return !strncmp(s, "https://", 8) || !strncmp(s, "http://", 7) || !strncmp(s, "s3://", 5);
}

/* The GDAL virtual path of URL ("/vsicurl/https://...", "/vsis3/b/k"). */
static char *vsi_path(const char *url)
{
	if (!strncmp(url, "s3://", 5))
		return xstrfmt("/vsis3/%s", url + 5);
	return xstrfmt("/vsicurl/%s", url);
}

/* ---- planning ------------------------------------------------------------ */

static int cmp_steps(const void *a, const void *b)
{
	const json_t *x = ((const struct exec_chain_step *)a)->record;
	const json_t *y = ((const struct exec_chain_step *)b)->record;
	const char *sx = str(x, "started"), *sy = str(y, "started");
	int c = strcmp(sx ? sx : "", sy ? sy : "");
	if (c)
		return c;
	c = strcmp(str(x, "session") ? str(x, "session") : "",
		   str(y, "session") ? str(y, "session") : "");
	if (c)
		return c;
	return (int)(json_integer_value(json_object_get(x, "seq")) -
		     json_integer_value(json_object_get(y, "seq")));
}

/* Does the step write PATH (for an --into step: INTO/PATH)? */
static int writes_path(json_t *rec, const char *path)
{
	const char *into = str(rec, "into");
	json_t *w;
	size_t i;
	if (!path)
		return 0;
	json_array_foreach(json_object_get(rec, "writes"), i, w)
	{
		const char *p = str(w, "path"), *rest = p && into ? exec__under(p, into) : NULL;
		if (p && (!strcmp(p, path) || (rest && !strcmp(rest, path))))
			return 1;
	}
	return 0;
}

/* Is OLD (a path or URL) being substituted? */
static int substituted(const struct exec_subst *with, size_t nwith, const char *path)
{
	size_t i;
	for (i = 0; path && i < nwith; i++)
		if (!strcmp(with[i].old, path))
			return 1;
	return 0;
}

/* Does the step read OLD?  Its read, or NULL. */
static json_t *reads_old(json_t *rec, const char *old)
{
	json_t *r;
	size_t i;
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *path = str(r, "path"), *url = str(r, "url"), *kind = str(r, "kind");
		if (!path || !kind || !strcmp(kind, "absent"))
			continue;
		if (!strcmp(path, old) || (url && !strcmp(url, old)))
			return r;
		if (is_url(old) && !strcmp(kind, "remote")) {
			char *v = vsi_path(old);
			int same = !strcmp(v, path);
			free(v);
			if (same)
				return r;
		}
	}
	return NULL;
}

/* The programs a step ran: its own exec_tree, or for a cached step that
 * of the step whose outputs it reused. */
static json_t *exec_tree(struct prov_store *st, json_t *rec)
{
	json_t *tree = json_object_get(rec, "exec_tree"), *from = NULL, *t;
	if (json_array_size(tree) || !str(rec, "from_step"))
		return json_incref(tree);
	if (provenance_step_get(&from, st, str(rec, "from_step")) < 0) {
		err_clear();
		return json_incref(tree);
	}
	t = json_incref(json_object_get(from, "exec_tree"));
	json_decref(from);
	return t;
}

/* Does the step run python with GDAL's bindings (it read osgeo/)? */
static int reads_osgeo(json_t *rec)
{
	json_t *r;
	size_t i;
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *p = str(r, "path");
		if (p && strstr(p, "/osgeo/"))
			return 1;
	}
	return 0;
}

/* Of the programs of TREE, which one names one of FORMS in its argv?
 * GDAL's (1), another (0), or none (-1); *PROG its name. */
static int reader_kind(json_t *tree, json_t *rec, const struct strvec *forms, const char **prog)
{
	json_t *p, *a;
	size_t i, j, k;
	int found = -1;
	json_array_foreach(tree, i, p)
	{
		json_t *argv = json_object_get(p, "argv");
		const char *exe =
		    str(p, "exe") ? str(p, "exe") : json_string_value(json_array_get(argv, 0));
		const char *base;
		int hit = 0;
		json_array_foreach(argv, j, a)
		{
			for (k = 0; j > 0 && k < forms->nr && !hit; k++)
				hit = json_string_value(a) &&
				    names(json_string_value(a), forms->v[k]);
		}
		if (!hit || !exe)
			continue;
		base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
		*prog = base;
		if (formats_is_gdal_tool(base) || (!strncmp(base, "python", 6) && reads_osgeo(rec)))
			return 1;
		/* Shells pass it on to their children: look further. */
		if (strcmp(base, "bash") && strcmp(base, "sh") && strcmp(base, "dash"))
			found = 0;
	}
	return found;
}

/* Replace in every string of SV; returns how many replacements. */
static size_t replace_in(struct strvec *sv, const char *old, const char *repl)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, total = 0;
	for (i = 0; i < sv->nr; i++) {
		size_t n;
		strbuf_reset(&sb);
		n = replace_words(&sb, sv->v[i], strlen(sv->v[i]), old, repl);
		if (n) {
			free(sv->v[i]);
			sv->v[i] = xstrdup(sb.buf);
			total += n;
		}
	}
	strbuf_release(&sb);
	return total;
}

/*
 * Apply substitution W to chain step CS, which reads W->old: in its
 * command and in the variables of its start state, in each form the
 * step may name it (relative to its working directory, ./relative,
 * absolute; a URL also as GDAL's virtual path).
 */
static int apply_subst(struct exec_chain_step *cs, struct prov_store *st,
		       const struct exec_subst *w)
{
	const char *root = provenance_store_root(st);
	const char *id = str(cs->record, "id");
	struct strvec forms = STRVEC_INIT, repls = STRVEC_INIT;
	json_t *tree = NULL;
	const char *prog = NULL;
	size_t i, total = 0;
	int new_url = is_url(w->repl), ret = 0;
	const char *cwd = cs->state.cwd ? cs->state.cwd : root;

	if (is_url(w->old)) {
		strvec_push(&forms, w->old);
		strvec_push_nodup(&forms, vsi_path(w->old));
	} else {
		char *abs = w->old[0] == '/' ? xstrdup(w->old) : xstrfmt("%s/%s", root, w->old);
		char *rel = relative_to(abs, cwd);
		strvec_push(&forms, rel);
		strvec_pushf(&forms, "./%s", rel);
		strvec_push(&forms, abs);
		free(rel);
		free(abs);
	}
	tree = exec_tree(st, cs->record);
	if (new_url) {
		int k = reader_kind(tree, cs->record, &forms, &prog);
		if (k == 0) {
			ret = err_set(CAIRN_EUSAGE,
				      "step %.8s reads %s with %s, which is not a GDAL program: it "
				      "cannot read %s",
				      id, w->old, prog, w->repl);
			goto out;
		}
		/* GDAL reads URLs through its virtual file systems. */
		for (i = 0; i < forms.nr; i++)
			strvec_push_nodup(&repls, vsi_path(w->repl));
		cs->net = 1;
	} else {
		for (i = 0; i < forms.nr; i++) {
			/* Named relative: NEW relative too when in the project. */
			if (forms.v[i][0] != '/' && !is_url(forms.v[i]) &&
			    exec__under(w->repl, root)) {
				char *rel = relative_to(w->repl, cwd);
				/* "./OLD" stays "./NEW". */
				if (!strncmp(forms.v[i], "./", 2) && strncmp(rel, "../", 3))
					strvec_pushf(&repls, "./%s", rel);
				else
					strvec_push(&repls, rel);
				free(rel);
			} else {
				strvec_push(&repls, w->repl);
			}
		}
	}
	/* Longest forms first: the absolute one holds the relative one. */
	for (i = forms.nr; i-- > 0;) {
		struct strbuf sb = STRBUF_INIT;
		size_t n =
		    replace_words(&sb, cs->command, strlen(cs->command), forms.v[i], repls.v[i]);
		free(cs->command);
		cs->command = strbuf_detach(&sb, NULL);
		total += n;
		total += replace_in(&cs->state.vars, forms.v[i], repls.v[i]);
		total += replace_in(&cs->state.env, forms.v[i], repls.v[i]);
	}
	if (!total) {
		ret = err_set(CAIRN_EUSAGE,
			      "step %.8s reads %s, but neither its command nor its variables name "
			      "it: cannot substitute it",
			      id, w->old);
		goto out;
	}
	cs->substituted = 1;
out:
	json_decref(tree);
	strvec_clear(&forms);
	strvec_clear(&repls);
	return ret;
}

/* Load the start state of step REC from the content store. */
static int load_state(struct exec_state *out, struct prov_store *st, json_t *rec)
{
	const char *sha = str(json_object_get(rec, "start_state"), "state_sha256");
	struct strbuf sb = STRBUF_INIT;
	int ret;
	if (!sha || !util_is_sha256_hex(sha) ||
	    cache_cas_read(&sb, provenance_store_dir(st), sha, MAX_STATE) < 0) {
		strbuf_release(&sb);
		return err_set(CAIRN_ENOTFOUND,
			       "the start state of step %.8s (%s) is not in the content store "
			       "(recorded by an older cairn, or collected): it cannot be run again",
			       str(rec, "id"), str(rec, "command") ? str(rec, "command") : "?");
	}
	ret = exec_state_parse(out, sb.buf, sb.len);
	strbuf_release(&sb);
	if (ret < 0)
		return err_set(CAIRN_ERROR, "the start state of step %.8s is damaged",
			       str(rec, "id"));
	return 0;
}

int exec_chain_plan(struct exec_chain *out, struct prov_store *st, const char *target,
		    const char *step, const struct exec_subst *with, size_t nwith)
{
	char id[PROV_ID_LEN + 1], sha[SHA256_HEX_LEN + 1];
	json_t *seen = json_object(), *queue = json_array();
	size_t head = 0, i, k;
	int ret;

	memset(out, 0, sizeof(*out));
	out->target = xstrdup(target);
	out->with = json_array();
	for (k = 0; k < nwith; k++) {
		/* NEW as records name paths: project-relative inside it. */
		const char *rest = exec__under(with[k].repl, provenance_store_root(st));
		json_t *o = json_object();

		json_object_set_new(o, "old", util_json_str(with[k].old));
		json_object_set_new(o, "new", util_json_str(rest && *rest ? rest : with[k].repl));
		json_array_append_new(out->with, o);
	}
	if (step) {
		memcpy(id, step, sizeof(id) - 1);
		id[PROV_ID_LEN] = '\0';
		sha[0] = '-';
		sha[1] = '\0';
		ret = 0;
	} else {
		ret = provenance_latest_writer(id, sha, st, target);
	}
	if (ret == CAIRN_ENOTFOUND) {
		ret = err_set(CAIRN_ENOTFOUND, "%s was never written by a recorded step", target);
		goto out;
	}
	if (ret < 0)
		goto out;
	if (!*sha) {
		ret = err_set(CAIRN_ENOTFOUND, "%s was deleted by step %.8s", target, id);
		goto out;
	}
	memcpy(out->target_step, id, sizeof(out->target_step));
	json_object_set_new(seen, id, json_true());
	json_array_append_new(queue, json_string(id));
	while (head < json_array_size(queue)) {
		const char *sid = json_string_value(json_array_get(queue, head++));
		json_t *rec = NULL, *r;
		struct exec_chain_step *cs;
		if ((ret = provenance_step_get(&rec, st, sid)) < 0) {
			if (ret == CAIRN_ENOTFOUND)
				ret = err_set(CAIRN_ENOTFOUND,
					      "step %.8s of the lineage of %s is missing from the "
					      "store",
					      sid, target);
			goto out;
		}
		out->steps = xrealloc(out->steps, (out->nsteps + 1) * sizeof(*out->steps));
		cs = &out->steps[out->nsteps++];
		memset(cs, 0, sizeof(*cs));
		cs->record = rec;
		exec_state_init(&cs->state);
		json_array_foreach(json_object_get(rec, "reads"), i, r)
		{
			const char *p = str(r, "producer");
			/* A substituted input's own history is not needed, nor
			 * the earlier version of a file the step replaced (a
			 * program looking at its output before writing it). */
			if (!p || !*p || substituted(with, nwith, str(r, "path")) ||
			    json_object_get(seen, p) || writes_path(rec, str(r, "path")))
				continue;
			json_object_set_new_nocheck(seen, p, json_true());
			json_array_append_new(queue, util_json_str(p));
		}
	}
	qsort(out->steps, out->nsteps, sizeof(*out->steps), cmp_steps);

	for (i = 0; i < out->nsteps; i++) {
		struct exec_chain_step *cs = &out->steps[i];
		const char *cmd = str(cs->record, "command");
		if ((ret = load_state(&cs->state, st, cs->record)) < 0)
			goto out;
		cs->command = xstrdup(cmd ? cmd : "");
	}
	for (k = 0; k < nwith; k++) {
		int any = 0;
		for (i = 0; i < out->nsteps; i++) {
			if (!reads_old(out->steps[i].record, with[k].old))
				continue;
			any = 1;
			if ((ret = apply_subst(&out->steps[i], st, &with[k])) < 0)
				goto out;
		}
		if (!any) {
			ret = err_set(
			    CAIRN_ENOTFOUND,
			    "no step in the lineage of %s read %s (%zu step%s: see `cairn "
			    "lineage %s`)",
			    target, with[k].old, out->nsteps, out->nsteps == 1 ? "" : "s", target);
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(seen);
	json_decref(queue);
	if (ret < 0)
		exec_chain_release(out);
	return ret;
}

void exec_chain_release(struct exec_chain *c)
{
	size_t i;
	for (i = 0; i < c->nsteps; i++) {
		json_decref(c->steps[i].record);
		free(c->steps[i].command);
		exec_state_release(&c->steps[i].state);
	}
	free(c->steps);
	free(c->target);
	json_decref(c->with);
	memset(c, 0, sizeof(*c));
}

/* ---- running ------------------------------------------------------------- */

/* Make S run the next step as REC's session ran it: shell, language,
 * mode, $0 and how the shell gets its program. */
static int retarget(struct exec_session *s, json_t *rec)
{
	static const char *const modes[] = { "script", "string", "stdin", "repl" };
	const char *mode = str(rec, "mode"), *argv0 = str(rec, "argv0");
	const char *script = str(rec, "script"), *shell = str(rec, "shell");
	const char *shell_path = str(rec, "shell_path");
	enum exec_mode m = script ? EXEC_MODE_SCRIPT : EXEC_MODE_STRING;
	size_t i;

	for (i = 0; mode && i < ARRAY_SIZE(modes); i++)
		if (!strcmp(mode, modes[i]))
			m = (enum exec_mode)i;
	s->lang = shell && !strcmp(shell, "sh") ? EXEC_LANG_SH : EXEC_LANG_BASH;
	if (shell_path && !access(shell_path, X_OK)) {
		free(s->shell);
		s->shell = xstrdup(shell_path);
	}
	free(s->script_abs);
	free(s->stage_cwd);
	free(s->stage_prog);
	s->script_abs = s->stage_cwd = s->stage_prog = NULL;
	s->how = EXEC_HOW_STRING;
	free(s->argv0);
	if (m == EXEC_MODE_SCRIPT && script) {
		char *abs = script[0] == '/' ? xstrdup(script) : xstrfmt("%s/%s", s->root, script);
		struct stat st;
		s->script_abs = realpath(abs, NULL);
		free(abs);
		if (!s->script_abs) {
			s->argv0 = xstrdup("bash");
			return err_set(CAIRN_ENOTFOUND,
				       "step %.8s came from the script %s, which is gone",
				       str(rec, "id"), script);
		}
		s->argv0 = xstrdup(argv0 && *argv0 ? argv0 : script);
		if (s->argv0[0] != '/') {
			if (exec__make_stage(s, s->argv0) < 0)
				return -1;
			s->how = EXEC_HOW_STAGE;
		} else if (!stat(s->script_abs, &st) && S_ISREG(st.st_mode)) {
			s->how = EXEC_HOW_MOUNT;
		}
	} else {
		if (m == EXEC_MODE_SCRIPT)
			m = EXEC_MODE_STRING;
		s->argv0 = xstrdup(argv0 && *argv0		 ? argv0
				       : s->lang == EXEC_LANG_SH ? "sh"
								 : "bash");
	}
	s->mode = m;
	return 0;
}

/* The fresh shell's baseline that REC's session noted. */
static void take_base(struct exec_session *s, json_t *rec)
{
	const char *base = str(rec, "shell_base");
	if (!base || strlen(base) != SHA256_HEX_LEN || !strcmp(base, s->base_key))
		return;
	memcpy(s->base_key, base, sizeof(s->base_key));
	s->have_base = 0;
	s->base_saved = 0;
	exec__cache_load_base(s);
}

/* Records wait here until the whole chain has succeeded. */
struct held {
	json_t *record;
	char *pending;
};

struct holder {
	struct held *v;
	size_t n, alloc;
};

static int hold_record(struct json_t *record, const char *pending, void *payload)
{
	struct holder *h = payload;
	ALLOC_GROW(h->v, h->n + 1, h->alloc);
	h->v[h->n].record = json_incref(record);
	h->v[h->n].pending = pending ? xstrdup(pending) : NULL;
	h->n++;
	return 0;
}

/* A working file as it was before the chain ran, to put back. */
struct saved {
	char *path; /* host path */
	char sha[SHA256_HEX_LEN + 1]; /* "" : absent */
	unsigned mode;
};

static void save_file(struct exec_session *s, struct saved **v, size_t *n, const char *host)
{
	struct stat st;
	size_t i;
	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i].path, host))
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].path = xstrdup(host);
	if (!lstat(host, &st) && S_ISREG(st.st_mode)) {
		if (cache_cas_put_file((*v)[*n].sha, s->cairn_dir, host) < 0) {
			warn("%s", err_last());
			(*v)[*n].sha[0] = '\0';
			free((*v)[*n].path);
			return;
		}
		(*v)[*n].mode = st.st_mode & 07777;
	} else if (!lstat(host, &st)) {
		/* Not a regular file: left alone. */
		free((*v)[*n].path);
		return;
	}
	(*n)++;
}

/* Put back the working files that SAVED lists as they were. */
static void restore_files(struct exec_session *s, struct saved *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		struct stat st;
		char now[SHA256_HEX_LEN + 1] = "";
		uint64_t size;
		int exists = !lstat(v[i].path, &st);
		if (exists && S_ISREG(st.st_mode) && util_sha256_file(now, &size, v[i].path) < 0)
			now[0] = '\0';
		if (!v[i].sha[0]) {
			if (exists)
				unlink(v[i].path);
			continue;
		}
		if (exists && !strcmp(now, v[i].sha))
			continue;
		{
			char *tmp = xstrfmt("%s.cairn-restore", v[i].path);
			if (cache_cas_materialize(s->cairn_dir, v[i].sha, tmp, v[i].mode, NULL) <
				0 ||
			    rename(tmp, v[i].path) < 0) {
				warn("cannot put %s back: %s", v[i].path, err_last());
				unlink(tmp);
			}
			free(tmp);
		}
	}
}

/* The chain's steps as the scheduler sees them. */
struct chain_run {
	struct exec_chain *chain;
	struct exec_step *steps;
	size_t failed;
	int stopped; /* a step failed */
};

/* Set S up for step I: its shell, $0 and mode, the fresh shell's
 * baseline, its recorded start state, the `rerun` of its record. */
static int chain_prepare(size_t i, struct exec_session *s, void *payload)
{
	struct chain_run *cr = payload;
	struct exec_chain_step *cs = &cr->chain->steps[i];
	json_t *rec = cs->record;
	struct strvec fds = STRVEC_INIT;

	if (retarget(s, rec) < 0)
		return -1;
	take_base(s, rec);
	/* The recorded state, with the descriptors the session has now (as
	 * for a cache hit): the step writes where this run's output goes. */
	strvec_copy(&fds, s->have_fds ? &s->state.fds : &s->own_fds);
	exec_state_release(&s->state);
	exec_state_init(&s->state);
	exec_state_copy(&s->state, &cs->state);
	strvec_clear(&s->state.fds);
	strvec_copy(&s->state.fds, &fds);
	strvec_clear(&fds);
	if (s->state.cwd) {
		free(s->startdir);
		s->startdir = xstrdup(s->state.cwd);
	}
	json_decref(s->rerun);
	s->rerun = json_pack("{s:s,s:O}", "of_step", str(rec, "id") ? str(rec, "id") : "", "with",
			     cr->chain->with);
	return 0;
}

static int chain_done(size_t i, const struct exec_step *step, const struct exec_result *res,
		      void *payload)
{
	struct chain_run *cr = payload;
	struct exec_chain_step *cs = &cr->chain->steps[i];

	(void)step;
	cs->done = 1;
	cs->cached = res->cached;
	cs->status = res->status;
	memcpy(cs->new_id, res->id, sizeof(cs->new_id));
	if (res->status != 0) {
		cr->failed = i;
		cr->stopped = 1;
		return 1;
	}
	return 0;
}

int exec_chain_run(struct exec_session *s, struct exec_chain *chain, unsigned flags, size_t *failed)
{
	struct holder held = { 0 };
	struct saved *saved = NULL;
	struct chain_run cr = { chain, NULL, 0, 0 };
	struct exec_sched_opts so = { 0 };
	struct exec_sched_stats stats = { 0 };
	json_t **hints = NULL;
	size_t nsaved = 0, i, k;
	exec_record_fn record = s->record;
	void *payload = s->record_payload;
	int ret = 0;

	cr.steps = xcalloc(chain->nsteps + 1, sizeof(*cr.steps));
	hints = xcalloc(chain->nsteps + 1, sizeof(*hints));
	for (i = 0; i < chain->nsteps; i++) {
		struct exec_chain_step *cs = &chain->steps[i];
		json_t *rec = cs->record, *sb = json_object_get(rec, "sandbox");
		json_t *limits = json_object_get(sb, "limits"), *w;
		const char *off = str(json_object_get(rec, "cache"), "off");
		struct exec_step *step = &cr.steps[i];

		hints[i] = rec;
		step->text = cs->command;
		step->len = strlen(cs->command);
		step->line = (unsigned)json_integer_value(json_object_get(rec, "line"));
		if (!step->line)
			step->line = 1;
		step->directives.net = cs->net || json_is_true(json_object_get(sb, "network"));
		step->directives.nocache = off && !strcmp(off, "#cairn: nocache");
		if (json_is_object(limits)) {
			step->directives.timeout =
			    (unsigned)json_integer_value(json_object_get(limits, "timeout_s"));
			step->directives.mem =
			    (uint64_t)json_integer_value(json_object_get(limits, "mem_bytes"));
		}
		/* The working files the chain will replace, to put back if a
		 * step fails: all of them, before any step runs.  Only plain
		 * paths in the project, reached through no link: the record
		 * may come from a store someone handed you, and a file it
		 * names elsewhere ("../x", "link/x") would be copied into
		 * this store, and written or removed when put back. */
		if (!s->into && !(flags & EXEC_CHAIN_DISCARD))
			json_array_foreach(json_object_get(rec, "writes"), k, w)
			{
				struct strbuf host = STRBUF_INIT;
				const char *p = str(w, "path");
				if (p && !exec__view_host(s, p, &host) &&
				    exec__plainly_under(host.buf, s->root))
					save_file(s, &saved, &nsaved, host.buf);
				strbuf_release(&host);
			}
	}

	if (s->into && into_hide(s, chain) < 0) {
		free(cr.steps);
		free(hints);
		return -1;
	}
	s->record = hold_record;
	s->record_payload = &held;
	/* With --into, each step sees a fresh copy of DIR: in order only. */
	so.jobs = s->into ? 1 : chain->jobs;
	so.hints = hints;
	so.done = chain_done;
	so.prepare = chain_prepare;
	so.payload = &cr;
	if (exec_sched_run(s, cr.steps, chain->nsteps, &so, &stats) < 0)
		ret = -1;
	else if (cr.stopped) {
		*failed = cr.failed;
		ret = 1;
	}
	chain->ahead = stats.early_kept;

	s->record = record;
	s->record_payload = payload;
	json_decref(s->rerun);
	s->rerun = NULL;
	if (ret != 0 && nsaved)
		restore_files(s, saved, nsaved);
	for (i = 0; i < held.n; i++) {
		if (ret == 0 && !(flags & EXEC_CHAIN_DISCARD) && record) {
			if (record(held.v[i].record, held.v[i].pending, payload) < 0) {
				warn("%s", err_last());
				ret = -1;
			}
		} else if (held.v[i].pending) {
			unlink(held.v[i].pending);
		}
		json_decref(held.v[i].record);
		free(held.v[i].pending);
	}
	free(held.v);
	for (i = 0; i < nsaved; i++)
		free(saved[i].path);
	free(saved);
	free(cr.steps);
	free(hints);
	return ret;
}

int exec_remove_tree(const char *path)
{
	return exec__remove_tree(path);
}
