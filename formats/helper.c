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
#include <sys/wait.h>
#include <unistd.h>

enum job_op { JOB_INFO, JOB_FINGERPRINT, JOB_DIFF, JOB_REMOTE };

/* What one job may take: address space, CPU seconds, seconds in all. */
#define FORMATS_JOB_MEM (8ULL << 30)
#define FORMATS_JOB_CPU 600
#define FORMATS_JOB_WALL 300

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

static int isolated(json_t **out, const struct job *j)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *res = NULL;
	json_error_t jerr;
	int fds[2], st = 0, ret;
	pid_t pid;

	*out = NULL;
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

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *jobs, *results = json_array(), *o;
	json_error_t jerr;
	size_t i;
	char *text;

	util_progname = "cairn-formats";
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
