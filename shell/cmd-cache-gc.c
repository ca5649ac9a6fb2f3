/*
 * cmd-cache-gc.c - `cairn cache gc`: choose the sessions to keep by the
 * retention policy, keep every object their records reference, remove
 * the rest, then compress what is cold.
 */
#include "shell-int.h"

#include "cache.h"
#include "provenance.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The defaults when neither the command line nor .cairn/config sets a
 * policy: the last 10 sessions, and anything younger than 30 days. */
#define GC_DEFAULT_SESSIONS 10
#define GC_DEFAULT_YOUNGER (30 * 86400)
#define GC_DEFAULT_COLD (7 * 86400)

struct session {
	char *id;
	int64_t time; /* the newest `finished` of its steps, in ms */
	size_t steps;
	struct cache_shaset objects;
	int kept; /* by a rule (protected) */
	int keep; /* in the end */
};

struct sessions {
	struct session *v;
	size_t nr, alloc;
};

struct policy {
	long keep_sessions; /* -1: not set */
	int64_t keep_younger; /* -1: not set */
	int has_max_size;
	uint64_t max_size;
	int tiered;
};

/* "2026-12-02T13:30:00.123Z" to milliseconds since the epoch (sessions
 * started within one second must still sort); -1 when it does not
 * parse. */
static int64_t parse_time_ms(const char *s)
{
	struct tm tm = { 0 };
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	int64_t ms = 0, scale = 100;

	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ms += (*p - '0') * scale;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static struct session *session_of(struct sessions *ss, const char *id)
{
	size_t i;
	for (i = ss->nr; i-- > 0;)
		if (!strcmp(ss->v[i].id, id))
			return &ss->v[i];
	ALLOC_GROW(ss->v, ss->nr + 1, ss->alloc);
	memset(&ss->v[ss->nr], 0, sizeof(ss->v[ss->nr]));
	ss->v[ss->nr].id = xstrdup(id);
	ss->v[ss->nr].time = -1;
	ss->v[ss->nr].objects = (struct cache_shaset)CACHE_SHASET_INIT;
	return &ss->v[ss->nr++];
}

static int collect(json_t *rec, void *payload)
{
	struct sessions *ss = payload;
	const char *sid = json_string_value(json_object_get(rec, "session"));
	struct session *s = session_of(ss, sid ? sid : "?");
	int64_t t = parse_time_ms(json_string_value(json_object_get(rec, "finished")));

	if (t > s->time)
		s->time = t;
	s->steps++;
	shell_record_objects(&s->objects, rec);
	return 0;
}

/* Newest first. */
static int cmp_session(const void *a, const void *b)
{
	const struct session *x = a, *y = b;
	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	return -strcmp(x->id, y->id);
}

/* Keep the newest session of each bucket: hourly for 48 h, daily for 14
 * days, weekly for 8 weeks (by age). */
static void keep_tiered(struct sessions *ss, int64_t now)
{
	int64_t last_bucket = INT64_MIN;
	int last_tier = -1;
	size_t i;

	/* Sessions are sorted newest first, so the first one seen in a
	 * bucket is its newest. */
	for (i = 0; i < ss->nr; i++) {
		int64_t t = ss->v[i].time / 1000, age = now - t, bucket;
		int tier;
		if (age < 48 * 3600) {
			tier = 0;
			bucket = t / 3600;
		} else if (age < 14 * 86400) {
			tier = 1;
			bucket = t / 86400;
		} else if (age < 8 * 7 * 86400) {
			tier = 2;
			bucket = t / (7 * 86400);
		} else {
			continue;
		}
		if (tier != last_tier || bucket != last_bucket)
			ss->v[i].kept = 1;
		last_tier = tier;
		last_bucket = bucket;
	}
}

/* Sizes on disk of the present objects, for the size budget. */
struct sized {
	char sha[SHA256_HEX_LEN + 1];
	uint64_t size;
	size_t refs;
};
struct sizes {
	struct sized *v;
	size_t nr, alloc;
};

static int add_size(const struct cache_object *o, void *payload)
{
	struct sizes *z = payload;
	if (o->misnamed)
		return 0;
	ALLOC_GROW(z->v, z->nr + 1, z->alloc);
	memcpy(z->v[z->nr].sha, o->sha, sizeof(o->sha));
	z->v[z->nr].size = o->size;
	z->v[z->nr].refs = 0;
	z->nr++;
	return 0;
}

static int cmp_sized(const void *a, const void *b)
{
	return strcmp(((const struct sized *)a)->sha, ((const struct sized *)b)->sha);
}

static struct sized *find_sized(struct sizes *z, const char *sha)
{
	struct sized key;
	memcpy(key.sha, sha, sizeof(key.sha));
	return bsearch(&key, z->v, z->nr, sizeof(*z->v), cmp_sized);
}

/*
 * The size budget: every session starts kept; drop the oldest ones no
 * other rule keeps until the objects of those left fit in MAX.  An
 * object shared by several sessions counts once and goes only with the
 * last of them.  Returns the bytes the kept sessions need.
 */
static int keep_within(uint64_t *out, struct sessions *ss, const char *cairn_dir, uint64_t max)
{
	struct sizes z = { 0 };
	uint64_t total = 0;
	size_t i, j;
	int ret;

	if ((ret = cache_cas_foreach(cairn_dir, add_size, &z)) < 0)
		goto out;
	if (z.nr)
		qsort(z.v, z.nr, sizeof(*z.v), cmp_sized);
	for (i = 0; i < ss->nr; i++) {
		struct cache_shaset *o = &ss->v[i].objects;
		ss->v[i].keep = 1;
		for (j = 0; j < o->nr; j++) {
			struct sized *s = find_sized(&z, o->v[j]);
			if (s && !s->refs++)
				total += s->size;
		}
	}
	for (i = ss->nr; i-- > 0 && total > max;) {
		struct cache_shaset *o = &ss->v[i].objects;
		if (ss->v[i].kept)
			continue;
		ss->v[i].keep = 0;
		for (j = 0; j < o->nr; j++) {
			struct sized *s = find_sized(&z, o->v[j]);
			if (s && !--s->refs)
				total -= s->size;
		}
	}
	*out = total;
out:
	free(z.v);
	return ret;
}

/* Fill P from .cairn/config (the last value of each key wins). */
static int policy_from_config(struct policy *p, struct prov_store *st, int *any)
{
	static const char *const keys[] = { "gc.keepSessions", "gc.keepYounger", "gc.maxSize",
					    "gc.tiered" };
	size_t i;
	int ret = 0;

	*any = 0;
	for (i = 0; i < ARRAY_SIZE(keys) && !ret; i++) {
		struct strvec v = STRVEC_INIT;
		const char *val;
		if ((ret = provenance_config_values(&v, st, keys[i])) < 0 || !v.nr) {
			strvec_clear(&v);
			continue;
		}
		val = v.v[v.nr - 1];
		*any = 1;
		if (i == 0) {
			char *end;
			p->keep_sessions = strtol(val, &end, 10);
			if (*end || p->keep_sessions < 0)
				ret = err_set(CAIRN_EUSAGE, "gc.keepSessions: '%s' is not a count",
					      val);
		} else if (i == 1) {
			ret = shell_parse_duration(&p->keep_younger, val);
		} else if (i == 2) {
			ret = shell_parse_size(&p->max_size, val);
			p->has_max_size = 1;
		} else {
			p->tiered = !strcmp(val, "true") || !strcmp(val, "yes") ||
			    !strcmp(val, "on") || !strcmp(val, "1");
		}
		strvec_clear(&v);
	}
	return ret;
}

/*
 * Remember which sessions gc collected, in CAIRN_DIR/gc.json
 * ({"collected_sessions": [...]}, merged with what it held): their
 * records may name objects that are gone, and fsck must not call that
 * damage.  Written whole (temporary file, rename).
 */
static int note_collected(const char *cairn_dir, const struct sessions *ss)
{
	char *path = xstrfmt("%s/gc.json", cairn_dir), *tmp = xstrfmt("%s.tmp", path);
	json_t *doc = util_json_load_file(path, 0, NULL), *list, *ids = json_object(), *v;
	const char *id;
	size_t i;
	int ret = 0;

	json_array_foreach(json_object_get(doc, "collected_sessions"), i, v)
	{
		if (json_is_string(v))
			json_object_set_new(ids, json_string_value(v), json_true());
	}
	for (i = 0; i < ss->nr; i++)
		if (!ss->v[i].keep)
			json_object_set_new(ids, ss->v[i].id, json_true());
	json_decref(doc);
	doc = json_object();
	list = json_array();
	json_object_foreach(ids, id, v)
	{
		json_array_append_new(list, json_string(id));
	}
	json_object_set_new(doc, "collected_sessions", list);
	if (util_json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) < 0 ||
	    rename(tmp, path) < 0) {
		unlink(tmp);
		ret = err_set(CAIRN_ERROR, "cannot write %s", path);
	}
	json_decref(doc);
	json_decref(ids);
	free(path);
	free(tmp);
	return ret;
}

int shell_cache_gc(int argc, char **argv)
{
	struct policy p = { -1, -1, 0, 0, 0 };
	struct sessions ss = { 0 };
	struct cache_shaset keep = CACHE_SHASET_INIT;
	struct cache_gc_result r;
	struct prov_store *st = NULL;
	struct strvec cold = STRVEC_INIT;
	const char *cmdline_policy = NULL;
	int dry_run = 0, json = 0, wait = 0, compress = 1, any = 0, lock = -1, k, ret;
	int64_t now = time(NULL), cold_s = GC_DEFAULT_COLD;
	uint64_t need = 0, saved = 0;
	size_t i, j, nkept = 0, pending, ncompressed = 0;

	for (k = 1; k < argc; k++) {
		const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
		if (!strcmp(a, "--keep-sessions") && v) {
			char *end;
			p.keep_sessions = strtol(v, &end, 10);
			if (*end || !*v || p.keep_sessions < 0)
				return shell_usage_error(&cmd_cache_entry,
							 "--keep-sessions: '%s' is not a count", v);
			cmdline_policy = a;
			k++;
		} else if (!strcmp(a, "--keep-younger") && v) {
			if (shell_parse_duration(&p.keep_younger, v) < 0)
				return shell_usage_error(&cmd_cache_entry, "--keep-younger: %s",
							 err_last());
			cmdline_policy = a;
			k++;
		} else if (!strcmp(a, "--max-size") && v) {
			if (shell_parse_size(&p.max_size, v) < 0)
				return shell_usage_error(&cmd_cache_entry, "--max-size: %s",
							 err_last());
			p.has_max_size = 1;
			cmdline_policy = a;
			k++;
		} else if (!strcmp(a, "--tiered")) {
			p.tiered = 1;
			cmdline_policy = a;
		} else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			dry_run = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--wait")) {
			wait = 1;
		} else if (!strcmp(a, "--no-compress")) {
			compress = 0;
		} else {
			return shell_usage_error(&cmd_cache_entry, "gc: unknown argument '%s'", a);
		}
	}
	if ((ret = shell_store_open(&st, &cmd_cache_entry)))
		return ret;
	if (!cmdline_policy && (ret = policy_from_config(&p, st, &any)) < 0)
		goto fail;
	if (!cmdline_policy && !any) {
		p.keep_sessions = GC_DEFAULT_SESSIONS;
		p.keep_younger = GC_DEFAULT_YOUNGER;
	}
	if ((ret = provenance_config_values(&cold, st, "gc.compressOlder")) < 0 ||
	    (cold.nr && (ret = shell_parse_duration(&cold_s, cold.v[cold.nr - 1])) < 0))
		goto fail;

	/* No session may store an object (not yet recorded) while we
	 * decide what is referenced.  A dry run changes nothing. */
	if (!dry_run && (ret = cache_lock_exclusive(&lock, provenance_store_dir(st), wait)) < 0)
		goto fail;

	if ((ret = provenance_foreach_record(st, collect, &ss)) < 0)
		goto fail;
	if (ss.nr)
		qsort(ss.v, ss.nr, sizeof(*ss.v), cmp_session);
	for (i = 0; i < ss.nr; i++) {
		if (p.keep_sessions >= 0 && i < (size_t)p.keep_sessions)
			ss.v[i].kept = 1;
		if (p.keep_younger >= 0 && ss.v[i].time / 1000 >= now - p.keep_younger)
			ss.v[i].kept = 1;
	}
	if (p.tiered)
		keep_tiered(&ss, now);
	if (p.has_max_size) {
		if ((ret = keep_within(&need, &ss, provenance_store_dir(st), p.max_size)) < 0)
			goto fail;
		if (need > p.max_size)
			warn("the sessions other rules keep need %llu bytes, more than --max-size "
			     "%llu",
			     (unsigned long long)need, (unsigned long long)p.max_size);
	} else {
		for (i = 0; i < ss.nr; i++)
			ss.v[i].keep = ss.v[i].kept;
	}
	for (i = 0; i < ss.nr; i++) {
		struct cache_shaset *o = &ss.v[i].objects;
		if (!ss.v[i].keep)
			continue;
		nkept++;
		for (j = 0; j < o->nr; j++)
			cache_shaset_add(&keep, o->v[j]);
	}
	/* Records a killed session left for the next one to store. */
	pending = shell_journal_objects(&keep, provenance_store_dir(st));

	if (!dry_run && (ret = note_collected(provenance_store_dir(st), &ss)) < 0)
		goto fail;
	if ((ret = cache_gc_sweep(&r, provenance_store_dir(st), &keep, dry_run)) < 0)
		goto fail;
	if (!dry_run && compress &&
	    (ret = shell_compress_cold(&ncompressed, &saved, st, cold_s)) < 0)
		goto fail;

	if (json) {
		json_t *o = json_object(), *kept = json_array(), *gone = json_array();
		for (i = 0; i < ss.nr; i++)
			json_array_append_new(ss.v[i].keep ? kept : gone, json_string(ss.v[i].id));
		json_object_set_new(o, "dry_run", json_boolean(dry_run));
		json_object_set_new(o, "sessions", json_integer((json_int_t)ss.nr));
		json_object_set_new(o, "kept_sessions", kept);
		json_object_set_new(o, "collected_sessions", gone);
		json_object_set_new(o, "pending_records", json_integer((json_int_t)pending));
		json_object_set_new(o, "objects_removed", json_integer((json_int_t)r.removed));
		json_object_set_new(o, "bytes_removed", json_integer((json_int_t)r.removed_bytes));
		json_object_set_new(o, "objects_kept", json_integer((json_int_t)r.kept));
		json_object_set_new(o, "bytes_kept", json_integer((json_int_t)r.kept_bytes));
		json_object_set_new(o, "action_candidates_dropped",
				    json_integer((json_int_t)r.actions.dropped));
		json_object_set_new(o, "action_entries_removed",
				    json_integer((json_int_t)r.actions.removed));
		json_object_set_new(o, "objects_compressed", json_integer((json_int_t)ncompressed));
		json_object_set_new(o, "bytes_saved_by_compression",
				    json_integer((json_int_t)saved));
		util_json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
	} else if (!shell_opts.quiet) {
		const char *verb = dry_run ? "would remove" : "removed";
		printf("kept %zu of %zu session%s\n", nkept, ss.nr, ss.nr == 1 ? "" : "s");
		printf("%s %zu object%s (%llu bytes); kept %zu (%llu bytes)\n", verb, r.removed,
		       r.removed == 1 ? "" : "s", (unsigned long long)r.removed_bytes, r.kept,
		       (unsigned long long)r.kept_bytes);
		if (r.actions.dropped)
			printf("%s %zu action cache candidate%s (%zu entr%s emptied)\n",
			       dry_run ? "would drop" : "dropped", r.actions.dropped,
			       r.actions.dropped == 1 ? "" : "s", r.actions.removed,
			       r.actions.removed == 1 ? "y" : "ies");
		if (ncompressed)
			printf("compressed %zu object%s, saving %llu bytes\n", ncompressed,
			       ncompressed == 1 ? "" : "s", (unsigned long long)saved);
	}
	ret = 0;
	goto out;
fail:
	ret = shell_store_fail(&cmd_cache_entry, ret);
out:
	cache_unlock(lock);
	for (i = 0; i < ss.nr; i++) {
		free(ss.v[i].id);
		cache_shaset_release(&ss.v[i].objects);
	}
	free(ss.v);
	cache_shaset_release(&keep);
	strvec_clear(&cold);
	provenance_store_free(st);
	return ret;
}
