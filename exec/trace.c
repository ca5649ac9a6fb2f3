/*
 * trace.c - from what the recorder saw to the record's reads.
 *
 * The recorder reports every path a step's processes named, made
 * absolute, in the order first seen.  Here each becomes an input (or
 * not): a path the step had written before reading it is not one; paths
 * are resolved through symlinks (each link met is itself a read); what
 * a path held is looked up where the step's view got it from, which is
 * the state before the step ran, because the step's own writes went to
 * its upper directories: the project and the session's /tmp as
 * committed so far, the home layer, or the host.
 */
#include "exec-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* ---- a string set (open addressing) -------------------------------------- */

struct strset {
	char **slots;
	int *vals;
	uint64_t *hashes;
	size_t cap, nr;
};

/* FNV-1a: the hash of a string's every prefix comes in one pass. */
#define HASH_STR0 1469598103934665603ULL
static uint64_t hash_add(uint64_t h, char c)
{
	return (h ^ (unsigned char)c) * 1099511628211ULL;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = HASH_STR0;
	for (; *s; s++)
		h = hash_add(h, *s);
	return h;
}

/* The slot for the LEN bytes at S (hash H): its own, or the empty one
 * where it would go.  Hashes are compared first: keys below one deep
 * directory share long beginnings. */
static size_t strset_slot(const struct strset *set, const char *s, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (set->cap - 1);
	while (set->slots[i] &&
	       (set->hashes[i] != h || strncmp(set->slots[i], s, len) || set->slots[i][len]))
		i = (i + 1) & (set->cap - 1);
	return i;
}

/* The value of the LEN bytes at S, whose hash is H, or NULL. */
static int *strset_get_n(struct strset *set, const char *s, size_t len, uint64_t h)
{
	size_t i;
	if (!set->cap)
		return NULL;
	i = strset_slot(set, s, len, h);
	return set->slots[i] ? &set->vals[i] : NULL;
}

static int *strset_get(struct strset *set, const char *s)
{
	return strset_get_n(set, s, strlen(s), hash_str(s));
}

static int *strset_put(struct strset *set, const char *s, int val)
{
	uint64_t h = hash_str(s);
	size_t i, len = strlen(s);
	if ((set->nr + 1) * 2 > set->cap) {
		struct strset bigger = { 0 };
		size_t j;
		bigger.cap = set->cap ? set->cap * 2 : 64;
		bigger.slots = xcalloc(bigger.cap, sizeof(char *));
		bigger.vals = xcalloc(bigger.cap, sizeof(int));
		bigger.hashes = xcalloc(bigger.cap, sizeof(uint64_t));
		for (j = 0; j < set->cap; j++) {
			if (!set->slots[j])
				continue;
			for (i = (size_t)set->hashes[j] & (bigger.cap - 1); bigger.slots[i];
			     i = (i + 1) & (bigger.cap - 1))
				;
			bigger.slots[i] = set->slots[j];
			bigger.vals[i] = set->vals[j];
			bigger.hashes[i] = set->hashes[j];
		}
		bigger.nr = set->nr;
		free(set->slots);
		free(set->vals);
		free(set->hashes);
		*set = bigger;
	}
	i = strset_slot(set, s, len, h);
	if (!set->slots[i]) {
		set->slots[i] = xstrdup(s);
		set->vals[i] = val;
		set->hashes[i] = h;
		set->nr++;
	}
	return &set->vals[i];
}

static void strset_clear(struct strset *set)
{
	size_t i;
	for (i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	free(set->vals);
	free(set->hashes);
	memset(set, 0, sizeof(*set));
}

/* ---- hashing -------------------------------------------------------------- */

int exec__hash_file(struct exec_session *s, char out[SHA256_HEX_LEN + 1], const char *path,
		    const struct stat *st)
{
	if (!s->memo)
		s->memo = cache_memo_load(s->cairn_dir);
	return cache_memo_hash(s->memo, out, path, st);
}

/* ---- paths -------------------------------------------------------------- */

/* If PATH is DIR or below it, the rest ("" or "a/b"), else NULL. */
const char *exec__under(const char *path, const char *dir)
{
	size_t n;
	if (!dir)
		return NULL;
	n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path + 1;
	if (strncmp(path, dir, n))
		return NULL;
	if (path[n] == '\0')
		return path + n;
	if (path[n] == '/')
		return path + n + 1;
	return NULL;
}

/*
 * The step's own view, as it changed during the step: what the step's
 * symlink, rename and link calls (and, once one of those was seen, its
 * unlink, rmdir, mkdir and file creations) made of a path, replayed in the
 * order of the trace.  Paths without an entry, nor an entry above them,
 * are as they were before the step.
 */
enum change_kind {
	CH_NONE, /* no entry (one that moved away) */
	CH_GONE, /* removed: absent, and everything below it */
	CH_DIR, /* made by the step: holds only what has entries below it */
	CH_FILE, /* made or written by the step */
	CH_LINK, /* a symlink the step made; text: its text */
	CH_FROM, /* moved here: text: the path it had before the step */
};

struct change {
	int kind;
	char *text;
};

struct ctx {
	struct exec_session *s;
	struct strset links; /* symlinks met on the way (their text is read again
				when the record is written) */
	struct strset realdirs; /* directories known to have no link on the way */
	struct strset changed; /* path in the step's view -> index in changes */
	struct change *changes;
	size_t nchanges, alloc_changes;
	/* a CH_LINK or CH_FROM entry was made: a name may now lead where it
	 * did not before the step */
	int redirects;
	/* the trace points a name elsewhere somewhere (a symlink, rename or
	 * link call): every change of the namespace is replayed from the
	 * first event, so that a directory the step made before its first
	 * symlink is there when a read goes through that symlink */
	int replay_all;
	struct strbuf host; /* scratch of before_lstat() and before_readlink() */
	/* prefixes resolved in the view before the step (which stays as it
	 * is), and in the view as changed so far (emptied by change_set()) */
	struct util_path_cache before_cache, now_cache;
	struct util_path_end *ends; /* scratch of view_origin() */
	size_t alloc_ends;
};

/*
 * Where the content that the step saw at PATH (its view) was when it
 * started.  Returns 0, or 1 when PATH was hidden (a whiteout in the home
 * layer), so absent.
 */
static int host_path(struct ctx *c, const char *path, struct strbuf *out)
{
	struct exec_session *s = c->s;
	const char *rest;
	strbuf_reset(out);
	/* --into: what the into directory holds shows above the project. */
	if (s->into && (rest = exec__under(path, s->root)) && *rest) {
		struct stat st;
		/* What the chain writes is hidden until it does (the layer
		 * above the into directory). */
		if (s->into_hide) {
			char *slash;
			int below = 1; /* the layer may hold PATH */
			strbuf_addf(out, "%s/%s", s->into_hide, rest);
			/* below a directory the chain is yet to make: absent.
			 * Down to where the layer ends: it holds nothing below a
			 * name it lacks (a path 2000 deep costs an lstat or two,
			 * not 2000). */
			for (slash = strchr(out->buf + strlen(s->into_hide) + 1, '/');
			     slash && below; slash = strchr(slash + 1, '/')) {
				int gone, found;
				*slash = '\0';
				found = !lstat(out->buf, &st);
				gone = found && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
				below = found && S_ISDIR(st.st_mode);
				*slash = '/';
				if (gone) {
					strbuf_reset(out);
					strbuf_addstr(out, path);
					return 1;
				}
			}
			if (below && !lstat(out->buf, &st)) {
				if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(0, 0))
					return 0; /* an input in its recorded version */
				strbuf_reset(out);
				strbuf_addstr(out, path);
				return 1;
			}
			strbuf_reset(out);
		}
		strbuf_addf(out, "%s/%s", s->into, rest);
		if (!lstat(out->buf, &st))
			return 0;
		strbuf_reset(out);
	}
	/* Innermost first: the project, a script's directory or $HOME may
	 * be mounted inside the session's /tmp. */
	if (exec__under(path, s->root) || exec__under(path, s->script_dir) ||
	    exec__under(path, s->into)) {
		strbuf_addstr(out, path);
		/* The step's own earlier outputs were hidden from it. */
		return exec__in_sorted(&s->hidden, path);
	}
	if (s->home && (rest = exec__under(path, s->home))) {
		struct stat st;
		strbuf_addstr(out, s->home_upper);
		if (*rest)
			strbuf_addf(out, "/%s", rest);
		if (!lstat(out->buf, &st)) {
			if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
				return 1;
			return 0;
		}
		strbuf_reset(out);
		strbuf_addstr(out, path);
		return 0;
	}
	if ((rest = exec__under(path, "/tmp")) && s->tmp_lower) {
		strbuf_addstr(out, s->tmp_lower);
		if (*rest)
			strbuf_addf(out, "/%s", rest);
		return 0;
	}
	strbuf_addstr(out, path);
	return 0;
}

int exec__view_host(struct exec_session *s, const char *name, struct strbuf *out)
{
	struct ctx c = { 0 };
	struct strbuf view = STRBUF_INIT;
	int ret;
	c.s = s;
	if (name[0] == '/') {
		strbuf_addstr(&view, name);
	} else {
		strbuf_addstr(&view, s->root);
		if (strcmp(name, "."))
			strbuf_addf(&view, "/%s", name);
	}
	ret = host_path(&c, view.buf, out);
	strbuf_release(&view);
	return ret;
}

/* ---- the view before the step ----------------------------------------- */

/* lstat PATH as the step saw it when it started (util_path_view). */
static int before_lstat(const char *path, int last, struct stat *st, void *payload)
{
	struct ctx *c = payload;
	if (!last && strset_get(&c->realdirs, path)) {
		st->st_mode = S_IFDIR;
		return 0;
	}
	if (host_path(c, path, &c->host) || lstat(c->host.buf, st) < 0)
		return -1;
	if (!last && S_ISDIR(st->st_mode))
		strset_put(&c->realdirs, path, 1);
	return 0;
}

/* The text of the symlink PATH before the step; every link met is a read. */
static int before_readlink(const char *path, struct strbuf *out, void *payload)
{
	struct ctx *c = payload;
	char target[PATH_MAX];
	ssize_t n;
	if (host_path(c, path, &c->host))
		return -1;
	n = readlink(c->host.buf, target, sizeof(target));
	if (n <= 0 || n >= (ssize_t)sizeof(target))
		return -1;
	strset_put(&c->links, path, 1);
	strbuf_add(out, target, (size_t)n);
	return 0;
}

static const struct util_path_view before_view = { before_lstat, before_readlink };

/*
 * Resolve PATH as the kernel would in the step's view as it started:
 * every symlink on the way (and the last component unless NOFOLLOW) is
 * followed and noted.  OUT: the resolved path; *EXISTS and ST for what
 * it names.
 */
static void resolve(struct ctx *c, const char *path, int nofollow, struct strbuf *out,
		    struct stat *st, int *exists)
{
	*exists = util_path_resolve(out, path, nofollow, &before_view, &c->before_cache, st, c);
}

/* ---- the view as the step changed it --------------------------------------- */

enum origin { OR_BEFORE, OR_GONE, OR_STEP };

/*
 * Where PATH (resolved in the step's changed view) comes from: OR_BEFORE,
 * with OUT the path that held it before the step; OR_STEP, the step made
 * it (*ENTRY says what); OR_GONE, absent by the step's doing.
 */
static enum origin view_origin(struct ctx *c, const char *path, struct strbuf *out,
			       const struct change **entry)
{
	size_t full = strlen(path), n = 0, i;
	uint64_t h = HASH_STR0;

	strbuf_reset(out);
	if (!c->changed.nr)
		goto before;
	/* PATH and each of its directories (not the root): their lengths
	 * and hashes in one pass, then looked up from the longest, so that
	 * a path 2000 deep costs its length, not its length times its
	 * depth. */
	for (i = 0; i <= full; i++) {
		if ((i == full || path[i] == '/') && i > 1) {
			ALLOC_GROW(c->ends, n + 1, c->alloc_ends);
			c->ends[n].pos = i;
			c->ends[n].hash = h;
			n++;
		}
		if (i < full)
			h = hash_add(h, path[i]);
	}
	while (n--) {
		size_t len = c->ends[n].pos;
		int *idx = strset_get_n(&c->changed, path, len, c->ends[n].hash);
		if (idx && c->changes[*idx].kind != CH_NONE) {
			const struct change *e = &c->changes[*idx];
			if (e->kind == CH_FROM) {
				strbuf_addstr(out, e->text);
				strbuf_addstr(out, path + len);
				return OR_BEFORE;
			}
			*entry = e;
			return len == full && e->kind != CH_GONE ? OR_STEP : OR_GONE;
		}
	}
before:
	strbuf_addstr(out, path);
	return OR_BEFORE;
}

/*
 * Look PATH up in the changed view: lstat it (into ST; LAST as for
 * util_path_view) when LINK is NULL, else read the symlink's text into
 * LINK (ST unused).  0 or -1.
 */
static int now_lookup(struct ctx *c, const char *path, int last, struct stat *st,
		      struct strbuf *link)
{
	const struct change *e = NULL;
	struct strbuf orig = STRBUF_INIT;
	int ret = -1;

	switch (view_origin(c, path, &orig, &e)) {
	case OR_BEFORE:
		ret =
		    link ? before_readlink(orig.buf, link, c) : before_lstat(orig.buf, last, st, c);
		break;
	case OR_STEP:
		if (link) {
			if (e->kind == CH_LINK) {
				strbuf_addstr(link, e->text);
				ret = 0;
			}
			break;
		}
		memset(st, 0, sizeof(*st));
		st->st_mode = e->kind == CH_DIR ? S_IFDIR | 0755
		    : e->kind == CH_LINK	? S_IFLNK | 0777
						: S_IFREG | 0644;
		ret = 0;
		break;
	case OR_GONE:
	default:
		break;
	}
	strbuf_release(&orig);
	return ret;
}

static int now_lstat(const char *path, int last, struct stat *st, void *payload)
{
	return now_lookup(payload, path, last, st, NULL);
}

static int now_readlink(const char *path, struct strbuf *out, void *payload)
{
	struct stat unused;
	return now_lookup(payload, path, 0, &unused, out);
}

static const struct util_path_view now_view = { now_lstat, now_readlink };

/* Resolve PATH in the step's view as it stands in the replay (see
 * resolve()); *EXISTS and ST for what it names. */
static void resolve_now(struct ctx *c, const char *path, int nofollow, struct strbuf *out,
			struct stat *st, int *exists)
{
	*exists = util_path_resolve(out, path, nofollow, &now_view, &c->now_cache, st, c);
}

/*
 * Set the entry of PATH (resolved in the changed view) to KIND, TEXT.
 * FRESH: PATH was absent in the changed view.  What c->now_cache holds
 * was resolved component by component, each one found, so no entry of it
 * passed through PATH or below it then: it stays true.  Otherwise the
 * cache is emptied.
 */
static void change_set(struct ctx *c, const char *path, int kind, const char *text, int fresh)
{
	int *idx = strset_get(&c->changed, path);
	struct change *e;
	if (!idx) {
		ALLOC_GROW(c->changes, c->nchanges + 1, c->alloc_changes);
		c->changes[c->nchanges].text = NULL;
		idx = strset_put(&c->changed, path, (int)c->nchanges++);
	}
	e = &c->changes[*idx];
	/* The view changed: what its prefixes resolved to may have. */
	if (!fresh)
		util_path_cache_release(&c->now_cache);
	free(e->text);
	e->kind = kind;
	e->text = text ? xstrdup(text) : NULL;
	if (kind == CH_LINK || kind == CH_FROM)
		c->redirects = 1;
}

/* Move the entries below FROM/ to below TO/ (a directory renamed); what
 * was below TO/ is gone. */
static void change_move_below(struct ctx *c, const char *from, const char *to)
{
	struct strvec keys = STRVEC_INIT;
	size_t i, nfrom = strlen(from);
	for (i = 0; i < c->changed.cap; i++) {
		const char *k = c->changed.slots[i];
		if (k && c->changes[c->changed.vals[i]].kind != CH_NONE &&
		    ((exec__under(k, from) && k[nfrom]) || (exec__under(k, to) && k[strlen(to)])))
			strvec_push(&keys, k);
	}
	/* The old entries below TO first, then those that move there. */
	for (i = 0; i < keys.nr; i++)
		if (!exec__under(keys.v[i], from))
			change_set(c, keys.v[i], CH_NONE, NULL, 0);
	for (i = 0; i < keys.nr; i++) {
		struct strbuf dst = STRBUF_INIT;
		const struct change *e;
		int kind;
		char *text;
		if (!exec__under(keys.v[i], from))
			continue;
		e = &c->changes[*strset_get(&c->changed, keys.v[i])];
		kind = e->kind;
		text = e->text ? xstrdup(e->text) : NULL;
		change_set(c, keys.v[i], CH_NONE, NULL, 0);
		strbuf_addf(&dst, "%s%s", to, keys.v[i] + nfrom);
		change_set(c, dst.buf, kind, text, 0);
		free(text);
		strbuf_release(&dst);
	}
	strvec_clear(&keys);
}

/* Was KEY, as resolve_now() left it, absent in the changed view?  (Not
 * found is not enough: a resolution also stops at a link it cannot
 * follow.) */
static int absent_now(struct ctx *c, int exists, const char *key)
{
	struct stat st;
	return !exists && now_lstat(key, 1, &st, c) < 0;
}

/*
 * Replay one namespace change of the step (event E) over the changed
 * view.  Calls that failed cannot be told from those that did not: a
 * symlink is taken as made even where something was there.  Reads are
 * also resolved in the view before the step (add_read()), so a change
 * taken wrongly costs at worst an input too many.
 */
static void replay_change(struct ctx *c, const struct sandbox_event *e)
{
	struct strbuf key = STRBUF_INIT, key2 = STRBUF_INIT, orig = STRBUF_INIT;
	const struct change *from = NULL;
	struct stat st;
	int exists;

	switch (e->op) {
	case SANDBOX_OP_SYMLINK:
		resolve_now(c, e->path, 1, &key, &st, &exists);
		change_set(c, key.buf, CH_LINK, e->path2 ? e->path2 : "",
			   absent_now(c, exists, key.buf));
		break;
	case SANDBOX_OP_RENAME:
	case SANDBOX_OP_LINK: {
		enum origin o;
		int dir, kind;
		if (!e->path2)
			break;
		resolve_now(c, e->path, e->op == SANDBOX_OP_RENAME || e->nofollow, &key, &st,
			    &exists);
		if (!exists)
			break; /* it failed: nothing to move */
		dir = S_ISDIR(st.st_mode);
		resolve_now(c, e->path2, 1, &key2, &st, &exists);
		if (!strcmp(key.buf, key2.buf))
			break;
		o = view_origin(c, key.buf, &orig, &from);
		if (o == OR_GONE)
			break;
		/* Copied out: the moves below may grow c->changes. */
		kind = CH_FROM;
		if (o == OR_STEP) {
			kind = from->kind;
			strbuf_reset(&orig);
			if (from->text)
				strbuf_addstr(&orig, from->text);
		}
		if (e->op == SANDBOX_OP_RENAME && dir)
			change_move_below(c, key.buf, key2.buf);
		change_set(c, key2.buf, kind, kind == CH_LINK || kind == CH_FROM ? orig.buf : NULL,
			   absent_now(c, exists, key2.buf));
		if (e->op == SANDBOX_OP_RENAME)
			change_set(c, key.buf, CH_GONE, NULL, 0);
		break;
	}
	case SANDBOX_OP_UNLINK:
	case SANDBOX_OP_RMDIR:
	case SANDBOX_OP_MKDIR:
	case SANDBOX_OP_MKNOD:
		/* Only when a name may lead elsewhere somewhere in the trace:
		 * else the written paths say as much. */
		if (!c->replay_all)
			break;
		resolve_now(c, e->path, 1, &key, &st, &exists);
		change_set(c, key.buf,
			   e->op == SANDBOX_OP_MKDIR	   ? CH_DIR
			       : e->op == SANDBOX_OP_MKNOD ? CH_FILE
							   : CH_GONE,
			   NULL, absent_now(c, exists, key.buf));
		break;
	case SANDBOX_OP_OPEN:
		if (!c->replay_all || !sandbox_event_writes(e))
			break;
		resolve_now(c, e->path, e->nofollow, &key, &st, &exists);
		change_set(c, key.buf, CH_FILE, NULL, absent_now(c, exists, key.buf));
		break;
	default:
		break;
	}
	strbuf_release(&key);
	strbuf_release(&key2);
	strbuf_release(&orig);
}

/* Paths that are not data: the kernel's, the devices, cairn's own. */
int exec__tool_cache(const struct exec_session *s, const char *path)
{
	size_t i;
	for (i = 0; i < s->tool_view.nr; i++)
		if (exec__under(path, s->tool_view.v[i]))
			return 1;
	return 0;
}

static int ignored(const struct exec_session *s, const char *path)
{
	return exec__under(path, "/proc") || exec__under(path, "/sys") ||
	    exec__under(path, "/dev") || exec__under(path, s->scratch) ||
	    exec__under(path, s->cairn_dir) || exec__tool_cache(s, path);
}

/*
 * Kernel files whose content may differ from one run to the next even
 * on the same machine (random numbers, load, uptime, memory) or from one
 * machine to another (processors, the cgroup's CPU and memory limits).
 * Named, not ignored, so that `why` and `verify` can say why outputs
 * may differ; the cache rule does not look at them.
 */
int exec__nondeterministic(const char *path)
{
	static const char *const exact[] = {
		"/dev/random",	      "/dev/urandom",	       "/proc/cpuinfo", "/proc/meminfo",
		"/proc/stat",	      "/proc/loadavg",	       "/proc/uptime",	"/proc/vmstat",
		"/proc/pressure/cpu", "/proc/pressure/memory",
	};
	static const char *const under[] = {
		"/proc/sys/kernel/random", /* uuid, boot_id, entropy */
		"/sys/devices/system/cpu", /* online, possible, cpuN/... (nproc) */
		"/sys/devices/system/node", /* NUMA nodes */
	};
	/* cgroup limits (v2 and v1) that runtimes size themselves by */
	static const char *const cgroup_files[] = {
		"cpu.max",	     "cpuset.cpus.effective", "cpuset.cpus",
		"memory.max",	     "memory.high",	      "cpu.cfs_quota_us",
		"cpu.cfs_period_us", "memory.limit_in_bytes",
	};
	const char *rest, *base;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exact); i++)
		if (!strcmp(path, exact[i]))
			return 1;
	for (i = 0; i < ARRAY_SIZE(under); i++)
		if (exec__under(path, under[i]))
			return 1;
	if ((rest = exec__under(path, "/sys/fs/cgroup")) && *rest) {
		base = strrchr(path, '/') + 1;
		for (i = 0; i < ARRAY_SIZE(cgroup_files); i++)
			if (!strcmp(base, cgroup_files[i]))
				return 1;
	}
	return 0;
}

/* Where may the step write?  (Elsewhere the sandbox refuses.) */
static int writable(const struct exec_session *s, const char *path)
{
	size_t i;
	if (exec__under(path, s->root) || exec__under(path, "/tmp") ||
	    (s->home && exec__under(path, s->home)) || exec__under(path, "/dev") ||
	    exec__under(path, "/proc"))
		return 1;
	for (i = 0; i < s->writable.nr; i++)
		if (exec__under(path, s->writable.v[i]))
			return 1;
	return 0;
}

/* How the record names PATH: relative to the project root, else absolute. */
void exec__record_name(const struct exec_session *s, struct strbuf *out, const char *path)
{
	const char *rest = exec__under(path, s->root);
	strbuf_reset(out);
	if (rest)
		strbuf_addstr(out, *rest ? rest : ".");
	else
		strbuf_addstr(out, path);
}

enum read_kind { RK_ABSENT = 1, RK_STAT, RK_SYMLINK, RK_DIR, RK_FILE, RK_EXEC };
static const char *const kind_names[] = { "", "absent", "stat", "symlink", "dir", "file", "exec" };

struct read {
	char *path; /* resolved, the step's view */
	int kind;
	int script; /* the shell reading its own program */
	int xattrs; /* its extended attributes were read */
	int named; /* reached by the project's name (SANDBOX_NAMED_PATH) */
	/* RK_DIR: every listing was GDAL's look for sidecars of the files in
	 * SIDECARS_OF (names; listings_probe()), or LISTED_WHOLE */
	int listed_whole;
	struct strvec sidecars_of;
};

/* What else add_read() notes about a read. */
enum { READ_SCRIPT = 1, READ_XATTRS = 2, READ_NAMED = 4 };

static int cmp_read(const void *a, const void *b)
{
	return strcmp(((const struct read *)a)->path, ((const struct read *)b)->path);
}

static int cmp_str_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int exec__in_sorted(const struct strvec *v, const char *path)
{
	return v && v->nr && bsearch(&path, v->v, v->nr, sizeof(char *), cmp_str_p);
}

int exec__sidecar_name(const char *entry, const struct strvec *of)
{
	size_t i;
	for (i = 0; i < of->nr; i++) {
		const char *name = of->v[i], *dot = strrchr(name, '.');
		size_t full = strlen(name), stem = dot && dot != name ? (size_t)(dot - name) : full;
		/* x.tif.aux.xml, x.tif.ovr, x.tif.msk; x.tfw, x.prj, x.aux,
		 * x.wld, x.IMD, x_RPC.TXT (any case); the file itself */
		if (!strncasecmp(entry, name, full) && (!entry[full] || entry[full] == '.'))
			return 1;
		if (!strncasecmp(entry, name, stem) &&
		    (entry[stem] == '.' || !strncasecmp(entry + stem, "_rpc", 4)))
			return 1;
	}
	return 0;
}

int exec__dir_hash(const char *host, const char *view, const struct strvec *skip,
		   const struct strvec *sidecars_of, char sha[SHA256_HEX_LEN + 1], size_t *count)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf all = STRBUF_INIT, p = STRBUF_INIT;
	struct dirent *e;
	size_t i;
	DIR *d = opendir(host);
	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (sidecars_of && !exec__sidecar_name(e->d_name, sidecars_of))
				continue;
			if (skip && skip->nr) {
				strbuf_reset(&p);
				strbuf_addf(&p, "%s/%s", view, e->d_name);
				if (exec__in_sorted(skip, p.buf))
					continue;
			}
			strvec_push(&names, e->d_name);
		}
		closedir(d);
	}
	strbuf_release(&p);
	qsort(names.v, names.nr, sizeof(char *), cmp_str_p);
	for (i = 0; i < names.nr; i++) {
		if (i)
			strbuf_addch(&all, '\n');
		strbuf_addstr(&all, names.v[i]);
	}
	util_sha256_hex(sha, all.buf, all.len);
	*count = names.nr;
	strvec_clear(&names);
	strbuf_release(&all);
	return d ? 0 : -1;
}

/*
 * Did the file at ST change while the step ran?  Its ctime is then no
 * earlier than the coarse clock as the step began (file timestamps come
 * from that clock, or a finer one); what the session itself put in
 * place just before does not count.  A change in the same clock tick
 * before the step began counts too: at worst a step is not stored.
 */
/* Does HOST lie in a layer only cairn and the session's steps change
 * (the session's /tmp, its home layer, the rerun layers)? */
static int session_made(const struct exec_session *s, const char *host)
{
	return (s->tmp_lower && exec__under(host, s->tmp_lower)) ||
	    (s->home_upper && exec__under(host, s->home_upper)) ||
	    (s->into_hide && exec__under(host, s->into_hide)) ||
	    (s->into_view && s->into && strcmp(s->into_view, s->into) &&
	     exec__under(host, s->into_view));
}

static int changed_while_running(const struct exec_session *s, const struct stat *st)
{
	uint64_t ct = (uint64_t)st->st_ctim.tv_sec * 1000000000ULL + (uint64_t)st->st_ctim.tv_nsec;
	size_t i;
	if (!s->step_t0 || ct < s->step_t0)
		return 0;
	for (i = 0; i < s->nplaced; i++)
		if (s->placed[i].ino == (uint64_t)st->st_ino &&
		    s->placed[i].dev == (uint64_t)st->st_dev && s->placed[i].ctime == ct)
			return 0;
	return 1;
}

static int xattr_name_visible(const char *name)
{
	/* overlayfs's own bookkeeping: a step never sees it */
	return strncmp(name, "trusted.overlay.", 16) && strncmp(name, "user.overlay.", 13);
}

int exec__xattr_hash(const char *host, char sha[SHA256_HEX_LEN + 1])
{
	struct strvec names = STRVEC_INIT;
	struct strbuf all = STRBUF_INIT, val = STRBUF_INIT;
	char *list = NULL, *p;
	ssize_t n = 0;
	size_t i;
	int ret = 0, tries;

	/* The list can grow between the two calls: ERANGE asks again. */
	for (tries = 0; tries < 4; tries++) {
		n = llistxattr(host, NULL, 0);
		if (n <= 0)
			break;
		free(list);
		list = xmalloc((size_t)n + 1);
		n = llistxattr(host, list, (size_t)n);
		if (n >= 0 || errno != ERANGE)
			break;
	}
	/* ENOTSUP, ENODATA: no attributes (the hash of nothing). */
	if (n < 0 && errno != ENOTSUP && errno != ENODATA)
		ret = -1;
	for (p = list; n > 0 && p < list + n; p += strlen(p) + 1)
		if (*p && xattr_name_visible(p))
			strvec_push(&names, p);
	qsort(names.v, names.nr, sizeof(char *), cmp_str_p);
	for (i = 0; i < names.nr; i++) {
		ssize_t len = lgetxattr(host, names.v[i], NULL, 0);
		strbuf_reset(&val);
		if (len > 0) {
			strbuf_grow(&val, (size_t)len);
			len = lgetxattr(host, names.v[i], val.buf, (size_t)len);
		}
		if (len < 0) {
			ret = -1;
			len = 0;
		}
		/* NAME NUL LENGTH ':' VALUE: values may hold any byte */
		strbuf_add(&all, names.v[i], strlen(names.v[i]) + 1);
		strbuf_addf(&all, "%zd:", len);
		strbuf_add(&all, val.buf, (size_t)len);
	}
	util_sha256_hex(sha, all.buf, all.len);
	free(list);
	strvec_clear(&names);
	strbuf_release(&all);
	strbuf_release(&val);
	return ret;
}

/* The permission bits of ST as records show modes ("0755"). */
static void set_mode(json_t *o, const struct stat *st)
{
	char mode[8];
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
	json_object_set_new(o, "mode", json_string(mode));
}

/* A listed directory (VIEW, as the step saw it): the hash of its sorted
 * entry names, and how many; without the files hidden from the step; of
 * the names that may be sidecars of the files R->sidecars_of only, when
 * every listing was GDAL's look for them. */
static void dir_entry(const struct exec_session *s, const struct read *r, const char *host,
		      json_t *o)
{
	char sha[SHA256_HEX_LEN + 1];
	size_t n, i;
	int probe = !r->listed_whole && r->sidecars_of.nr;
	exec__dir_hash(host, r->path, &s->hidden, probe ? &r->sidecars_of : NULL, sha, &n);
	json_object_set_new(o, "sha256", json_string(sha));
	json_object_set_new(o, "entries", json_integer((json_int_t)n));
	json_object_set_new(o, "size", json_null());
	if (probe) {
		json_t *a = json_array();
		for (i = 0; i < r->sidecars_of.nr; i++)
			json_array_append_new(a, util_json_str(r->sidecars_of.v[i]));
		json_object_set_new(o, "sidecars_of", a);
	}
}

/* Note a read of RES (resolved: what it names is ST when EXISTS) as KIND;
 * WHAT: READ_SCRIPT, READ_XATTRS. */
static void note_read(struct ctx *c, struct strset *reads, struct read **arr, size_t *nr,
		      size_t *alloc, const struct strset *written, const char *res, int exists,
		      const struct stat *st, int kind, unsigned what)
{
	int *idx;

	if (ignored(c->s, res) || strset_get((struct strset *)written, res))
		return;
	if (!exists)
		kind = RK_ABSENT;
	else if (S_ISDIR(st->st_mode) && kind != RK_DIR)
		kind = RK_STAT;
	else if (S_ISLNK(st->st_mode))
		kind = RK_SYMLINK;
	else if (!S_ISREG(st->st_mode) && (kind == RK_FILE || kind == RK_EXEC))
		kind = RK_STAT; /* FIFOs, sockets, devices: no content to hash */
	idx = strset_get(reads, res);
	if (idx) {
		struct read *r = &(*arr)[*idx];
		if (kind > r->kind)
			r->kind = kind;
		r->script &= !!(what & READ_SCRIPT);
		r->xattrs |= !!(what & READ_XATTRS);
		r->named |= !!(what & READ_NAMED);
		return;
	}
	ALLOC_GROW(*arr, *nr + 1, *alloc);
	(*arr)[*nr].path = xstrdup(res);
	(*arr)[*nr].kind = kind;
	(*arr)[*nr].script = !!(what & READ_SCRIPT);
	(*arr)[*nr].xattrs = !!(what & READ_XATTRS);
	(*arr)[*nr].named = !!(what & READ_NAMED);
	(*arr)[*nr].listed_whole = 0;
	strvec_init(&(*arr)[*nr].sidecars_of);
	strset_put(reads, res, (int)*nr);
	(*nr)++;
}

/*
 * Note a read of PATH (the step's view, unresolved) unless written first.
 * Once the step pointed a name elsewhere (a symlink, a rename, a link),
 * PATH is also resolved in its view as changed so far, and what that
 * reaches from before the step is read too: `ln -sf data/big.csv in.csv;
 * wc -l < in.csv` reads data/big.csv.  What the step made is no input.
 */
static void add_read(struct ctx *c, struct strset *reads, struct read **arr, size_t *nr,
		     size_t *alloc, const struct strset *written, const char *path, int kind,
		     int nofollow, unsigned what)
{
	struct strbuf res = STRBUF_INIT, orig = STRBUF_INIT;
	const struct change *e = NULL;
	struct stat st;
	int exists;

	resolve(c, path, nofollow, &res, &st, &exists);
	/* Into the project through a link from outside it (~/current ->
	 * ~/proj): by the project's name. */
	if (!exec__under(path, c->s->root) && exec__under(res.buf, c->s->root))
		what |= READ_NAMED;
	note_read(c, reads, arr, nr, alloc, written, res.buf, exists, &st, kind, what);
	if (c->redirects) {
		resolve_now(c, path, nofollow, &res, &st, &exists);
		if (view_origin(c, res.buf, &orig, &e) == OR_BEFORE)
			note_read(c, reads, arr, nr, alloc, written, orig.buf, exists, &st, kind,
				  what);
	}
	strbuf_release(&res);
	strbuf_release(&orig);
}

/* Note that the step wrote PATH (the last component not followed). */
static void add_write(struct ctx *c, struct strset *written, json_t *refused, const char *path)
{
	struct strbuf res = STRBUF_INIT;
	struct stat st;
	int exists;
	/* in the step's view as it is then: `rm l; mkdir l; echo > l/f`
	 * writes l/f, not what l led to before the step */
	if (c->replay_all)
		resolve_now(c, path, 1, &res, &st, &exists);
	else
		resolve(c, path, 1, &res, &st, &exists);
	if (!strset_get(written, res.buf)) {
		strset_put(written, res.buf, 1);
		if (!writable(c->s, res.buf))
			json_array_append_new(refused, util_json_str(res.buf));
	}
	strbuf_release(&res);
}

/*
 * A path is created in its directory, which must be there: the directory
 * of a path the step creates is a read (a `stat`, or `absent` when it was
 * missing and the creation failed -- a step that falls back when it
 * cannot write may not be served once the directory exists).
 */
static void add_parent_read(struct ctx *c, struct strset *reads, struct read **arr, size_t *nr,
			    size_t *alloc, const struct strset *written, const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	char *dir;
	if (!slash || slash == path)
		return;
	dir = xstrndup(path, (size_t)(slash - path));
	add_read(c, reads, arr, nr, alloc, written, dir, RK_STAT, 0, 0);
	free(dir);
}

/*
 * Creating PATH fails when something is there (mkdir, O_EXCL, symlink):
 * when it was there as the step started, that is a read too.  (When it
 * was not, the creation succeeded; what a second run meets is its own
 * output, which is not held against it.)
 */
static void add_existing_read(struct ctx *c, struct strset *reads, struct read **arr, size_t *nr,
			      size_t *alloc, const struct strset *written, const char *path)
{
	struct strbuf res = STRBUF_INIT;
	struct stat st;
	int exists;
	resolve(c, path, 1, &res, &st, &exists);
	if (exists)
		add_read(c, reads, arr, nr, alloc, written, path, RK_STAT, 1, 0);
	strbuf_release(&res);
}

/* ---- GDAL's look for sidecar files ---------------------------------------- */

/*
 * GDAL's command-line programs, as installed, list a directory only to
 * look for the sidecar files (x.tif.aux.xml, x.tfw, x.tif.ovr...) of a
 * dataset they opened there (GDAL's "sibling files"): such a listing
 * depends on those names only (docs/cache.md).  Python programs using
 * GDAL may list directories for their own ends, and are not among them.
 */
static int gdal_program(const char *exe)
{
	static const char *const names[] = {
		"gdal_translate", "gdalwarp",	      "gdaldem",	"gdalinfo",
		"gdaladdo",	  "gdalbuildvrt",     "gdal_rasterize", "gdal_grid",
		"gdal_contour",	  "gdallocationinfo", "gdaltransform",	"gdal_viewshed",
		"gdalenhance",	  "gdalsrsinfo",      "gdalmdiminfo",	"gdalmdimtranslate",
		"nearblack",	  "ogr2ogr",	      "ogrinfo",	"ogrlineref",
	};
	const char *slash = strrchr(exe, '/');
	size_t i;
	size_t dir = slash ? (size_t)(slash - exe) : 0;
	if (!slash ||
	    !((dir == 8 && !strncmp(exe, "/usr/bin", 8)) ||
	      (dir == 4 && !strncmp(exe, "/bin", 4)) ||
	      (dir == 14 && !strncmp(exe, "/usr/local/bin", 14))))
		return 0;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(slash + 1, names[i]))
			return 1;
	return 0;
}

/* ---- where the step is ---------------------------------------------------- */

/* The program PID ran last in trace T, or NULL. */
static const struct sandbox_proc *last_proc(const struct sandbox_trace *t, pid_t pid)
{
	size_t i;
	for (i = t->nprocs; i-- > 0;)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash ? slash + 1 : path ? path : "";
}

/* Is P a Python interpreter (python, python3, python3.11)? */
static int is_python(const struct sandbox_proc *p)
{
	const char *b = base_name(p->exe);
	return !strncmp(b, "python", 6) && strspn(b + 6, "0123456789.") == strlen(b + 6);
}

/* A program that takes its working directory's name from PWD in its
 * environment (a shell: `sh -c 'basename "$PWD"'`) without a call we see. */
static int takes_pwd(const char *exe)
{
	static const char *const shells[] = { "sh",   "bash",  "dash", "ash",  "ksh",  "ksh93",
					      "mksh", "pdksh", "zsh",  "yash", "posh", "busybox",
					      "fish", "csh",   "tcsh", "rbash" };
	const char *b = base_name(exe);
	size_t i;
	for (i = 0; i < ARRAY_SIZE(shells); i++)
		if (!strcmp(b, shells[i]))
			return 1;
	return 0;
}

/* /proc/PID/X (or /proc/PID/task/TID/X) where X tells a process's
 * environment (PWD), its mounts or its mapped files by name.  (A readlink
 * of cwd or fd/N is SANDBOX_NAMED_MAGIC; a listing of fd/ names none.) */
static int proc_tells_place(const char *path)
{
	static const char *const leaves[] = { "environ",   "maps",   "smaps",	   "numa_maps",
					      "mountinfo", "mounts", "mountstats", "map_files" };
	const char *rest = exec__under(path, "/proc"), *slash;
	size_t i;
	if (!rest || !(slash = strchr(rest, '/')))
		return 0;
	rest = slash + 1;
	if (!strncmp(rest, "task/", 5) && (slash = strchr(rest + 5, '/')))
		rest = slash + 1;
	for (i = 0; i < ARRAY_SIZE(leaves); i++) {
		size_t n = strlen(leaves[i]);
		if (!strncmp(rest, leaves[i], n) && (!rest[n] || rest[n] == '/'))
			return 1;
	}
	return 0;
}

/* /proc/PID/{cwd,root,exe,fd/N} (or below task/TID/) of a process other
 * than the caller (the caller's own are SANDBOX_NAMED_MAGIC): a readlink
 * tells where it is. */
static int proc_link(const char *path)
{
	const char *rest = exec__under(path, "/proc"), *slash;
	if (!rest || !(slash = strchr(rest, '/')))
		return 0;
	rest = slash + 1;
	if (!strncmp(rest, "task/", 5) && (slash = strchr(rest + 5, '/')))
		rest = slash + 1;
	return !strcmp(rest, "cwd") || !strcmp(rest, "root") || !strcmp(rest, "exe") ||
	    (!strncmp(rest, "fd/", 3) && rest[3]);
}

/*
 * Did the step learn where the project is, so that what it computed may
 * depend on the project's directory even where its output does not name
 * it (`basename "$PWD"` in a shell it ran, os.getcwd() in Python)?  A
 * copy of the project elsewhere is then not served its result.  Says
 * why in WHY.  (The step's own text is looked at by the cache.)
 */
static int location_seen(const struct exec_session *s, const struct sandbox_trace *t,
			 pid_t main_pid, struct strbuf *why)
{
	size_t i;
	if (!s->root)
		return 0;
	for (i = 0; i < t->nevents; i++) {
		const struct sandbox_event *e = &t->events[i];
		const struct sandbox_proc *p;
		/* The step's own shell keeps what getcwd() says in PWD (the
		 * state, where the project's directory is a token) and shows
		 * it through `pwd`, `dirs`, $PWD: its text (the cache's). */
		if (e->op == SANDBOX_OP_GETCWD && e->pid != main_pid) {
			p = last_proc(t, e->pid);
			strbuf_addf(why, "%s asked for its working directory (getcwd)",
				    p ? base_name(p->exe) : "a process");
			return 1;
		}
		if (((e->named & SANDBOX_NAMED_MAGIC) || proc_link(e->path)) &&
		    e->op == SANDBOX_OP_READLINK) {
			strbuf_addf(why,
				    "it read where a descriptor or its working directory is "
				    "(readlink of /proc/.../cwd or fd)");
			return 1;
		}
		/* The step's shell changes directory by absolute paths it
		 * makes from PWD (`cd sub`: chdir("/.../sub")), which follows a
		 * copy; its text naming the place is the cache's to look at.
		 * Another process's working directory named so leads its
		 * later relative lookups to the old place. */
		if ((e->named & (SANDBOX_NAMED_PATH | SANDBOX_NAMED_CLIMB)) &&
		    e->op == SANDBOX_OP_CHDIR && e->pid != main_pid) {
			strbuf_addf(why, "it changed directory by the project's name or out of it");
			return 1;
		}
		if (e->op != SANDBOX_OP_EXEC && e->op < SANDBOX_OP_UNLINK &&
		    proc_tells_place(e->path)) {
			strbuf_addf(why, "it read %s", e->path);
			return 1;
		}
	}
	for (i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid != main_pid && takes_pwd(t->procs[i].exe)) {
			strbuf_addf(why, "it ran %s, which takes its directory from PWD",
				    base_name(t->procs[i].exe));
			return 1;
		}
	return 0;
}

/*
 * Did a program of the step ask whether its standard output or error is
 * a terminal (isatty: TCGETS), or the terminal's size (TIOCGWINSZ)?
 * What it wrote may depend on the answer (`ls`, colours, progress bars,
 * `tput cols`), so a cache hit in another arrangement must not have been
 * told otherwise (exec/cache.c).  Not the step's own shell (bash asks
 * for the size after each command, for COLUMNS and LINES: variables no
 * key holds), nor Python's first question about each as it starts (to
 * choose line buffering; its program's own come after).  The record's
 * terminal_asked and terminal_size_asked.
 */
static void terminal_asked(json_t *record, const struct sandbox_trace *t, pid_t main_pid)
{
	int asked = 0, size = 0;
	size_t i;
	for (i = 0; i < t->nevents; i++) {
		const struct sandbox_event *e = &t->events[i];
		const struct sandbox_proc *p;
		if (e->op != SANDBOX_OP_TTY || e->pid == main_pid)
			continue;
		p = last_proc(t, e->pid);
		if (!(e->flags & SANDBOX_TTY_SIZE) && SANDBOX_TTY_NTH(e->flags) == 1 && p &&
		    is_python(p))
			continue;
		asked = 1;
		size |= !!(e->flags & SANDBOX_TTY_SIZE);
	}
	if (asked)
		json_object_set_new(record, "terminal_asked", json_true());
	if (size)
		json_object_set_new(record, "terminal_size_asked", json_true());
}

/* What a process of the step is, and what files it opened, by directory. */
struct probe_proc {
	pid_t pid;
	int gdal; /* it runs one of gdal_program() */
	const struct strvec *argv; /* then its arguments (the trace's) */
};

struct probe_open {
	pid_t pid;
	char *dir, *name; /* resolved, the step's view */
};

struct probes {
	struct probe_proc *procs;
	size_t nprocs, alloc_procs;
	struct probe_open *opens;
	size_t nopens, alloc_opens;
};

static struct probe_proc *probe_proc(struct probes *p, pid_t pid)
{
	size_t i;
	for (i = p->nprocs; i-- > 0;)
		if (p->procs[i].pid == pid)
			return &p->procs[i];
	return NULL;
}

/* PID ran PATH: one of GDAL's programs, when the exec is confirmed. */
static void probe_exec(struct probes *p, const struct sandbox_trace *t, pid_t pid, const char *path)
{
	struct probe_proc *pp = probe_proc(p, pid);
	const struct strvec *argv = NULL;
	int gdal = 0;
	size_t i;
	for (i = 0; pid && i < t->nprocs && !gdal; i++) {
		gdal = t->procs[i].pid == pid && t->procs[i].exe &&
		    !strcmp(t->procs[i].exe, path) && gdal_program(path);
		argv = &t->procs[i].argv;
	}
	if (!pp) {
		ALLOC_GROW(p->procs, p->nprocs + 1, p->alloc_procs);
		pp = &p->procs[p->nprocs++];
		pp->pid = pid;
	}
	pp->gdal = gdal;
	pp->argv = gdal ? argv : NULL;
}

/*
 * Is file NAME in directory DIR (resolved) one the program was given on
 * its command line (x.tif, out/x.tif, /abs/out/x.tif)?  GDAL's look for
 * sidecars is of the datasets it was given; a directory dataset (Zarr's
 * a.zarr, whose .zgroup it opens and whose arrays it lists) is no file
 * of the directory it lists.
 */
static int named_on_command_line(const struct probe_proc *pp, const char *dir, const char *name)
{
	size_t i, dl = strlen(dir);
	for (i = 1; pp->argv && i < pp->argv->nr; i++) {
		const char *a = pp->argv->v[i], *slash = strrchr(a, '/');
		const char *base = slash ? slash + 1 : a;
		size_t pl;
		if (strcmp(base, name))
			continue;
		if (!slash)
			return 1; /* in its working directory */
		pl = (size_t)(slash - a);
		if (a[0] == '/')
			return pl == dl && !strncmp(a, dir, dl);
		/* relative: DIR ends with its directory part */
		if (pl <= dl && !strncmp(dir + dl - pl, a, pl) &&
		    (pl == dl || dir[dl - pl - 1] == '/'))
			return 1;
	}
	return 0;
}

/* A process of GDAL's opened RES (resolved). */
static void probe_open(struct probes *p, pid_t pid, const char *res)
{
	struct probe_proc *pp = probe_proc(p, pid);
	const char *slash = strrchr(res, '/');
	if (!pp || !pp->gdal || !slash || !slash[1])
		return;
	ALLOC_GROW(p->opens, p->nopens + 1, p->alloc_opens);
	p->opens[p->nopens].pid = pid;
	p->opens[p->nopens].dir = xstrndup(res, (size_t)(slash - res));
	p->opens[p->nopens].name = xstrdup(slash + 1);
	p->nopens++;
}

/*
 * PID listed directory RES: when it was GDAL's look for sidecars of the
 * files it had opened there, add their names to R's; else R was listed
 * whole.
 */
static void probe_list(struct probes *p, pid_t pid, const char *res, struct read *r)
{
	struct probe_proc *pp = probe_proc(p, pid);
	size_t i, before = r->sidecars_of.nr, matched = 0;
	if (r->listed_whole)
		return;
	for (i = 0; pp && pp->gdal && i < p->nopens; i++) {
		const struct probe_open *o = &p->opens[i];
		size_t k;
		int have = 0;
		if (o->pid != pid || strcmp(o->dir, res) ||
		    !named_on_command_line(pp, res, o->name))
			continue;
		matched++;
		for (k = 0; k < r->sidecars_of.nr && !have; k++)
			have = !strcmp(r->sidecars_of.v[k], o->name);
		if (!have)
			strvec_push(&r->sidecars_of, o->name);
	}
	if (!matched)
		r->listed_whole = 1;
	else if (r->sidecars_of.nr > before)
		qsort(r->sidecars_of.v, r->sidecars_of.nr, sizeof(char *), cmp_str_p);
}

static void probes_release(struct probes *p)
{
	size_t i;
	for (i = 0; i < p->nopens; i++) {
		free(p->opens[i].dir);
		free(p->opens[i].name);
	}
	free(p->opens);
	free(p->procs);
}

int exec__assemble_reads(json_t *record, struct exec_session *s, const struct sandbox_trace *t,
			 pid_t main_pid, json_t **out_refused)
{
	struct ctx c = { 0 };
	struct strset reads = { 0 }, written = { 0 }, nondet = { 0 };
	struct read *arr = NULL;
	size_t nr = 0, alloc = 0, i;
	json_t *jreads = json_array(), *refused = json_array(), *tree = json_array();
	json_t *changed = json_array();
	struct strbuf host = STRBUF_INIT, name = STRBUF_INIT, pres = STRBUF_INIT;
	struct probes probes = { 0 };
	int ret = 0;

	c.s = s;
	strbuf_init(&c.host, PATH_MAX);
	if (getenv("CAIRN_DEBUG_TRACE"))
		for (i = 0; i < t->nevents; i++)
			fprintf(stderr, "cairn: trace: %s pid %d flags %#x named %u %s%s%s\n",
				sandbox_op_name(t->events[i].op), (int)t->events[i].pid,
				(unsigned)t->events[i].flags, t->events[i].named, t->events[i].path,
				t->events[i].path2 ? " -> " : "",
				t->events[i].path2 ? t->events[i].path2 : "");
	for (i = 0; i < t->nevents; i++)
		if (t->events[i].op == SANDBOX_OP_SYMLINK || t->events[i].op == SANDBOX_OP_RENAME ||
		    t->events[i].op == SANDBOX_OP_LINK)
			c.replay_all = 1;
	for (i = 0; i < t->nevents; i++) {
		const struct sandbox_event *e = &t->events[i];
		/* Not the step's own shell's: it makes absolute paths from
		 * PWD (cd, its start-up look at PWD and OLDPWD), and its text
		 * naming a place is the cache's to look at. */
		unsigned named = (e->named & SANDBOX_NAMED_CLIMB) ||
			((e->named & SANDBOX_NAMED_PATH) && e->pid != main_pid)
		    ? READ_NAMED
		    : 0;
		switch (e->op) {
		case SANDBOX_OP_OPEN: {
			/* Appending or updating in place depends on what was there. */
			int trunc = (e->flags & O_TRUNC) ||
			    (e->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
			int script =
			    e->pid == main_pid && s->script_abs && !strcmp(e->path, s->script_abs);
			if ((e->flags & O_ACCMODE) != O_WRONLY && !(e->flags & O_PATH) &&
			    exec__nondeterministic(e->path))
				strset_put(&nondet, e->path, 1);
			if (!trunc)
				add_read(&c, &reads, &arr, &nr, &alloc, &written, e->path,
					 (e->flags & O_DIRECTORY) ? RK_STAT : RK_FILE,
					 !!(e->flags & O_NOFOLLOW),
					 (script ? READ_SCRIPT : 0) | named);
			if (!(e->flags & (O_DIRECTORY | O_PATH))) {
				struct stat pst;
				int pex;
				resolve(&c, e->path, !!(e->flags & O_NOFOLLOW), &pres, &pst, &pex);
				probe_open(&probes, e->pid, pres.buf);
			}
			if (sandbox_event_writes(e)) {
				if (e->flags & O_CREAT)
					add_parent_read(&c, &reads, &arr, &nr, &alloc, &written,
							e->path);
				if ((e->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
					add_existing_read(&c, &reads, &arr, &nr, &alloc, &written,
							  e->path);
				add_write(&c, &written, refused, e->path);
			}
			break;
		}
		case SANDBOX_OP_EXEC:
			add_read(&c, &reads, &arr, &nr, &alloc, &written, e->path, RK_EXEC, 0,
				 named);
			probe_exec(&probes, t, e->pid, e->path);
			break;
		case SANDBOX_OP_STAT:
		case SANDBOX_OP_ACCESS:
		case SANDBOX_OP_CHDIR:
			add_read(&c, &reads, &arr, &nr, &alloc, &written, e->path, RK_STAT,
				 e->nofollow, named);
			break;
		case SANDBOX_OP_READLINK:
			add_read(&c, &reads, &arr, &nr, &alloc, &written, e->path, RK_SYMLINK, 1,
				 named);
			break;
		case SANDBOX_OP_GETXATTR:
			/* Its attributes are an input; it was looked up too. */
			add_read(&c, &reads, &arr, &nr, &alloc, &written, e->path, RK_STAT,
				 e->nofollow, READ_XATTRS | named);
			break;
		case SANDBOX_OP_LIST: {
			struct stat pst;
			int pex, *idx;
			add_read(&c, &reads, &arr, &nr, &alloc, &written, e->path, RK_DIR, 0,
				 named);
			resolve(&c, e->path, 0, &pres, &pst, &pex);
			idx = strset_get(&reads, pres.buf);
			if (idx)
				probe_list(&probes, e->pid, pres.buf, &arr[*idx]);
			break;
		}
		case SANDBOX_OP_RENAME:
		case SANDBOX_OP_LINK:
			/* What moves on keeps what it held: that is read. */
			add_read(&c, &reads, &arr, &nr, &alloc, &written, e->path, RK_FILE, 1, 0);
			if (e->op == SANDBOX_OP_RENAME)
				add_write(&c, &written, refused, e->path);
			if (e->path2) {
				add_parent_read(&c, &reads, &arr, &nr, &alloc, &written, e->path2);
				if (e->op == SANDBOX_OP_LINK)
					add_existing_read(&c, &reads, &arr, &nr, &alloc, &written,
							  e->path2);
				add_write(&c, &written, refused, e->path2);
			}
			break;
		case SANDBOX_OP_MKDIR:
		case SANDBOX_OP_SYMLINK:
		case SANDBOX_OP_MKNOD:
			add_parent_read(&c, &reads, &arr, &nr, &alloc, &written, e->path);
			add_existing_read(&c, &reads, &arr, &nr, &alloc, &written, e->path);
			add_write(&c, &written, refused, e->path);
			break;
		case SANDBOX_OP_UNLINK:
		case SANDBOX_OP_RMDIR:
		case SANDBOX_OP_CHMOD:
		case SANDBOX_OP_CHOWN:
		case SANDBOX_OP_TRUNCATE:
		case SANDBOX_OP_UTIME:
		case SANDBOX_OP_XATTR:
			add_write(&c, &written, refused, e->path);
			break;
		default:
			break;
		}
		replay_change(&c, e);
	}
	/*
	 * The script is the steps' code, whichever way the shell got it.  A
	 * read of it by anything but the shell itself (`cp "$0" results/`)
	 * stays a real read (add_read() keeps `script` only while every
	 * open was the shell's): the copy must follow the script's bytes.
	 */
	if (s->script_abs) {
		struct strbuf res = STRBUF_INIT;
		struct stat st;
		int exists, *idx;
		resolve(&c, s->script_abs, 0, &res, &st, &exists);
		idx = strset_get(&reads, res.buf);
		if (idx) {
			; /* as add_read() merged it */
		} else if (exists && S_ISREG(st.st_mode)) {
			ALLOC_GROW(arr, nr + 1, alloc);
			arr[nr].path = xstrdup(res.buf);
			arr[nr].kind = RK_FILE;
			arr[nr].script = 1;
			arr[nr].xattrs = 0;
			arr[nr].named = 0;
			arr[nr].listed_whole = 0;
			strvec_init(&arr[nr].sidecars_of);
			strset_put(&reads, res.buf, (int)nr);
			nr++;
		}
		strbuf_release(&res);
	}
	/* Every symlink met on the way is a read of its own. */
	for (i = 0; i < c.links.cap; i++) {
		const char *p = c.links.slots[i];
		if (p && !ignored(s, p) && !strset_get(&reads, p)) {
			ALLOC_GROW(arr, nr + 1, alloc);
			arr[nr].path = xstrdup(p);
			arr[nr].kind = RK_SYMLINK;
			arr[nr].script = 0;
			arr[nr].xattrs = 0;
			arr[nr].named = 0;
			arr[nr].listed_whole = 0;
			strvec_init(&arr[nr].sidecars_of);
			strset_put(&reads, p, (int)nr);
			nr++;
		}
	}
	if (nr)
		qsort(arr, nr, sizeof(*arr), cmp_read);

	for (i = 0; i < nr; i++) {
		struct read *r = &arr[i];
		json_t *o = json_object();
		struct stat st;
		int have;
		host_path(&c, r->path, &host);
		/* --into: a file the into directory supplied is named there. */
		exec__record_name(s, &name,
				  s->into && exec__under(host.buf, s->into) ? host.buf : r->path);
		json_object_set_new(o, "path", util_json_str(name.buf));
		json_object_set_new(o, "kind", json_string(kind_names[r->kind]));
		/* what lies there now: one look for every kind of read */
		have = r->kind != RK_ABSENT && !lstat(host.buf, &st);
		if (r->kind == RK_FILE || r->kind == RK_EXEC) {
			char sha[SHA256_HEX_LEN + 1];
			if (have && !exec__hash_file(s, sha, host.buf, &st)) {
				if (!session_made(s, host.buf) && changed_while_running(s, &st))
					json_array_append_new(changed, util_json_str(name.buf));
				json_object_set_new(o, "sha256", json_string(sha));
				json_object_set_new(o, "size",
						    json_integer((json_int_t)st.st_size));
				/* A program runs only while it may be run. */
				if (r->kind == RK_EXEC)
					set_mode(o, &st);
			} else {
				json_object_set_new(o, "sha256", json_null());
				json_object_set_new(o, "size", json_null());
			}
		} else if (r->kind == RK_DIR) {
			dir_entry(s, r, host.buf, o);
		} else if (r->kind == RK_STAT && have) {
			json_object_set_new(o, "sha256", json_null());
			json_object_set_new(o, "size",
					    S_ISREG(st.st_mode)
						? json_integer((json_int_t)st.st_size)
						: json_null());
			json_object_set_new(o, "type",
					    json_string(S_ISDIR(st.st_mode)	  ? "dir"
							    : S_ISREG(st.st_mode) ? "file"
										  : "other"));
			/* `[ -x f ]`, `[ -w f ]`: the permissions were looked at. */
			if (S_ISREG(st.st_mode))
				set_mode(o, &st);
		} else if (r->kind == RK_SYMLINK) {
			char target[PATH_MAX];
			ssize_t n = readlink(host.buf, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
			json_object_set_new(o, "target", util_json_str(target));
			json_object_set_new(o, "sha256", json_null());
			json_object_set_new(o, "size", json_null());
		} else {
			json_object_set_new(o, "sha256", json_null());
			json_object_set_new(o, "size", json_null());
		}
		/* Changed while the step ran, whatever was looked at: a
		 * listing, a link, a file's metadata (a file that appeared).
		 * Not a directory only stat'ed, nor the directory of a path
		 * found absent: any entry made in it moves its ctime, and a
		 * home directory changes all the time. */
		/* (Not in a step run ahead of its turn: the session commits
		 * the steps before it into those directories meanwhile, and
		 * its turn checks its reads against their writes.) */
		if ((r->kind == RK_DIR || r->kind == RK_SYMLINK || r->kind == RK_STAT) && have &&
		    !s->gate && (r->kind != RK_STAT || !S_ISDIR(st.st_mode)) &&
		    !session_made(s, host.buf) && changed_while_running(s, &st))
			json_array_append_new(changed, util_json_str(name.buf));
		if (r->xattrs && r->kind != RK_ABSENT) {
			char sha[SHA256_HEX_LEN + 1];
			exec__xattr_hash(host.buf, sha);
			json_object_set_new(o, "xattrs", json_string(sha));
		}
		if (r->script)
			json_object_set_new(o, "role", json_string("script"));
		if (r->named)
			json_object_set_new(o, "named", json_true());
		json_array_append_new(jreads, o);
	}
	json_object_set_new(record, "reads", jreads);
	if (json_array_size(changed))
		json_object_set_new(record, "changed_while_running", changed);
	else
		json_decref(changed);

	/* The programs the step ran. */
	for (i = 0; i < t->nprocs; i++) {
		const struct sandbox_proc *p = &t->procs[i];
		json_t *o = json_object(), *argv = json_array();
		struct strbuf res = STRBUF_INIT;
		struct stat st;
		int exists;
		size_t k;
		json_object_set_new(o, "pid", json_integer(p->pid));
		json_object_set_new(o, "ppid", json_integer(p->ppid));
		for (k = 0; k < p->argv.nr; k++) {
			/* The step's own shell runs cairn's program: name it, do
			 * not copy it (the record has the command). */
			if (p->pid == main_pid && k == 2 && !strcmp(p->argv.v[1], "-c"))
				json_array_append_new(argv, json_string("(the step's program)"));
			else
				json_array_append_new(argv, util_json_str(p->argv.v[k]));
		}
		json_object_set_new(o, "argv", argv);
		resolve(&c, p->exe ? p->exe : "/", 0, &res, &st, &exists);
		json_object_set_new(o, "exe", util_json_str(res.buf));
		if (exists && S_ISREG(st.st_mode)) {
			char sha[SHA256_HEX_LEN + 1];
			host_path(&c, res.buf, &host);
			if (!exec__hash_file(s, sha, host.buf, &st))
				json_object_set_new(o, "exe_sha256", json_string(sha));
		}
		if (!json_object_get(o, "exe_sha256"))
			json_object_set_new(o, "exe_sha256", json_null());
		json_array_append_new(tree, o);
		strbuf_release(&res);
	}
	json_object_set_new(record, "exec_tree", tree);
	terminal_asked(record, t, main_pid);
	{
		struct strbuf why = STRBUF_INIT;
		if (location_seen(s, t, main_pid, &why))
			json_object_set_new(record, "location_seen", util_json_str(why.buf));
		strbuf_release(&why);
	}
	{
		/* Named in a stable order: the trace's order is the processes'. */
		struct strvec names = STRVEC_INIT;
		json_t *jn = json_array();
		for (i = 0; i < nondet.cap; i++)
			if (nondet.slots[i])
				strvec_push(&names, nondet.slots[i]);
		if (names.nr)
			qsort(names.v, names.nr, sizeof(char *), cmp_str_p);
		for (i = 0; i < names.nr; i++)
			json_array_append_new(jn, util_json_str(names.v[i]));
		json_object_set_new(record, "nondeterministic", jn);
		strvec_clear(&names);
	}
	*out_refused = refused;

	for (i = 0; i < nr; i++) {
		free(arr[i].path);
		strvec_clear(&arr[i].sidecars_of);
	}
	free(arr);
	probes_release(&probes);
	strbuf_release(&pres);
	strset_clear(&reads);
	strset_clear(&written);
	strset_clear(&nondet);
	strset_clear(&c.links);
	strset_clear(&c.realdirs);
	strset_clear(&c.changed);
	util_path_cache_release(&c.before_cache);
	util_path_cache_release(&c.now_cache);
	free(c.ends);
	for (i = 0; i < c.nchanges; i++)
		free(c.changes[i].text);
	free(c.changes);
	strbuf_release(&c.host);
	strbuf_release(&host);
	strbuf_release(&name);
	return ret;
}
