/*
 * helper.c - cairn-formats, the program that reads files' contents with
 * GDAL and HDF5 on cairn's behalf (see formats.c for why it is a separate
 * program).
 *
 * Standard input: a JSON array of jobs {op: info|fingerprint|diff|remote,
 * path, name, kind, flags, b}.  Standard output: a JSON array with one
 * {ret, value, error} per job, in order.  Each job runs in a child
 * process of its own: the HDF5 library (and, more rarely, a GDAL driver)
 * can crash on a damaged file, and that must be an error for that file,
 * not the loss of the others.  The libraries are set up before the first
 * fork, so that children start with the drivers registered.
 *
 * `cairn-formats --serve` is the same helper kept for a whole session
 * (serve() below): batches of jobs arrive on a socket with the
 * descriptors they read, and every job still runs in a fresh child of
 * this process, confined as above -- the confinement is per job and
 * needs a fresh process, which a fork of an already loaded helper gives
 * for about a millisecond, where an exec of a new helper paid for
 * loading GDAL and HDF5 each time.
 */
#include "formats-int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum job_op { JOB_INFO, JOB_FINGERPRINT, JOB_DIFF, JOB_REMOTE };

/* What one job may take: address space, CPU seconds, seconds in all. */
#define FORMATS_JOB_MEM (8ULL << 30)
#define FORMATS_JOB_CPU 600
#define FORMATS_JOB_WALL 300

/* Serve mode: the socket to cairn, and the descriptors of the batch being
 * run, WANT[i] being the number cairn named (/proc/self/fd/WANT[i]) for
 * what this process holds as HAVE[i]. */
static int serve_sock = -1;
static const int *batch_want, *batch_have;
static size_t batch_nfds;

struct job {
	enum job_op op;
	enum formats_kind kind;
	const char *path, *name, *b; /* B: the second file of JOB_DIFF */
	const json_t *config; /* JOB_REMOTE: variables to set, or NULL */
	unsigned flags;
};

/*
 * Which of a step's variables may a remote check use?  Credentials and
 * the settings of GDAL's network file systems, and proxies; never one
 * that makes GDAL write or read a file it names (GDAL_HTTP_COOKIEJAR,
 * CPL_LOG), nor anything else of the step's.
 */
static int remote_setting(const char *k)
{
	static const char *const prefixes[] = { "AWS_",	     "GS_",	   "GOOGLE_",
						"AZURE_",    "OSS_",	   "SWIFT_",
						"WEBHDFS_",  "GDAL_HTTP_", "CPL_VSIL_CURL_",
						"CPL_CURL_", "VSIS3_",	   "VSICURL_" };
	static const char *const names[] = { "HTTP_PROXY",
					     "HTTPS_PROXY",
					     "NO_PROXY",
					     "http_proxy",
					     "https_proxy",
					     "no_proxy",
					     "GDAL_DISABLE_READDIR_ON_OPEN" };
	size_t i;
	if (strstr(k, "COOKIE") || strstr(k, "_LOG") || strstr(k, "FILE") || strstr(k, "_PATH") ||
	    strstr(k, "CACHE_DIR"))
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(k, names[i]))
			return 1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(k, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

/* The wall time of a job: FORMATS_JOB_WALL, or less when
 * $CAIRN_FORMATS_JOB_WALL says so (tests; it cannot raise it). */
static unsigned job_wall(void)
{
	const char *e = getenv("CAIRN_FORMATS_JOB_WALL");
	long v = e ? strtol(e, NULL, 10) : 0;
	return v > 0 && v < FORMATS_JOB_WALL ? (unsigned)v : FORMATS_JOB_WALL;
}

/*
 * A job's child is confined before it opens anything: a file's summary
 * needs no network (a VRT naming /vsicurl/http://host/?data=... must not
 * send it anywhere), no writing (GDAL's .aux.xml, a VRT naming a path to
 * write), no programs, and a crafted file must not take the machine's
 * memory or time.  The clock starts first, so that nothing below can
 * hang unwatched; the seccomp filter comes last (confine.c).  An
 * unreachable proxy for GDAL's network file systems even where the
 * network namespace could not be had.  0, or -1 (err set) when the
 * child must not run the job.
 */
static int confine_job(const struct job *j)
{
	const char *paths[3] = { NULL, NULL, NULL };
	struct rlimit rl;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* not outliving the helper */
	alarm(job_wall());
	if (j->op != JOB_REMOTE) {
		setenv("GDAL_HTTP_PROXY", "127.0.0.1:9", 1);
		setenv("HTTP_PROXY", "127.0.0.1:9", 1);
		setenv("HTTPS_PROXY", "127.0.0.1:9", 1);
		unsetenv("NO_PROXY");
		unsetenv("no_proxy");
		setenv("GDAL_HTTP_MAX_RETRY", "0", 1);
		setenv("GDAL_HTTP_TIMEOUT", "1", 1);
	}
	/* (Not under AddressSanitizer, whose shadow memory is terabytes of
	 * address space.) */
	if (!FORMATS_ASAN && getrlimit(RLIMIT_AS, &rl) == 0 &&
	    (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FORMATS_JOB_MEM)) {
		rl.rlim_cur = FORMATS_JOB_MEM;
		setrlimit(RLIMIT_AS, &rl);
	}
	if (getrlimit(RLIMIT_CPU, &rl) == 0 &&
	    (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FORMATS_JOB_CPU)) {
		rl.rlim_cur = FORMATS_JOB_CPU;
		setrlimit(RLIMIT_CPU, &rl);
	}
	paths[0] = j->op == JOB_REMOTE ? NULL : j->path;
	paths[1] = paths[0] ? j->b : NULL;
	if (formats__confine(j->op == JOB_REMOTE, paths) < 0)
		return err_set(CAIRN_ERROR, "%s: cannot confine the reading of it (seccomp)",
			       j->name ? j->name : j->path);
	/* again: a change of credentials (the user namespace) may clear it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

static int run_job(json_t **out, const struct job *j)
{
	struct fp_hash h;
	char hex[SHA256_HEX_LEN + 1];
	json_t *o, *changes;
	int ret;

	*out = NULL;
	switch (j->op) {
	case JOB_INFO:
		return j->kind == FORMATS_HDF5 ? formats__hdf5_info(out, j->path)
					       : formats__gdal_info(out, j->path, j->flags);
	case JOB_FINGERPRINT:
		formats__hash_init(&h);
		ret = j->kind == FORMATS_HDF5 ? formats__hdf5_fingerprint(&h, j->path)
					      : formats__gdal_fingerprint(&h, j->path);
		if (ret < 0) {
			formats__hash_release(&h);
			return ret;
		}
		formats__hash_final(&h, hex);
		*out = json_string(hex);
		return 0;
	case JOB_DIFF:
		o = json_object();
		changes = json_array();
		ret = j->kind == FORMATS_HDF5 ? formats__hdf5_diff(o, changes, j->path, j->b)
					      : formats__gdal_diff(o, changes, j->path, j->b);
		json_object_set_new(o, "changes", changes);
		if (ret < 0) {
			json_decref(o);
			return ret;
		}
		*out = o;
		return ret;
	case JOB_REMOTE:
		/* In the job's own child: the variables go with it, those
		 * that say how to reach a dataset only. */
		if (json_is_object(j->config)) {
			const char *k;
			json_t *v;
			json_object_foreach((json_t *)j->config, k, v)
			{
				if (json_is_string(v) && remote_setting(k))
					setenv(k, json_string_value(v), 1);
			}
		}
		return formats__remote_validators(out, j->path);
	default:
		return err_set(CAIRN_ERROR, "unknown formats job");
	}
}

/* In serve mode, a job's child: cairn's socket closed, and each of the
 * batch's descriptors under the number its paths name (first moved out of
 * the way, with the result pipe *PIPE, so that no dup2() replaces one
 * still needed).  0 or -1. */
static int place_fds(int *pipe_fd)
{
	int high[256], base = *pipe_fd;
	size_t i;

	if (serve_sock < 0)
		return 0;
	close(serve_sock);
	if (batch_nfds > ARRAY_SIZE(high))
		return err_set(CAIRN_ERROR, "too many descriptors in one batch");
	/* Above every number involved (not a fixed one: the limit on open
	 * files may be as low as 1024). */
	for (i = 0; i < batch_nfds; i++) {
		if (batch_want[i] < 3)
			return err_set(CAIRN_ERROR, "cannot place descriptor %d", batch_want[i]);
		base = batch_want[i] > base ? batch_want[i] : base;
		base = batch_have[i] > base ? batch_have[i] : base;
	}
	base++;
	if ((*pipe_fd = fcntl(*pipe_fd, F_DUPFD_CLOEXEC, base)) < 0)
		return err_errno(CAIRN_ERROR, "fcntl");
	for (i = 0; i < batch_nfds; i++)
		if ((high[i] = fcntl(batch_have[i], F_DUPFD_CLOEXEC, base)) < 0)
			return err_errno(CAIRN_ERROR, "fcntl");
	for (i = 0; i < batch_nfds; i++)
		if (dup2(high[i], batch_want[i]) < 0)
			return err_errno(CAIRN_ERROR, "cannot place descriptor %d", batch_want[i]);
	for (i = 0; i < batch_nfds; i++)
		close(high[i]);
	return 0;
}

/* $CAIRN_FORMATS_DEBUG_JOBS names a file that gets one line per job run
 * (tests count them: a summary is made once per content). */
static void count_job(const struct job *j)
{
	const char *f = getenv("CAIRN_FORMATS_DEBUG_JOBS");
	char *line;
	int fd;

	if (!f || !*f)
		return;
	fd = open(f, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	line = xstrfmt("%s %s\n", j->op == JOB_INFO ? "info" : "job", j->name ? j->name : j->path);
	(void)util_write_all(fd, line, strlen(line));
	free(line);
	close(fd);
}

static int isolated(json_t **out, const struct job *j)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *res = NULL;
	json_error_t jerr;
	int fds[2], st = 0, ret;
	pid_t pid;

	*out = NULL;
	count_job(j);
	if (j->kind == FORMATS_HDF5)
		formats__hdf5_init();
	else
		formats__gdal_init();
	if (getenv("CAIRN_FORMATS_NO_FORK"))
		return run_job(out, j);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_errno(CAIRN_ERROR, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_errno(CAIRN_ERROR, "fork");
	}
	if (pid == 0) {
		json_t *v = NULL, *msg;
		char *text;
		close(fds[0]);
		ret = place_fds(&fds[1]);
		if (ret == 0)
			ret = confine_job(j);
		if (ret == 0)
			ret = run_job(&v, j);
		msg = json_pack("{s:i, s:o, s:s}", "ret", ret, "value", v ? v : json_null(),
				"error", ret < 0 ? err_last() : "");
		text = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text || util_write_all(fds[1], text, strlen(text)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	ret = strbuf_read_fd(&sb, fds[0]);
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			ret = err_errno(CAIRN_ERROR, "waitpid");
			goto out;
		}
	}
	if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGALRM || WTERMSIG(st) == SIGXCPU)) {
		ret = err_set(CAIRN_ERROR,
			      "%s: reading it took longer than cairn allows a summary (%d s of "
			      "CPU, %d s in all): not summarised",
			      j->name ? j->name : j->path, FORMATS_JOB_CPU, job_wall());
		goto out;
	}
	if (WIFSIGNALED(st)) {
		ret =
		    err_set(CAIRN_ERROR, "%s: damaged file: the %s library crashed reading it (%s)",
			    j->name ? j->name : j->path, j->kind == FORMATS_HDF5 ? "HDF5" : "GDAL",
			    strsignal(WTERMSIG(st)));
		goto out;
	}
	if (ret < 0)
		goto out;
	res = json_loadb(sb.buf, sb.len, JSON_DECODE_ANY, &jerr);
	if (!res || !json_is_integer(json_object_get(res, "ret"))) {
		ret = err_set(CAIRN_ERROR, "%s: reading it failed (status %d)",
			      j->name ? j->name : j->path, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		goto out;
	}
	ret = (int)json_integer_value(json_object_get(res, "ret"));
	if (ret < 0) {
		err_set(ret, "%s", json_string_value(json_object_get(res, "error")));
		goto out;
	}
	*out = json_incref(json_object_get(res, "value"));
out:
	json_decref(res);
	strbuf_release(&sb);
	return ret;
}

static int parse_job(struct job *j, const json_t *o)
{
	const char *op = json_string_value(json_object_get(o, "op"));

	memset(j, 0, sizeof(*j));
	j->path = json_string_value(json_object_get(o, "path"));
	j->name = json_string_value(json_object_get(o, "name"));
	j->b = json_string_value(json_object_get(o, "b"));
	j->kind = (enum formats_kind)json_integer_value(json_object_get(o, "kind"));
	j->flags = (unsigned)json_integer_value(json_object_get(o, "flags"));
	j->config = json_object_get(o, "config");
	if (!op || !j->path)
		return err_set(CAIRN_EUSAGE, "a job needs op and path");
	if (!strcmp(op, "info"))
		j->op = JOB_INFO;
	else if (!strcmp(op, "fingerprint"))
		j->op = JOB_FINGERPRINT;
	else if (!strcmp(op, "diff") && j->b)
		j->op = JOB_DIFF;
	else if (!strcmp(op, "remote"))
		j->op = JOB_REMOTE;
	else
		return err_set(CAIRN_EUSAGE, "unknown job '%s'", op);
	return 0;
}

/* ---- serve mode ------------------------------------------------------------- */

#define SERVE_MSG_MAX (4 << 20)
#define SERVE_FDS_MAX 250

/*
 * An input read where it lies (not from the content store): is it still
 * the file cairn saw (size and modification time) when the step ended?
 * A later step may have replaced it meanwhile; its summary would then
 * be another content's under this content's key.
 */
static int still_same(const json_t *o)
{
	json_t *size = json_object_get(o, "size"), *mtime = json_object_get(o, "mtime_ns");
	const char *path = json_string_value(json_object_get(o, "path"));
	struct stat st;

	if (!json_is_integer(size) || !json_is_integer(mtime))
		return 1;
	if (stat(path, &st) < 0)
		return 0;
	return (json_int_t)st.st_size == json_integer_value(size) &&
	    (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ==
	    json_integer_value(mtime);
}

static void sync_parent(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int dfd;

	if (slash && slash != dir) {
		*slash = '\0';
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	free(dir);
}

/* Write TEXT to PATH whole or not at all, durably: a temporary file
 * beside it, fsync, rename, fsync of the directory (made as needed). */
static int put_durably(const char *path, const char *text)
{
	char *tmp = xstrfmt("%s.tmp.XXXXXX", path), *dir = xstrdup(path), *p;
	int fd, dfd, ret = -1;

	for (p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(dir, 0755) == 0)
			sync_parent(dir); /* (a new directory's name, durable too) */
		*p = '/';
	}
	*strrchr(dir, '/') = '\0';
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	if (fchmod(fd, 0444) < 0 || util_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = dfd >= 0 && fsync(dfd) == 0 ? 0 : -1;
	if (dfd >= 0)
		close(dfd);
out:
	free(tmp);
	free(dir);
	return ret;
}

static void remove_durably(const char *path)
{
	char *dir;
	int dfd;

	if (!path || unlink(path) < 0)
		return;
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
}

/*
 * Keep job O's answer where cairn's store wants it: the summary (or the
 * file's error, as much a property of its bytes) at O's `out`, with
 * `size_bytes`, then O's pending job (`done`) removed -- in that order,
 * so that a crash leaves the job pending, never a record's summary lost.
 * A transient error (the file changed before it was read) is not kept:
 * only the pending job goes.
 */
static void keep(const json_t *o, int ret, json_t *v, int transient)
{
	const char *out = json_string_value(json_object_get(o, "out"));
	const char *done = json_string_value(json_object_get(o, "done"));
	json_t *sum;
	char *text;

	if (!out || !done)
		return;
	if (transient) {
		remove_durably(done);
		return;
	}
	sum = ret < 0 ? json_pack("{s:s, s:s}", "error", err_last(), "summary", "unreadable")
		      : json_incref(v);
	if (!json_is_object(sum)) {
		json_decref(sum);
		return;
	}
	if (json_is_integer(json_object_get(o, "size")))
		json_object_set(sum, "size_bytes", json_object_get(o, "size"));
	text = json_dumps(sum, JSON_COMPACT | JSON_SORT_KEYS);
	if (text && put_durably(out, text) == 0)
		remove_durably(done);
	free(text);
	json_decref(sum);
}

/* What a batch made for its jobs, removed once they are done: links
 * first, then the aliases (and their directories). */
static void cleanup(const json_t *c)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(c, "links"), i, e)
	{
		if (json_string_value(e))
			unlink(json_string_value(e));
	}
	json_array_foreach(json_object_get(c, "aliases"), i, e)
	{
		if (json_string_value(e))
			formats_alias_remove(json_string_value(e));
	}
}

/* Run one batch {id, jobs: [{op, path, name, kind, key, size, mtime_ns,
 * out, done}], fds: [numbers], cleanup} whose descriptors are HAVE,
 * keeping each answer (keep()); the answer to cairn {id, keys: [...]}. */
static json_t *serve_batch(const json_t *req, const int *have, size_t nhave)
{
	json_t *fds = json_object_get(req, "fds"), *o, *keys = json_array();
	int want[SERVE_FDS_MAX];
	size_t i;

	batch_nfds = 0;
	json_array_foreach(fds, i, o)
	{
		if (i < nhave && i < SERVE_FDS_MAX)
			want[batch_nfds++] = (int)json_integer_value(o);
	}
	batch_want = want;
	batch_have = have;
	json_array_foreach(json_object_get(req, "jobs"), i, o)
	{
		struct job j;
		json_t *v = NULL;
		int ret = parse_job(&j, o), transient = 0;
		if (ret == 0 && json_object_get(o, "mtime_ns") && !still_same(o)) {
			ret = err_set(CAIRN_ERROR, "%s changed before it was summarised", j.name);
			transient = 1;
		}
		if (ret == 0)
			ret = isolated(&v, &j);
		if (ret == 0 && j.op == JOB_INFO && json_is_object(v))
			formats__compact(v);
		keep(o, ret, v, transient);
		json_decref(v);
		if (json_object_get(o, "key"))
			json_array_append(keys, json_object_get(o, "key"));
		err_clear();
	}
	batch_nfds = 0;
	cleanup(json_object_get(req, "cleanup"));
	return json_pack("{s:O?, s:o}", "id", json_object_get(req, "id"), "keys", keys);
}

/*
 * One helper for a session: GDAL and HDF5 loaded once, before the first
 * batch arrives; batches read from SOCK (a SOCK_SEQPACKET socket, each
 * message one JSON batch with its descriptors), done in order, each
 * answer kept where the batch says (keep()) and cairn told.  Ends at
 * the end of the socket, once every batch sent before it is done (cairn
 * killed meanwhile: its last summaries are still made), or at {"end":
 * true}, answered once everything before it is done.  What is never
 * done stays pending in the store, for the next session.
 * $CAIRN_FORMATS_TEST_HOLD: answer nothing (tests of a cairn killed
 * while summaries are pending).
 */
static int serve(int sock)
{
	char *buf = xmalloc(SERVE_MSG_MAX);
	union {
		char b[CMSG_SPACE(SERVE_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	int hold = getenv("CAIRN_FORMATS_TEST_HOLD") != NULL;

	serve_sock = sock;
	formats__gdal_init();
	formats__hdf5_init();
	for (;;) {
		struct iovec iov = { buf, SERVE_MSG_MAX - 1 };
		struct msghdr mh = { 0 };
		struct cmsghdr *c;
		int have[SERVE_FDS_MAX];
		size_t nhave = 0, i;
		json_t *req, *res;
		ssize_t n;
		char *text;

		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.b;
		mh.msg_controllen = sizeof(cbuf.b);
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (i = 0; i < k && nhave < SERVE_FDS_MAX; i++)
					memcpy(&have[nhave++], CMSG_DATA(c) + i * sizeof(int),
					       sizeof(int));
			}
		}
		req = json_loadb(buf, (size_t)n, 0, NULL);
		if (json_is_true(json_object_get(req, "end"))) {
			(void)send(sock, "{\"ended\": true}", 15, MSG_NOSIGNAL);
			json_decref(req);
			for (i = 0; i < nhave; i++)
				close(have[i]);
			break;
		}
		if (hold || !json_is_object(req)) {
			json_decref(req);
			for (i = 0; i < nhave; i++)
				close(have[i]);
			continue;
		}
		res = serve_batch(req, have, nhave);
		for (i = 0; i < nhave; i++)
			close(have[i]);
		/* (cairn may have gone: the batches it sent are done anyway) */
		text = json_dumps(res, JSON_COMPACT);
		if (text)
			(void)send(sock, text, strlen(text), MSG_NOSIGNAL);
		free(text);
		json_decref(res);
		json_decref(req);
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *jobs, *results = json_array(), *o;
	json_error_t jerr;
	size_t i;
	char *text;

	util_progname = "cairn-formats";
	/* A session's helper (the socket is standard input): nobody's child
	 * but init's, ended by the end of its socket. */
	if (argc > 1 && !strcmp(argv[1], "--serve"))
		return serve(0);
	/* gone with cairn (a job that hangs does not keep it) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	if (strbuf_read_fd(&sb, 0) < 0)
		die("cannot read the jobs: %s", err_last());
	jobs = json_loadb(sb.buf, sb.len, 0, &jerr);
	if (!json_is_array(jobs))
		die("the jobs are not a JSON array: %s", jerr.text);
	json_array_foreach(jobs, i, o)
	{
		struct job j;
		json_t *v = NULL;
		int ret = parse_job(&j, o);
		if (ret == 0)
			ret = isolated(&v, &j);
		json_array_append_new(results,
				      json_pack("{s:i, s:o, s:s}", "ret", ret, "value",
						v ? v : json_null(), "error",
						ret < 0 ? err_last() : ""));
	}
	text = json_dumps(results, JSON_COMPACT);
	if (!text || util_write_all(1, text, strlen(text)) < 0)
		die("cannot write the results");
	free(text);
	json_decref(jobs);
	json_decref(results);
	strbuf_release(&sb);
	return 0;
}
