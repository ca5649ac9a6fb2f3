#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"

/* SHA-256 of "hello\n". */
#define HELLO_SHA "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

struct fx {
	char dir[64];
	char *cairn;
};

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static char *read_text(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/cairn-cas.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cairn = xstrfmt("%s/.cairn", f->dir);
	assert_int_equal(mkdir(f->cairn, 0755), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xstrfmt("chmod -R u+w '%s' && rm -rf '%s'", f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->cairn);
	free(f);
	return 0;
}

static void test_put_layout_and_idempotence(void **state)
{
	struct fx *f = *state;
	struct strbuf obj = STRBUF_INIT;
	char sha[65], again[65];
	char *src = xstrfmt("%s/hello.txt", f->dir);
	struct stat sb;

	write_file(src, "hello\n");
	assert_false(cache_cas_has(f->cairn, HELLO_SHA));
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
	assert_string_equal(sha, HELLO_SHA);
	assert_true(cache_cas_has(f->cairn, HELLO_SHA));

	cache_cas_path(&obj, f->cairn, sha);
	assert_non_null(strstr(obj.buf, "/cas/sha256/58/91b5b522"));
	assert_int_equal(stat(obj.buf, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0444);

	/* Putting the same bytes again changes nothing. */
	assert_int_equal(cache_cas_put_file(again, f->cairn, src), 0);
	assert_string_equal(again, HELLO_SHA);
	/* And nothing is left in tmp/. */
	{
		char *cmd = xstrfmt("test -z \"$(ls -A '%s/tmp')\"", f->cairn);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	strbuf_release(&obj);
	free(src);
}

/* A torn object (cut short by a power loss before puts were synced) is
 * replaced by the next put of the same bytes, from a file or a buffer. */
static void test_put_repairs_torn(void **state)
{
	struct fx *f = *state;
	struct strbuf obj = STRBUF_INIT;
	char sha[65];
	char *src = xstrfmt("%s/hello.txt", f->dir), *text;
	int pass;

	write_file(src, "hello\n");
	for (pass = 0; pass < 2; pass++) {
		assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
		strbuf_reset(&obj);
		cache_cas_path(&obj, f->cairn, sha);
		chmod(obj.buf, 0644);
		write_file(obj.buf, ""); /* the torn object: its name, no bytes */
		if (pass == 0)
			assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
		else
			assert_int_equal(cache_cas_put_buf(sha, f->cairn, "hello\n", 6), 0);
		assert_string_equal(sha, HELLO_SHA);
		text = read_text(obj.buf);
		assert_string_equal(text, "hello\n");
		free(text);
	}
	strbuf_release(&obj);
	free(src);
}

/* An object corrupt in place (the same size: a put cannot tell it from
 * the size) is moved aside by the read that finds it, and the next put
 * of its bytes stores them again: it heals. */
static void test_corrupt_same_size_heals(void **state)
{
	struct fx *f = *state;
	struct strbuf obj = STRBUF_INIT;
	char sha[65];
	char *src = xstrfmt("%s/hello.txt", f->dir), *dst = xstrfmt("%s/out.txt", f->dir);
	char *text;
	int fd;

	write_file(src, "hello\n");
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
	cache_cas_path(&obj, f->cairn, sha);
	chmod(obj.buf, 0644);
	write_file(obj.buf, "HELLO\n"); /* same size, other bytes */
	assert_int_not_equal(cache_cas_get_file(f->cairn, sha, dst, 0644), 0);
	assert_int_not_equal(cache_cas_open(&fd, f->cairn, sha), 0);
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
	text = read_text(obj.buf);
	assert_string_equal(text, "hello\n");
	free(text);
	assert_int_equal(cache_cas_get_file(f->cairn, sha, dst, 0644), 0);
	text = read_text(dst);
	assert_string_equal(text, "hello\n");
	free(text);
	strbuf_release(&obj);
	free(src);
	free(dst);
}

static void test_put_missing(void **state)
{
	struct fx *f = *state;
	char sha[65];
	char *src = xstrfmt("%s/nope", f->dir);
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), CAIRN_ENOTFOUND);
	assert_non_null(strstr(err_last(), "nope"));
	free(src);
}

static void test_get_roundtrip_and_mode(void **state)
{
	struct fx *f = *state;
	char sha[65];
	char *src = xstrfmt("%s/in", f->dir), *dest = xstrfmt("%s/out", f->dir), *text;
	struct stat sb;

	write_file(src, "hello\n");
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
	write_file(dest, "old contents\n");
	assert_int_equal(cache_cas_get_file(f->cairn, sha, dest, 0750), 0);
	text = read_text(dest);
	assert_string_equal(text, "hello\n");
	assert_int_equal(stat(dest, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	free(text);
	free(src);
	free(dest);
}

static void test_get_absent(void **state)
{
	struct fx *f = *state;
	char *dest = xstrfmt("%s/out", f->dir);
	assert_int_equal(cache_cas_get_file(f->cairn, HELLO_SHA, dest, 0644), CAIRN_ENOTFOUND);
	assert_non_null(strstr(err_last(), "no object 5891b5b522d5"));
	assert_int_equal(access(dest, F_OK), -1);
	free(dest);
}

static void test_get_corrupt_leaves_dest(void **state)
{
	struct fx *f = *state;
	struct strbuf obj = STRBUF_INIT;
	char sha[65];
	char *src = xstrfmt("%s/in", f->dir), *dest = xstrfmt("%s/out", f->dir), *text;

	write_file(src, "hello\n");
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
	cache_cas_path(&obj, f->cairn, sha);
	assert_int_equal(chmod(obj.buf, 0644), 0);
	write_file(obj.buf, "HELLO\n");
	write_file(dest, "precious\n");

	assert_int_equal(cache_cas_get_file(f->cairn, sha, dest, 0644), CAIRN_ERROR);
	assert_non_null(strstr(err_last(), "corrupt"));
	text = read_text(dest);
	assert_string_equal(text, "precious\n");
	free(text);
	/* No temporary file is left beside DEST. */
	{
		char *cmd = xstrfmt("test -z \"$(ls -A '%s' | grep cairn-checkout)\"", f->dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	strbuf_release(&obj);
	free(src);
	free(dest);
}

static void test_bad_sha(void **state)
{
	struct fx *f = *state;
	assert_false(cache_cas_has(f->cairn, "xyz"));
	assert_false(cache_cas_has(f->cairn, HELLO_SHA "0"));
	assert_int_equal(cache_cas_get_file(f->cairn, "../../etc/passwd", "/tmp/x", 0644),
			 CAIRN_ERROR);
}

static void test_large_file(void **state)
{
	struct fx *f = *state;
	char sha[65], want[65], got[65];
	char *src = xstrfmt("%s/big", f->dir), *dest = xstrfmt("%s/big.out", f->dir);
	size_t n = 3 * (1 << 17) + 12345, i;
	char *buf = xmalloc(n);
	uint64_t size = 0;
	int fd;

	for (i = 0; i < n; i++)
		buf[i] = (char)(i * 7 + (i >> 9));
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(util_write_all(fd, buf, n), 0);
	close(fd);
	util_sha256_hex(want, buf, n);
	assert_int_equal(util_sha256_file(got, &size, src), 0);
	assert_string_equal(got, want);
	assert_int_equal(size, n);
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
	assert_string_equal(sha, want);
	assert_int_equal(cache_cas_get_file(f->cairn, sha, dest, 0644), 0);
	assert_int_equal(util_sha256_file(got, NULL, dest), 0);
	assert_string_equal(got, want);
	free(buf);
	free(src);
	free(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_layout_and_idempotence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_repairs_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_same_size_heals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_roundtrip_and_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_corrupt_leaves_dest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sha, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
