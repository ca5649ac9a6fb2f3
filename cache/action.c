/*
 * action.c - the action cache: action key -> candidate traces.
 *
 * .cairn/actions/ab/<62 hex> holds one JSON document per action key:
 *
 *	{"key": KEY, "key_parts": {...}, "candidates": [CANDIDATE, ...]}
 *
 * newest candidate first, at most a bounded number.  A candidate is what
 * one run of the step read and wrote (docs/cache.md).  .cairn/actions/
 * sites/<sha> remembers, per place a step comes from (script and line,
 * or command text), the key it had last, so that a miss can say which
 * part of the key changed.  Files are replaced whole (temporary file,
 * rename) under an exclusive lock on .cairn/actions/.lock.
 */
#include "cache-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void entry_path(struct strbuf *out, const char *cairn_dir, const char *sub, const char *key)
{
	if (sub)
		strbuf_addf(out, "%s/actions/%s/%s", cairn_dir, sub, key);
	else
		strbuf_addf(out, "%s/actions/%.2s/%s", cairn_dir, key, key + 2);
}

int cache__action_parse(json_t **out, const char *buf, size_t len, const char *name, int candidates)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	j = util_json_loadb(buf, len, 0, &jerr);
	if (!j)
		return err_set(CAIRN_ERROR, "%s: malformed action cache entry: %s", name,
			       jerr.text);
	if (!json_is_object(j) ||
	    (candidates && !json_is_array(json_object_get(j, "candidates")))) {
		json_decref(j);
		return err_set(CAIRN_ERROR, "%s: malformed action cache entry", name);
	}
	*out = j;
	return 0;
}

static int load(json_t **out, const char *path, int candidates)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	*out = NULL;
	/* Read whole, then parse: jansson reads a FILE a byte at a time. */
	if (strbuf_read_file(&sb, path) < 0) {
		strbuf_release(&sb);
		if (access(path, F_OK) < 0)
			return CAIRN_ENOTFOUND;
		return err_errno(CAIRN_ERROR, "cannot read %s", path);
	}
	ret = cache__action_parse(out, sb.buf, sb.len, path, candidates);
	strbuf_release(&sb);
	return ret;
}

int cache_action_get(json_t **out, const char *cairn_dir, const char *key)
{
	struct strbuf p = STRBUF_INIT;
	int ret;
	entry_path(&p, cairn_dir, NULL, key);
	ret = load(out, p.buf, 1);
	strbuf_release(&p);
	return ret;
}

int cache_site_get(json_t **out, const char *cairn_dir, const char *site)
{
	struct strbuf p = STRBUF_INIT;
	int ret;
	entry_path(&p, cairn_dir, "sites", site);
	ret = load(out, p.buf, 0);
	strbuf_release(&p);
	return ret;
}

static int mkdirs(const char *cairn_dir, const char *sub)
{
	struct strbuf p = STRBUF_INIT;
	int ret = 0;
	strbuf_addf(&p, "%s/actions", cairn_dir);
	if (mkdir(p.buf, 0755) < 0 && errno != EEXIST)
		ret = err_errno(CAIRN_ERROR, "cannot create %s", p.buf);
	strbuf_addf(&p, "/%s", sub);
	if (!ret && mkdir(p.buf, 0755) < 0 && errno != EEXIST)
		ret = err_errno(CAIRN_ERROR, "cannot create %s", p.buf);
	strbuf_release(&p);
	return ret;
}

/* Replace PATH by J, whole or not at all (the temporary file is in
 * CAIRN_DIR/tmp, on the same filesystem). */
static int store(const char *cairn_dir, const char *path, json_t *j)
{
	struct strbuf tmp = STRBUF_INIT;
	char *text = util_json_dumps(j, JSON_COMPACT);
	int fd, ret = 0;

	strbuf_addf(&tmp, "%s/tmp", cairn_dir);
	if (mkdir(tmp.buf, 0755) < 0 && errno != EEXIST) {
		ret = err_errno(CAIRN_ERROR, "cannot create %s", tmp.buf);
		goto out;
	}
	strbuf_addstr(&tmp, "/action.XXXXXX");
	fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot create %s", tmp.buf);
		strbuf_reset(&tmp);
		goto out;
	}
	/* Synced before the rename: after a power loss the entry is old or
	 * new, never an empty file under its name (docs/store.md). */
	if (!text || util_write_all(fd, text, strlen(text)) < 0 || fchmod(fd, 0644) < 0 ||
	    fsync(fd) < 0)
		ret = err_errno(CAIRN_ERROR, "cannot write %s", tmp.buf);
	close(fd);
	if (!ret && rename(tmp.buf, path) < 0)
		ret = err_errno(CAIRN_ERROR, "cannot rename %s", tmp.buf);
	if (ret < 0)
		unlink(tmp.buf);
out:
	free(text);
	strbuf_release(&tmp);
	return ret;
}

static int lock_actions(const char *cairn_dir)
{
	struct strbuf p = STRBUF_INIT;
	int fd;
	strbuf_addf(&p, "%s/actions", cairn_dir);
	if (mkdir(p.buf, 0755) < 0 && errno != EEXIST) {
		err_errno(CAIRN_ERROR, "cannot create %s", p.buf);
		strbuf_release(&p);
		return -1;
	}
	strbuf_addstr(&p, "/.lock");
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		err_errno(CAIRN_ERROR, "cannot lock %s", p.buf);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	strbuf_release(&p);
	return fd;
}

/* Do two candidates describe the same trace (reads and writes)? */
static int same_trace(json_t *a, json_t *b)
{
	return json_equal(json_object_get(a, "reads"), json_object_get(b, "reads")) &&
	    json_equal(json_object_get(a, "writes"), json_object_get(b, "writes")) &&
	    json_equal(json_object_get(a, "stdout"), json_object_get(b, "stdout")) &&
	    json_equal(json_object_get(a, "stderr"), json_object_get(b, "stderr")) &&
	    json_equal(json_object_get(a, "end_state"), json_object_get(b, "end_state"));
}

int cache_action_add(const char *cairn_dir, const char *key, json_t *key_parts, json_t *candidate,
		     const char *site, size_t max)
{
	struct strbuf p = STRBUF_INIT;
	json_t *entry = NULL, *cands, *fresh;
	int lfd, ret;
	size_t i;

	if (!util_is_sha256_hex(key))
		return err_set(CAIRN_ERROR, "bad action key '%s'", key);
	lfd = lock_actions(cairn_dir);
	if (lfd < 0)
		return -1;
	{
		char fan[3] = { key[0], key[1], 0 };
		if ((ret = mkdirs(cairn_dir, fan)) < 0)
			goto out;
	}
	entry_path(&p, cairn_dir, NULL, key);
	ret = load(&entry, p.buf, 0);
	if (ret < 0 && ret != CAIRN_ENOTFOUND)
		entry = NULL; /* a damaged entry is replaced */
	fresh = json_array();
	json_array_append(fresh, candidate);
	cands = entry ? json_object_get(entry, "candidates") : NULL;
	for (i = 0; i < json_array_size(cands) && json_array_size(fresh) < max; i++) {
		json_t *c = json_array_get(cands, i);
		if (json_is_object(c) && !same_trace(c, candidate))
			json_array_append(fresh, c);
	}
	json_decref(entry);
	entry = json_object();
	json_object_set_new(entry, "key", json_string(key));
	json_object_set(entry, "key_parts", key_parts);
	json_object_set_new(entry, "candidates", fresh);
	if ((ret = store(cairn_dir, p.buf, entry)) < 0)
		goto out;
	if (site) {
		json_t *s = json_object();
		strbuf_reset(&p);
		if ((ret = mkdirs(cairn_dir, "sites")) < 0) {
			json_decref(s);
			goto out;
		}
		entry_path(&p, cairn_dir, "sites", site);
		json_object_set_new(s, "key", json_string(key));
		json_object_set(s, "key_parts", key_parts);
		ret = store(cairn_dir, p.buf, s);
		json_decref(s);
	}
out:
	json_decref(entry);
	close(lfd);
	strbuf_release(&p);
	return ret;
}
