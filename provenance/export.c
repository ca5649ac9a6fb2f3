/*
 * export.c - the lineage graph as Graphviz DOT, JSON, W3C PROV-JSON and
 * an RO-Crate (Provenance Run Crate) metadata file.
 *
 * docs/lineage.md describes how the graph maps to each format; the
 * comments here say why where the mapping had a choice.
 */
#include "lineage-int.h"

#include <stdlib.h>
#include <string.h>

/* ---- shared ------------------------------------------------------------- */

/* Append a JSON document, indented, with a final newline. */
static int dump_json(struct strbuf *out, const json_t *doc)
{
	char *s = util_json_dumps(doc, JSON_INDENT(2));
	if (!s)
		return err_set(CAIRN_ERROR, "cannot serialise the lineage as JSON");
	strbuf_addstr(out, s);
	strbuf_addch(out, '\n');
	free(s);
	return 0;
}

/* Percent-encode S for a URI path or a PROV local name: unreserved
 * characters and '/' stay, everything else is %XX. */
static void add_pct(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			strbuf_addch(out, (char)c);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
		}
	}
}

static int step_failed(const json_t *rec)
{
	return lineage__int(rec, "exit_status", -1) != 0 ||
	    json_is_true(json_object_get(rec, "interrupted"));
}

int provenance_render_json(struct strbuf *out, const json_t *graph)
{
	struct lineage_view v;
	int ret;

	/* Only graphs the walk made: the same check as the other formats. */
	if ((ret = lineage__view_init(&v, graph)) < 0)
		return ret;
	lineage__view_release(&v);
	return dump_json(out, graph);
}

/* ---- Graphviz ----------------------------------------------------------- */

/* Append S inside a DOT double-quoted string: quotes and backslashes
 * escaped, newlines as \n (a centred line break), other controls dropped. */
static void dot_escape(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			strbuf_addch(out, '\\');
			strbuf_addch(out, *s);
		} else if (*s == '\n') {
			strbuf_addstr(out, "\\n");
		} else if ((unsigned char)*s >= 0x20 && *s != 0x7f) {
			strbuf_addch(out, *s);
		}
	}
}

/*
 * Node names are synthetic (s0, f0, u0) so that no path or command has
 * to survive as an identifier; the text goes in labels.  Files are boxes
 * (code files notes, the target doubled, raw inputs shaded), steps
 * ellipses (red when they failed), steps the walk did not expand dashed.
 */
int provenance_render_dot(struct strbuf *out, const json_t *graph)
{
	return provenance_render_dot_flags(out, graph, 0);
}

/* Does step ID have an edge?  (A session's `cd` or `export` has none.) */
static int step_has_edges(struct lineage_view *v, const char *id)
{
	return json_array_size(json_object_get(v->used_by_step, id)) ||
	    json_array_size(json_object_get(v->generated_by_step, id));
}

int provenance_render_dot_flags(struct strbuf *out, const json_t *graph, int flags)
{
	struct lineage_view v;
	const char *session;
	struct strbuf lab = STRBUF_INIT, key = STRBUF_INIT;
	json_t *file_node = json_object(), *step_node = json_object();
	json_t *x;
	size_t i;
	int ret;

	if ((ret = lineage__view_init(&v, graph)) < 0)
		goto out;
	strbuf_addstr(out, "digraph lineage {\n");
	strbuf_addf(out, "\tgraph [rankdir=%s, fontname=\"Helvetica\", labelloc=t, label=\"",
		    flags & PROVENANCE_DOT_TOP_DOWN ? "TB" : "LR");
	session = lineage__str(graph, "session");
	if (session) {
		strbuf_addstr(&lab, "session ");
		strbuf_addstr(&lab, session);
	} else {
		strbuf_addstr(&lab, "lineage of ");
		strbuf_addstr(&lab, v.target);
	}
	dot_escape(out, lab.buf);
	strbuf_addstr(out, "\"];\n");
	strbuf_addstr(out, "\tnode [fontname=\"Helvetica\", fontsize=10];\n");
	strbuf_addstr(out, "\tedge [color=\"#555555\", arrowsize=0.7];\n");

	json_array_foreach(v.files, i, x)
	{
		const char *path = lineage__str(x, "path");
		const char *sha = lineage__str(x, "sha256");
		const char *fmt = lineage__str(x, "format");
		const char *role = lineage__str(x, "role");
		json_t *size = json_object_get(x, "size");
		int is_target = !strcmp(path, v.target) && sha && v.target_sha256 &&
		    !strcmp(sha, v.target_sha256);

		strbuf_reset(&lab);
		strbuf_addf(&lab, "%s\n%.8s", path, sha ? sha : "no hash");
		if (json_is_integer(size)) {
			strbuf_addstr(&lab, ", ");
			lineage__human_size(&lab, (long long)json_integer_value(size));
		}
		if (fmt)
			strbuf_addf(&lab, "\n%s", fmt);
		strbuf_addf(out, "\tf%zu [shape=%s, label=\"", i,
			    role && !strcmp(role, "code") ? "note" : "box");
		dot_escape(out, lab.buf);
		strbuf_addch(out, '"');
		if (is_target)
			strbuf_addstr(out, ", peripheries=2, penwidth=1.5");
		if (!lineage__str(x, "producer"))
			strbuf_addstr(out, ", style=filled, fillcolor=\"#eeeeee\"");
		/* Synthetic anchors: the page's ids, never a path. */
		if (flags & PROVENANCE_DOT_LINKS)
			strbuf_addf(out, ", URL=\"#file-%zu\", target=\"_self\"", i);
		strbuf_addstr(out, "];\n");
		lineage__file_key(&key, path, sha);
		json_object_set_new_nocheck(file_node, key.buf, json_integer((json_int_t)i));
	}
	json_array_foreach(v.steps, i, x)
	{
		const char *id = lineage__str(x, "id");
		const char *cmd = lineage__str(x, "command");

		if ((flags & PROVENANCE_DOT_SKIP_LONE) && !step_has_edges(&v, id))
			continue;
		strbuf_reset(&lab);
		strbuf_addf(&lab, "%.8s\n", id);
		lineage__short_command(&lab, cmd ? cmd : "", 48);
		if (step_failed(x))
			strbuf_addf(&lab, "\nexit %lld", lineage__int(x, "exit_status", -1));
		strbuf_addf(out, "\ts%zu [shape=ellipse, label=\"", i);
		dot_escape(out, lab.buf);
		strbuf_addch(out, '"');
		if (step_failed(x))
			strbuf_addstr(out, ", color=red, fontcolor=red");
		/* Cache hits shaded, and a link to the step's section; only ids
		 * that are hex, the store's form, make a URL. */
		if ((flags & PROVENANCE_DOT_LINKS) && json_is_true(json_object_get(x, "cached")))
			strbuf_addstr(out, ", style=filled, fillcolor=\"#e3f2e1\"");
		if ((flags & PROVENANCE_DOT_LINKS) && strspn(id, "0123456789abcdef") == strlen(id))
			strbuf_addf(out, ", URL=\"#step-%s\", target=\"_self\"", id);
		strbuf_addstr(out, "];\n");
		json_object_set_new(step_node, id, json_integer((json_int_t)i));
	}
	json_array_foreach(v.unexpanded, i, x)
	{
		const char *id = lineage__str(x, "step");
		const char *why = lineage__str(x, "reason");
		strbuf_reset(&lab);
		strbuf_addf(&lab, "%.8s\n%s", id ? id : "?",
			    why && !strcmp(why, "missing") ? "(not in the store)"
							   : "(beyond --depth)");
		strbuf_addf(out, "\tu%zu [shape=ellipse, style=dashed, label=\"", i);
		dot_escape(out, lab.buf);
		strbuf_addstr(out, "\"];\n");
		if (id)
			json_object_set_new(step_node, id, json_integer(-1 - (json_int_t)i));
	}

	/* input -> step -> output */
	json_array_foreach(v.edges, i, x)
	{
		const char *rel = lineage__str(x, "rel");
		json_t *fi, *si;
		lineage__file_key(&key, lineage__str(x, "path"), lineage__str(x, "sha256"));
		fi = json_object_get(file_node, key.buf);
		si = json_object_get(step_node, lineage__str(x, "step"));
		if (!fi || !si)
			continue;
		if (!strcmp(rel, "used"))
			strbuf_addf(out, "\tf%lld -> s%lld;\n", (long long)json_integer_value(fi),
				    (long long)json_integer_value(si));
		else
			strbuf_addf(out, "\ts%lld -> f%lld;\n", (long long)json_integer_value(si),
				    (long long)json_integer_value(fi));
	}
	/* Steps not expanded still show what they produced. */
	json_array_foreach(v.files, i, x)
	{
		json_t *si = json_object_get(
		    step_node, lineage__str(x, "producer") ? lineage__str(x, "producer") : "");
		if (si && json_integer_value(si) < 0)
			strbuf_addf(out, "\tu%lld -> f%zu [style=dashed];\n",
				    -1 - (long long)json_integer_value(si), i);
	}
	strbuf_addstr(out, "}\n");
	lineage__view_release(&v);
out:
	json_decref(file_node);
	json_decref(step_node);
	strbuf_release(&lab);
	strbuf_release(&key);
	return ret;
}

/* ---- W3C PROV-JSON ------------------------------------------------------ */

#define PROV_NS_CAIRN "urn:cairn:"
#define PROV_NS_STEP "urn:cairn:step:"
#define PROV_NS_FILE "urn:cairn:file:"
#define PROV_NS_AGENT "urn:cairn:agent:"

/* The PROV id of a file version: file:<path, %-encoded>@<sha256>. */
static void prov_file_id(struct strbuf *out, const char *path, const char *sha)
{
	strbuf_reset(out);
	strbuf_addstr(out, "file:");
	add_pct(out, path);
	strbuf_addf(out, "@%s", sha ? sha : "unhashed");
}

static void prov_user_id(struct strbuf *out, const char *user)
{
	strbuf_reset(out);
	strbuf_addstr(out, "agent:user/");
	add_pct(out, user);
}

/* Add relation BODY (stolen) under KIND with a fresh blank-node id. */
static void prov_relation(json_t *doc, const char *kind, const char *letter, json_t *body)
{
	json_t *map = json_object_get(doc, kind);
	char id[40];
	if (!map) {
		map = json_object();
		json_object_set_new(doc, kind, map);
	}
	snprintf(id, sizeof(id), "_:%s%zu", letter, json_object_size(map) + 1);
	json_object_set_new(map, id, body);
}

static json_t *prov_qname(const char *type)
{
	return json_pack("{s:s, s:s}", "$", type, "type", "prov:QUALIFIED_NAME");
}

/*
 * Entities are file versions (path and content hash), activities the
 * steps, agents the user each step ran as and cairn itself.  Producers
 * the walk did not expand are named by the entity's cairn:producer, not
 * declared as activities, so the document holds only what was read.
 */
int provenance_render_prov(struct strbuf *out, const json_t *graph)
{
	struct lineage_view v;
	struct strbuf id = STRBUF_INIT, id2 = STRBUF_INIT, sid = STRBUF_INIT, cairn = STRBUF_INIT;
	json_t *doc = NULL, *entity, *activity, *agent, *informed = NULL, *x, *e;
	const char *version = lineage__str(graph, "cairn_version");
	size_t i, j;
	int ret;

	if ((ret = lineage__view_init(&v, graph)) < 0)
		return ret;
	doc = json_pack("{s:{s:s, s:s, s:s, s:s}}", "prefix", "cairn", PROV_NS_CAIRN, "step",
			PROV_NS_STEP, "file", PROV_NS_FILE, "agent", PROV_NS_AGENT);
	entity = json_object();
	activity = json_object();
	agent = json_object();
	json_object_set_new(doc, "entity", entity);
	json_object_set_new(doc, "activity", activity);
	json_object_set_new(doc, "agent", agent);
	informed = json_object();

	if (!version)
		version = "unknown";
	strbuf_addstr(&cairn, "agent:cairn");
	json_object_set_new(agent, cairn.buf,
			    json_pack("{s:o, s:s, s:s}", "prov:type",
				      prov_qname("prov:SoftwareAgent"), "prov:label", "cairn",
				      "cairn:version", version));

	json_array_foreach(v.files, i, x)
	{
		const char *path = lineage__str(x, "path");
		const char *sha = lineage__str(x, "sha256");
		const char *role = lineage__str(x, "role");
		const char *fmt = lineage__str(x, "format");
		const char *producer = lineage__str(x, "producer");
		json_t *size = json_object_get(x, "size");
		json_t *ent = json_object();
		/* The path as bytes: json_pack() takes only UTF-8. */
		json_object_set_new(ent, "prov:label", util_json_str(path));
		json_object_set_new(ent, "cairn:path", util_json_str(path));
		json_object_set_new(
		    ent, "prov:type",
		    prov_qname(role && !strcmp(role, "code") ? "cairn:CodeFile" : "cairn:File"));
		if (sha)
			json_object_set_new(ent, "cairn:sha256", json_string(sha));
		if (json_is_integer(size))
			json_object_set(ent, "cairn:size", size);
		if (fmt)
			json_object_set_new(ent, "cairn:format", json_string(fmt));
		if (producer && !json_object_get(v.step_by_id, producer))
			json_object_set_new(ent, "cairn:producer", json_string(producer));
		prov_file_id(&id, path, sha);
		json_object_set_new(entity, id.buf, ent);
	}

	json_array_foreach(v.steps, i, x)
	{
		const char *sid_s = lineage__str(x, "id");
		const char *started = lineage__str(x, "started");
		const char *finished = lineage__str(x, "finished");
		const char *cmd = lineage__str(x, "command");
		const char *user = lineage__user(x);
		json_t *act = json_object(), *used = json_object_get(v.used_by_step, sid_s);
		json_t *gen = json_object_get(v.generated_by_step, sid_s);

		strbuf_reset(&sid);
		strbuf_addf(&sid, "step:%s", sid_s);
		if (started)
			json_object_set_new(act, "prov:startTime", json_string(started));
		if (finished)
			json_object_set_new(act, "prov:endTime", json_string(finished));
		json_object_set_new(act, "prov:label", util_json_str(cmd ? cmd : ""));
		json_object_set_new(act, "prov:type", prov_qname("cairn:Step"));
		json_object_set_new(act, "cairn:exitStatus",
				    json_integer(lineage__int(x, "exit_status", -1)));
		if (lineage__str(x, "session"))
			json_object_set_new(act, "cairn:session",
					    json_string(lineage__str(x, "session")));
		json_object_set_new(act, "cairn:cached",
				    json_boolean(json_is_true(json_object_get(x, "cached"))));
		json_object_set_new(activity, sid.buf, act);

		/* the user, once per distinct user, acting through cairn */
		prov_user_id(&id, user);
		if (!json_object_get(agent, id.buf)) {
			json_object_set_new(agent, id.buf,
					    json_pack("{s:o, s:s}", "prov:type",
						      prov_qname("prov:Person"), "prov:label",
						      user));
			prov_relation(doc, "actedOnBehalfOf", "b",
				      json_pack("{s:s, s:s}", "prov:delegate", cairn.buf,
						"prov:responsible", id.buf));
		}
		prov_relation(
		    doc, "wasAssociatedWith", "a",
		    json_pack("{s:s, s:s}", "prov:activity", sid.buf, "prov:agent", id.buf));
		prov_relation(
		    doc, "wasAssociatedWith", "a",
		    json_pack("{s:s, s:s}", "prov:activity", sid.buf, "prov:agent", cairn.buf));

		json_array_foreach(used, j, e)
		{
			json_t *f = lineage__edge_file(&v, e);
			const char *producer = lineage__str(f, "producer");
			json_t *u;
			prov_file_id(&id, lineage__str(e, "path"), lineage__str(e, "sha256"));
			u = json_pack("{s:s, s:s}", "prov:activity", sid.buf, "prov:entity",
				      id.buf);
			if (started)
				json_object_set_new(u, "prov:time", json_string(started));
			prov_relation(doc, "used", "u", u);
			/* wasInformedBy: once per (step, producing step) in the graph */
			if (producer && strcmp(producer, sid_s) &&
			    json_object_get(v.step_by_id, producer)) {
				strbuf_reset(&id2);
				strbuf_addf(&id2, "%s %s", sid_s, producer);
				if (!json_object_get(informed, id2.buf)) {
					json_object_set_new(informed, id2.buf, json_true());
					strbuf_reset(&id2);
					strbuf_addf(&id2, "step:%s", producer);
					prov_relation(doc, "wasInformedBy", "i",
						      json_pack("{s:s, s:s}", "prov:informed",
								sid.buf, "prov:informant",
								id2.buf));
				}
			}
		}
		json_array_foreach(gen, j, e)
		{
			json_t *g, *u;
			size_t k;
			prov_file_id(&id, lineage__str(e, "path"), lineage__str(e, "sha256"));
			g = json_pack("{s:s, s:s}", "prov:entity", id.buf, "prov:activity",
				      sid.buf);
			if (finished)
				json_object_set_new(g, "prov:time", json_string(finished));
			prov_relation(doc, "wasGeneratedBy", "g", g);
			/* each output version derives from each input version */
			json_array_foreach(used, k, u)
			{
				prov_file_id(&id2, lineage__str(u, "path"),
					     lineage__str(u, "sha256"));
				prov_relation(doc, "wasDerivedFrom", "d",
					      json_pack("{s:s, s:s, s:s}", "prov:generatedEntity",
							id.buf, "prov:usedEntity", id2.buf,
							"prov:activity", sid.buf));
			}
		}
	}
	ret = dump_json(out, doc);
	json_decref(doc);
	json_decref(informed);
	strbuf_release(&id);
	strbuf_release(&id2);
	strbuf_release(&sid);
	strbuf_release(&cairn);
	lineage__view_release(&v);
	return ret;
}

/* ---- RO-Crate ----------------------------------------------------------- */

#define CRATE_CONTEXT "https://w3id.org/ro/crate/1.1/context"
#define CRATE_WFRUN_CONTEXT "https://w3id.org/ro/terms/workflow-run/context"
#define CRATE_SPEC "https://w3id.org/ro/crate/1.1"
#define CRATE_PROFILE_PROCESS "https://w3id.org/ro/wfrun/process/0.5"
#define CRATE_PROFILE_WORKFLOW "https://w3id.org/ro/wfrun/workflow/0.5"
#define CRATE_PROFILE_PROVENANCE "https://w3id.org/ro/wfrun/provenance/0.5"

struct crate {
	json_t *graph; /* the @graph array */
	json_t *by_id; /* {@id: entity} */
};

/* The entity @ID, created with TYPE or given TYPE as one more type. */
static json_t *crate_entity(struct crate *c, const char *id, const char *type)
{
	json_t *e = json_object_get(c->by_id, id), *t, *ti;
	size_t i;

	if (!e) {
		e = json_pack("{s:s, s:s}", "@id", id, "@type", type);
		json_array_append_new(c->graph, e);
		json_object_set(c->by_id, id, e);
		return e;
	}
	t = json_object_get(e, "@type");
	if (json_is_string(t)) {
		if (!strcmp(json_string_value(t), type))
			return e;
		json_object_set_new(e, "@type", json_pack("[O, s]", t, type));
		return e;
	}
	json_array_foreach(t, i, ti)
	{
		if (json_is_string(ti) && !strcmp(json_string_value(ti), type))
			return e;
	}
	json_array_append_new(t, json_string(type));
	return e;
}

static json_t *crate_ref(const char *id)
{
	return json_pack("{s:s}", "@id", id);
}

/* Add {"@id": ID} to the array PROP of E, once. */
static void crate_add_ref(json_t *e, const char *prop, const char *id)
{
	json_t *a = json_object_get(e, prop), *r;
	size_t i;
	if (!a) {
		a = json_array();
		json_object_set_new(e, prop, a);
	}
	json_array_foreach(a, i, r)
	{
		if (!strcmp(lineage__str(r, "@id"), id))
			return;
	}
	json_array_append_new(a, crate_ref(id));
}

/*
 * The @id of a file version.  Paths in the project are relative
 * references, so the metadata file describes the project when saved at
 * its root; paths outside it become file:// URIs.  When the graph holds
 * several versions of one path, only the newest keeps the plain id and
 * older ones get "#<path>@<sha256 prefix>" (they are no longer on disk).
 */
static void crate_file_id(struct strbuf *out, const char *path, const char *sha, int current)
{
	strbuf_reset(out);
	if (!current) {
		strbuf_addch(out, '#');
		add_pct(out, path);
		strbuf_addf(out, "@%.12s", sha ? sha : "unhashed");
		return;
	}
	if (path[0] == '/')
		strbuf_addstr(out, "file://");
	add_pct(out, path);
}

/* {path: sha256 of the version that keeps the plain @id}. */
static json_t *crate_current_versions(struct lineage_view *v)
{
	json_t *cur = json_object(), *when = json_object(), *x;
	size_t i;

	json_array_foreach(v->files, i, x)
	{
		const char *path = lineage__str(x, "path");
		const char *sha = lineage__str(x, "sha256");
		const char *p = lineage__str(x, "producer");
		json_t *rec = p ? json_object_get(v->step_by_id, p) : NULL;
		const char *fin = rec ? lineage__str(rec, "finished") : NULL;
		const char *best = lineage__str(when, path);

		if (!json_object_get(cur, path) || (fin && (!best || strcmp(fin, best) > 0))) {
			json_object_set_new_nocheck(cur, path,
						    sha ? json_string(sha) : json_null());
			json_object_set_new_nocheck(when, path, json_string(fin ? fin : ""));
		}
	}
	if (v->target_sha256)
		json_object_set_new_nocheck(cur, v->target, json_string(v->target_sha256));
	json_decref(when);
	return cur;
}

static void crate_file_id_of(struct strbuf *out, json_t *current, const char *path, const char *sha)
{
	json_t *c = json_object_get(current, path);
	int is_current;

	if (!c)
		is_current = 1;
	else if (json_is_null(c))
		is_current = !sha;
	else
		is_current = sha && !strcmp(json_string_value(c), sha);
	crate_file_id(out, path, sha, is_current);
}

/*
 * One CreateAction per step (instrument: the program it ran; object and
 * result: its input and output files), a HowToStep and a ControlAction
 * per step tying it to the workflow, the workflow itself (the script the
 * steps came from when they share one, else the lineage as a contextual
 * entity), a CreateAction for the whole run and an OrganizeAction for
 * cairn, the engine that orchestrated it.
 */
int provenance_render_rocrate(struct strbuf *out, const json_t *graph)
{
	struct lineage_view v;
	struct crate c = { 0 };
	struct strbuf id = STRBUF_INIT, id2 = STRBUF_INIT, name = STRBUF_INIT;
	json_t *doc = NULL, *root, *wf, *run, *org, *current = NULL, *x, *e;
	const char *version = lineage__str(graph, "cairn_version");
	const char *script = NULL, *first_start = NULL, *last_end = NULL;
	char *wf_id = NULL;
	size_t i, j, nfailed = 0;
	int ret, one_script = 1;

	if ((ret = lineage__view_init(&v, graph)) < 0)
		return ret;
	c.graph = json_array();
	c.by_id = json_object();
	doc = json_pack("{s:[s, s], s:O}", "@context", CRATE_CONTEXT, CRATE_WFRUN_CONTEXT, "@graph",
			c.graph);
	current = crate_current_versions(&v);
	if (!version)
		version = "unknown";

	json_array_foreach(v.steps, i, x)
	{
		const char *s = lineage__str(x, "script");
		const char *st = lineage__str(x, "started");
		const char *fin = lineage__str(x, "finished");
		if (!s || (script && strcmp(s, script)))
			one_script = 0;
		if (s && !script)
			script = s;
		if (st && (!first_start || strcmp(st, first_start) < 0))
			first_start = st;
		if (fin && (!last_end || strcmp(fin, last_end) > 0))
			last_end = fin;
		if (step_failed(x))
			nfailed++;
	}

	e = crate_entity(&c, "ro-crate-metadata.json", "CreativeWork");
	json_object_set_new(e, "conformsTo", crate_ref(CRATE_SPEC));
	json_object_set_new(e, "about", crate_ref("./"));

	root = crate_entity(&c, "./", "Dataset");
	strbuf_addf(&name, "Lineage of %s", v.target);
	json_object_set_new(root, "name", json_string(name.buf));
	json_object_set_new(root, "description",
			    json_string("How this file was made, step by step, as recorded by "
					"cairn: the commands, the programs, the code and the "
					"input versions."));
	if (last_end)
		json_object_set_new(root, "datePublished", json_string(last_end));
	json_object_set_new(root, "conformsTo",
			    json_pack("[o, o, o]", crate_ref(CRATE_PROFILE_PROCESS),
				      crate_ref(CRATE_PROFILE_WORKFLOW),
				      crate_ref(CRATE_PROFILE_PROVENANCE)));
	e = crate_entity(&c, CRATE_PROFILE_PROCESS, "CreativeWork");
	json_object_set_new(e, "name", json_string("Process Run Crate"));
	json_object_set_new(e, "version", json_string("0.5"));
	e = crate_entity(&c, CRATE_PROFILE_WORKFLOW, "CreativeWork");
	json_object_set_new(e, "name", json_string("Workflow Run Crate"));
	json_object_set_new(e, "version", json_string("0.5"));
	e = crate_entity(&c, CRATE_PROFILE_PROVENANCE, "CreativeWork");
	json_object_set_new(e, "name", json_string("Provenance Run Crate"));
	json_object_set_new(e, "version", json_string("0.5"));

	/* The workflow: a script file when all steps came from one, else the
	 * lineage itself, which is no file (so not typed File). */
	if (one_script && script) {
		strbuf_reset(&id);
		crate_file_id(&id, script, NULL, 1);
		wf_id = xstrdup(id.buf);
		wf = crate_entity(&c, wf_id, "File");
		crate_entity(&c, wf_id, "SoftwareSourceCode");
		crate_add_ref(root, "hasPart", wf_id);
		json_object_set_new(wf, "name", json_string(script));
	} else {
		wf_id = xstrdup("#lineage");
		wf = crate_entity(&c, wf_id, "SoftwareSourceCode");
		json_object_set_new(wf, "name", json_string(name.buf));
	}
	crate_entity(&c, wf_id, "ComputationalWorkflow");
	crate_entity(&c, wf_id, "HowTo");
	json_object_set_new(wf, "programmingLanguage", crate_ref("#shell"));
	json_object_set_new(root, "mainEntity", crate_ref(wf_id));
	e = crate_entity(&c, "#shell", "ComputerLanguage");
	json_object_set_new(e, "name", json_string("Shell (POSIX sh / bash)"));

	e = crate_entity(&c, "#cairn", "SoftwareApplication");
	json_object_set_new(e, "name", json_string("cairn"));
	json_object_set_new(e, "version", json_string(version));

	run = crate_entity(&c, "#run", "CreateAction");
	strbuf_reset(&id);
	strbuf_addf(&id, "Run of the steps that made %s", v.target);
	json_object_set_new(run, "name", json_string(id.buf));
	json_object_set_new(run, "instrument", crate_ref(wf_id));
	crate_add_ref(root, "mentions", "#run");

	org = crate_entity(&c, "#cairn-run", "OrganizeAction");
	json_object_set_new(org, "name", json_string("Orchestration by cairn"));
	json_object_set_new(org, "instrument", crate_ref("#cairn"));
	json_object_set_new(org, "result", crate_ref("#run"));

	json_array_foreach(v.steps, i, x)
	{
		const char *sid = lineage__str(x, "id");
		const char *cmd = lineage__str(x, "command");
		const char *user = lineage__user(x);
		const char *exe, *exe_sha;
		json_t *act, *tool, *howto, *ctl, *person;
		char *tool_id, *act_id, *howto_id, *ctl_id;

		/* the program, one entity per name */
		strbuf_reset(&name);
		lineage__main_program(&name, x, &exe, &exe_sha);
		strbuf_reset(&id);
		strbuf_addstr(&id, "#program-");
		add_pct(&id, name.buf);
		tool_id = xstrdup(id.buf);
		tool = crate_entity(&c, tool_id, "SoftwareApplication");
		json_object_set_new(tool, "name", json_string(name.buf));
		if (exe && !json_object_get(tool, "identifier"))
			json_object_set_new(tool, "identifier", json_string(exe));
		if (exe_sha && !json_object_get(tool, "sha256"))
			json_object_set_new(tool, "sha256", json_string(exe_sha));
		crate_add_ref(wf, "hasPart", tool_id);

		strbuf_reset(&id);
		strbuf_addf(&id, "#user-");
		add_pct(&id, user);
		person = crate_entity(&c, id.buf, "Person");
		json_object_set_new(person, "name", json_string(user));
		if (!json_object_get(run, "agent"))
			json_object_set_new(run, "agent", crate_ref(id.buf));
		if (!json_object_get(org, "agent"))
			json_object_set_new(org, "agent", crate_ref(id.buf));

		act_id = xstrfmt("#step-%s", sid);
		act = crate_entity(&c, act_id, "CreateAction");
		strbuf_reset(&id2);
		lineage__short_command(&id2, cmd ? cmd : "", 100);
		json_object_set_new(act, "name", json_string(id2.buf));
		json_object_set_new(act, "description", util_json_str(cmd ? cmd : ""));
		json_object_set_new(act, "identifier", json_string(sid));
		json_object_set_new(act, "instrument", crate_ref(tool_id));
		json_object_set_new(act, "agent", crate_ref(id.buf));
		if (lineage__str(x, "started"))
			json_object_set_new(act, "startTime",
					    json_string(lineage__str(x, "started")));
		if (lineage__str(x, "finished"))
			json_object_set_new(act, "endTime",
					    json_string(lineage__str(x, "finished")));
		json_object_set_new(act, "actionStatus",
				    crate_ref(step_failed(x)
						  ? "http://schema.org/FailedActionStatus"
						  : "http://schema.org/CompletedActionStatus"));
		json_object_set_new(act, "exitCode",
				    json_integer(lineage__int(x, "exit_status", -1)));
		if (step_failed(x)) {
			strbuf_reset(&id2);
			strbuf_addf(&id2, "exit status %lld", lineage__int(x, "exit_status", -1));
			json_object_set_new(act, "error", json_string(id2.buf));
		}
		json_object_set_new(act, "object", json_array());
		json_object_set_new(act, "result", json_array());
		crate_add_ref(root, "mentions", act_id);

		json_array_foreach(json_object_get(v.used_by_step, sid), j, e)
		{
			crate_file_id_of(&id, current, lineage__str(e, "path"),
					 lineage__str(e, "sha256"));
			crate_add_ref(act, "object", id.buf);
		}
		json_array_foreach(json_object_get(v.generated_by_step, sid), j, e)
		{
			crate_file_id_of(&id, current, lineage__str(e, "path"),
					 lineage__str(e, "sha256"));
			crate_add_ref(act, "result", id.buf);
		}

		howto_id = xstrfmt("#howto-%s", sid);
		howto = crate_entity(&c, howto_id, "HowToStep");
		json_object_set_new(howto, "position", json_string(""));
		json_object_set_new(howto, "workExample", crate_ref(tool_id));
		crate_add_ref(wf, "step", howto_id);

		ctl_id = xstrfmt("#control-%s", sid);
		ctl = crate_entity(&c, ctl_id, "ControlAction");
		strbuf_reset(&id2);
		strbuf_addf(&id2, "orchestrate %.8s", sid);
		json_object_set_new(ctl, "name", json_string(id2.buf));
		json_object_set_new(ctl, "instrument", crate_ref(howto_id));
		json_object_set_new(ctl, "object", crate_ref(act_id));
		crate_add_ref(org, "object", ctl_id);

		free(tool_id);
		free(act_id);
		free(howto_id);
		free(ctl_id);
	}

	/* Positions follow the order the steps ran in (their start times). */
	json_array_foreach(v.steps, i, x)
	{
		const char *st = lineage__str(x, "started");
		size_t pos = 0;
		json_t *y;
		json_array_foreach(v.steps, j, y)
		{
			const char *st2 = lineage__str(y, "started");
			int cmp = st && st2 ? strcmp(st2, st) : 0;
			if (cmp < 0 || (cmp == 0 && j < i))
				pos++;
		}
		strbuf_reset(&id);
		strbuf_addf(&id, "#howto-%s", lineage__str(x, "id"));
		strbuf_reset(&id2);
		strbuf_addf(&id2, "%zu", pos);
		json_object_set_new(json_object_get(c.by_id, id.buf), "position",
				    json_string(id2.buf));
	}

	/* Files: data entities with their hash and size. */
	json_array_foreach(v.files, i, x)
	{
		const char *path = lineage__str(x, "path");
		const char *sha = lineage__str(x, "sha256");
		const char *role = lineage__str(x, "role");
		const char *fmt = lineage__str(x, "format");
		const char *producer = lineage__str(x, "producer");
		json_t *size = json_object_get(x, "size");
		json_t *f;

		crate_file_id_of(&id, current, path, sha);
		f = crate_entity(&c, id.buf, "File");
		if (role && !strcmp(role, "code"))
			crate_entity(&c, id.buf, "SoftwareSourceCode");
		json_object_set_new(f, "name", util_json_str(path));
		if (sha)
			json_object_set_new(f, "sha256", json_string(sha));
		if (json_is_integer(size)) {
			strbuf_reset(&id2);
			strbuf_addf(&id2, "%lld", (long long)json_integer_value(size));
			json_object_set_new(f, "contentSize", json_string(id2.buf));
		}
		if (fmt)
			json_object_set_new(f, "description", json_string(fmt));
		if (id.buf[0] != '#')
			crate_add_ref(root, "hasPart", id.buf);
		/* The run's inputs: files no step of the graph produced. */
		if (!producer || !json_object_get(v.step_by_id, producer))
			crate_add_ref(run, "object", id.buf);
	}
	crate_file_id_of(&id, current, v.target, v.target_sha256);
	crate_add_ref(run, "result", id.buf);
	if (!json_object_get(run, "object"))
		json_object_set_new(run, "object", json_array());
	if (first_start) {
		json_object_set_new(run, "startTime", json_string(first_start));
		json_object_set_new(org, "startTime", json_string(first_start));
	}
	if (last_end) {
		json_object_set_new(run, "endTime", json_string(last_end));
		json_object_set_new(org, "endTime", json_string(last_end));
	}
	json_object_set_new(run, "actionStatus",
			    crate_ref(nfailed ? "http://schema.org/FailedActionStatus"
					      : "http://schema.org/CompletedActionStatus"));

	ret = dump_json(out, doc);
	json_decref(doc);
	json_decref(c.graph);
	json_decref(c.by_id);
	json_decref(current);
	free(wf_id);
	strbuf_release(&id);
	strbuf_release(&id2);
	strbuf_release(&name);
	lineage__view_release(&v);
	return ret;
}
