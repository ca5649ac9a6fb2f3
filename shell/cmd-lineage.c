/*
 * cmd-lineage.c - `cairn lineage PATH [--format F] [--depth N]`: how a
 * file was made, step by step, as a tree or in an exchange format.
 */
#include "shell-int.h"
#include "provenance.h"
#include "provenance-lineage.h"

#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum lineage_format { FMT_TREE, FMT_DOT, FMT_SVG, FMT_JSON, FMT_PROV, FMT_ROCRATE };

static const struct {
	const char *name;
	enum lineage_format fmt;
} formats[] = {
	{ "tree", FMT_TREE },	     { "dot", FMT_DOT },	 { "svg", FMT_SVG },
	{ "json", FMT_JSON },	     { "prov-json", FMT_PROV },	 { "prov", FMT_PROV },
	{ "ro-crate", FMT_ROCRATE }, { "rocrate", FMT_ROCRATE },
};

/* The store as a source of records for the walk. */
static int store_get(json_t **out, const char *step_id, void *payload)
{
	return provenance_step_get(out, payload, step_id);
}

static int store_writer(char out_id[33], char out_sha[65], const char *path, void *payload)
{
	return provenance_latest_writer(out_id, out_sha, payload, path);
}

/*
 * PATH as records name it: relative to the project ROOT when inside it,
 * else absolute.  Lexical (the file may be gone): "." and ".." are
 * resolved against the working directory, symlinks are not followed.
 */
static char *record_path(const char *root, const char *path)
{
	struct strbuf abs = STRBUF_INIT, norm = STRBUF_INIT;
	char cwd[PATH_MAX];
	const char *p;
	size_t rlen = strlen(root);

	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return xstrdup(path);
		strbuf_addf(&abs, "%s/", cwd);
	}
	strbuf_addstr(&abs, path);
	for (p = abs.buf; *p;) {
		size_t n;
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(norm.buf, '/');
			strbuf_setlen(&norm, slash ? (size_t)(slash - norm.buf) : 0);
		} else {
			strbuf_addch(&norm, '/');
			strbuf_add(&norm, p, n);
		}
		p += n;
	}
	if (!norm.len)
		strbuf_addch(&norm, '/');
	strbuf_release(&abs);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (!strncmp(norm.buf, root, rlen) && norm.buf[rlen] == '/') {
		char *rel = xstrdup(norm.buf + rlen + 1);
		strbuf_release(&norm);
		return rel;
	}
	if (!strncmp(norm.buf, root, rlen) && !norm.buf[rlen]) {
		strbuf_release(&norm);
		return xstrdup(".");
	}
	return strbuf_detach(&norm, NULL);
}

int shell_on_path(const char *prog)
{
	const char *path = getenv("PATH"), *p;
	struct strbuf sb = STRBUF_INIT;
	int found = 0;

	for (p = path ? path : "/usr/bin:/bin"; !found && *p;) {
		size_t n = strcspn(p, ":");
		strbuf_reset(&sb);
		strbuf_add(&sb, n ? p : ".", n ? n : 1);
		strbuf_addf(&sb, "/%s", prog);
		found = !access(sb.buf, X_OK);
		p += n;
		if (*p == ':')
			p++;
	}
	strbuf_release(&sb);
	return found;
}

/* Feed DOT to `dot -Tsvg`, which writes to our standard output. */
static int dot_to_svg(const struct strbuf *dot)
{
	FILE *f;
	int st;

	if (!shell_on_path("dot"))
		return err_set(CAIRN_ENOTFOUND,
			       "--format svg needs Graphviz's dot, which is not installed "
			       "(apt-get install graphviz), or use --format dot");
	fflush(stdout);
	f = popen("dot -Tsvg", "w");
	if (!f)
		return err_errno(CAIRN_ERROR, "cannot run dot");
	fwrite(dot->buf, 1, dot->len, f);
	st = pclose(f);
	if (st == -1)
		return err_errno(CAIRN_ERROR, "dot");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return err_set(CAIRN_ERROR, "dot -Tsvg failed (status %d)",
			       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

/* Box-drawing characters when the terminal's locale is UTF-8. */
static int tree_flags(void)
{
	const char *nc = getenv("NO_COLOR");
	int flags = 0;

	if (!isatty(1))
		return 0;
	if (!nc || !*nc)
		flags |= PROVENANCE_TREE_COLOR;
	if (setlocale(LC_CTYPE, "") && !strcmp(nl_langinfo(CODESET), "UTF-8"))
		flags |= PROVENANCE_TREE_UTF8;
	return flags;
}

static int cmd_lineage_exec(int argc, char **argv)
{
	const char *path = NULL, *fmt_name = "tree";
	enum lineage_format fmt = FMT_TREE;
	struct prov_store *st = NULL;
	struct prov_source src;
	struct strbuf out = STRBUF_INIT;
	char *rel = NULL, *end;
	json_t *graph = NULL;
	long depth = 0;
	int i, ret, status = 0, found = 0;
	size_t k;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_lineage_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		int is_depth = !strcmp(a, "--depth") || !strncmp(a, "--depth=", 8);

		if (!strcmp(a, "--format") || !strcmp(a, "-f") || !strcmp(a, "--depth")) {
			if (i + 1 >= argc)
				return shell_usage_error(&cmd_lineage_entry, "%s needs a value", a);
			val = argv[++i];
		} else if (!strncmp(a, "--format=", 9)) {
			val = a + 9;
		} else if (is_depth) {
			val = a + 8;
		}
		if (val && is_depth) {
			errno = 0;
			depth = strtol(val, &end, 10);
			if (errno || end == val || *end || depth < 1 || depth > INT_MAX)
				return shell_usage_error(
				    &cmd_lineage_entry,
				    "--depth needs a whole number of steps >= 1, not "
				    "'%s'",
				    val);
		} else if (val) {
			fmt_name = val;
		} else if (!strcmp(a, "--")) {
			if (i + 1 < argc && !path)
				path = argv[++i];
			if (i + 1 < argc)
				return shell_usage_error(&cmd_lineage_entry,
							 "one path at a time: '%s' is one too many",
							 argv[i + 1]);
			break;
		} else if (a[0] == '-' && a[1]) {
			return shell_usage_error(&cmd_lineage_entry, "unknown option '%s'", a);
		} else if (path) {
			return shell_usage_error(&cmd_lineage_entry,
						 "one path at a time: '%s' is one too many", a);
		} else {
			path = a;
		}
	}
	if (!path || !*path)
		return shell_usage_error(&cmd_lineage_entry, "%s", "which file? give a PATH");
	for (k = 0; k < ARRAY_SIZE(formats); k++) {
		if (!strcmp(formats[k].name, fmt_name)) {
			fmt = formats[k].fmt;
			found = 1;
		}
	}
	if (!found)
		return shell_usage_error(&cmd_lineage_entry,
					 "unknown format '%s' (tree, dot, svg, json, prov-json, "
					 "ro-crate)",
					 fmt_name);

	/* The store: --store / $CAIRN_STORE, else found from here up. */
	if ((status = shell_store_open(&st, &cmd_lineage_entry)) != 0)
		goto out;

	rel = record_path(provenance_store_root(st), path);
	src.get = store_get;
	src.writer = store_writer;
	src.payload = st;
	ret = provenance_lineage_walk(&graph, &src, rel, (int)depth);
	if (ret == CAIRN_ENOTFOUND) {
		fprintf(stderr, "cairn lineage: %s\n", err_last());
		status = 1;
		goto out;
	}
	if (ret < 0)
		goto fail;

	switch (fmt) {
	case FMT_TREE:
		ret = provenance_render_tree(&out, graph, tree_flags());
		break;
	case FMT_DOT:
	case FMT_SVG:
		ret = provenance_render_dot(&out, graph);
		break;
	case FMT_JSON:
		ret = provenance_render_json(&out, graph);
		break;
	case FMT_PROV:
		ret = provenance_render_prov(&out, graph);
		break;
	case FMT_ROCRATE:
		ret = provenance_render_rocrate(&out, graph);
		break;
	default:
		ret = err_set(CAIRN_ERROR, "unknown format");
		break;
	}
	if (ret < 0)
		goto fail;
	if (fmt == FMT_SVG) {
		if ((ret = dot_to_svg(&out)) < 0)
			goto fail;
	} else if (util_write_all(1, out.buf, out.len) < 0) {
		goto fail;
	}
	goto out;

fail:
	fprintf(stderr, "cairn lineage: %s\n", err_last());
	status = 125;
out:
	json_decref(graph);
	if (st)
		provenance_store_free(st);
	strbuf_release(&out);
	free(rel);
	return status;
}

const struct cmd_entry cmd_lineage_entry = {
	.name = "lineage",
	.usage = "cairn lineage PATH [--format tree|dot|svg|json|prov-json|ro-crate] [--depth N]",
	.summary = "Show how a file was made: its steps, code and inputs, all the way back.",
	.help = "Starts from the step that wrote the current version of PATH, then, for\n"
		"each file that step read, the step that produced it, and so on.\n\n"
		"  --format tree       (default) a tree for the terminal: each step with its\n"
		"                      command, time, exit status, programs and code\n"
		"                      versions; each input with its hash, size and format;\n"
		"                      raw inputs marked; a step reached twice shown once\n"
		"  --format dot        a Graphviz digraph (files boxes, steps ellipses)\n"
		"  --format svg        the digraph drawn by Graphviz's dot -Tsvg\n"
		"  --format json       the walk's graph: steps (whole records), files, edges\n"
		"  --format prov-json  W3C PROV-JSON\n"
		"  --format ro-crate   an RO-Crate ro-crate-metadata.json (Provenance Run\n"
		"                      Crate profile); save it at the project root\n"
		"  --depth N           follow at most N levels of steps (1: only the writer)\n\n"
		"Exit status: 0; 1 when no recorded step wrote PATH; 2 for usage errors;\n"
		"125 when the store cannot be read.  See docs/lineage.md.\n",
	.exec = cmd_lineage_exec,
};
