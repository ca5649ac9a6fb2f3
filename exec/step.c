/*
 * step.c - recorded steps: the sandbox's layout for a step, its record,
 * and committing its outputs.
 *
 * Where a step may write, it writes into overlay upper directories of
 * its own: the project's in .cairn/tmp/ (the same filesystem, so that
 * committing is renaming), the session /tmp's in the scratch directory.
 * Only a step that succeeded has its writes committed; the record then
 * describes exactly what is on disk.
 */
#include "exec-int.h"

#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int exec__mkdir_p(const char *path, unsigned mode)
{
	char *p = xstrdup(path), *q;
	int ret = 0;
	for (q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, mode & 0777) < 0 && errno != EEXIST)
			ret = -1;
		*q = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		ret = -1;
	free(p);
	return ret ? err_errno(CAIRN_ERROR, "cannot create %s", path) : 0;
}

/* Make directory PATH (and its parents) unless it exists. */
static int make_dir(const char *path)
{
	if (!mkdir(path, 0755) || errno == EEXIST)
		return 0;
	return exec__mkdir_p(path, 0755);
}

/*
 * Make DIR an empty directory, removing what is in it; with
 * KEEP_HIDER, keep the whiteout that hides .cairn/ in a project layer
 * (but not whatever a step may have put in its place).
 */
static int empty_dir(const char *dir, int keep_hider)
{
	struct strbuf sb = STRBUF_INIT;
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return errno == ENOENT ? make_dir(dir) : err_errno(CAIRN_ERROR, "%s", dir);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s/%s", dir, e->d_name);
		if (keep_hider && !strcmp(e->d_name, ".cairn") && !lstat(sb.buf, &st) &&
		    S_ISCHR(st.st_mode) && st.st_rdev == 0)
			continue;
		if (exec__remove_tree(sb.buf) < 0)
			ret = err_errno(CAIRN_ERROR, "cannot remove %s", sb.buf);
	}
	closedir(d);
	strbuf_release(&sb);
	return ret;
}

static char *host_image(void)
{
	struct utsname u;
	struct strbuf sb = STRBUF_INIT, os = STRBUF_INIT;
	const char *p;
	if (!uname(&u))
		strbuf_addf(&sb, "%s %s %s", u.sysname, u.release, u.machine);
	if (!strbuf_read_file(&os, "/etc/os-release") && (p = strstr(os.buf, "PRETTY_NAME="))) {
		const char *end;
		p += 12;
		if (*p == '"')
			p++;
		end = strpbrk(p, "\"\n");
		strbuf_addstr(&sb, "; ");
		strbuf_add(&sb, p, end ? (size_t)(end - p) : strlen(p));
	}
	strbuf_release(&os);
	return strbuf_detach(&sb, NULL);
}

static void random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[32];
	size_t i;
	if (nbytes > sizeof(buf))
		nbytes = sizeof(buf);
	if (getrandom(buf, nbytes, 0) != (ssize_t)nbytes) {
		uint64_t t = util_now_ns() ^ (uint64_t)getpid();
		for (i = 0; i < nbytes; i++)
			buf[i] = (unsigned char)(t >> (8 * (i % 8)));
	}
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[buf[i] >> 4];
		out[2 * i + 1] = hex[buf[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

/* Is session SID of S's store running (holding its lock)? */
int exec__session_running(const struct exec_session *s, const char *sid)
{
	char *lock;
	int fd, alive = 0;
	if (!sid || !*sid || strchr(sid, '/') || *sid == '.')
		return 0;
	lock = xstrfmt("%s/tmp/%s.lock", s->cairn_dir, sid);
	fd = open(lock, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		close(fd);
	}
	free(lock);
	return alive;
}

/* Is the session that recorded R still running (holding its lock)? */
static int session_alive(struct exec_session *s, json_t *r)
{
	return exec__session_running(s, json_string_value(json_object_get(r, "session")));
}

/* Does any session hold its lock in .cairn/tmp (run right now)? */
static int any_session_alive(struct exec_session *s)
{
	char *dir = xstrfmt("%s/tmp", s->cairn_dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	int alive = 0;

	while (d && !alive && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *lock;
		int fd;
		if (n < 6 || strcmp(e->d_name + n - 5, ".lock"))
			continue;
		lock = xstrfmt("%s/%s", dir, e->d_name);
		fd = open(lock, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
			close(fd);
		}
		free(lock);
	}
	if (d)
		closedir(d);
	free(dir);
	return alive;
}

struct pending_rec {
	char *name; /* the file name without ".json" */
	json_t *r; /* NULL when unreadable */
};

/* The order the steps ran in: by `finished` (each step commits as it
 * finishes), then session and `seq`; unreadable records last. */
static int cmp_pending(const void *a, const void *b)
{
	const struct pending_rec *x = a, *y = b;
	const char *fx, *fy, *sx, *sy;
	json_int_t qx, qy;
	int c;

	if (!x->r != !y->r)
		return !x->r ? 1 : -1;
	if (!x->r)
		return strcmp(x->name, y->name);
	fx = json_string_value(json_object_get(x->r, "finished"));
	fy = json_string_value(json_object_get(y->r, "finished"));
	if ((c = strcmp(fx ? fx : "", fy ? fy : "")))
		return c;
	sx = json_string_value(json_object_get(x->r, "session"));
	sy = json_string_value(json_object_get(y->r, "session"));
	if ((c = strcmp(sx ? sx : "", sy ? sy : "")))
		return c;
	qx = json_integer_value(json_object_get(x->r, "seq"));
	qy = json_integer_value(json_object_get(y->r, "seq"));
	if (qx != qy)
		return qx < qy ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Finish what a killed cairn left: the operations of a commit it had
 * journalled (see commit.c), then the records it had not yet stored (each
 * step leaves its record in .cairn/journal/<id>.json until the store has
 * it).  The records go in the order their steps ran, not the directory's:
 * the store fills each read's `producer` from the steps it already has,
 * so a step stored before the step that wrote its input would lose that
 * link.  A journal without its record is from a cairn killed before it
 * wrote the record, so before the first operation: it is dropped.
 */
static int recover(struct exec_session *s)
{
	char *dir = xstrfmt("%s/journal", s->cairn_dir);
	struct pending_rec *recs = NULL;
	size_t nrecs = 0, alloc = 0, i;
	struct strvec journals = STRVEC_INIT;
	struct dirent *e;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d) {
		free(dir);
		return 0;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 8 && !strcmp(e->d_name + n - 8, ".json.tmp")) {
			/* A record never completed: its step was never committed. */
			char *tmp = xstrfmt("%s/%s", dir, e->d_name);
			unlink(tmp);
			free(tmp);
			continue;
		}
		if (n > 8 && !strcmp(e->d_name + n - 8, ".journal")) {
			strvec_pushf(&journals, "%.*s", (int)(n - 8), e->d_name);
			continue;
		}
		if (n < 6 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		ALLOC_GROW(recs, nrecs + 1, alloc);
		recs[nrecs].name = xstrndup(e->d_name, n - 5);
		recs[nrecs].r = NULL;
		nrecs++;
	}
	closedir(d);
	for (i = 0; i < nrecs; i++) {
		char *rec = xstrfmt("%s/%s.json", dir, recs[i].name);
		recs[i].r = util_json_load_file(rec, 0, NULL);
		free(rec);
	}
	if (nrecs)
		qsort(recs, nrecs, sizeof(*recs), cmp_pending);

	/* Journals without a record: their session is dead unless some
	 * session runs now (which may be the one about to write it). */
	for (i = 0; i < journals.nr; i++) {
		size_t k;
		int has_record = 0;
		for (k = 0; k < nrecs && !has_record; k++)
			has_record = !strcmp(recs[k].name, journals.v[i]);
		if (!has_record && !any_session_alive(s)) {
			char *journal = xstrfmt("%s/%s.journal", dir, journals.v[i]);
			unlink(journal);
			free(journal);
		}
	}

	for (i = 0; i < nrecs; i++) {
		const char *name = recs[i].name;
		json_t *r = recs[i].r;
		char *journal = xstrfmt("%s/%s.journal", dir, name);
		char *rec = xstrfmt("%s/%s.json", dir, name);
		char *upper = NULL;
		int had_journal = !access(journal, F_OK);
		if (r && session_alive(s, r)) {
			/* Another cairn is committing this step right now, or
			 * its writer is storing the record. */
			goto next;
		}
		if (had_journal && exec__commit_recover(journal, s) < 0) {
			ret = -1;
			goto next;
		}
		if (had_journal) {
			const char *sid = json_string_value(json_object_get(r, "session"));
			/* The layers are the session's (.cairn/tmp/<session>). */
			if (sid && *sid && !strchr(sid, '/') && *sid != '.') {
				upper = xstrfmt("%s/tmp/%s", s->cairn_dir, sid);
				exec__remove_tree(upper);
			}
			unlink(journal);
			fprintf(stderr, "cairn: finished the commit of an interrupted step (%s)\n",
				name);
		}
		if (!r) {
			warn("%s: unreadable record of an interrupted step; removed", rec);
			unlink(rec);
		} else if (s->record && s->record(r, rec, s->record_payload) < 0) {
			ret = -1;
		}
next:
		free(journal);
		free(rec);
		free(upper);
	}
	for (i = 0; i < nrecs; i++) {
		json_decref(recs[i].r);
		free(recs[i].name);
	}
	free(recs);
	strvec_clear(&journals);
	free(dir);
	return ret;
}

/* A directory under the host's /tmp shows in the session's /tmp only if
 * its path exists there to mount it on. */
static void make_mountpoint(struct exec_session *s, const char *path)
{
	const char *rest = exec__under(path, "/tmp");
	char *p;
	if (!rest || !*rest)
		return;
	p = xstrfmt("%s/%s", s->tmp_lower, rest);
	exec__mkdir_p(p, 0755);
	free(p);
}

/*
 * The tool caches (docs/cache.md): each directory D of
 * OPTS->tool_cache_dirs ("~/..." or absolute, below $HOME) is shown to
 * steps as a directory of cairn's own, kept across sessions under
 * $XDG_CACHE_HOME/cairn/tools (~/.cache/cairn/tools), writable: what a
 * tool caches there (matplotlib's and fontconfig's font lists, pip's
 * downloads) is found again by the next session, the real D is left
 * alone, and neither is an input or output of the step.  A directory
 * that cannot be made, or is not a plain directory of the user's, is
 * left out (steps then write it in the session's home layer, as
 * before).  -1 on a bad setting.
 */
static int tool_caches(struct exec_session *s, const struct exec_session_opts *opts)
{
	static const char *const deflt[] = { EXEC_TOOL_CACHE_DIRS, NULL };
	const char *const *dirs = opts->tool_cache_dirs ? opts->tool_cache_dirs : deflt;
	const char *xdg = getenv("XDG_CACHE_HOME");
	struct strbuf base = STRBUF_INIT, host = STRBUF_INIT, view = STRBUF_INIT;
	size_t i;
	int ret = 0;

	if (xdg && xdg[0] == '/')
		strbuf_addf(&base, "%s/cairn/tools", xdg);
	else
		strbuf_addf(&base, "%s/.cache/cairn/tools", s->home);
	/* Kept in the project, steps would write project files past the
	 * commit: no tool cache then. */
	if (exec__under(base.buf, s->root) || exec__under(s->root, base.buf)) {
		strbuf_release(&base);
		return 0;
	}
	for (i = 0; dirs[i] && !ret; i++) {
		const char *d = dirs[i], *rest, *c;
		struct stat st;
		strbuf_reset(&view);
		if (d[0] == '~' && (!d[1] || d[1] == '/'))
			strbuf_addf(&view, "%s%s", s->home, d + 1);
		else
			strbuf_addstr(&view, d);
		util_path_clean(&view, 0);
		rest = exec__under(view.buf, s->home);
		/* The defaults are left out where they would hold the
		 * project or lie in it (a project under ~/.cache). */
		if (!opts->tool_cache_dirs && rest && *rest &&
		    (exec__under(s->root, view.buf) || exec__under(view.buf, s->root)))
			continue;
		if (!rest || !*rest || strstr(view.buf, "/..") || exec__under(s->root, view.buf) ||
		    exec__under(view.buf, s->root)) {
			ret = err_set(
			    CAIRN_EUSAGE,
			    "cache.toolCacheDirs = %s: give a directory below $HOME (~/...) "
			    "that neither is nor holds the project",
			    d);
			break;
		}
		if (s->tool_view.nr >= EXEC_MAX_TOOL_CACHES)
			break;
		/* ~/.julia/compiled keeps .julia%compiled */
		strbuf_reset(&host);
		strbuf_addf(&host, "%s/", base.buf);
		for (c = rest; *c; c++)
			strbuf_addch(&host, *c == '/' ? '%' : *c);
		if (exec__mkdir_p(host.buf, 0700) < 0 || lstat(host.buf, &st) < 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
			err_clear();
			continue;
		}
		strvec_push(&s->tool_view, view.buf);
		strvec_push(&s->tool_host, host.buf);
	}
	strbuf_release(&base);
	strbuf_release(&host);
	strbuf_release(&view);
	return ret;
}

/*
 * Each session holds a lock on .cairn/tmp/<session>.lock while it runs:
 * the directories of a session whose lock nobody holds belong to a cairn
 * that was killed, and the next session removes them.
 */
static int lock_session(struct exec_session *s)
{
	char *lock = xstrfmt("%s/tmp/%s.lock", s->cairn_dir, s->session_id);
	s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX) < 0) {
		err_errno(CAIRN_ERROR, "cannot lock %s", lock);
		free(lock);
		return -1;
	}
	free(lock);
	/* And a shared lock on the content store: `cairn cache gc` does not
	 * remove objects while a session may be about to refer to them. */
	if (cache_lock_shared(&s->cache_lock_fd, s->cairn_dir) < 0)
		return -1;
	return 0;
}

static void sweep_stale(struct exec_session *s)
{
	char *dir = xstrfmt("%s/tmp", s->cairn_dir);
	struct dirent *e;
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	struct strvec files = STRVEC_INIT;
	int others = 0;
	size_t i;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *lock, *sdir;
		int fd;
		if (e->d_type == DT_REG && strcmp(e->d_name + (n > 5 ? n - 5 : 0), ".lock"))
			strvec_pushf(&files, "%s/%s", dir, e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".lock"))
			continue;
		if (n - 5 == strlen(s->session_id) && !strncmp(e->d_name, s->session_id, n - 5))
			continue; /* ours */
		lock = xstrfmt("%s/%s", dir, e->d_name);
		sdir = xstrfmt("%s/%.*s", dir, (int)(n - 5), e->d_name);
		fd = open(lock, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
			exec__remove_tree(sdir);
			unlink(lock);
		} else if (fd >= 0) {
			others++;
		}
		if (fd >= 0)
			close(fd);
		free(lock);
		free(sdir);
	}
	closedir(d);
	/* Temporaries (content-store and cache files being written) belong
	 * to some session: with no other session alive, to a dead one. */
	for (i = 0; !others && i < files.nr; i++)
		unlink(files.v[i]);
	strvec_clear(&files);
	free(dir);
	if (!others) {
		/* A record a killed cairn was writing when it died. */
		char *jdir = xstrfmt("%s/journal", s->cairn_dir);
		d = opendir(jdir);
		while (d && (e = readdir(d))) {
			size_t n = strlen(e->d_name);
			if (n > 4 && !strcmp(e->d_name + n - 4, ".tmp")) {
				char *f = xstrfmt("%s/%s", jdir, e->d_name);
				unlink(f);
				free(f);
			}
		}
		if (d)
			closedir(d);
		free(jdir);
	}
}

int exec__record_init(struct exec_session *s, const struct exec_session_opts *opts)
{
	char rnd[9];
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	const char *home = getenv("HOME");
	struct stat st;
	char *p;
	size_t i;

	s->root = realpath(opts->root, NULL);
	if (!s->root)
		return err_errno(CAIRN_ERROR, "%s", opts->root);
	s->cairn_dir = xstrfmt("%s/.cairn", s->root);
	s->sandboxed = !opts->no_sandbox;
	s->keep_failed = opts->keep_failed;
	s->no_cache = opts->no_cache;
	s->record = opts->record;
	s->record_payload = opts->record_payload;
	s->image = host_image();
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	random_hex(rnd, 4);
	s->session_id = xstrfmt("%s-%s", stamp, rnd);
	s->stepdir = xstrfmt("%s/tmp/%s", s->cairn_dir, s->session_id);

	/* Say it plainly rather than through the first file that fails. */
	if (access(s->cairn_dir, W_OK | X_OK) < 0)
		return err_set(CAIRN_ERROR,
			       "cannot record into the store %s: %s (--store DIR or CAIRN_STORE "
			       "names another)",
			       s->cairn_dir, strerror(errno));
	p = xstrfmt("%s/tmp", s->cairn_dir);
	if (exec__mkdir_p(p, 0700) < 0) {
		free(p);
		return -1;
	}
	free(p);
	p = xstrfmt("%s/journal", s->cairn_dir);
	if (exec__mkdir_p(p, 0700) < 0) {
		free(p);
		return -1;
	}
	free(p);
	if (recover(s) < 0)
		return -1;
	if (!s->sandboxed)
		return 0;
	if (lock_session(s) < 0)
		return -1;
	sweep_stale(s);

	/* The session's /tmp, with mount points for what lives under the
	 * host's /tmp and must stay visible: the project, our scratch. */
	s->tmp_lower = xstrfmt("%s/tmp", s->tmpdir);
	if (exec__mkdir_p(s->tmp_lower, 01777) < 0 || chmod(s->tmp_lower, 01777) < 0)
		return err_errno(CAIRN_ERROR, "%s", s->tmp_lower);
	make_mountpoint(s, s->root);
	make_mountpoint(s, s->tmpdir);
	/* A script under the host's /tmp but outside the project: its
	 * directory is shown read only, so that it can be read ("$0") and
	 * can source its neighbours. */
	if (s->script_abs && exec__under(s->script_abs, "/tmp") &&
	    !exec__under(s->script_abs, s->root)) {
		char *slash = strrchr(s->script_abs, '/');
		s->script_dir = xstrndup(s->script_abs, (size_t)(slash - s->script_abs));
		if (!strcmp(s->script_dir, "/tmp")) {
			free(s->script_dir);
			s->script_dir = NULL;
		} else {
			make_mountpoint(s, s->script_dir);
		}
	}
	/* $HOME readable, its writes private to the session -- unless it
	 * is or holds the project (the project layer covers it then). */
	if (home && *home == '/' && strcmp(home, "/") && !stat(home, &st) && S_ISDIR(st.st_mode)) {
		char *real = realpath(home, NULL);
		if (real && strcmp(real, "/tmp") && !exec__under(real, s->root) &&
		    !exec__under(s->tmpdir, real)) {
			s->home = real;
			real = NULL;
			s->home_upper = xstrfmt("%s/home/u", s->tmpdir);
			s->home_work = xstrfmt("%s/home/w", s->tmpdir);
			if (exec__mkdir_p(s->home_upper, 0755) < 0 ||
			    exec__mkdir_p(s->home_work, 0755) < 0)
				return -1;
			make_mountpoint(s, s->home);
		}
		free(real);
	}
	if (s->home && tool_caches(s, opts) < 0)
		return -1;
	if (opts->into && exec__into_init(s, opts->into) < 0)
		return -1;
	for (i = 0; opts->env_ignore && opts->env_ignore[i]; i++)
		strvec_push(&s->env_ignore, opts->env_ignore[i]);
	for (i = 0; opts->env_keep && opts->env_keep[i]; i++)
		strvec_push(&s->env_keep, opts->env_keep[i]);
	s->see_own_outputs = opts->see_own_outputs;
	s->max_output = opts->max_output ? opts->max_output : EXEC_MAX_OUTPUT;
	for (i = 0; opts->writable && opts->writable[i]; i++) {
		char *real = realpath(opts->writable[i], NULL);
		if (!real || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
			warn("sandbox.writable: %s is not a directory; ignored", opts->writable[i]);
			free(real);
			continue;
		}
		if (!exec__under(real, s->root) && !exec__under(real, "/tmp")) {
			strvec_push(&s->writable, real);
			make_mountpoint(s, real);
		}
		free(real);
	}
	return 0;
}

void exec__record_release(struct exec_session *s)
{
	if (s->memo && s->cairn_dir && cache_memo_save(s->memo, s->cairn_dir) < 0)
		warn("%s", err_last());
	if (s->cairn_dir && s->session_id && s->sandboxed) {
		char *dir = xstrfmt("%s/tmp/%s", s->cairn_dir, s->session_id);
		char *lock = xstrfmt("%s.lock", dir);
		exec__remove_tree(dir);
		unlink(lock);
		free(dir);
		free(lock);
	}
	if (s->lock_fd > 0)
		close(s->lock_fd);
	if (s->cache_lock_fd > 0)
		cache_unlock(s->cache_lock_fd);
	free(s->root);
	free(s->cairn_dir);
	free(s->session_id);
	free(s->stepdir);
	free(s->tmp_lower);
	free(s->script_dir);
	free(s->home);
	free(s->home_upper);
	free(s->home_work);
	free(s->image);
	strvec_clear(&s->writable);
	strvec_clear(&s->env_ignore);
	strvec_clear(&s->env_keep);
	strvec_clear(&s->tool_view);
	strvec_clear(&s->tool_host);
	cache_memo_free(s->memo);
	free(s->placed);
	free(s->into);
	free(s->into_name);
	free(s->into_view);
	free(s->into_hide);
	strvec_clear(&s->into_dirs);
	strvec_clear(&s->into_later);
}

/* ---- one step -------------------------------------------------------------- */

/*
 * The energy a step took (docs/step-record.md, `resources.energy_j`):
 * RAPL's package-0 counter (/sys/class/powercap/intel-rapl:0), where it
 * is readable, measures what the whole package drew while the step ran
 * (other processes too); else a model: its CPU time at EXEC_CPU_WATTS
 * per busy core.  Either is an estimate, named in `energy_model`.
 */
#define EXEC_CPU_WATTS 10.0
#define RAPL_DIR "/sys/class/powercap/intel-rapl:0"

static int rapl_read(uint64_t *uj, uint64_t *range)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;
	if (strbuf_read_file(&sb, RAPL_DIR "/energy_uj") == 0 && sb.len) {
		*uj = strtoull(sb.buf, NULL, 10);
		ret = 0;
	}
	strbuf_reset(&sb);
	if (!ret && range)
		*range = strbuf_read_file(&sb, RAPL_DIR "/max_energy_range_uj") == 0 && sb.len
		    ? strtoull(sb.buf, NULL, 10)
		    : 0;
	strbuf_release(&sb);
	err_clear();
	return ret;
}

static void set_energy(json_t *res, const struct exec_steprun *r, double cpu_s)
{
	uint64_t now, range = 0;
	if (r->rapl_ok && rapl_read(&now, &range) == 0) {
		uint64_t d = now >= r->rapl_start ? now - r->rapl_start
						  : range - r->rapl_start + now; /* wrapped */
		json_object_set_new(res, "energy_j", json_real((double)d / 1e6));
		json_object_set_new(res, "energy_model",
				    json_string("rapl: what CPU package 0 drew while the step ran, "
						"other processes included"));
		return;
	}
	json_object_set_new(res, "energy_j", json_real(cpu_s * EXEC_CPU_WATTS));
	json_object_set_new(res, "energy_model",
			    json_string("model: CPU time x 10 W per busy core (no RAPL counter "
					"readable)"));
}

static void steprun_begin(struct exec_steprun *r, struct exec_session *s,
			  const struct exec_step *step);

static int depth(const char *path)
{
	int n = 0;
	for (; *path; path++)
		n += *path == '/';
	return n;
}

static int cmp_layer(const void *a, const void *b)
{
	return depth(((const struct sandbox_layer *)a)->path) -
	    depth(((const struct sandbox_layer *)b)->path);
}

static void add_layer(struct exec_steprun *r, const char *path, const char *lower, const char *dir)
{
	struct sandbox_layer *l = &r->layers[r->nlayers++];
	char *u = xstrfmt("%s/u", dir), *w = xstrfmt("%s/w", dir);
	strvec_push_nodup(&r->strings, u);
	strvec_push_nodup(&r->strings, w);
	l->path = path;
	l->lower = lower;
	l->upper = u;
	l->work = w;
}

/*
 * Does directory DIR (in the project) keep an entry that is not in the
 * sorted list OWN when those are hidden?  A directory that would look
 * empty could be removed by the step (rmdir succeeds where under bash it
 * fails, and the hidden files would go with it): its files stay seen.
 */
static int keeps_an_entry(const char *dir, const struct strvec *own)
{
	struct strbuf p = STRBUF_INIT;
	struct dirent *e;
	int keeps = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	while (!keeps && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", dir, e->d_name);
		keeps = !exec__in_sorted(own, p.buf);
	}
	closedir(d);
	strbuf_release(&p);
	return keeps;
}

int exec__hideable(const struct exec_session *s, const char *path, const struct strvec *own)
{
	const char *rel = exec__under(path, s->root), *slash;
	struct strbuf low = STRBUF_INIT;
	char *dir;
	int ok;
	if (!rel || !*rel || !strncmp(rel, ".cairn", 6))
		return 0;
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	ok = keeps_an_entry(dir, own);
	free(dir);
	for (slash = strchr(rel, '/'); slash && ok; slash = strchr(slash + 1, '/')) {
		struct stat st;
		strbuf_reset(&low);
		strbuf_addf(&low, "%s/%.*s", s->root, (int)(slash - rel), rel);
		ok = !lstat(low.buf, &st) && S_ISDIR(st.st_mode);
	}
	strbuf_release(&low);
	return ok;
}

/*
 * Hide the step's own earlier outputs OWN (exec__cache_serve() found
 * them, each exec__hideable()) from it: a whiteout each in the project
 * layer's upper directory UPPER, under directories made as the
 * project's.  Each whiteout's inode is kept, so that the commit tells it
 * from the step's own deletion of a file it made there again.
 */
static void hide_own(struct exec_steprun *r, struct exec_session *s, const char *upper,
		     const struct strvec *own)
{
	struct strbuf up = STRBUF_INIT, low = STRBUF_INIT;
	size_t i;
	for (i = 0; i < own->nr; i++) {
		const char *rel = exec__under(own->v[i], s->root), *slash;
		struct stat wst;
		int ok = 1;
		if (!rel || !*rel)
			continue;
		for (slash = strchr(rel, '/'); slash && ok; slash = strchr(slash + 1, '/')) {
			struct stat st;
			strbuf_reset(&low);
			strbuf_addf(&low, "%s/%.*s", s->root, (int)(slash - rel), rel);
			strbuf_reset(&up);
			strbuf_addf(&up, "%s/%.*s", upper, (int)(slash - rel), rel);
			ok = !lstat(low.buf, &st) && S_ISDIR(st.st_mode) &&
			    (!mkdir(up.buf, 0700) || errno == EEXIST) &&
			    !chmod(up.buf, st.st_mode & 07777);
		}
		strbuf_reset(&up);
		strbuf_addf(&up, "%s/%s", upper, rel);
		if (!ok || mknod(up.buf, S_IFCHR | 0000, 0) < 0 || lstat(up.buf, &wst) < 0)
			continue;
		strvec_push(&s->hidden, own->v[i]);
		strvec_push(&r->hidden_names, rel);
		ALLOC_GROW(r->hidden_ino, r->hidden_names.nr, r->alloc_hidden_ino);
		r->hidden_ino[r->hidden_names.nr - 1] = wst.st_ino;
	}
	strbuf_release(&up);
	strbuf_release(&low);
}

int exec__steprun_prepare(struct exec_steprun *r, struct exec_session *s,
			  const struct exec_step *step, const char *prog_path, int sync_r,
			  int sync_w)
{
	struct exec_cachectx *cache = r->cache;
	size_t i;
	char *d;

	memset(r, 0, sizeof(*r));
	r->cache = cache;
	strvec_init(&r->strings);
	strvec_init(&r->hidden_names);
	steprun_begin(r, s, step);
	if (!s->sandboxed)
		return 0;
	if (s->stdin_guard) {
		r->cfg.watch_stdin = 1;
		r->cfg.stdin_dev = s->stdin_guard_dev;
		r->cfg.stdin_ino = s->stdin_guard_ino;
	} else if (s->output && s->output->dst[0] >= 0 && s->output->stdin_kind &&
		   (!strcmp(s->output->stdin_kind, "tty") ||
		    !strcmp(s->output->stdin_kind, "pipe") ||
		    !strcmp(s->output->stdin_kind, "file"))) {
		/* Whether the step reads the session's input decides whether it
		 * may be served from the cache. */
		struct stat st;
		if (fstat(s->output->dst[0], &st) == 0) {
			r->cfg.watch_stdin = 1;
			r->cfg.stdin_dev = st.st_dev;
			r->cfg.stdin_ino = st.st_ino;
		}
	}
	/* Lookups by the project's name: a copy elsewhere (exec/cache.c). */
	r->cfg.named_root = s->root;
	r->layers = xcalloc(3 + s->writable.nr, sizeof(*r->layers));
	/* The session's layer directories, emptied after each step
	 * (exec__steprun_release): making and removing a dozen
	 * directories per step cost more than the rest of preparing. */
	r->stepdir = xstrdup(s->stepdir);
	r->tstepdir = xstrfmt("%s/steps", s->tmpdir);

	d = xstrfmt("%s/p", r->stepdir);
	add_layer(r, s->root, s->root, d);
	free(d);
	if (s->into) {
		/* --into: the rebuilt files above the project's. */
		if (exec__into_refresh(s) < 0)
			return -1;
		r->layers[r->nlayers - 1].lower_top = s->into_view;
		r->layers[r->nlayers - 1].lower_hide = s->into_hide;
	}
	d = xstrfmt("%s/t", r->tstepdir);
	add_layer(r, "/tmp", s->tmp_lower, d);
	free(d);
	if (s->home) {
		struct sandbox_layer *l = &r->layers[r->nlayers++];
		/* The layer is mounted "volatile" (no syncs, which cost a
		 * quarter second per step on unmount); overlayfs then marks
		 * the work directory, which must start empty next time. */
		if (empty_dir(s->home_work, 0) < 0)
			return -1;
		l->path = s->home;
		l->lower = s->home;
		l->upper = s->home_upper;
		r->home_upper = s->home_upper;
		l->work = s->home_work;
	}
	for (i = 0; i < s->writable.nr; i++) {
		d = xstrfmt("%s/w%zu", r->stepdir, i);
		add_layer(r, s->writable.v[i], s->writable.v[i], d);
		free(d);
	}
	for (i = 0; i < r->nlayers; i++) {
		if (r->layers[i].upper == s->home_upper)
			continue;
		if (make_dir(r->layers[i].upper) < 0 || make_dir(r->layers[i].work) < 0)
			return -1;
	}
	/* The store is not the step's business: a whiteout hides .cairn/
	 * from the project's view (and commits never touch it).  The one
	 * a previous step left is kept (see empty_dir()). */
	d = xstrfmt("%s/p/u/.cairn", r->stepdir);
	if (mknod(d, S_IFCHR | 0000, 0) < 0 && errno != EEXIST) {
		err_errno(CAIRN_ERROR, "cannot hide the store from the step (%s)", d);
		free(d);
		return -1;
	}
	free(d);
	if (cache && cache->own.nr && !s->into) {
		d = xstrfmt("%s/p/u", r->stepdir);
		hide_own(r, s, d, &cache->own);
		free(d);
	}
	/* Outer layers first: /tmp before a project inside it, $HOME before
	 * a project inside it. */
	qsort(r->layers, r->nlayers, sizeof(*r->layers), cmp_layer);

	r->binds[r->nbinds++] = (struct sandbox_bind){ s->scratch, s->scratch, 0 };
	for (i = 0; s->home && i < s->tool_view.nr; i++) {
		/* The mount point is made in the session's home layer when
		 * $HOME has none. */
		struct stat st;
		const char *rest = exec__under(s->tool_view.v[i], s->home);
		if (lstat(s->tool_view.v[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			d = xstrfmt("%s/%s", s->home_upper, rest);
			if (exec__mkdir_p(d, 0755) < 0) {
				err_clear();
				free(d);
				continue;
			}
			free(d);
		}
		r->binds[r->nbinds++] =
		    (struct sandbox_bind){ s->tool_host.v[i], s->tool_view.v[i], 1 };
	}
	if (s->script_dir)
		r->binds[r->nbinds++] = (struct sandbox_bind){ s->script_dir, s->script_dir, 0 };
	r->cfg.detach_fd = r->cfg.detach_ack = -1;
	if (prog_path && s->how == EXEC_HOW_MOUNT) {
		r->binds[r->nbinds++] = (struct sandbox_bind){ prog_path, s->script_abs, 0 };
		r->cfg.detach_path = s->script_abs;
		r->cfg.detach_fd = sync_r;
		r->cfg.detach_ack = sync_w;
	}
	r->cfg.layers = r->layers;
	r->cfg.nlayers = r->nlayers;
	r->cfg.binds = r->binds;
	r->cfg.nbinds = r->nbinds;
	r->cfg.net = step->directives.net;
	r->cfg.timeout = step->directives.timeout;
	r->cfg.mem = step->directives.mem;
	r->cfg.trace = 1;
	return 0;
}

void exec__steprun_release(struct exec_steprun *r)
{
	size_t i;
	int failed = 0;

	/* Empty the layers for the next step; should that fail, remove
	 * them whole, so that no step ever sees another's leftovers as its
	 * own writes.  The home layer's upper is the session's. */
	for (i = 0; i < r->nlayers; i++) {
		const struct sandbox_layer *l = &r->layers[i];
		if (l->upper == r->home_upper)
			continue;
		if (empty_dir(l->upper, 1) < 0 || empty_dir(l->work, 0) < 0)
			failed = 1;
	}
	if (failed) {
		err_clear();
		exec__remove_tree(r->stepdir);
		exec__remove_tree(r->tstepdir);
	}
	free(r->stepdir);
	free(r->tstepdir);
	free(r->layers);
	strvec_clear(&r->strings);
	strvec_clear(&r->hidden_names);
	free(r->hidden_ino);
	sandbox_trace_release(&r->trace);
	json_decref(r->record);
	json_decref(r->start_state);
	strbuf_release(&r->start_text);
	memset(r, 0, sizeof(*r));
}

/* ---- the record ---------------------------------------------------------- */

static json_t *rfc3339(uint64_t ns)
{
	char buf[64];
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return json_sprintf("%s.%03uZ", buf, (unsigned)(ns / 1000000ULL % 1000));
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static json_t *env_object(const struct strvec *env)
{
	json_t *o = json_object();
	size_t i;
	for (i = 0; i < env->nr; i++) {
		const char *eq = strchr(env->v[i], '=');
		char *name;
		if (!eq)
			continue;
		name = xstrndup(env->v[i], (size_t)(eq - env->v[i]));
		json_object_set_new(o, name, util_json_str(eq + 1));
		free(name);
	}
	return o;
}

json_t *exec__state_json(const struct exec_session *s, const struct exec_state *st)
{
	json_t *o = json_object(), *vars = json_array(), *funcs = json_object();
	json_t *args = json_array();
	struct strbuf name = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1];
	size_t i;

	if (st->cwd) {
		exec__record_name(s, &name, st->cwd);
		json_object_set_new(o, "cwd", util_json_str(name.buf));
	} else {
		json_object_set_new(o, "cwd", json_null());
	}
	json_object_set_new(o, "env", env_object(&st->env));
	for (i = 0; i < st->vars.nr; i++)
		json_array_append_new(vars, util_json_str(st->vars.v[i]));
	json_object_set_new(o, "vars", vars);
	for (i = 0; i < st->nfuncs; i++)
		json_object_set_new_nocheck(funcs, st->funcs[i].name,
					    util_json_str(st->funcs[i].body));
	json_object_set_new(o, "functions", funcs);
	json_object_set_new(o, "options", st->options ? util_json_str(st->options) : json_null());
	for (i = 0; i < st->argv.nr; i++)
		json_array_append_new(args, util_json_str(st->argv.v[i]));
	json_object_set_new(o, "args", args);
	exec_state_hash(sha, st);
	json_object_set_new(o, "state_sha256", json_string(sha));
	strbuf_release(&name);
	return o;
}

/* What differs between two of exec__state_json()'s objects, field by field. */
static json_t *state_change(const json_t *a, const json_t *b)
{
	static const char *const fields[] = { "cwd", "env", "vars", "functions", "options" };
	json_t *o = json_object();
	size_t i;
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		json_t *x = json_object_get(a, fields[i]), *y = json_object_get(b, fields[i]);
		if (json_equal(x, y)) {
			json_object_set_new(o, fields[i], json_null());
		} else if (json_is_object(y) && json_is_object(x)) {
			json_t *d = json_object();
			const char *k;
			json_t *v;
			json_object_foreach(y, k, v) if (!json_equal(v, json_object_get(x, k)))
			    json_object_set(d, k, v);
			json_object_foreach((json_t *)x, k, v) if (!json_object_get(y, k))
			    json_object_set_new(d, k, json_null());
			json_object_set_new(o, fields[i], d);
		} else {
			json_object_set(o, fields[i], y);
		}
	}
	return o;
}

/*
 * The serialised start state goes to the content store under its
 * `state_sha256`, so that `cairn rerun` can start the step from it.
 * Serialising is cheap; writing the object is not (half a millisecond
 * here), so it is written while the step runs (run.c), or at its end.
 * Recorded steps only; a failure costs only that.
 */
static void note_start_state(struct exec_steprun *r, struct exec_session *s, json_t *start)
{
	const char *want = json_string_value(json_object_get(start, "state_sha256"));
	strbuf_init(&r->start_text, 0);
	if (!s->record || !s->cairn_dir || !want || cache_cas_has(s->cairn_dir, want))
		return;
	exec_state_serialize(&r->start_text, &s->state);
}

void exec__steprun_store_state(struct exec_steprun *r, struct exec_session *s)
{
	char sha[SHA256_HEX_LEN + 1];
	if (!r->start_text.len)
		return;
	if (cache_cas_put_buf(sha, s->cairn_dir, r->start_text.buf, r->start_text.len) < 0)
		warn("cannot store the step's start state: %s", err_last());
	strbuf_release(&r->start_text);
}

/* Keep in the content store the versions of files the step read and
 * then changed in place (exec__steprun_end()). */
static void store_preimages(struct exec_session *s, json_t *rec, const struct exec_commit *c)
{
	struct strbuf host = STRBUF_INIT;
	json_t *r;
	size_t i, k;
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *path = json_string_value(json_object_get(r, "path"));
		const char *sha = json_string_value(json_object_get(r, "sha256"));
		const char *kind = json_string_value(json_object_get(r, "kind"));
		char got[SHA256_HEX_LEN + 1];
		int written = 0;
		if (!path || !sha || !kind || strcmp(kind, "file"))
			continue;
		/* (the content store only for a file the step also wrote) */
		for (k = 0; k < c->nwrites && !written; k++)
			written = c->writes[k].path && !strcmp(c->writes[k].path, path);
		if (!written || cache_cas_has(s->cairn_dir, sha) == 1)
			continue;
		exec__view_host(s, path, &host);
		if (cache_cas_put_file(got, s->cairn_dir, host.buf) < 0 || strcmp(got, sha))
			err_clear(); /* changed meanwhile: nothing to keep */
	}
	strbuf_release(&host);
}

/*
 * The clock as a step begins, for exec__assemble_reads() to tell inputs
 * changed while it ran; what the session put in place before is kept
 * only while its timestamps are not older than that.
 */
static void note_step_start(struct exec_session *s)
{
	size_t i, n = 0;
	s->step_t0 = cache_memo_clock();
	for (i = 0; i < s->nplaced; i++)
		if (s->placed[i].ctime >= s->step_t0)
			s->placed[n++] = s->placed[i];
	s->nplaced = n;
}

static void place(struct exec_session *s, const char *host)
{
	struct stat st;
	if (lstat(host, &st) < 0)
		return;
	ALLOC_GROW(s->placed, s->nplaced + 1, s->alloc_placed);
	s->placed[s->nplaced].dev = (uint64_t)st.st_dev;
	s->placed[s->nplaced].ino = (uint64_t)st.st_ino;
	s->placed[s->nplaced].ctime =
	    (uint64_t)st.st_ctim.tv_sec * 1000000000ULL + (uint64_t)st.st_ctim.tv_nsec;
	s->nplaced++;
}

/* What WRITES (a record's) left as the session put it in place: the
 * files, links and directories, and the directories they changed. */
static void note_placed(struct exec_session *s, json_t *writes)
{
	struct strbuf host = STRBUF_INIT;
	json_t *w;
	size_t i;
	json_array_foreach(writes, i, w)
	{
		const char *path = json_string_value(json_object_get(w, "path"));
		char *slash;
		if (!path)
			continue;
		exec__view_host(s, path, &host);
		place(s, host.buf);
		slash = strrchr(host.buf, '/');
		if (slash && slash > host.buf) {
			*slash = '\0';
			place(s, host.buf);
		}
	}
	strbuf_release(&host);
}

static void steprun_begin(struct exec_steprun *r, struct exec_session *s,
			  const struct exec_step *step)
{
	json_t *rec = json_object();
	char buf[128], idsrc[256];
	struct strbuf name = STRBUF_INIT;

	r->started_real = realtime_ns();
	r->rapl_ok = rapl_read(&r->rapl_start, NULL) == 0;
	note_step_start(s);
	snprintf(idsrc, sizeof(idsrc), "%s %u %llu %d", s->session_id, s->seq + 1,
		 (unsigned long long)r->started_real, (int)getpid());
	util_sha256_hex(buf, idsrc, strlen(idsrc));
	buf[32] = '\0';
	memcpy(r->id, buf, 33);

	json_object_set_new(rec, "record_version", json_integer(1));
	json_object_set_new(rec, "id", json_string(r->id));
	json_object_set_new(rec, "session", json_string(s->session_id));
	json_object_set_new(rec, "seq", json_integer(s->seq + 1));
	json_object_set_new(rec, "command", util_json_bytes(step->text, step->len));
	json_object_set_new(rec, "line", json_integer(step->line));
	if (s->script_abs) {
		exec__record_name(s, &name, s->script_abs);
		json_object_set_new(rec, "script", util_json_str(name.buf));
	} else {
		json_object_set_new(rec, "script", json_null());
	}
	json_object_set_new(rec, "shell", json_string(s->lang == EXEC_LANG_SH ? "sh" : "bash"));
	json_object_set_new(rec, "shell_path", json_string(s->shell));
	/* What `cairn replay` and `cairn rerun` need to start the step as it
	 * was started. */
	json_object_set_new(rec, "mode", json_string(exec_mode_name(s->mode)));
	json_object_set_new(rec, "argv0", util_json_str(s->argv0 ? s->argv0 : ""));
	json_object_set_new(rec, "shell_base",
			    s->base_key[0] ? json_string(s->base_key) : json_null());
	r->start_state = exec__state_json(s, &s->state);
	json_object_set(rec, "start_state", r->start_state);
	note_start_state(r, s, r->start_state);
	if (s->into)
		json_object_set_new(rec, "into", util_json_str(s->into_name));
	if (s->rerun)
		json_object_set(rec, "rerun", s->rerun);
	json_object_set_new(rec, "started", rfc3339(r->started_real));
	r->record = rec;
	strbuf_release(&name);
}

static const char *const write_kinds[] = { "file", "symlink", "dir", "deleted" };

static json_t *writes_json(const struct exec_commit *c)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; i < c->nwrites; i++) {
		const struct exec_write *w = &c->writes[i];
		json_t *o = json_object();
		char mode[16];
		json_object_set_new(o, "path", util_json_str(w->path));
		json_object_set_new(o, "kind", json_string(write_kinds[w->kind]));
		if (w->kind == EXEC_WRITE_FILE) {
			json_object_set_new(o, "sha256", json_string(w->sha256));
			json_object_set_new(o, "size", json_integer((json_int_t)w->size));
			if (w->created)
				json_object_set_new(o, "created", json_true());
		} else if (w->kind == EXEC_WRITE_DIR && w->replaced) {
			json_object_set_new(o, "sha256", json_null());
			json_object_set_new(o, "size", json_null());
			json_object_set_new(o, "replaced", json_true());
		} else {
			json_object_set_new(o, "sha256", json_null());
			json_object_set_new(o, "size", json_null());
		}
		if (w->kind != EXEC_WRITE_DELETED) {
			snprintf(mode, sizeof(mode), "%04o", w->mode);
			json_object_set_new(o, "mode", json_string(mode));
		} else {
			json_object_set_new(o, "mode", json_null());
		}
		if (w->kind == EXEC_WRITE_SYMLINK)
			json_object_set_new(o, "target", util_json_str(w->target ? w->target : ""));
		json_array_append_new(a, o);
	}
	return a;
}

static int cmp_write(const void *a, const void *b)
{
	return strcmp(((const struct exec_write *)a)->path, ((const struct exec_write *)b)->path);
}

/* Write RECORD to PENDING whole or not at all (temporary file, rename). */
/*
 * Write RECORD to PENDING (by a temporary file and rename).  DURABLE
 * (a commit follows): fsync'ed, with its directory, before the first
 * operation of the commit it describes.  Otherwise not synced: a step
 * that changes nothing in the project loses only its own record to a
 * power loss before the store has it (the store syncs it).
 */
static int write_pending(json_t *record, const char *pending, int durable)
{
	char *tmp = xstrfmt("%s.tmp", pending);
	/* Serialised whole, written at once (jansson's file output makes a
	 * write per token). */
	char *text = util_json_dumps(record, JSON_COMPACT);
	int fd, ret = 0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!text || fd < 0 || util_write_all(fd, text, strlen(text)) < 0 ||
	    (durable && fsync(fd) < 0))
		ret = -1;
	if (fd >= 0 && close(fd) < 0)
		ret = -1;
	if (ret < 0 || rename(tmp, pending) < 0) {
		unlink(tmp);
		ret = err_set(CAIRN_ERROR, "cannot write %s", pending);
	}
	/* On disk, name and bytes, before the commit it describes starts. */
	if (ret == 0 && durable) {
		char *dir = xstrdup(pending), *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			ret = err_errno(CAIRN_ERROR, "cannot sync %s", pending);
		if (fd >= 0)
			close(fd);
		free(dir);
	}
	free(text);
	free(tmp);
	return ret;
}

/* Keep a failed step's outputs for inspection: the project's upper
 * directory becomes .cairn/failed/<id>/, the others go below its
 * .outside/ by their absolute paths. */
static void keep_failed(struct exec_session *s, struct exec_steprun *r)
{
	char *base = xstrfmt("%s/failed", s->cairn_dir);
	char *dir = xstrfmt("%s/%s", base, r->id);
	size_t i, pass;

	if (exec__mkdir_p(base, 0755) < 0)
		goto out;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < r->nlayers; i++) {
			const struct sandbox_layer *l = &r->layers[i];
			int project = !strcmp(l->path, s->root);
			char *dst, *hider;
			if (l->upper == s->home_upper || project != !pass)
				continue;
			if (project) {
				hider = xstrfmt("%s/.cairn", l->upper);
				unlink(hider);
				free(hider);
				dst = xstrdup(dir);
			} else {
				dst = xstrfmt("%s/.outside%s", dir, l->path);
				exec__mkdir_p(dst, 0755);
				rmdir(dst);
			}
			if (rename(l->upper, dst) < 0)
				warn("cannot keep %s: %s", dst, strerror(errno));
			free(dst);
		}
	}
	fprintf(stderr, "cairn: outputs of the failed step are kept in %s\n", dir);
out:
	free(base);
	free(dir);
}

/*
 * Where PATH (a host path as the recorder saw it) really is: its longest
 * existing prefix with symlinks resolved, and the rest as given.
 */
static char *real_location(const char *path)
{
	struct strbuf head = STRBUF_INIT;
	char buf[PATH_MAX], *ret;
	size_t cut;

	strbuf_addstr(&head, path);
	for (;;) {
		if (realpath(head.buf, buf)) {
			ret = xstrfmt("%s%s", buf, path + head.len);
			break;
		}
		cut = head.len;
		while (cut > 1 && head.buf[cut - 1] != '/')
			cut--;
		if (cut <= 1) {
			ret = xstrdup(path);
			break;
		}
		strbuf_setlen(&head, cut - 1);
	}
	strbuf_release(&head);
	return ret;
}

static int cmp_longer_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

/*
 * Directories the step made in $HOME (outside the project and the tool
 * caches) and left empty go from the session's home layer: a hit would
 * not make them either, so the steps after it see $HOME alike, and
 * what the step found there before it (absent) is what its trace says.
 * (matplotlib makes ~/.config/matplotlib on every start.)
 */
static void drop_empty_home_dirs(struct exec_session *s, const struct sandbox_trace *t)
{
	struct strvec made = STRVEC_INIT;
	struct strbuf up = STRBUF_INIT;
	struct stat st;
	size_t i;
	for (i = 0; s->home && s->home_upper && i < t->nevents; i++) {
		const struct sandbox_event *e = &t->events[i];
		const char *rest = exec__under(e->path, s->home);
		if (e->op == SANDBOX_OP_MKDIR && rest && *rest && !exec__under(e->path, s->root) &&
		    !exec__tool_cache(s, e->path) && lstat(e->path, &st) < 0)
			strvec_push(&made, e->path);
	}
	if (made.nr > 1)
		qsort(made.v, made.nr, sizeof(char *), cmp_longer_first);
	for (i = 0; i < made.nr; i++) {
		strbuf_reset(&up);
		strbuf_addf(&up, "%s/%s", s->home_upper, exec__under(made.v[i], s->home));
		/* Never through a link the step made in the layer. */
		if (exec__plainly_under(up.buf, s->home_upper) && !lstat(up.buf, &st) &&
		    S_ISDIR(st.st_mode))
			rmdir(up.buf); /* only when empty */
	}
	errno = 0;
	strvec_clear(&made);
	strbuf_release(&up);
}

/* The record's "cache" object: the key, and what the lookup found. */
static json_t *cache_json(const struct exec_cachectx *c, int hit)
{
	json_t *o = json_object();
	json_object_set_new(o, "key", c && c->key[0] ? json_string(c->key) : json_null());
	if (hit)
		json_object_set_new(o, "lookup", json_string("hit"));
	else if (!c || c->off)
		json_object_set_new(o, "lookup", json_string("off"));
	else
		json_object_set_new(o, "lookup", json_string("miss"));
	json_object_set_new(o, "off", c && c->off ? json_string(c->off) : json_null());
	json_object_set(o, "miss", c && c->miss ? c->miss : json_null());
	json_object_set_new(o, "stored", json_false());
	/* The time the lookup took: key, candidates checked, and for a hit
	 * everything until the record was written. */
	json_object_set_new(o, "lookup_s",
			    !c || !c->t_start ? json_null()
				: c->lookup_ns
				? json_real((double)c->lookup_ns / 1e9)
				: json_real((double)(util_now_ns() - c->t_start) / 1e9));
	return o;
}

int exec__steprun_end(struct exec_steprun *r, struct exec_session *s, int status, int sig,
		      int complete, struct exec_result *out)
{
	const struct exec_output *o = s->output;
	uint64_t t_a = 0, t_b = 0, t_c = 0, t_d = 0;
	json_t *rec = r->record, *refused = NULL, *sb, *res, *limits, *home_writes, *tool_writes;
	struct exec_commit c = { .hidden = &r->hidden_names, .hidden_ino = r->hidden_ino };
	const struct sandbox_usage *u = &r->result.usage;
	char *journal = NULL, *pending = NULL;
	int interrupted = r->result.timed_out || sig == SIGINT || sig == SIGKILL;
	int ok = complete && status == 0 && !r->result.timed_out && !sig;
	size_t i;
	int ret = 0;

	memcpy(out->id, r->id, 33);
	out->timed_out = r->result.timed_out;
	exec__steprun_store_state(r, s);
	json_object_set_new(rec, "finished", rfc3339(realtime_ns()));
	json_object_set_new(rec, "exit_status", json_integer(status));
	json_object_set_new(rec, "signal", sig ? json_integer(sig) : json_null());
	json_object_set_new(rec, "interrupted", json_boolean(interrupted));
	json_object_set_new(rec, "cached", json_false());
	if (complete) {
		json_t *end = exec__state_json(s, &s->state),
		       *ch = state_change(r->start_state, end);
		json_object_set_new(ch, "exit_status", json_integer(status));
		json_object_set_new(rec, "state_change", ch);
		json_decref(end);
	} else {
		json_object_set_new(rec, "state_change", json_null());
	}

	/* Reads, from the trace. */
	if (s->sandboxed) {
		t_a = util_now_ns();
		drop_empty_home_dirs(s, &r->trace);
		exec__assemble_reads(rec, s, &r->trace, r->main_nspid, &refused);
		t_b = util_now_ns();
	} else {
		json_object_set_new(rec, "reads", json_array());
		json_object_set_new(rec, "exec_tree", json_array());
		refused = json_array();
	}
	home_writes = json_array();
	tool_writes = json_array();
	for (i = 0; s->home && i < r->trace.nevents; i++) {
		const struct sandbox_event *e = &r->trace.events[i];
		int w = sandbox_event_writes(e) || e->op >= SANDBOX_OP_UNLINK;
		/* The project (and --into) usually lives under $HOME: its
		 * writes are project writes, committed and cacheable -- where
		 * they really land: a project symlink into $HOME (data ->
		 * ~/datasets) writes into $HOME's layer. */
		/* A directory made in $HOME (matplotlib makes ~/.config/
		 * matplotlib, mkdir -p ~/.cache/x tries ~) is no home write:
		 * what goes into it is one. */
		if (w && e->op == SANDBOX_OP_MKDIR)
			continue;
		if (w && exec__tool_cache(s, e->path)) {
			if (json_array_size(tool_writes) < 32)
				json_array_append_new(tool_writes, util_json_str(e->path));
			continue;
		}
		if (w && exec__under(e->path, s->home)) {
			char *real = real_location(e->path);
			if (!exec__under(real, s->root) && !(s->into && exec__under(real, s->into)))
				json_array_append_new(home_writes, util_json_str(e->path));
			free(real);
		}
	}

	/* Writes, from the upper directories. */
	for (i = 0; i < r->nlayers && s->sandboxed; i++) {
		const struct sandbox_layer *l = &r->layers[i];
		if (l->upper == s->home_upper)
			continue;
		int project = !strcmp(l->path, s->root);
		/* --into: the project's writes go to the into directory. */
		if (exec__commit_scan(&c, l->upper,
				      project && s->into	    ? s->into
					  : strcmp(l->path, "/tmp") ? l->path
								    : s->tmp_lower,
				      project ? (s->into ? s->into_name : "") : l->path) < 0) {
			ret = -1;
			goto out;
		}
	}
	/* A file changed in place (sed -i, >>) keeps the version the step
	 * read, for a rerun or verify to start from (before the commit
	 * replaces it). */
	if (ok)
		store_preimages(s, rec, &c);
	/* The bytes of a committed output go to the content store (for
	 * `cairn checkout`); a failed step's are only hashed. */
	for (i = 0; i < c.nwrites; i++) {
		struct exec_write *w = &c.writes[i];
		if (w->kind != EXEC_WRITE_FILE)
			continue;
		if (ok) {
			if (cache_cas_put_file(w->sha256, s->cairn_dir, w->src) < 0) {
				ret = -1;
				goto out;
			}
		} else if (util_sha256_file(w->sha256, &w->size, w->src) < 0) {
			warn("%s", err_last());
		}
	}
	if (c.nwrites)
		qsort(c.writes, c.nwrites, sizeof(*c.writes), cmp_write);
	json_object_set_new(rec, "writes", writes_json(&c));
	t_c = util_now_ns();

	sb = json_object();
	json_object_set_new(sb, "sandboxed", json_boolean(s->sandboxed));
	json_object_set_new(sb, "network", json_boolean(r->cfg.net));
	if (r->cfg.timeout || r->cfg.mem) {
		limits = json_object();
		json_object_set_new(limits, "timeout_s",
				    r->cfg.timeout ? json_integer(r->cfg.timeout) : json_null());
		json_object_set_new(limits, "mem_bytes",
				    r->cfg.mem ? json_integer((json_int_t)r->cfg.mem)
					       : json_null());
		/* the limit was in force (a step whose limit cannot be
		 * applied does not start) */
		json_object_set_new(limits, "mem_limited", json_boolean(r->result.mem_limited));
		json_object_set_new(sb, "limits", limits);
	} else {
		json_object_set_new(sb, "limits", json_null());
	}
	json_object_set_new(sb, "image", json_string(s->image ? s->image : ""));
	json_object_set(sb, "refused", refused);
	json_object_set_new(sb, "home_writes", home_writes);
	json_object_set_new(sb, "tool_cache_writes", tool_writes);
	json_object_set_new(sb, "timed_out", json_boolean(r->result.timed_out));
	json_object_set_new(sb, "intercepted", json_integer((json_int_t)r->trace.notifications));
	json_object_set_new(sb, "stdin_read", json_boolean(r->trace.stdin_read));
	/* Calls whose arguments the recorder could not read: the trace may
	 * miss an input, so the step is never served from the cache. */
	json_object_set_new(sb, "lost_events", json_integer((json_int_t)r->trace.lost));
	json_object_set_new(rec, "sandbox", sb);
	json_object_set_new(rec, "stdout_sha256",
			    o && o->have[1] ? json_string(o->sha[1]) : json_null());
	json_object_set_new(rec, "stderr_sha256",
			    o && o->have[2] ? json_string(o->sha[2]) : json_null());
	json_object_set_new(rec, "output_merged", json_boolean(o && o->merged));
	if (o && (o->over[1] || o->over[2])) {
		/* Shown or passed on, not stored: past cache.maxOutput. */
		json_t *over = json_object();
		for (i = 1; i < 3; i++)
			if (o->over[i])
				json_object_set_new(over, i == 1 ? "stdout" : "stderr",
						    json_integer((json_int_t)o->size[i]));
		json_object_set_new(rec, "output_not_stored", over);
	}
	res = json_object();
	json_object_set_new(res, "cpu_user_s", json_real(u->cpu_user_s));
	json_object_set_new(res, "cpu_sys_s", json_real(u->cpu_sys_s));
	json_object_set_new(res, "wall_s", json_real(u->wall_s));
	json_object_set_new(res, "max_rss_kb", json_integer(u->max_rss_kb));
	json_object_set_new(res, "read_bytes", json_integer((json_int_t)u->read_bytes));
	json_object_set_new(res, "write_bytes", json_integer((json_int_t)u->write_bytes));
	set_energy(res, r, u->cpu_user_s + u->cpu_sys_s);
	json_object_set_new(rec, "resources", res);
	exec__record_formats(rec, s);
	json_object_set_new(rec, "code", json_array());
	json_object_set_new(rec, "git", json_null());
	json_object_set_new(rec, "tags", json_object());

	if (getenv("CAIRN_DEBUG_RECORD"))
		util_json_dumpf(rec, stderr, JSON_INDENT(1)), fputc('\n', stderr);
	out->nreads = json_array_size(json_object_get(rec, "reads"));
	out->nwrites = c.nwrites;
	for (i = 0; i < json_array_size(refused); i++)
		strvec_push(&out->refused, json_string_value(json_array_get(refused, i)));

	/*
	 * The record is kept in .cairn/journal/<id>.json until the store has
	 * it.  For a successful step the journal of its commit is written
	 * first, then the record, then the operations run: after a crash the
	 * next cairn finishes the operations of a journal that has its record
	 * and then stores the record, and drops a journal without one (no
	 * operation had started), so records always match what is on disk.
	 */
	json_object_set_new(rec, "committed", json_boolean(ok));
	json_object_set_new(rec, "cache", cache_json(r->cache, 0));
	out->cpu_s = u->cpu_user_s + u->cpu_sys_s;
	if (s->gate) {
		if (s->gate(s, rec, s->gate_payload)) {
			out->aborted = 1;
			goto out;
		}
		if (s->output)
			exec__output_flush(s->output);
	}
	if (ok && r->cache && o && complete && !out->ended)
		exec__cache_add(r->cache, s, rec, o);
	/* The fresh shell's baseline, which `shell_base` names (rerun). */
	exec__cache_save_base(s);
	pending = xstrfmt("%s/journal/%s.json", s->cairn_dir, r->id);
	journal = xstrfmt("%s/journal/%s.journal", s->cairn_dir, r->id);
	if (ok && exec__commit_prepare(&c, journal) < 0) {
		ret = -1;
		goto out;
	}
	util_test_crash_point("journal");
	if (s->record && write_pending(rec, pending, ok && c.nops) < 0) {
		ret = -1;
		goto out;
	}
	if (!ok) {
		/* A failed step changes nothing; its record says what it did. */
		out->discarded = c.nwrites > 0;
		if (s->keep_failed && c.nwrites)
			keep_failed(s, r);
	} else {
		util_test_crash_point("record");
		if (exec__commit_apply(&c, journal) < 0) {
			ret = -1;
			goto out;
		}
		util_test_crash_point("applied");
		if (c.nops)
			unlink(journal);
		note_placed(s, json_object_get(rec, "writes"));
		exec__into_unhide(s, json_object_get(rec, "writes"));
	}
	util_test_crash_point("committed");
	t_d = util_now_ns();
	if (s->record && s->record(rec, pending, s->record_payload) < 0)
		ret = -1;
	if (getenv("CAIRN_DEBUG_TIMING"))
		fprintf(stderr,
			"cairn: timing: reads %.2f writes+cas %.2f commit %.2f store %.2f ms\n",
			(double)(t_b - t_a) / 1e6, (double)(t_c - t_b) / 1e6,
			(double)(t_d - t_c) / 1e6, (double)(util_now_ns() - t_d) / 1e6);
out:
	json_decref(refused);
	exec_commit_release(&c);
	free(journal);
	free(pending);
	return ret;
}

/* ---- a step served from the cache ----------------------------------------- */

unsigned exec_restore_mode(const char *mode)
{
	/* No set-id or sticky bits from the store.  (A step that runs
	 * chmod u+s keeps the bit today: its sandbox is mounted nosuid,
	 * which stops exec, not chmod; its commit is not this.) */
	return (mode ? (unsigned)strtoul(mode, NULL, 8) : 0644) & 0777;
}

/* Plan the operations that put candidate write W in place; 0, or 1 when
 * it cannot be done (the hit is abandoned), -1 on errors. */
static int plan_write(struct exec_session *s, struct exec_commit *c, json_t *w, const char *stage,
		      size_t n)
{
	const char *path = json_string_value(json_object_get(w, "path"));
	const char *kind = json_string_value(json_object_get(w, "kind"));
	const char *sha = json_string_value(json_object_get(w, "sha256"));
	unsigned mode = exec_restore_mode(json_string_value(json_object_get(w, "mode")));
	struct strbuf host = STRBUF_INIT, tmp = STRBUF_INIT;
	struct stat st;
	int ret = 0;

	if (!path || !kind) {
		ret = 1;
		goto out;
	}
	exec__view_host(s, path, &host);
	strbuf_addf(&tmp, "%s/%zu", stage, n);
	if (!strcmp(kind, "file")) {
		char now[SHA256_HEX_LEN + 1];
		if (!sha) {
			ret = 1;
			goto out;
		}
		if (lstat(host.buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 07777) == mode && exec__hash_file(s, now, host.buf, &st) == 0 &&
		    !strcmp(now, sha))
			goto out; /* already there */
		if (!s->memo)
			s->memo = cache_memo_load(s->cairn_dir);
		if (cache_cas_materialize(s->cairn_dir, sha, tmp.buf, mode, s->memo) < 0) {
			warn("%s", err_last());
			ret = 1;
			goto out;
		}
		exec__commit_add_op(c, 'R', tmp.buf, host.buf, mode);
	} else if (!strcmp(kind, "symlink")) {
		const char *target = json_string_value(json_object_get(w, "target"));
		char cur[PATH_MAX];
		ssize_t len = readlink(host.buf, cur, sizeof(cur) - 1);
		if (len >= 0 && target && (size_t)len == strlen(target) &&
		    !memcmp(cur, target, (size_t)len))
			goto out;
		if (!target || symlink(target, tmp.buf) < 0) {
			ret = target ? err_errno(CAIRN_ERROR, "symlink %s", tmp.buf) : 1;
			goto out;
		}
		exec__commit_add_op(c, 'R', tmp.buf, host.buf, 0);
	} else if (!strcmp(kind, "dir")) {
		if (lstat(host.buf, &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((st.st_mode & 07777) != mode)
				exec__commit_add_op(c, 'C', NULL, host.buf, mode);
		} else {
			if (lstat(host.buf, &st) == 0)
				exec__commit_add_op(c, 'D', NULL, host.buf, 0);
			exec__commit_add_op(c, 'M', NULL, host.buf, mode);
		}
	} else if (!strcmp(kind, "deleted")) {
		if (lstat(host.buf, &st) == 0)
			exec__commit_add_op(c, 'D', NULL, host.buf, 0);
	} else {
		ret = 1;
	}
out:
	strbuf_release(&host);
	strbuf_release(&tmp);
	return ret;
}

/*
 * May a cache entry's write W be carried out?  Entries come from the
 * store, which a project someone handed you brings along: a path must be
 * one a step could have written -- a plain relative path in the project,
 * or a plain path under the session's /tmp, a sandbox.writable directory
 * or the --into directory -- and reached through no symbolic link, of a
 * kind cairn makes.  Else the entry is not served.
 */
static int write_ok(struct exec_session *s, json_t *w)
{
	const char *path = json_string_value(json_object_get(w, "path"));
	const char *kind = json_string_value(json_object_get(w, "kind"));
	const char *rest = NULL, *base = s->root;
	struct strbuf host = STRBUF_INIT, top = STRBUF_INIT;
	size_t i;
	int ok;

	if (!path || !kind ||
	    (strcmp(kind, "file") && strcmp(kind, "symlink") && strcmp(kind, "dir") &&
	     strcmp(kind, "deleted")))
		return 0;
	/* (exec__under() gives what follows DIR/, "" for DIR itself) */
	if (path[0] != '/') {
		rest = path;
	} else if ((rest = exec__under(path, "/tmp")) && *rest) {
		base = "/tmp";
	} else {
		rest = NULL;
		for (i = 0; !rest && i < s->writable.nr; i++)
			if ((rest = exec__under(path, s->writable.v[i])) && *rest)
				base = s->writable.v[i];
			else
				rest = NULL;
		if (!rest && s->into && (rest = exec__under(path, s->into)) && *rest)
			base = s->into;
		else if (!rest || !*rest)
			rest = NULL;
	}
	if (!rest || !util_path_plain(rest))
		return 0;
	/* No link on the way (the last name is replaced, not followed). */
	exec__view_host(s, base, &top);
	strbuf_addf(&host, "%s/%s", top.buf, rest);
	ok = exec__plainly_under(host.buf, top.buf) != NULL;
	strbuf_release(&top);
	strbuf_release(&host);
	return ok;
}

/* Does write W of an entry lie below a symbolic link the same entry
 * makes (a link to elsewhere, then a file "in" it)? */
static int through_own_link(json_t *writes, json_t *w)
{
	const char *path = json_string_value(json_object_get(w, "path"));
	json_t *x;
	size_t i;
	if (!path)
		return 1;
	json_array_foreach(writes, i, x)
	{
		const char *l = json_string_value(json_object_get(x, "path"));
		const char *kind = json_string_value(json_object_get(x, "kind"));
		size_t n = l ? strlen(l) : 0;
		if (kind && !strcmp(kind, "symlink") && n && !strncmp(path, l, n) && path[n] == '/')
			return 1;
	}
	return 0;
}

json_t *exec__entry_refused_write(struct exec_session *s, json_t *writes)
{
	json_t *w;
	size_t i;
	json_array_foreach(writes, i, w)
	{
		if (!write_ok(s, w) || through_own_link(writes, w))
			return w;
	}
	return NULL;
}

/* Directories on the way to the plan's targets that are missing now. */
static void plan_parents(struct exec_session *s, struct exec_commit *c, json_t *writes)
{
	struct strvec made = STRVEC_INIT;
	json_t *w;
	size_t i;
	json_array_foreach(writes, i, w)
	{
		const char *path = json_string_value(json_object_get(w, "path"));
		struct strbuf host = STRBUF_INIT;
		char *slash;
		if (!path)
			continue;
		exec__view_host(s, path, &host);
		for (slash = strchr(host.buf + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			struct stat st;
			size_t k;
			int seen = 0;
			*slash = '\0';
			for (k = 0; k < made.nr && !seen; k++)
				seen = !strcmp(made.v[k], host.buf);
			if (!seen && lstat(host.buf, &st) < 0 && errno == ENOENT) {
				exec__commit_add_op(c, 'M', NULL, host.buf, 0755);
				strvec_push(&made, host.buf);
			}
			*slash = '/';
		}
		strbuf_release(&host);
	}
	strvec_clear(&made);
}

int exec__steprun_serve(struct exec_session *s, const struct exec_step *step,
			struct exec_cachectx *cc, json_t *cand, const struct strbuf *state,
			struct exec_result *out)
{
	struct exec_steprun r = { 0 };
	struct exec_state next;
	struct exec_commit c = { 0 };
	json_t *rec, *writes = json_object_get(cand, "writes"), *w, *sb, *res, *end, *ch;
	char *stage = NULL, *pending = NULL, *journal = NULL;
	uint64_t t0 = util_now_ns();
	size_t i;
	int ret = 0;

	exec_state_init(&next);
	if (exec_state_parse(&next, state->buf, state->len) < 0)
		goto out; /* a damaged state: run the step */
	/* The descriptors stay the session's own (they are the same). */
	strvec_clear(&next.fds);
	strvec_copy(&next.fds, &cc->start_fds);

	steprun_begin(&r, s, step);
	exec__steprun_store_state(&r, s);
	stage = xstrfmt("%s/hit", s->stepdir);
	exec__remove_tree(stage);
	if (exec__mkdir_p(stage, 0700) < 0) {
		ret = -1;
		goto out;
	}
	if ((w = exec__entry_refused_write(s, writes))) {
		warn("a cache entry names %s, where no step could have written: not served",
		     json_string_value(json_object_get(w, "path")) ?: "(no path)");
		goto out;
	}
	plan_parents(s, &c, writes);
	json_array_foreach(writes, i, w)
	{
		int p = plan_write(s, &c, w, stage, i);
		if (p) {
			ret = p < 0 ? -1 : 0;
			goto out;
		}
	}

	rec = r.record;
	json_object_set_new(rec, "finished", rfc3339(realtime_ns()));
	json_object_set(rec, "exit_status", json_object_get(cand, "exit_status"));
	json_object_set_new(rec, "signal", json_null());
	json_object_set_new(rec, "interrupted", json_false());
	json_object_set_new(rec, "cached", json_true());
	json_object_set(rec, "from_step", json_object_get(cand, "step"));
	json_object_set(rec, "saved_cpu_s", json_object_get(cand, "cpu_s"));
	json_object_set(rec, "saved_wall_s", json_object_get(cand, "wall_s"));
	if (json_is_number(json_object_get(cand, "energy_j")))
		json_object_set(rec, "saved_energy_j", json_object_get(cand, "energy_j"));
	end = exec__state_json(s, &next);
	ch = state_change(r.start_state, end);
	json_object_set(ch, "exit_status", json_object_get(cand, "exit_status"));
	json_object_set_new(rec, "state_change", ch);
	json_decref(end);
	json_object_set(rec, "reads", json_object_get(cand, "reads"));
	/* (absent from candidates older than the field: not known) */
	if (json_object_get(cand, "nondeterministic"))
		json_object_set(rec, "nondeterministic", json_object_get(cand, "nondeterministic"));
	json_object_set_new(rec, "exec_tree", json_array());
	json_object_set(rec, "writes", writes);
	sb = json_object();
	json_object_set_new(sb, "sandboxed", json_true());
	json_object_set_new(sb, "network", json_boolean(step->directives.net));
	json_object_set_new(sb, "limits", json_null());
	json_object_set_new(sb, "image", json_string(s->image ? s->image : ""));
	json_object_set_new(sb, "refused", json_array());
	json_object_set_new(sb, "home_writes", json_array());
	json_object_set_new(sb, "tool_cache_writes", json_array());
	json_object_set_new(sb, "timed_out", json_false());
	json_object_set_new(sb, "intercepted", json_integer(0));
	json_object_set_new(sb, "stdin_read", json_false());
	json_object_set_new(rec, "sandbox", sb);
	json_object_set(rec, "stdout_sha256", json_object_get(cand, "stdout"));
	json_object_set(rec, "stderr_sha256", json_object_get(cand, "stderr"));
	json_object_set(rec, "output_merged", json_object_get(cand, "merged"));
	json_object_set(rec, "end_state_sha256", json_object_get(cand, "end_state"));
	res = json_object();
	json_object_set_new(res, "cpu_user_s", json_real(0));
	json_object_set_new(res, "cpu_sys_s", json_real(0));
	json_object_set_new(res, "wall_s", json_real((double)(util_now_ns() - t0) / 1e9));
	json_object_set_new(res, "max_rss_kb", json_integer(0));
	json_object_set_new(res, "read_bytes", json_integer(0));
	json_object_set_new(res, "write_bytes", json_integer(0));
	set_energy(res, &r, 0);
	json_object_set_new(rec, "resources", res);
	json_object_set_new(rec, "formats",
			    json_is_object(json_object_get(cand, "formats"))
				? json_incref(json_object_get(cand, "formats"))
				: json_object());
	json_object_set_new(rec, "code", json_array());
	json_object_set_new(rec, "git", json_null());
	json_object_set_new(rec, "tags", json_object());
	json_object_set_new(rec, "committed", json_true());
	json_object_set_new(rec, "cache", cache_json(cc, 1));

	if (s->gate && s->gate(s, rec, s->gate_payload)) {
		out->aborted = 1;
		ret = 1;
		goto out;
	}
	/* As for a step that ran: the journal, the record, the operations. */
	pending = xstrfmt("%s/journal/%s.json", s->cairn_dir, r.id);
	journal = xstrfmt("%s/journal/%s.journal", s->cairn_dir, r.id);
	if (exec__commit_prepare(&c, journal) < 0) {
		ret = -1;
		goto out;
	}
	util_test_crash_point("journal");
	if (s->record && write_pending(rec, pending, c.nops > 0) < 0) {
		ret = -1;
		goto out;
	}
	util_test_crash_point("record");
	if (exec__commit_apply(&c, journal) < 0) {
		ret = -1;
		goto out;
	}
	util_test_crash_point("applied");
	if (c.nops)
		unlink(journal);
	util_test_crash_point("committed");
	/* The restored files are known now: no need to hash them again. */
	json_array_foreach(writes, i, w)
	{
		const char *path = json_string_value(json_object_get(w, "path"));
		const char *sha = json_string_value(json_object_get(w, "sha256"));
		struct strbuf host = STRBUF_INIT;
		struct stat st;
		if (!path || !sha)
			continue;
		exec__view_host(s, path, &host);
		if (lstat(host.buf, &st) == 0 && s->memo)
			cache_memo_put(s->memo, &st, sha, cache_memo_clock(), 1);
		strbuf_release(&host);
	}
	note_placed(s, writes);
	exec__into_unhide(s, writes);

	exec_state_release(&s->state);
	s->state = next;
	exec_state_init(&next);
	if (!s->have_fds)
		exec__adopt_own_fds(s);
	s->seq++;
	out->status = s->state.status;
	memcpy(out->id, r.id, 33);
	out->nreads = json_array_size(json_object_get(rec, "reads"));
	out->nwrites = json_array_size(writes);
	out->wall_ns = util_now_ns() - t0;
	out->cpu_s = json_number_value(json_object_get(cand, "cpu_s"));
	if (s->record && s->record(rec, pending, s->record_payload) < 0)
		ret = -1;
	else
		ret = 1;
out:
	if (stage)
		exec__remove_tree(stage);
	exec_commit_release(&c);
	exec_state_release(&next);
	exec__steprun_release(&r);
	free(stage);
	free(pending);
	free(journal);
	return ret;
}
