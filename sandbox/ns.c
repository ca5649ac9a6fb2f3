/*
 * ns.c - the launcher: namespaces, the filesystem view, the reaper.
 *
 * One clone() makes the step's pid 1 (the "reaper") in new user, mount,
 * pid, ipc, uts and, unless the step may use the network, network
 * namespaces.  The reaper maps our own uid and gid, lays out the
 * filesystem, forks the step's main process and then only reaps: it
 * reports the main process's stops and exit, and when nothing is left,
 * the step's I/O counters.  When it exits, the kernel kills whatever
 * remains in the pid namespace; when cairn dies, PR_SET_PDEATHSIG kills
 * the reaper.  No helper binary is exec'd: setting up in process costs
 * about a millisecond where bwrap costs several.
 */
#include "sandbox-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* What the reaper tells cairn, one message per write (< PIPE_BUF). */
enum reaper_msg_type {
	MSG_READY = 1, /* the main process runs */
	MSG_FAILED, /* setting up failed: TEXT says why */
	MSG_STOPPED, /* the main process stopped itself */
	MSG_EXITED, /* the main process exited: WSTATUS */
	MSG_DONE, /* every process has exited: the I/O counters */
};

struct reaper_msg {
	int type;
	int wstatus;
	int timed_out;
	int err; /* errno of a failure */
	unsigned long long rchar, wchar;
	char text[200];
};

struct sandbox {
	pid_t reaper; /* pid 1 of the step, as we see it */
	pid_t main_pid; /* the main process, as we see it */
	pid_t main_nspid; /* ... and as the step sees it */
	int status_fd; /* the reaper's messages */
	struct sandbox_tracer *tracer;
	uint64_t started_ns;
	int main_status, main_exited, timed_out;
	int mem_limited; /* the memory limit asked for is in force */
	struct reaper_msg done;
	int have_done;
};

/* ---- in the reaper and the main process (single-threaded, after clone) -- */

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret;
	if (fd < 0)
		return -1;
	ret = util_write_all(fd, text, strlen(text));
	close(fd);
	return ret;
}

/* Map our own uid and gid, the only ones an unprivileged user may map.
 * Files owned by other ids show up as the overflow id ("nobody"). */
int sandbox_map_self(uid_t uid, gid_t gid)
{
	char map[64];
	if (write_text("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_text("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_text("/proc/self/gid_map", map);
}

struct setup_error {
	int err;
	char text[200];
};

static int fail(struct setup_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct setup_error *e, const char *fmt, ...)
{
	va_list ap;
	e->err = errno;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The layer's directories are named through descriptors opened before
 * any overlay was mounted: an earlier overlay (/tmp, say) may hide the
 * host paths of a later one's directories.
 */
static int mount_layer(const struct sandbox_layer *l, const int fds[5], struct setup_error *e)
{
	char opts[256];
	int n;

	/*
	 * volatile: no syncs of the upper filesystem, above all not on
	 * unmount, which made every step wait for the disk; a step's
	 * writes are committed by renames of files still in the page
	 * cache, and a crash of the machine loses unsynced data anyway.
	 * userxattr: trusted.* is not ours in a user namespace; it also
	 * means no redirects and no metacopy, so every write shows up in
	 * UPPER as a whole file and committing it is a rename.
	 * (A fixed buffer: this runs after clone(), where allocating is
	 * not safe.)
	 */
	if (fds[3] >= 0 && fds[4] >= 0)
		n = snprintf(opts, sizeof(opts),
			     "lowerdir=/proc/self/fd/%d:/proc/self/fd/%d:/proc/self/fd/%d,"
			     "upperdir=/proc/self/fd/%d,"
			     "workdir=/proc/self/fd/%d,userxattr,index=off,volatile",
			     fds[4], fds[3], fds[0], fds[1], fds[2]);
	else if (fds[3] >= 0)
		n = snprintf(opts, sizeof(opts),
			     "lowerdir=/proc/self/fd/%d:/proc/self/fd/%d,upperdir=/proc/self/fd/%d,"
			     "workdir=/proc/self/fd/%d,userxattr,index=off,volatile",
			     fds[3], fds[0], fds[1], fds[2]);
	else
		n = snprintf(opts, sizeof(opts),
			     "lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d,"
			     "workdir=/proc/self/fd/%d,userxattr,index=off,volatile",
			     fds[0], fds[1], fds[2]);
	if (n < 0 || (size_t)n >= sizeof(opts) || mount("overlay", l->path, "overlay", 0, opts) < 0)
		return fail(e, "cannot make %s writable (overlay)", l->path);
	return 0;
}

/* A detached copy of the mount at PATH, to attach elsewhere later. */
static int clone_tree(const char *path)
{
	return (int)syscall(SYS_open_tree, AT_FDCWD, path,
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
}

static int attach(int tree, const char *dst, int readonly)
{
	if (readonly) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			    sizeof(attr)) < 0)
			return -1;
	}
	return (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH);
}

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

/*
 * A minimal /dev: the harmless devices bound from the host, the host's
 * terminals (so that `tty` and /dev/tty work for the user's own terminal),
 * a private /dev/shm.  DEVS holds detached copies of the host's nodes,
 * taken before this tmpfs hid them.
 */
static int make_dev(const int *devs, int pts, struct setup_error *e)
{
	size_t i;
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
		return fail(e, "cannot mount /dev");
	for (i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		char path[64];
		int fd;
		if (devs[i] < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0)
			return fail(e, "cannot create %s", path);
		close(fd);
		if (attach(devs[i], path, 0) < 0)
			return fail(e, "cannot bind %s", path);
	}
	if (symlink("/proc/self/fd", "/dev/fd") < 0 ||
	    symlink("/proc/self/fd/0", "/dev/stdin") < 0 ||
	    symlink("/proc/self/fd/1", "/dev/stdout") < 0 ||
	    symlink("/proc/self/fd/2", "/dev/stderr") < 0 || symlink("pts/ptmx", "/dev/ptmx") < 0)
		return fail(e, "cannot populate /dev");
	if (mkdir("/dev/shm", 01777) < 0 || mkdir("/dev/pts", 0755) < 0)
		return fail(e, "cannot populate /dev");
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		return fail(e, "cannot mount /dev/shm");
	if (pts >= 0 && attach(pts, "/dev/pts", 0) < 0)
		return fail(e, "cannot bind /dev/pts");
	return 0;
}

/*
 * The kernel's global knobs stay out of reach: for a step run by root,
 * uid 0 inside is uid 0 outside, and /proc/sys checks nothing but the
 * file's owner.  Read-only binds over the writable parts of /proc (made
 * here, in the outer user namespace, so the step cannot undo them) and
 * /dev/null over the files that show kernel memory or keys -- the set
 * container runtimes mask.
 */
static int harden_proc(struct setup_error *e)
{
	static const char *const ro[] = { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
					  "/proc/bus", "/proc/fs" };
	static const char *const masked[] = { "/proc/kcore", "/proc/keys", "/proc/timer_list",
					      "/proc/sched_debug", "/proc/kallsyms" };
	size_t i;
	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		int t = clone_tree(ro[i]);
		if (t < 0) {
			if (errno == ENOENT)
				continue;
			return fail(e, "cannot protect %s", ro[i]);
		}
		if (attach(t, ro[i], 1) < 0) {
			close(t);
			return fail(e, "cannot protect %s", ro[i]);
		}
		close(t);
	}
	for (i = 0; i < ARRAY_SIZE(masked); i++)
		if (access(masked[i], F_OK) == 0 &&
		    mount("/dev/null", masked[i], NULL, MS_BIND, NULL) < 0)
			return fail(e, "cannot mask %s", masked[i]);
	return 0;
}

/*
 * A descriptor the step inherits opened read only (standard input from a
 * file outside the project, say) still belongs to the host's writable
 * mount, and reopening /proc/self/fd/N for writing would reach it.  Put
 * each such descriptor on a read-only copy of its mount: same file, same
 * offset and flags, nothing more.  The mount of a descriptor opened out
 * there is not in our namespace, so its copy is found by its path (while
 * the host's paths are still visible, before any overlay) and checked to
 * be the same file.  A descriptor whose file cannot be found that way
 * (deleted, or renamed meanwhile) is left as it is.
 */
static int protect_inherited_fds(struct setup_error *e)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	int fds[1024], nfds = 0, k, dfd;
	char dents[8192];
	long got;

	/* The descriptors we have, listed (not probed one by one), with
	 * getdents64 into our stack: opendir() allocates, which is not safe
	 * after clone(). */
	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(e, "cannot list descriptors");
	while ((got = syscall(SYS_getdents64, dfd, dents, sizeof(dents))) > 0) {
		long pos;
		for (pos = 0; pos < got && nfds < (int)ARRAY_SIZE(fds);) {
			struct dirent64 *de = (struct dirent64 *)(dents + pos);
			char *end;
			long n = strtol(de->d_name, &end, 10);
			pos += de->d_reclen;
			if (*end || end == de->d_name || n == dfd)
				continue;
			fds[nfds++] = (int)n;
		}
	}
	close(dfd);
	for (k = 0; k < nfds; k++) {
		int fd = fds[k];
		int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD), t, nfd;
		char link[64], path[PATH_MAX];
		struct stat st, tst;
		ssize_t n;
		off_t off;
		if (fl < 0 || (fdfl & FD_CLOEXEC) || (fl & O_ACCMODE) != O_RDONLY || (fl & O_PATH))
			continue;
		if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n <= 0 || path[0] != '/')
			continue;
		path[n] = '\0';
		t = (int)syscall(SYS_open_tree, AT_FDCWD, path,
				 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (t < 0)
			continue;
		if (fstat(t, &tst) < 0 || tst.st_dev != st.st_dev || tst.st_ino != st.st_ino) {
			close(t);
			continue;
		}
		if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0) {
			close(t);
			return fail(e, "cannot protect descriptor %d", fd);
		}
		snprintf(link, sizeof(link), "/proc/self/fd/%d", t);
		nfd = open(link, (fl & ~(O_CREAT | O_TRUNC | O_EXCL)) | O_CLOEXEC | O_NOCTTY);
		close(t);
		if (nfd < 0)
			return fail(e, "cannot protect descriptor %d", fd);
		off = lseek(fd, 0, SEEK_CUR);
		if (off > 0)
			lseek(nfd, off, SEEK_SET);
		if (dup2(nfd, fd) < 0) {
			close(nfd);
			return fail(e, "cannot protect descriptor %d", fd);
		}
		close(nfd);
	}
	return 0;
}

static void loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

/* Does anything the step must see live under /run? */
static int needs_run(const struct sandbox_config *cfg)
{
	size_t i;
	for (i = 0; i < cfg->nlayers; i++)
		if (!strncmp(cfg->layers[i].path, "/run/", 5) ||
		    !strcmp(cfg->layers[i].path, "/run"))
			return 1;
	for (i = 0; i < cfg->nbinds; i++)
		if (!strncmp(cfg->binds[i].dst, "/run/", 5))
			return 1;
	return 0;
}

/*
 * Lay out the step's filesystem.  Order matters:
 *  - the copies of what will be hidden (devices, bind sources) are taken
 *    first, while the host's paths still name them;
 *  - the overlays are mounted while the host tree is still writable,
 *    because overlayfs keeps a private copy of its upper directory's
 *    mount as it is at mount time;
 *  - then the whole tree goes read only, and only our overlays are made
 *    writable again;
 *  - /dev, /proc and the binds come last and are mounts of their own.
 */
static int setup_fs(const struct sandbox_config *cfg, struct setup_error *e)
{
	int devs[ARRAY_SIZE(dev_nodes)], pts = -1;
	int binds[SANDBOX_MAX_BINDS + 1], layerfds[5 * SANDBOX_MAX_LAYERS + 1];
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY };
	size_t i;
	int ret = -1;

	for (i = 0; i < ARRAY_SIZE(devs); i++)
		devs[i] = -1;
	/* (every exit below closes what these hold) */
	for (i = 0; i < ARRAY_SIZE(binds); i++)
		binds[i] = -1;
	for (i = 0; i < ARRAY_SIZE(layerfds); i++)
		layerfds[i] = -1;
	/* Nothing we mount may ever propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		fail(e, "cannot make the mounts private");
		goto out;
	}
	if (protect_inherited_fds(e) < 0)
		goto out;
	for (i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		devs[i] = clone_tree(path);
	}
	pts = clone_tree("/dev/pts");
	/* sandbox_start() checked the counts; arrays on the stack: no
	 * allocation after clone() */
	for (i = 0; i < cfg->nbinds; i++) {
		binds[i] = clone_tree(cfg->binds[i].src);
		if (binds[i] < 0) {
			fail(e, "cannot bind %s", cfg->binds[i].src);
			goto out;
		}
	}
	for (i = 0; i < 5 * cfg->nlayers; i++)
		layerfds[i] = -1;
	for (i = 0; i < cfg->nlayers; i++) {
		const char *dirs[5] = { cfg->layers[i].lower, cfg->layers[i].upper,
					cfg->layers[i].work, cfg->layers[i].lower_top,
					cfg->layers[i].lower_hide };
		int k;
		for (k = 0; k < 5; k++) {
			if (!dirs[k] || (k == 4 && !dirs[3]))
				continue;
			layerfds[5 * i + k] = open(dirs[k], O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (layerfds[5 * i + k] < 0) {
				fail(e, "cannot open %s", dirs[k]);
				goto out;
			}
		}
	}
	/*
	 * Without the network, no host services either: sockets are files,
	 * and /run holds the daemons' (docker, dbus, systemd, the user's
	 * agents under /run/user).  An empty /run hides them, unless the
	 * step's own directories live there.
	 */
	if (!cfg->net && !needs_run(cfg) &&
	    mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0) {
		fail(e, "cannot hide /run");
		goto out;
	}
	for (i = 0; i < cfg->nlayers; i++)
		if (mount_layer(&cfg->layers[i], layerfds + 5 * i, e) < 0)
			goto out;
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0) {
		fail(e, "cannot make the host read only");
		goto out;
	}
	for (i = 0; i < cfg->nlayers; i++)
		if (syscall(SYS_mount_setattr, AT_FDCWD, cfg->layers[i].path, 0, &rw, sizeof(rw)) <
		    0) {
			fail(e, "cannot make %s writable", cfg->layers[i].path);
			goto out;
		}
	if (make_dev(devs, pts, e) < 0)
		goto out;
	/* We are pid 1 of the new pid namespace: this /proc shows the step. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		fail(e, "cannot mount /proc");
		goto out;
	}
	if (harden_proc(e) < 0)
		goto out;
	for (i = 0; i < cfg->nbinds; i++) {
		if (attach(binds[i], cfg->binds[i].dst, !cfg->binds[i].writable) < 0) {
			fail(e, "cannot bind %s at %s", cfg->binds[i].src, cfg->binds[i].dst);
			goto out;
		}
	}
	if (!cfg->net)
		loopback_up();
	ret = 0;
out:
	for (i = 0; i < ARRAY_SIZE(devs); i++)
		if (devs[i] >= 0)
			close(devs[i]);
	if (pts >= 0)
		close(pts);
	for (i = 0; i < cfg->nbinds; i++)
		if (binds[i] >= 0)
			close(binds[i]);
	for (i = 0; i < 4 * cfg->nlayers; i++)
		if (layerfds[i] > 0)
			close(layerfds[i]);
	return ret;
}

static void send_msg(int fd, const struct reaper_msg *m)
{
	ssize_t n;
	do
		n = write(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
}

/*
 * Without a delegated cgroup: the data segment and anonymous mappings,
 * which is what "memory" means to most programs.  A hard limit already
 * lower than MEM is kept (it is the stricter one); failing to apply the
 * limit fails the step's start, so that no step runs unlimited while its
 * record says otherwise.
 */
static int limit_memory(uint64_t mem)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_DATA, &rl) < 0)
		return -1;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < mem)
		mem = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = mem;
	if (setrlimit(RLIMIT_DATA, &rl) < 0)
		return -1;
	return getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur <= mem ? 0 : -1;
}

/*
 * The main process: a user namespace of its own, so that nothing it runs
 * has the rights to change the mounts; no-new-privs; the recorder; then
 * the caller's function.  Its first message to cairn (on SOCK) carries
 * its credentials, from which cairn learns its pid, and the recorder's
 * descriptor.
 */
static __attribute__((noreturn)) void main_process(const struct sandbox_config *cfg,
						   const struct sandbox_filter *filter,
						   sandbox_main_fn fn, void *payload, int sock,
						   uid_t uid, gid_t gid)
{
	struct setup_error e = { 0 };
	int listener = -1;
	char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	struct msghdr mh = { 0 };
	struct iovec iov;
	struct cmsghdr *cm;
	struct ucred cred;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* cairn ignores SIGTTOU while a step runs (it writes the step's
	 * output from outside the foreground); the step must not. */
	signal(SIGTTOU, SIG_DFL);
	if (unshare(CLONE_NEWUSER) < 0 || sandbox_map_self(uid, gid) < 0)
		fail(&e, "cannot enter the step's user namespace");
	else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(&e, "cannot set no-new-privs");
	else if (cfg->mem && limit_memory(cfg->mem) < 0)
		fail(&e, "cannot apply the memory limit of %llu bytes",
		     (unsigned long long)cfg->mem);
	else if (filter && (listener = sandbox_filter_install(filter)) < 0)
		fail(&e, "cannot install the seccomp filter");

	memset(buf, 0, sizeof(buf));
	iov.iov_base = &e;
	iov.iov_len = sizeof(e);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = buf;
	/* The whole length first: CMSG_NXTHDR stops at msg_controllen. */
	mh.msg_controllen =
	    CMSG_SPACE(sizeof(struct ucred)) + (listener >= 0 ? CMSG_SPACE(sizeof(int)) : 0);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(cred));
	cred.pid = getpid();
	cred.uid = getuid();
	cred.gid = getgid();
	memcpy(CMSG_DATA(cm), &cred, sizeof(cred));
	if (listener >= 0) {
		cm = CMSG_NXTHDR(&mh, cm);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &listener, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 || e.err)
		_exit(125);
	close(sock);
	if (listener >= 0)
		close(listener);
	fn(payload);
	_exit(126);
}

/* Detach the program bound over the script once the shell has opened it. */
static void detach_helper(const struct sandbox_config *cfg)
{
	char c;
	ssize_t n;
	do
		n = read(cfg->detach_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1) {
		umount2(cfg->detach_path, MNT_DETACH);
		if (write(cfg->detach_ack, "\n", 1) < 0)
			_exit(1);
	}
	_exit(0);
}

static volatile sig_atomic_t alarm_rang;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_rang = 1;
}

static void read_io(unsigned long long *rchar, unsigned long long *wchar)
{
	char buf[1024];
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);

	/* a buffer of our own: the reaper must not allocate */
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if ((p = strstr(buf, "rchar: ")))
		*rchar = strtoull(p + 7, NULL, 10);
	if ((p = strstr(buf, "wchar: ")))
		*wchar = strtoull(p + 7, NULL, 10);
}

static __attribute__((noreturn)) void reaper(const struct sandbox_config *cfg,
					     const struct sandbox_filter *filter,
					     sandbox_main_fn fn, void *payload, int status_w,
					     int sock, uid_t uid, gid_t gid)
{
	struct reaper_msg m;
	struct setup_error e = { 0 };
	struct sigaction sa;
	pid_t main_pid;
	int st;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&m, 0, sizeof(m));
	if (sandbox_map_self(uid, gid) < 0) {
		fail(&e, "cannot map the user and group ids");
		goto failed;
	}
	if (setup_fs(cfg, &e) < 0)
		goto failed;
	/* A process group of our own, before anything of the step runs: a
	 * kill(0, sig) in the step reaches the step only.  Made the
	 * terminal's foreground here, not by cairn after the start, so that
	 * the step never meets the terminal as a background job. */
	setpgid(0, 0);
	if (cfg->foreground && cfg->terminal_fd >= 0)
		sandbox_terminal_give(cfg->terminal_fd, getpgrp());

	if (cfg->detach_path) {
		if (fork() == 0) {
			close(status_w);
			close(sock);
			detach_helper(cfg);
		}
	}
	main_pid = fork();
	if (main_pid < 0) {
		fail(&e, "cannot fork");
		goto failed;
	}
	if (main_pid == 0) {
		close(status_w);
		main_process(cfg, filter, fn, payload, sock, uid, gid);
	}
	/* The step's descriptors are its own: EOF on its pipes must mean
	 * that the step has let go of them. */
	if (status_w != 3) {
		if (dup2(status_w, 3) < 0)
			_exit(125);
		status_w = 3;
	}
	syscall(SYS_close_range, 4, ~0U, 0);
	syscall(SYS_close_range, 0, 2, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid must return */
	sigaction(SIGALRM, &sa, NULL);
	if (cfg->timeout)
		alarm(cfg->timeout);
	m.type = MSG_READY;
	m.wstatus = main_pid; /* its pid in here */
	send_msg(status_w, &m);
	m.wstatus = 0;

	for (;;) {
		pid_t r = waitpid(-1, &st, __WALL | WUNTRACED);
		if (r < 0 && errno == EINTR) {
			if (alarm_rang && !m.timed_out) {
				m.timed_out = 1;
				kill(-1, SIGKILL);
			}
			continue;
		}
		if (r < 0)
			break;
		if (r != main_pid)
			continue;
		memset(m.text, 0, sizeof(m.text));
		/* Every stop is told: the shell's own at the end of its
		 * dump, Ctrl-Z, `kill -STOP $$` (cairn suspends itself with
		 * the step, see exec/run.c). */
		if (WIFSTOPPED(st)) {
			m.type = MSG_STOPPED;
			send_msg(status_w, &m);
		} else {
			m.type = MSG_EXITED;
			m.wstatus = st;
			send_msg(status_w, &m);
		}
	}
	m.type = MSG_DONE;
	read_io(&m.rchar, &m.wchar);
	send_msg(status_w, &m);
	_exit(0);

failed:
	m.type = MSG_FAILED;
	m.err = e.err;
	memcpy(m.text, e.text, sizeof(m.text));
	send_msg(status_w, &m);
	_exit(125);
}

/* ---- in cairn ------------------------------------------------------------ */

static int read_msg(int fd, struct reaper_msg *m)
{
	ssize_t n;
	do
		n = read(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno(CAIRN_ERROR, "reading from the sandbox");
	if (n == 0)
		return 0;
	if (n != sizeof(*m))
		return err_set(CAIRN_ERROR, "short message from the sandbox");
	return 1;
}

/* Receive the main process's first message: its pid and the recorder. */
static int recv_hello(int sock, pid_t *pid, int *listener)
{
	struct setup_error e;
	char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	struct msghdr mh = { 0 };
	struct iovec iov = { &e, sizeof(e) };
	struct cmsghdr *cm;
	ssize_t n;

	*pid = -1;
	*listener = -1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = buf;
	mh.msg_controllen = sizeof(buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno(CAIRN_ERROR, "sandbox");
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_RIGHTS)
			memcpy(listener, CMSG_DATA(cm), sizeof(int));
		else if (cm->cmsg_type == SCM_CREDENTIALS) {
			struct ucred c;
			memcpy(&c, CMSG_DATA(cm), sizeof(c));
			*pid = c.pid;
		}
	}
	if (n != sizeof(e))
		return err_set(CAIRN_ERROR, "the step's main process failed to start");
	if (e.err) {
		errno = e.err;
		return err_errno(CAIRN_ERROR, "sandbox: %s", e.text);
	}
	if (*pid <= 0)
		return err_set(CAIRN_ERROR, "sandbox: no credentials from the main process");
	return 0;
}

/*
 * The seccomp filter, built once per process: libseccomp takes about a
 * millisecond to generate it, and it allocates, which a child cloned from
 * our multithreaded process (the tracer runs a thread) must not do.  The
 * children install it with system calls only.
 */
static struct sandbox_filter *step_filter[2][2]; /* [net][watch_stdin] */

int sandbox_start(struct sandbox **out, const struct sandbox_config *cfg, sandbox_main_fn fn,
		  void *payload)
{
	struct sandbox *sb = xcalloc(1, sizeof(*sb));
	struct reaper_msg m;
	int status[2] = { -1, -1 }, sock[2] = { -1, -1 }, one = 1, listener = -1;
	unsigned long flags =
	    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	const struct sandbox_filter *filter;
	pid_t pid;
	int r;

	*out = NULL;
	sb->status_fd = -1;
	sb->reaper = -1;
	/*
	 * The child of clone() runs on a copy of our memory; had another
	 * thread held a lock there (malloc's, stdio's), the child and the
	 * step's main process forked from it would wait for it forever.
	 * The recorder's and the output relay's threads run only while a
	 * step runs: between steps cairn is alone (procfs counts a
	 * process's threads as links of /proc/self/task, less two).
	 */
	{
		struct stat tst;
		if (stat("/proc/self/task", &tst) == 0 && tst.st_nlink > 3) {
			err_set(CAIRN_ERROR,
				"sandbox: cairn runs %lu threads; a step can only start from one",
				(unsigned long)tst.st_nlink - 2);
			goto fail;
		}
	}
	if (cfg->nbinds > SANDBOX_MAX_BINDS || cfg->nlayers > SANDBOX_MAX_LAYERS) {
		err_set(CAIRN_ERROR, "sandbox: at most %d writable directories and %d binds",
			SANDBOX_MAX_LAYERS, SANDBOX_MAX_BINDS);
		goto fail;
	}
	if (cfg->trace && !step_filter[!!cfg->net][!!cfg->watch_stdin] &&
	    sandbox_filter_build(&step_filter[!!cfg->net][!!cfg->watch_stdin],
				 (cfg->net ? 0 : SANDBOX_FILTER_NO_UNIX_SOCKETS) |
				     (cfg->watch_stdin ? SANDBOX_FILTER_WATCH_STDIN : 0)) < 0)
		goto fail;
	filter = cfg->trace ? step_filter[!!cfg->net][!!cfg->watch_stdin] : NULL;
	if (!cfg->net)
		flags |= CLONE_NEWNET;
	if (pipe2(status, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) {
		err_errno(CAIRN_ERROR, "sandbox");
		goto fail;
	}
	if (setsockopt(sock[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		err_errno(CAIRN_ERROR, "sandbox");
		goto fail;
	}
	sb->started_ns = util_now_ns();
	fflush(NULL);
	/* A fork-like clone: the child runs on a copy of our stack. */
	pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
	if (pid < 0) {
		int saved = errno;
		sandbox_check();
		errno = saved;
		if (*err_last())
			goto fail;
		err_errno(CAIRN_EUNSUPPORTED, "cannot create the sandbox's namespaces");
		goto fail;
	}
	if (pid == 0) {
		close(status[0]);
		close(sock[0]);
		reaper(cfg, filter, fn, payload, status[1], sock[1], uid, gid);
	}
	sb->reaper = pid;
	close(status[1]);
	close(sock[1]);
	status[1] = sock[1] = -1;
	sb->status_fd = status[0];
	status[0] = -1;

	r = read_msg(sb->status_fd, &m);
	if (r <= 0 || m.type != MSG_READY) {
		if (r > 0 && m.type == MSG_FAILED) {
			errno = m.err;
			if (m.err == EPERM && sandbox_check() < 0)
				goto fail_reaped;
			err_errno(CAIRN_EUNSUPPORTED, "sandbox: %s", m.text);
		} else if (r >= 0) {
			err_set(CAIRN_ERROR, "the sandbox failed to start");
		}
		goto fail_reaped;
	}
	sb->main_nspid = m.wstatus;
	if (recv_hello(sock[0], &sb->main_pid, &listener) < 0)
		goto fail_reaped;
	sb->mem_limited = cfg->mem != 0;
	if (listener >= 0 && sandbox_tracer_start(&sb->tracer, listener, cfg) < 0)
		goto fail_reaped;
	close(sock[0]);
	*out = sb;
	return 0;

fail_reaped:
	kill(sb->reaper, SIGKILL);
	while (waitpid(sb->reaper, NULL, __WALL) < 0 && errno == EINTR)
		;
	sb->reaper = -1;
fail:
	for (r = 0; r < 2; r++) {
		if (status[r] >= 0)
			close(status[r]);
		if (sock[r] >= 0)
			close(sock[r]);
	}
	if (sb->status_fd >= 0)
		close(sb->status_fd);
	free(sb);
	return -1;
}

pid_t sandbox_pgid(const struct sandbox *sb)
{
	return sb->reaper;
}

static int terminal_fd = -2; /* -2: not opened yet */

int sandbox_terminal_fd(void)
{
	if (terminal_fd == -2) {
		int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		/* out of the way of the low descriptors steps use */
		terminal_fd = fd >= 0 ? util_fd_high(fd) : -1;
	}
	return terminal_fd;
}

int sandbox_terminal_ours(void)
{
	int fd = sandbox_terminal_fd();
	pid_t fg;
	if (fd < 0)
		return 0;
	fg = tcgetpgrp(fd);
	return fg > 0 && fg == getpgrp();
}

/* Only system calls: also runs in the reaper, after clone(), and in
 * signal handlers. */
void sandbox_terminal_give(int fd, pid_t pgid)
{
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(fd, pgid);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * The terminal's keeper: a process of cairn's group, made once, that
 * outlives a killed cairn long enough to give the terminal back.  cairn
 * tells it (through a pipe) which step's group has the terminal; when
 * the pipe ends (cairn exited or was killed) while that group still has
 * it, the keeper gives it to cairn's group, where the shell or script
 * that ran cairn can use it again.
 */
static int keeper_w = -1;

static void keeper_main(int r, int tty)
{
	pid_t held = 0, v;
	ssize_t n;
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		n = read(r, &v, sizeof(v));
		if (n == (ssize_t)sizeof(v)) {
			held = v;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (held > 0 && tcgetpgrp(tty) == held)
		sandbox_terminal_give(tty, getpgrp());
	_exit(0);
}

void sandbox_terminal_held(pid_t pgid)
{
	int fd = sandbox_terminal_fd();
	if (fd < 0)
		return;
	if (keeper_w < 0 && pgid > 0) {
		int p[2];
		pid_t pid;
		if (pipe2(p, O_CLOEXEC) < 0)
			return;
		pid = fork();
		if (pid < 0) {
			close(p[0]);
			close(p[1]);
			return;
		}
		if (pid == 0) {
			/* Nothing of cairn's kept open: not its output (a
			 * reader waits for its end), not its locks. */
			int r = dup2(p[0], 3) < 0 ? -1 : 3, tty = dup2(fd, 4) < 0 ? -1 : 4;
			if (r < 0 || tty < 0)
				_exit(0);
			syscall(SYS_close_range, 5, ~0U, 0);
			syscall(SYS_close_range, 0, 2, 0);
			keeper_main(r, tty);
		}
		close(p[0]);
		keeper_w = util_fd_high(p[1]);
	}
	if (keeper_w >= 0)
		(void)!write(keeper_w, &pgid, sizeof(pgid));
}

void sandbox_terminal_take(void)
{
	int fd = sandbox_terminal_fd();
	if (fd >= 0 && tcgetpgrp(fd) != getpgrp())
		sandbox_terminal_give(fd, getpgrp());
}

pid_t sandbox_main_pid(const struct sandbox *sb)
{
	return sb->main_pid;
}

pid_t sandbox_main_nspid(const struct sandbox *sb)
{
	return sb->main_nspid;
}

/* Take one message and note what it says.  1, 0 at EOF, -1. */
static int next_msg(struct sandbox *sb, struct reaper_msg *m)
{
	int r = read_msg(sb->status_fd, m);
	if (r <= 0)
		return r;
	if (m->timed_out)
		sb->timed_out = 1;
	if (m->type == MSG_EXITED) {
		sb->main_status = m->wstatus;
		sb->main_exited = 1;
	} else if (m->type == MSG_DONE) {
		sb->done = *m;
		sb->have_done = 1;
	}
	return 1;
}

int sandbox_pid_stopped(pid_t pid)
{
	char state;
	return util_proc_stat(pid, &state, NULL, NULL, NULL) == 0 && state == 'T';
}

int sandbox_wait_stop(struct sandbox *sb)
{
	struct reaper_msg m;
	int r;
	while (!sb->main_exited && !sb->have_done) {
		r = next_msg(sb, &m);
		if (r <= 0)
			return r;
		/* A stop the step made and undid before its end (`kill -STOP
		 * $$` and a `kill -CONT` from another of its processes) is
		 * told too: only a stop that lasts is the shell's own. */
		if (m.type == MSG_STOPPED && sandbox_pid_stopped(sb->main_pid))
			return 1;
	}
	return 0;
}

int sandbox_finish(struct sandbox *sb, struct sandbox_result *out, struct sandbox_trace *trace)
{
	struct reaper_msg m;
	struct rusage ru;
	int st = 0, ret = 0;
	pid_t r;

	memset(out, 0, sizeof(*out));
	while (!sb->have_done && next_msg(sb, &m) > 0)
		;
	do
		r = wait4(sb->reaper, &st, __WALL, &ru);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		ret = err_errno(CAIRN_ERROR, "waiting for the sandbox");
		memset(&ru, 0, sizeof(ru));
	}
	/* The reaper never reports a main process killed with the whole
	 * namespace (cairn's SIGKILL, Ctrl-C of the reaper): say so. */
	out->wstatus = sb->main_exited ? sb->main_status : W_EXITCODE(0, SIGKILL);
	out->timed_out = sb->timed_out;
	/* the main process refuses to start when it cannot apply it */
	out->mem_limited = sb->mem_limited;
	out->usage.wall_s = (double)(util_now_ns() - sb->started_ns) / 1e9;
	out->usage.cpu_user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	out->usage.cpu_sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	out->usage.max_rss_kb = ru.ru_maxrss;
	out->usage.read_bytes = sb->done.rchar;
	out->usage.write_bytes = sb->done.wchar;
	if (sb->tracer) {
		struct sandbox_trace t = { 0 };
		if (sandbox_tracer_finish(sb->tracer, trace ? trace : &t, 0) < 0 && !ret)
			ret = -1;
		sandbox_trace_release(&t);
	}
	close(sb->status_fd);
	free(sb);
	return ret;
}

void sandbox_kill(struct sandbox *sb)
{
	if (sb && sb->reaper > 0)
		kill(sb->reaper, SIGKILL);
}

/* ---- diagnosis ----------------------------------------------------------- */

static int read_sysctl(const char *path, long *out)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = strbuf_read_file(&sb, path);
	if (!ret)
		*out = strtol(sb.buf, NULL, 10);
	strbuf_release(&sb);
	return ret;
}

static const char no_sandbox_hint[] =
    "; or run with --no-sandbox (steps are then recorded as unsandboxed)";

int sandbox_check(void)
{
	long v;
	pid_t pid;
	int st;

	if (!read_sysctl("/proc/sys/kernel/unprivileged_userns_clone", &v) && v == 0 &&
	    geteuid() != 0)
		return err_set(CAIRN_EUNSUPPORTED,
			       "user namespaces are disabled (sysctl "
			       "kernel.unprivileged_userns_clone = 0); enable them with "
			       "`sudo sysctl -w kernel.unprivileged_userns_clone=1`%s",
			       no_sandbox_hint);
	if (!read_sysctl("/proc/sys/user/max_user_namespaces", &v) && v == 0)
		return err_set(CAIRN_EUNSUPPORTED,
			       "user namespaces are disabled (sysctl user.max_user_namespaces = "
			       "0); enable them with `sudo sysctl -w "
			       "user.max_user_namespaces=15000`%s",
			       no_sandbox_hint);
	/* Ubuntu 23.10 and later let the namespace be made, then deny it
	 * every capability: only trying tells. */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0) {
		if (sandbox_map_self(geteuid(), getegid()) < 0)
			_exit(1);
		if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
			_exit(2);
		_exit(0);
	}
	if (pid < 0) {
		if (errno == ENOSPC)
			return err_set(CAIRN_EUNSUPPORTED,
				       "the limit on user namespaces is reached (sysctl "
				       "user.max_user_namespaces)%s",
				       no_sandbox_hint);
		return err_errno(CAIRN_EUNSUPPORTED, "cannot create a user namespace%s",
				 no_sandbox_hint);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_errno(CAIRN_ERROR, "waitpid");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (!read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", &v) && v == 1)
		return err_set(CAIRN_EUNSUPPORTED,
			       "AppArmor denies unprivileged user namespaces (sysctl "
			       "kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 23.10 and "
			       "later); allow them with `sudo sysctl -w "
			       "kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor "
			       "profile for cairn that grants `userns`%s",
			       no_sandbox_hint);
	return err_set(CAIRN_EUNSUPPORTED,
		       "user namespaces do not work here (a new namespace has no rights to %s)%s",
		       WIFEXITED(st) && WEXITSTATUS(st) == 1 ? "map ids" : "mount",
		       no_sandbox_hint);
}
