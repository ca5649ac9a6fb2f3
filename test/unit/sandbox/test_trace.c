/*
 * test_trace.c - the seccomp recorder end to end: a forked child installs
 * the filter and hands the listener over a socketpair; this process
 * traces it and checks what was recorded.
 *
 * The binary is also its own probe program: `test_trace --probe WHAT ...`
 * (see probe_main()) is what the traced children exec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"

extern char **environ;

static char self_exe[PATH_MAX]; /* this binary, for the probes */
static char tmp[PATH_MAX]; /* a fresh directory, symlinks resolved */

/* ---- plumbing ------------------------------------------------------------- */

static int send_fd(int sock, int fd)
{
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;

	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;
	int fd;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * First thing in every forked child: cmocka catches SIGSEGV, SIGILL,
 * SIGFPE, SIGBUS and SIGSYS to report a crash and jumps back into its
 * runner, which in a child would go on running the remaining tests (and
 * print a summary of its own).  A child must die of the signal instead.
 */
static void child_begin(void)
{
	static const int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGSYS, SIGABRT };
	size_t i;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
}

/* Runs in the traced child after the filter is in; returns the exit code. */
typedef int child_fn(void *arg);

/* Namespaces the traced child enters before the filter goes in (the
 * filter refuses new user namespaces, as the step's main process enters
 * its own before it installs the filter). */
static int pre_filter_unshare;

struct traced {
	struct sandbox_trace tr;
	pid_t pid;
	int status;
};

/*
 * Fork a child that installs the filter, hands the listener over and
 * runs FN; trace it and every descendant (we are their subreaper) until
 * all are reaped.
 */
static void run_traced(struct traced *out, child_fn *fn, void *arg)
{
	struct sandbox_tracer *t = NULL;
	int sv[2], lfd;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;
		child_begin();
		close(sv[0]);
		if (pre_filter_unshare && unshare(pre_filter_unshare) < 0)
			_exit(77);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(120);
		fd = sandbox_seccomp_install();
		if (fd < 0) {
			fprintf(stderr, "install: %s\n", err_last());
			_exit(121);
		}
		if (send_fd(sv[1], fd) < 0)
			_exit(122);
		close(fd);
		close(sv[1]);
		_exit(fn(arg));
	}
	close(sv[1]);
	lfd = recv_fd(sv[0]);
	close(sv[0]);
	out->pid = pid;
	if (lfd < 0) {
		waitpid(pid, &out->status, 0);
		if (pre_filter_unshare && WIFEXITED(out->status) && WEXITSTATUS(out->status) == 77)
			return; /* the namespaces asked for are not available */
		fail_msg("no listener from the child (status %#x)", out->status);
	}
	assert_int_equal(sandbox_tracer_start(&t, lfd, NULL), 0);
	assert_int_equal(waitpid(pid, &out->status, 0), pid);
	/* Orphans were reparented to us: reap them too, so that the filter
	 * loses its last user and the listener reports POLLHUP. */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	assert_int_equal(sandbox_tracer_finish(t, &out->tr, 0), 0);
}

static void dump(const struct sandbox_trace *tr)
{
	size_t i, j;
	for (i = 0; i < tr->nevents; i++) {
		const struct sandbox_event *e = &tr->events[i];
		print_message("  %-8s pid=%d fl=%#x nf=%d %s%s%s\n", sandbox_op_name(e->op),
			      (int)e->pid, e->flags, e->nofollow, e->path, e->path2 ? " -> " : "",
			      e->path2 ? e->path2 : "");
	}
	for (i = 0; i < tr->nprocs; i++) {
		print_message("  proc pid=%d ppid=%d %s:", (int)tr->procs[i].pid,
			      (int)tr->procs[i].ppid, tr->procs[i].exe);
		for (j = 0; j < tr->procs[i].argv.nr; j++)
			print_message(" [%s]", tr->procs[i].argv.v[j]);
		print_message("\n");
	}
}

static const struct sandbox_event *find2(const struct sandbox_trace *tr, enum sandbox_op op,
					 const char *path, const char *path2)
{
	size_t i;
	for (i = 0; i < tr->nevents; i++) {
		const struct sandbox_event *e = &tr->events[i];
		if (e->op == op && !strcmp(e->path, path) &&
		    (!path2 || (e->path2 && !strcmp(e->path2, path2))))
			return e;
	}
	return NULL;
}

static const struct sandbox_event *find(const struct sandbox_trace *tr, enum sandbox_op op,
					const char *path)
{
	return find2(tr, op, path, NULL);
}

/* Assert that TR has an event OP on PATH (a printf format under tmp). */
#define expect_event(tr, op, ...)                                                                  \
	({                                                                                         \
		char *p_ = xstrfmt(__VA_ARGS__);                                                   \
		const struct sandbox_event *e_ = find((tr), (op), p_);                             \
		if (!e_) {                                                                         \
			dump(tr);                                                                  \
			fail_msg("no %s event for %s", sandbox_op_name(op), p_);                   \
		}                                                                                  \
		free(p_);                                                                          \
		e_;                                                                                \
	})

static char *tmp_path(const char *name)
{
	return xstrfmt("%s/%s", tmp, name);
}

static void touch(const char *name)
{
	char *p = tmp_path(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	free(p);
}

static void mkdir_tmp(const char *name)
{
	char *p = tmp_path(name);
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
	free(p);
}

static void assert_exit0(const struct traced *r)
{
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status)) {
		dump(&r->tr);
		fail_msg("traced child ended with status %#x", r->status);
	}
}

/* ---- opens, relative paths, stat, readlink, listing ------------------------ */

static int child_open(void *arg)
{
	int fd, dfd;
	(void)arg;
	if (chdir(tmp) < 0)
		return 1;
	fd = open(tmp_path("a.txt"), O_RDONLY); /* absolute */
	close(fd);
	if (chdir("sub") < 0) /* relative chdir */
		return 2;
	close(open("rel.txt", O_RDONLY)); /* relative to the new cwd */
	close(open("./../sub//./rel2.txt", O_RDONLY)); /* normalised */
	dfd = open(tmp, O_RDONLY | O_DIRECTORY);
	close(openat(dfd, "dirfd.txt", O_RDONLY)); /* relative to a dirfd */
	close(openat(dfd, "new.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	close(openat(dfd, "new.txt", O_RDONLY));
	close(openat(dfd, "new.txt", O_RDONLY)); /* a duplicate */
	close(dfd);
	return fd < 0 ? 3 : 0;
}

static void test_open(void **state)
{
	struct traced r;
	const struct sandbox_event *e;
	(void)state;
	touch("a.txt");
	mkdir_tmp("sub");
	touch("sub/rel.txt");
	touch("dirfd.txt");

	run_traced(&r, child_open, NULL);
	assert_exit0(&r);
	e = expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/a.txt", tmp);
	assert_int_equal(e->pid, r.pid);
	assert_int_equal(e->flags & O_ACCMODE, O_RDONLY);
	assert_false(sandbox_event_writes(e));
	expect_event(&r.tr, SANDBOX_OP_CHDIR, "%s/sub", tmp);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/sub/rel.txt", tmp);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/sub/rel2.txt", tmp);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/dirfd.txt", tmp);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s", tmp);

	/* new.txt: one write-intent event (first), one read event, no more */
	{
		char *p = tmp_path("new.txt");
		size_t i, n = 0, writes = 0;
		for (i = 0; i < r.tr.nevents; i++)
			if (!strcmp(r.tr.events[i].path, p)) {
				n++;
				if (sandbox_event_writes(&r.tr.events[i])) {
					assert_int_equal(n, 1);
					assert_true(r.tr.events[i].flags & O_CREAT);
					writes++;
				}
			}
		assert_int_equal(n, 2);
		assert_int_equal(writes, 1);
		free(p);
	}
	assert_true(r.tr.notifications >= 10);
	assert_int_equal(r.tr.lost, 0);
	sandbox_trace_release(&r.tr);
}

static int child_lookups(void *arg)
{
	struct stat st;
	char buf[64];
	DIR *d;
	(void)arg;
	if (stat(tmp_path("absent"), &st) == 0)
		return 1;
	if (lstat(tmp_path("link"), &st) < 0)
		return 2;
	if (readlink(tmp_path("link"), buf, sizeof(buf)) < 0)
		return 3;
	if (access(tmp_path("a.txt"), R_OK) < 0)
		return 4;
	if (faccessat(AT_FDCWD, tmp_path("absent2"), F_OK, 0) == 0)
		return 5;
	d = opendir(tmp_path("listed"));
	if (!d)
		return 6;
	while (readdir(d))
		;
	closedir(d);
	return 0;
}

static void test_lookups(void **state)
{
	struct traced r;
	const struct sandbox_event *e;
	char *target;
	(void)state;
	touch("a.txt");
	mkdir_tmp("listed");
	touch("listed/one");
	target = tmp_path("link");
	unlink(target);
	assert_int_equal(symlink("a.txt", target), 0);
	free(target);

	run_traced(&r, child_lookups, NULL);
	assert_exit0(&r);
	e = expect_event(&r.tr, SANDBOX_OP_STAT, "%s/absent", tmp);
	assert_false(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_STAT, "%s/link", tmp);
	assert_true(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_READLINK, "%s/link", tmp);
	assert_true(e->nofollow);
	expect_event(&r.tr, SANDBOX_OP_ACCESS, "%s/a.txt", tmp);
	expect_event(&r.tr, SANDBOX_OP_ACCESS, "%s/absent2", tmp);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/listed", tmp);
	expect_event(&r.tr, SANDBOX_OP_LIST, "%s/listed", tmp);
	sandbox_trace_release(&r.tr);
}

/* Reading extended attributes, statfs and inotify watches name paths:
 * each is an input (whatever the calls return here). */
static int child_xattr_reads(void *arg)
{
	char buf[256];
	struct statfs sfs;
	int in;
	(void)arg;
	getxattr(tmp_path("x-get"), "user.x", buf, sizeof(buf));
	lgetxattr(tmp_path("x-link"), "user.x", buf, sizeof(buf));
	listxattr(tmp_path("x-list"), buf, sizeof(buf));
	llistxattr(tmp_path("x-llist"), buf, sizeof(buf));
	/* getxattrat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, name, NULL, 0):
	 * Linux 6.13; traced by number on older kernels too (ENOSYS). */
	syscall(464, AT_FDCWD, tmp_path("x-at"), AT_SYMLINK_NOFOLLOW, "user.x", NULL, 0);
	syscall(465, AT_FDCWD, tmp_path("x-listat"), 0, buf, sizeof(buf));
	if (statfs(tmp_path("fs"), &sfs) < 0)
		return 1;
	in = inotify_init1(IN_CLOEXEC);
	if (in < 0)
		return 2;
	if (inotify_add_watch(in, tmp_path("watched"), IN_MODIFY) < 0)
		return 3;
	if (inotify_add_watch(in, tmp_path("wlink"), IN_MODIFY | IN_DONT_FOLLOW) < 0)
		return 4;
	close(in);
	return 0;
}

static void test_xattr_reads(void **state)
{
	static const char *const names[] = { "x-get", "x-link",	  "x-list", "x-llist",
					     "x-at",  "x-listat", "fs",	    "watched" };
	struct traced r;
	const struct sandbox_event *e;
	char *link;
	size_t i;
	(void)state;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		touch(names[i]);
	link = tmp_path("wlink");
	unlink(link);
	assert_int_equal(symlink("watched", link), 0);
	free(link);

	run_traced(&r, child_xattr_reads, NULL);
	assert_exit0(&r);
	e = expect_event(&r.tr, SANDBOX_OP_GETXATTR, "%s/x-get", tmp);
	assert_false(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_GETXATTR, "%s/x-link", tmp);
	assert_true(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_GETXATTR, "%s/x-list", tmp);
	assert_false(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_GETXATTR, "%s/x-llist", tmp);
	assert_true(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_GETXATTR, "%s/x-at", tmp);
	assert_true(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_GETXATTR, "%s/x-listat", tmp);
	assert_false(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_STAT, "%s/fs", tmp);
	assert_false(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_STAT, "%s/watched", tmp);
	assert_false(e->nofollow);
	e = expect_event(&r.tr, SANDBOX_OP_STAT, "%s/wlink", tmp);
	assert_true(e->nofollow);
	assert_int_equal(r.tr.lost, 0);
	sandbox_trace_release(&r.tr);
}

static int child_normalise(void *arg)
{
	struct stat st;
	char deep[PATH_MAX + 16];
	(void)arg;
	if (chdir(tmp) < 0)
		return 1;
	stat("/../..//", &st);
	stat("x/../y/./", &st); /* x may be a symlink: ".." stays */
	stat("../../../../../../../../../../etc/./hostname-absent", &st);
	stat(".", &st);
	stat("/proc/self/fd/999/gone", &st); /* no such fd: kept as named */
	/* longer than PATH_MAX: the kernel refuses it (ENAMETOOLONG) before
	 * any lookup; we cannot read it whole either */
	memset(deep, 'a', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	stat(deep, &st);
	return 0;
}

static void test_normalise(void **state)
{
	struct traced r;
	(void)state;
	run_traced(&r, child_normalise, NULL);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_STAT, "/");
	/* after a component that may be a symlink, ".." is the link's
	 * target's parent: exec/ resolves it; into the working directory
	 * (a path the kernel gave, with no symlink) it is taken away */
	expect_event(&r.tr, SANDBOX_OP_STAT, "%s/x/../y", tmp);
	{
		char *y = tmp_path("y");
		assert_null(find(&r.tr, SANDBOX_OP_STAT, y));
		free(y);
	}
	expect_event(&r.tr, SANDBOX_OP_STAT, "/etc/hostname-absent");
	expect_event(&r.tr, SANDBOX_OP_STAT, "%s", tmp);
	expect_event(&r.tr, SANDBOX_OP_STAT, "/proc/self/fd/999/gone");
	assert_int_equal(r.tr.lost, 1); /* the over-long path */
	sandbox_trace_release(&r.tr);
}

/* ---- exec --------------------------------------------------------------------- */

static int child_exec(void *arg)
{
	char *argv[] = { self_exe, "--probe", "spawn", "/bin/true", "true", "x y", NULL };
	(void)arg;
	/* a failed exec, as in a PATH search */
	execv(tmp_path("no-such-program"), argv);
	execv(self_exe, argv);
	return 99;
}

static void test_exec(void **state)
{
	struct traced r;
	const struct sandbox_proc *p;
	size_t i;
	int interp = 0;
	(void)state;

	run_traced(&r, child_exec, NULL);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s/no-such-program", tmp);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s", self_exe);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "/bin/true");
	if (r.tr.nprocs != 2) {
		dump(&r.tr);
		fail_msg("%zu procs, expected 2", r.tr.nprocs);
	}
	p = &r.tr.procs[0];
	assert_string_equal(p->exe, self_exe);
	assert_int_equal(p->pid, r.pid);
	assert_int_equal(p->ppid, getpid());
	assert_int_equal(p->argv.nr, 6);
	assert_string_equal(p->argv.v[2], "spawn");
	assert_string_equal(p->argv.v[5], "x y");
	p = &r.tr.procs[1];
	assert_string_equal(p->exe, "/bin/true");
	assert_int_equal(p->ppid, r.pid);
	assert_true(p->pid > 0 && p->pid != r.pid);
	assert_int_equal(p->argv.nr, 2);
	assert_string_equal(p->argv.v[0], "true");
	assert_string_equal(p->argv.v[1], "x y");
	/* the dynamic loader the kernel opens by itself */
	for (i = 0; i < r.tr.nevents; i++)
		if (r.tr.events[i].op == SANDBOX_OP_OPEN && strstr(r.tr.events[i].path, "/ld-"))
			interp = 1;
	if (!interp) {
		dump(&r.tr);
		fail_msg("no OPEN of the ELF interpreter");
	}
	sandbox_trace_release(&r.tr);
}

static int child_script(void *arg)
{
	char *argv[] = { arg, NULL };
	execv(arg, argv);
	return 99;
}

static void test_exec_script(void **state)
{
	struct traced r;
	char *script = tmp_path("script.sh");
	FILE *f;
	(void)state;
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh -e\nexit 0\n");
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);
	run_traced(&r, child_script, script);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s", script);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "/bin/sh");
	assert_true(r.tr.nprocs >= 1);
	assert_string_equal(r.tr.procs[0].exe, script);
	free(script);
	sandbox_trace_release(&r.tr);
}

static int child_script_in_tmp(void *arg)
{
	if (chdir(tmp) < 0)
		return 98;
	return child_script(arg);
}

/* Write an executable NAME under tmp holding TEXT; its path. */
static char *write_script(const char *name, const char *text)
{
	char *p = tmp_path(name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, 0755), 0);
	return p;
}

/*
 * A #! script whose interpreter is a #! script (and so on): the kernel
 * opens each interpreter and the last one's ELF loader itself, without a
 * system call; each must be recorded.  A chain that loops (the kernel
 * gives up with ELOOP) must not hold the tracer.
 */
static void test_exec_nested(void **state)
{
	struct traced r;
	char *w3, *w2, *w1, *script, *loop, *text;
	size_t i;
	int interp = 0;
	(void)state;
	w3 = write_script("w3", "#!/bin/sh\nexit 0\n");
	text = xstrfmt("#!%s\n", w3);
	w2 = write_script("w2", text);
	free(text);
	text = xstrfmt("#! %s -x\n", w2);
	w1 = write_script("w1", text);
	free(text);
	/* relative: from the caller's working directory */
	script = write_script("nested.sh", "#!./w1\n");

	run_traced(&r, child_script_in_tmp, script);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s", script);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s", w1);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s", w2);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s", w3);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "/bin/sh");
	for (i = 0; i < r.tr.nevents; i++)
		if (r.tr.events[i].op == SANDBOX_OP_OPEN && strstr(r.tr.events[i].path, "/ld-"))
			interp = 1;
	if (!interp) {
		dump(&r.tr);
		fail_msg("no OPEN of the ELF interpreter of the last #! interpreter");
	}
	assert_true(r.tr.nprocs >= 1);
	assert_string_equal(r.tr.procs[0].exe, script);
	sandbox_trace_release(&r.tr);

	loop = tmp_path("loop");
	text = xstrfmt("#!%s\n", loop);
	free(write_script("loop", text));
	free(text);
	run_traced(&r, child_script, loop);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 99);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s", loop);
	sandbox_trace_release(&r.tr);
	free(loop);
	free(w1);
	free(w2);
	free(w3);
	free(script);
}

static int child_execv(void *arg)
{
	char **argv = arg;
	execv(argv[0], argv);
	return 99;
}

/* exec of a FIFO fails (EACCES); looking at it must not block the tracer
 * (a FIFO opened for reading waits for a writer). */
static void test_exec_fifo(void **state)
{
	struct traced r;
	char *fifo = tmp_path("fifo");
	(void)state;
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0755), 0);
	run_traced(&r, child_script, fifo);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 99);
	expect_event(&r.tr, SANDBOX_OP_EXEC, "%s", fifo);
	assert_int_equal(r.tr.nprocs, 0);
	free(fifo);
	sandbox_trace_release(&r.tr);
}

/* A process killed while its threads wait for the tracer: the tracer
 * sees the calls go away (ENOENT) and the listener hang up. */
static void *thread_stat_forever(void *arg)
{
	struct stat st;
	for (;;)
		stat(arg, &st);
	return NULL;
}

static int child_killed(void *arg)
{
	pthread_t th;
	int i;
	(void)arg;
	for (i = 0; i < 4; i++)
		if (pthread_create(&th, NULL, thread_stat_forever, tmp_path("busy")))
			return 1;
	usleep(50 * 1000);
	kill(getpid(), SIGKILL);
	return 2;
}

static void test_killed_midway(void **state)
{
	struct traced r;
	(void)state;
	run_traced(&r, child_killed, NULL);
	assert_true(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
	expect_event(&r.tr, SANDBOX_OP_STAT, "%s/busy", tmp);
	assert_true(r.tr.notifications > 4);
	sandbox_trace_release(&r.tr);
}

/* A static binary (as Go makes them): no libc wrapper to hook, the filter
 * sees it all the same. */
static void test_static_binary(void **state)
{
	struct traced r;
	char *src = tmp_path("static.c"), *bin = tmp_path("static-probe"), *cmd;
	char *argv[4];
	FILE *f;
	int rc;
	(void)state;

	f = fopen(src, "w");
	assert_non_null(f);
	fprintf(f,
		"#include <fcntl.h>\n#include <sys/stat.h>\n"
		"int main(int c, char **v) { struct stat st; (void)c;\n"
		"  stat(v[2], &st); return open(v[1], O_RDONLY) < 0; }\n");
	fclose(f);
	cmd = xstrfmt("gcc -static -O0 -o '%s' '%s' 2>/dev/null", bin, src);
	rc = system(cmd);
	free(cmd);
	free(src);
	if (rc != 0) {
		free(bin);
		print_message("gcc -static is not available: skipping\n");
		skip();
	}
	touch("a.txt");
	argv[0] = bin;
	argv[1] = tmp_path("a.txt");
	argv[2] = tmp_path("static-absent");
	argv[3] = NULL;
	run_traced(&r, child_execv, argv);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s", argv[1]);
	expect_event(&r.tr, SANDBOX_OP_STAT, "%s", argv[2]);
	assert_int_equal(r.tr.nprocs, 1);
	assert_string_equal(r.tr.procs[0].exe, bin);
	free(argv[1]);
	free(argv[2]);
	free(bin);
	sandbox_trace_release(&r.tr);
}

/* ---- threads, vfork, orphans ---------------------------------------------------- */

static void *thread_open(void *arg)
{
	close(open(arg, O_RDONLY));
	return NULL;
}

static void *thread_exec(void *arg)
{
	char *argv[] = { self_exe, "--probe", "open", arg, NULL };
	execv(self_exe, argv);
	return NULL;
}

static int child_threads(void *arg)
{
	pthread_t th[4];
	char *names[4];
	int i;
	(void)arg;
	for (i = 0; i < 4; i++) {
		names[i] = xstrfmt("%s/thread-%d", tmp, i);
		if (pthread_create(&th[i], NULL, thread_open, names[i]))
			return 1;
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	/* exec from a thread that is not the leader */
	if (pthread_create(&th[0], NULL, thread_exec, tmp_path("from-thread")))
		return 2;
	pthread_join(th[0], NULL); /* not reached: the exec ends us */
	return 3;
}

static void test_threads(void **state)
{
	struct traced r;
	const struct sandbox_event *e;
	int i;
	(void)state;

	run_traced(&r, child_threads, NULL);
	assert_exit0(&r);
	for (i = 0; i < 4; i++) {
		e = expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/thread-%d", tmp, i);
		assert_int_equal(e->pid, r.pid); /* the process, not the thread */
	}
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/from-thread", tmp);
	assert_int_equal(r.tr.nprocs, 1);
	assert_int_equal(r.tr.procs[0].pid, r.pid);
	assert_int_equal(r.tr.procs[0].ppid, getpid());
	assert_string_equal(r.tr.procs[0].argv.v[2], "open");
	assert_int_equal(r.tr.lost, 0); /* the exec from a thread is confirmed */
	sandbox_trace_release(&r.tr);
}

/* Opens by a thread whose process has others are done by the recorder
 * (the race of #15): the same answers as the kernel's. */
static void *thread_opens(void *arg)
{
	char buf[16] = { 0 };
	struct stat st;
	char *p = tmp_path("made-by-thread");
	int fd, *ret = arg;

	*ret = 1;
	fd = open(tmp_path("a.txt"), O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0 || !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		return NULL;
	close(fd);
	umask(027);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0 || fstat(fd, &st) < 0 || (st.st_mode & 07777) != 0640 ||
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC))
		return NULL;
	close(fd);
	if (open(p, O_WRONLY | O_CREAT | O_EXCL, 0666) >= 0 || errno != EEXIST)
		return NULL;
	if (open(tmp_path("absent-for-thread"), O_RDONLY) >= 0 || errno != ENOENT)
		return NULL;
	*ret = 0;
	return NULL;
}

static int child_thread_opens(void *arg)
{
	pthread_t th;
	int ret = 1;
	(void)arg;
	if (pthread_create(&th, NULL, thread_opens, &ret))
		return 2;
	pthread_join(th, NULL);
	return ret;
}

static void test_thread_opens(void **state)
{
	struct traced r;
	(void)state;

	touch("a.txt");
	run_traced(&r, child_thread_opens, NULL);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/made-by-thread", tmp);
	assert_true(r.tr.opened >= 2); /* a.txt, made-by-thread */
	assert_int_equal(r.tr.lost, 0);
	sandbox_trace_release(&r.tr);
}

static int child_spawn(void *arg)
{
	char *argv[] = { self_exe, "--probe", "open", tmp_path("spawned"), NULL };
	char *argv2[] = { self_exe, "--probe", "open", tmp_path("vforked"), NULL };
	pid_t pid;
	int st;
	(void)arg;
	if (posix_spawn(&pid, self_exe, NULL, NULL, argv, environ))
		return 1;
	if (waitpid(pid, &st, 0) != pid || st)
		return 2;
	pid = vfork();
	if (pid == 0) {
		execve(self_exe, argv2, environ);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || st)
		return 3;
	return 0;
}

static void test_spawn(void **state)
{
	struct traced r;
	size_t i;
	(void)state;
	run_traced(&r, child_spawn, NULL);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/spawned", tmp);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/vforked", tmp);
	assert_int_equal(r.tr.nprocs, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(r.tr.procs[i].ppid, r.pid);
		assert_true(r.tr.procs[i].pid != r.pid);
	}
	sandbox_trace_release(&r.tr);
}

static int child_orphan(void *arg)
{
	pid_t parent = getpid(), pid;
	(void)arg;
	pid = fork();
	if (pid == 0) {
		int i;
		/* wait until the parent is gone, then look something up */
		for (i = 0; i < 5000 && getppid() == parent; i++)
			usleep(1000);
		close(open(tmp_path("orphan"), O_RDONLY));
		_exit(0);
	}
	return pid < 0;
}

static void test_orphan(void **state)
{
	struct traced r;
	const struct sandbox_event *e;
	(void)state;
	run_traced(&r, child_orphan, NULL);
	assert_exit0(&r);
	e = expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/orphan", tmp);
	assert_true(e->pid != r.pid && e->pid > 0);
	sandbox_trace_release(&r.tr);
}

/* In a new pid namespace the step's first process is pid 1, its parent
 * is outside (ppid 0), and its child is pid 2. */
static int child_pidns(void *arg)
{
	char *argv[] = { self_exe,  "--probe", "spawn", self_exe, self_exe,
			 "--probe", "open",    arg,	NULL };
	pid_t pid;
	int st;
	pid = fork();
	if (pid == 0) {
		execv(self_exe, argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

static void test_pidns(void **state)
{
	struct traced r;
	const struct sandbox_event *e;
	char *file = tmp_path("pidns");
	(void)state;
	pre_filter_unshare = CLONE_NEWUSER | CLONE_NEWPID;
	run_traced(&r, child_pidns, file);
	pre_filter_unshare = 0;
	free(file);
	if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 77) {
		sandbox_trace_release(&r.tr);
		print_message("no user namespaces here: skipping\n");
		skip();
	}
	assert_exit0(&r);
	if (r.tr.nprocs != 2) {
		dump(&r.tr);
		fail_msg("%zu procs, expected 2", r.tr.nprocs);
	}
	assert_int_equal(r.tr.procs[0].pid, 1);
	assert_int_equal(r.tr.procs[0].ppid, 0);
	assert_int_equal(r.tr.procs[1].pid, 2);
	assert_int_equal(r.tr.procs[1].ppid, 1);
	e = expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/pidns", tmp);
	assert_int_equal(e->pid, 2);
	sandbox_trace_release(&r.tr);
}

/* ---- openat2, writes, descriptors named as paths -------------------------------- */

static int child_openat2(void *arg)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	int dfd;
	(void)arg;
	if (chdir(tmp) < 0)
		return 1;
	close((int)syscall(SYS_openat2, AT_FDCWD, "a.txt", &how, sizeof(how)));
	dfd = open("sub", O_PATH | O_DIRECTORY);
	how.flags = O_WRONLY | O_CREAT | O_NOFOLLOW;
	how.mode = 0644;
	close((int)syscall(SYS_openat2, dfd, "o2.txt", &how, sizeof(how)));
	how.flags = O_RDONLY;
	how.mode = 0;
	how.resolve = RESOLVE_IN_ROOT;
	close((int)syscall(SYS_openat2, dfd, "/in-root", &how, sizeof(how)));
	return 0;
}

static void test_openat2(void **state)
{
	struct traced r;
	const struct sandbox_event *e;
	(void)state;
	touch("a.txt");
	mkdir_tmp("sub");
	run_traced(&r, child_openat2, NULL);
	assert_exit0(&r);
	e = expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/a.txt", tmp);
	assert_false(sandbox_event_writes(e));
	e = expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/sub/o2.txt", tmp);
	assert_true(sandbox_event_writes(e));
	assert_true(e->nofollow);
	expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/sub/in-root", tmp);
	sandbox_trace_release(&r.tr);
}

static int child_writes(void *arg)
{
	int dfd;
	(void)arg;
	if (chdir(tmp) < 0)
		return 1;
	if (mkdir("w", 0755) < 0)
		return 2;
	close(creat("w/f1", 0644));
	if (rename("w/f1", "w/f2") < 0)
		return 3;
	dfd = open("w", O_PATH | O_DIRECTORY);
	if (renameat(dfd, "f2", AT_FDCWD, "w/f3") < 0)
		return 4;
	if (link("w/f3", "w/hard") < 0)
		return 5;
	if (symlink("../some target", "w/sl") < 0)
		return 6;
	if (chmod("w/f3", 0600) < 0 || truncate("w/f3", 0) < 0)
		return 7;
	if (unlink("w/f3") < 0 || unlinkat(dfd, "hard", 0) < 0 || unlink("w/sl") < 0)
		return 8;
	if (mkdirat(dfd, "d", 0755) < 0 || unlinkat(dfd, "d", AT_REMOVEDIR) < 0)
		return 9;
	if (rmdir("w") < 0)
		return 10;
	return 0;
}

static void test_writes(void **state)
{
	struct traced r;
	const struct sandbox_event *e;
	char *a, *b;
	(void)state;
	run_traced(&r, child_writes, NULL);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_MKDIR, "%s/w", tmp);
	e = expect_event(&r.tr, SANDBOX_OP_OPEN, "%s/w/f1", tmp);
	assert_true(sandbox_event_writes(e));
	a = xstrfmt("%s/w/f1", tmp);
	b = xstrfmt("%s/w/f2", tmp);
	assert_non_null(find2(&r.tr, SANDBOX_OP_RENAME, a, b));
	free(a);
	a = xstrfmt("%s/w/f3", tmp);
	assert_non_null(find2(&r.tr, SANDBOX_OP_RENAME, b, a));
	free(b);
	b = xstrfmt("%s/w/hard", tmp);
	assert_non_null(find2(&r.tr, SANDBOX_OP_LINK, a, b));
	free(b);
	e = expect_event(&r.tr, SANDBOX_OP_SYMLINK, "%s/w/sl", tmp);
	assert_string_equal(e->path2, "../some target");
	expect_event(&r.tr, SANDBOX_OP_CHMOD, "%s/w/f3", tmp);
	expect_event(&r.tr, SANDBOX_OP_TRUNCATE, "%s/w/f3", tmp);
	expect_event(&r.tr, SANDBOX_OP_UNLINK, "%s/w/f3", tmp);
	expect_event(&r.tr, SANDBOX_OP_UNLINK, "%s/w/hard", tmp);
	expect_event(&r.tr, SANDBOX_OP_MKDIR, "%s/w/d", tmp);
	expect_event(&r.tr, SANDBOX_OP_RMDIR, "%s/w/d", tmp);
	expect_event(&r.tr, SANDBOX_OP_RMDIR, "%s/w", tmp);
	free(a);
	sandbox_trace_release(&r.tr);
}

static int child_procfd(void *arg)
{
	struct stat st;
	char p[PATH_MAX];
	int dfd, nul;
	(void)arg;
	dfd = open(tmp_path("sub"), O_RDONLY | O_DIRECTORY);
	snprintf(p, sizeof(p), "/proc/self/fd/%d/via-self", dfd);
	stat(p, &st);
	snprintf(p, sizeof(p), "/dev/fd/%d/via-devfd", dfd);
	stat(p, &st);
	snprintf(p, sizeof(p), "/proc/%d/fd/%d/../via-pid", (int)getpid(), dfd);
	stat(p, &st);
	if (fchdir(dfd) < 0)
		return 1;
	stat("/proc/thread-self/cwd/via-cwd", &st);
	nul = open("/dev/null", O_RDONLY);
	if (dup2(nul, 0) < 0)
		return 2;
	stat("/dev/stdin", &st);
	return 0;
}

static void test_procfd(void **state)
{
	struct traced r;
	(void)state;
	mkdir_tmp("sub");
	run_traced(&r, child_procfd, NULL);
	assert_exit0(&r);
	expect_event(&r.tr, SANDBOX_OP_STAT, "%s/sub/via-self", tmp);
	expect_event(&r.tr, SANDBOX_OP_STAT, "%s/sub/via-devfd", tmp);
	expect_event(&r.tr, SANDBOX_OP_STAT, "%s/via-pid", tmp);
	expect_event(&r.tr, SANDBOX_OP_STAT, "%s/sub/via-cwd", tmp);
	expect_event(&r.tr, SANDBOX_OP_STAT, "/dev/null");
	sandbox_trace_release(&r.tr);
}

/* ---- generations: a lookup after a symlink, rename or link is new ------------ */

static int child_generations(void *arg)
{
	struct stat st;
	(void)arg;
	if (chdir(tmp) < 0)
		return 1;
	stat("in.csv", &st);
	stat("in.csv", &st); /* the same event */
	if (symlink("a.txt", "in.csv") < 0)
		return 2;
	stat("in.csv", &st); /* the name leads elsewhere now: a new event */
	if (unlink("in.csv") < 0)
		return 3;
	stat("in.csv", &st); /* unlink leads nowhere new: the same event */
	if (rename("a.txt", "in.csv") < 0)
		return 4;
	stat("in.csv", &st);
	return 0;
}

static void test_generations(void **state)
{
	struct traced r;
	char *p;
	size_t i, n = 0;
	unsigned gens[4];
	(void)state;
	touch("a.txt");
	run_traced(&r, child_generations, NULL);
	assert_exit0(&r);
	p = tmp_path("in.csv");
	for (i = 0; i < r.tr.nevents; i++)
		if (r.tr.events[i].op == SANDBOX_OP_STAT && !strcmp(r.tr.events[i].path, p)) {
			if (n < ARRAY_SIZE(gens))
				gens[n] = r.tr.events[i].gen;
			n++;
		}
	if (n != 3) {
		dump(&r.tr);
		fail_msg("%zu stat events of in.csv, want 3 (one per generation)", n);
	}
	assert_true(gens[0] < gens[1] && gens[1] < gens[2]);
	free(p);
	sandbox_trace_release(&r.tr);
}

/* ---- volume: dedupe, fstat not traced ------------------------------------------ */

static int child_volume(void *arg)
{
	struct stat st;
	char *p = tmp_path("a.txt");
	int i, fd;
	(void)arg;
	for (i = 0; i < 10000; i++)
		stat(p, &st);
	fd = open(p, O_RDONLY);
	for (i = 0; i < 10000; i++)
		if (fstat(fd, &st) < 0)
			return 1;
	return 0;
}

static void test_volume(void **state)
{
	struct traced r;
	size_t i, n = 0;
	(void)state;
	touch("a.txt");
	run_traced(&r, child_volume, NULL);
	assert_exit0(&r);
	for (i = 0; i < r.tr.nevents; i++)
		n += r.tr.events[i].op == SANDBOX_OP_STAT;
	assert_int_equal(n, 1);
	assert_true(r.tr.notifications >= 10000);
	/* fstat() must not come through: 10000 stats plus a handful */
	if (r.tr.notifications > 10100)
		fail_msg("%llu notifications: fstat is traced", r.tr.notifications);
	sandbox_trace_release(&r.tr);
}

/* ---- refused calls and foreign ABIs --------------------------------------------- */

static int child_refused(void *arg)
{
	long rc;
	(void)arg;
	/* io_uring_setup(1, NULL) would fail EFAULT if it reached the kernel */
	rc = syscall(SYS_io_uring_setup, 1, NULL);
	if (rc != -1 || errno != ENOSYS)
		return 1;
	rc = syscall(SYS_bpf, 0, NULL, 0);
	if (rc != -1 || errno != EPERM)
		return 2;
	rc = syscall(SYS_keyctl, 0, 0, 0, 0, 0);
	if (rc != -1 || errno != EPERM)
		return 3;
	rc = syscall(SYS_setns, -1, 0);
	if (rc != -1 || errno != EPERM)
		return 4;
	/* No nested user namespace (the step could chroot or mount where
	 * the recorder cannot follow): unshare and clone refused, clone3
	 * ENOSYS so that libc falls back to clone. */
	rc = unshare(CLONE_NEWUSER);
	if (rc != -1 || errno != EPERM)
		return 5;
	rc = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
	if (rc == 0)
		_exit(0);
	if (rc > 0) {
		waitpid((pid_t)rc, NULL, 0);
		return 6;
	}
	if (errno != EPERM)
		return 7;
	rc = syscall(435 /* clone3 */, NULL, 0);
	if (rc != -1 || errno != ENOSYS)
		return 8;
	/* a path that does not exist: ENOENT if it reached the kernel */
	rc = chroot("/nonexistent-cairn-test");
	if (rc != -1 || errno != EPERM)
		return 9;
	rc = syscall(SYS_name_to_handle_at, AT_FDCWD, "/", NULL, NULL, 0);
	if (rc != -1 || errno != EPERM)
		return 10;
	/* A NULL handle: EFAULT if it reached the kernel (EPERM there
	 * needs CAP_DAC_READ_SEARCH, which a step lacks anyway). */
	rc = syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, O_RDONLY);
	if (rc != -1 || errno != EPERM)
		return 12;
	/* fanotify: refused, not traced (FAN_REPORT_FID: a group Linux
	 * 5.13+ grants without privilege) */
	rc = syscall(SYS_fanotify_init, 0x200, O_RDONLY);
	if (rc != -1 || errno != EPERM)
		return 13;
	rc =
	    syscall(SYS_fanotify_mark, -1, 1 /* FAN_MARK_ADD */, 2 /* FAN_MODIFY */, AT_FDCWD, "/");
	if (rc != -1 || errno != EPERM)
		return 14;
	/* fork() still works (clone without CLONE_NEWUSER) */
	rc = fork();
	if (rc == 0)
		_exit(0);
	if (rc < 0 || waitpid((pid_t)rc, NULL, 0) != rc)
		return 11;
	return 0;
}

static void test_refused(void **state)
{
	struct traced r;
	(void)state;
	run_traced(&r, child_refused, NULL);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status))
		fail_msg("refused calls: check %d failed (status %#x)",
			 WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1, r.status);
	/* refused in the filter; the fork's child made no path calls */
	assert_int_equal(r.tr.notifications, 0);
	sandbox_trace_release(&r.tr);
}

static int child_mount(void *arg)
{
	if (mount("cairn-test", arg, "tmpfs", 0, "size=64k") == 0) {
		umount2(arg, MNT_DETACH);
		return 2;
	}
	return errno == EPERM ? 0 : 1;
}

static void test_mount(void **state)
{
	struct traced r;
	char *dir = tmp_path("mnt");
	(void)state;
	mkdir_tmp("mnt");
	run_traced(&r, child_mount, dir);
	if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2)
		umount2(dir, MNT_DETACH);
	rmdir(dir);
	free(dir);
	assert_exit0(&r);
	sandbox_trace_release(&r.tr);
}

/*
 * Keystrokes into a terminal: TIOCSTI (and TIOCLINUX) are refused, and
 * nothing arrives.  The terminal is a pseudo-terminal of the test's own,
 * in raw mode, so whatever a broken filter let through is read back here
 * and typed into nothing else.
 */
static int pty_slave = -1;

static int child_tiocsti(void *arg)
{
	char c = 'X';
	int rc;
	(void)arg;
	rc = ioctl(pty_slave, TIOCSTI, &c);
	if (rc == 0)
		return 2;
	if (errno != EPERM)
		return 3;
	/* TIOCLINUX subcode 6 reads the selection mode: harmless, and
	 * ENOTTY on a pty if it reached the kernel */
	c = 6;
	rc = ioctl(pty_slave, TIOCLINUX, &c);
	if (rc == 0 || errno != EPERM)
		return 4;
	/* the upper 32 bits of the request do not hide it */
	c = 'Y';
	rc = (int)syscall(SYS_ioctl, pty_slave, 0x100000000UL | TIOCSTI, &c);
	if (rc == 0 || errno != EPERM)
		return 5;
	return 0;
}

static int pty_pending(int master)
{
	char buf[16];
	ssize_t n;
	(void)master;
	n = read(pty_slave, buf, sizeof(buf));
	return n > 0 ? (int)n : 0;
}

static void test_tiocsti(void **state)
{
	struct traced r;
	struct termios t;
	int master, bare, injected;
	char c = 'B';
	(void)state;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	pty_slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	assert_true(pty_slave >= 0);
	assert_int_equal(tcgetattr(pty_slave, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(pty_slave, TCSANOW, &t), 0);

	/* Outside the filter: does this kernel let us type at all?
	 * (dev.tty.legacy_tiocsti, CAP_SYS_ADMIN, controlling terminal) */
	bare = ioctl(pty_slave, TIOCSTI, &c) == 0 && pty_pending(master) == 1;
	run_traced(&r, child_tiocsti, NULL);
	injected = pty_pending(master);
	close(pty_slave);
	pty_slave = -1;
	close(master);
	if (injected)
		fail_msg("%d keystroke(s) reached the terminal through the filter", injected);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status))
		fail_msg("TIOCSTI/TIOCLINUX: check %d failed (status %#x)",
			 WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1, r.status);
	if (!bare)
		print_message("TIOCSTI is refused by this kernel itself here (legacy_tiocsti "
			      "off or no privilege): checked only that the filter answers EPERM "
			      "and nothing arrives\n");
	sandbox_trace_release(&r.tr);
}

/* Run FN in a child without the filter; its wait status. */
static int run_bare(child_fn *fn)
{
	int st;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_begin();
		_exit(fn(NULL));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

#if defined(__x86_64__)
/* getpid() through the x32 ABI: harmless if it runs (ENOSYS where x32 is
 * off, the pid where it is on). */
static int child_x32(void *arg)
{
	(void)arg;
	syscall(0x40000000 /* __X32_SYSCALL_BIT */ + SYS_getpid);
	return 0;
}

static void test_x32_killed(void **state)
{
	struct traced r;
	(void)state;
	assert_int_equal(run_bare(child_x32), 0);
	run_traced(&r, child_x32, NULL);
	if (!WIFSIGNALED(r.status) || WTERMSIG(r.status) != SIGSYS)
		fail_msg("x32 call not killed: status %#x", r.status);
	sandbox_trace_release(&r.tr);
}

/*
 * write(2) through the i386 ABI (int 0x80, number 4) of one byte to the
 * pipe named by ARG, from a buffer below 4 GiB (the ABI's pointers are 32
 * bits).  The byte arriving in the pipe is the proof that the call ran.
 */
static int child_int80(void *arg)
{
	int fd = *(int *)arg;
	char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long ret;

	if (buf == MAP_FAILED)
		return 3;
	buf[0] = 'x';
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(4L), "b"((long)fd), "c"((long)buf), "d"(1L)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret == 1 ? 0 : 1;
}

/* Run child_int80 (bare or traced); whether its byte arrived. */
static int int80_ran(int traced, int *status)
{
	struct traced r;
	int p[2], ran;
	char c;

	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	if (traced) {
		run_traced(&r, child_int80, &p[1]);
		*status = r.status;
		sandbox_trace_release(&r.tr);
	} else {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			child_begin();
			_exit(child_int80(&p[1]));
		}
		assert_int_equal(waitpid(pid, status, 0), pid);
	}
	close(p[1]);
	ran = read(p[0], &c, 1) == 1;
	close(p[0]);
	return ran;
}

/*
 * What must hold on every kernel is that an i386 call never runs under
 * the filter.  With IA-32 emulation the filter kills the process with
 * SIGSYS; without it (ia32_emulation=0, or a kernel built without it)
 * the kernel itself refuses int 0x80 with SIGSEGV before any filter
 * sees it.  The test finds out which kernel it is on and says so.
 */
static void test_int80_killed(void **state)
{
	int bare, st;
	(void)state;

	bare = int80_ran(0, &st);
	if (int80_ran(1, &st))
		fail_msg("an i386 write(2) ran under the filter (status %#x)", st);
	if (!WIFSIGNALED(st))
		fail_msg("i386 call not killed: status %#x", st);
	if (bare) {
		if (WTERMSIG(st) != SIGSYS)
			fail_msg("i386 call killed by signal %d, not by the filter's SIGSYS",
				 WTERMSIG(st));
		print_message("IA-32 emulation on: the filter killed the call with SIGSYS\n");
	} else {
		if (WTERMSIG(st) != SIGSYS && WTERMSIG(st) != SIGSEGV)
			fail_msg("i386 call killed by signal %d", WTERMSIG(st));
		print_message("no IA-32 emulation in this kernel: int 0x80 never runs "
			      "(signal %d); checked only that the call did not run\n",
			      WTERMSIG(st));
	}
}
#endif

/* ---- stopping early ---------------------------------------------------------------- */

static void test_force(void **state)
{
	struct sandbox_tracer *t;
	struct sandbox_trace tr;
	int sv[2], ready[2], lfd, st, rc;
	char c;
	pid_t pid;
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;
		child_begin();
		fd = sandbox_seccomp_install();
		if (fd < 0 || send_fd(sv[1], fd) < 0)
			_exit(1);
		close(fd);
		close(open(tmp_path("before-force"), O_RDONLY));
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	close(sv[1]);
	close(ready[1]);
	lfd = recv_fd(sv[0]);
	close(sv[0]);
	assert_true(lfd >= 0);
	assert_int_equal(sandbox_tracer_start(&t, lfd, NULL), 0);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	/* the child is alive: only FORCE can end the wait */
	rc = sandbox_tracer_finish(t, &tr, 1);
	/* reap it before any assertion can leave it behind */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(rc, 0);
	expect_event(&tr, SANDBOX_OP_OPEN, "%s/before-force", tmp);
	sandbox_trace_release(&tr);
}

/* ---- probes: what the traced children exec ---------------------------------------- */

static int probe_main(int argc, char **argv)
{
	int i, st;
	pid_t pid;

	if (argc >= 3 && !strcmp(argv[2], "open")) {
		for (i = 3; i < argc; i++)
			close(open(argv[i], O_RDONLY));
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[2], "spawn")) {
		/* fork and exec argv[3] with argv[4...] */
		pid = fork();
		if (pid == 0) {
			execv(argv[3], argv + 4);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 1;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	fprintf(stderr, "unknown probe\n");
	return 2;
}

static int setup(void **state)
{
	char t[] = "/tmp/cairn-trace-XXXXXX";
	(void)state;
	if (!mkdtemp(t) || !realpath(t, tmp))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xstrfmt("rm -rf '%s'", tmp);
	int rc;
	(void)state;
	rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_xattr_reads),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_script),
		cmocka_unit_test(test_exec_fifo),
		cmocka_unit_test(test_exec_nested),
		cmocka_unit_test(test_killed_midway),
		cmocka_unit_test(test_static_binary),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_thread_opens),
		cmocka_unit_test(test_spawn),
		cmocka_unit_test(test_orphan),
		cmocka_unit_test(test_pidns),
		cmocka_unit_test(test_openat2),
		cmocka_unit_test(test_writes),
		cmocka_unit_test(test_procfd),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_volume),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_mount),
		cmocka_unit_test(test_tiocsti),
#if defined(__x86_64__)
		cmocka_unit_test(test_x32_killed),
		cmocka_unit_test(test_int80_killed),
#endif
		cmocka_unit_test(test_force),
	};
	ssize_t n;

	if (argc >= 2 && !strcmp(argv[1], "--probe"))
		return probe_main(argc, argv);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	/* Orphaned grandchildren come to us, so that the tests can reap them
	 * (the filter counts a process as a user until it is reaped). */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	alarm(300);
	return cmocka_run_group_tests(tests, setup, teardown);
}
