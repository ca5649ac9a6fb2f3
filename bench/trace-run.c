/*
 * trace-run.c - run one command under the seccomp recorder, for
 * bench/trace.sh.
 *
 *   trace-run [--bare] [--stats] [--events] CMD [ARG...]
 *
 * --bare forks and execs the same way without the filter, so that the two
 * differ only by the tracing; --stats prints the notification and event
 * counts on stderr, --events the events themselves.  Exits with CMD's
 * status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

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

int main(int argc, char **argv)
{
	struct sandbox_trace tr = SANDBOX_TRACE_INIT;
	struct sandbox_tracer *t = NULL;
	struct sandbox_filter *filter = NULL;
	int bare = 0, stats = 0, events = 0, sv[2], st, lfd;
	size_t i;
	pid_t pid;

	util_progname = "trace-run";
	while (argc > 1 && !strncmp(argv[1], "--", 2)) {
		if (!strcmp(argv[1], "--bare"))
			bare = 1;
		else if (!strcmp(argv[1], "--stats"))
			stats = 1;
		else if (!strcmp(argv[1], "--events"))
			events = 1;
		else
			die("usage: trace-run [--bare] [--stats] [--events] CMD [ARG...]");
		argv++;
		argc--;
	}
	if (argc < 2)
		die("usage: trace-run [--bare] [--stats] [--events] CMD [ARG...]");
	/* Built once before the fork, as a session would: the child only
	 * installs it. */
	if (!bare && sandbox_filter_build(&filter, 0) < 0)
		die("%s", err_last());
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		if (!bare) {
			int fd;
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
				die("no_new_privs: %s", strerror(errno));
			if ((fd = sandbox_filter_install(filter)) < 0)
				die("installing the filter: %s", strerror(errno));
			if (send_fd(sv[1], fd) < 0)
				die("sending the listener: %s", strerror(errno));
			close(fd);
		}
		close(sv[1]);
		execvp(argv[1], argv + 1);
		die("%s: %s", argv[1], strerror(errno));
	}
	close(sv[1]);
	sandbox_filter_free(filter);
	if (!bare) {
		if ((lfd = recv_fd(sv[0])) < 0)
			die("no listener from the child");
		if (sandbox_tracer_start(&t, lfd, NULL) < 0)
			die("%s", err_last());
	}
	close(sv[0]);
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid: %s", strerror(errno));
	if (!bare) {
		if (sandbox_tracer_finish(t, &tr, 0) < 0)
			die("%s", err_last());
		if (stats)
			fprintf(stderr,
				"trace-run: %llu notifications, %zu events, %zu execs, %llu lost, "
				"%llu opened for threads\n",
				tr.notifications, tr.nevents, tr.nprocs, tr.lost, tr.opened);
		for (i = 0; events && i < tr.nevents; i++)
			fprintf(stderr, "%-8s %d %s%s%s\n", sandbox_op_name(tr.events[i].op),
				(int)tr.events[i].pid, tr.events[i].path,
				tr.events[i].path2 ? " " : "",
				tr.events[i].path2 ? tr.events[i].path2 : "");
		sandbox_trace_release(&tr);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
