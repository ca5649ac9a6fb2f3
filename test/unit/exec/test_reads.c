/*
 * test_reads.c - pure parts of turning a trace into reads: which kernel
 * files make a step nondeterministic, and the hash of a file's extended
 * attributes.
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

static void test_nondeterministic(void **state)
{
	static const char *const yes[] = {
		"/dev/urandom",
		"/dev/random",
		"/proc/cpuinfo",
		"/proc/meminfo",
		"/proc/stat",
		"/proc/loadavg",
		"/proc/uptime",
		"/proc/sys/kernel/random/uuid",
		"/sys/devices/system/cpu/online",
		"/sys/devices/system/cpu/cpu0/topology/core_id",
		"/sys/fs/cgroup/cpu.max",
		"/sys/fs/cgroup/user.slice/cpu.max",
		"/sys/fs/cgroup/memory.max",
		"/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
	};
	static const char *const no[] = {
		"/dev/null",
		"/dev/zero",
		"/dev/urandomx",
		"/proc/self/status",
		"/proc/self/stat",
		"/proc/statx",
		"/proc/sys/kernel/hostname",
		"/sys/devices/system/cpux",
		"/sys/fs/cgroup",
		"/sys/fs/cgroup/cgroup.procs",
		"/etc/cpu.max",
		"data/cpuinfo",
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!exec__nondeterministic(yes[i]))
			fail_msg("%s should be nondeterministic", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (exec__nondeterministic(no[i]))
			fail_msg("%s should not be nondeterministic", no[i]);
}

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
		cmocka_unit_test(test_nondeterministic),
		cmocka_unit_test(test_xattr_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
