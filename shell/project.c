/*
 * project.c - which project a session records into, and how: the store
 * is found (or made) before the first step, and each step's record is
 * stored by a writer process while the next step runs.
 *
 * Storing a record (libgit2 objects, index, refs) costs a few
 * milliseconds; on a second core that work overlaps the next step.  A
 * process, not a thread: cairn clones each step's sandbox from itself,
 * and a clone taken while another thread held the allocator's lock would
 * hang.  Records go in the order the steps ran, so the `producer` links
 * that the store fills in always find the earlier steps.  Nothing is
 * lost if cairn is killed meanwhile: each record waits in .cairn/journal/
 * until the store has it; the writer finishes its queue even after cairn
 * is gone, and the next cairn stores whatever is left (exec's recovery).
 */
#include "shell-int.h"

#include "provenance.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct shell_writer {
	int req; /* "R PENDING\n" to store a record, "F\n" to flush */
	int ack; /* one byte per flush: '0' all stored, '1' some failed */
};

/* Store the record waiting in PENDING; it goes once the store has it
 * (in a batch: the caller removes it after provenance_batch_end()). */
static int store_pending(struct prov_store *st, const char *pending, int unlink_now)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *r = NULL;
	int ret;
	/* Read whole, then parse: jansson reads a FILE a byte at a time. */
	ret = strbuf_read_file(&sb, pending);
	if (ret == 0)
		r = util_json_loadb(sb.buf, sb.len, 0, NULL);
	strbuf_release(&sb);
	if (ret == CAIRN_ENOTFOUND) {
		/* Only a writer that stored it removes a pending record: the
		 * writer of a cairn killed meanwhile (it outlives its parent
		 * to finish its queue) stored it while ours waited. */
		err_clear();
		return 0;
	}
	if (!r) {
		warn("cannot read the record %s", pending);
		return -1;
	}
	ret = provenance_record_step(st, r);
	if (ret == CAIRN_EEXISTS)
		ret = 0; /* stored before a crash, its pending copy left behind */
	if (ret < 0)
		warn("cannot record step %s: %s", json_string_value(json_object_get(r, "id")),
		     err_last());
	else if (unlink_now) {
		util_test_crash_point("stored");
		unlink(pending);
	}
	json_decref(r);
	return ret;
}

/*
 * Store the records named by the complete "R PATH" lines at the start of
 * BUF as one batch (refs written once), then answer the "F" lines.
 * Returns how many bytes were used.
 */
static size_t serve_requests(struct prov_store *st, const char *buf, size_t len, int ack,
			     int *failed)
{
	struct strvec done = STRVEC_INIT;
	const char *p = buf, *end = buf + len, *nl;
	int batch = 0;
	size_t i;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		if (*p == 'R' && nl - p > 2) {
			char *path = xstrndup(p + 2, (size_t)(nl - p - 2));
			if (!batch)
				batch = provenance_batch_begin(st) == 0;
			if (store_pending(st, path, !batch) < 0)
				*failed = 1;
			else if (batch)
				strvec_push(&done, path);
			free(path);
		} else if (*p == 'F') {
			char b;
			if (batch && provenance_batch_end(st) < 0) {
				warn("%s", err_last());
				*failed = 1;
				strvec_clear(&done);
			}
			batch = 0;
			if (done.nr)
				util_test_crash_point("stored");
			for (i = 0; i < done.nr; i++)
				unlink(done.v[i]);
			strvec_clear(&done);
			b = *failed ? '1' : '0';
			*failed = 0;
			if (write(ack, &b, 1) < 0)
				break;
		}
		p = nl + 1;
	}
	if (batch && provenance_batch_end(st) < 0) {
		/* The pending copies stay: the next cairn stores them. */
		warn("%s", err_last());
		*failed = 1;
		strvec_clear(&done);
	}
	/* Stored (synced: provenance/store.c) before the pending copies go. */
	if (done.nr)
		util_test_crash_point("stored");
	for (i = 0; i < done.nr; i++)
		unlink(done.v[i]);
	strvec_clear(&done);
	return (size_t)(p - buf);
}

static __attribute__((noreturn)) void writer_main(const char *root, int req, int ack)
{
	struct prov_store *st = NULL;
	struct strbuf in = STRBUF_INIT;
	int failed = 0;

	/* Ctrl-C is for the step; the writer finishes its queue. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	/* Tests: a writer that never gets to store anything, as if it had
	 * been killed with cairn. */
	if (getenv("CAIRN_TEST_WRITER_HOLD"))
		for (;;)
			pause();
	if (provenance_store_open(&st, root, 0) < 0) {
		warn("cannot open the store: %s", err_last());
		_exit(125);
	}
	/* Whatever has arrived by the time we read is one batch: while the
	 * store is busy, requests queue up and go together. */
	for (;;) {
		ssize_t n;
		size_t used;
		strbuf_grow(&in, 65536);
		n = read(req, in.buf + in.len, in.alloc - in.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		in.len += (size_t)n;
		in.buf[in.len] = '\0';
		used = serve_requests(st, in.buf, in.len, ack, &failed);
		memmove(in.buf, in.buf + used, in.len - used);
		strbuf_setlen(&in, in.len - used);
	}
	provenance_store_free(st);
	strbuf_release(&in);
	_exit(failed ? 1 : 0);
}

static int record_step(struct json_t *record, const char *pending, void *payload)
{
	struct shell_project *p = payload;
	struct strbuf msg = STRBUF_INIT;
	int ret = 0;

	if (!pending)
		return provenance_record_step(p->store, record);
	if (!p->writer)
		return store_pending(p->store, pending, 1) < 0 ? -1 : 0;
	strbuf_addf(&msg, "R %s\n", pending);
	if (util_write_all(p->writer->req, msg.buf, msg.len) < 0)
		ret = store_pending(p->store, pending, 1) < 0 ? -1 : 0;
	strbuf_release(&msg);
	return ret;
}

int shell_project_flush(struct shell_project *p)
{
	char b = '1';
	ssize_t n;
	uint64_t t0 = util_now_ns();
	if (!p->writer)
		return 0;
	if (util_write_all(p->writer->req, "F\n", 2) < 0)
		return err_set(CAIRN_ERROR, "the record writer has gone");
	do
		n = read(p->writer->ack, &b, 1);
	while (n < 0 && errno == EINTR);
	if (getenv("CAIRN_DEBUG_TIMING"))
		fprintf(stderr, "cairn: timing: waited %.2f ms for the record writer\n",
			(double)(util_now_ns() - t0) / 1e6);
	if (n != 1)
		return err_set(CAIRN_ERROR, "the record writer has gone");
	return b == '0' ? 0 : err_set(CAIRN_ERROR, "some steps could not be recorded");
}

/* Start the writer; without one, records are stored as each step ends. */
static void start_writer(struct shell_project *p, const char *root)
{
	int req[2], ack[2];
	pid_t pid;

	if (pipe2(req, O_CLOEXEC) < 0)
		return;
	if (pipe2(ack, O_CLOEXEC) < 0) {
		close(req[0]);
		close(req[1]);
		return;
	}
	/* Far above 0, 1 and 2, which may be closed (`cairn run x <&-`) and
	 * which the writer points at /dev/null. */
	for (int k = 0; k < 2; k++) {
		req[k] = util_fd_high(req[k]);
		ack[k] = util_fd_high(ack[k]);
	}
	if (req[0] < 0 || req[1] < 0 || ack[0] < 0 || ack[1] < 0) {
		for (int k = 0; k < 2; k++) {
			if (req[k] >= 0)
				close(req[k]);
			if (ack[k] >= 0)
				close(ack[k]);
		}
		return;
	}
	fflush(NULL);
	/*
	 * Twice forked, so that the writer is nobody's child here: steps
	 * without the sandbox are waited for with waitpid(-1), which must
	 * not wait for it.  It keeps only standard error.
	 */
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		close(req[1]);
		close(ack[0]);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		if (fork() != 0)
			_exit(0);
		writer_main(root, req[0], ack[1]);
	}
	close(req[0]);
	close(ack[1]);
	if (pid < 0 || waitpid(pid, NULL, 0) < 0) {
		close(req[1]);
		close(ack[0]);
		return;
	}
	p->writer = xcalloc(1, sizeof(*p->writer));
	p->writer->req = req[1];
	p->writer->ack = ack[0];
}

/* Patterns of variable names from config key NAME, each checked: a bad
 * one stops everything (nothing runs under a key the user did not mean). */
static int env_patterns(struct strvec *out, struct prov_store *st, const char *name)
{
	size_t i;
	int ret = provenance_config_values(out, st, name);
	for (i = 0; ret == 0 && i < out->nr; i++)
		if (exec_env_pattern_check(out->v[i]) < 0) {
			char *why = xstrdup(err_last());
			ret = err_set(CAIRN_EUSAGE, "%s/.cairn/config: %s: %s",
				      provenance_store_root(st), name, why);
			free(why);
		}
	return ret;
}

/* cache.maxOutput in .cairn/config (the last value wins), or 0: the
 * default. */
static int max_output(uint64_t *out, struct prov_store *st)
{
	struct strvec v = STRVEC_INIT;
	int ret = provenance_config_values(&v, st, "cache.maxOutput");

	*out = 0;
	if (ret == 0 && v.nr && exec_parse_size(out, v.v[v.nr - 1]) < 0) {
		char *why = xstrdup(err_last());
		ret = err_set(CAIRN_EUSAGE, "%s/.cairn/config: cache.maxOutput: %s",
			      provenance_store_root(st), why);
		free(why);
	}
	strvec_clear(&v);
	return ret;
}

/*
 * cache.toolCacheDirs (docs/cache.md): the directories under $HOME kept
 * as tool caches, replacing the default list; "none" alone: no tool
 * cache.  Checked when the session starts (exec__record_init()).
 */
static int tool_cache_dirs(struct shell_project *p)
{
	struct strvec v = STRVEC_INIT;
	size_t i;
	int ret = provenance_config_values(&v, p->store, "cache.toolCacheDirs");
	if (ret == 0 && v.nr) {
		p->have_tool_caches = 1;
		for (i = 0; i < v.nr; i++)
			if (strcmp(v.v[i], "none"))
				strvec_push(&p->tool_caches, v.v[i]);
	}
	strvec_clear(&v);
	return ret;
}

char *shell_user_config(void)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (x && x[0] == '/')
		return xstrfmt("%s/cairn/config", x);
	return xstrfmt("%s/.config/cairn/config", home && *home ? home : "/nonexistent");
}

/*
 * The directories steps may write besides the project: sandbox.writable
 * in the user's own configuration (shell_user_config()), never in the
 * project's, which would let a project someone handed you widen its own
 * sandbox (writable=~ and its steps append to ~/.bashrc).  "~" is
 * expanded; a relative path or "/" is an error.
 */
static int writable_dirs(struct strvec *out, struct prov_store *st)
{
	struct strvec proj = STRVEC_INIT, raw = STRVEC_INIT;
	char *file = shell_user_config();
	const char *home = getenv("HOME");
	size_t i;
	int ret;

	if (provenance_config_values(&proj, st, "sandbox.writable") == 0 && proj.nr)
		fprintf(stderr,
			"cairn: %s/.cairn/config sets sandbox.writable, which a project cannot "
			"(it would widen its own sandbox): ignored; to let steps write to a "
			"directory: git config --file %s --add sandbox.writable DIR\n",
			provenance_store_root(st), file);
	strvec_clear(&proj);
	err_clear();
	ret = provenance_config_file_values(&raw, file, "sandbox.writable");
	for (i = 0; ret == 0 && i < raw.nr; i++) {
		const char *v = raw.v[i];
		char *dir;
		if ((v[0] == '~' && (!v[1] || v[1] == '/')) && home && *home)
			dir = xstrfmt("%s%s", home, v + 1);
		else
			dir = xstrdup(v);
		if (dir[0] != '/')
			ret = err_set(CAIRN_EUSAGE,
				      "%s: sandbox.writable = %s: give an absolute path (or ~/...)",
				      file, v);
		else if (!dir[strspn(dir, "/")])
			ret = err_set(CAIRN_EUSAGE,
				      "%s: sandbox.writable = %s: the whole file system cannot be "
				      "made writable for steps",
				      file, v);
		else
			strvec_push(out, dir);
		free(dir);
	}
	strvec_clear(&raw);
	free(file);
	return ret;
}

/* A boolean config key NAME (git's spellings; the last value counts):
 * *OUT 1 or 0, left alone when unset. */
static int config_bool(int *out, struct prov_store *st, const char *name)
{
	static const char *const yes[] = { "true", "yes", "on", "1" },
				 *const no[] = { "false", "no", "off", "0" };
	struct strvec v = STRVEC_INIT;
	const char *last;
	size_t i;
	int ret = provenance_config_values(&v, st, name);
	if (ret < 0 || !v.nr)
		goto out;
	last = v.v[v.nr - 1];
	ret = err_set(CAIRN_EUSAGE, "%s/.cairn/config: %s: '%s' is not a boolean (true or false)",
		      provenance_store_root(st), name, last);
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(last, yes[i]))
			*out = 1, ret = 0;
		else if (!strcasecmp(last, no[i]))
			*out = 0, ret = 0;
	}
	if (!ret)
		err_clear();
out:
	strvec_clear(&v);
	return ret;
}

int shell_project_setup(struct exec_session_opts *o, struct shell_project *p)
{
	char *root = shell_store_root(), *cdir;
	struct stat st;
	int ret, own = 1;

	memset(p, 0, sizeof(*p));
	strvec_init(&p->writable);
	strvec_init(&p->env_ignore);
	strvec_init(&p->env_keep);
	strvec_init(&p->tool_caches);
	/* --store, else the nearest project up from here, else a new one
	 * here (said in one line). */
	if (!root && provenance_find_root(&root, ".") < 0) {
		root = getcwd(NULL, 0);
		if (!root)
			return err_errno(CAIRN_ERROR, "cannot determine the working directory");
	}
	cdir = xstrfmt("%s/.cairn", root);
	if (stat(cdir, &st) < 0 && errno == ENOENT && access(root, W_OK) < 0 &&
	    (errno == EACCES || errno == EROFS)) {
		ret = err_set(
		    CAIRN_ERROR,
		    "cannot make a store in %s: the directory is %s; give the store "
		    "another place with --store DIR or CAIRN_STORE=DIR",
		    root, errno == EROFS ? "on a read-only filesystem" : "not writable for you");
		free(cdir);
		free(root);
		return ret;
	}
	if (stat(cdir, &st) < 0 && !shell_opts.quiet)
		fprintf(stderr, "cairn: recording into a new store in %s\n", cdir);
	free(cdir);
	ret = provenance_store_open(&p->store, root, 1);
	free(root);
	if (ret < 0)
		return ret;
	if ((ret = writable_dirs(&p->writable, p->store)) < 0 ||
	    (ret = env_patterns(&p->env_ignore, p->store, "cache.ignoreEnv")) < 0 ||
	    (ret = env_patterns(&p->env_keep, p->store, "cache.keyEnv")) < 0 ||
	    (ret = config_bool(&own, p->store, "cache.ownOutputs")) < 0 ||
	    (ret = max_output(&o->max_output, p->store)) < 0 || (ret = tool_cache_dirs(p)) < 0)
		return ret;
	o->see_own_outputs = !own;
	start_writer(p, provenance_store_root(p->store));
	o->root = provenance_store_root(p->store);
	o->no_sandbox = shell_opts.no_sandbox;
	o->keep_failed = shell_opts.keep_failed;
	o->no_cache = shell_opts.no_cache;
	o->writable = (const char *const *)p->writable.v;
	o->env_ignore = (const char *const *)p->env_ignore.v;
	o->env_keep = (const char *const *)p->env_keep.v;
	if (p->have_tool_caches)
		o->tool_cache_dirs = (const char *const *)p->tool_caches.v;
	o->record = record_step;
	o->record_payload = p;
	return 0;
}

int shell_project_release(struct shell_project *p)
{
	int ret = 0;
	if (p->writer) {
		/* Everything stored before we go; then EOF ends the writer. */
		ret = shell_project_flush(p);
		close(p->writer->req);
		close(p->writer->ack);
		free(p->writer);
	}
	provenance_store_free(p->store);
	strvec_clear(&p->writable);
	strvec_clear(&p->env_ignore);
	strvec_clear(&p->env_keep);
	strvec_clear(&p->tool_caches);
	memset(p, 0, sizeof(*p));
	return ret;
}
