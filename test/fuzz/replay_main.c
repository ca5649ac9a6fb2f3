/*
 * replay_main.c - feed files to LLVMFuzzerTestOneInput() without libFuzzer,
 * so that ctest replays the regression corpus in an ordinary build.
 *
 *   fuzz_parse_replay PATH...
 *
 * A PATH that is a directory contributes every regular file in it (not
 * recursively); any other PATH is read as one input.  Prints
 * "N inputs replayed"; exits non-zero if a PATH cannot be read (an
 * invariant failure aborts, naming the input it was replaying).
 */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input being replayed, for the message of an abort(). */
static const char *current;

static void on_abort(int sig)
{
	static const char msg[] = "replay: aborted on input ";

	if (current) {
		(void)!write(2, msg, sizeof(msg) - 1);
		(void)!write(2, current, strlen(current));
		(void)!write(2, "\n", 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int replay_file(const char *path, size_t *count)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, path) < 0) {
		fprintf(stderr, "replay: %s\n", err_last());
		strbuf_release(&sb);
		return -1;
	}
	current = path;
	LLVMFuzzerTestOneInput((const uint8_t *)sb.buf, sb.len);
	current = NULL;
	strbuf_release(&sb);
	(*count)++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *path, size_t *count)
{
	struct strvec files = STRVEC_INIT;
	struct dirent *de;
	DIR *dir = opendir(path);
	size_t i;
	int ret = 0;

	if (!dir) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir))) {
		struct stat st;
		char *full = xstrfmt("%s/%s", path, de->d_name);

		if (de->d_name[0] != '.' && stat(full, &st) == 0 && S_ISREG(st.st_mode))
			strvec_push_nodup(&files, full);
		else
			free(full);
	}
	closedir(dir);
	/* A fixed order makes a failure reproducible. */
	if (files.nr)
		qsort(files.v, files.nr, sizeof(*files.v), cmp_str);
	for (i = 0; i < files.nr; i++)
		if (replay_file(files.v[i], count) < 0)
			ret = -1;
	strvec_clear(&files);
	return ret;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, status = 0;

	signal(SIGABRT, on_abort);
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		} else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) < 0
					       : replay_file(argv[i], &count) < 0) {
			status = 1;
		}
	}
	printf("%zu inputs replayed\n", count);
	return status;
}
