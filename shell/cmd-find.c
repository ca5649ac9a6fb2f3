#include "shell-int.h"

#include "cache.h"
#include "provenance.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct find_ctx {
	json_t *out; /* --json */
	int n;
	json_t *files; /* --output: path -> {path, step, sha256}, newest first */
	json_t *order; /* --output: the paths in that order */
};

static json_t *paths_of(json_t *list)
{
	json_t *out = json_array(), *e;
	size_t i;
	json_array_foreach(list, i, e)
	{
		if (json_is_string(json_object_get(e, "path")))
			json_array_append(out, json_object_get(e, "path"));
	}
	return out;
}

static int find_one(json_t *rec, void *payload)
{
	struct find_ctx *c = payload;
	const char *cmd = json_string_value(json_object_get(rec, "command")) ?: "";
	json_t *w;
	size_t i, n = strcspn(cmd, "\n");
	struct strbuf vis = STRBUF_INIT;
	char when[32];

	c->n++;
	if (c->files) {
		/* The newest matching write of each path. */
		json_array_foreach(json_object_get(rec, "writes"), i, w)
		{
			const char *p = json_string_value(json_object_get(w, "path"));
			const char *kind = json_string_value(json_object_get(w, "kind")) ?: "file";
			if (!p || !strcmp(kind, "deleted") || !strcmp(kind, "dir") ||
			    json_object_get(c->files, p))
				continue;
			json_object_set_new(c->files, p,
					    json_pack("{s:O,s:O,s:O}", "path",
						      json_object_get(w, "path"), "step",
						      json_object_get(rec, "id"), "sha256",
						      json_object_get(w, "sha256") ?: json_null()));
			json_array_append(c->order, json_object_get(w, "path"));
		}
		return 0;
	}
	if (c->out) {
		json_t *o = json_object();
		static const char *const keys[] = { "id",     "session",     "seq",	"command",
						    "cached", "exit_status", "started", "tags" };
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			json_t *v = json_object_get(rec, keys[i]);
			json_object_set(o, keys[i], v ? v : json_null());
		}
		json_object_set_new(o, "writes", paths_of(json_object_get(rec, "writes")));
		json_array_append_new(c->out, o);
		return 0;
	}
	shell_format_time(when, json_string_value(json_object_get(rec, "started")));
	strbuf_add_visible(&vis, cmd, n);
	printf("%.8s  %s  %s%s\n", json_string_value(json_object_get(rec, "id")) ?: "?", when,
	       vis.buf, cmd[n] ? " ..." : "");
	strbuf_release(&vis);
	json_array_foreach(json_object_get(rec, "writes"), i, w)
	{
		const char *kind = json_string_value(json_object_get(w, "kind")) ?: "file";
		printf("    %s %s\n", strcmp(kind, "deleted") ? "wrote" : "deleted",
		       util_name_quoted(json_string_value(json_object_get(w, "path"))));
	}
	return 0;
}

/* At most this much of an input is searched by --reads-matching. */
#define READS_MATCHING_MAX (1u << 20)

/* The bytes of version SHA of PATH for --reads-matching: from the
 * content store, else the file itself while it still is that version. */
static int read_content(struct strbuf *out, const char *path, const char *sha, void *payload)
{
	struct prov_store *st = payload;
	char got[SHA256_HEX_LEN + 1];
	char *abs;
	int ret;

	if (cache_cas_has(provenance_store_dir(st), sha))
		return cache_cas_read(out, provenance_store_dir(st), sha, READS_MATCHING_MAX);
	abs = path[0] == '/' ? xstrdup(path) : xstrfmt("%s/%s", provenance_store_root(st), path);
	ret = util_sha256_file(got, NULL, abs);
	if (ret == 0 && strcmp(got, sha))
		ret = CAIRN_ENOTFOUND;
	if (ret == 0 && (ret = strbuf_read_file(out, abs)) == 0 && out->len > READS_MATCHING_MAX)
		strbuf_setlen(out, READS_MATCHING_MAX);
	free(abs);
	return ret;
}

static int parse_weekday(const char *s)
{
	static const char *const days[] = { "sunday",	"monday", "tuesday", "wednesday",
					    "thursday", "friday", "saturday" };
	size_t n = strlen(s), i;
	if (n < 2)
		return -1;
	for (i = 0; i < ARRAY_SIZE(days); i++)
		if (!strncasecmp(days[i], s, n) || (n == 3 && !strncasecmp(days[i], s, 3)))
			return (int)i;
	return -1;
}

/* Is S a date "YYYY-MM-DD", optionally followed by [T ]HH:MM[:SS]? */
static int valid_date(const char *s)
{
	static const char shape[] = "dddd-dd-dd?dd:dd:dd";
	size_t i, n = strlen(s);
	if (n != 10 && n != 16 && n != 19)
		return 0;
	for (i = 0; i < n; i++) {
		char want = shape[i];
		if (want == 'd' && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
		if (want == '?' && s[i] != 'T' && s[i] != ' ')
			return 0;
		if ((want == '-' || want == ':') && s[i] != want)
			return 0;
	}
	return 1;
}

static int cmd_find_exec(int argc, char **argv)
{
	struct prov_find_opts o = PROV_FIND_OPTS_INIT;
	struct prov_store *st = NULL;
	struct find_ctx c = { NULL, 0, NULL, NULL };
	char *reads = NULL, *writes = NULL, *derived = NULL, *step_cmd = NULL;
	const char *reads_arg = NULL, *writes_arg = NULL, *derived_arg = NULL;
	int i, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_find_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--json")) {
			if (!c.out)
				c.out = json_array();
			continue;
		}
		if (!strcmp(a, "--reads-matching")) {
			if (i + 2 >= argc) {
				ret = shell_usage_error(
				    &cmd_find_entry, "--reads-matching needs PATH-GLOB and REGEX");
				goto out;
			}
			o.reads_glob = argv[++i];
			o.reads_regex = argv[++i];
			continue;
		}
		if (!strcmp(a, "--output")) {
			if (!c.files) {
				c.files = json_object();
				c.order = json_array();
			}
			continue;
		}
		if (!v) {
			ret = shell_usage_error(&cmd_find_entry,
						"unknown argument or missing value: '%s'", a);
			goto out;
		}
		i++;
		if (!strcmp(a, "--tag") || !strcmp(a, "--own-tag")) {
			if (*v == '=' || !*v) {
				ret =
				    shell_usage_error(&cmd_find_entry, "'%s' is not KEY=VALUE", v);
				goto out;
			}
			strvec_push(!strcmp(a, "--tag") ? &o.tags : &o.own_tags, v);
		} else if (!strcmp(a, "--command")) {
			o.command = v;
		} else if (!strcmp(a, "--arg")) {
			o.arg = v;
		} else if (!strcmp(a, "--reads")) {
			reads_arg = v;
		} else if (!strcmp(a, "--writes")) {
			writes_arg = v;
		} else if (!strcmp(a, "--derived-from")) {
			derived_arg = v;
		} else if (!strcmp(a, "--derived-from-step")) {
			/* "PROGRAM-GLOB [ARG WORDS]" */
			size_t n = strcspn(v + strspn(v, " \t"), " \t");
			const char *p = v + strspn(v, " \t"), *rest = p + n;
			if (!n) {
				ret = shell_usage_error(&cmd_find_entry,
							"--derived-from-step needs a program");
				goto out;
			}
			free(step_cmd);
			step_cmd = xstrndup(p, n);
			o.step_command = step_cmd;
			rest += strspn(rest, " \t");
			o.step_arg = *rest ? rest : NULL;
		} else if (!strcmp(a, "--since")) {
			if (!valid_date(v)) {
				ret = shell_usage_error(
				    &cmd_find_entry, "'%s' is not a date (YYYY-MM-DD[THH:MM[:SS]])",
				    v);
				goto out;
			}
			o.since = v;
		} else if (!strcmp(a, "--weekday")) {
			if ((o.weekday = parse_weekday(v)) < 0) {
				ret = shell_usage_error(&cmd_find_entry,
							"'%s' is not a day of the week", v);
				goto out;
			}
		} else {
			ret = shell_usage_error(&cmd_find_entry, "unknown option '%s'", a);
			goto out;
		}
	}
	if ((ret = shell_store_open(&st, &cmd_find_entry)))
		goto out;
	/* Paths on the command line are relative to the working directory;
	 * records name them relative to the project root. */
	if ((reads_arg && (ret = provenance_relpath(&reads, st, reads_arg)) < 0) ||
	    (writes_arg && (ret = provenance_relpath(&writes, st, writes_arg)) < 0) ||
	    (derived_arg && (ret = provenance_relpath(&derived, st, derived_arg)) < 0)) {
		ret = shell_store_fail(&cmd_find_entry, ret);
		goto out;
	}
	o.reads = reads;
	o.writes = writes;
	o.derived_from = derived;
	o.read_content = read_content;
	o.content_payload = st;
	o.summary = 1; /* find_one() reads only the summary's fields */
	if ((ret = provenance_find(st, &o, find_one, &c)) < 0) {
		ret = shell_store_fail(&cmd_find_entry, ret);
		goto out;
	}
	if (c.files) {
		json_t *p;
		size_t k;
		json_array_foreach(c.order, k, p)
		{
			if (c.out)
				json_array_append(c.out,
						  json_object_get(c.files, json_string_value(p)));
			else
				printf("%s\n", util_name_quoted(json_string_value(p)));
		}
	}
	if (c.out) {
		util_json_dumpf(c.out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	ret = 0;
out:
	free(reads);
	free(writes);
	free(derived);
	free(step_cmd);
	json_decref(c.out);
	json_decref(c.files);
	json_decref(c.order);
	prov_find_opts_release(&o);
	provenance_store_free(st);
	return ret;
}

const struct cmd_entry cmd_find_entry = {
	.name = "find",
	.usage = "cairn find [--tag K=V] [--command GLOB] [--arg WORDS] [--reads PATH]\n"
		 "                  [--writes PATH] [--derived-from PATH] [--since DATE]\n"
		 "                  [--weekday NAME] [--own-tag K=V] [--derived-from-step QUERY]\n"
		 "                  [--reads-matching PATH-GLOB REGEX] [--output] [--json]",
	.summary = "Find steps by tag, program, argument, file, ancestry or time.",
	.help = "Prints the matching steps, newest first, each with the files it wrote.\n"
		"Every condition given must hold.\n\n"
		"  --tag K=V          the step, a file version it read, or any step upstream\n"
		"                     of it (through the steps that produced its inputs)\n"
		"                     carries tag K=V (K alone: any value).  So --tag\n"
		"                     center=X lists every output derived, directly or not,\n"
		"                     from an input tagged center=X.  Repeatable.\n"
		"                     K=V1,V2,...: any of the values (a value holding a\n"
		"                     comma matches whole too); K!=V (or K!=V1,V2): no tag\n"
		"                     K with those values on it or upstream\n"
		"  --own-tag K=V      the step itself carries the tag\n"
		"  --command GLOB     the command text, or a program the step ran (its argv\n"
		"                     joined by spaces, or its name), matches GLOB\n"
		"  --arg WORDS        consecutive arguments of a program it ran (or words of\n"
		"                     the command) are WORDS, e.g. --arg '-m 12'; with\n"
		"                     --command, one program must match both\n"
		"  --reads PATH       the step read PATH\n"
		"  --writes PATH      the step wrote (or deleted) PATH\n"
		"  --derived-from PATH  the step read PATH, directly or upstream\n"
		"  --derived-from-step 'PROGRAM [ARGS]'  a step upstream of it ran PROGRAM\n"
		"                     (a glob, as --command) with ARGS (words, as --arg),\n"
		"                     e.g. --derived-from-step 'align_warp -m 12'\n"
		"  --reads-matching PATH-GLOB REGEX  the step, or a step upstream, read a\n"
		"                     file matching PATH-GLOB (its path or name) with a line\n"
		"                     matching REGEX (POSIX extended) in its first MiB: its\n"
		"                     bytes from the content store, or the file itself\n"
		"                     while it is still the version read\n"
		"  --output           list the files the matching steps wrote (the newest\n"
		"                     matching write of each path), not the steps; with\n"
		"                     --json: [{path, step, sha256}]\n"
		"  --since DATE       started at or after DATE (UTC, YYYY-MM-DD[THH:MM[:SS]])\n"
		"  --weekday NAME     started on that day of the week (local time)\n"
		"  --json             one JSON array of {id, session, seq, command, cached,\n"
		"                     exit_status, started, tags, writes: [path]}\n\n"
		"Example: every run of gdalwarp with -m 12 on a Monday:\n"
		"  cairn find --command 'gdalwarp*' --arg '-m 12' --weekday Monday\n",
	.exec = cmd_find_exec,
};
