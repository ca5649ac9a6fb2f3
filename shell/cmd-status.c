#include "shell-int.h"

#include "provenance.h"

#include <string.h>

struct status_ctx {
	json_t *out; /* --json */
	int outputs, untracked;
};

static int status_one(const struct prov_status_entry *e, void *payload)
{
	struct status_ctx *c = payload;

	if (c->out) {
		json_t *o = json_object();
		json_object_set_new(o, "path", util_json_str(e->path));
		json_object_set_new(o, "state", json_string(provenance_state_name(e->state)));
		if (e->step)
			json_object_set_new(o, "step", json_string(e->step));
		if (e->reason)
			json_object_set_new(o, "reason", json_string(e->reason));
		json_array_append_new(c->out, o);
		return 0;
	}
	if (e->state == PROV_UNTRACKED) {
		if (!c->untracked++)
			printf("%sUntracked files (no step wrote them):\n", c->outputs ? "\n" : "");
		printf("  %s\n", util_name_quoted(e->path));
		return 0;
	}
	if (!c->outputs++)
		printf("Outputs:\n");
	printf("  %-9s %s", provenance_state_name(e->state), util_name_quoted(e->path));
	if (e->reason)
		printf("  (%s)", e->reason);
	putchar('\n');
	return 0;
}

static int cmd_status_exec(int argc, char **argv)
{
	struct prov_store *st = NULL;
	struct status_ctx c = { NULL, 0, 0 };
	int i, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_status_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			c.out = c.out ? c.out : json_array();
		else
			return shell_usage_error(&cmd_status_entry, "unknown argument '%s'",
						 argv[i]);
	}
	if ((ret = shell_store_open(&st, &cmd_status_entry)))
		goto out;
	if ((ret = provenance_status(st, status_one, &c)) < 0) {
		ret = shell_store_fail(&cmd_status_entry, ret);
		goto out;
	}
	if (c.out) {
		util_json_dumpf(c.out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (!c.outputs && !c.untracked) {
		printf("No outputs recorded and no untracked files.\n");
	}
	ret = 0;
out:
	json_decref(c.out);
	provenance_store_free(st);
	return ret;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "cairn status [--json]",
	.summary = "Say whether each recorded output is fresh, stale, modified or deleted.",
	.help = "For every file whose newest record is a write by a step:\n"
		"  fresh     on disk as written, and so is everything it derives from\n"
		"  stale     on disk as written, but an input it was derived from (directly\n"
		"            or through the steps that produced its inputs) has changed on\n"
		"            disk or was rewritten by a later step\n"
		"  modified  the bytes on disk differ from what the step wrote\n"
		"  deleted   missing on disk\n"
		"then the untracked files: under the project root (not .cairn, not .git)\n"
		"and never written by a step.\n\n"
		"  --json    one JSON array of {path, state} (plus step and reason when\n"
		"            known); untracked files have state \"untracked\"\n",
	.exec = cmd_status_exec,
};
