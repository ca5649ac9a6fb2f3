/*
 * maint.c - keeping the store healthy: walking and re-hashing objects,
 * quarantine, garbage collection, pruning the action cache, the cache
 * lock.
 */
#include "cache-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- walking ------------------------------------------------------------ */

static int is_hex(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory PATH except . and .., sorted.  0, or
 * CAIRN_ENOTFOUND when PATH is missing, or -1. */
static int list_dir(struct strvec *out, const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOENT ? CAIRN_ENOTFOUND
				       : err_errno(CAIRN_ERROR, "cannot read %s", path);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strvec_push(out, e->d_name);
	closedir(d);
	if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_str);
	return 0;
}

int cache_cas_foreach(const char *cairn_dir, int (*cb)(const struct cache_object *o, void *payload),
		      void *payload)
{
	struct strvec fans = STRVEC_INIT, names = STRVEC_INIT;
	struct strbuf base = STRBUF_INIT, path = STRBUF_INIT, name = STRBUF_INIT;
	size_t i, j;
	int ret;

	strbuf_addf(&base, "%s/cas/sha256", cairn_dir);
	ret = list_dir(&fans, base.buf);
	if (ret == CAIRN_ENOTFOUND)
		ret = 0;
	for (i = 0; !ret && i < fans.nr; i++) {
		const char *fan = fans.v[i];
		int fan_ok = strlen(fan) == 2 && is_hex(fan, 2);
		struct stat st;

		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", base.buf, fan);
		if (lstat(path.buf, &st) < 0)
			continue;
		if (!S_ISDIR(st.st_mode) || !fan_ok) {
			/* Something that is not a fan-out directory. */
			struct cache_object o = { 0 };
			o.path = path.buf;
			o.name = fan;
			o.misnamed = 1;
			o.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
			o.mtime = st.st_mtime;
			o.atime = st.st_atime;
			ret = cb(&o, payload);
			continue;
		}
		strvec_clear(&names);
		if ((ret = list_dir(&names, path.buf)) == CAIRN_ENOTFOUND) {
			ret = 0;
			continue;
		}
		for (j = 0; !ret && j < names.nr; j++) {
			const char *n = names.v[j];
			size_t len = strlen(n);
			struct cache_object o = { 0 };

			strbuf_reset(&path);
			strbuf_addf(&path, "%s/%s/%s", base.buf, fan, n);
			strbuf_reset(&name);
			strbuf_addf(&name, "%s/%s", fan, n);
			if (lstat(path.buf, &st) < 0)
				continue; /* removed meanwhile */
			o.path = path.buf;
			o.name = name.buf;
			o.compressed = len == 66 && !strcmp(n + 62, ".zst");
			o.misnamed =
			    !S_ISREG(st.st_mode) || !(len == 62 || o.compressed) || !is_hex(n, 62);
			if (!o.misnamed) {
				memcpy(o.sha, fan, 2);
				memcpy(o.sha + 2, n, 62);
				o.sha[64] = '\0';
			}
			o.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
			o.mtime = st.st_mtime;
			o.atime = st.st_atime;
			ret = cb(&o, payload);
		}
	}
	strvec_clear(&fans);
	strvec_clear(&names);
	strbuf_release(&base);
	strbuf_release(&path);
	strbuf_release(&name);
	return ret;
}

int cache_cas_check(char got[SHA256_HEX_LEN + 1], uint64_t *raw, const struct cache_object *o)
{
	int fd, ret;

	got[0] = '\0';
	if (o->misnamed)
		return err_set(CAIRN_ERROR, "%s is not named as an object", o->path);
	fd = cache__open_noatime(o->path);
	if (fd < 0)
		return err_errno(CAIRN_ERROR, "cannot open %s", o->path);
	ret = cache__stream(got, raw, fd, o->path, o->compressed, -1, NULL);
	close(fd);
	if (ret < 0) {
		got[0] = '\0';
		return ret;
	}
	if (strcmp(got, o->sha))
		return err_set(CAIRN_ECONFLICT, "%s is corrupt: its bytes hash to %s", o->path,
			       got);
	return 0;
}

/* ---- sets of names ------------------------------------------------------- */

void cache_shaset_add(struct cache_shaset *s, const char *sha)
{
	if (!sha || !util_is_sha256_hex(sha))
		return;
	ALLOC_GROW(s->v, s->nr + 1, s->alloc);
	memcpy(s->v[s->nr++], sha, SHA256_HEX_LEN + 1);
	s->sorted = 0;
}

static int cmp_sha(const void *a, const void *b)
{
	return memcmp(a, b, SHA256_HEX_LEN);
}

int cache_shaset_has(struct cache_shaset *s, const char *sha)
{
	if (!s->nr || !sha)
		return 0;
	if (!s->sorted) {
		size_t i, n = 0;
		qsort(s->v, s->nr, sizeof(*s->v), cmp_sha);
		for (i = 0; i < s->nr; i++)
			if (!n || memcmp(s->v[n - 1], s->v[i], SHA256_HEX_LEN))
				memmove(s->v[n++], s->v[i], sizeof(*s->v));
		s->nr = n;
		s->sorted = 1;
	}
	return strlen(sha) == SHA256_HEX_LEN &&
	    bsearch(sha, s->v, s->nr, sizeof(*s->v), cmp_sha) != NULL;
}

void cache_shaset_release(struct cache_shaset *s)
{
	free(s->v);
	s->v = NULL;
	s->nr = s->alloc = 0;
	s->sorted = 1;
}

/* ---- the action cache ---------------------------------------------------- */

/* The objects candidate C references, or 0 when one is malformed (a
 * member of the wrong type). */
static int candidate_objects(struct strvec *out, json_t *c)
{
	const char *keys[] = { "stdout", "stderr", "end_state" };
	json_t *w, *v;
	size_t i;

	if (!json_is_object(c))
		return 0;
	v = json_object_get(c, "writes");
	if (v && !json_is_array(v))
		return 0;
	json_array_foreach(v, i, w)
	{
		json_t *sha = json_object_get(w, "sha256");
		if (!json_is_object(w))
			return 0;
		if (json_is_string(sha))
			strvec_push(out, json_string_value(sha));
		else if (sha && !json_is_null(sha))
			return 0;
	}
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		v = json_object_get(c, keys[i]);
		if (json_is_string(v))
			strvec_push(out, json_string_value(v));
		else if (v && !json_is_null(v))
			return 0;
	}
	return 1;
}

/* Write ENTRY over PATH atomically (temporary file in the same
 * directory, fsync, rename). */
static int rewrite_entry(const char *path, json_t *entry)
{
	char *tmp = xstrfmt("%s.gc.XXXXXX", path);
	char *text = util_json_dumps(entry, JSON_COMPACT);
	int fd = -1, ret = -1;

	if (!text)
		die("out of memory (jansson)");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot create a temporary file beside %s", path);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (util_write_all(fd, text, strlen(text)) < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0 ||
	    rename(tmp, path) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rewrite %s", path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(text);
	return ret;
}

/*
 * One entry file: parse it, count it, drop the candidates with an
 * object that is not ALIVE.
 */
static int prune_entry(struct cache_actions_result *r, const char *path, const char *key,
		       int (*alive)(const char *sha, void *payload),
		       void (*report)(const char *path, const char *problem, void *payload),
		       unsigned flags, void *payload)
{
	json_t *e = util_json_load_file(path, 0, NULL), *cands, *c, *keep = NULL;
	const char *why = NULL;
	size_t i, j;
	int ret = 0;

	cands = json_object_get(e, "candidates");
	if (!json_is_object(e))
		why = "is not a JSON object";
	else if (!json_is_string(json_object_get(e, "key")) ||
		 strcmp(json_string_value(json_object_get(e, "key")), key))
		why = "does not hold the key its name says";
	else if (!json_is_array(cands))
		why = "has no list of candidates";
	if (!why) {
		json_array_foreach(cands, i, c)
		{
			struct strvec objs = STRVEC_INIT;
			int ok = candidate_objects(&objs, c);
			strvec_clear(&objs);
			if (!ok) {
				why = "has a malformed candidate";
				break;
			}
		}
	}
	if (why) {
		r->malformed++;
		if (report) {
			char *msg = xstrfmt("malformed action entry: it %s", why);
			report(path, msg, payload);
			free(msg);
		}
		if ((flags & CACHE_ACTIONS_DROP_MALFORMED) && !(flags & CACHE_ACTIONS_DRY_RUN) &&
		    unlink(path) < 0 && errno != ENOENT)
			ret = err_errno(CAIRN_ERROR, "cannot remove %s", path);
		goto out;
	}
	r->entries++;
	r->candidates += json_array_size(cands);
	if (!alive)
		goto out;
	keep = json_array();
	json_array_foreach(cands, i, c)
	{
		struct strvec objs = STRVEC_INIT;
		const char *gone = NULL;
		candidate_objects(&objs, c);
		for (j = 0; j < objs.nr && !gone; j++)
			if (!alive(objs.v[j], payload))
				gone = objs.v[j];
		if (gone) {
			r->dropped++;
			if (report) {
				const char *step = json_string_value(json_object_get(c, "step"));
				char *msg = xstrfmt("candidate of step %.8s references object "
						    "%.12s, which is not in the store",
						    step ? step : "?", gone);
				report(path, msg, payload);
				free(msg);
			}
		} else {
			json_array_append(keep, c);
		}
		strvec_clear(&objs);
	}
	if (json_array_size(keep) == json_array_size(cands))
		goto out;
	if (!json_array_size(keep)) {
		r->removed++;
		if (!(flags & CACHE_ACTIONS_DRY_RUN) && unlink(path) < 0 && errno != ENOENT)
			ret = err_errno(CAIRN_ERROR, "cannot remove %s", path);
	} else if (!(flags & CACHE_ACTIONS_DRY_RUN)) {
		json_object_set(e, "candidates", keep);
		ret = rewrite_entry(path, e);
	}
out:
	json_decref(keep);
	json_decref(e);
	return ret;
}

int cache_actions_prune(struct cache_actions_result *out, const char *cairn_dir,
			int (*alive)(const char *sha, void *payload),
			void (*report)(const char *path, const char *problem, void *payload),
			unsigned flags, void *payload)
{
	struct strvec fans = STRVEC_INIT, names = STRVEC_INIT;
	struct strbuf base = STRBUF_INIT, path = STRBUF_INIT;
	char key[SHA256_HEX_LEN + 1];
	int lock = -1, ret;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	strbuf_addf(&base, "%s/actions", cairn_dir);
	ret = list_dir(&fans, base.buf);
	if (ret == CAIRN_ENOTFOUND) {
		ret = 0;
		goto out;
	}
	if (ret < 0)
		goto out;
	/* Writers of entries serialise on actions/.lock; so do we when we
	 * may change one. */
	if (!(flags & CACHE_ACTIONS_DRY_RUN)) {
		strbuf_addf(&path, "%s/.lock", base.buf);
		lock = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (lock < 0 || flock(lock, LOCK_EX) < 0) {
			ret = err_errno(CAIRN_ERROR, "cannot lock %s", path.buf);
			goto out;
		}
	}
	for (i = 0; !ret && i < fans.nr; i++) {
		const char *fan = fans.v[i];
		if (strlen(fan) != 2 || !is_hex(fan, 2))
			continue; /* .lock, and anything that is not a fan-out */
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", base.buf, fan);
		strvec_clear(&names);
		if (list_dir(&names, path.buf) < 0)
			continue;
		for (j = 0; !ret && j < names.nr; j++) {
			const char *n = names.v[j];
			strbuf_reset(&path);
			strbuf_addf(&path, "%s/%s/%s", base.buf, fan, n);
			if (strlen(n) != 62 || !is_hex(n, 62)) {
				/* A writer's temporary file, or debris. */
				if (report && n[0] != '.') {
					out->malformed++;
					report(path.buf,
					       "not an action entry (its name is not a key)",
					       payload);
					if ((flags & CACHE_ACTIONS_DROP_MALFORMED) &&
					    !(flags & CACHE_ACTIONS_DRY_RUN))
						unlink(path.buf);
				}
				continue;
			}
			memcpy(key, fan, 2);
			memcpy(key + 2, n, 63);
			ret = prune_entry(out, path.buf, key, alive, report, flags, payload);
		}
	}
out:
	if (lock >= 0)
		close(lock);
	strvec_clear(&fans);
	strvec_clear(&names);
	strbuf_release(&base);
	strbuf_release(&path);
	return ret;
}

/* ---- garbage collection ------------------------------------------------- */

struct sweep {
	const char *cairn_dir;
	struct cache_gc_result *r;
	struct cache_shaset *keep;
	int dry_run;
};

static int sweep_one(const struct cache_object *o, void *payload)
{
	struct sweep *s = payload;

	if (o->misnamed)
		return 0;
	if (cache_shaset_has(s->keep, o->sha)) {
		s->r->kept++;
		s->r->kept_bytes += o->size;
		return 0;
	}
	if (!s->dry_run && unlink(o->path) < 0 && errno != ENOENT)
		return err_errno(CAIRN_ERROR, "cannot remove %s", o->path);
	s->r->removed++;
	s->r->removed_bytes += o->size;
	return 0;
}

static int alive_after_sweep(const char *sha, void *payload)
{
	struct sweep *s = payload;
	return cache_shaset_has(s->keep, sha) && cache_cas_has(s->cairn_dir, sha);
}

int cache_gc_sweep(struct cache_gc_result *out, const char *cairn_dir, struct cache_shaset *keep,
		   int dry_run)
{
	struct sweep s = { cairn_dir, out, keep, dry_run };
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = cache_cas_foreach(cairn_dir, sweep_one, &s)) < 0)
		return ret;
	/* A candidate is only useful with all its objects: one whose
	 * objects went (now, or earlier) is dropped. */
	return cache_actions_prune(&out->actions, cairn_dir, alive_after_sweep, NULL,
				   dry_run ? CACHE_ACTIONS_DRY_RUN : 0, &s);
}

/* ---- the cache lock ----------------------------------------------------- */

static int lock_open(int *out, const char *cairn_dir)
{
	char *path = xstrfmt("%s/cache.lock", cairn_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		int ret = err_errno(CAIRN_ERROR, "cannot open %s", path);
		free(path);
		return ret;
	}
	free(path);
	*out = fd;
	return 0;
}

int cache_lock_shared(int *out, const char *cairn_dir)
{
	int fd, ret;

	*out = -1;
	if ((ret = lock_open(&fd, cairn_dir)) < 0)
		return ret;
	while (flock(fd, LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		ret = err_errno(CAIRN_ERROR, "cannot lock %s/cache.lock", cairn_dir);
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

int cache_lock_exclusive(int *out, const char *cairn_dir, int wait)
{
	int fd, ret;

	*out = -1;
	if ((ret = lock_open(&fd, cairn_dir)) < 0)
		return ret;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			ret = err_set(CAIRN_ECONFLICT,
				      "a running cairn session is using the store (it holds "
				      "%s/cache.lock); let it finish, or pass --wait",
				      cairn_dir);
		else
			ret = err_errno(CAIRN_ERROR, "cannot lock %s/cache.lock", cairn_dir);
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

void cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
