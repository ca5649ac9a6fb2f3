/*
 * sched.c - run a list of steps in order, several at once where their
 * recorded lineage says they do not depend on each other.
 *
 * The steps of a replay were recorded before: each record says what the
 * step read, what it wrote and the shell state it started from.  Step J
 * may start before the steps ahead of it have finished when
 *   - none of them wrote, when recorded, anything J read (a file, a
 *     directory J listed, a path J found absent), and
 *   - the state J will start from is known: the state now, when none of
 *     the steps ahead changed it, or else the end state the last one that
 *     did left when recorded (kept in the content store).
 * Such a step runs in a worker: a child of cairn with a copy of the
 * session, its own layers and scratch files, its output held back.  It
 * stops at the session's gate (exec.h) before it changes anything.  When
 * its turn comes (every step ahead has committed) cairn checks what was
 * guessed against what happened: the state it started from must be the
 * state the session is in now, and no step that committed meanwhile may
 * have written anything it read (its real trace, not the recorded one).
 * Then it goes on: its output shown, its writes committed, its record
 * handed on, in the same order as a serial run; otherwise it is dropped
 * and run again here, after the steps it depended on.
 *
 * cairn itself runs the next step whenever no worker has it, so with
 * JOBS n there are at most n steps running.  Workers are forked between
 * steps, when cairn has no threads (the output pump and the tracer run
 * only while a step does).
 */
#include "exec-int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* How far ahead of the next step a worker may start. */
#define SCHED_WINDOW 64
/*
 * A worker costs a few milliseconds (fork, its layers, the hand-over),
 * about what a cache hit costs in all: only steps that took longer than
 * this when recorded run ahead.  A step recorded as a hit will likely hit
 * again, so only one whose original run was long is worth the chance.
 */
#define SCHED_MIN_RAN_S 0.05
#define SCHED_MIN_CACHED_S 0.5
/* The largest serialised state read back from the content store. */
#define STATE_MAX (64u << 20)

/* What a step did when recorded, as far as ordering goes. */
struct hint {
	int known; /* a record exists */
	int complete; /* the shell went on after it (its state is known) */
	int early; /* it may run early: sandboxed, no stdin, no network... */
	const char *start_sha, *end_sha; /* borrowed from the record */
	json_t *start_state; /* borrowed */
	struct strvec reads; /* "K PATH", K the kind's first letter */
	struct strvec writes; /* paths */
};

struct worker {
	pid_t pid;
	int fd;
	size_t j;
	int ready; /* waiting at its gate; REC is what it did */
	json_t *rec;
	int fds_changed;
	size_t frontier; /* steps committed when it was started */
	struct strbuf predicted; /* the state it started from */
	char *scratch, *stepdir;
};

struct sched {
	struct exec_session *s;
	const struct exec_step *steps;
	size_t n;
	const struct exec_sched_opts *o;
	struct exec_sched_stats *stats;
	struct hint *hints;
	struct worker **w; /* by step */
	size_t running; /* workers not yet at their gate */
	size_t committed; /* steps done, in order */
	unsigned base_seq;
	struct strvec *written; /* by committed step: the paths it changed */
	exec_record_fn record; /* the session's */
	void *record_payload;
	size_t capture; /* the step whose record the wrapper notes */
	int home_touched; /* a step wrote to the session's $HOME layer */
	size_t track_at; /* on_track() was answered for step TRACK_AT - 1 */
	int track;
	struct strvec strings; /* texts results point into */
};

/* ---- frames between cairn and a worker ---------------------------------- */

static int send_frame(int fd, char type, const void *buf, size_t len)
{
	char head[9];
	uint64_t n = len;
	head[0] = type;
	memcpy(head + 1, &n, 8);
	if (util_write_all_nosigpipe(fd, head, 9) < 0 ||
	    (len && util_write_all_nosigpipe(fd, buf, len) < 0))
		return -1;
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* The next frame: its type, or 0 at EOF or on errors. */
static char recv_frame(int fd, struct strbuf *out)
{
	char head[9];
	uint64_t n;
	strbuf_reset(out);
	if (read_full(fd, head, 9) < 0)
		return 0;
	memcpy(&n, head + 1, 8);
	if (n > (1ull << 32))
		return 0;
	strbuf_grow(out, (size_t)n + 1);
	if (read_full(fd, out->buf, (size_t)n) < 0)
		return 0;
	out->len = (size_t)n;
	out->buf[n] = '\0';
	return head[0];
}

static int send_json(int fd, char type, json_t *j)
{
	char *dump = util_json_dumps(j, JSON_COMPACT);
	int ret = dump ? send_frame(fd, type, dump, strlen(dump)) : -1;
	free(dump);
	return ret;
}

/* ---- what records say ------------------------------------------------- */

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/*
 * A record's reads, as "K PATH" (K the kind's first letter), and its
 * writes as "w PATH": writing after an earlier step wrote the same path
 * (or made, removed, replaced a directory above it) must come after it
 * too, since an append sees what was there.
 */
static void reads_of(struct strvec *out, json_t *rec)
{
	json_t *r;
	size_t i;
	json_array_foreach(json_object_get(rec, "reads"), i, r)
	{
		const char *path = str(r, "path"), *kind = str(r, "kind");
		if (path && !json_object_get(r, "role"))
			strvec_pushf(out, "%c %s", kind && *kind ? kind[0] : 'f', path);
	}
	json_array_foreach(json_object_get(rec, "writes"), i, r)
	{
		if (str(r, "path"))
			strvec_pushf(out, "w %s", str(r, "path"));
	}
}

static void hint_read(struct hint *h, json_t *rec, int no_cache)
{
	json_t *sb, *r;
	size_t i;
	int cost;

	strvec_init(&h->reads);
	strvec_init(&h->writes);
	if (!json_is_object(rec))
		return;
	sb = json_object_get(rec, "sandbox");
	h->known = 1;
	h->start_state = json_object_get(rec, "start_state");
	h->start_sha = str(h->start_state, "state_sha256");
	h->end_sha = str(rec, "end_state_sha256");
	h->complete = json_is_object(json_object_get(rec, "state_change"));
	/* A step served from the cache last time will likely be again, and
	 * cheaply; not with the cache off: it runs, as long as it took. */
	if (json_is_true(json_object_get(rec, "cached")))
		cost = json_number_value(json_object_get(rec, "saved_wall_s")) >=
		    (no_cache ? SCHED_MIN_RAN_S : SCHED_MIN_CACHED_S);
	else
		cost = json_number_value(json_object_get(json_object_get(rec, "resources"),
							 "wall_s")) >= SCHED_MIN_RAN_S;
	h->early = cost && h->complete && json_is_true(json_object_get(sb, "sandboxed")) &&
	    !json_is_true(json_object_get(sb, "stdin_read")) &&
	    !json_is_true(json_object_get(sb, "network")) &&
	    !json_array_size(json_object_get(sb, "home_writes"));
	reads_of(&h->reads, rec);
	json_array_foreach(json_object_get(rec, "writes"), i, r)
	{
		if (str(r, "path"))
			strvec_push(&h->writes, str(r, "path"));
	}
}

/* Is P below directory D (both as records name paths)? */
static int below(const char *p, const char *d)
{
	size_t n = strlen(d);
	if (!strcmp(d, "."))
		return p[0] != '/' && strcmp(p, ".");
	return !strncmp(p, d, n) && p[n] == '/';
}

/* Is D the directory that holds P? */
static int parent_is(const char *p, const char *d)
{
	const char *slash = strrchr(p, '/');
	if (!slash)
		return !strcmp(d, ".");
	if (slash == p)
		return !strcmp(d, "/");
	return strlen(d) == (size_t)(slash - p) && !strncmp(p, d, (size_t)(slash - p));
}

/*
 * Would writing W change what a read of kind K of path R saw?  The same
 * path; a directory above it (created, removed, replaced); a listed
 * directory gaining or losing an entry; a path found absent that now
 * holds something.  Only its type and size were looked at for a `stat`.
 */
static int touches(char k, const char *r, const char *w)
{
	if (!strcmp(r, w) || below(r, w))
		return 1;
	if (k == 'd' && parent_is(w, r))
		return 1;
	if (k == 'a' && below(w, r))
		return 1;
	return 0;
}

/* Does any of READS ("K PATH") see any of WRITES? */
static int conflict(const struct strvec *reads, const struct strvec *writes)
{
	size_t i, k;
	for (k = 0; k < writes->nr; k++)
		for (i = 0; i < reads->nr; i++)
			if (strlen(reads->v[i]) > 2 &&
			    touches(reads->v[i][0], reads->v[i] + 2, writes->v[k]))
				return 1;
	return 0;
}

/* What a committed step changed: its writes (when committed) and what it
 * wrote to the session's $HOME layer. */
static void note_written(struct strvec *out, json_t *rec)
{
	json_t *w;
	size_t i;
	if (json_is_true(json_object_get(rec, "committed")))
		json_array_foreach(json_object_get(rec, "writes"), i, w)
		{
			if (str(w, "path"))
				strvec_push(out, str(w, "path"));
		}
	json_array_foreach(json_object_get(json_object_get(rec, "sandbox"), "home_writes"), i, w)
	{
		if (json_string_value(w))
			strvec_push(out, json_string_value(w));
	}
}

/* The session's record function, noting what each step changed. */
static int capture_record(json_t *record, const char *pending, void *payload)
{
	struct sched *sc = payload;
	if (sc->capture < sc->n && record)
		note_written(&sc->written[sc->capture], record);
	return sc->record ? sc->record(record, pending, sc->record_payload) : 0;
}

/* ---- starting early ----------------------------------------------------- */

/*
 * Is the session in the state the recorded one was in before the next
 * step to commit?  (As the record shows states: cwd, environment,
 * variables, functions, options, arguments; descriptors differ anyway.)
 */
static int on_track(struct sched *sc)
{
	static const char *const fields[] = {
		"cwd", "env", "vars", "functions", "options", "args"
	};
	json_t *rec = sc->hints[sc->committed].start_state, *now;
	size_t i;
	int same = 1;
	if (sc->track_at == sc->committed + 1)
		return sc->track;
	if (!rec)
		return 0;
	now = exec__state_json(sc->s, &sc->s->state);
	for (i = 0; same && i < ARRAY_SIZE(fields); i++)
		same = json_equal(json_object_get(rec, fields[i]), json_object_get(now, fields[i]));
	json_decref(now);
	sc->track_at = sc->committed + 1;
	sc->track = same;
	return same;
}

/*
 * The state step J will start from: the session's now when no step
 * ahead of it changes the state (as recorded), else the end state the
 * last one that does left.  0, or -1 when it cannot be known.
 */
static int predict(struct sched *sc, size_t j, struct strbuf *out)
{
	struct exec_session *s = sc->s;
	struct exec_state st;
	struct strbuf buf = STRBUF_INIT;
	size_t k, m = (size_t)-1;

	if (sc->o->prepare)
		return 0; /* each step's state is set by prepare() */
	for (k = sc->committed; k < j; k++) {
		const char *a = sc->hints[k].start_sha, *b = sc->hints[k + 1].start_sha;
		if (!a || !b || strcmp(a, b))
			m = k;
	}
	if (m == (size_t)-1) {
		exec_state_serialize(out, &s->state);
		return 0;
	}
	/* A recorded end state foresees ours only while the session is where
	 * the recorded one was (the same environment, above all). */
	if (!on_track(sc))
		return -1;
	if (!sc->hints[m].end_sha ||
	    cache_cas_read(&buf, s->cairn_dir, sc->hints[m].end_sha, STATE_MAX) < 0) {
		err_clear();
		strbuf_release(&buf);
		return -1;
	}
	exec_state_init(&st);
	if (exec_state_parse(&st, buf.buf, buf.len) < 0) {
		err_clear();
		exec_state_release(&st);
		strbuf_release(&buf);
		return -1;
	}
	/* Descriptors are the session's own, as for a cache hit. */
	strvec_clear(&st.fds);
	strvec_copy(&st.fds, s->have_fds ? &s->state.fds : &s->own_fds);
	exec_state_serialize(out, &st);
	exec_state_release(&st);
	strbuf_release(&buf);
	return 0;
}

/* May step J start now, ahead of the steps before it? */
static int may_start(struct sched *sc, size_t j)
{
	size_t k;
	/* Writes through a descriptor a step opened (exec 3>log) are unseen
	 * by the sandbox: a step ahead would write before those in front. */
	if (!sc->hints[j].early || exec__opened_by_steps(sc->s))
		return 0;
	for (k = sc->committed; k < j; k++) {
		const struct hint *h = &sc->hints[k];
		if (!h->known || (!h->complete && !sc->o->prepare))
			return 0;
		if (conflict(&sc->hints[j].reads, &h->writes))
			return 0;
	}
	return 1;
}

struct wctx {
	int fd;
	char *pending;
	struct strvec start_fds;
};

/*
 * The session's input is not for a step ahead of its turn.  It gets a
 * stand-in that reads as empty, of the same kind where that shows (a
 * terminal whose other side is closed, for a terminal; else an empty
 * file), and reading it at all drops the step (it runs again in order,
 * with the real input).  0 or -1.
 */
static int guard_stdin(struct exec_session *s)
{
	int real = exec__session_fd(s, 0), fd = -1;
	struct stat st;

	if (!s->have_fds)
		real = fcntl(0, F_GETFD) < 0 ? -1 : 0;
	if (real < 0)
		return 0; /* closed: nothing to take */
	if (isatty(real)) {
		int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		char name[64];
		if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 &&
		    ptsname_r(master, name, sizeof(name)) == 0)
			fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			struct termios tio;
			struct winsize ws;
			if (tcgetattr(real, &tio) == 0)
				tcsetattr(fd, TCSANOW, &tio);
			if (ioctl(real, TIOCGWINSZ, &ws) == 0)
				ioctl(fd, TIOCSWINSZ, &ws);
		}
		if (master >= 0)
			close(master);
	}
	if (fd < 0) {
		char *path = xstrfmt("%s/stdin", s->stepdir);
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
		free(path);
	}
	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	s->stdin_guard = 1;
	s->stdin_guard_dev = st.st_dev;
	s->stdin_guard_ino = st.st_ino;
	if (!s->have_fds) {
		if (dup2(fd, 0) < 0)
			return -1;
	} else {
		size_t k;
		for (k = 0; k < s->nfds; k++) {
			if (s->fds[k].num != 0)
				continue;
			close(s->fds[k].fd);
			s->fds[k].fd = fcntl(fd, F_DUPFD_CLOEXEC, 200);
		}
	}
	close(fd);
	return 0;
}

/* Does the shell's descriptor 0, as the step left it, hold our stand-in? */
static int still_guarded(struct exec_session *s)
{
	struct stat st;
	int fd = exec__session_fd(s, 0);
	if (!s->stdin_guard)
		return fd < 0; /* closed, and still so */
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == s->stdin_guard_dev &&
	    st.st_ino == s->stdin_guard_ino;
}

static int worker_gate(struct exec_session *s, json_t *record, void *payload)
{
	struct wctx *c = payload;
	json_t *msg = json_object();
	int changed = !still_guarded(s);
	size_t i = 0, k = 0;
	char v = 'A';

	/* The descriptors the step left, but 0: our stand-in for it
	 * (guard_stdin()), described as the sandbox shows it, if at all. */
	while (!changed) {
		while (i < c->start_fds.nr && !strncmp(c->start_fds.v[i], "0 ", 2))
			i++;
		while (k < s->state.fds.nr && !strncmp(s->state.fds.v[k], "0 ", 2))
			k++;
		if (i == c->start_fds.nr || k == s->state.fds.nr) {
			changed = i != c->start_fds.nr || k != s->state.fds.nr;
			break;
		}
		changed = strcmp(c->start_fds.v[i++], s->state.fds.v[k++]) != 0;
	}
	if (changed && getenv("CAIRN_DEBUG_SCHED"))
		for (i = 0; i < s->state.fds.nr || i < c->start_fds.nr; i++)
			fprintf(stderr, "cairn: sched: fds [%s] [%s]\n",
				i < c->start_fds.nr ? c->start_fds.v[i] : "",
				i < s->state.fds.nr ? s->state.fds.v[i] : "");
	if (!changed) {
		/* As in order: the same descriptors, the session's input as 0
		 * (so that the trace is cached as a serial run's would be). */
		strvec_clear(&s->state.fds);
		strvec_copy(&s->state.fds, &c->start_fds);
	}
	json_object_set(msg, "reads", json_object_get(record, "reads"));
	json_object_set(msg, "writes", json_object_get(record, "writes"));
	json_object_set(msg, "sandbox", json_object_get(record, "sandbox"));
	json_object_set_new(msg, "fds_changed", json_boolean(changed));
	if (send_json(c->fd, 'R', msg) < 0 || read_full(c->fd, &v, 1) < 0)
		v = 'A';
	json_decref(msg);
	return v != 'G';
}

static int worker_record(json_t *record, const char *pending, void *payload)
{
	struct wctx *c = payload;
	(void)record;
	free(c->pending);
	c->pending = pending ? xstrdup(pending) : NULL;
	return 0;
}

static json_t *result_json(const struct exec_result *r, int ret, const char *pending)
{
	json_t *o = json_object(), *refused = json_array();
	size_t i;
	for (i = 0; i < r->refused.nr; i++)
		json_array_append_new(refused, util_json_str(r->refused.v[i]));
	json_object_set_new(o, "ret", json_integer(ret));
	json_object_set_new(o, "err", ret < 0 ? json_string(err_last()) : json_null());
	json_object_set_new(o, "aborted", json_boolean(r->aborted));
	json_object_set_new(o, "status", json_integer(r->status));
	json_object_set_new(o, "ended", json_integer(r->ended));
	json_object_set_new(o, "signal", json_integer(r->signal));
	json_object_set_new(o, "wall_ns", json_integer((json_int_t)r->wall_ns));
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "nreads", json_integer((json_int_t)r->nreads));
	json_object_set_new(o, "nwrites", json_integer((json_int_t)r->nwrites));
	json_object_set_new(o, "refused", refused);
	json_object_set_new(o, "timed_out", json_integer(r->timed_out));
	json_object_set_new(o, "discarded", json_integer(r->discarded));
	json_object_set_new(o, "cached", json_integer(r->cached));
	json_object_set_new(o, "from_step", json_string(r->from_step));
	json_object_set_new(o, "cache_off", r->cache_off ? json_string(r->cache_off) : json_null());
	json_object_set_new(o, "cpu_s", json_real(r->cpu_s));
	json_object_set_new(o, "pending", pending ? json_string(pending) : json_null());
	return o;
}

static void result_from_json(struct sched *sc, struct exec_result *r, json_t *o)
{
	json_t *v;
	size_t i;
	memset(r, 0, sizeof(*r));
	strvec_init(&r->refused);
	r->aborted = json_is_true(json_object_get(o, "aborted"));
	r->status = (int)json_integer_value(json_object_get(o, "status"));
	r->ended = (int)json_integer_value(json_object_get(o, "ended"));
	r->signal = (int)json_integer_value(json_object_get(o, "signal"));
	r->wall_ns = (uint64_t)json_integer_value(json_object_get(o, "wall_ns"));
	snprintf(r->id, sizeof(r->id), "%s", str(o, "id") ? str(o, "id") : "");
	r->nreads = (size_t)json_integer_value(json_object_get(o, "nreads"));
	r->nwrites = (size_t)json_integer_value(json_object_get(o, "nwrites"));
	json_array_foreach(json_object_get(o, "refused"), i, v)
	    strvec_push(&r->refused, json_string_value(v) ? json_string_value(v) : "");
	r->timed_out = (int)json_integer_value(json_object_get(o, "timed_out"));
	r->discarded = (int)json_integer_value(json_object_get(o, "discarded"));
	r->cached = (int)json_integer_value(json_object_get(o, "cached"));
	snprintf(r->from_step, sizeof(r->from_step), "%s",
		 str(o, "from_step") ? str(o, "from_step") : "");
	if (str(o, "cache_off")) {
		strvec_push(&sc->strings, str(o, "cache_off"));
		r->cache_off = sc->strings.v[sc->strings.nr - 1];
	}
	r->cpu_s = json_number_value(json_object_get(o, "cpu_s"));
}

/* In the worker: run step J from state PREDICTED, then tell cairn. */
static void __attribute__((noreturn))
worker_main(struct sched *sc, size_t j, int fd, struct worker *w)
{
	struct exec_session *s = sc->s;
	struct exec_result res;
	struct wctx c = { fd, NULL, STRVEC_INIT };
	json_t *done;
	int lock, ret;
	char *lockpath;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The terminal belongs to the step running in order. */
	exec__terminal_off();
	/* Our own scratch files and layers, below the session's. */
	free(s->tmpdir);
	s->tmpdir = xstrdup(w->scratch);
	free(s->stepdir);
	s->stepdir = xstrdup(w->stepdir);
	lockpath = xstrfmt("%s.lock", s->stepdir);
	lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0 || exec__mkdir_p(s->tmpdir, 0700) < 0 ||
	    exec__mkdir_p(s->stepdir, 0700) < 0 || exec__write_status_file(s) < 0)
		_exit(125);
	/* Set up for the step (in our scratch space, not the session's). */
	if (sc->o->prepare && sc->o->prepare(j, s, sc->o->payload) < 0)
		_exit(125);
	if (s->how == EXEC_HOW_STAGE) {
		free(s->stage_cwd);
		free(s->stage_prog);
		s->stage_cwd = s->stage_prog = NULL;
		if (s->script_abs && s->argv0[0] != '/') {
			if (exec__make_stage(s, s->argv0) < 0)
				_exit(125);
		} else {
			s->stage_cwd = xstrfmt("%s/big", s->tmpdir);
			s->stage_prog = xstrfmt("%s/%s", s->stage_cwd, s->argv0);
			if (exec__mkdir_p(s->stage_cwd, 0700) < 0)
				_exit(125);
		}
	}
	if (s->home) {
		/* A $HOME layer of our own over the real one: the session's is
		 * empty (see home_untouched()); writing to it drops the step. */
		free(s->home_upper);
		free(s->home_work);
		s->home_upper = xstrfmt("%s/hu", s->stepdir);
		s->home_work = xstrfmt("%s/hw", s->stepdir);
		if (exec__mkdir_p(s->home_upper, 0700) < 0 || exec__mkdir_p(s->home_work, 0700) < 0)
			_exit(125);
	}
	if (guard_stdin(s) < 0)
		_exit(125);
	if (!sc->o->prepare) {
		exec_state_release(&s->state);
		exec_state_init(&s->state);
		if (exec_state_parse(&s->state, w->predicted.buf, w->predicted.len) < 0)
			_exit(125);
	}
	strvec_copy(&c.start_fds, &s->state.fds);
	s->seq = sc->base_seq + (unsigned)j;
	s->defer_output = 1;
	s->gate = worker_gate;
	s->gate_payload = &c;
	s->record = worker_record;
	s->record_payload = &c;

	ret = exec_step_run(s, &sc->steps[j], &res);
	done = result_json(&res, ret, c.pending);
	if (ret == 0 && !res.aborted && !res.ended) {
		struct strbuf st = STRBUF_INIT;
		exec_state_serialize(&st, &s->state);
		send_frame(fd, 'S', st.buf, st.len);
		strbuf_release(&st);
	}
	send_json(fd, 'D', done);
	if (s->memo && cache_memo_save(s->memo, s->cairn_dir) < 0)
		err_clear();
	fflush(NULL);
	_exit(0);
}

static void worker_free(struct worker *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	json_decref(w->rec);
	strbuf_release(&w->predicted);
	free(w->scratch);
	free(w->stepdir);
	free(w);
}

/* The worker has gone (or is made to): reap it, remove its files. */
static void worker_end(struct sched *sc, size_t j, int kill_it)
{
	struct worker *w = sc->w[j];
	char *lock;
	int st = 0;
	if (!w)
		return;
	if (kill_it)
		kill(w->pid, SIGKILL);
	while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (getenv("CAIRN_DEBUG_SCHED") && !(WIFEXITED(st) && !WEXITSTATUS(st)))
		fprintf(stderr, "cairn: sched: the worker of step %zu ended with %#x\n", j + 1, st);
	if (!w->ready)
		sc->running--;
	exec__remove_tree(w->scratch);
	exec__remove_tree(w->stepdir);
	lock = xstrfmt("%s.lock", w->stepdir);
	unlink(lock);
	free(lock);
	worker_free(w);
	sc->w[j] = NULL;
}

static int start_worker(struct sched *sc, size_t j)
{
	struct exec_session *s = sc->s;
	struct worker *w = xcalloc(1, sizeof(*w));
	int sv[2];
	pid_t pid;

	w->fd = -1;
	strbuf_init(&w->predicted, 0);
	if (predict(sc, j, &w->predicted) < 0) {
		worker_free(w);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		worker_free(w);
		return 0;
	}
	/* Far from the numbers steps use (0, 1 and 2 may be free here). */
	sv[0] = util_fd_high(sv[0]);
	sv[1] = util_fd_high(sv[1]);
	if (sv[0] < 0 || sv[1] < 0) {
		if (sv[0] >= 0)
			close(sv[0]);
		if (sv[1] >= 0)
			close(sv[1]);
		worker_free(w);
		return 0;
	}
	w->j = j;
	w->frontier = sc->committed;
	w->scratch = xstrfmt("%s/j%u", s->scratch, sc->base_seq + (unsigned)j + 1);
	w->stepdir =
	    xstrfmt("%s/tmp/%s.j%u", s->cairn_dir, s->session_id, sc->base_seq + (unsigned)j + 1);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		w->fd = -1;
		worker_free(w);
		return 0;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(sc, j, sv[1], w);
	}
	close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	sc->w[j] = w;
	sc->running++;
	sc->stats->early_started++;
	return 1;
}

/*
 * Has no step of the session written to its $HOME layer?  Workers see
 * the real $HOME under a layer of their own, which is the same view only
 * while the session's layer is empty (once not, it stays so).
 */
static int home_untouched(struct sched *sc)
{
	struct dirent *e;
	DIR *d;
	if (!sc->s->home || sc->home_touched)
		return !sc->home_touched;
	d = opendir(sc->s->home_upper);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			sc->home_touched = 1;
	if (d)
		closedir(d);
	return !sc->home_touched;
}

/* Start what may start, up to JOBS steps running (counting the one
 * cairn is about to run itself, when SELF). */
static void fill(struct sched *sc, int self)
{
	size_t j, end = sc->n < sc->committed + SCHED_WINDOW ? sc->n : sc->committed + SCHED_WINDOW;
	/* Workers build their preludes against a fresh shell's baseline,
	 * which the first step reads when it was not saved before. */
	if (sc->o->jobs < 2 || !sc->s->have_base || !home_untouched(sc)) {
		if (getenv("CAIRN_DEBUG_SCHED"))
			fprintf(stderr, "cairn: sched: none ahead (jobs %d, base %d, home %s)\n",
				sc->o->jobs, sc->s->have_base,
				home_untouched(sc) ? "untouched" : "written");
		return;
	}
	for (j = sc->committed + (self ? 1 : 0); j < end; j++) {
		if (sc->running + (self ? 1 : 0) >= sc->o->jobs)
			return;
		if (sc->w[j])
			continue;
		if (!sc->hints[j].known)
			return; /* nothing after it can be foreseen */
		if (may_start(sc, j) && start_worker(sc, j) && getenv("CAIRN_DEBUG_SCHED"))
			fprintf(stderr, "cairn: sched: step %zu starts early (%zu done)\n", j + 1,
				sc->committed);
		if (!sc->hints[j].complete && !sc->o->prepare)
			return;
	}
}

/* Read worker W's report of reaching its gate.  0, or -1 when it went
 * away without one. */
static int take_ready(struct sched *sc, struct worker *w)
{
	struct strbuf buf = STRBUF_INIT;
	char t = recv_frame(w->fd, &buf);
	int ret = -1;
	if (t == 'R') {
		w->rec = util_json_loadb(buf.buf, buf.len, 0, NULL);
		if (w->rec) {
			w->fds_changed = json_is_true(json_object_get(w->rec, "fds_changed"));
			ret = 0;
		}
	}
	/* Gone or done without a gate: either way it waits no more. */
	w->ready = 1;
	sc->running--;
	strbuf_release(&buf);
	return ret;
}

/* Wait until the worker of step I is at its gate, starting others as
 * workers ahead of it get there. */
static int wait_ready(struct sched *sc, size_t i)
{
	while (!sc->w[i]->ready) {
		struct pollfd pfd[SCHED_WINDOW];
		size_t map[SCHED_WINDOW], np = 0, j, k;
		for (j = sc->committed; j < sc->n && np < SCHED_WINDOW; j++) {
			if (!sc->w[j] || sc->w[j]->ready)
				continue;
			pfd[np].fd = sc->w[j]->fd;
			pfd[np].events = POLLIN;
			map[np++] = j;
		}
		if (poll(pfd, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(CAIRN_ERROR, "poll");
		}
		for (k = 0; k < np; k++) {
			if (!pfd[k].revents)
				continue;
			/* One that went away without reaching its gate is
			 * run here when its turn comes. */
			take_ready(sc, sc->w[map[k]]);
		}
		fill(sc, 0);
	}
	return 0;
}

/* Did what worker W guessed hold?  (Every step ahead has committed.) */
static int still_right(struct sched *sc, struct worker *w)
{
	struct strbuf now = STRBUF_INIT;
	struct strvec reads = STRVEC_INIT;
	json_t *sb;
	size_t k;
	int ok;

	int debug = getenv("CAIRN_DEBUG_SCHED") != NULL;
	if (!w->rec || w->fds_changed) {
		if (debug)
			fprintf(stderr, "cairn: sched: step %zu: %s\n", w->j + 1,
				w->rec ? "it changed descriptors" : "it went away");
		return 0;
	}
	sb = json_object_get(w->rec, "sandbox");
	if (json_array_size(json_object_get(sb, "home_writes")) ||
	    json_is_true(json_object_get(sb, "stdin_read"))) {
		if (debug)
			fprintf(stderr,
				"cairn: sched: step %zu: it wrote $HOME or read stdin: %s\n",
				w->j + 1, util_json_dumps(sb, JSON_COMPACT));
		return 0;
	}
	exec_state_serialize(&now, &sc->s->state);
	ok = sc->o->prepare ||
	    (now.len == w->predicted.len && !memcmp(now.buf, w->predicted.buf, now.len));
	if (!ok && getenv("CAIRN_DEBUG_SCHED"))
		fprintf(
		    stderr,
		    "cairn: sched: step %zu: the state differs\n--- now\n%s\n--- foreseen\n%s\n",
		    w->j + 1, now.buf, w->predicted.buf);
	strbuf_release(&now);
	reads_of(&reads, w->rec);
	for (k = w->frontier; ok && k < w->j; k++)
		if (conflict(&reads, &sc->written[k]))
			ok = 0;
	strvec_clear(&reads);
	return ok;
}

/*
 * Step I's worker is at its gate and it is I's turn: let it go on and
 * take its result (1), or drop it (0: run it here).  -1 on errors.
 */
static int finish_worker(struct sched *sc, size_t i, struct exec_result *res)
{
	struct worker *w = sc->w[i];
	struct exec_session *s = sc->s;
	struct strbuf buf = STRBUF_INIT, state = STRBUF_INIT;
	json_t *done = NULL, *rec = NULL;
	char t;
	int ret = 0;

	if (wait_ready(sc, i) < 0)
		return -1;
	if (!still_right(sc, w)) {
		if (getenv("CAIRN_DEBUG_SCHED"))
			fprintf(stderr, "cairn: sched: step %zu is run again in order\n", i + 1);
		/* (It may be gone already.) */
		util_write_all_nosigpipe(w->fd, "A", 1);
		sc->stats->early_dropped++;
		worker_end(sc, i, 0);
		return 0;
	}
	if (util_write_all_nosigpipe(w->fd, "G", 1) < 0) {
		if (getenv("CAIRN_DEBUG_SCHED"))
			fprintf(stderr, "cairn: sched: step %zu went away at its gate\n", i + 1);
		worker_end(sc, i, 1);
		sc->stats->early_dropped++;
		return 0;
	}
	while ((t = recv_frame(w->fd, &buf)) == 'S')
		strbuf_addbuf(&state, &buf);
	if (t == 'D')
		done = util_json_loadb(buf.buf, buf.len, 0, NULL);
	if (!done) {
		ret = err_set(CAIRN_ERROR, "step %u, run ahead of its turn, ended without a result",
			      sc->base_seq + (unsigned)i + 1);
		goto out;
	}
	if (json_integer_value(json_object_get(done, "ret")) < 0) {
		ret = err_set(CAIRN_ERROR, "%s", str(done, "err") ? str(done, "err") : "failed");
		goto out;
	}
	result_from_json(sc, res, done);
	if (res->aborted) {
		/* It lost its way after the gate: cannot be, but run it here. */
		if (getenv("CAIRN_DEBUG_SCHED"))
			fprintf(stderr, "cairn: sched: step %zu dropped after its gate\n", i + 1);
		exec_result_release(res);
		sc->stats->early_dropped++;
		goto out;
	}
	if (!res->ended) {
		struct exec_state next;
		exec_state_init(&next);
		if (exec_state_parse(&next, state.buf, state.len) < 0) {
			exec_state_release(&next);
			ret = err_set(CAIRN_ERROR, "step %u: the state it left is unreadable",
				      sc->base_seq + (unsigned)i + 1);
			goto out;
		}
		strvec_clear(&next.fds);
		strvec_copy(&next.fds, s->have_fds ? &s->state.fds : &s->own_fds);
		exec_state_release(&s->state);
		s->state = next;
		if (!s->have_fds)
			exec__adopt_own_fds(s);
	}
	s->seq++;
	/* Its record, to the store in order. */
	if (str(done, "pending")) {
		json_error_t je;
		rec = util_json_load_file(str(done, "pending"), 0, &je);
		if (!rec) {
			ret = err_set(CAIRN_ERROR, "cannot read the record %s: %s",
				      str(done, "pending"), je.text);
			goto out;
		}
		note_written(&sc->written[i], rec);
		if (sc->record && sc->record(rec, str(done, "pending"), sc->record_payload) < 0)
			ret = -1;
	}
	sc->stats->early_kept++;
	ret = ret < 0 ? -1 : 1;
out:
	json_decref(done);
	json_decref(rec);
	strbuf_release(&buf);
	strbuf_release(&state);
	worker_end(sc, i, 0);
	return ret;
}

/* ---- the loop ------------------------------------------------------------ */

int exec_sched_run(struct exec_session *s, const struct exec_step *steps, size_t n,
		   const struct exec_sched_opts *o, struct exec_sched_stats *stats)
{
	struct sched sc = { 0 };
	struct exec_sched_stats dummy;
	struct exec_sched_opts serial = *o;
	size_t i;
	int ret = 0;

	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	sc.s = s;
	sc.steps = steps;
	sc.n = n;
	sc.o = o;
	sc.stats = stats;
	sc.base_seq = s->seq;
	sc.hints = xcalloc(n + 1, sizeof(*sc.hints));
	sc.w = xcalloc(n + 1, sizeof(*sc.w));
	sc.written = xcalloc(n + 1, sizeof(*sc.written));
	strvec_init(&sc.strings);
	for (i = 0; i <= n; i++) {
		hint_read(&sc.hints[i], i < n && o->hints ? o->hints[i] : NULL, s->no_cache);
		strvec_init(&sc.written[i]);
	}
	sc.record = s->record;
	sc.record_payload = s->record_payload;
	sc.capture = n;
	if (o->jobs > 1 && s->root && s->sandboxed) {
		exec__set_base_key(s);
		exec__cache_load_base(s);
	} else {
		serial.jobs = 1;
	}
	sc.o = &serial;
	if (s->record) {
		s->record = capture_record;
		s->record_payload = &sc;
	}

	for (i = 0; i < n && ret == 0; i++) {
		struct exec_result res;
		int r = 0, stop;

		sc.committed = i;
		if (sc.w[i])
			r = finish_worker(&sc, i, &res);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r == 0) {
			/* Set up first: workers started now need the step's
			 * shell baseline loaded (and set up their own). */
			if (o->prepare && o->prepare(i, s, o->payload) < 0) {
				ret = -1;
				break;
			}
			fill(&sc, 1);
			sc.capture = i;
			r = exec_step_run(s, &steps[i], &res);
			sc.capture = n;
			if (r < 0) {
				ret = -1;
				break;
			}
		}
		if (res.cached) {
			stats->cached++;
			stats->cpu_saved_s += res.cpu_s;
		} else {
			stats->ran++;
		}
		if (res.status && !res.cached)
			stats->failed++;
		stop = res.ended;
		if (o->done && o->done(i, &steps[i], &res, o->payload))
			stop = 1;
		exec_result_release(&res);
		if (stop) {
			i++; /* it was done */
			break;
		}
	}
	stats->stopped_at = i;
	/* Whatever runs ahead of a step that ended the session never ran. */
	for (i = 0; i <= n; i++)
		if (sc.w[i])
			worker_end(&sc, i, 1);
	s->record = sc.record;
	s->record_payload = sc.record_payload;
	for (i = 0; i <= n; i++) {
		strvec_clear(&sc.hints[i].reads);
		strvec_clear(&sc.hints[i].writes);
		strvec_clear(&sc.written[i]);
	}
	strvec_clear(&sc.strings);
	free(sc.hints);
	free(sc.w);
	free(sc.written);
	return ret;
}
