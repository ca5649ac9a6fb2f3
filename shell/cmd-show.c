#include "shell-int.h"

#include "provenance.h"

#include <stdlib.h>
#include <string.h>

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The first 12 digits of a hash, or "-" for none. */
static const char *short_hash(char out[16], const char *sha)
{
	snprintf(out, 16, "%.12s", sha && *sha ? sha : "-");
	return out;
}

static void print_argv(json_t *e)
{
	json_t *a;
	size_t i;
	json_array_foreach(json_object_get(e, "argv"), i, a)
	{
		struct strbuf q = STRBUF_INIT;
		const char *s = json_string_value(a) ?: "";
		if (!*s || strpbrk(s, " \t\n'\"\\$`*?[]{}()<>|&;#~"))
			strbuf_add_sh_quoted(&q, s);
		else
			strbuf_addstr(&q, s);
		printf("%s%s", i ? " " : "", q.buf);
		strbuf_release(&q);
	}
	putchar('\n');
}

/* Files whose format summary the formats helper has not made yet (the
 * store fills them in as it makes them; docs/formats.md). */
static void print_pending(json_t *formats)
{
	const char *name;
	json_t *e;
	int n = 0;

	json_object_foreach(formats, name, e)
	{
		if (!json_is_true(json_object_get(e, "pending")))
			continue;
		if (!n++)
			printf("format summaries pending (being made, or made by the next cairn "
			       "session):\n");
		printf("  %s\n", util_name_quoted(name));
	}
}

/* Print the children of PPID in TREE, indented by DEPTH. */
static void print_tree(json_t *tree, json_int_t ppid, int depth, int *printed)
{
	json_t *e;
	size_t i;
	if (depth > 64)
		return;
	json_array_foreach(tree, i, e)
	{
		if (json_integer_value(json_object_get(e, "ppid")) != ppid || printed[i])
			continue;
		printed[i] = 1;
		printf("  %*s", depth * 2, "");
		print_argv(e);
		print_tree(tree, json_integer_value(json_object_get(e, "pid")), depth + 1, printed);
	}
}

static void print_exec_tree(json_t *tree)
{
	size_t n = json_array_size(tree), i, j;
	int *printed = xcalloc(n + 1, sizeof(int));
	json_t *e, *f;

	/* Roots: entries whose parent is not in the tree. */
	json_array_foreach(tree, i, e)
	{
		json_int_t ppid = json_integer_value(json_object_get(e, "ppid"));
		int root = 1;
		json_array_foreach(tree, j, f)
		{
			if (json_integer_value(json_object_get(f, "pid")) == ppid && i != j)
				root = 0;
		}
		if (root && !printed[i]) {
			printed[i] = 1;
			printf("  ");
			print_argv(e);
			print_tree(tree, json_integer_value(json_object_get(e, "pid")), 1, printed);
		}
	}
	/* Whatever a cycle of pids hid. */
	json_array_foreach(tree, i, e)
	{
		if (!printed[i]) {
			printf("  ");
			print_argv(e);
		}
	}
	free(printed);
}

static int show_all; /* --all: system files too */

/*
 * Outside the project (the record names such a path absolutely), a read
 * is the system's: libraries, interpreters' modules, the lookups along
 * PATH.  Counted, not listed, unless --all.
 */
static int system_read(json_t *e)
{
	const char *p = str(e, "path");
	return !show_all && p && p[0] == '/' && !str(e, "role");
}

static void print_files(const char *title, json_t *list, int writes)
{
	json_t *e;
	size_t i, nsys = 0, nabsent = 0;
	char h[16];

	printf("%s:%s\n", title, json_array_size(list) ? "" : " none");
	json_array_foreach(list, i, e)
	{
		const char *kind = str(e, "kind") ?: "?";
		json_t *size = json_object_get(e, "size");
		if (!writes && system_read(e)) {
			if (!strcmp(kind, "absent"))
				nabsent++;
			else
				nsys++;
			continue;
		}
		printf("  %-8s %s", kind, util_name_quoted(str(e, "path")));
		if (str(e, "sha256"))
			printf("  %s", short_hash(h, str(e, "sha256")));
		if (json_is_integer(size))
			printf("  %lld B", (long long)json_integer_value(size));
		if (writes && str(e, "mode"))
			printf("  %s", str(e, "mode"));
		if (str(e, "target"))
			printf("  -> %s", util_name_quoted(str(e, "target")));
		if (!writes && str(e, "producer"))
			printf("  (from step %.8s)", str(e, "producer"));
		putchar('\n');
	}
	if (nsys || nabsent)
		printf("  (%zu system file%s read, %zu absent probe%s: --all lists them)\n", nsys,
		       nsys == 1 ? "" : "s", nabsent, nabsent == 1 ? "" : "s");
}

/* Each file's format summary (made by the formats helper), in the
 * record's order: what `cairn lineage` prints beside each file. */
static void print_formats(json_t *formats)
{
	const char *path;
	json_t *e;
	int n = 0;

	json_object_foreach(formats, path, e)
	{
		const char *sum = str(e, "summary");
		struct strbuf line = STRBUF_INIT;
		if (!sum)
			continue;
		if (!n++)
			printf("formats:\n");
		strbuf_add_visible(&line, sum, strlen(sum));
		printf("  %s  %s\n", util_name_quoted(path), line.buf);
		strbuf_release(&line);
	}
}

static void print_text(json_t *r)
{
	json_t *res = json_object_get(r, "resources"), *code, *e, *tags, *v;
	const char *key, *script = str(r, "script");
	char start[32], finish[32], h[16];
	size_t i;

	shell_format_time(start, str(r, "started"));
	shell_format_time(finish, str(r, "finished"));
	printf("step      %s\n", str(r, "id") ?: "?");
	printf("session   %s  step %lld", str(r, "session") ?: "?",
	       (long long)json_integer_value(json_object_get(r, "seq")));
	if (script)
		printf("  (%s:%lld)", util_name_quoted(script),
		       (long long)json_integer_value(json_object_get(r, "line")));
	printf("\nstarted   %s UTC\nfinished  %s UTC", start, finish);
	if (json_is_number(json_object_get(res, "wall_s")))
		printf("  (%.3f s)", json_number_value(json_object_get(res, "wall_s")));
	printf("\nstatus    %lld%s%s",
	       (long long)json_integer_value(json_object_get(r, "exit_status")),
	       json_is_true(json_object_get(r, "interrupted")) ? " (interrupted)" : "",
	       json_is_true(json_object_get(r, "cached")) ? ", cached" : ", ran");
	if (json_is_true(json_object_get(r, "cached")) && str(r, "from_step"))
		printf(" from step %.8s", str(r, "from_step"));
	if (json_is_object(json_object_get(r, "rerun"))) {
		/* cairn rerun: which step this one ran again, with what. */
		json_t *rr = json_object_get(r, "rerun"), *w;
		printf("\nrerun     of step %.8s", str(rr, "of_step") ?: "?");
		json_array_foreach(json_object_get(rr, "with"), i, w)
		{
			printf("%s %s -> %s", i ? "," : " with", util_name_quoted(str(w, "old")),
			       util_name_quoted(str(w, "new")));
		}
		if (str(r, "into"))
			printf(" (into %s)", util_name_quoted(str(r, "into")));
	}
	printf("\nshell     %s\ncommand\n", str(r, "shell_path") ?: str(r, "shell") ?: "?");
	{
		const char *cmd = str(r, "command") ?: "";
		while (*cmd) {
			size_t n = strcspn(cmd, "\n");
			struct strbuf line = STRBUF_INIT;
			strbuf_add_visible(&line, cmd, n);
			printf("  %s\n", line.buf);
			strbuf_release(&line);
			cmd += n + (cmd[n] == '\n');
		}
	}
	print_files("reads", json_object_get(r, "reads"), 0);
	print_files("writes", json_object_get(r, "writes"), 1);
	print_formats(json_object_get(r, "formats"));
	print_pending(json_object_get(r, "formats"));
	if (json_array_size(json_object_get(r, "nondeterministic"))) {
		printf("nondeterministic reads (their content may differ from run to run):\n");
		json_array_foreach(json_object_get(r, "nondeterministic"), i, e)
		    printf("  %s\n", util_name_quoted(json_string_value(e)));
	}
	if (json_array_size(json_object_get(r, "exec_tree"))) {
		printf("exec tree:\n");
		print_exec_tree(json_object_get(r, "exec_tree"));
	}
	code = json_object_get(r, "code");
	if (json_array_size(code)) {
		printf("code:\n");
		json_array_foreach(code, i, e)
		{
			printf("  %s  %s", util_name_quoted(str(e, "path")),
			       short_hash(h, str(e, "sha256")));
			if (str(e, "git_state"))
				printf("  %s", str(e, "git_state"));
			putchar('\n');
		}
	}
	if (json_is_object(json_object_get(r, "git")) && str(json_object_get(r, "git"), "head"))
		printf("git       %s\n", str(json_object_get(r, "git"), "head"));
	if (json_is_object(res)) {
		printf("resources cpu %.3f s user, %.3f s sys; max rss %lld kB; read %lld B, "
		       "wrote %lld B\n",
		       json_number_value(json_object_get(res, "cpu_user_s")),
		       json_number_value(json_object_get(res, "cpu_sys_s")),
		       (long long)json_integer_value(json_object_get(res, "max_rss_kb")),
		       (long long)json_integer_value(json_object_get(res, "read_bytes")),
		       (long long)json_integer_value(json_object_get(res, "write_bytes")));
		if (json_is_number(json_object_get(res, "energy_j")))
			printf("energy    %.2f J (%s)\n",
			       json_number_value(json_object_get(res, "energy_j")),
			       str(res, "energy_model") ? str(res, "energy_model") : "?");
		if (json_is_number(json_object_get(r, "saved_energy_j")))
			printf("saved     %.2f J (the step it reused took that)\n",
			       json_number_value(json_object_get(r, "saved_energy_j")));
	}
	tags = json_object_get(r, "tags");
	if (json_object_size(tags)) {
		printf("tags     ");
		json_object_foreach(tags, key, v)
		{
			printf(" %s=%s", key, json_string_value(v) ?: "?");
		}
		putchar('\n');
	}
}

static int cmd_show_exec(int argc, char **argv)
{
	struct prov_store *st = NULL;
	struct strbuf blob = STRBUF_INIT;
	const char *spec = NULL, *code = NULL;
	json_t *rec = NULL;
	char *rel = NULL;
	int json = 0, i, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_show_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--all"))
			show_all = 1;
		else if (!strcmp(argv[i], "--code") && i + 1 < argc)
			code = argv[++i];
		else if (!strncmp(argv[i], "--code=", 7))
			code = argv[i] + 7;
		else if (!strcmp(argv[i], "--code"))
			return shell_usage_error(&cmd_show_entry, "--code needs a path");
		else if (argv[i][0] == '-' && argv[i][1])
			return shell_usage_error(&cmd_show_entry, "unknown option '%s'", argv[i]);
		else if (spec)
			return shell_usage_error(&cmd_show_entry, "more than one step given");
		else
			spec = argv[i];
	}
	if (!spec)
		return shell_usage_error(&cmd_show_entry, "no step given");
	if (json && code)
		return shell_usage_error(&cmd_show_entry, "--json and --code do not mix");
	if ((ret = shell_store_open(&st, &cmd_show_entry)))
		return ret;

	if (code) {
		/* Code paths are project-relative; accept them from the working
		 * directory too. */
		if ((ret = provenance_relpath(&rel, st, code)) < 0)
			goto fail;
		ret = provenance_step_code(&blob, st, spec, rel);
		if (ret == CAIRN_ENOTFOUND && strcmp(rel, code))
			ret = provenance_step_code(&blob, st, spec, code);
		if (ret < 0)
			goto fail;
		if (fwrite(blob.buf, 1, blob.len, stdout) != blob.len || fflush(stdout)) {
			ret = err_errno(CAIRN_ERROR, "cannot write the code file");
			goto fail;
		}
		ret = 0;
		goto out;
	}
	if ((ret = provenance_step_get(&rec, st, spec)) < 0)
		goto fail;
	if (json) {
		util_json_dumpf(rec, stdout,
				JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
		putchar('\n');
	} else {
		print_text(rec);
	}
	ret = 0;
	goto out;
fail:
	ret = shell_store_fail(&cmd_show_entry, ret);
out:
	free(rel);
	strbuf_release(&blob);
	json_decref(rec);
	provenance_store_free(st);
	return ret;
}

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "cairn show STEP [--json] [--all] [--code PATH]",
	.summary = "Show one step's record, or a code file as that step read it.",
	.help = "STEP is a unique prefix of a step id (at least 4 hex digits) or @N, the\n"
		"N-th most recent step (@1 is the newest).\n\n"
		"Options:\n"
		"  --json       print the full record (step.json)\n"
		"  --all        list every file read, also those outside the project\n"
		"               (counted, not listed, without it)\n"
		"  --code PATH  print exactly the bytes of code file PATH that the step\n"
		"               read (scripts, configs: text files up to 1 MiB)\n",
	.exec = cmd_show_exec,
};
