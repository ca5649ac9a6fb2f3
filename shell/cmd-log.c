#include "shell-int.h"

#include "provenance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct log_ctx {
	long max; /* -1: all */
	long seen;
	json_t *out; /* --json: the array being built */
};

/* The summary `log --json` prints for REC (DESIGN.md section 8). */
static json_t *summary(json_t *rec)
{
	json_t *s = json_object(),
	       *wall = json_object_get(json_object_get(rec, "resources"), "wall_s");
	static const char *const keys[] = { "id",     "session",     "seq",    "command",
					    "cached", "exit_status", "started" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(rec, keys[i]);
		json_object_set(s, keys[i], v ? v : json_null());
	}
	json_object_set(s, "wall_s", json_is_number(wall) ? wall : json_null());
	return s;
}

static int log_one(json_t *rec, void *payload)
{
	struct log_ctx *c = payload;
	const char *cmd = json_string_value(json_object_get(rec, "command")) ?: "";
	json_int_t status = json_integer_value(json_object_get(rec, "exit_status"));
	char when[32], st[16];
	size_t n = strcspn(cmd, "\n");
	struct strbuf vis = STRBUF_INIT;

	if (c->max >= 0 && c->seen >= c->max)
		return 1;
	c->seen++;
	if (c->out) {
		json_array_append_new(c->out, summary(rec));
		return 0;
	}
	shell_format_time(when, json_string_value(json_object_get(rec, "started")));
	if (json_is_true(json_object_get(rec, "interrupted")))
		snprintf(st, sizeof(st), "intr");
	else
		snprintf(st, sizeof(st), status ? "exit %lld" : "ok", (long long)status);
	strbuf_add_visible(&vis, cmd, n);
	printf("%.8s  %s  %-7s  %-6s  %s%s\n",
	       json_string_value(json_object_get(rec, "id")) ?: "????????", when, st,
	       json_is_true(json_object_get(rec, "cached")) ? "cached" : "ran", vis.buf,
	       cmd[n] ? " ..." : "");
	strbuf_release(&vis);
	return 0;
}

static int cmd_log_exec(int argc, char **argv)
{
	struct prov_store *st = NULL;
	struct log_ctx c = { -1, 0, NULL };
	int json = 0, i, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_log_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *num = NULL;
		if (!strcmp(a, "--json")) {
			json = 1;
			continue;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--max-count")) {
			if (i + 1 >= argc)
				return shell_usage_error(&cmd_log_entry, "%s needs a number", a);
			num = argv[++i];
		} else if (!strncmp(a, "-n", 2)) {
			num = a + 2;
		} else if (!strncmp(a, "--max-count=", 12)) {
			num = a + 12;
		} else {
			return shell_usage_error(&cmd_log_entry, "unknown argument '%s'", a);
		}
		{
			char *end;
			errno = 0;
			c.max = strtol(num, &end, 10);
			if (!*num || *end || errno || c.max < 0)
				return shell_usage_error(&cmd_log_entry, "'%s' is not a count",
							 num);
		}
	}
	if ((ret = shell_store_open(&st, &cmd_log_entry)))
		return ret;
	if (json)
		c.out = json_array();
	ret = provenance_foreach_step(st, log_one, &c);
	if (ret < 0) {
		ret = shell_store_fail(&cmd_log_entry, ret);
		goto out;
	}
	if (json) {
		util_json_dumpf(c.out, stdout,
				JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
		putchar('\n');
	}
	ret = 0;
out:
	json_decref(c.out);
	provenance_store_free(st);
	return ret;
}

const struct cmd_entry cmd_log_entry = {
	.name = "log",
	.usage = "cairn log [-n N] [--json]",
	.summary = "List recorded steps, newest first.",
	.help = "Options:\n"
		"  -n N      only the N newest steps\n"
		"  --json    one JSON array of {id, session, seq, command, cached,\n"
		"            exit_status, started, wall_s}\n\n"
		"Each line: short id, start time (UTC), status, ran or cached, and the\n"
		"command's first line.\n",
	.exec = cmd_log_exec,
};
