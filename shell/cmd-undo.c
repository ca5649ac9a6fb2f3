/*
 * cmd-undo.c - `cairn undo`: put back what the last steps changed in the
 * project, from the content store, and record that as a step of its own.
 *
 * For every project path the undone steps wrote, the state to put back
 * is the one before the oldest of them that wrote it: absent when that
 * write created it; else the version that step read, or else the write
 * of the newest earlier step that wrote it.  The state to find on disk
 * is what the newest of them wrote; anything else means the user changed
 * the file since, and nothing is done.  The new bytes are staged next to
 * their destinations (verified against their hash) before the first
 * change, then each goes in with one rename.  See docs/history.md.
 */
#include "shell-int.h"

#include "cache.h"
#include "provenance.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What a path holds: a file (sha, mode), a symlink (target), a
 * directory, or nothing. */
enum undo_kind { UNDO_ABSENT, UNDO_FILE, UNDO_SYMLINK, UNDO_DIR };

struct undo_state {
	enum undo_kind kind;
	const char *sha; /* borrowed from a record */
	const char *target;
	unsigned mode;
	json_int_t size;
};

struct undo_path {
	char *path; /* project-relative */
	struct undo_state after; /* what the newest undone write left */
	json_t *oldest_rec; /* the oldest undone step that wrote it (borrowed) */
	json_t *oldest_write;
	int known; /* BEFORE is set */
	int hidden; /* created, but maybe over the step's own earlier output */
	struct undo_state before;
	const char *before_producer; /* the step that wrote BEFORE, or NULL */
	char *tmp; /* staged bytes */
	int done;
};

struct undo {
	struct prov_store *st;
	json_t *steps; /* the undone records, newest first */
	const char *since; /* full id, or NULL */
	long want; /* how many steps (without SINCE) */
	int collecting;
	size_t skip; /* undone steps to pass over on the second walk */
	struct undo_path *p;
	size_t nr, alloc, pending;
};

/* The first entry of directory ABS (P's) that no path of U names, or
 * NULL: what the user (or an unrecorded writer) put there. */
static char *foreign_entry(const struct undo *u, const struct undo_path *p, const char *abs)
{
	DIR *d = opendir(abs);
	struct dirent *e;
	char *found = NULL;
	size_t i;
	while (d && !found && (e = readdir(d))) {
		char *rel;
		int known = 0;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		rel = xstrfmt("%s/%s", p->path, e->d_name);
		for (i = 0; i < u->nr && !known; i++)
			known = !strcmp(u->p[i].path, rel);
		if (!known)
			found = rel;
		else
			free(rel);
	}
	if (d)
		closedir(d);
	return found;
}

static unsigned mode_of(json_t *e, unsigned dflt)
{
	const char *m = json_string_value(json_object_get(e, "mode"));
	return m ? (unsigned)strtoul(m, NULL, 8) : dflt;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *orq(const char *s)
{
	return s ? s : "";
}

/* The state a `writes` entry leaves. */
static void state_of_write(struct undo_state *out, json_t *w)
{
	const char *kind = str(w, "kind") ?: "file";
	memset(out, 0, sizeof(*out));
	if (!strcmp(kind, "deleted")) {
		out->kind = UNDO_ABSENT;
	} else if (!strcmp(kind, "symlink")) {
		out->kind = UNDO_SYMLINK;
		out->target = str(w, "target");
	} else if (!strcmp(kind, "dir")) {
		out->kind = UNDO_DIR;
	} else {
		out->kind = UNDO_FILE;
		out->sha = str(w, "sha256");
		out->mode = mode_of(w, 0644);
		out->size = json_integer_value(json_object_get(w, "size"));
	}
}

static struct undo_path *find_path(struct undo *u, const char *path)
{
	size_t i;
	for (i = 0; i < u->nr; i++)
		if (!strcmp(u->p[i].path, path))
			return &u->p[i];
	return NULL;
}

/* Note the writes of REC (an undone step; called newest first). */
static void add_writes(struct undo *u, json_t *rec)
{
	json_t *w;
	size_t i;
	json_array_foreach(json_object_get(rec, "writes"), i, w)
	{
		const char *path = str(w, "path");
		struct undo_path *p;
		if (!path || path[0] == '/')
			continue; /* outside the project: the session's own /tmp, ... */
		if (!(p = find_path(u, path))) {
			ALLOC_GROW(u->p, u->nr + 1, u->alloc);
			p = &u->p[u->nr++];
			memset(p, 0, sizeof(*p));
			p->path = xstrdup(path);
			state_of_write(&p->after, w);
		}
		p->oldest_rec = rec;
		p->oldest_write = w;
	}
}

/* The state before the oldest undone write of P, from that step's own
 * record: absent when it created the path, or the version it read. */
static void before_from_step(struct undo_path *p)
{
	json_t *r, *w = p->oldest_write;
	size_t i;
	const char *kind = str(w, "kind") ?: "file";

	if (json_is_true(json_object_get(w, "created")) ||
	    (!strcmp(kind, "dir") && !json_object_get(w, "created"))) {
		/* A `dir` write is a directory the step made. */
		json_t *cache = json_object_get(p->oldest_rec, "cache");
		json_t *miss = json_object_get(cache, "miss");
		p->before.kind = UNDO_ABSENT;
		/* The step's own earlier output, hidden from it (docs/cache.md),
		 * is `created` too: it was there, written by a candidate of the
		 * step's key.  Without a candidate (a first run) it was not. */
		if (!strcmp(kind, "file") && json_is_string(json_object_get(cache, "key")) &&
		    !(miss && !strcmp(orq(str(miss, "part")), "new")))
			p->hidden = 1;
		else
			p->known = 1;
		return;
	}
	/* An undo's reads are the versions it put back, not what it found:
	 * what it found is what the step before it wrote. */
	if (!strcmp(orq(str(p->oldest_rec, "mode")), "undo"))
		return;
	json_array_foreach(json_object_get(p->oldest_rec, "reads"), i, r)
	{
		const char *rk = str(r, "kind");
		if (!rk || !str(r, "path") || strcmp(str(r, "path"), p->path))
			continue;
		if ((!strcmp(rk, "file") || !strcmp(rk, "exec")) && str(r, "sha256")) {
			p->known = 1;
			p->before.kind = UNDO_FILE;
			p->before.sha = str(r, "sha256");
			p->before.size = json_integer_value(json_object_get(r, "size"));
			/* A read carries no mode unless it was executed; the
			 * write's mode is the next best guess (chmod aside). */
			p->before.mode = mode_of(r, mode_of(w, 0644));
		} else if (!strcmp(rk, "symlink") && str(r, "target")) {
			p->known = 1;
			p->before.kind = UNDO_SYMLINK;
			p->before.target = str(r, "target");
		} else if (!strcmp(rk, "absent")) {
			p->known = 1;
			p->before.kind = UNDO_ABSENT;
		}
		if (p->known) {
			p->before_producer = str(r, "producer");
			return;
		}
	}
}

static int collect_cb(json_t *rec, void *payload)
{
	struct undo *u = payload;
	json_t *w;
	size_t i;

	if (u->collecting) {
		json_array_append(u->steps, rec);
		if (u->since ? !strcmp(str(rec, "id") ?: "", u->since)
			     : (long)json_array_size(u->steps) == u->want)
			u->collecting = 0;
		return 0;
	}
	/* Older steps: the previous writer of each path still unknown. */
	if (u->skip) {
		u->skip--;
		return 0;
	}
	if (!u->pending)
		return 1;
	json_array_foreach(json_object_get(rec, "writes"), i, w)
	{
		struct undo_path *p = find_path(u, str(w, "path") ?: "");
		if (!p || p->known || !json_is_true(json_object_get(rec, "committed")))
			continue;
		/* A hidden earlier output is one the same command wrote. */
		if (p->hidden &&
		    (!json_equal(json_object_get(rec, "command"),
				 json_object_get(p->oldest_rec, "command")) ||
		     !strcmp(orq(str(w, "kind")), "deleted"))) {
			p->known = 1; /* absent, as the record says */
			u->pending--;
			continue;
		}
		state_of_write(&p->before, w);
		p->known = 1;
		p->before_producer = str(rec, "id");
		json_array_append(u->steps, rec); /* keeps its strings alive */
		u->pending--;
	}
	return u->pending ? 0 : 1;
}

/* Does the path hold what the newest undone step wrote? */
static int holds(const char *abs, const struct undo_state *s)
{
	struct stat sb;
	char sha[SHA256_HEX_LEN + 1];

	if (lstat(abs, &sb) < 0)
		return errno == ENOENT && s->kind == UNDO_ABSENT;
	switch (s->kind) {
	case UNDO_ABSENT:
		return 0;
	case UNDO_DIR:
		return S_ISDIR(sb.st_mode);
	case UNDO_SYMLINK: {
		char buf[4096];
		ssize_t n = readlink(abs, buf, sizeof(buf) - 1);
		if (!S_ISLNK(sb.st_mode) || n < 0 || !s->target)
			return 0;
		buf[n] = '\0';
		return !strcmp(buf, s->target);
	}
	case UNDO_FILE:
	default:
		if (!S_ISREG(sb.st_mode) || !s->sha)
			return 0;
		if (util_sha256_file(sha, NULL, abs) < 0) {
			err_clear();
			return 0;
		}
		return !strcmp(sha, s->sha);
	}
	return 0;
}

static int same_state(const struct undo_state *a, const struct undo_state *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == UNDO_FILE)
		return a->sha && b->sha && !strcmp(a->sha, b->sha) && a->mode == b->mode;
	if (a->kind == UNDO_SYMLINK)
		return a->target && b->target && !strcmp(a->target, b->target);
	return 1;
}

static const char *describe(char buf[64], const struct undo_state *s)
{
	switch (s->kind) {
	case UNDO_ABSENT:
		return "absent";
	case UNDO_DIR:
		return "a directory";
	case UNDO_SYMLINK:
		return "a symlink";
	case UNDO_FILE:
	default:
		snprintf(buf, 64, "a file (%.12s)", s->sha ? s->sha : "?");
		return buf;
	}
}

static void rfc3339(char out[40], uint64_t ns)
{
	char buf[32];
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%s.%03uZ", buf, (unsigned)(ns / 1000000ULL % 1000));
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static json_t *state_json(const char *path, const struct undo_state *s, int as_read)
{
	json_t *e = json_object();
	char mode[8];
	json_object_set_new(e, "path", util_json_str(path));
	switch (s->kind) {
	case UNDO_ABSENT:
		json_object_set_new(e, "kind", json_string(as_read ? "absent" : "deleted"));
		json_object_set_new(e, "sha256", json_null());
		break;
	case UNDO_DIR:
		json_object_set_new(e, "kind", json_string("dir"));
		break;
	case UNDO_SYMLINK:
		json_object_set_new(e, "kind", json_string("symlink"));
		json_object_set_new(e, "target", util_json_str(s->target));
		break;
	case UNDO_FILE:
	default:
		json_object_set_new(e, "kind", json_string("file"));
		json_object_set_new(e, "sha256", json_string(s->sha));
		json_object_set_new(e, "size", json_integer(s->size));
		snprintf(mode, sizeof(mode), "%04o", s->mode & 07777);
		json_object_set_new(e, "mode", json_string(mode));
		break;
	}
	return e;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(str(*(json_t *const *)a, "path"), str(*(json_t *const *)b, "path"));
}

static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v = xmalloc((n ?: 1) * sizeof(*v)), *out = json_array();
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), by_path);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

/* Record the undo as a step of a session of its own. */
static int record_undo(struct undo *u, const char *command, uint64_t started)
{
	char session[64], stamp[32], id[SHA256_HEX_LEN + 1], t0[40], t1[40], src[128];
	unsigned char rnd[4];
	uint64_t now = realtime_ns();
	time_t t = (time_t)(started / 1000000000ULL);
	struct tm tm;
	json_t *rec = json_object(), *reads = json_array(), *writes = json_array(), *ids, *s;
	size_t i;
	int ret;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t x = now ^ (uint64_t)getpid();
		memcpy(rnd, &x, sizeof(rnd));
	}
	snprintf(session, sizeof(session), "%s-%02x%02x%02x%02x", stamp, rnd[0], rnd[1], rnd[2],
		 rnd[3]);
	snprintf(src, sizeof(src), "%s 1 %llu %d", session, (unsigned long long)started,
		 (int)getpid());
	util_sha256_hex(id, src, strlen(src));
	id[PROV_ID_LEN] = '\0';
	rfc3339(t0, started);
	rfc3339(t1, now);

	for (i = 0; i < u->nr; i++) {
		struct undo_path *p = &u->p[i];
		json_t *r, *w;
		if (!p->done)
			continue;
		/* The version put back is what the new one derives from (so
		 * lineage leads to the step that first wrote it). */
		r = state_json(p->path, &p->before, 1);
		json_object_set_new(r, "producer",
				    p->before_producer && p->before.kind != UNDO_ABSENT
					? json_string(p->before_producer)
					: json_null());
		json_array_append_new(reads, r);
		w = state_json(p->path, &p->before, 0);
		if (p->after.kind == UNDO_ABSENT && p->before.kind != UNDO_ABSENT)
			json_object_set_new(w, "created", json_true());
		json_array_append_new(writes, w);
	}
	ids = json_array();
	json_array_foreach(u->steps, i, s)
	{
		if (u->since ? 0 : (long)i >= u->want)
			break;
		json_array_append_new(ids, json_string(str(s, "id")));
		if (u->since && !strcmp(str(s, "id"), u->since))
			break;
	}
	json_object_set_new(rec, "record_version", json_integer(1));
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "session", json_string(session));
	json_object_set_new(rec, "seq", json_integer(1));
	json_object_set_new(rec, "command", util_json_str(command));
	json_object_set_new(rec, "line", json_integer(1));
	json_object_set_new(rec, "script", json_null());
	json_object_set_new(rec, "mode", json_string("undo"));
	json_object_set_new(rec, "undo", json_pack("{s:o}", "steps", ids));
	json_object_set_new(rec, "started", json_string(t0));
	json_object_set_new(rec, "finished", json_string(t1));
	json_object_set_new(rec, "exit_status", json_integer(0));
	json_object_set_new(rec, "signal", json_null());
	json_object_set_new(rec, "interrupted", json_false());
	json_object_set_new(rec, "cached", json_false());
	json_object_set_new(rec, "cache",
			    json_pack("{s:n,s:s,s:s}", "key", "lookup", "off", "off", "undo"));
	json_object_set_new(rec, "committed", json_true());
	json_object_set_new(rec, "reads", sorted(reads));
	json_object_set_new(rec, "writes", sorted(writes));
	json_object_set_new(rec, "exec_tree", json_array());
	json_object_set_new(rec, "stdout_sha256", json_null());
	json_object_set_new(rec, "stderr_sha256", json_null());
	json_object_set_new(rec, "resources",
			    json_pack("{s:f,s:f,s:f}", "cpu_user_s", 0.0, "cpu_sys_s", 0.0,
				      "wall_s", (double)(now - started) / 1e9));
	ret = provenance_record_step(u->st, rec);
	if (ret == 0 && !shell_opts.quiet)
		printf("recorded as step %.8s (undo it with: cairn undo)\n", id);
	json_decref(rec);
	return ret;
}

static void undo_release(struct undo *u)
{
	size_t i;
	for (i = 0; i < u->nr; i++) {
		if (u->p[i].tmp) {
			unlink(u->p[i].tmp);
			free(u->p[i].tmp);
		}
		free(u->p[i].path);
	}
	free(u->p);
	json_decref(u->steps);
}

/* Directories made first (shallow first), removed last (deep first). */
static int by_depth(const void *a, const void *b)
{
	const struct undo_path *x = a, *y = b;
	return strcmp(x->path, y->path);
}

static int cmd_undo_exec(int argc, char **argv)
{
	struct undo u = { 0 };
	struct strbuf conflicts = STRBUF_INIT, missing = STRBUF_INIT, cmd = STRBUF_INIT;
	const char *spec = NULL, *root, *cairn_dir;
	char since[PROV_ID_LEN + 1], da[64], db[64];
	uint64_t started = realtime_ns();
	int dry = 0, k, ret = 0, changed = 0;
	long n = 0;
	size_t i;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_undo_entry);
		return 0;
	}
	strbuf_addstr(&cmd, "cairn undo");
	for (k = 1; k < argc; k++) {
		strbuf_addf(&cmd, " %s", argv[k]);
		if (!strcmp(argv[k], "--dry-run") || !strcmp(argv[k], "-N")) {
			dry = 1;
		} else if (!strcmp(argv[k], "-n") && k + 1 < argc) {
			char *end;
			n = strtol(argv[++k], &end, 10);
			strbuf_addf(&cmd, " %s", argv[k]);
			if (*end || n < 1)
				return shell_usage_error(&cmd_undo_entry,
							 "-n needs a positive number");
		} else if (argv[k][0] == '-' && argv[k][1]) {
			return shell_usage_error(&cmd_undo_entry, "unknown option '%s'", argv[k]);
		} else if (spec) {
			return shell_usage_error(&cmd_undo_entry, "more than one step given");
		} else {
			spec = argv[k];
		}
	}
	if (spec && n)
		return shell_usage_error(&cmd_undo_entry, "give a STEP or -n N, not both");
	if ((ret = shell_store_open(&u.st, &cmd_undo_entry)))
		return ret;
	root = provenance_store_root(u.st);
	cairn_dir = provenance_store_dir(u.st);
	if (spec) {
		if ((ret = provenance_step_resolve(since, u.st, spec)) < 0)
			goto fail;
		u.since = since;
	}
	u.want = n ?: 1;
	u.steps = json_array();
	u.collecting = 1;
	/* The undone steps, newest first. */
	if ((ret = provenance_foreach_step(u.st, collect_cb, &u)) < 0)
		goto fail;
	if (!json_array_size(u.steps)) {
		ret = err_set(CAIRN_ENOTFOUND, "no step recorded: nothing to undo");
		goto fail;
	}
	if (!u.since && (long)json_array_size(u.steps) < u.want) {
		ret = err_set(CAIRN_ENOTFOUND, "only %zu steps recorded", json_array_size(u.steps));
		goto fail;
	}
	{
		json_t *r;
		json_array_foreach(u.steps, i, r)
		{
			/* A step that failed or was interrupted committed nothing. */
			if (json_is_true(json_object_get(r, "committed")))
				add_writes(&u, r);
		}
	}
	for (i = 0; i < u.nr; i++) {
		before_from_step(&u.p[i]);
		if (!u.p[i].known)
			u.pending++;
	}
	/* The writers before the undone steps, for what they do not tell. */
	if (u.pending) {
		u.collecting = 0;
		u.skip = json_array_size(u.steps);
		if ((ret = provenance_foreach_step(u.st, collect_cb, &u)) < 0)
			goto fail;
	}
	/* No earlier writer: a created file was indeed absent. */
	for (i = 0; i < u.nr; i++)
		if (u.p[i].hidden && !u.p[i].known)
			u.p[i].known = 1;

	/* Check everything before changing anything. */
	for (i = 0; i < u.nr; i++) {
		struct undo_path *p = &u.p[i];
		char *extra;
		char *abs = xstrfmt("%s/%s", root, p->path);
		if (json_is_true(json_object_get(p->oldest_write, "replaced"))) {
			/* rm -rf d; mkdir d, or mv d d.bak; mkdir d: what d held
			 * went with it, and the record does not list it. */
			strbuf_addf(&missing,
				    "\n  %s: step %.8s replaced this directory, and what it held "
				    "before is not recorded",
				    util_name_quoted(p->path), str(p->oldest_rec, "id"));
		} else if (!p->known) {
			strbuf_addf(&missing,
				    "\n  %s: its version before step %.8s is not known (that step "
				    "did not read it and no earlier step wrote it)",
				    util_name_quoted(p->path), str(p->oldest_rec, "id"));
		} else if (!holds(abs, &p->after)) {
			strbuf_addf(&conflicts, "\n  %s", util_name_quoted(p->path));
		} else if (p->after.kind == UNDO_DIR && p->before.kind != UNDO_DIR &&
			   (extra = foreign_entry(&u, p, abs))) {
			/* Undo removes a directory the step made only when it
			 * holds nothing but what undo takes away with it. */
			strbuf_addf(&conflicts, "\n  %s (it holds %s, which the step did not make)",
				    util_name_quoted(p->path), util_name_quoted(extra));
			free(extra);
		} else if (p->before.kind == UNDO_FILE &&
			   (!p->before.sha || !cache_cas_has(cairn_dir, p->before.sha))) {
			strbuf_addf(
			    &missing,
			    "\n  %s: its version before step %.8s is not in the content store "
			    "(only outputs of steps are kept there)",
			    util_name_quoted(p->path), str(p->oldest_rec, "id"));
		} else if (p->before.kind == UNDO_SYMLINK && !p->before.target) {
			strbuf_addf(&missing, "\n  %s: the record has no symlink target",
				    util_name_quoted(p->path));
		}
		free(abs);
	}
	if (conflicts.len) {
		ret =
		    err_set(CAIRN_ECONFLICT, "nothing undone: changed since the step wrote them:%s",
			    conflicts.buf);
		goto fail;
	}
	if (missing.len) {
		ret = err_set(CAIRN_ENOTFOUND, "nothing undone: cannot restore%s", missing.buf);
		goto fail;
	}
	qsort(u.p, u.nr, sizeof(*u.p), by_depth);

	for (i = 0; i < u.nr; i++) {
		struct undo_path *p = &u.p[i];
		if (same_state(&p->before, &p->after))
			continue;
		changed++;
		if (dry || !shell_opts.quiet)
			printf("%s%s: %s -> %s (as before step %.8s)\n",
			       dry ? "would restore " : "", util_name_quoted(p->path),
			       describe(da, &p->after), describe(db, &p->before),
			       str(p->oldest_rec, "id"));
	}
	if (!changed) {
		if (!shell_opts.quiet)
			printf("nothing to undo: the step%s changed no file in the project\n",
			       json_array_size(u.steps) > 1 ? "s" : "");
		ret = 0;
		goto out;
	}
	if (dry) {
		ret = 0;
		goto out;
	}

	/* Stage the bytes: nothing in the project has changed yet. */
	for (i = 0; i < u.nr; i++) {
		struct undo_path *p = &u.p[i];
		char *abs;
		if (same_state(&p->before, &p->after) || p->before.kind != UNDO_FILE)
			continue;
		abs = xstrfmt("%s/%s", root, p->path);
		p->tmp = xstrfmt("%s.cairn-undo.%d", abs, (int)getpid());
		if ((ret = shell_make_parents(abs)) == 0)
			ret = cache_cas_get_file(cairn_dir, p->before.sha, p->tmp,
						 p->before.mode ?: 0644);
		free(abs);
		if (ret < 0) {
			char *why = xstrdup(err_last());
			err_set(ret, "nothing undone: cannot restore %s: %s",
				util_name_quoted(p->path), why);
			free(why);
			goto fail;
		}
	}
	/* Directories to make, then files and links, then what goes. */
	for (i = 0; i < u.nr; i++) {
		struct undo_path *p = &u.p[i];
		char *abs = xstrfmt("%s/%s", root, p->path);
		if (!same_state(&p->before, &p->after) && p->before.kind == UNDO_DIR) {
			if (shell_make_parents(abs) < 0 ||
			    (mkdir(abs, 0755) < 0 && errno != EEXIST))
				warn("cannot make the directory %s: %s", p->path, strerror(errno));
			else
				p->done = 1;
		}
		free(abs);
	}
	for (i = 0; i < u.nr; i++) {
		struct undo_path *p = &u.p[i];
		char *abs;
		if (same_state(&p->before, &p->after) ||
		    (p->before.kind != UNDO_FILE && p->before.kind != UNDO_SYMLINK))
			continue;
		abs = xstrfmt("%s/%s", root, p->path);
		if (p->before.kind == UNDO_SYMLINK) {
			p->tmp = xstrfmt("%s.cairn-undo.%d", abs, (int)getpid());
			unlink(p->tmp);
			if (shell_make_parents(abs) < 0 || symlink(p->before.target, p->tmp) < 0) {
				free(abs);
				continue;
			}
		}
		if (p->after.kind == UNDO_DIR)
			rmdir(abs);
		if (rename(p->tmp, abs) < 0) {
			warn("cannot restore %s: %s", p->path, strerror(errno));
		} else {
			free(p->tmp);
			p->tmp = NULL;
			p->done = 1;
		}
		free(abs);
	}
	for (i = u.nr; i-- > 0;) {
		struct undo_path *p = &u.p[i];
		char *abs;
		if (same_state(&p->before, &p->after) || p->before.kind != UNDO_ABSENT)
			continue;
		abs = xstrfmt("%s/%s", root, p->path);
		if ((p->after.kind == UNDO_DIR ? rmdir(abs) : unlink(abs)) < 0 && errno != ENOENT)
			warn("cannot remove %s: %s", p->path, strerror(errno));
		else
			p->done = 1;
		free(abs);
	}
	if ((ret = record_undo(&u, cmd.buf, started)) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	ret = shell_store_fail(&cmd_undo_entry, ret);
out:
	undo_release(&u);
	strbuf_release(&conflicts);
	strbuf_release(&missing);
	strbuf_release(&cmd);
	provenance_store_free(u.st);
	return ret;
}

const struct cmd_entry cmd_undo_entry = {
	.name = "undo",
	.usage = "cairn undo [STEP | -n N] [--dry-run]",
	.summary = "Put back what the last steps changed in the project.",
	.help = "Without arguments, the newest step; -n N the N newest; STEP (an id prefix or\n"
		"@N) that step and every step recorded after it.  Files they wrote get their\n"
		"earlier version back (the one the step read, or the one an earlier step\n"
		"wrote: its bytes come from the content store), files they created are\n"
		"removed, files they deleted come back.\n\n"
		"Nothing is changed when a file no longer holds what the steps wrote (it was\n"
		"changed since: the message names it), or when an earlier version is not in\n"
		"the content store.  The undo is recorded as a step of its own (cairn log\n"
		"shows it), so `cairn undo` again puts the files back as they were.\n\n"
		"Options:\n"
		"  -n N        undo the N newest steps\n"
		"  --dry-run   say what would change, change nothing\n\n"
		"Exit status: 0 done (or nothing to do), 1 refused or not found, 2 usage.\n"
		"See docs/history.md.\n",
	.exec = cmd_undo_exec,
};
