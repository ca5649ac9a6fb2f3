/*
 * summaries.c - the store's format summaries, one per content: the
 * summary of a file in a known format is made once for its bytes (and
 * the helper's version) and kept under .cairn/formats/, where every
 * later step that writes or reads the same bytes finds it.  A record
 * made before its summaries were ready names them by key (a `pending`
 * entry of `formats`); records read from the store get them filled in
 * from here (docs/store.md, "Format summaries").
 */
#include "prov-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* .cairn/formats/ab/cdef....json, or .cairn/formats/pending/<key>.json */
char *provenance_summary_path(const char *cairn_dir, const char *key, int pending)
{
	if (pending)
		return xstrfmt("%s/formats/pending/%s.json", cairn_dir, key);
	return xstrfmt("%s/formats/%.2s/%s.json", cairn_dir, key, key + 2);
}

static int mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;
	int ret = 0;

	for (s = p + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0755) == 0)
			(void)util_fsync_parent(p); /* (its name durable too) */
		else if (errno != EEXIST)
			ret = -1;
		*s = '/';
	}
	free(p);
	return ret;
}

/* Write J to PATH whole or not at all, durably (temporary file in
 * .cairn/tmp, fsync, rename, fsync of the directory). */
static int write_json(const char *cairn_dir, const char *path, const json_t *j, int sync_dir)
{
	char *tmp = xstrfmt("%s/tmp/formats-put.XXXXXX", cairn_dir);
	char *text = util_json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	int fd = -1, ret = 0;

	if (!text || mkdirs(path) < 0 || (fd = mkstemp(tmp)) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot write %s", path);
		goto out;
	}
	if (fchmod(fd, 0444) < 0 || util_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0) {
		fd = -1;
		unlink(tmp);
		ret = err_errno(CAIRN_ERROR, "cannot write %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		ret = err_errno(CAIRN_ERROR, "cannot rename %s to %s", tmp, path);
		goto out;
	}
	ret = sync_dir ? util_fsync_parent(path) : 0;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(text);
	return ret;
}

static int read_json(json_t **out, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = strbuf_read_file(&sb, path);

	*out = NULL;
	if (ret == 0) {
		*out = util_json_loadb(sb.buf, sb.len, 0, NULL);
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			ret = err_set(CAIRN_ERROR, "%s is not a JSON object", path);
		}
	}
	strbuf_release(&sb);
	return ret;
}

static int key_ok(const char *key)
{
	return key && util_is_sha256_hex(key);
}

int provenance_summary_get(json_t **out, const char *cairn_dir, const char *key)
{
	char *p;
	int ret;

	*out = NULL;
	if (!key_ok(key))
		return err_set(CAIRN_EUSAGE, "bad summary key");
	p = provenance_summary_path(cairn_dir, key, 0);
	ret = read_json(out, p);
	free(p);
	return ret;
}

int provenance_summary_put(const char *cairn_dir, const char *key, const json_t *summary)
{
	char *p;
	int ret;

	if (!key_ok(key))
		return err_set(CAIRN_EUSAGE, "bad summary key");
	p = provenance_summary_path(cairn_dir, key, 0);
	ret = write_json(cairn_dir, p, summary, 1);
	free(p);
	if (ret == 0)
		provenance_summary_pending_done(cairn_dir, key);
	return ret;
}

int provenance_summary_pending_put(const char *cairn_dir, const char *key, const json_t *job)
{
	char *p;
	int ret;

	if (!key_ok(key))
		return err_set(CAIRN_EUSAGE, "bad summary key");
	p = provenance_summary_path(cairn_dir, key, 1);
	ret = write_json(cairn_dir, p, job, 0);
	free(p);
	return ret;
}

int provenance_summary_pending_sync(const char *cairn_dir)
{
	char *p = xstrfmt("%s/formats/pending/.", cairn_dir);
	int ret = util_fsync_parent(p);
	free(p);
	return ret;
}

void provenance_summary_pending_done(const char *cairn_dir, const char *key)
{
	char *p;

	if (!key_ok(key))
		return;
	p = provenance_summary_path(cairn_dir, key, 1);
	if (unlink(p) == 0)
		(void)util_fsync_parent(p);
	free(p);
}

int provenance_summary_pending_list(json_t **out, const char *cairn_dir)
{
	char *dir = xstrfmt("%s/formats/pending", cairn_dir);
	DIR *d = opendir(dir);
	struct dirent *e;

	*out = json_object();
	if (!d) {
		free(dir);
		return 0;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *key, *p;
		json_t *job = NULL;
		if (n != SHA256_HEX_LEN + 5 || strcmp(e->d_name + SHA256_HEX_LEN, ".json"))
			continue;
		key = xstrndup(e->d_name, SHA256_HEX_LEN);
		p = xstrfmt("%s/%s", dir, e->d_name);
		if (key_ok(key) && read_json(&job, p) == 0)
			json_object_set_new(*out, key, job);
		err_clear();
		free(p);
		free(key);
	}
	closedir(d);
	free(dir);
	return 0;
}

int provenance_formats_resolve(json_t *rec, const char *cairn_dir)
{
	json_t *formats = json_object_get(rec, "formats"), *e;
	const char *name;
	void *tmp;
	int left = 0;

	json_object_foreach_safe(formats, tmp, name, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));
		json_t *sum = NULL;
		if (!json_is_true(json_object_get(e, "pending")))
			continue;
		if (key_ok(key) && provenance_summary_get(&sum, cairn_dir, key) == 0) {
			if (json_is_integer(json_object_get(e, "size_bytes")))
				json_object_set(sum, "size_bytes",
						json_object_get(e, "size_bytes"));
			json_object_set_new(formats, name, sum);
		} else {
			left++;
		}
		err_clear();
	}
	return left;
}

/* Is KEY's summary being made: its pending job there, and the session
 * that wrote it still running (holding .cairn/tmp/<session>.lock)? */
static int being_made(const char *cairn_dir, const char *key)
{
	char *p = provenance_summary_path(cairn_dir, key, 1), *lock;
	json_t *job = NULL;
	const char *sid;
	int fd, alive = 0;

	if (read_json(&job, p) < 0) {
		err_clear();
		free(p);
		return 0;
	}
	free(p);
	sid = json_string_value(json_object_get(job, "session"));
	if (sid && *sid && !strchr(sid, '/') && *sid != '.') {
		lock = xstrfmt("%s/tmp/%s.lock", cairn_dir, sid);
		fd = open(lock, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
			close(fd);
		}
		free(lock);
	}
	json_decref(job);
	return alive;
}

int provenance_formats_complete(json_t *rec, const char *cairn_dir, int max_ms)
{
	struct timespec ten = { 0, 10 * 1000 * 1000 };
	int waited = 0, left;

	while ((left = provenance_formats_resolve(rec, cairn_dir)) > 0 && waited < max_ms) {
		json_t *formats = json_object_get(rec, "formats"), *e;
		const char *name;
		int busy = 0;
		json_object_foreach(formats, name, e)
		{
			if (json_is_true(json_object_get(e, "pending")) &&
			    being_made(cairn_dir, json_string_value(json_object_get(e, "key"))))
				busy = 1;
		}
		if (!busy)
			break;
		nanosleep(&ten, NULL);
		waited += 10;
	}
	return left;
}
