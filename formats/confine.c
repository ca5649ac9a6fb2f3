/*
 * confine.c (helper) - what a job's child gives up before it opens the
 * file it summarises: the terminal and cairn's pipes, the network, the
 * right to write anywhere, and the system calls a file format has no
 * use for.  The files come from steps and from other people (a VRT, an
 * HDF5 file handed over with a project): everything GDAL and HDF5 do
 * with them is done as if by an attacker's program.
 */
#include "formats-int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* struct mount_attr of <linux/mount.h>, which clashes with <sys/mount.h>. */
struct confine_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/*
 * Every mount read-only at once (Linux 5.12's mount_setattr), else one
 * by one from mountinfo, each keeping the flags it has (a remount that
 * drops nosuid or nodev of a mount inherited from the parent namespace
 * is refused).  Only this process's mount namespace changes.
 */
static int all_readonly(void)
{
#ifdef SYS_mount_setattr
	struct confine_mount_attr a = { MOUNT_ATTR_RDONLY, 0, 0, 0 };
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &a, sizeof(a)) == 0)
		return 0;
#endif
	{
		FILE *fp = fopen("/proc/self/mountinfo", "re");
		char line[4096];
		int ret = 0;
		if (!fp)
			return -1;
		while (fgets(line, sizeof(line), fp)) {
			char mp[4096];
			struct statvfs sv;
			unsigned long fl = MS_REMOUNT | MS_BIND | MS_RDONLY;
			/* id parent major:minor root mountpoint ... */
			if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
				continue;
			if (statvfs(mp, &sv) < 0)
				continue;
			if (sv.f_flag & ST_NOSUID)
				fl |= MS_NOSUID;
			if (sv.f_flag & ST_NODEV)
				fl |= MS_NODEV;
			if (sv.f_flag & ST_NOEXEC)
				fl |= MS_NOEXEC;
			if (sv.f_flag & ST_NOATIME)
				fl |= MS_NOATIME;
			if (sv.f_flag & ST_NODIRATIME)
				fl |= MS_NODIRATIME;
			if (sv.f_flag & ST_RELATIME)
				fl |= MS_RELATIME;
			if (mount(NULL, mp, NULL, fl, NULL) < 0)
				ret = -1;
		}
		fclose(fp);
		return ret;
	}
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -1;
	close(fd);
	return ret;
}

/* Our own user and group ids, the same inside the namespace: files keep
 * their owners, and the tmpfs below can be written while it is built. */
static int map_ids(uid_t uid, gid_t gid)
{
	char map[64];

	(void)write_text("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_text("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_text("/proc/self/gid_map", map);
}

/* Is PATH DIR or below it? */
static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * The directory a job needs to see for a file in directory DIR: the
 * project DIR lies in (the nearest directory above with a .cairn), since
 * a VRT's sources and a file's sidecars lie beside it or above it, else
 * DIR itself; resolved.  NULL when DIR cannot be resolved.
 */
static char *keep_dir(const char *dir)
{
	char *real = realpath(dir, NULL), *cut, *probe;
	struct stat st;

	if (!real)
		return NULL;
	cut = xstrdup(real);
	for (;;) {
		char *slash;
		probe = xstrfmt("%s/.cairn", cut);
		if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(probe);
			free(real);
			return cut;
		}
		free(probe);
		slash = strrchr(cut, '/');
		if (!slash || slash == cut)
			break;
		*slash = '\0';
	}
	free(cut);
	return real;
}

/* The directory of PATH, unresolved ("." for a bare name). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

static int by_length(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	return la < lb ? -1 : la > lb;
}

/*
 * $HOME hidden behind an empty tmpfs, but for the projects (or
 * directories) of the files the job reads: a crafted VRT or HDF5 file
 * must not read ~/.ssh into a summary.  The kept directories are opened
 * before the tmpfs covers them and bound back from their descriptors.
 * Nothing is hidden when a job's file lies in $HOME itself.
 */
static void hide_home(const char *const *paths)
{
	const char *home = getenv("HOME");
	char *rhome = home && *home ? realpath(home, NULL) : NULL, *cwd = NULL;
	struct strvec keep = STRVEC_INIT;
	int fds[8], n = 0, i, whole = 0;
	/* (at most 2 paths of 3 directories each) */
	size_t k;

	if (!rhome || !strcmp(rhome, "/"))
		goto out;
	for (k = 0; paths[k]; k++) {
		/* an alias's own directory, and that of what it names (a
		 * descriptor's unlinked file resolves to nothing: it needs
		 * no directory) */
		char *dirs[3] = { dir_of(paths[k]), realpath(paths[k], NULL),
				  paths[k][0] != '/' ? xstrdup(".") : NULL };
		int m;
		if (dirs[1]) {
			char *d = dir_of(dirs[1]);
			free(dirs[1]);
			dirs[1] = d;
		}
		/* (and the working directory, for a relative name: it is
		 * looked up from there) */
		for (m = 0; m < 3; m++) {
			char *d = dirs[m] ? keep_dir(dirs[m]) : NULL;
			free(dirs[m]);
			if (!d)
				continue;
			if (under(rhome, d))
				whole = 1; /* $HOME itself, or above it */
			else if (under(d, rhome))
				strvec_push(&keep, d);
			free(d);
		}
	}
	if (whole)
		goto out;
	if (keep.nr > ARRAY_SIZE(fds))
		goto out;
	qsort(keep.v, keep.nr, sizeof(char *), by_length);
	for (k = 0; k < keep.nr; k++) {
		fds[k] = open(keep.v[k], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fds[k] < 0)
			goto close;
		n++;
	}
	cwd = getcwd(NULL, 0);
	if (mount("tmpfs", rhome, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
		goto close;
	for (i = 0; i < n; i++) {
		char *target = xstrdup(keep.v[i]), *p, *src;
		int j, inside = 0;
		for (j = 0; j < i; j++)
			if (under(keep.v[i], keep.v[j]))
				inside = 1;
		/* the mount points, made in the tmpfs */
		for (p = target + strlen(rhome) + 1; !inside && (p = strchr(p, '/')); p++) {
			*p = '\0';
			mkdir(target, 0755);
			*p = '/';
		}
		if (!inside) {
			int bound;
			mkdir(target, 0755);
			src = xstrfmt("/proc/self/fd/%d", fds[i]);
			bound = mount(src, target, NULL, MS_BIND | MS_REC, NULL) == 0;
			free(src);
			if (!bound) {
				/* The job needs what it reads more than $HOME
				 * hidden (it stays read-only and offline). */
				free(target);
				(void)umount2(rhome, MNT_DETACH);
				goto cwd;
			}
		}
		free(target);
	}
cwd:
	/* The working directory again by its name: the old one lies under
	 * the tmpfs, and ".." from it would walk the hidden tree. */
	if (!cwd || chdir(cwd) < 0)
		(void)chdir("/");
close:
	for (i = 0; i < n; i++)
		close(fds[i]);
out:
	strvec_clear(&keep);
	free(cwd);
	free(rhome);
}

/*
 * The job's own view of the file system, read-only: GDAL's PAM writes
 * .aux.xml files beside what it opens, a VRT can name any path as a
 * source or an overview, and a driver may write caches; none of it may
 * change a byte on the machine.  A user namespace of its own (which
 * the network namespace needs anyway) owns a mount namespace of its
 * own, so no privilege is needed.  0, or -1 where the system has no
 * user namespaces (then the job still runs, writable, as it did).
 */
static int own_namespaces(int network, const char *const *paths)
{
	int flags = CLONE_NEWUSER | CLONE_NEWNS | (network ? 0 : CLONE_NEWNET);
	uid_t uid = getuid();
	gid_t gid = getgid();
	int mapped;

	if (unshare(flags) < 0) {
		/* Without a mount namespace, at least no network. */
		if (!network)
			(void)unshare(CLONE_NEWUSER | CLONE_NEWNET);
		return -1;
	}
	mapped = map_ids(uid, gid) == 0;
	/* Private first, so that nothing done here reaches the parent's
	 * namespace (it could not anyway: a less privileged namespace's
	 * copies of shared mounts are slaves). */
	(void)mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	/* (The remote check reads no file, but GDAL's own credential
	 * files, ~/.aws/credentials for /vsis3/.) */
	if (!network && mapped)
		hide_home(paths);
	return all_readonly();
}

/*
 * The system calls a file format never needs, refused.  After the
 * mounts above (mount is among them) and last, so that nothing after
 * it needs one.  Sockets: AF_UNIX only (a local socket reaches nothing
 * that the empty network namespace hides: libc's own sockets), and
 * AF_INET and AF_INET6 for NETWORK (the remote check).
 */
static int install_filter(int network)
{
	static const char *const refused[] = {
		"execve",
		"execveat",
		"ptrace",
		"process_vm_readv",
		"process_vm_writev",
		"mount",
		"umount2",
		"pivot_root",
		"move_mount",
		"open_tree",
		"fsopen",
		"fsmount",
		"fsconfig",
		"fspick",
		"mount_setattr",
		"keyctl",
		"add_key",
		"request_key",
		"bpf",
		"perf_event_open",
		"userfaultfd",
		"unshare",
		"setns",
		"io_uring_setup",
		"io_uring_enter",
		"io_uring_register",
		"kexec_load",
		"init_module",
		"finit_module",
		"delete_module",
		"open_by_handle_at",
		"chroot",
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int dom, rc = 0;
	size_t i;

	if (!ctx)
		return -1;
	/* Another ABI's numbers would slip past the rules. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
		goto out;
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		int nr = seccomp_syscall_resolve_name(refused[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
			goto out;
	}
	/* clone3's flags are behind a pointer no filter can read: ENOSYS
	 * sends glibc back to clone, whose flags it can.  No new
	 * namespaces, where mounts could be made again. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				   SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))) <
		0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				   SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNS, CLONE_NEWNS))) < 0)
		goto out;
	/* One rule per refused family (a rule cannot say "none of"); the
	 * domain is an int: its low 32 bits, and any above the families'
	 * numbers. */
	for (dom = 0; dom < AF_MAX; dom++) {
		if (dom == AF_UNIX || (network && (dom == AF_INET || dom == AF_INET6)))
			continue;
		if ((rc = seccomp_rule_add(
			 ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
			 SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (scmp_datum_t)dom))) < 0)
			goto out;
	}
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
				   SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)AF_MAX))) < 0)
		goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc < 0 ? -1 : 0;
}

/*
 * Confine the calling job's child (see helper.c): its standard
 * descriptors are /dev/null, it has no terminal, no network unless
 * NETWORK, a read-only file system where user namespaces allow it
 * with $HOME hidden but for the projects of PATHS (the files it reads,
 * NULL-terminated), and the filter above.  0, or -1 when the filter could not be installed
 * (the job must not run then).
 */
int formats__confine(int network, const char *const *paths)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* A VRT naming /proc/self/fd/1 or /dev/stdin must read nothing of
	 * cairn's pipes (and hang on none), /dev/tty no keystrokes. */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (!FORMATS_ASAN)
			dup2(null, 2);
		close(null);
	}
	setsid();
	(void)own_namespaces(network, paths);
	return install_filter(network);
}
