/*
 * cmd-why.c - `cairn why STEP|PATH`: why a step ran instead of being
 * served from the cache (or which step a cached one reused).
 *
 * The answer was found when the step was looked up and is kept in its
 * record (`cache`: key, lookup, off, miss); this command words it.
 */
#include "shell-int.h"

#include "provenance.h"

#include <string.h>
#include <sys/stat.h>

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An old or new value of a read: a hash, or a symlink's text, a mode. */
static void print_hash(const char *label, const char *sha)
{
	if (sha)
		printf("  %s %s%s\n", label, util_is_sha256_hex(sha) ? "sha256 " : "", sha);
}

static void explain_miss(json_t *miss)
{
	const char *part = str(miss, "part"), *change = str(miss, "change");
	json_t *v;
	size_t i;

	if (!part) {
		printf("no reason was recorded\n");
		return;
	}
	if (!strcmp(part, "read")) {
		const char *path = str(miss, "path");
		printf("an input changed: %s: %s\n", util_name_quoted(path), change ? change : "?");
		print_hash("old", str(miss, "old"));
		print_hash("new", str(miss, "new"));
		return;
	}
	if (!strcmp(part, "session")) {
		printf("the same command already ran from the same state earlier in this "
		       "session (a session reuses only earlier sessions' results)\n");
		return;
	}
	if (!strcmp(part, "output")) {
		printf("its output went elsewhere when it ran (a terminal, a file, merged or "
		       "apart), and %s\n",
		       change ? change : "?");
		return;
	}
	if (!strcmp(part, "location")) {
		printf("it ran with the project in another directory (%s), and %s\n",
		       str(miss, "path") ? str(miss, "path") : "?", change ? change : "?");
		return;
	}
	if (!strcmp(part, "new")) {
		printf("it had not run before with this command, shell state and settings\n");
		return;
	}
	printf("its action key differs from the last run from the same place: ");
	json_array_foreach(json_object_get(miss, "parts"), i, v)
	    printf("%s%s", i ? ", " : "", json_string_value(v) ? json_string_value(v) : "?");
	putchar('\n');
	json_array_foreach(json_object_get(miss, "parts"), i, v)
	{
		const char *p = json_string_value(v);
		if (p && !strcmp(p, "command") && str(miss, "old_command")) {
			struct strbuf vis = STRBUF_INIT;
			const char *old = str(miss, "old_command");
			strbuf_add_visible(&vis, old, strlen(old));
			printf("  command was: %s\n", vis.buf);
			strbuf_release(&vis);
		}
		if (p && !strcmp(p, "line") && json_is_integer(json_object_get(miss, "old_line")))
			printf("  it ran on line %lld before (its output may show line numbers)\n",
			       (long long)json_integer_value(json_object_get(miss, "old_line")));
	}
	json_array_foreach(json_object_get(miss, "state"), i, v)
	    printf("  state %s\n", json_string_value(v) ? json_string_value(v) : "?");
}

static int cmd_why_exec(int argc, char **argv)
{
	struct prov_store *st = NULL;
	json_t *rec = NULL, *cache, *from = NULL, *v;
	char id[PROV_ID_LEN + 1];
	const char *arg = NULL, *lookup, *spec;
	char *rel = NULL;
	size_t k;
	int json = 0, i, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_why_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return shell_usage_error(&cmd_why_entry, "unknown option '%s'", argv[i]);
		else if (arg)
			return shell_usage_error(&cmd_why_entry, "give one step or path");
		else
			arg = argv[i];
	}
	if (!arg)
		return shell_usage_error(&cmd_why_entry, "give a step or a path");
	if ((ret = shell_store_open(&st, &cmd_why_entry)))
		return ret;

	/* A path names the step that wrote its newest recorded version. */
	spec = arg;
	if (arg[0] != '@') {
		struct stat sb;
		if ((ret = provenance_relpath(&rel, st, arg)) < 0)
			goto fail;
		ret = provenance_latest_writer(id, NULL, st, rel);
		if (ret == 0)
			spec = id;
		else if (ret != CAIRN_ENOTFOUND)
			goto fail;
		else if (stat(arg, &sb) == 0 || strchr(arg, '/')) {
			ret = err_set(CAIRN_ENOTFOUND, "no recorded step wrote %s", rel);
			goto fail;
		} else if (arg[strspn(arg, "0123456789abcdefABCDEF")]) {
			/* not a step id either: a path that is not there */
			ret = err_set(CAIRN_ENOTFOUND,
				      "%s: no such file, and no recorded step wrote it", rel);
			goto fail;
		}
	}
	if ((ret = provenance_step_get(&rec, st, spec)) < 0)
		goto fail;
	cache = json_object_get(rec, "cache");
	if (json) {
		util_json_dumpf(json_is_object(cache) ? cache : json_null(), stdout,
				JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		ret = 0;
		goto out;
	}
	{
		const char *cmd = str(rec, "command") ?: "?";
		struct strbuf vis = STRBUF_INIT;
		strbuf_add_visible(&vis, cmd, strlen(cmd));
		printf("step %.8s (%s): ", str(rec, "id"), vis.buf);
		strbuf_release(&vis);
	}
	lookup = str(cache, "lookup");
	if (json_is_true(json_object_get(rec, "cached"))) {
		const char *f = str(rec, "from_step");
		printf("served from the cache: every input it read was the same as when step "
		       "%.8s ran",
		       f ? f : "?");
		if (f && provenance_step_get(&from, st, f) == 0)
			printf(" (%s)", str(from, "started") ?: "");
		putchar('\n');
	} else if (!lookup) {
		printf("ran; recorded before the cache existed\n");
	} else if (!strcmp(lookup, "off")) {
		printf("ran; the cache was not used: %s\n", str(cache, "off") ?: "unsandboxed");
	} else {
		printf("ran because ");
		explain_miss(json_object_get(cache, "miss"));
	}
	if (!json_is_true(json_object_get(rec, "cached")) && lookup && strcmp(lookup, "off")) {
		if (json_is_true(json_object_get(cache, "stored")))
			printf("its trace is now in the cache\n");
		else
			printf("it was not cached: %s\n",
			       str(cache, "not_stored")
				   ?: json_integer_value(json_object_get(rec, "exit_status"))
				   ? "it failed"
				   : json_is_true(json_object_get(json_object_get(rec, "sandbox"),
								  "stdin_read"))
				   ? "it read the session's standard input"
				   : "its outputs, descriptors or home writes cannot be replayed");
	}
	json_array_foreach(json_object_get(rec, "nondeterministic"), k, v)
	{
		/* Not a reason to run: whatever it printed or wrote may not
		 * come out the same again, served or not. */
		if (json_string_value(v))
			printf("read %s: its output may differ from run to run\n",
			       util_name_quoted(json_string_value(v)));
	}
	ret = 0;
	goto out;
fail:
	ret = shell_store_fail(&cmd_why_entry, ret);
out:
	free(rel);
	json_decref(rec);
	json_decref(from);
	provenance_store_free(st);
	return ret;
}

const struct cmd_entry cmd_why_entry = {
	.name = "why",
	.usage = "cairn why STEP|PATH [--json]",
	.summary = "Say why a step ran instead of being served from the cache.",
	.help = "STEP is a step id prefix or @N; a PATH names the step that wrote its\n"
		"newest recorded version.  cairn says what differed from the cached\n"
		"trace it checked: the input that changed (old and new SHA-256), the\n"
		"path that appeared or vanished, the directory whose listing changed,\n"
		"or the part of the action key (command text, shell state with the\n"
		"variables that differ, settings) that differs from the last run of\n"
		"the same command from the same place.  For a cached step, the step\n"
		"whose outputs were reused.  Either way, what the step read whose\n"
		"content differs from run to run (/dev/urandom, /proc/cpuinfo, CPU\n"
		"counts): its output may differ from run to run.\n\n"
		"Options:\n"
		"  --json   print the record's `cache` object\n",
	.exec = cmd_why_exec,
};
