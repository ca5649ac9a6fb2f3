/*
 * project.c - which project a session records into, and how.
 */
#include "shell-int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory holding .cairn/: --store, else the nearest one up from
 * the working directory, else the working directory, where the store is
 * made (and we say so). */
static int find_root(char **out)
{
	struct strbuf dir = STRBUF_INIT;
	struct stat st;
	char *cwd;

	if (shell_opts.store) {
		*out = xstrdup(shell_opts.store);
		return 0;
	}
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return err_errno(CAIRN_ERROR, "cannot determine the working directory");
	strbuf_addstr(&dir, cwd);
	for (;;) {
		size_t len = dir.len;
		strbuf_addstr(&dir, "/.cairn");
		if (!stat(dir.buf, &st) && S_ISDIR(st.st_mode)) {
			strbuf_setlen(&dir, len);
			*out = strbuf_detach(&dir, NULL);
			free(cwd);
			return 0;
		}
		strbuf_setlen(&dir, len);
		if (len <= 1)
			break;
		while (dir.len > 1 && dir.buf[dir.len - 1] != '/')
			strbuf_setlen(&dir, dir.len - 1);
		if (dir.len > 1)
			strbuf_setlen(&dir, dir.len - 1);
	}
	strbuf_release(&dir);
	*out = cwd;
	return 1;
}

int shell_project_setup(struct exec_session_opts *o, char **root_out)
{
	char *root = NULL, *cdir;
	int r = find_root(&root);

	*root_out = NULL;
	if (r < 0)
		return -1;
	cdir = xstrfmt("%s/.cairn", root);
	if (mkdir(cdir, 0755) == 0 && !shell_opts.quiet)
		fprintf(stderr, "cairn: recording into a new store in %s\n", cdir);
	else if (errno != EEXIST) {
		err_errno(CAIRN_ERROR, "cannot create the store %s", cdir);
		free(cdir);
		free(root);
		return -1;
	}
	free(cdir);
	o->root = root;
	o->no_sandbox = shell_opts.no_sandbox;
	o->keep_failed = shell_opts.keep_failed;
	*root_out = root;
	return 0;
}
