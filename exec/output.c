/*
 * output.c - capture a step's standard output and error while it runs,
 * so that a cache hit can replay them.
 *
 * Where a descriptor goes decides how:
 *   - a regular file: the step writes to it directly; afterwards the
 *     bytes between the offsets before and after are read back;
 *   - a terminal: the step gets a pseudo-terminal of the same size (so
 *     isatty() and the width are as before) whose output cairn copies to
 *     the real one;
 *   - anything else (a pipe, /dev/null, a socket): the step gets a pipe
 *     whose bytes cairn copies on.
 * When descriptors 1 and 2 share one open file, they share one channel,
 * so the order of their bytes is kept ("merged").  A thread pumps the
 * channels while the step runs (it is started after the sandbox's
 * clone(), never before: a clone from a threaded process could inherit a
 * held malloc lock).
 */
#include "exec-int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#ifndef KCMP_FILE
#define KCMP_FILE 0
#endif

int exec_parse_size(uint64_t *out, const char *text)
{
	static const char units[] = "kmgt";
	const char *u;
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (end == text || *text == '-' || errno)
		goto bad;
	if (*end && (u = strchr(units, *end | 0x20))) {
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	} else if (!strcmp(end, "B")) {
		end++;
	}
	if (*end || !v || (shift && v > (~0ULL >> shift)))
		goto bad;
	*out = (uint64_t)v << shift;
	return 0;
bad:
	return err_set(CAIRN_EUSAGE, "%s: not a size (bytes, or with k, M, G or T)", text);
}

/* Do descriptors A and B of this process share one open file? */
static int same_file(int a, int b)
{
	pid_t me = getpid();
	return syscall(SYS_kcmp, me, me, KCMP_FILE, a, b) == 0;
}

/* Move FD far above the numbers a step uses (it is put in place after
 * the session's descriptors are). */
static int high(int fd)
{
	int h;
	if (fd < 0)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	close(fd);
	return h;
}

static int make_pty(struct exec_output *o, int n)
{
	struct termios tio;
	struct winsize ws;
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), slave;
	char name[64];
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, name, sizeof(name))) {
		if (master >= 0)
			close(master);
		return -1;
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		close(master);
		return -1;
	}
	/* The terminal's settings, but bytes pass unchanged: the real
	 * terminal does its own output processing. */
	if (tcgetattr(o->dst[n], &tio) == 0) {
		tio.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(slave, TCSANOW, &tio);
	}
	if (ioctl(o->dst[n], TIOCGWINSZ, &ws) == 0) {
		ioctl(slave, TIOCSWINSZ, &ws);
		o->cols = ws.ws_col;
	}
	o->rd[n] = master;
	o->child[n] = high(slave);
	return 0;
}

static int capture_file(struct exec_session *s, struct exec_output *o, int n)
{
	char *path = xstrfmt("%s/out%d.XXXXXX", s->tmpdir, n);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		free(path);
		return err_errno(CAIRN_ERROR, "cannot create a file in %s", s->tmpdir);
	}
	unlink(path);
	free(path);
	o->cap[n] = fd;
	return 0;
}

int exec__output_begin(struct exec_output *o, struct exec_session *s)
{
	struct stat st;
	int n;

	memset(o, 0, sizeof(*o));
	o->deferred = s->defer_output;
	o->max = s->max_output ? s->max_output : EXEC_MAX_OUTPUT;
	for (n = 0; n < 3; n++)
		o->dst[n] = o->rd[n] = o->child[n] = o->cap[n] = o->back[n] = -1;
	/* Standard input: only to tell the cache what it is. */
	o->dst[0] = exec__session_fd(s, 0);
	if (o->dst[0] < 0 || fstat(o->dst[0], &st) < 0)
		o->stdin_kind = "closed";
	else if (s->mode == EXEC_MODE_STDIN)
		o->stdin_kind = "consumed"; /* cairn read it all */
	else if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		o->stdin_kind = "null";
	else if (isatty(o->dst[0]))
		o->stdin_kind = "tty";
	else if (S_ISREG(st.st_mode))
		o->stdin_kind = "file";
	else
		o->stdin_kind = "pipe";

	for (n = 1; n < 3; n++) {
		/* Our own copy: the session's may be replaced while we work. */
		int fd = exec__session_fd(s, n);
		o->dst[n] = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 100) : -1;
		if (o->dst[n] < 0 || fstat(o->dst[n], &st) < 0) {
			o->kind[n] = EXEC_OUT_CLOSED;
			continue;
		}
		if (n == 2 && o->kind[1] != EXEC_OUT_CLOSED && same_file(o->dst[1], o->dst[2])) {
			o->merged = 1;
			o->kind[2] = EXEC_OUT_MERGED;
			continue;
		}
		if (capture_file(s, o, n) < 0)
			goto fail;
		if (S_ISREG(st.st_mode) && !s->defer_output) {
			/* Shells open with `>` write-only: read through a
			 * descriptor of our own. */
			char self[64];
			snprintf(self, sizeof(self), "/proc/self/fd/%d", o->dst[n]);
			o->start[n] = lseek(o->dst[n], 0, SEEK_CUR);
			o->kind[n] = EXEC_OUT_FILE;
			o->rd[n] = -1;
			o->back[n] = open(self, O_RDONLY | O_CLOEXEC);
			if (o->start[n] < 0 || o->back[n] < 0)
				o->broken = 1;
		} else if (isatty(o->dst[n]) && make_pty(o, n) == 0) {
			o->kind[n] = EXEC_OUT_PTY;
			o->tty[n] = 1;
		} else {
			int p[2];
			if (pipe2(p, O_CLOEXEC) < 0) {
				err_errno(CAIRN_ERROR, "pipe");
				goto fail;
			}
			o->rd[n] = p[0];
			o->child[n] = high(p[1]);
			o->kind[n] = EXEC_OUT_PIPE;
		}
	}
	return 0;
fail:
	exec__output_release(o);
	return -1;
}

static void *pump(void *arg)
{
	struct exec_output *o = arg;
	char *buf = xmalloc(65536);
	for (;;) {
		struct pollfd pfd[3];
		int map[3], np = 0, n, i;
		for (n = 1; n < 3; n++) {
			if (o->rd[n] < 0)
				continue;
			pfd[np].fd = o->rd[n];
			pfd[np].events = POLLIN;
			map[np++] = n;
		}
		if (!np)
			break;
		pfd[np].fd = o->stop[0];
		pfd[np].events = POLLIN;
		if (poll(pfd, (nfds_t)np + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < np; i++) {
			ssize_t r;
			n = map[i];
			if (!pfd[i].revents)
				continue;
			r = read(o->rd[n], buf, 65536);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				/* EOF (a pty says EIO once the step has gone). */
				close(o->rd[n]);
				o->rd[n] = -1;
				continue;
			}
			o->size[n] += (uint64_t)r;
			if (!o->over[n] && o->size[n] > o->max) {
				/* Past cache.maxOutput: passed on, no longer
				 * kept (but for a deferred step, whose output
				 * is shown from the capture afterwards). */
				o->over[n] = 1;
				if (!o->deferred && ftruncate(o->cap[n], 0) < 0)
					o->broken = 1;
			}
			if ((!o->over[n] || o->deferred) &&
			    util_write_all(o->cap[n], buf, (size_t)r) < 0)
				o->broken = 1;
			if (!o->deferred &&
			    util_write_all_nosigpipe(o->dst[n], buf, (size_t)r) < 0) {
				/* The reader went away: so will the step's
				 * writes, as if it wrote there itself. */
				o->broken = 1;
				close(o->rd[n]);
				o->rd[n] = -1;
			}
		}
		if (pfd[np].revents)
			break;
	}
	free(buf);
	return NULL;
}

int exec__output_start(struct exec_output *o)
{
	int n;
	/* The step has its copies now. */
	for (n = 1; n < 3; n++) {
		if (o->child[n] >= 0 && o->kind[n] == EXEC_OUT_PIPE) {
			/* Keep the pipe's identity to recognise it later. */
			struct stat st;
			if (fstat(o->child[n], &st) == 0)
				o->child_ino[n] = st.st_ino;
		}
	}
	for (n = 1; n < 3; n++)
		if (o->rd[n] >= 0)
			break;
	if (n == 3)
		return 0;
	if (pipe2(o->stop, O_CLOEXEC) < 0)
		return err_errno(CAIRN_ERROR, "pipe");
	if (pthread_create(&o->thread, NULL, pump, o)) {
		close(o->stop[0]);
		close(o->stop[1]);
		o->stop[0] = o->stop[1] = 0;
		return err_set(CAIRN_ERROR, "cannot start a thread");
	}
	o->pumping = 1;
	return 0;
}

void exec__output_close_child(struct exec_output *o)
{
	int n;
	for (n = 1; n < 3; n++) {
		if (o->child[n] >= 0) {
			struct stat st;
			if (fstat(o->child[n], &st) == 0) {
				o->child_dev[n] = st.st_dev;
				o->child_ino[n] = st.st_ino;
				o->child_rdev[n] = st.st_rdev;
			}
			close(o->child[n]);
			o->child[n] = -1;
		}
	}
}

int exec__output_is_ours(const struct exec_output *o, int fd)
{
	struct stat st;
	int n;
	if (!o || fstat(fd, &st) < 0)
		return 0;
	for (n = 1; n < 3; n++) {
		if (o->kind[n] != EXEC_OUT_PIPE && o->kind[n] != EXEC_OUT_PTY)
			continue;
		if (st.st_dev == o->child_dev[n] && st.st_ino == o->child_ino[n] &&
		    st.st_rdev == o->child_rdev[n])
			return n;
	}
	return 0;
}

/* Copy the bytes a file destination got during the step into CAP. */
static void read_back(struct exec_output *o, int n)
{
	off_t end = lseek(o->dst[n], 0, SEEK_CUR), at = o->start[n];
	char *buf;
	if (end < 0 || end < at) {
		o->broken = 1;
		return;
	}
	o->size[n] = (uint64_t)(end - at);
	if (o->size[n] > o->max) {
		/* In the file already; too large to keep a copy of. */
		o->over[n] = 1;
		return;
	}
	buf = xmalloc(65536);
	while (at < end) {
		size_t want = (size_t)(end - at) < 65536 ? (size_t)(end - at) : 65536;
		ssize_t r = pread(o->back[n], buf, want, at);
		if (r <= 0 || util_write_all(o->cap[n], buf, (size_t)r) < 0) {
			/* Not readable (write-only), or shrunk meanwhile. */
			o->broken = 1;
			break;
		}
		at += r;
	}
	free(buf);
}

/* Logs up to this size are read whole and stored without an fsync. */
#define LOG_IN_MEMORY (1 << 20)

int exec__output_end(struct exec_output *o, struct exec_session *s)
{
	struct stat st;
	int n, ret = 0;
	if (o->pumping) {
		/* Every writer has gone with the sandbox: drain to EOF. */
		pthread_join(o->thread, NULL);
		o->pumping = 0;
	}
	for (n = 1; n < 3; n++) {
		struct strbuf data = STRBUF_INIT;
		if (o->kind[n] == EXEC_OUT_CLOSED || o->kind[n] == EXEC_OUT_MERGED)
			continue;
		if (o->kind[n] == EXEC_OUT_FILE)
			read_back(o, n);
		if (o->over[n])
			continue;
		if (fstat(o->cap[n], &st) == 0 && st.st_size > LOG_IN_MEMORY) {
			/* A large log is stored from its file (through our
			 * descriptor: the file is unlinked), never held whole. */
			char self[64];
			snprintf(self, sizeof(self), "/proc/self/fd/%d", o->cap[n]);
			if (cache_cas_put_file(o->sha[n], s->cairn_dir, self) < 0)
				ret = -1;
			else
				o->have[n] = 1;
		} else if (lseek(o->cap[n], 0, SEEK_SET) < 0 ||
			   strbuf_read_fd(&data, o->cap[n]) < 0) {
			o->broken = 1;
		} else if (cache_cas_put_buf(o->sha[n], s->cairn_dir, data.buf, data.len) < 0) {
			ret = -1;
		} else {
			o->have[n] = 1;
		}
		strbuf_release(&data);
	}
	return ret;
}

void exec__output_release(struct exec_output *o)
{
	int n;
	if (o->pumping) {
		/* The thread also ends at EOF, should this write fail. */
		ssize_t w = write(o->stop[1], "x", 1);
		(void)w;
		pthread_join(o->thread, NULL);
		o->pumping = 0;
	}
	for (n = 0; n < 2; n++)
		if (o->stop[n] > 0)
			close(o->stop[n]);
	for (n = 1; n < 3; n++) {
		if (o->rd[n] >= 0)
			close(o->rd[n]);
		if (o->child[n] >= 0)
			close(o->child[n]);
		if (o->cap[n] >= 0)
			close(o->cap[n]);
		if (o->back[n] > 0)
			close(o->back[n]);
		if (o->dst[n] > 0)
			close(o->dst[n]);
		o->dst[n] = -1;
		o->rd[n] = o->child[n] = o->cap[n] = o->back[n] = -1;
	}
}

void exec__output_flush(struct exec_output *o)
{
	int n;
	if (!o->deferred)
		return;
	o->deferred = 0;
	for (n = 1; n < 3; n++)
		if (o->cap[n] >= 0 && lseek(o->cap[n], 0, SEEK_SET) == 0)
			exec__output_replay(o, o->cap[n], n);
}

void exec__output_replay(const struct exec_output *o, int fd, int n)
{
	char *buf;
	ssize_t r;
	if (fd < 0 || o->kind[n] == EXEC_OUT_CLOSED)
		return;
	buf = xmalloc(65536);
	while ((r = read(fd, buf, 65536)) > 0 || (r < 0 && errno == EINTR))
		/* A reader that went away stops the replay, as it would the
		 * step. */
		if (r > 0 && util_write_all_nosigpipe(o->dst[n], buf, (size_t)r) < 0)
			break;
	free(buf);
}
