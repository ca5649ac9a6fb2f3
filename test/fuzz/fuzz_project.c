/*
 * fuzz_project.c - the fake project of the store fuzz targets.
 */
#include "fuzz_project.h"

#include "util.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct fuzz_project proj;

static void cleanup(void);

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s: invariant failed: %s (line %d)\n", file, what, line);
	if (proj.top)
		cleanup();
	abort();
}

static void empty_or_abort(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	CHECK(d != NULL);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			fprintf(stderr, "fuzz: %s/%s was made: a write in the project\n", dir,
				de->d_name);
			abort(); /* (left in place, to be looked at) */
		}
	}
	closedir(d);
}

static void cleanup(void)
{
	const char *dirs[] = { proj.root, proj.writable, proj.tmp };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		chmod(dirs[i], 0700);
		rmdir(dirs[i]);
	}
	chmod(proj.top, 0700);
	rmdir(proj.top);
}

const struct fuzz_project *fuzz_project(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char *top;

	if (proj.top)
		return &proj;
	top = xstrfmt("%s/fuzz-store-XXXXXX", tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp");
	CHECK(mkdtemp(top) != NULL);
	proj.top = top;
	proj.root = xstrfmt("%s/project", top);
	proj.cairn_dir = xstrfmt("%s/.cairn", proj.root);
	proj.writable = xstrfmt("%s/writable", top);
	proj.tmp = xstrfmt("%s/tmp", top);
	/* Read-only: a write the code under test tried would fail (and
	 * fuzz_project_check() would see one that did not). */
	CHECK(mkdir(proj.root, 0555) == 0);
	CHECK(mkdir(proj.writable, 0555) == 0);
	CHECK(mkdir(proj.tmp, 0555) == 0);
	CHECK(chmod(top, 0555) == 0);
	atexit(cleanup);
	return &proj;
}

void fuzz_project_check(void)
{
	if (!proj.top)
		return;
	empty_or_abort(proj.root);
	empty_or_abort(proj.writable);
	empty_or_abort(proj.tmp);
}

const char *fuzz_plain_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) || path[n] != '/' || !fuzz_path_plain(path + n + 1))
		return NULL;
	return path + n + 1;
}

int fuzz_path_plain(const char *path)
{
	const char *p = path, *end;
	size_t n;

	if (!p || !*p || *p == '/')
		return 0;
	for (;;) {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!end)
			return 1;
		p = end + 1;
	}
}
