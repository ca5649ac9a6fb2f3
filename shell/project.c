/*
 * project.c - which project a session records into, and how: the store
 * is found (or made) before the first step, and each step's record is
 * committed to it as the step ends.
 */
#include "shell-int.h"

#include "provenance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int record_step(struct json_t *record, void *payload)
{
	return provenance_record_step(payload, record);
}

int shell_project_setup(struct exec_session_opts *o, struct shell_project *p)
{
	char *root = shell_store_root(), *cdir;
	struct stat st;
	int ret;

	memset(p, 0, sizeof(*p));
	strvec_init(&p->writable);
	/* --store, else the nearest project up from here, else a new one
	 * here (said in one line). */
	if (!root && provenance_find_root(&root, ".") < 0) {
		root = getcwd(NULL, 0);
		if (!root)
			return err_errno(CAIRN_ERROR, "cannot determine the working directory");
	}
	cdir = xstrfmt("%s/.cairn", root);
	if (stat(cdir, &st) < 0 && !shell_opts.quiet)
		fprintf(stderr, "cairn: recording into a new store in %s\n", cdir);
	free(cdir);
	ret = provenance_store_open(&p->store, root, 1);
	free(root);
	if (ret < 0)
		return ret;
	if ((ret = provenance_config_values(&p->writable, p->store, "sandbox.writable")) < 0)
		return ret;
	o->root = provenance_store_root(p->store);
	o->no_sandbox = shell_opts.no_sandbox;
	o->keep_failed = shell_opts.keep_failed;
	o->writable = (const char *const *)p->writable.v;
	o->record = record_step;
	o->record_payload = p->store;
	return 0;
}

void shell_project_release(struct shell_project *p)
{
	provenance_store_free(p->store);
	strvec_clear(&p->writable);
	memset(p, 0, sizeof(*p));
}
