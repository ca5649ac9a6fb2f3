/*
 * seccomp.c - the step's seccomp filter: which calls are refused, which
 * are reported to the tracer (trace.c), and how it is installed.
 *
 * libseccomp builds the filter; we export its BPF and load it with
 * seccomp(2) ourselves, because libseccomp 2.5 cannot ask for
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV and because a prebuilt program
 * can be installed after clone() without allocating.
 */
#include "sandbox-int.h"

#include <errno.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define N SANDBOX__NOFOLLOW
#define AT SANDBOX__ATFLAGS

/*
 * The traced calls.  Names the running architecture lacks (open, stat...
 * on aarch64) resolve to nothing and are skipped, so the table serves
 * every architecture libseccomp knows.
 *
 * fstat() is newfstatat(fd, "", AT_EMPTY_PATH) in glibc and statx(fd, "",
 * AT_EMPTY_PATH) in Rust: not a path lookup and very frequent, so the
 * filter lets it through (SKIP_FSTAT).  The price: a lookup of a
 * non-empty path relative to a real directory fd that also passes
 * AT_EMPTY_PATH is not seen — the flag is meaningless there, and no libc
 * we know passes it.
 */
const struct sandbox__sys sandbox__traced[] = {
	/* name, unified nr, op, dirfd, path, dirfd2, path2, flags, argv, how */
	{ "open", -1, SANDBOX_OP_OPEN, -1, 0, -1, -1, 1, -1, SANDBOX__OPENFLAGS },
	{ "openat", -1, SANDBOX_OP_OPEN, 0, 1, -1, -1, 2, -1, SANDBOX__OPENFLAGS },
	{ "openat2", 437, SANDBOX_OP_OPEN, 0, 1, -1, -1, 2, -1, SANDBOX__OPENAT2 },
	{ "creat", -1, SANDBOX_OP_OPEN, -1, 0, -1, -1, -1, -1, SANDBOX__CREAT },
	{ "execve", -1, SANDBOX_OP_EXEC, -1, 0, -1, -1, -1, 1, SANDBOX__EXEC },
	{ "execveat", -1, SANDBOX_OP_EXEC, 0, 1, -1, -1, 4, 2, SANDBOX__EXEC | AT },
	{ "stat", -1, SANDBOX_OP_STAT, -1, 0, -1, -1, -1, -1, 0 },
	{ "lstat", -1, SANDBOX_OP_STAT, -1, 0, -1, -1, -1, -1, N },
	{ "newfstatat", -1, SANDBOX_OP_STAT, 0, 1, -1, -1, 3, -1, AT | SANDBOX__SKIP_FSTAT },
	{ "statx", -1, SANDBOX_OP_STAT, 0, 1, -1, -1, 2, -1, AT | SANDBOX__SKIP_FSTAT },
	{ "access", -1, SANDBOX_OP_ACCESS, -1, 0, -1, -1, -1, -1, 0 },
	{ "faccessat", -1, SANDBOX_OP_ACCESS, 0, 1, -1, -1, -1, -1, 0 },
	{ "faccessat2", 439, SANDBOX_OP_ACCESS, 0, 1, -1, -1, 3, -1, AT },
	{ "readlink", -1, SANDBOX_OP_READLINK, -1, 0, -1, -1, -1, -1, N },
	{ "readlinkat", -1, SANDBOX_OP_READLINK, 0, 1, -1, -1, -1, -1, N },
	{ "getdents", -1, SANDBOX_OP_LIST, 0, -1, -1, -1, -1, -1, SANDBOX__FDONLY },
	{ "getdents64", -1, SANDBOX_OP_LIST, 0, -1, -1, -1, -1, -1, SANDBOX__FDONLY },
	{ "chdir", -1, SANDBOX_OP_CHDIR, -1, 0, -1, -1, -1, -1, 0 },
	{ "truncate", -1, SANDBOX_OP_TRUNCATE, -1, 0, -1, -1, -1, -1, 0 },
	{ "unlink", -1, SANDBOX_OP_UNLINK, -1, 0, -1, -1, -1, -1, N },
	{ "unlinkat", -1, SANDBOX_OP_UNLINK, 0, 1, -1, -1, 2, -1, N | SANDBOX__UNLINKAT },
	{ "rmdir", -1, SANDBOX_OP_RMDIR, -1, 0, -1, -1, -1, -1, N },
	{ "mkdir", -1, SANDBOX_OP_MKDIR, -1, 0, -1, -1, -1, -1, N },
	{ "mkdirat", -1, SANDBOX_OP_MKDIR, 0, 1, -1, -1, -1, -1, N },
	{ "rename", -1, SANDBOX_OP_RENAME, -1, 0, -1, 1, -1, -1, N },
	{ "renameat", -1, SANDBOX_OP_RENAME, 0, 1, 2, 3, -1, -1, N },
	{ "renameat2", -1, SANDBOX_OP_RENAME, 0, 1, 2, 3, -1, -1, N },
	{ "link", -1, SANDBOX_OP_LINK, -1, 0, -1, 1, -1, -1, N },
	{ "linkat", -1, SANDBOX_OP_LINK, 0, 1, 2, 3, 4, -1, SANDBOX__LINKAT },
	{ "symlink", -1, SANDBOX_OP_SYMLINK, -1, 1, -1, 0, -1, -1, N | SANDBOX__TEXT2 },
	{ "symlinkat", -1, SANDBOX_OP_SYMLINK, 1, 2, -1, 0, -1, -1, N | SANDBOX__TEXT2 },
	{ "chmod", -1, SANDBOX_OP_CHMOD, -1, 0, -1, -1, -1, -1, 0 },
	{ "fchmodat", -1, SANDBOX_OP_CHMOD, 0, 1, -1, -1, -1, -1, 0 },
	{ "fchmodat2", 452, SANDBOX_OP_CHMOD, 0, 1, -1, -1, 3, -1, AT },
	{ "chown", -1, SANDBOX_OP_CHOWN, -1, 0, -1, -1, -1, -1, 0 },
	{ "lchown", -1, SANDBOX_OP_CHOWN, -1, 0, -1, -1, -1, -1, N },
	{ "fchownat", -1, SANDBOX_OP_CHOWN, 0, 1, -1, -1, 4, -1, AT },
	{ "utime", -1, SANDBOX_OP_UTIME, -1, 0, -1, -1, -1, -1, 0 },
	{ "utimes", -1, SANDBOX_OP_UTIME, -1, 0, -1, -1, -1, -1, 0 },
	{ "futimesat", -1, SANDBOX_OP_UTIME, 0, 1, -1, -1, -1, -1, SANDBOX__PATH_NONNULL },
	{ "utimensat", -1, SANDBOX_OP_UTIME, 0, 1, -1, -1, 3, -1, AT | SANDBOX__PATH_NONNULL },
	{ "mknod", -1, SANDBOX_OP_MKNOD, -1, 0, -1, -1, -1, -1, N },
	{ "mknodat", -1, SANDBOX_OP_MKNOD, 0, 1, -1, -1, -1, -1, N },
	{ "setxattr", -1, SANDBOX_OP_XATTR, -1, 0, -1, -1, -1, -1, 0 },
	{ "lsetxattr", -1, SANDBOX_OP_XATTR, -1, 0, -1, -1, -1, -1, N },
	{ "removexattr", -1, SANDBOX_OP_XATTR, -1, 0, -1, -1, -1, -1, 0 },
	{ "lremovexattr", -1, SANDBOX_OP_XATTR, -1, 0, -1, -1, -1, -1, N },
	{ "setxattrat", 463, SANDBOX_OP_XATTR, 0, 1, -1, -1, 2, -1, AT },
	{ "removexattrat", 466, SANDBOX_OP_XATTR, 0, 1, -1, -1, 2, -1, AT },
	/* Reading a path's extended attributes makes them an input (the
	 * fd forms, fgetxattr and flistxattr, read a file already opened). */
	{ "getxattr", -1, SANDBOX_OP_GETXATTR, -1, 0, -1, -1, -1, -1, 0 },
	{ "lgetxattr", -1, SANDBOX_OP_GETXATTR, -1, 0, -1, -1, -1, -1, N },
	{ "listxattr", -1, SANDBOX_OP_GETXATTR, -1, 0, -1, -1, -1, -1, 0 },
	{ "llistxattr", -1, SANDBOX_OP_GETXATTR, -1, 0, -1, -1, -1, -1, N },
	{ "getxattrat", 464, SANDBOX_OP_GETXATTR, 0, 1, -1, -1, 2, -1, AT },
	{ "listxattrat", 465, SANDBOX_OP_GETXATTR, 0, 1, -1, -1, 2, -1, AT },
	/* Lookups that report on the file system or watch a path: what the
	 * step does depends on the path being there. */
	{ "statfs", -1, SANDBOX_OP_STAT, -1, 0, -1, -1, -1, -1, 0 },
	{ "statfs64", -1, SANDBOX_OP_STAT, -1, 0, -1, -1, -1, -1, 0 },
	/* Where the process is (no path): what it computes may name the
	 * project's directory (exec/trace.c, a copy of the project). */
	{ "getcwd", -1, SANDBOX_OP_GETCWD, -1, -1, -1, -1, -1, -1, SANDBOX__NOPATH },
	/* Asking whether standard output or error is a terminal, or its
	 * size: a cache hit elsewhere (a file, another width) must not have
	 * been told otherwise (exec/cache.c). */
	{ "ioctl", -1, SANDBOX_OP_TTY, -1, -1, -1, -1, -1, -1, SANDBOX__NOPATH | SANDBOX__TTYQ },
	{ "inotify_add_watch", -1, SANDBOX_OP_STAT, -1, 1, -1, -1, 2, -1, SANDBOX__INOTIFY },
};
const size_t sandbox__ntraced = ARRAY_SIZE(sandbox__traced);

#undef N
#undef AT

/*
 * Refused in the filter itself, without a round trip to the tracer.
 * io_uring gets ENOSYS so that programs fall back to plain system calls
 * (its operations would bypass the tracer); the rest would let a step
 * escape or change the machine and get EPERM.
 */
static const struct refused {
	const char *name;
	int nr_unified;
	int err;
} refused[] = {
	{ "io_uring_setup", 425, ENOSYS },
	{ "io_uring_enter", 426, ENOSYS },
	{ "io_uring_register", 427, ENOSYS },
	/* clone3's flags are in memory, where a filter cannot look: ENOSYS
	 * makes libc fall back to clone(), whose flags it can (below). */
	{ "clone3", 435, ENOSYS },
	{ "mount", -1, EPERM },
	{ "umount", -1, EPERM },
	{ "umount2", -1, EPERM },
	{ "pivot_root", -1, EPERM },
	{ "open_tree", 428, EPERM },
	{ "move_mount", 429, EPERM },
	{ "fsopen", 430, EPERM },
	{ "fsconfig", 431, EPERM },
	{ "fsmount", 432, EPERM },
	{ "fspick", 433, EPERM },
	{ "mount_setattr", 442, EPERM },
	{ "open_tree_attr", 467, EPERM },
	{ "kexec_load", -1, EPERM },
	{ "kexec_file_load", -1, EPERM },
	{ "bpf", -1, EPERM },
	{ "keyctl", -1, EPERM },
	{ "add_key", -1, EPERM },
	{ "request_key", -1, EPERM },
	{ "init_module", -1, EPERM },
	{ "finit_module", -1, EPERM },
	{ "delete_module", -1, EPERM },
	{ "swapon", -1, EPERM },
	{ "swapoff", -1, EPERM },
	{ "reboot", -1, EPERM },
	{ "setns", -1, EPERM },
	{ "chroot", -1, EPERM },
	{ "name_to_handle_at", -1, EPERM },
	{ "open_by_handle_at", -1, EPERM },
	/* fanotify marks name a path and report accesses (with file handles
	 * that only open_by_handle_at could use); no build tool needs them,
	 * and a mark on a host file would watch what happens outside the
	 * step.  Refused rather than traced. */
	{ "fanotify_init", -1, EPERM },
	{ "fanotify_mark", -1, EPERM },
	{ "userfaultfd", -1, EPERM },
	{ "perf_event_open", -1, EPERM },
};

static int resolve_nr(const char *name, int nr_unified)
{
	int nr = seccomp_syscall_resolve_name(name);
	/* __NR_SCMP_ERROR: a name this libseccomp does not know yet (it
	 * predates the call); other negative numbers: libseccomp knows the
	 * call and this architecture lacks it. */
	if (nr == __NR_SCMP_ERROR)
		return nr_unified;
	return nr < 0 ? -1 : nr;
}

int sandbox__sys_nr(const struct sandbox__sys *s)
{
	return resolve_nr(s->name, s->nr_unified);
}

/*
 * Reading descriptor 0, and copying it to another number (which could
 * then be read unseen: `exec 3<&0`, `read -u 3`).  fcntl counts only for
 * F_DUPFD and F_DUPFD_CLOEXEC (cmd: -1 any).
 */
const struct sandbox__stdin_read sandbox__stdin_reads[SANDBOX__NSTDIN_READS] = {
	{ "read", 0, -1 },
	{ "readv", 0, -1 },
	{ "pread64", 0, -1 },
	{ "preadv", 0, -1 },
	{ "preadv2", 0, -1 },
	{ "splice", 0, -1 },
	{ "copy_file_range", 0, -1 },
	{ "sendfile", 1, -1 },
	{ "dup", 0, -1 },
	{ "dup2", 0, -1 },
	{ "dup3", 0, -1 },
	{ "fcntl", 0, F_DUPFD },
	{ "fcntl", 0, F_DUPFD_CLOEXEC },
};

int sandbox__stdin_read_nr(int nr)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(sandbox__stdin_reads); i++)
		if (resolve_nr(sandbox__stdin_reads[i].name, -1) == nr)
			return (int)i;
	return -1;
}

struct sandbox_filter {
	struct sock_fprog prog;
	struct sock_filter insns[];
};

static int add_traced(scmp_filter_ctx ctx, const struct sandbox__sys *s)
{
	int nr = sandbox__sys_nr(s), rc;
	if (nr < 0)
		return 0;
	if (s->how & SANDBOX__TTYQ) {
		static const unsigned long cmds[] = { TCGETS, TIOCGWINSZ };
		unsigned fd, k;
		rc = 0;
		for (fd = 1; fd <= 2 && !rc; fd++)
			for (k = 0; k < 2 && !rc; k++)
				rc = seccomp_rule_add(
				    ctx, SCMP_ACT_NOTIFY, nr, 2,
				    SCMP_CMP(0, SCMP_CMP_MASKED_EQ, 0xffffffffu, fd),
				    SCMP_CMP(1, SCMP_CMP_MASKED_EQ, 0xffffffffu, cmds[k]));
	} else if (s->how & SANDBOX__SKIP_FSTAT) {
		/* Two rules OR'ed: AT_EMPTY_PATH unset, or the directory is
		 * AT_FDCWD (compared on the low 32 bits: an int argument's
		 * upper half is not defined by the ABI). */
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				      SCMP_CMP((unsigned)s->flags, SCMP_CMP_MASKED_EQ,
					       (scmp_datum_t)AT_EMPTY_PATH, 0));
		if (!rc)
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
					      SCMP_CMP((unsigned)s->dirfd, SCMP_CMP_MASKED_EQ,
						       0xffffffffu,
						       (scmp_datum_t)(uint32_t)AT_FDCWD));
	} else if (s->how & SANDBOX__PATH_NONNULL) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				      SCMP_CMP((unsigned)s->path, SCMP_CMP_NE, 0, 0));
	} else {
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
	}
	if (rc < 0) {
		errno = -rc;
		return err_errno(CAIRN_ERROR, "seccomp rule for %s", s->name);
	}
	return 0;
}

/* Read the BPF libseccomp generated for CTX into a new sandbox_filter. */
static int export_bpf(struct sandbox_filter **out, scmp_filter_ctx ctx)
{
	struct sandbox_filter *f = NULL;
	struct stat st;
	int fd = -1, rc, ret = -1;
	ssize_t n;

	fd = memfd_create("cairn-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		ret = err_errno(CAIRN_ERROR, "memfd_create");
		goto out;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0) {
		errno = -rc;
		ret = err_errno(CAIRN_ERROR, "exporting the seccomp filter");
		goto out;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		ret = err_set(CAIRN_ERROR, "seccomp filter of unexpected size");
		goto out;
	}
	f = xcalloc(1, sizeof(*f) + (size_t)st.st_size);
	n = pread(fd, f->insns, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		ret = err_errno(CAIRN_ERROR, "reading the seccomp filter");
		goto out;
	}
	f->prog.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	f->prog.filter = f->insns;
	*out = f;
	f = NULL;
	ret = 0;
out:
	free(f);
	if (fd >= 0)
		close(fd);
	return ret;
}

int sandbox_filter_build(struct sandbox_filter **out, unsigned flags)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc, ret = -1;

	*out = NULL;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return err_set(CAIRN_ERROR, "seccomp_init failed");
	/*
	 * Only the native ABI is in the filter; every other one (i386 through
	 * int 0x80 on x86_64) kills the process, since its system call numbers
	 * would slip past the rules.  x32 shares x86_64's audit arch:
	 * libseccomp adds a check that sends numbers with __X32_SYSCALL_BIT
	 * to this same action when x32 is not in the filter (verified by
	 * test_x32_killed).
	 */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0) {
		errno = -rc;
		ret = err_errno(CAIRN_ERROR, "seccomp bad-arch action");
		goto out;
	}
	/* A binary tree instead of a linear list of ~80 comparisons; older
	 * libseccomp lacks it, which only costs speed. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		int nr = resolve_nr(refused[i].name, refused[i].nr_unified);
		if (nr < 0)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(refused[i].err), nr, 0)) < 0) {
			errno = -rc;
			ret = err_errno(CAIRN_ERROR, "seccomp rule for %s", refused[i].name);
			goto out;
		}
	}
	/*
	 * Arguments that make a call dangerous (compared on the low 32 bits
	 * where the argument is an int or the kernel ignores the rest):
	 * TIOCSTI and TIOCLINUX would type into the user's terminal, to be
	 * run by the user's shell outside any sandbox (bubblewrap's
	 * CVE-2017-5226; Flatpak denies both the same way); a new user
	 * namespace inside the step (unshare, clone) would let it chroot or
	 * mount where the recorder cannot follow.
	 */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				   SCMP_CMP(1, SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				   SCMP_CMP(1, SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
				   SCMP_CMP(0, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))) <
		0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				   SCMP_CMP(0, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))) <
		0) {
		errno = -rc;
		ret = err_errno(CAIRN_ERROR, "seccomp rule for ioctl, unshare or clone");
		goto out;
	}
	/*
	 * Without the network, no local services either: a Unix socket is
	 * reached by its path, which no namespace hides, and a daemon's
	 * (docker's, the session bus, an ssh agent) would lead out of the
	 * sandbox.  socketpair() stays allowed: it reaches nothing outside.
	 */
	if ((flags & SANDBOX_FILTER_NO_UNIX_SOCKETS) &&
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
				   SCMP_CMP(0, SCMP_CMP_EQ, AF_UNIX, 0))) < 0) {
		errno = -rc;
		ret = err_errno(CAIRN_ERROR, "seccomp rule for socket");
		goto out;
	}
	for (i = 0; i < sandbox__ntraced; i++)
		if (add_traced(ctx, &sandbox__traced[i]) < 0)
			goto out;
	if (flags & SANDBOX_FILTER_WATCH_STDIN) {
		for (i = 0; i < ARRAY_SIZE(sandbox__stdin_reads); i++) {
			const struct sandbox__stdin_read *r = &sandbox__stdin_reads[i];
			int nr = resolve_nr(r->name, -1);
			if (nr < 0)
				continue;
			/* The descriptor argument is an int: its low 32 bits. */
			if (r->cmd >= 0)
				rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 2,
						      SCMP_CMP((unsigned)r->fd_arg,
							       SCMP_CMP_MASKED_EQ, 0xffffffffu, 0),
						      SCMP_CMP(1, SCMP_CMP_MASKED_EQ, 0xffffffffu,
							       (scmp_datum_t)(unsigned)r->cmd));
			else
				rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
						      SCMP_CMP((unsigned)r->fd_arg,
							       SCMP_CMP_MASKED_EQ, 0xffffffffu, 0));
			if (rc < 0) {
				errno = -rc;
				ret = err_errno(CAIRN_ERROR, "seccomp rule for %s", r->name);
				goto out;
			}
		}
	}
	ret = export_bpf(out, ctx);
out:
	seccomp_release(ctx);
	return ret;
}

int sandbox_filter_install(const struct sandbox_filter *f)
{
	int fd;

	/* The filter needs no privilege only under no-new-privs; the caller
	 * should have set it already, setting it twice is harmless. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	/*
	 * WAIT_KILLABLE_RECV (Linux 5.19): once the tracer has received a
	 * call, a non-fatal signal no longer interrupts the wait, so the call
	 * is not restarted and reported twice.  Older kernels refuse the flag
	 * with EINVAL; the filter works without it.
	 */
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
			  &f->prog);
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &f->prog);
	return fd;
}

void sandbox_filter_free(struct sandbox_filter *f)
{
	free(f);
}

int sandbox_seccomp_install(void)
{
	struct sandbox_filter *f = NULL;
	int fd;

	if (sandbox_filter_build(&f, 0) < 0)
		return -1;
	fd = sandbox_filter_install(f);
	if (fd < 0)
		err_errno(CAIRN_ERROR, "installing the seccomp filter");
	sandbox_filter_free(f);
	return fd;
}
