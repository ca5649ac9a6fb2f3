/*
 * lineage.c - the lineage walk over step records, the helpers its
 * renderers share, and the terminal tree.
 *
 * The walk runs in two passes.  The first is breadth-first from the
 * writer of the target, so that each step gets its shortest distance
 * from the target and --depth cuts at that distance whatever order the
 * records list their reads in.  The second orders the steps found
 * depth-first (pre-order, reads in record order), which is the order in
 * which the tree prints them, and collects the files and edges.
 */
#include "lineage-int.h"

#include <stdlib.h>
#include <string.h>

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.0.0"
#endif

/* ---- small helpers ------------------------------------------------------ */

const char *lineage__str(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Did RECORD write (or delete) PATH? */
static int writes_path(const json_t *record, const char *path)
{
	const json_t *w;
	size_t i;

	if (!path)
		return 0;
	json_array_foreach(json_object_get(record, "writes"), i, w)
	{
		if (!strcmp(lineage__str(w, "path") ?: "", path))
			return 1;
	}
	return 0;
}

int lineage__earlier_run_read(const json_t *record, const json_t *read,
			      const char *producer_command)
{
	const char *p = lineage__str(read, "producer");
	const char *cmd = lineage__str(record, "command");

	if (!p || !cmd || !producer_command || strcmp(cmd, producer_command) ||
	    !strcmp(p, lineage__str(record, "id") ?: ""))
		return 0;
	return writes_path(record, lineage__str(read, "path"));
}

int lineage__deletes(const json_t *record, const char *path)
{
	json_t *w;
	size_t i;
	if (!path)
		return 0;
	json_array_foreach(json_object_get(record, "writes"), i, w)
	{
		const char *kind = lineage__str(w, "kind");
		if (kind && !strcmp(kind, "deleted") &&
		    !strcmp(lineage__str(w, "path") ?: "", path))
			return 1;
	}
	return 0;
}

/* Is P named after W: W plus a suffix (out/x.tif.aux.xml, .ovr), or W
 * with another extension (out/x.dbf beside out/x.shp)? */
static int companion(const char *p, const char *w)
{
	size_t n = strlen(w);
	const char *pd, *wd, *ps, *ws;
	if (!strncmp(p, w, n) && p[n] == '.')
		return 1;
	pd = strrchr(p, '.');
	wd = strrchr(w, '.');
	ps = strrchr(p, '/');
	ws = strrchr(w, '/');
	return pd && wd && (!ps || pd > ps) && (!ws || wd > ws) && pd - p == wd - w &&
	    !strncmp(p, w, (size_t)(pd - p));
}

int lineage__circular_read(const json_t *record, const json_t *read, const json_t *producer_record)
{
	const char *path = lineage__str(read, "path");
	json_t *r, *w;
	size_t i, k;
	int named = 0;
	if (!lineage__deletes(record, path) || !json_is_object(producer_record))
		return 0;
	/* a companion of an output of the step: named after it */
	json_array_foreach(json_object_get(record, "writes"), k, w)
	{
		const char *wk = lineage__str(w, "kind"), *wp = lineage__str(w, "path");
		if (wk && wp && (!strcmp(wk, "file") || !strcmp(wk, "symlink")) &&
		    companion(path, wp))
			named = 1;
	}
	if (!named)
		return 0;
	json_array_foreach(json_object_get(producer_record, "reads"), i, r)
	{
		const char *p = lineage__str(r, "path"), *kind = lineage__str(r, "kind");
		if (!p || !kind || strcmp(kind, "file") || !strcmp(p, path))
			continue;
		json_array_foreach(json_object_get(record, "writes"), k, w)
		{
			const char *wk = lineage__str(w, "kind");
			if (wk && (!strcmp(wk, "file") || !strcmp(wk, "symlink")) &&
			    !strcmp(lineage__str(w, "path") ?: "", p))
				return 1;
		}
	}
	return 0;
}

long long lineage__int(const json_t *obj, const char *key, long long def)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

void lineage__file_key(struct strbuf *out, const char *path, const char *sha256)
{
	strbuf_reset(out);
	strbuf_addf(out, "%s %s", sha256 && *sha256 ? sha256 : "-", path);
}

void lineage__human_size(struct strbuf *out, long long n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)n;
	size_t u = 0;

	if (n < 1024) {
		strbuf_addf(out, "%lld B", n);
		return;
	}
	d /= 1024;
	while (d >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		d /= 1024;
		u++;
	}
	strbuf_addf(out, "%.1f %s", d, units[u]);
}

void lineage__short_command(struct strbuf *out, const char *s, size_t max)
{
	size_t i, chars = 0, cut = 0;
	int more = 0;

	for (i = 0; s[i] && s[i] != '\n'; i++) {
		/* Count characters, not bytes: continuation bytes are 10xxxxxx. */
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max) {
				more = 1;
				break;
			}
			chars++;
		}
		cut = i + 1;
	}
	if (s[i] == '\n' && s[i + 1])
		more = 1;
	if (more && chars == max) {
		/* Make room for the ellipsis: drop three characters. */
		size_t drop = 3;
		while (cut && drop) {
			cut--;
			if (((unsigned char)s[cut] & 0xc0) != 0x80)
				drop--;
		}
	}
	strbuf_add_visible(out, s, cut);
	if (more)
		strbuf_addstr(out, "...");
}

const char *lineage__format_summary(const json_t *record, const char *path)
{
	json_t *formats = json_object_get(record, "formats");
	json_t *f = json_is_object(formats) ? json_object_get(formats, path) : NULL;

	if (json_is_string(f))
		return json_string_value(f);
	return lineage__str(f, "summary");
}

const char *lineage__user(const json_t *record)
{
	json_t *st = json_object_get(record, "start_state");
	json_t *env = json_is_object(st) ? json_object_get(st, "env") : NULL;
	const char *u = lineage__str(env, "USER");

	if (!u || !*u)
		u = lineage__str(env, "LOGNAME");
	return u && *u ? u : "unknown";
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Programs that run the real one: not what a step is "about". */
static int is_wrapper(const char *name)
{
	static const char *const wrappers[] = { "bash",	  "sh",	     "dash",   "env",	"nice",
						"time",	  "timeout", "stdbuf", "xargs", "nohup",
						"ionice", "command", "exec" };
	size_t i;
	for (i = 0; i < ARRAY_SIZE(wrappers); i++)
		if (!strcmp(name, wrappers[i]))
			return 1;
	return 0;
}

static int is_interpreter(const char *name)
{
	static const char *const interp[] = {
		"python", "perl", "ruby", "Rscript", "node", "julia"
	};
	size_t i;
	for (i = 0; i < ARRAY_SIZE(interp); i++)
		if (!strncmp(name, interp[i], strlen(interp[i])))
			return 1;
	return 0;
}

void lineage__main_program(struct strbuf *out, const json_t *record, const char **exe,
			   const char **exe_sha)
{
	json_t *tree = json_object_get(record, "exec_tree");
	const char *cmd;
	json_t *p;
	size_t i;

	*exe = NULL;
	*exe_sha = NULL;
	json_array_foreach(tree, i, p)
	{
		json_t *argv = json_object_get(p, "argv");
		const char *path = lineage__str(p, "exe");
		const char *name = path ? path : json_string_value(json_array_get(argv, 0));

		const char *script = json_string_value(json_array_get(argv, 1));

		if (!name || is_wrapper(base_name(name)))
			continue;
		/* An interpreter running a script: the script is the program. */
		if (is_interpreter(base_name(name)) && script && script[0] != '-') {
			strbuf_addstr(out, base_name(script));
			*exe = script;
			return;
		}
		strbuf_addstr(out, base_name(name));
		*exe = path;
		*exe_sha = lineage__str(p, "exe_sha256");
		return;
	}
	/* No trace of processes: the command's first word will do. */
	cmd = lineage__str(record, "command");
	if (!cmd)
		cmd = "";
	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	i = strcspn(cmd, " \t\n;|&<>()");
	if (i)
		strbuf_add(out, cmd, i);
	else
		strbuf_addstr(out, "sh");
}

/* ---- what the walk keeps ------------------------------------------------ */

/*
 * Paths that belong to the machine rather than to the analysis: shared
 * libraries, interpreters' modules, configuration, caches.  Reads of
 * these stay in the step record but are left out of the lineage graph
 * (the tree counts them), unless a recorded step produced them.
 */
static int is_system_path(const char *p)
{
	static const char *const prefixes[] = { "/usr/",     "/lib/",	    "/lib32/", "/lib64/",
						"/libx32/",  "/bin/",	    "/sbin/",  "/etc/",
						"/proc/",    "/sys/",	    "/dev/",   "/run/",
						"/var/lib/", "/var/cache/", "/opt/" };
	const char *c;
	size_t i, len;

	if (p[0] == '/') {
		for (i = 0; i < ARRAY_SIZE(prefixes); i++)
			if (!strncmp(p, prefixes[i], strlen(prefixes[i])))
				return 1;
	}
	/* Bytecode caches anywhere; hidden components outside the project
	 * (~/.cache, ~/.local); .git and .cairn inside it. */
	for (c = p; *c; c += len) {
		while (*c == '/')
			c++;
		len = strcspn(c, "/");
		if (len == 11 && !strncmp(c, "__pycache__", 11))
			return 1;
		if (c[0] != '.' || len == 1 || (len == 2 && c[1] == '.'))
			continue;
		if (p[0] == '/' || (len == 4 && !strncmp(c, ".git", 4)) ||
		    (len == 6 && !strncmp(c, ".cairn", 6)))
			return 1;
	}
	return 0;
}

static int is_code(const json_t *record, const char *path)
{
	json_t *code = json_object_get(record, "code");
	json_t *c;
	size_t i;
	json_array_foreach(code, i, c)
	{
		const char *p = lineage__str(c, "path");
		if (p && !strcmp(p, path))
			return 1;
	}
	return 0;
}

/*
 * Did the step name PATH itself -- in its command or in an argument of a
 * program it ran?  A file under /usr that a command was given
 * (`gdal_translate /usr/share/proj/egm96_15.gtx ...`) is an input of the
 * analysis, not part of the machine.
 */
static int named_by_step(const json_t *record, const char *path)
{
	const char *cmd = lineage__str(record, "command");
	json_t *tree = json_object_get(record, "exec_tree"), *p, *a;
	size_t i, j;

	if (cmd && strstr(cmd, path))
		return 1;
	json_array_foreach(tree, i, p)
	{
		json_t *argv = json_object_get(p, "argv");
		json_array_foreach(argv, j, a)
		{
			const char *s = json_string_value(a);
			if (j > 0 && s && strstr(s, path))
				return 1;
		}
	}
	return 0;
}

/* The role of READ in the graph ("data" or "code"), or NULL to leave it out. */
static const char *read_role(const json_t *record, const json_t *read)
{
	const char *kind = lineage__str(read, "kind");
	const char *path = lineage__str(read, "path");

	if (!kind || strcmp(kind, "file") || !path)
		return NULL;
	if (is_code(record, path))
		return "code";
	if (lineage__str(read, "producer"))
		return "data";
	return !is_system_path(path) || named_by_step(record, path) ? "data" : NULL;
}

/* Is WRITE an output the graph shows? */
static int write_kept(const json_t *write)
{
	const char *kind = lineage__str(write, "kind");
	const char *path = lineage__str(write, "path");

	if (!kind || !path || (strcmp(kind, "file") && strcmp(kind, "symlink")))
		return 0;
	return !is_system_path(path);
}

/* The producer a read names, when it looks like a step id. */
static const char *read_producer(const json_t *read)
{
	const char *p = lineage__str(read, "producer");
	return p && *p ? p : NULL;
}

/* ---- the walk ----------------------------------------------------------- */

struct walk {
	const struct prov_source *src;
	int depth;
	json_t *records; /* {id: record} of the steps found */
	json_t *missing; /* {id: true}: named as producer, not in the store */
	json_t *level; /* {id: distance from the target, 1 = writer} */
	/* the graph under construction */
	json_t *steps, *files, *edges, *unexpanded;
	json_t *file_by_key, *visited, *unexpanded_seen;
	json_t *commands; /* {id: command text or null}: producers looked at */
	/* {file key: id}: the step of the walk that wrote each version */
	json_t *generated;
	struct strbuf key;
};

/* The command of step ID, fetched once; NULL when it is not to be had. */
static const char *walk_command(struct walk *w, const char *id)
{
	json_t *rec = json_object_get(w->records, id), *c;

	if (rec)
		return lineage__str(rec, "command");
	c = json_object_get(w->commands, id);
	if (!c) {
		if (w->src->get(&rec, id, w->src->payload) < 0 || !json_is_object(rec)) {
			err_clear();
			json_object_set_new(w->commands, id, json_null());
		} else {
			json_object_set(w->commands, id,
					json_object_get(rec, "command") ?: json_null());
		}
		json_decref(rec);
		c = json_object_get(w->commands, id);
	}
	return json_string_value(c);
}

/* Is READ of REC an earlier run's version of its own output, or a
 * companion of it read only to be removed (lineage__circular_read())? */
static int walk_own_rerun(struct walk *w, const json_t *rec, const json_t *read)
{
	const char *p = read_producer(read);
	json_t *prec = NULL;
	int ret;
	/* Only a rewritten path costs a look at the producer's record. */
	if (!p || !writes_path(rec, lineage__str(read, "path")))
		return 0;
	if (lineage__earlier_run_read(rec, read, walk_command(w, p)))
		return 1;
	if (!lineage__deletes(rec, lineage__str(read, "path")))
		return 0;
	prec = json_object_get(w->records, p);
	if (prec)
		return lineage__circular_read(rec, read, prec);
	if (w->src->get(&prec, p, w->src->payload) < 0) {
		err_clear();
		return 0;
	}
	ret = lineage__circular_read(rec, read, prec);
	json_decref(prec);
	return ret;
}

/* Note the versions REC (step ID, in the walk) wrote. */
static void walk_note_writes(struct walk *w, const char *id, const json_t *rec)
{
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(rec, "writes"), i, x)
	{
		if (!write_kept(x) || !lineage__str(x, "sha256"))
			continue;
		lineage__file_key(&w->key, lineage__str(x, "path"), lineage__str(x, "sha256"));
		if (!json_object_get(w->generated, w->key.buf))
			json_object_set_new_nocheck(w->generated, w->key.buf, json_string(id));
	}
}

/*
 * The step READ's version came from, as the walk shows it: a step of the
 * walk that wrote that very version (path and content) stands for the
 * producer the record names.  A program that reads a companion of its
 * own output (GDAL opening out/x.tif.aux.xml before it writes out/x.tif)
 * read what the previous run's steps left; the same bytes made by the
 * current run's steps are one node, so every earlier run does not come
 * back in a chain of identical versions.
 */
static const char *walk_producer(struct walk *w, const char *reader, const json_t *read)
{
	const char *sha = lineage__str(read, "sha256");
	json_t *g;
	if (sha) {
		lineage__file_key(&w->key, lineage__str(read, "path"), sha);
		g = json_object_get(w->generated, w->key.buf);
		/* Not the reader itself: a step that read a version and wrote
		 * it back (`cairn undo` putting back an earlier version) got
		 * it from the producer its record names. */
		if (g && strcmp(json_string_value(g), reader))
			return json_string_value(g);
	}
	return read_producer(read);
}

/* Pass 1: breadth-first from FIRST, fetching records up to the depth. */
static int walk_collect(struct walk *w, const char *first)
{
	json_t *queue = json_array();
	size_t head = 0;
	int ret = 0;

	json_object_set_new(w->level, first, json_integer(1));
	json_array_append_new(queue, json_string(first));
	while (head < json_array_size(queue)) {
		const char *id = json_string_value(json_array_get(queue, head++));
		long long lvl = json_integer_value(json_object_get(w->level, id));
		json_t *rec = NULL, *reads, *r;
		size_t i;

		ret = w->src->get(&rec, id, w->src->payload);
		if (ret == CAIRN_ENOTFOUND) {
			json_object_set_new(w->missing, id, json_true());
			err_clear();
			ret = 0;
			continue;
		}
		if (ret < 0)
			goto out;
		if (!json_is_object(rec)) {
			json_decref(rec);
			ret =
			    err_set(CAIRN_ERROR, "the record of step %s is not a JSON object", id);
			goto out;
		}
		json_object_set_new(w->records, id, rec);
		walk_note_writes(w, id, rec);
		reads = json_object_get(rec, "reads");
		json_array_foreach(reads, i, r)
		{
			const char *p;
			if (!read_role(rec, r) || walk_own_rerun(w, rec, r))
				continue;
			p = walk_producer(w, id, r);
			if (!p || json_object_get(w->level, p))
				continue;
			json_object_set_new_nocheck(w->level, p, json_integer(lvl + 1));
			if (!w->depth || lvl + 1 <= w->depth)
				json_array_append_new(queue, util_json_str(p));
		}
	}
out:
	json_decref(queue);
	return ret;
}

/* Add (or complete) the file node PATH@SHA; returns it, borrowed. */
static json_t *walk_file(struct walk *w, const json_t *rec, const json_t *entry, const char *role,
			 const char *producer)
{
	const char *path = lineage__str(entry, "path");
	const char *sha = lineage__str(entry, "sha256");
	const char *fmt = lineage__format_summary(rec, path);
	json_t *f, *size = json_object_get(entry, "size");

	lineage__file_key(&w->key, path, sha);
	f = json_object_get(w->file_by_key, w->key.buf);
	if (!f) {
		/* The path set apart: json_pack() takes only UTF-8. */
		f = json_pack("{s:n, s:s?, s:O?, s:s, s:s?, s:s?}", "path", "sha256", sha, "size",
			      json_is_integer(size) ? size : NULL, "role", role, "producer",
			      producer, "format", fmt);
		json_object_set_new(f, "path", util_json_str(path ? path : ""));
		json_array_append_new(w->files, f);
		json_object_set_nocheck(w->file_by_key, w->key.buf, f);
		return f;
	}
	/* Seen before: fill in what the earlier sighting lacked. */
	if (!strcmp(role, "code"))
		json_object_set_new(f, "role", json_string("code"));
	if (producer && json_is_null(json_object_get(f, "producer")))
		json_object_set_new(f, "producer", json_string(producer));
	if (fmt && json_is_null(json_object_get(f, "format")))
		json_object_set_new(f, "format", json_string(fmt));
	if (json_is_integer(size) && json_is_null(json_object_get(f, "size")))
		json_object_set(f, "size", size);
	return f;
}

static void walk_edge(struct walk *w, const char *rel, const char *step, const json_t *entry)
{
	const char *sha = lineage__str(entry, "sha256");
	/* "s?" packs NULL as JSON null. */
	const char *path = lineage__str(entry, "path");
	json_t *e =
	    json_pack("{s:s, s:s, s:n, s:s?}", "rel", rel, "step", step, "path", "sha256", sha);

	json_object_set_new(e, "path", util_json_str(path ? path : ""));
	json_array_append_new(w->edges, e);
}

static void walk_unexpanded(struct walk *w, const char *id)
{
	if (json_object_get(w->unexpanded_seen, id))
		return;
	json_object_set_new(w->unexpanded_seen, id, json_true());
	json_array_append_new(w->unexpanded,
			      json_pack("{s:s, s:s}", "step", id, "reason",
					json_object_get(w->missing, id) ? "missing" : "depth"));
}

/* Pass 2: depth-first pre-order from FIRST over the records found. */
static void walk_order(struct walk *w, const char *first)
{
	struct strvec stack = STRVEC_INIT;

	strvec_push(&stack, first);
	while (stack.nr) {
		char *id = stack.v[--stack.nr];
		json_t *rec = json_object_get(w->records, id);
		json_t *reads, *writes, *r;
		size_t i, mark, lo, hi;

		stack.v[stack.nr] = NULL;
		if (!rec) {
			walk_unexpanded(w, id);
			free(id);
			continue;
		}
		if (json_object_get(w->visited, id)) {
			free(id);
			continue;
		}
		json_object_set_new(w->visited, id, json_true());
		json_array_append(w->steps, rec);

		reads = json_object_get(rec, "reads");
		mark = stack.nr;
		json_array_foreach(reads, i, r)
		{
			const char *role = read_role(rec, r);
			const char *p;
			if (!role || !lineage__str(r, "path") || walk_own_rerun(w, rec, r))
				continue;
			p = walk_producer(w, id, r);
			walk_file(w, rec, r, role, p);
			walk_edge(w, "used", id, r);
			if (p && !json_object_get(w->visited, p))
				strvec_push(&stack, p);
		}
		/* Reverse what was pushed so that the first read is walked first. */
		for (lo = mark, hi = stack.nr; lo + 1 < hi; lo++, hi--) {
			char *t = stack.v[lo];
			stack.v[lo] = stack.v[hi - 1];
			stack.v[hi - 1] = t;
		}
		writes = json_object_get(rec, "writes");
		json_array_foreach(writes, i, r)
		{
			if (!write_kept(r))
				continue;
			walk_file(w, rec, r, "data", id);
			walk_edge(w, "generated", id, r);
		}
		free(id);
	}
	strvec_clear(&stack);
}

int provenance_lineage_walk(json_t **out, const struct prov_source *src, const char *path,
			    int depth)
{
	struct walk w = { 0 };
	char id[33] = "", sha[65] = "";
	json_t *graph = NULL;
	int ret;

	*out = NULL;
	if (!src || !src->get || !src->writer || !path || !*path || depth < 0)
		return err_set(CAIRN_ERROR, "lineage walk: bad arguments");
	strbuf_init(&w.key, 0);
	w.src = src;
	w.depth = depth;
	w.records = json_object();
	w.commands = json_object();
	w.generated = json_object();
	w.missing = json_object();
	w.level = json_object();
	w.steps = json_array();
	w.files = json_array();
	w.edges = json_array();
	w.unexpanded = json_array();
	w.file_by_key = json_object();
	w.visited = json_object();
	w.unexpanded_seen = json_object();

	ret = src->writer(id, sha, path, src->payload);
	if (ret == CAIRN_ENOTFOUND) {
		ret = err_set(CAIRN_ENOTFOUND, "%s was not written by any recorded step", path);
		goto out;
	}
	if (ret < 0)
		goto out;
	id[32] = '\0';
	sha[64] = '\0';
	if (!*sha) {
		ret = err_set(CAIRN_ENOTFOUND, "%s was deleted by step %.8s", path, id);
		goto out;
	}
	if ((ret = walk_collect(&w, id)) < 0)
		goto out;
	if (!json_object_get(w.records, id)) {
		ret = err_set(CAIRN_ERROR, "step %s, the writer of %s, is missing from the store",
			      id, path);
		goto out;
	}
	walk_order(&w, id);

	graph = json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:O, s:O, s:O, s:O}", "lineage_version",
			  PROVENANCE_LINEAGE_VERSION, "cairn_version", CAIRN_VERSION, "target", "",
			  "target_sha256", sha, "target_step", id, "depth",
			  depth ? json_integer(depth) : json_null(), "steps", w.steps, "files",
			  w.files, "edges", w.edges, "unexpanded", w.unexpanded);
	if (!graph) {
		ret = err_set(CAIRN_ERROR, "lineage walk: cannot build the graph");
		goto out;
	}
	/* The target as bytes: json_pack() takes only UTF-8. */
	json_object_set_new(graph, "target", util_json_str(path));
	*out = graph;
	ret = 0;
out:
	json_decref(w.records);
	json_decref(w.commands);
	json_decref(w.generated);
	json_decref(w.missing);
	json_decref(w.level);
	json_decref(w.steps);
	json_decref(w.files);
	json_decref(w.edges);
	json_decref(w.unexpanded);
	json_decref(w.file_by_key);
	json_decref(w.visited);
	json_decref(w.unexpanded_seen);
	strbuf_release(&w.key);
	return ret;
}

/*
 * A session is drawn from its own records, in the order they ran: the
 * same reads and writes as the walk keeps but the script's (`role:
 * script`), no walk back beyond it (a producer from another session is
 * named by the file, not followed).
 */
int provenance_session_graph(json_t **out, const json_t *records, const char *session)
{
	struct walk w = { 0 };
	const char *last = "";
	json_t *rec, *r, *graph;
	size_t i, j;

	*out = NULL;
	if (!json_is_array(records) || !session)
		return err_set(CAIRN_ERROR, "session graph: bad arguments");
	strbuf_init(&w.key, 0);
	w.steps = json_array();
	w.files = json_array();
	w.edges = json_array();
	w.file_by_key = json_object();
	json_array_foreach(records, i, rec)
	{
		const char *id = lineage__str(rec, "id");
		if (!id)
			continue;
		last = id;
		json_array_append(w.steps, rec);
		json_array_foreach(json_object_get(rec, "reads"), j, r)
		{
			const char *role = read_role(rec, r);
			/* The session's script, read by the shell only: it is
			 * every step's, and the page names it once. */
			if (!role || !lineage__str(r, "path") ||
			    !strcmp(lineage__str(r, "role") ?: "", "script"))
				continue;
			walk_file(&w, rec, r, role, read_producer(r));
			walk_edge(&w, "used", id, r);
		}
		json_array_foreach(json_object_get(rec, "writes"), j, r)
		{
			if (!write_kept(r))
				continue;
			walk_file(&w, rec, r, "data", id);
			walk_edge(&w, "generated", id, r);
		}
	}
	graph = json_pack("{s:i, s:s, s:s, s:s, s:s, s:n, s:O, s:O, s:O, s:[]}", "lineage_version",
			  PROVENANCE_LINEAGE_VERSION, "cairn_version", CAIRN_VERSION, "target", "",
			  "target_sha256", "", "target_step", last, "depth", "steps", w.steps,
			  "files", w.files, "edges", w.edges, "unexpanded");
	json_decref(w.steps);
	json_decref(w.files);
	json_decref(w.edges);
	json_decref(w.file_by_key);
	strbuf_release(&w.key);
	if (!graph)
		return err_set(CAIRN_ERROR, "session graph: cannot build the graph");
	json_object_set_new(graph, "session", util_json_str(session));
	*out = graph;
	return 0;
}

/* ---- reading a graph back ----------------------------------------------- */

int lineage__view_init(struct lineage_view *v, const json_t *graph)
{
	struct strbuf key = STRBUF_INIT;
	json_t *x;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->graph = graph;
	v->target = lineage__str(graph, "target");
	v->target_sha256 = lineage__str(graph, "target_sha256");
	v->target_step = lineage__str(graph, "target_step");
	v->steps = json_object_get(graph, "steps");
	v->files = json_object_get(graph, "files");
	v->edges = json_object_get(graph, "edges");
	v->unexpanded = json_object_get(graph, "unexpanded");
	if (!v->target || !v->target_step || !json_is_array(v->steps) || !json_is_array(v->files) ||
	    !json_is_array(v->edges) || !json_is_array(v->unexpanded))
		return err_set(CAIRN_ERROR, "not a lineage graph");

	v->step_by_id = json_object();
	v->file_by_key = json_object();
	v->unexpanded_by_id = json_object();
	v->used_by_step = json_object();
	v->generated_by_step = json_object();
	json_array_foreach(v->steps, i, x)
	{
		const char *id = lineage__str(x, "id");
		if (!id) {
			lineage__view_release(v);
			return err_set(CAIRN_ERROR, "lineage graph: a step without an id");
		}
		json_object_set(v->step_by_id, id, x);
	}
	json_array_foreach(v->files, i, x)
	{
		const char *p = lineage__str(x, "path");
		if (!p) {
			lineage__view_release(v);
			strbuf_release(&key);
			return err_set(CAIRN_ERROR, "lineage graph: a file without a path");
		}
		lineage__file_key(&key, p, lineage__str(x, "sha256"));
		json_object_set_nocheck(v->file_by_key, key.buf, x);
	}
	json_array_foreach(v->unexpanded, i, x)
	{
		const char *id = lineage__str(x, "step");
		const char *why = lineage__str(x, "reason");
		if (id)
			json_object_set_new(v->unexpanded_by_id, id,
					    json_string(why ? why : "depth"));
	}
	json_array_foreach(v->edges, i, x)
	{
		const char *rel = lineage__str(x, "rel");
		const char *id = lineage__str(x, "step");
		json_t *by, *list;
		if (!rel || !id || !lineage__str(x, "path")) {
			lineage__view_release(v);
			strbuf_release(&key);
			return err_set(CAIRN_ERROR, "lineage graph: a malformed edge");
		}
		by = strcmp(rel, "used") ? v->generated_by_step : v->used_by_step;
		list = json_object_get(by, id);
		if (!list) {
			list = json_array();
			json_object_set_new(by, id, list);
		}
		json_array_append(list, x);
	}
	strbuf_release(&key);
	return 0;
}

json_t *lineage__edge_file(struct lineage_view *v, const json_t *edge)
{
	struct strbuf key = STRBUF_INIT;
	json_t *f;
	lineage__file_key(&key, lineage__str(edge, "path"), lineage__str(edge, "sha256"));
	f = json_object_get(v->file_by_key, key.buf);
	strbuf_release(&key);
	return f;
}

void lineage__view_release(struct lineage_view *v)
{
	json_decref(v->step_by_id);
	json_decref(v->file_by_key);
	json_decref(v->unexpanded_by_id);
	json_decref(v->used_by_step);
	json_decref(v->generated_by_step);
	v->step_by_id = v->file_by_key = v->unexpanded_by_id = NULL;
	v->used_by_step = v->generated_by_step = NULL;
}

/* ---- the terminal tree -------------------------------------------------- */

struct tree {
	struct strbuf *out;
	struct lineage_view *v;
	int color;
	const char *branch, *last, *pipe, *space; /* the four indent pieces */
	json_t *shown; /* {step id: true} once printed in full */
	struct strbuf prefix;
};

/* ANSI styles: bold paths, yellow step ids, red failures, green raw inputs. */
#define SGR_BOLD "\033[1m"
#define SGR_DIM "\033[2m"
#define SGR_RED "\033[31m"
#define SGR_GREEN "\033[32m"
#define SGR_YELLOW "\033[33m"
#define SGR_RESET "\033[m"

static void tree_styled(struct tree *t, const char *sgr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void tree_styled(struct tree *t, const char *sgr, const char *fmt, ...)
{
	va_list ap;
	if (t->color)
		strbuf_addstr(t->out, sgr);
	va_start(ap, fmt);
	strbuf_vaddf(t->out, fmt, ap);
	va_end(ap);
	if (t->color)
		strbuf_addstr(t->out, SGR_RESET);
}

/* "2026-12-02T13:30:00.123Z" -> "2026-12-02 13:30:00 UTC"; others as they are. */
static void tree_time(struct strbuf *out, const char *t)
{
	if (strlen(t) >= 19 && t[10] == 'T' && t[strlen(t) - 1] == 'Z') {
		strbuf_add(out, t, 10);
		strbuf_addch(out, ' ');
		strbuf_add(out, t + 11, 8);
		strbuf_addstr(out, " UTC");
	} else {
		strbuf_addstr(out, t);
	}
}

static void tree_duration(struct strbuf *out, double s)
{
	if (s < 60)
		strbuf_addf(out, "%.2f s", s);
	else if (s < 3600)
		strbuf_addf(out, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		strbuf_addf(out, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

/* One detail line under a step: PRE then the text in SB. */
static void tree_detail(struct tree *t, const char *pre, const struct strbuf *sb)
{
	strbuf_addstr(t->out, pre);
	strbuf_addbuf(t->out, sb);
	strbuf_addch(t->out, '\n');
}

/* The lines under a step's header: when, programs, code, tags. */
static void tree_step_details(struct tree *t, const json_t *rec, const char *pre)
{
	struct strbuf sb = STRBUF_INIT;
	const char *started = lineage__str(rec, "started");
	const char *from = lineage__str(rec, "from_step");
	json_t *res = json_object_get(rec, "resources");
	json_t *wall = json_object_get(res, "wall_s");
	json_t *x, *reads = json_object_get(rec, "reads");
	json_t *names = json_object();
	long long status = lineage__int(rec, "exit_status", -1);
	size_t i, nprog = 0, nsys = 0, shown = 0;
	const char *k;

	/* when, how long, how it ended */
	if (started)
		tree_time(&sb, started);
	if (json_is_number(wall)) {
		strbuf_addstr(&sb, sb.len ? ", " : "");
		tree_duration(&sb, json_number_value(wall));
	}
	strbuf_addstr(&sb, sb.len ? ", " : "");
	if (status == 0) {
		strbuf_addstr(&sb, "exit 0");
	} else {
		if (t->color)
			strbuf_addstr(&sb, SGR_RED);
		strbuf_addf(&sb, "exit %lld", status);
		if (json_is_true(json_object_get(rec, "interrupted")))
			strbuf_addstr(&sb, " (interrupted)");
		if (t->color)
			strbuf_addstr(&sb, SGR_RESET);
	}
	if (json_is_true(json_object_get(rec, "cached")))
		strbuf_addf(&sb, ", cached from %.8s", from ? from : "?");
	tree_detail(t, pre, &sb);

	/* programs executed, by name, and how many system files were read */
	strbuf_reset(&sb);
	json_array_foreach(reads, i, x)
	{
		const char *kind = lineage__str(x, "kind");
		const char *path = lineage__str(x, "path");
		if (!kind || !path)
			continue;
		if (!strcmp(kind, "exec")) {
			const char *name = base_name(path);
			if (json_object_get(names, name))
				continue;
			json_object_set_new(names, name, json_true());
			nprog++;
			if (nprog <= 4)
				strbuf_addf(&sb, "%s%s", nprog > 1 ? ", " : "",
					    util_name_quoted(name));
		} else if (!strcmp(kind, "file") && !read_role(rec, x)) {
			nsys++;
		}
	}
	if (nprog > 4)
		strbuf_addf(&sb, " (+%zu more)", nprog - 4);
	if (nprog || nsys) {
		struct strbuf line = STRBUF_INIT;
		if (nprog)
			strbuf_addf(&line, "programs: %s", sb.buf);
		if (nsys)
			strbuf_addf(&line, "%s%zu system file%s read", nprog ? "; " : "", nsys,
				    nsys == 1 ? "" : "s");
		tree_detail(t, pre, &line);
		strbuf_release(&line);
	}

	/* code versions: the git blob of each code file read */
	strbuf_reset(&sb);
	json_array_foreach(json_object_get(rec, "code"), i, x)
	{
		const char *path = lineage__str(x, "path");
		const char *blob = lineage__str(x, "blob");
		const char *sha = lineage__str(x, "sha256");
		const char *state = lineage__str(x, "git_state");
		if (!path)
			continue;
		strbuf_addstr(&sb, shown++ ? ", " : "code: ");
		strbuf_add_name_quoted(&sb, path);
		/* the version as the file lines name it: one id per version */
		if (blob || sha)
			strbuf_addf(&sb, " @ %.8s", sha ? sha : blob);
		if (state && strcmp(state, "clean"))
			strbuf_addf(&sb, " (%s)", state);
	}
	if (sb.len)
		tree_detail(t, pre, &sb);

	strbuf_reset(&sb);
	json_object_foreach(json_object_get(rec, "tags"), k, x)
	{
		strbuf_addstr(&sb, sb.len ? ", " : "tags: ");
		if (json_is_string(x))
			strbuf_addf(&sb, "%s=%s", k, json_string_value(x));
		else
			strbuf_addstr(&sb, k);
	}
	if (sb.len)
		tree_detail(t, pre, &sb);
	json_decref(names);
	strbuf_release(&sb);
}

static void tree_file(struct tree *t, const json_t *file, int last);

/* The file's line after its branch: path, hash, size, format, markers. */
static void tree_file_label(struct tree *t, const json_t *file)
{
	const char *sha = lineage__str(file, "sha256");
	const char *fmt = lineage__str(file, "format");
	const char *role = lineage__str(file, "role");
	const char *path = lineage__str(file, "path");
	json_t *size = json_object_get(file, "size");

	tree_styled(t, SGR_BOLD, "%s", util_name_quoted(path));
	strbuf_addf(t->out, "  %.8s", sha ? sha : "--------");
	if (json_is_integer(size)) {
		strbuf_addstr(t->out, "  ");
		lineage__human_size(t->out, (long long)json_integer_value(size));
	}
	if (fmt)
		strbuf_addf(t->out, "  %s", fmt);
	if (role && !strcmp(role, "code"))
		strbuf_addstr(t->out, "  (code)");
	else if (!lineage__str(file, "producer"))
		tree_styled(t, SGR_GREEN, "  (raw input)");
	strbuf_addch(t->out, '\n');
}

/* Is FILE a hand-made code file REC's `code` names, same version? */
static int code_listed(const json_t *rec, const json_t *file)
{
	const char *path = lineage__str(file, "path"), *sha = lineage__str(file, "sha256");
	const char *role = lineage__str(file, "role");
	json_t *x;
	size_t i;
	if (!role || strcmp(role, "code") || lineage__str(file, "producer") || !path || !sha)
		return 0;
	json_array_foreach(json_object_get(rec, "code"), i, x)
	{
		if (!strcmp(lineage__str(x, "path") ?: "", path) &&
		    !strcmp(lineage__str(x, "sha256") ?: "", sha))
			return 1;
	}
	return 0;
}

/* Print step ID as the only child of a file, at the current prefix. */
static void tree_step(struct tree *t, const char *id)
{
	json_t *rec = json_object_get(t->v->step_by_id, id);
	const char *why = lineage__str(t->v->unexpanded_by_id, id);
	struct strbuf cmd = STRBUF_INIT, pre = STRBUF_INIT;
	json_t *used, *inputs, *e;
	size_t i, n, mark;

	strbuf_addstr(t->out, t->prefix.buf);
	strbuf_addstr(t->out, t->last);
	strbuf_addstr(t->out, "step ");
	tree_styled(t, SGR_YELLOW, "%.8s", id);
	if (!rec) {
		if (why && !strcmp(why, "missing"))
			tree_styled(t, SGR_RED, "  (not in the store)");
		else
			tree_styled(t, SGR_DIM, "  (beyond --depth)");
		strbuf_addch(t->out, '\n');
		goto out;
	}
	lineage__short_command(
	    &cmd, lineage__str(rec, "command") ? lineage__str(rec, "command") : "", 72);
	strbuf_addf(t->out, "  %s", cmd.buf);
	if (json_object_get(t->shown, id)) {
		tree_styled(t, SGR_DIM, "  (shown above)");
		strbuf_addch(t->out, '\n');
		goto out;
	}
	strbuf_addch(t->out, '\n');
	json_object_set_new(t->shown, id, json_true());

	/* Children: every input kept, but a code file that no step made,
	 * which the step's "code:" line already names with its version. */
	inputs = json_array();
	used = json_object_get(t->v->used_by_step, id);
	json_array_foreach(used, i, e)
	{
		json_t *f = lineage__edge_file(t->v, e);
		if (f && !code_listed(rec, f))
			json_array_append(inputs, f);
	}
	n = json_array_size(inputs);

	/* The step sits as the last (only) child of its file. */
	mark = t->prefix.len;
	strbuf_addstr(&t->prefix, t->space);
	strbuf_addf(&pre, "%s%s", t->prefix.buf, n ? t->pipe : t->space);
	tree_step_details(t, rec, pre.buf);
	json_array_foreach(inputs, i, e) tree_file(t, e, i + 1 == n);
	strbuf_setlen(&t->prefix, mark);
	json_decref(inputs);
out:
	strbuf_release(&cmd);
	strbuf_release(&pre);
}

static void tree_file(struct tree *t, const json_t *file, int last)
{
	const char *producer = lineage__str(file, "producer");
	size_t mark = t->prefix.len;

	strbuf_addstr(t->out, t->prefix.buf);
	strbuf_addstr(t->out, last ? t->last : t->branch);
	tree_file_label(t, file);
	if (!producer)
		return;
	strbuf_addstr(&t->prefix, last ? t->space : t->pipe);
	tree_step(t, producer);
	strbuf_setlen(&t->prefix, mark);
}

/*
 * The target on the first line, then the step that wrote it, its
 * inputs, and for each input the step that produced it, recursively.
 * A step is printed in full the first time it is reached and by its id
 * and command afterwards.
 */
int provenance_render_tree(struct strbuf *out, const json_t *graph, int flags)
{
	struct lineage_view v;
	struct strbuf key = STRBUF_INIT;
	struct tree t = { 0 };
	json_t *target;
	int ret;

	if ((ret = lineage__view_init(&v, graph)) < 0)
		return ret;
	t.out = out;
	t.v = &v;
	t.color = !!(flags & PROVENANCE_TREE_COLOR);
	if (flags & PROVENANCE_TREE_UTF8) {
		t.branch = "\u251c\u2500\u2500 ";
		t.last = "\u2514\u2500\u2500 ";
		t.pipe = "\u2502   ";
	} else {
		t.branch = "|-- ";
		t.last = "`-- ";
		t.pipe = "|   ";
	}
	t.space = "    ";
	t.shown = json_object();
	strbuf_init(&t.prefix, 0);

	lineage__file_key(&key, v.target, v.target_sha256);
	target = json_object_get(v.file_by_key, key.buf);
	if (target) {
		tree_file_label(&t, target);
	} else {
		tree_styled(&t, SGR_BOLD, "%s", v.target);
		strbuf_addch(out, '\n');
	}
	tree_step(&t, v.target_step);

	json_decref(t.shown);
	strbuf_release(&t.prefix);
	strbuf_release(&key);
	lineage__view_release(&v);
	return 0;
}
