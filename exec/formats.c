/*
 * formats.c - the `formats` field of a step record, and the remote
 * datasets a network step read through GDAL.
 *
 * Runs when the record's reads and writes are known, before the outputs
 * are committed: an output's bytes are read from its content-store
 * object (under an alias carrying its name, which some drivers need),
 * never from the project, where the previous version still lies.
 */
#include "exec-int.h"

#include "cache.h"
#include "formats.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Queue file NAME, whose bytes lie at PATH, for summaries; with ALIAS,
 * through a link carrying NAME (kept in ALIASES, removed afterwards). */
static void queue(json_t *files, struct strvec *aliases, const char *tmpdir, const char *path,
		  const char *name, int alias)
{
	struct strbuf al = STRBUF_INIT;

	if (formats_detect(path, name) == FORMATS_NONE)
		return;
	if (alias) {
		if (formats_alias_create(&al, tmpdir, path, name) < 0) {
			strbuf_release(&al);
			return;
		}
		strvec_push(aliases, al.buf);
		path = al.buf;
	}
	json_array_append_new(files, json_pack("{s:s, s:s}", "path", path, "name", name));
	strbuf_release(&al);
}

/*
 * The content-store objects a record's summaries read, each opened once
 * through cache_cas_open() (verified, raw or compressed alike) and lent
 * to the helper as /proc/self/fd/N: never read by an object's file name,
 * which a compressed object does not have and which nothing verifies.
 */
struct objects {
	const struct exec_session *s;
	json_t *formats; /* the record's summaries: errors go here */
	json_t *opened; /* {sha: "/proc/self/fd/N"} */
	int *fds;
	size_t nr, alloc;
};

static void objects_release(struct objects *o)
{
	size_t i;
	for (i = 0; i < o->nr; i++)
		formats_fd_close(o->fds[i]);
	free(o->fds);
	json_decref(o->opened);
}

/* Object SHA as a name the helper can read, or NULL when the store lacks
 * it, or it is corrupt or unreadable: then the summary of NAME is an
 * error saying so (never an empty summary). */
static const char *object_bytes(struct objects *o, const char *sha, const char *name)
{
	const char *p = json_string_value(json_object_get(o->opened, sha));
	char *lent;
	int fd;

	if (p)
		return p;
	if (!cache_cas_has(o->s->cairn_dir, sha))
		return NULL;
	if (cache_cas_open(&fd, o->s->cairn_dir, sha) < 0) {
		if (!json_object_get(o->formats, name))
			json_object_set_new(
			    o->formats, name,
			    json_pack("{s:s, s:s}", "error", err_last(), "summary", "unreadable"));
		err_clear();
		return NULL;
	}
	ALLOC_GROW(o->fds, o->nr + 1, o->alloc);
	o->fds[o->nr++] = fd;
	lent = formats_fd_lend(fd);
	json_object_set_new(o->opened, sha, json_string(lent));
	free(lent);
	return json_string_value(json_object_get(o->opened, sha));
}

/* Is object SHA, the bytes of NAME, in a known format?  A raw object is
 * looked at where it lies (1 KiB, not verified: nothing is summarised
 * from it); a compressed one is opened (verified) to be looked at. */
static int object_known(struct objects *o, const char *sha, const char *name)
{
	struct strbuf raw = STRBUF_INIT;
	const char *p;
	int known;

	cache_cas_path(&raw, o->s->cairn_dir, sha);
	if (access(raw.buf, F_OK) == 0) {
		known = formats_detect(raw.buf, name) != FORMATS_NONE;
		strbuf_release(&raw);
		return known;
	}
	strbuf_release(&raw);
	p = object_bytes(o, sha, name);
	return p && formats_detect(p, name) != FORMATS_NONE;
}

/* Where the bytes of a recorded version lie: its CAS object when the
 * store has it (*ALIAS set), else PATH on disk when its size still
 * matches; NULL when neither. */
static char *bytes_of(struct objects *o, const json_t *e, const char *name, int *alias)
{
	const struct exec_session *s = o->s;
	const char *sha = str(e, "sha256");
	json_t *size = json_object_get(e, "size");
	struct strbuf p = STRBUF_INIT;
	struct stat st;

	*alias = 0;
	if (sha && cache_cas_has(s->cairn_dir, sha)) {
		const char *b;
		if (!object_known(o, sha, name) || !(b = object_bytes(o, sha, name)))
			return NULL;
		*alias = 1;
		return xstrdup(b);
	}
	if (name[0] == '/')
		strbuf_addstr(&p, name);
	else
		strbuf_addf(&p, "%s/%s", s->root, name);
	if (stat(p.buf, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (json_is_integer(size) && (json_int_t)st.st_size != json_integer_value(size))) {
		strbuf_release(&p);
		return NULL;
	}
	return strbuf_detach(&p, NULL);
}

static int cmp_read(const void *a, const void *b)
{
	const char *pa = str(*(json_t *const *)a, "path"), *pb = str(*(json_t *const *)b, "path");
	return strcmp(pa ? pa : "", pb ? pb : "");
}

/* Add the remote datasets the step's programs named to REC's reads,
 * with their validators, keeping reads sorted by path. */
static void record_remote(json_t *rec)
{
	struct strvec urls = STRVEC_INIT;
	json_t *reads = json_object_get(rec, "reads"), *p, *a, **arr, *env, *changed;
	size_t i, j, n;

	if (str(rec, "command"))
		formats_remote_scan(&urls, str(rec, "command"), 0);
	json_array_foreach(json_object_get(rec, "exec_tree"), i, p)
	{
		json_t *argv = json_object_get(p, "argv");
		const char *prog = str(p, "exe") ?: json_string_value(json_array_get(argv, 0));
		int tool = prog &&
		    (formats_is_gdal_tool(prog) ||
		     formats_is_gdal_tool(json_string_value(json_array_get(argv, 0)) ?: ""));
		json_array_foreach(argv, j, a)
		{
			if (j > 0 && json_string_value(a))
				formats_remote_scan(&urls, json_string_value(a), tool);
		}
	}
	if (!urls.nr || !json_is_array(reads)) {
		strvec_clear(&urls);
		return;
	}
	/* The step's environment as it started, with what it exported:
	 * credentials and GDAL options set in a script apply to the query
	 * too. */
	env = json_deep_copy(json_object_get(json_object_get(rec, "start_state"), "env"));
	if (!json_is_object(env)) {
		json_decref(env);
		env = json_object();
	}
	changed = json_object_get(json_object_get(rec, "state_change"), "env");
	if (json_is_object(changed))
		json_object_update(env, changed);
	for (i = 0; i < urls.nr; i++) {
		json_t *v = NULL;
		if (formats_remote_validators_env(&v, urls.v[i], env) < 0) {
			char *url = formats_remote_url(urls.v[i]);
			v = json_pack("{s:s, s:s, s:n, s:n, s:n, s:n, s:s, s:s}", "path", urls.v[i],
				      "kind", "remote", "sha256", "size", "etag", "last_modified",
				      "url", url, "error", err_last());
			free(url);
		}
		json_array_append_new(reads, v);
	}
	n = json_array_size(reads);
	arr = xmalloc(n * sizeof(*arr));
	for (i = 0; i < n; i++)
		arr[i] = json_incref(json_array_get(reads, i));
	qsort(arr, n, sizeof(*arr), cmp_read);
	json_array_clear(reads);
	for (i = 0; i < n; i++)
		json_array_append_new(reads, arr[i]);
	free(arr);
	json_decref(env);
	strvec_clear(&urls);
}

/* Write E's content-store object, if a file the store has: its SHA. */
static const char *cas_sha(const struct exec_session *s, const json_t *e)
{
	const char *sha = str(e, "sha256");

	if (!str(e, "path") || !sha || strcmp(str(e, "kind") ?: "", "file") ||
	    !cache_cas_has(s->cairn_dir, sha))
		return NULL;
	return sha;
}

static char *dir_of(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash ? xstrndup(name, (size_t)(slash - name)) : xstrdup("");
}

static const char *base_of(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash ? slash + 1 : name;
}

/*
 * Queue the outputs in a known format, read from their content-store
 * objects through links that carry their names.  What the step wrote
 * beside one (same directory) is linked beside it too: a shapefile's
 * .shp needs its .shx and .dbf, a raster may have a .prj or .aux.xml.
 * The first link of each directory is made by formats_alias_create() (in
 * ALIASES), the others by symlink() (in LINKS).
 */
static void queue_writes(json_t *files, struct strvec *aliases, struct strvec *links,
			 const char *tmpdir, struct objects *o, json_t *writes)
{
	const struct exec_session *s = o->s;
	json_t *dirs = json_object(), *e;
	struct strbuf al = STRBUF_INIT;
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(writes, i, e)
		{
			const char *name = str(e, "path"), *sha = cas_sha(s, e), *obj;
			char *dir, *link;
			const char *adir;
			int known;
			if (!sha)
				continue;
			known = object_known(o, sha, name);
			dir = dir_of(name);
			adir = json_string_value(json_object_get(dirs, dir));
			if ((pass == 0 && known && !adir) || (adir && (pass == 0) == known))
				obj = object_bytes(o, sha, name);
			else
				obj = NULL;
			if (!obj) {
				free(dir);
				continue;
			}
			if (pass == 0 && known && !adir) {
				if (formats_alias_create(&al, tmpdir, obj, name) == 0) {
					strvec_push(aliases, al.buf);
					json_array_append_new(
					    files,
					    json_pack("{s:s, s:s}", "path", al.buf, "name", name));
					*strrchr(al.buf, '/') = '\0';
					json_object_set_new_nocheck(dirs, dir, json_string(al.buf));
				}
			} else if (adir && (pass == 0) == known) {
				link = xstrfmt("%s/%s", adir, base_of(name));
				if (symlink(obj, link) == 0) {
					strvec_push(links, link);
					if (known)
						json_array_append_new(files,
								      json_pack("{s:s, s:s}",
										"path", link,
										"name", name));
				}
				free(link);
			}
			free(dir);
		}
	}
	strbuf_release(&al);
	json_decref(dirs);
}

int exec__record_formats(json_t *rec, struct exec_session *s)
{
	json_t *formats = json_object(), *files = json_array(), *e;
	char *tmpdir = xstrfmt("%s/tmp", s->cairn_dir);
	json_t *sb = json_object_get(rec, "sandbox");
	struct strvec aliases = STRVEC_INIT, links = STRVEC_INIT;
	struct objects o = { s, formats, json_object(), NULL, 0, 0 };
	size_t i;

	if (json_is_true(json_object_get(sb, "network")))
		record_remote(rec);
	queue_writes(files, &aliases, &links, tmpdir, &o, json_object_get(rec, "writes"));
	json_array_foreach(json_object_get(rec, "reads"), i, e)
	{
		const char *name = str(e, "path");
		char *bytes;
		int alias;
		if (!name || strcmp(str(e, "kind") ?: "", "file") || str(e, "role"))
			continue;
		if (!(bytes = bytes_of(&o, e, name, &alias)))
			continue;
		queue(files, &aliases, tmpdir, bytes, name, alias);
		free(bytes);
	}
	/* One start of the helper for all of them; a step with no file in
	 * a known format starts nothing. */
	if (json_array_size(files) && formats_summaries(formats, files) < 0)
		warn("no format summaries for this step: %s", err_last());
	for (i = 0; i < links.nr; i++)
		unlink(links.v[i]);
	strvec_clear(&links);
	for (i = 0; i < aliases.nr; i++)
		formats_alias_remove(aliases.v[i]);
	strvec_clear(&aliases);
	objects_release(&o);
	json_decref(files);
	json_object_set_new(rec, "formats", formats);
	free(tmpdir);
	err_clear();
	return 0;
}
