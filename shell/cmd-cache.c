/*
 * cmd-cache.c - `cairn cache stats|gc|verify|compress`: the content
 * store's upkeep (gc lives in cmd-cache-gc.c), and what cache and fsck
 * share.
 */
#include "shell-int.h"

#include "cache.h"
#include "provenance.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- shared helpers ------------------------------------------------------ */

int shell_parse_duration(int64_t *out, const char *s)
{
	char *end = NULL;
	double v;
	int64_t unit = 1;

	errno = 0;
	v = s && *s ? strtod(s, &end) : -1;
	if (errno || !end || end == s || v < 0)
		return err_set(CAIRN_EUSAGE, "'%s' is not a duration (e.g. 7d, 12h, 30m)",
			       s ? s : "");
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return err_set(CAIRN_EUSAGE, "'%s' is not a duration (e.g. 7d, 12h, 30m)", s);
	}
	if (*end && end[1])
		return err_set(CAIRN_EUSAGE, "'%s' is not a duration (e.g. 7d, 12h, 30m)", s);
	*out = (int64_t)(v * (double)unit);
	return 0;
}

int shell_parse_size(uint64_t *out, const char *s)
{
	char *end = NULL;
	double v;
	double unit = 1;

	errno = 0;
	v = s && *s ? strtod(s, &end) : -1;
	if (errno || !end || end == s || v < 0)
		return err_set(CAIRN_EUSAGE, "'%s' is not a size (e.g. 10G, 500M)", s ? s : "");
	switch (*end) {
	case '\0':
	case 'B':
	case 'b':
		break;
	case 'K':
	case 'k':
		unit = 1024.0;
		break;
	case 'M':
	case 'm':
		unit = 1024.0 * 1024;
		break;
	case 'G':
	case 'g':
		unit = 1024.0 * 1024 * 1024;
		break;
	case 'T':
	case 't':
		unit = 1024.0 * 1024 * 1024 * 1024;
		break;
	default:
		return err_set(CAIRN_EUSAGE, "'%s' is not a size (e.g. 10G, 500M)", s);
	}
	/* Allow "10GB", "10GiB". */
	if (*end && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		return err_set(CAIRN_EUSAGE, "'%s' is not a size (e.g. 10G, 500M)", s);
	*out = (uint64_t)(v * unit);
	return 0;
}

void shell_record_objects(struct cache_shaset *out, json_t *record)
{
	static const char *const keys[] = { "stdout_sha256", "stderr_sha256", "end_state_sha256" };
	json_t *w;
	size_t i;

	json_array_foreach(json_object_get(record, "writes"), i, w)
	{
		const char *sha = json_string_value(json_object_get(w, "sha256"));
		if (sha)
			cache_shaset_add(out, sha);
	}
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *sha = json_string_value(json_object_get(record, keys[i]));
		if (sha)
			cache_shaset_add(out, sha);
	}
	/* The start state, which `cairn rerun` and `verify` start from. */
	{
		const char *sha = json_string_value(
		    json_object_get(json_object_get(record, "start_state"), "state_sha256"));
		if (sha)
			cache_shaset_add(out, sha);
	}
}

size_t shell_journal_objects(struct cache_shaset *out, const char *cairn_dir)
{
	char *dir = xstrfmt("%s/journal", cairn_dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *p;
		json_t *r;
		if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		p = xstrfmt("%s/%s", dir, e->d_name);
		r = util_json_load_file(p, 0, NULL);
		if (r) {
			shell_record_objects(out, r);
			n++;
		}
		json_decref(r);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}

void shell_progress(const char *what, size_t done, size_t total)
{
	static uint64_t start, last;
	static int shown;
	uint64_t now = util_now_ns();

	if (!what) {
		if (shown)
			fprintf(stderr, "\r\033[K");
		shown = 0;
		start = 0;
		return;
	}
	if (!isatty(2) || shell_opts.quiet)
		return;
	if (!start)
		start = now;
	/* Only for work that takes over a second; ten updates a second. */
	if (now - start < 1000000000ull || (shown && now - last < 100000000ull && done < total))
		return;
	last = now;
	shown = 1;
	fprintf(stderr, "\r%s: %zu/%zu (%d%%)", what, done, total,
		total ? (int)(done * 100 / total) : 100);
}

static void human_bytes(char out[32], uint64_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (!u)
		snprintf(out, 32, "%llu B", (unsigned long long)n);
	else
		snprintf(out, 32, "%.1f %s", v, units[u]);
}

/* ---- compress ----------------------------------------------------------- */

struct cold {
	const char *cairn_dir;
	struct cache_shaset logs;
	time_t cutoff;
	size_t n;
	uint64_t saved;
	int failed;
};

static int collect_logs(json_t *rec, void *payload)
{
	struct cold *c = payload;
	const char *o = json_string_value(json_object_get(rec, "stdout_sha256"));
	const char *e = json_string_value(json_object_get(rec, "stderr_sha256"));
	cache_shaset_add(&c->logs, o);
	cache_shaset_add(&c->logs, e);
	return 0;
}

static int compress_one(const struct cache_object *o, void *payload)
{
	struct cold *c = payload;
	int64_t used = o->atime > o->mtime ? o->atime : o->mtime;
	uint64_t saved = 0;

	if (o->misnamed || o->compressed)
		return 0;
	if (used > c->cutoff && !cache_shaset_has(&c->logs, o->sha))
		return 0;
	if (cache_cas_compress(&saved, c->cairn_dir, o->sha) < 0) {
		/* A corrupt object is fsck's business; go on with the rest. */
		warn("%s", err_last());
		c->failed = 1;
		return 0;
	}
	if (saved) {
		c->n++;
		c->saved += saved;
	}
	return 0;
}

int shell_compress_cold(size_t *n, uint64_t *saved, struct prov_store *st, int64_t older_s)
{
	struct cold c = { 0 };
	int ret;

	c.cairn_dir = provenance_store_dir(st);
	c.logs = (struct cache_shaset)CACHE_SHASET_INIT;
	c.cutoff = time(NULL) - (time_t)older_s;
	if ((ret = provenance_foreach_record(st, collect_logs, &c)) < 0)
		goto out;
	ret = cache_cas_foreach(c.cairn_dir, compress_one, &c);
out:
	cache_shaset_release(&c.logs);
	*n = c.n;
	*saved = c.saved;
	return ret;
}

/* The default age after which an object counts as cold. */
#define COLD_DEFAULT "7d"

static int cache_compress(int argc, char **argv)
{
	struct prov_store *st = NULL;
	const char *older = NULL;
	struct strvec cfg = STRVEC_INIT;
	int64_t secs = 0;
	uint64_t saved = 0;
	size_t n = 0;
	int json = 0, k, ret;
	char b[32];

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--older") && k + 1 < argc)
			older = argv[++k];
		else if (!strncmp(argv[k], "--older=", 8))
			older = argv[k] + 8;
		else if (!strcmp(argv[k], "--json"))
			json = 1;
		else
			return shell_usage_error(&cmd_cache_entry,
						 "compress: unknown argument '%s'", argv[k]);
	}
	if ((ret = shell_store_open(&st, &cmd_cache_entry)))
		return ret;
	if (!older && provenance_config_values(&cfg, st, "gc.compressOlder") == 0 && cfg.nr)
		older = cfg.v[cfg.nr - 1];
	if ((ret = shell_parse_duration(&secs, older ? older : COLD_DEFAULT)) < 0)
		goto fail;
	if ((ret = shell_compress_cold(&n, &saved, st, secs)) < 0)
		goto fail;
	human_bytes(b, saved);
	if (json)
		printf("{\"compressed\": %zu, \"bytes_saved\": %llu}\n", n,
		       (unsigned long long)saved);
	else if (!shell_opts.quiet)
		printf("compressed %zu object%s, saving %s\n", n, n == 1 ? "" : "s", b);
	ret = 0;
	goto out;
fail:
	ret = shell_store_fail(&cmd_cache_entry, ret);
out:
	strvec_clear(&cfg);
	provenance_store_free(st);
	return ret;
}

/* ---- stats -------------------------------------------------------------- */

struct stats {
	size_t objects, compressed, misnamed;
	uint64_t stored, raw;
	size_t steps, cached;
	double cpu_saved;
	double energy_saved; /* joules: the saved_energy_j of hits that have one */
	size_t energy_unknown; /* hits without it (recorded before it existed) */
	json_t *sessions; /* id -> true */
	json_t *cpu; /* step id -> its CPU seconds */
	struct strvec from; /* from_step of hits without saved_cpu_s */
};

static int stat_object(const struct cache_object *o, void *payload)
{
	struct stats *s = payload;
	uint64_t raw = o->size;

	if (o->misnamed) {
		s->misnamed++;
		return 0;
	}
	s->objects++;
	s->stored += o->size;
	if (o->compressed) {
		s->compressed++;
		if (cache_cas_raw_size(&raw, o) < 0)
			raw = o->size;
	}
	s->raw += raw;
	return 0;
}

static double cpu_of(json_t *rec)
{
	json_t *res = json_object_get(rec, "resources");
	return json_number_value(json_object_get(res, "cpu_user_s")) +
	    json_number_value(json_object_get(res, "cpu_sys_s"));
}

static int stat_step(json_t *rec, void *payload)
{
	struct stats *s = payload;
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *sid = json_string_value(json_object_get(rec, "session"));

	s->steps++;
	if (sid)
		json_object_set_new(s->sessions, sid, json_true());
	if (id)
		json_object_set_new(s->cpu, id, json_real(cpu_of(rec)));
	if (json_is_true(json_object_get(rec, "cached"))) {
		json_t *saved = json_object_get(rec, "saved_cpu_s");
		const char *from = json_string_value(json_object_get(rec, "from_step"));
		s->cached++;
		if (json_is_number(json_object_get(rec, "saved_energy_j")))
			s->energy_saved +=
			    json_number_value(json_object_get(rec, "saved_energy_j"));
		else
			s->energy_unknown++;
		if (json_is_number(saved))
			s->cpu_saved += json_number_value(saved);
		else if (from)
			strvec_push(&s->from, from);
	}
	return 0;
}

static int cache_stats(int argc, char **argv)
{
	struct stats s = { 0 };
	struct cache_actions_result a;
	struct prov_store *st = NULL;
	int json = 0, k, ret;
	size_t i;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json"))
			json = 1;
		else
			return shell_usage_error(&cmd_cache_entry, "stats: unknown argument '%s'",
						 argv[k]);
	}
	if ((ret = shell_store_open(&st, &cmd_cache_entry)))
		return ret;
	s.sessions = json_object();
	s.cpu = json_object();
	if ((ret = cache_cas_foreach(provenance_store_dir(st), stat_object, &s)) < 0)
		goto fail;
	if ((ret = cache_actions_prune(&a, provenance_store_dir(st), NULL, NULL,
				       CACHE_ACTIONS_DRY_RUN, NULL)) < 0)
		goto fail;
	if ((ret = provenance_foreach_step(st, stat_step, &s)) < 0)
		goto fail;
	/* Hits recorded before saved_cpu_s existed: what the original cost. */
	for (i = 0; i < s.from.nr; i++) {
		json_t *c = json_object_get(s.cpu, s.from.v[i]), *rec = NULL;
		if (c)
			s.cpu_saved += json_number_value(c);
		else if (provenance_step_get(&rec, st, s.from.v[i]) == 0)
			s.cpu_saved += cpu_of(rec);
		json_decref(rec);
	}
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "objects", json_integer((json_int_t)s.objects));
		json_object_set_new(o, "compressed_objects",
				    json_integer((json_int_t)s.compressed));
		json_object_set_new(o, "stored_bytes", json_integer((json_int_t)s.stored));
		json_object_set_new(o, "raw_bytes", json_integer((json_int_t)s.raw));
		json_object_set_new(o, "misnamed_files", json_integer((json_int_t)s.misnamed));
		json_object_set_new(o, "action_entries", json_integer((json_int_t)a.entries));
		json_object_set_new(o, "action_candidates", json_integer((json_int_t)a.candidates));
		json_object_set_new(o, "malformed_action_entries",
				    json_integer((json_int_t)a.malformed));
		json_object_set_new(o, "sessions",
				    json_integer((json_int_t)json_object_size(s.sessions)));
		json_object_set_new(o, "steps", json_integer((json_int_t)s.steps));
		json_object_set_new(o, "cached_steps", json_integer((json_int_t)s.cached));
		json_object_set_new(o, "hit_rate",
				    json_real(s.steps ? (double)s.cached / (double)s.steps : 0));
		json_object_set_new(o, "cpu_saved_s", json_real(s.cpu_saved));
		json_object_set_new(o, "energy_saved_j", json_real(s.energy_saved));
		json_object_set_new(o, "hits_without_energy",
				    json_integer((json_int_t)s.energy_unknown));
		util_json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else {
		char b1[32], b2[32];
		human_bytes(b1, s.stored);
		human_bytes(b2, s.raw);
		printf("objects:         %zu (%zu compressed)\n", s.objects, s.compressed);
		printf("stored:          %s (%s uncompressed)\n", b1, b2);
		if (s.misnamed)
			printf("misnamed files:  %zu (see cairn fsck)\n", s.misnamed);
		printf("action cache:    %zu entries, %zu candidates\n", a.entries, a.candidates);
		printf("steps:           %zu in %zu sessions, %zu served from the cache\n", s.steps,
		       json_object_size(s.sessions), s.cached);
		printf("hit rate:        %.1f%%\n",
		       s.steps ? 100.0 * (double)s.cached / (double)s.steps : 0.0);
		printf("CPU time saved:  %.2f s\n", s.cpu_saved);
		printf("energy saved:    %.1f J, an estimate (docs/step-record.md)%s\n",
		       s.energy_saved, s.energy_unknown ? "; older hits not counted" : "");
	}
	ret = 0;
	goto out;
fail:
	ret = shell_store_fail(&cmd_cache_entry, ret);
out:
	json_decref(s.sessions);
	json_decref(s.cpu);
	strvec_clear(&s.from);
	provenance_store_free(st);
	return ret;
}

/* ---- verify ------------------------------------------------------------- */

struct verify {
	size_t total, done, ok;
	json_t *corrupt, *misnamed;
	int json;
};

static int count_object(const struct cache_object *o, void *payload)
{
	(void)o;
	((struct verify *)payload)->total++;
	return 0;
}

static int verify_object(const struct cache_object *o, void *payload)
{
	struct verify *v = payload;
	char got[SHA256_HEX_LEN + 1];
	int r;

	v->done++;
	shell_progress("verifying objects", v->done, v->total);
	if (o->misnamed) {
		json_array_append_new(v->misnamed, json_string(o->path));
		if (!v->json) {
			shell_progress(NULL, 0, 0);
			printf("misnamed: %s\n", o->path);
		}
		return 0;
	}
	r = cache_cas_check(got, NULL, o);
	if (!r) {
		v->ok++;
		return 0;
	}
	{
		json_t *e = json_object();
		json_object_set_new(e, "path", json_string(o->path));
		json_object_set_new(e, "expected", json_string(o->sha));
		json_object_set_new(e, "actual", *got ? json_string(got) : json_null());
		json_object_set_new(e, "error",
				    r == CAIRN_ECONFLICT ? json_null() : json_string(err_last()));
		json_array_append_new(v->corrupt, e);
	}
	if (!v->json) {
		shell_progress(NULL, 0, 0);
		printf("corrupt: %s\n  expected %s\n  actual   %s\n", o->path, o->sha,
		       *got ? got : err_last());
	}
	return 0;
}

static int cache_verify(int argc, char **argv)
{
	struct verify v = { 0 };
	struct prov_store *st = NULL;
	int k, ret;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json"))
			v.json = 1;
		else
			return shell_usage_error(&cmd_cache_entry, "verify: unknown argument '%s'",
						 argv[k]);
	}
	if ((ret = shell_store_open(&st, &cmd_cache_entry)))
		return ret;
	v.corrupt = json_array();
	v.misnamed = json_array();
	if ((ret = cache_cas_foreach(provenance_store_dir(st), count_object, &v)) < 0 ||
	    (ret = cache_cas_foreach(provenance_store_dir(st), verify_object, &v)) < 0) {
		shell_progress(NULL, 0, 0);
		ret = shell_store_fail(&cmd_cache_entry, ret);
		goto out;
	}
	shell_progress(NULL, 0, 0);
	if (v.json) {
		json_t *o = json_object();
		json_object_set_new(o, "objects", json_integer((json_int_t)(v.done)));
		json_object_set_new(o, "ok", json_integer((json_int_t)v.ok));
		json_object_set(o, "corrupt", v.corrupt);
		json_object_set(o, "misnamed", v.misnamed);
		util_json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else if (!shell_opts.quiet) {
		printf("%zu object%s checked: %zu good, %zu corrupt, %zu misnamed\n", v.done,
		       v.done == 1 ? "" : "s", v.ok, json_array_size(v.corrupt),
		       json_array_size(v.misnamed));
	}
	ret = json_array_size(v.corrupt) || json_array_size(v.misnamed) ? 1 : 0;
	if (ret && !v.json)
		fprintf(stderr,
			"cairn cache: the content store has damaged objects; `cairn fsck "
			"--repair` moves them to .cairn/lost+found/\n");
out:
	json_decref(v.corrupt);
	json_decref(v.misnamed);
	provenance_store_free(st);
	return ret;
}

/* ---- dispatch ----------------------------------------------------------- */

static int cmd_cache_exec(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2)
			return shell_usage_error(&cmd_cache_entry,
						 "which? stats, gc, verify or "
						 "compress");
		cmd_print_help(&cmd_cache_entry);
		return 0;
	}
	if (cmd_wants_help(argc - 1, argv + 1)) {
		cmd_print_help(&cmd_cache_entry);
		return 0;
	}
	if (!strcmp(argv[1], "stats"))
		return cache_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gc"))
		return shell_cache_gc(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cache_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "compress"))
		return cache_compress(argc - 1, argv + 1);
	return shell_usage_error(&cmd_cache_entry, "'%s' is not a cache command", argv[1]);
}

const struct cmd_entry cmd_cache_entry = {
	.name = "cache",
	.usage = "cairn cache stats|gc|verify|compress [OPTION...]",
	.summary = "Inspect, check and collect the content store and the action cache.",
	.help = "cairn cache stats [--json]\n"
		"    objects, bytes stored (and uncompressed), compressed objects, action\n"
		"    cache entries and candidates, steps, cache hits, hit rate and the CPU\n"
		"    time hits saved.\n"
		"cairn cache gc [--keep-sessions N] [--keep-younger DURATION]\n"
		"               [--max-size SIZE] [--tiered] [--dry-run] [--json] [--wait]\n"
		"               [--no-compress]\n"
		"    remove the objects that no kept record references.  A session is kept\n"
		"    when it is one of the last N, younger than DURATION (7d, 12h, 30m), or\n"
		"    the newest in its bucket with --tiered (hourly for 48 h, daily for\n"
		"    14 days, weekly for 8 weeks).  --max-size SIZE (10G, 500M) keeps every\n"
		"    session but drops the oldest ones not kept by another rule until the\n"
		"    store fits.  Without options: .cairn/config's gc.keepSessions,\n"
		"    gc.keepYounger, gc.maxSize, gc.tiered; without those, the last 10\n"
		"    sessions and anything younger than 30 days.  Records stay in the\n"
		"    lineage (checkout of a collected version fails, saying why); action\n"
		"    cache candidates whose objects went are dropped.  Then cold objects\n"
		"    are compressed (see compress).  Refuses to run while a cairn session\n"
		"    is running, unless --wait.\n"
		"cairn cache verify [--json]\n"
		"    re-hash every object (compressed ones decompressed); list the corrupt\n"
		"    ones with expected and actual hash.  Exit status 1 when any is bad.\n"
		"cairn cache compress [--older DURATION] [--json]\n"
		"    compress (zstd) objects neither read nor written for DURATION (default\n"
		"    gc.compressOlder, else 7d; by the later of atime and mtime), and every\n"
		"    captured log; only when it saves a tenth.\n",
	.exec = cmd_cache_exec,
};
