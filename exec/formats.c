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

#include "provenance.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Queue file NAME, whose bytes lie at PATH, for summaries; with ALIAS,
 * through a link carrying NAME (kept in ALIASES, removed afterwards). */
static void queue(json_t *files, struct strvec *aliases, const char *tmpdir, const char *path,
		  const char *name, int alias, const char *sha)
{
	const char *disk = alias ? NULL : path;
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
	json_array_append_new(files,
			      json_pack("{s:s, s:s, s:s?, s:s?}", "path", path, "name", name, "sha",
					sha, "disk", disk));
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
			if (known && json_object_get(o->formats, name))
				continue; /* (its summary is known already) */
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
					json_array_append_new(files,
							      json_pack("{s:s, s:s, s:s}", "path",
									al.buf, "name", name, "sha",
									sha));
					*strrchr(al.buf, '/') = '\0';
					json_object_set_new_nocheck(dirs, dir, json_string(al.buf));
				}
			} else if (adir && (pass == 0) == known) {
				link = xstrfmt("%s/%s", adir, base_of(name));
				if (symlink(obj, link) == 0) {
					strvec_push(links, link);
					if (known)
						json_array_append_new(
						    files,
						    json_pack("{s:s, s:s, s:s}", "path", link,
							      "name", name, "sha", sha));
				}
				free(link);
			}
			free(dir);
		}
	}
	strbuf_release(&al);
	json_decref(dirs);
}

/* ---- summaries off the critical path ---------------------------------------- */

/*
 * A summary is made once per content (docs/formats.md, "Summaries, once
 * per content"): keyed by the SHA-256 of the file's bytes, the helper's
 * version and what else it depends on, and kept in the store
 * (provenance_summary_*).  A step whose files the store has summaries
 * for gets them at once; the others are handed to the session's helper,
 * started once and fed batches while the next steps run, and the record
 * names them `pending` by key until the store has them.  Nothing a step
 * does waits for the helper; its answers are taken in at the next
 * step's end and at the session's end.
 */
static struct {
	struct formats_server *srv;
	int srv_failed; /* the helper cannot be started: summaries as before */
	int leftovers_done; /* other sessions' pending jobs taken up */
	json_t *inflight; /* {key: size_bytes}: sent, not answered */
	unsigned long next_id;
} fs;

/* Jobs per batch, and descriptors per batch (SCM_RIGHTS carries at most
 * 253); a step with more summaries to make gets them as before. */
#define BATCH_JOBS 64
#define BATCH_FDS 250
/* How long the end of a session waits for the helper's last answers
 * (metadata only: a job takes milliseconds once GDAL is loaded). */
#define END_WAIT_MS 10000

static const char *ext_of(const char *name)
{
	const char *base = base_of(name), *dot = strrchr(base, '.');
	return dot ? dot : "";
}

/* Does BASE (a file beside NAME) belong to NAME: NAME's stem and a dot
 * (dem.tif: dem.prj, dem.tif.aux.xml, dem.tfw; a.shp: a.shx, a.dbf)? */
static int sidecar_of(const char *base, const char *name)
{
	const char *nb = base_of(name), *dot = strrchr(nb, '.');
	size_t stem = dot ? (size_t)(dot - nb) : strlen(nb);
	return strcmp(base, nb) && !strncmp(base, nb, stem) && base[stem] == '.';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_vrt(const char *name)
{
	return !strcasecmp(ext_of(name), ".vrt");
}

/*
 * The key of NAME's summary: SHA-256 over the summary version, the
 * bytes' SHA-256 (SHA), the name's extension (some formats are known by
 * it), and each sidecar the helper may read with it: for an output, the
 * step's other outputs beside it sharing its stem (WRITES); for an input
 * read where it lies (DISK), the files beside it sharing its stem, by
 * size and modification time.  A VRT names other files anywhere: its
 * key is the step's own (made again by each step).  Without SHA (an
 * input the record has no hash of) too.
 */
static void summary_key(char key[SHA256_HEX_LEN + 1], const json_t *rec, const char *name,
			const char *sha, const char *disk, const json_t *writes, json_t *sides)
{
	struct strbuf sb = STRBUF_INIT;
	char *lower = xstrdup(ext_of(name)), *p;
	const json_t *e;
	size_t i;

	for (p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	strbuf_addf(&sb, "%s\nbytes %s\next %s\n", formats_summary_version(), sha ? sha : "-",
		    lower);
	if (!sha || is_vrt(name))
		strbuf_addf(&sb, "step %s\nname %s\n", str(rec, "id") ?: "?", name);
	if (!disk) {
		char *dir = dir_of(name);
		json_array_foreach(writes, i, e)
		{
			const char *n = str(e, "path"), *esha = str(e, "sha256");
			char *d;
			if (!n || !esha || strcmp(str(e, "kind") ?: "", "file") ||
			    !sidecar_of(base_of(n), name))
				continue;
			d = dir_of(n);
			if (!strcmp(d, dir)) {
				strbuf_addf(&sb, "side %s %s\n", base_of(n), esha);
				if (sides)
					json_array_append_new(
					    sides,
					    json_pack("{s:s, s:s}", "name", n, "sha256", esha));
			}
			free(d);
		}
		free(dir);
	} else {
		char *dir = dir_of(disk);
		DIR *d = opendir(*dir ? dir : "/");
		struct dirent *de;
		struct strvec names = STRVEC_INIT;
		while (d && (de = readdir(d)))
			if (sidecar_of(de->d_name, disk))
				strvec_push(&names, de->d_name);
		if (d)
			closedir(d);
		qsort(names.v, names.nr, sizeof(char *), cmp_str);
		for (i = 0; i < names.nr; i++) {
			char *f = xstrfmt("%s/%s", dir, names.v[i]);
			struct stat st;
			if (stat(f, &st) == 0)
				strbuf_addf(&sb, "side %s %lld %lld.%09ld\n", names.v[i],
					    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
					    st.st_mtim.tv_nsec);
			free(f);
		}
		strvec_clear(&names);
		free(dir);
	}
	util_sha256_hex(key, sb.buf, sb.len);
	strbuf_release(&sb);
	free(lower);
}

static void release_vecs(const struct strvec *aliases, const struct strvec *links)
{
	size_t i;
	for (i = 0; links && i < links->nr; i++)
		unlink(links->v[i]);
	for (i = 0; aliases && i < aliases->nr; i++)
		formats_alias_remove(aliases->v[i]);
}

/* Take in one answer of the helper (it kept the summaries in the store
 * itself): 1, 0 when none came within TIMEOUT_MS, 2 for the answer to
 * "end", -1 when the helper has gone. */
static int take_answer(int timeout_ms)
{
	json_t *a = NULL, *k;
	size_t i;
	int ret;

	if (!fs.srv)
		return -1;
	ret = formats_server_recv(fs.srv, &a, timeout_ms);
	if (ret <= 0)
		return ret;
	if (json_is_true(json_object_get(a, "ended"))) {
		json_decref(a);
		return 2;
	}
	json_array_foreach(json_object_get(a, "keys"), i, k)
	{
		if (json_string_value(k))
			json_object_del(fs.inflight, json_string_value(k));
	}
	json_decref(a);
	return 1;
}

/* Answers that have come, taken in without waiting. */
static void drain(void)
{
	while (fs.srv && take_answer(0) == 1)
		;
}

static int server(void)
{
	if (fs.srv)
		return 0;
	if (fs.srv_failed)
		return -1;
	if (!fs.inflight)
		fs.inflight = json_object();
	if (formats_server_start(&fs.srv) < 0) {
		fs.srv_failed = 1;
		return -1;
	}
	return 0;
}

/*
 * Hand the helper JOBS, whose paths name descriptors FDS, with ALIASES
 * and LINKS for it to remove once they are done; it keeps each summary
 * in the store and removes its pending job.  0, or -1 when they could
 * not be handed over (the caller makes them as before).
 */
static int send_batch(struct exec_session *s, json_t *jobs, const int *fds, size_t nfds,
		      const struct strvec *aliases, const struct strvec *links)
{
	json_t *b, *fdl = json_array(), *l = json_pack("{s:[], s:[]}", "links", "aliases"), *j;
	size_t i;
	int ret;

	if (server() < 0) {
		json_decref(fdl);
		json_decref(l);
		return -1;
	}
	for (i = 0; i < nfds; i++)
		json_array_append_new(fdl, json_integer(fds[i]));
	for (i = 0; links && i < links->nr; i++)
		json_array_append_new(json_object_get(l, "links"), json_string(links->v[i]));
	for (i = 0; aliases && i < aliases->nr; i++)
		json_array_append_new(json_object_get(l, "aliases"), json_string(aliases->v[i]));
	json_array_foreach(jobs, i, j)
	{
		char *out = provenance_summary_path(s->cairn_dir, str(j, "key"), 0);
		char *done = provenance_summary_path(s->cairn_dir, str(j, "key"), 1);
		json_object_set_new(j, "out", json_string(out));
		json_object_set_new(j, "done", json_string(done));
		free(out);
		free(done);
	}
	b = json_pack("{s:I, s:O, s:o, s:o}", "id", (json_int_t)++fs.next_id, "jobs", jobs, "fds",
		      fdl, "cleanup", l);
	ret = formats_server_send(fs.srv, b, fds, nfds);
	json_decref(b);
	if (ret < 0) {
		warn("%s", err_last());
		formats_server_free(fs.srv);
		fs.srv = NULL;
		fs.srv_failed = 1;
		return -1;
	}
	json_array_foreach(jobs, i, j)
	{
		json_object_set(fs.inflight, str(j, "key"), json_object_get(j, "size"));
	}
	return 0;
}

/*
 * Where the links the helper reads through are made: the session's own
 * directory in .cairn/tmp (a sandboxed session's, removed when it ends
 * and, after a crash, by the next session), else .cairn/tmp.
 */
static char *alias_dir(const struct exec_session *s)
{
	char *d;

	if (!s->sandboxed || !s->session_id)
		return xstrfmt("%s/tmp", s->cairn_dir);
	d = xstrfmt("%s/tmp/%s", s->cairn_dir, s->session_id);
	if (mkdir(d, 0700) < 0 && errno != EEXIST) {
		free(d);
		return xstrfmt("%s/tmp", s->cairn_dir);
	}
	return d;
}

/* The summary the store has for KEY, to be used for a step's file: not
 * an error (a file's error is kept to complete the records that wait
 * for it, but made again for a new step: it may have come from the
 * reading, not from the bytes).  0 or CAIRN_ENOTFOUND. */
static int stored_summary(json_t **out, const struct exec_session *s, const char *key)
{
	if (provenance_summary_get(out, s->cairn_dir, key) < 0) {
		err_clear();
		return CAIRN_ENOTFOUND;
	}
	if (json_object_get(*out, "error")) {
		json_decref(*out);
		*out = NULL;
		return CAIRN_ENOTFOUND;
	}
	return 0;
}

/* Is the session SID (other than ours) running, holding its lock? */
static int session_running(const struct exec_session *s, const char *sid)
{
	return sid && !(s->session_id && !strcmp(sid, s->session_id)) &&
	    exec__session_running(s, sid);
}

/*
 * The pending jobs of sessions that ended before their summaries were
 * made (killed, or the helper's answers not come in time): made now,
 * from the content store (or, for an input read where it lies, from the
 * file when it is still the one the step read; else dropped: its records
 * stay `pending`).
 */
static void take_up_leftovers(struct exec_session *s)
{
	json_t *all = NULL, *job, *jobs = json_array();
	struct strvec aliases = STRVEC_INIT, links = STRVEC_INIT;
	char *tmpdir = alias_dir(s);
	int fds[BATCH_FDS];
	size_t nfds = 0, i;
	const char *key;

	fs.leftovers_done = 1;
	provenance_summary_pending_list(&all, s->cairn_dir);
	json_object_foreach(all, key, job)
	{
		const char *name = str(job, "name"), *sha = str(job, "sha256"),
			   *disk = str(job, "disk");
		struct strbuf al = STRBUF_INIT;
		json_t *sum = NULL, *e, *j;
		char *lent;
		int fd;
		if (session_running(s, str(job, "session")) ||
		    (fs.inflight && json_object_get(fs.inflight, key)))
			continue;
		if (provenance_summary_get(&sum, s->cairn_dir, key) == 0) {
			/* made, its pending job left behind */
			json_decref(sum);
			provenance_summary_pending_done(s->cairn_dir, key);
			continue;
		}
		err_clear();
		if (!name || json_array_size(jobs) >= BATCH_JOBS || nfds + 8 > BATCH_FDS)
			continue;
		if (disk) {
			struct stat st;
			if (stat(disk, &st) < 0 ||
			    (json_int_t)st.st_size !=
				json_integer_value(json_object_get(job, "size")) ||
			    (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec !=
				json_integer_value(json_object_get(job, "mtime_ns"))) {
				provenance_summary_pending_done(s->cairn_dir, key);
				continue;
			}
			j = json_pack("{s:s, s:s, s:s, s:O, s:s, s:O, s:O}", "op", "info", "path",
				      disk, "name", name, "kind", json_object_get(job, "kind"),
				      "key", key, "size", json_object_get(job, "size"), "mtime_ns",
				      json_object_get(job, "mtime_ns"));
			json_array_append_new(jobs, j);
			continue;
		}
		if (!sha || cache_cas_open(&fd, s->cairn_dir, sha) < 0) {
			/* gone from the content store (gc), or corrupt */
			err_clear();
			provenance_summary_pending_done(s->cairn_dir, key);
			continue;
		}
		fds[nfds++] = fd;
		lent = formats_fd_lend(fd);
		if (formats_alias_create(&al, tmpdir, lent, name) < 0) {
			free(lent);
			strbuf_release(&al);
			err_clear();
			continue;
		}
		free(lent);
		strvec_push(&aliases, al.buf);
		json_array_foreach(json_object_get(job, "sides"), i, e)
		{
			const char *ssha = str(e, "sha256"), *sname = str(e, "name");
			char *link, *dir;
			int sfd;
			if (!ssha || !sname || nfds >= BATCH_FDS ||
			    cache_cas_open(&sfd, s->cairn_dir, ssha) < 0) {
				err_clear();
				continue;
			}
			fds[nfds++] = sfd;
			lent = formats_fd_lend(sfd);
			dir = dir_of(al.buf);
			link = xstrfmt("%s/%s", dir, base_of(sname));
			if (symlink(lent, link) == 0)
				strvec_push(&links, link);
			free(link);
			free(dir);
			free(lent);
		}
		j = json_pack("{s:s, s:s, s:s, s:O, s:s, s:O}", "op", "info", "path", al.buf,
			      "name", name, "kind", json_object_get(job, "kind"), "key", key,
			      "size", json_object_get(job, "size"));
		json_array_append_new(jobs, j);
		strbuf_release(&al);
	}
	if (json_array_size(jobs) && send_batch(s, jobs, fds, nfds, &aliases, &links) < 0)
		release_vecs(&aliases, &links); /* (left for a later session) */
	else if (!json_array_size(jobs))
		release_vecs(&aliases, &links);
	for (i = 0; i < nfds; i++)
		formats_fd_close(fds[i]);
	strvec_clear(&aliases);
	strvec_clear(&links);
	json_decref(jobs);
	json_decref(all);
	free(tmpdir);
}

/*
 * Make, or find, the summaries of FILES ([{path, name, sha?, disk?}], as
 * the queue functions above made them) into FORMATS: those the store has
 * at once, the others `pending` ({pending: true, key, size_bytes,
 * summary: "(pending)"}) and handed to the session's helper with the
 * descriptors O lent and the ALIASES and LINKS their paths go through
 * (kept until it answers: 1 returned), or, when the helper cannot be
 * had, made here and now as before (0: the caller removes them).
 */
static int summarise(struct exec_session *s, json_t *rec, json_t *formats, const json_t *files,
		     struct objects *o, struct strvec *aliases, struct strvec *links)
{
	json_t *jobs = json_array(), *later = json_array(), *f, *batch_keys = json_object();
	json_t *writes = json_object_get(rec, "writes");
	size_t i;
	int kept = 0;

	json_array_foreach(files, i, f)
	{
		const char *path = str(f, "path"), *name = str(f, "name"), *disk = str(f, "disk");
		char key[SHA256_HEX_LEN + 1];
		enum formats_kind k;
		json_t *sum = NULL, *sides = json_array(), *job;
		struct stat st;
		if (!path || !name || json_object_get(formats, name)) {
			json_decref(sides);
			continue;
		}
		k = formats_detect(path, name);
		if (k == FORMATS_NONE || stat(path, &st) < 0) {
			json_decref(sides);
			continue;
		}
		summary_key(key, rec, name, str(f, "sha"), disk, writes, sides);
		if (stored_summary(&sum, s, key) == 0) {
			json_object_set_new(sum, "size_bytes",
					    json_integer((json_int_t)st.st_size));
			json_object_set_new(formats, name, sum);
			json_decref(sides);
			continue;
		}
		err_clear();
		json_object_set_new(formats, name,
				    json_pack("{s:b, s:s, s:I, s:s}", "pending", 1, "key", key,
					      "size_bytes", (json_int_t)st.st_size, "summary",
					      "(pending)"));
		if ((fs.inflight && json_object_get(fs.inflight, key)) ||
		    json_object_get(batch_keys, key)) {
			/* the same bytes, already on their way */
			json_decref(sides);
			continue;
		}
		json_object_set_new(batch_keys, key, json_true());
		/* What the next session needs to make it, should this one end
		 * first: kept before the record that names it. */
		job = json_pack("{s:s, s:i, s:s?, s:s?, s:I, s:o, s:s?}", "name", name, "kind",
				(int)k, "sha256", str(f, "sha"), "disk", disk, "size",
				(json_int_t)st.st_size, "sides", sides, "session", s->session_id);
		if (disk)
			json_object_set_new(
			    job, "mtime_ns",
			    json_integer((json_int_t)st.st_mtim.tv_sec * 1000000000 +
					 st.st_mtim.tv_nsec));
		if (provenance_summary_pending_put(s->cairn_dir, key, job) < 0)
			warn("%s", err_last());
		err_clear();
		json_array_append_new(jobs,
				      json_pack("{s:s, s:s, s:s, s:i, s:s, s:I, s:O?}", "op",
						"info", "path", path, "name", name, "kind", (int)k,
						"key", key, "size", (json_int_t)st.st_size,
						"mtime_ns", json_object_get(job, "mtime_ns")));
		json_array_append_new(later, json_pack("{s:s, s:s}", "path", path, "name", name));
		json_decref(job);
	}
	if (!json_array_size(jobs))
		goto out;
	if (provenance_summary_pending_sync(s->cairn_dir) < 0)
		warn("%s", err_last());
	if (json_array_size(jobs) <= BATCH_JOBS && o->nr <= BATCH_FDS &&
	    send_batch(s, jobs, o->fds, o->nr, aliases, links) == 0) {
		kept = 1;
		goto out;
	}
	/* No helper to hand them to: made now, as before, and kept. */
	{
		json_t *made = json_object(), *v;
		const char *name;
		if (formats_summaries(made, later) < 0)
			warn("no format summaries for this step: %s", err_last());
		json_object_foreach(made, name, v)
		{
			const char *key = str(json_object_get(formats, name), "key");
			json_t *size =
			    json_object_get(json_object_get(formats, name), "size_bytes");
			if (key && !json_object_get(v, "error")) {
				json_object_set(v, "size_bytes", size);
				if (provenance_summary_put(s->cairn_dir, key, v) < 0)
					warn("%s", err_last());
			} else if (key) {
				provenance_summary_pending_done(s->cairn_dir, key);
			}
			json_object_set(formats, name, v);
		}
		json_decref(made);
		err_clear();
	}
out:
	json_decref(jobs);
	json_decref(later);
	json_decref(batch_keys);
	return kept;
}

static int written(const json_t *writes, const char *name)
{
	const json_t *e;
	size_t i;
	json_array_foreach(writes, i, e)
	{
		if (!strcmp(str(e, "path") ?: "", name))
			return 1;
	}
	return 0;
}

/*
 * The outputs, and the inputs in the content store, whose summaries the
 * store has: set in O's summaries before anything is opened (an object
 * is verified, so read whole, when it is opened; here only the first
 * KiB of a raw object is looked at).
 */
static void known_already(struct exec_session *s, json_t *rec, struct objects *o)
{
	json_t *writes = json_object_get(rec, "writes"), *e;
	const char *lists[2] = { "writes", "reads" };
	size_t i;
	int l;

	for (l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(rec, lists[l]), i, e)
		{
			const char *name = str(e, "path"), *sha = cas_sha(s, e);
			char key[SHA256_HEX_LEN + 1];
			struct strbuf raw = STRBUF_INIT;
			json_t *sum = NULL;
			int known;
			if (!sha || json_object_get(o->formats, name) ||
			    (l == 1 && (str(e, "role") || written(writes, name))))
				continue; /* (a file read and written: the version written) */
			cache_cas_path(&raw, s->cairn_dir, sha);
			known = access(raw.buf, F_OK) == 0 &&
			    formats_detect(raw.buf, name) != FORMATS_NONE;
			strbuf_release(&raw);
			if (!known)
				continue; /* (or compressed: opened as before) */
			summary_key(key, rec, name, sha, NULL, writes, NULL);
			if (stored_summary(&sum, s, key) < 0)
				continue;
			if (json_is_integer(json_object_get(e, "size")))
				json_object_set(sum, "size_bytes", json_object_get(e, "size"));
			json_object_set_new(o->formats, name, sum);
		}
	}
}

static int pending_count(const json_t *formats)
{
	const char *k;
	json_t *v;
	int n = 0;
	json_object_foreach((json_t *)formats, k, v)
	{
		n += json_is_true(json_object_get(v, "pending"));
	}
	return n;
}

int exec__record_formats(json_t *rec, struct exec_session *s)
{
	json_t *formats = json_object(), *files = json_array(), *e;
	char *tmpdir = alias_dir(s);
	json_t *sb = json_object_get(rec, "sandbox");
	struct strvec aliases = STRVEC_INIT, links = STRVEC_INIT;
	struct objects o = { s, formats, json_object(), NULL, 0, 0 };
	uint64_t t0 = util_now_ns();
	size_t i;

	/* What the helper has answered since the last step, into the store
	 * (so that the writer finds it as it stores the last records). */
	drain();
	if (json_is_true(json_object_get(sb, "network")))
		record_remote(rec);
	known_already(s, rec, &o);
	queue_writes(files, &aliases, &links, tmpdir, &o, json_object_get(rec, "writes"));
	json_array_foreach(json_object_get(rec, "reads"), i, e)
	{
		const char *name = str(e, "path");
		char *bytes;
		int alias;
		if (!name || strcmp(str(e, "kind") ?: "", "file") || str(e, "role") ||
		    json_object_get(formats, name))
			continue;
		if (!(bytes = bytes_of(&o, e, name, &alias)))
			continue;
		queue(files, &aliases, tmpdir, bytes, name, alias, str(e, "sha256"));
		free(bytes);
	}
	/* A step with no file in a known format starts nothing. */
	if (!json_array_size(files) || !summarise(s, rec, formats, files, &o, &aliases, &links))
		release_vecs(&aliases, &links);
	strvec_clear(&links);
	strvec_clear(&aliases);
	/* (the helper has its own copies of the descriptors) */
	objects_release(&o);
	json_decref(files);
	json_object_set_new(rec, "formats", formats);
	if (!fs.leftovers_done && fs.srv)
		take_up_leftovers(s);
	if (getenv("CAIRN_DEBUG_TIMING") && json_object_size(formats))
		fprintf(stderr, "cairn: timing: formats %.2f ms (%zu summaries, %zu pending)\n",
			(double)(util_now_ns() - t0) / 1e6, json_object_size(formats),
			(size_t)pending_count(formats));
	free(tmpdir);
	err_clear();
	return 0;
}

void exec__formats_end(struct exec_session *s)
{
	uint64_t end;
	json_t *b;
	int r = 0;

	if (!s->cairn_dir)
		return;
	/* Another session's summaries, left when it ended: this one makes
	 * them (a helper is started for them only). */
	if (!fs.leftovers_done) {
		json_t *all = NULL;
		provenance_summary_pending_list(&all, s->cairn_dir);
		if (json_object_size(all) && server() == 0)
			take_up_leftovers(s);
		json_decref(all);
		fs.leftovers_done = 1;
	}
	if (!fs.srv)
		return;
	/* The last answers, for a while: what is not done by then the
	 * helper still does after we have gone (or, killed, leaves pending
	 * for the next session). */
	end = util_now_ns() + (uint64_t)END_WAIT_MS * 1000000;
	b = json_pack("{s:b}", "end", 1);
	if (formats_server_send(fs.srv, b, NULL, 0) == 0) {
		while ((r = take_answer(100)) >= 0 && r != 2 && util_now_ns() < end)
			;
	}
	json_decref(b);
	formats_server_free(fs.srv);
	fs.srv = NULL;
	json_object_clear(fs.inflight);
}
