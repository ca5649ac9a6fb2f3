#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void util_sha256_to_hex(char out[SHA256_HEX_LEN + 1], const unsigned char md[32])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void util_sha256_hex(char out[SHA256_HEX_LEN + 1], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		die("SHA-256 failed in libcrypto");
	util_sha256_to_hex(out, md);
}

int util_sha256_fd(char out[SHA256_HEX_LEN + 1], uint64_t *size, int fd)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int mdlen = 0;
	uint64_t total = 0;
	char *buf = xmalloc(1 << 20);
	ssize_t n;
	int ret = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die("SHA-256 failed in libcrypto");
	for (;;) {
		n = read(fd, buf, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(CAIRN_ERROR, "read");
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32)
		die("SHA-256 failed in libcrypto");
	util_sha256_to_hex(out, md);
	if (size)
		*size = total;
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return ret;
}

int util_sha256_file(char out[SHA256_HEX_LEN + 1], uint64_t *size, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	if (fd < 0)
		return err_errno(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_ERROR, "cannot open %s",
				 path);
	ret = util_sha256_fd(out, size, fd);
	close(fd);
	return ret;
}

int util_is_sha256_hex(const char *s)
{
	size_t i;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(CAIRN_ERROR, "write");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_write_all_nosigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	int was_pending, ret, saved;

	/* SIGPIPE goes to the writing thread: blocked here, the write fails
	 * with EPIPE instead, and a SIGPIPE it left pending is taken back. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ret = util_write_all(fd, buf, len);
	saved = errno;
	if (ret < 0 && saved == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return ret;
}

int util_fd_high(int fd)
{
	int h;
	if (fd < 0 || fd >= 100)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	close(fd);
	return h;
}

int util_is_name(const char *s, size_t len)
{
	size_t i;
	if (!len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!alpha && !(i && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

uint64_t util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

ssize_t util_proc_read(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;
	if (!size)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int util_proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp, pid_t *sid)
{
	char buf[512], *p, st;
	int a, b, c;
	if (util_proc_read(pid, "stat", buf, sizeof(buf)) <= 0)
		return -1;
	/* "PID (COMM) S PPID PGRP SID ...": COMM may hold anything, the last
	 * ')' ends it */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d %d %d", &st, &a, &b, &c) != 4)
		return -1;
	if (state)
		*state = st;
	if (ppid)
		*ppid = a;
	if (pgrp)
		*pgrp = b;
	if (sid)
		*sid = c;
	return 0;
}

void util_test_crash_point(const char *point)
{
	const char *at = getenv("CAIRN_TEST_CRASH_AT");
	if (at && !strcmp(at, point))
		_exit(137);
}

int util_fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir =
	    slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = err_errno(CAIRN_ERROR, "cannot sync the directory of %s", path);
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}
