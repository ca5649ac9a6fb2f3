/*
 * Unit test of formats/confine.c: a job's child, once confined, can
 * write nothing, run no program, trace nothing, open no socket but a
 * Unix one (and Internet ones only when it has the network), yet still
 * start threads (the fingerprint's hashing thread).  Each case runs in
 * a child of its own: confinement cannot be undone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int formats__confine(int network, const char *const *paths);

static char dir[64];

static void *thread_main(void *p)
{
	return p;
}

/* In the child: 0 when every check holds, else the number of the first
 * that does not. */
static int probe(int network)
{
	char path[128], mnt0[64] = "", mnt1[64] = "";
	char *const argv[] = { "/bin/true", NULL };
	pthread_t t;
	int fd, rw;

	if (readlink("/proc/self/ns/mnt", mnt0, sizeof(mnt0) - 1) < 0)
		return 90;
	if (formats__confine(network, (const char *const[]){ NULL }) < 0)
		return 1;
	/* Where user namespaces are available: a mount namespace of its
	 * own, and nothing writable in it. */
	rw = readlink("/proc/self/ns/mnt", mnt1, sizeof(mnt1) - 1) > 0 && strcmp(mnt0, mnt1);
	snprintf(path, sizeof(path), "%s/new", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (rw && (fd >= 0 || errno != EROFS))
		return 2;
	if (fd >= 0)
		close(fd);
	fd = open("/dev/shm/cairn-confine-test", O_WRONLY | O_CREAT, 0600);
	if (rw && fd >= 0)
		return 3;
	if (fd >= 0)
		close(fd), unlink("/dev/shm/cairn-confine-test");
	execve("/bin/true", argv, NULL);
	if (errno != EPERM)
		return 4;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 || errno != EPERM)
		return 5;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (network ? fd < 0 : fd >= 0 || errno != EAFNOSUPPORT)
		return 6;
	if (fd >= 0)
		close(fd);
	fd = socket(AF_NETLINK, SOCK_RAW, 0);
	if (fd >= 0 || errno != EAFNOSUPPORT)
		return 7;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 8;
	close(fd);
	if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 9;
	if (!rw)
		fprintf(stderr,
			"confine_test: no user namespaces here: read-only view not checked\n");
	return 0;
}

static void run(int network)
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(probe(network));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_confined(void **state)
{
	(void)state;
	run(0);
}

static void test_confined_network(void **state)
{
	(void)state;
	run(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confined),
		cmocka_unit_test(test_confined_network),
	};
	int ret;

	snprintf(dir, sizeof(dir), "/tmp/cairn-confine-test.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return ret;
}
