/*
 * prov-fixture - record fixture steps through the real provenance API.
 *
 * A stand-in for the step runner in the store's tests: it builds a full
 * step.json (every field of docs/step-record.md) from a short
 * description, hashing the files named as read or written as they are on
 * disk now and storing written files in the CAS, then calls
 * provenance_record_step().  Not installed.
 *
 *   prov-fixture [-C DIR] init
 *   prov-fixture [-C DIR] step [--id ID] [--session S] [--seq N]
 *        [--command TEXT] [--started TIME] [--finished TIME] [--status N]
 *        [--cached FROM] [--script PATH] [--read PATH]... [--exec PATH]...
 *        [--absent PATH]... [--write PATH]... [--delete PATH]...
 *        [--argv 'PROGRAM ARG...']... [--no-cas]
 *   prov-fixture [-C DIR] record FILE.json
 *   prov-fixture [-C DIR] synth N [STEPS_PER_SESSION [FIRST [FILES]]]
 *
 * `step` prints the new step's id.  DIR is the project root (default:
 * found from the working directory, else the working directory).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "provenance.h"

static const char *default_session = "20261130T090000Z-0f1c7e00";

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr, "usage: prov-fixture [-C DIR] init|step|record|synth ...\n");
	exit(2);
}

static void now_rfc3339(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 13, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

static int cmp_path(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(json_string_value(json_object_get(x, "path")),
		      json_string_value(json_object_get(y, "path")));
}

/* Sort the array of {path, ...} objects ARR by path, as records are. */
static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v = xcalloc(n + 1, sizeof(*v)), *out = json_array();
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), cmp_path);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

static json_t *file_entry(struct prov_store *st, const char *user_path, const char *kind,
			  int is_write, int cas)
{
	json_t *e = json_object();
	char *rel = NULL, *full;
	char sha[65];
	uint64_t size = 0;
	struct stat sb;

	if (provenance_relpath(&rel, st, user_path) < 0)
		die("%s", err_last());
	full = rel[0] == '/' ? xstrdup(rel) : xstrfmt("%s/%s", provenance_store_root(st), rel);
	json_object_set_new(e, "path", json_string(rel));
	if (!strcmp(kind, "absent") || !strcmp(kind, "deleted")) {
		json_object_set_new(e, "sha256", json_null());
		json_object_set_new(e, "size", json_null());
	} else {
		if (util_sha256_file(sha, &size, full) < 0)
			die("%s", err_last());
		json_object_set_new(e, "sha256", json_string(sha));
		json_object_set_new(e, "size", json_integer((json_int_t)size));
		if (is_write && cas) {
			char put[65];
			if (cache_cas_put_file(put, provenance_store_dir(st), full) < 0)
				die("%s", err_last());
		}
	}
	if (is_write) {
		char mode[8] = "0644";
		if (strcmp(kind, "deleted") && stat(full, &sb) == 0)
			snprintf(mode, sizeof(mode), "%04o", (unsigned)(sb.st_mode & 07777));
		json_object_set_new(e, "mode",
				    strcmp(kind, "deleted") ? json_string(mode) : json_null());
	}
	json_object_set_new(e, "kind", json_string(kind));
	free(full);
	free(rel);
	return e;
}

struct seqcount {
	const char *session;
	int n;
};

static int count_session(json_t *rec, void *payload)
{
	struct seqcount *c = payload;
	if (!strcmp(json_string_value(json_object_get(rec, "session")) ?: "", c->session))
		c->n++;
	return 0;
}

static json_t *base_record(const char *id, const char *session, int seq, const char *command,
			   const char *started, const char *finished, int status)
{
	json_t *r = json_object();
	json_object_set_new(r, "record_version", json_integer(1));
	json_object_set_new(r, "id", json_string(id));
	json_object_set_new(r, "session", json_string(session));
	json_object_set_new(r, "seq", json_integer(seq));
	json_object_set_new(r, "command", json_string(command));
	json_object_set_new(r, "line", json_integer(seq));
	json_object_set_new(r, "script", json_null());
	json_object_set_new(r, "shell", json_string("bash"));
	json_object_set_new(r, "shell_path", json_string("/usr/bin/bash"));
	json_object_set_new(r, "start_state",
			    json_pack("{s:s, s:{s:s}, s:[], s:{}, s:s, s:n}", "cwd", ".", "env",
				      "PATH", "/usr/bin:/bin", "vars", "functions", "options",
				      "set +o allexport", "state_sha256"));
	json_object_set_new(r, "state_change",
			    json_pack("{s:n, s:n, s:n, s:n, s:i}", "cwd", "env", "vars",
				      "functions", "exit_status", status));
	json_object_set_new(r, "started", json_string(started));
	json_object_set_new(r, "finished", json_string(finished));
	json_object_set_new(r, "exit_status", json_integer(status));
	json_object_set_new(r, "signal", json_null());
	json_object_set_new(r, "interrupted", json_false());
	json_object_set_new(r, "cached", json_false());
	json_object_set_new(r, "sandbox",
			    json_pack("{s:b, s:b, s:n, s:s, s:[]}", "sandboxed", 1, "network", 0,
				      "limits", "image", "Linux (fixture)", "refused"));
	return r;
}

static void finish_record(json_t *r, json_t *reads, json_t *writes, json_t *exec_tree, double wall)
{
	json_object_set_new(r, "reads", sorted(reads));
	json_object_set_new(r, "writes", sorted(writes));
	json_object_set_new(r, "exec_tree", exec_tree);
	json_object_set_new(r, "stdout_sha256", json_null());
	json_object_set_new(r, "stderr_sha256", json_null());
	json_object_set_new(r, "resources",
			    json_pack("{s:f, s:f, s:f, s:i, s:i, s:i}", "cpu_user_s", wall * 0.6,
				      "cpu_sys_s", wall * 0.2, "wall_s", wall, "max_rss_kb", 4096,
				      "read_bytes", 0, "write_bytes", 0));
	json_object_set_new(r, "formats", json_object());
	json_object_set_new(r, "tags", json_object());
}

static int do_step(struct prov_store *st, int argc, char **argv)
{
	const char *session = getenv("PROV_SESSION") ? getenv("PROV_SESSION") : default_session;
	const char *command = "true", *id = NULL, *cached = NULL, *script = NULL;
	char started[32] = "", finished[32] = "", idbuf[65];
	json_t *reads = json_array(), *writes = json_array(), *exec_tree = json_array(), *r;
	int seq = 0, status = 0, cas = 1, i, pid = 3;
	double wall = 0.25;

	json_array_append_new(exec_tree,
			      json_pack("{s:i, s:i, s:[s, s, s], s:s, s:n}", "pid", 2, "ppid", 1,
					"argv", "bash", "-c", "(command)", "exe", "/usr/bin/bash",
					"exe_sha256"));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;
		if (!strcmp(a, "--no-cas")) {
			cas = 0;
			takes = 0;
		} else if (!v) {
			usage();
		} else if (!strcmp(a, "--id")) {
			id = v;
		} else if (!strcmp(a, "--session")) {
			session = v;
		} else if (!strcmp(a, "--seq")) {
			seq = atoi(v);
		} else if (!strcmp(a, "--command")) {
			command = v;
		} else if (!strcmp(a, "--started")) {
			snprintf(started, sizeof(started), "%s", v);
		} else if (!strcmp(a, "--finished")) {
			snprintf(finished, sizeof(finished), "%s", v);
		} else if (!strcmp(a, "--status")) {
			status = atoi(v);
		} else if (!strcmp(a, "--wall")) {
			wall = atof(v);
		} else if (!strcmp(a, "--cached")) {
			cached = v;
		} else if (!strcmp(a, "--script")) {
			script = v;
		} else if (!strcmp(a, "--read")) {
			json_array_append_new(reads, file_entry(st, v, "file", 0, 0));
		} else if (!strcmp(a, "--exec")) {
			json_array_append_new(reads, file_entry(st, v, "exec", 0, 0));
		} else if (!strcmp(a, "--absent")) {
			json_array_append_new(reads, file_entry(st, v, "absent", 0, 0));
		} else if (!strcmp(a, "--write")) {
			json_array_append_new(writes, file_entry(st, v, "file", 1, cas));
		} else if (!strcmp(a, "--delete")) {
			json_array_append_new(writes, file_entry(st, v, "deleted", 1, 0));
		} else if (!strcmp(a, "--argv")) {
			json_t *av = json_array(), *e;
			char *copy = xstrdup(v), *save = NULL, *w;
			for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
				json_array_append_new(av, json_string(w));
			e = json_pack("{s:i, s:i, s:o, s:n, s:n}", "pid", pid++, "ppid", 2, "argv",
				      av, "exe", "exe_sha256");
			if (json_array_size(av)) {
				char *exe = xstrfmt("/usr/bin/%s",
						    json_string_value(json_array_get(av, 0)));
				json_object_set_new(e, "exe", json_string(exe));
				free(exe);
			}
			json_array_append_new(exec_tree, e);
			free(copy);
		} else {
			usage();
		}
		i += takes;
	}
	json_array_set_new(json_object_get(json_array_get(exec_tree, 0), "argv"), 2,
			   json_string(command));
	if (!*started)
		now_rfc3339(started);
	if (!*finished)
		snprintf(finished, sizeof(finished), "%s", started);
	if (!seq) {
		struct seqcount c = { session, 0 };
		if (provenance_foreach_step(st, count_session, &c) < 0)
			die("%s", err_last());
		seq = c.n + 1;
	}
	if (!id) {
		char *seed = xstrfmt("%s\n%d\n%s\n%d", session, seq, started, (int)getpid());
		util_sha256_hex(idbuf, seed, strlen(seed));
		idbuf[32] = '\0';
		free(seed);
		id = idbuf;
	}
	r = base_record(id, session, seq, command, started, finished, status);
	if (script)
		json_object_set_new(r, "script", json_string(script));
	if (cached) {
		json_object_set_new(r, "cached", json_true());
		json_object_set_new(r, "from_step", json_string(cached));
	}
	finish_record(r, reads, writes, exec_tree, wall);
	if (provenance_record_step(st, r) < 0) {
		fprintf(stderr, "prov-fixture: %s\n", err_last());
		json_decref(r);
		return 1;
	}
	printf("%s\n", id);
	json_decref(r);
	return 0;
}

static int do_record(struct prov_store *st, const char *file)
{
	json_error_t jerr;
	json_t *r = json_load_file(file, 0, &jerr);
	int ret = 0;
	if (!r) {
		fprintf(stderr, "prov-fixture: %s: %s\n", file, jerr.text);
		return 1;
	}
	if (provenance_record_step(st, r) < 0) {
		fprintf(stderr, "prov-fixture: %s\n", err_last());
		ret = 1;
	} else {
		printf("%s\n", json_string_value(json_object_get(r, "id")));
	}
	json_decref(r);
	return ret;
}

/* N synthetic steps: step i reads f<i-1> and writes f<i> (fake hashes),
 * PER steps to a session, i from FIRST (1: a new store; N+1 goes on with
 * a store of N); with FILES, f<i mod FILES> (a project of FILES files
 * rewritten again and again); for benchmarks of big stores. */
static int do_synth(struct prov_store *st, long n, long per, long first, long files)
{
	long i;
	for (i = first; i < first + n; i++) {
		char session[64], started[32], id[65], sha[65];
		char *seed = xstrfmt("synth %ld", i), *cmd, *in, *out;
		long s = (i - 1) / per;
		json_t *r, *reads = json_array(), *writes = json_array();
		time_t t = 1796208000 + (time_t)i * 60; /* 2026-12-01 onwards */
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
		snprintf(session, sizeof(session), "20261201T000000Z-%08lx", s);
		util_sha256_hex(id, seed, strlen(seed));
		id[32] = '\0';
		in = xstrfmt("data/f%ld", files > 0 ? (i - 1) % files : i - 1);
		out = xstrfmt("data/f%ld", files > 0 ? i % files : i);
		cmd = xstrfmt("gdalwarp -m %ld %s %s", i % 24, in, out);
		util_sha256_hex(sha, in, strlen(in));
		json_array_append_new(reads,
				      json_pack("{s:s, s:s, s:i, s:s}", "path", in, "sha256", sha,
						"size", 100, "kind", "file"));
		util_sha256_hex(sha, out, strlen(out));
		json_array_append_new(writes,
				      json_pack("{s:s, s:s, s:i, s:s, s:s}", "path", out, "sha256",
						sha, "size", 100, "mode", "0644", "kind", "file"));
		r = base_record(id, session, (int)((i - 1) % per + 1), cmd, started, started, 0);
		finish_record(r, reads, writes,
			      json_pack("[{s:i, s:i, s:[s, s, i, s, s], s:n, s:n}]", "pid", 2,
					"ppid", 1, "argv", "gdalwarp", "-m", (int)(i % 24), in, out,
					"exe", "exe_sha256"),
			      0.5);
		if (provenance_record_step(st, r) < 0)
			die("step %ld: %s", i, err_last());
		json_decref(r);
		free(seed);
		free(cmd);
		free(in);
		free(out);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct prov_store *st = NULL;
	const char *dir = NULL;
	char *root = NULL;
	int ret = 2;

	util_progname = "prov-fixture";
	if (argc > 2 && !strcmp(argv[1], "-C")) {
		dir = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		usage();
	if (!dir) {
		if (provenance_find_root(&root, ".") < 0)
			root = xstrdup(".");
		dir = root;
	}
	if (provenance_store_open(&st, dir, 1) < 0)
		die("%s", err_last());
	if (!strcmp(argv[1], "init"))
		ret = 0;
	else if (!strcmp(argv[1], "step"))
		ret = do_step(st, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "record") && argc == 3)
		ret = do_record(st, argv[2]);
	else if (!strcmp(argv[1], "synth") && argc >= 3)
		ret = do_synth(st, atol(argv[2]), argc > 3 ? atol(argv[3]) : 100,
			       argc > 4 ? atol(argv[4]) : 1, argc > 5 ? atol(argv[5]) : 0);
	else
		usage();
	provenance_store_free(st);
	free(root);
	return ret;
}
