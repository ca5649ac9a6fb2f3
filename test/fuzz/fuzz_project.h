/*
 * fuzz_project.h - a fake project for the store fuzz targets, and the
 * checks they share.
 *
 * The validation functions the targets call look at the disk (lstat,
 * never a write): they get a project root of their own under $TMPDIR
 * (default /tmp), fuzz-store-XXXXXX/{project,writable,tmp}, made
 * read-only so that any write there would fail, and checked empty after
 * every input.  It is removed at exit.  (Not cairn-XXXXXX: what a
 * journal names below $TMPDIR/cairn-* is a dead session's scratch,
 * skipped, and the fake project would not be checked.)
 */
#ifndef CAIRN_FUZZ_PROJECT_H
#define CAIRN_FUZZ_PROJECT_H

#include <stdio.h>
#include <stdlib.h>

/* Say which invariant failed, remove the fake project, abort(). */
__attribute__((noreturn)) void fuzz_fail(const char *file, int line, const char *what);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

struct fuzz_project {
	char *top; /* $TMPDIR/fuzz-store-XXXXXX */
	char *root; /* TOP/project: the project root */
	char *cairn_dir; /* TOP/project/.cairn (never made) */
	char *writable; /* TOP/writable: a sandbox.writable directory */
	char *tmp; /* TOP/tmp: what the session's steps see as /tmp */
};

/* The fake project, made on first call (aborts if it cannot be). */
const struct fuzz_project *fuzz_project(void);

/* Abort unless the fake project's directories are still empty. */
void fuzz_project_check(void);

/* Is PATH a plain relative path, checked component by component: not
 * empty, no leading `/`, no empty, `.` or `..` component?  1 or 0.
 * Written apart from util_path_plain(), which the targets check. */
int fuzz_path_plain(const char *path);

/* PATH is DIR/REST with REST plain (fuzz_path_plain()): REST, else
 * NULL. */
const char *fuzz_plain_below(const char *path, const char *dir);

#endif
