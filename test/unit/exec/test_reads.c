/*
 * test_reads.c - pure parts of turning a trace into reads: the hash of a
 * file's extended attributes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "exec-int.h"

/* Names and values count, order of setting does not; no attributes is
 * the hash of nothing. */
static void test_xattr_hash(void **state)
{
	char dir[] = "/tmp/cairn-xattr-XXXXXX", a[64], b[64], ha[65], hb[65], h0[65];
	int fd;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	fd = open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	fd = open(b, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(exec__xattr_hash(a, h0), 0);
	assert_string_equal(h0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	if (setxattr(a, "user.one", "1", 1, 0) < 0) {
		print_message("no user xattrs on %s (%s): only the empty case checked\n", dir,
			      strerror(errno));
		goto out;
	}
	assert_int_equal(setxattr(a, "user.two", "2", 1, 0), 0);
	assert_int_equal(setxattr(b, "user.two", "2", 1, 0), 0);
	assert_int_equal(setxattr(b, "user.one", "1", 1, 0), 0);
	assert_int_equal(exec__xattr_hash(a, ha), 0);
	assert_int_equal(exec__xattr_hash(b, hb), 0);
	assert_string_equal(ha, hb);
	assert_string_not_equal(ha, h0);
	/* a value changes: the hash does */
	assert_int_equal(setxattr(b, "user.two", "3", 1, 0), 0);
	assert_int_equal(exec__xattr_hash(b, hb), 0);
	assert_string_not_equal(ha, hb);
	/* the name and value boundary is kept: "user.on"="e1" differs */
	assert_int_equal(removexattr(b, "user.one"), 0);
	assert_int_equal(setxattr(b, "user.two", "2", 1, 0), 0);
	assert_int_equal(setxattr(b, "user.on", "e1", 2, 0), 0);
	assert_int_equal(exec__xattr_hash(b, hb), 0);
	assert_string_not_equal(ha, hb);
	/* missing file: an error */
	unlink(b);
	assert_int_equal(exec__xattr_hash(b, hb), -1);
out:
	unlink(a);
	unlink(b);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xattr_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
