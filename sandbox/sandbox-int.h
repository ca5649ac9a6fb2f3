/*
 * sandbox-int.h - what the filter (seccomp.c) and the tracer (trace.c)
 * share: one table that says which system calls are traced and how their
 * arguments are decoded, so that the two cannot disagree.
 */
#ifndef CAIRN_SANDBOX_INT_H
#define CAIRN_SANDBOX_INT_H

#include "sandbox.h"

/* How a traced call's arguments are read (struct sandbox__sys.how). */
enum {
	SANDBOX__OPENFLAGS = 1 << 0, /* FLAGS is open(2) flags */
	SANDBOX__OPENAT2 = 1 << 1, /* FLAGS is a struct open_how pointer */
	SANDBOX__CREAT = 1 << 2, /* flags O_CREAT|O_WRONLY|O_TRUNC */
	SANDBOX__NOFOLLOW = 1 << 3, /* never follows the last component */
	SANDBOX__ATFLAGS = 1 << 4, /* FLAGS holds AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH */
	SANDBOX__LINKAT = 1 << 5, /* FLAGS holds AT_SYMLINK_FOLLOW (default: no follow) */
	SANDBOX__UNLINKAT = 1 << 6, /* AT_REMOVEDIR in FLAGS makes it RMDIR */
	SANDBOX__TEXT2 = 1 << 7, /* PATH2 is verbatim text (symlink target) */
	SANDBOX__FDONLY = 1 << 8, /* no path: the directory fd in DIRFD (getdents) */
	SANDBOX__EXEC = 1 << 9, /* ARGV holds the argv array */
	SANDBOX__SKIP_FSTAT = 1 << 10, /* filter: skip AT_EMPTY_PATH on a real fd */
	SANDBOX__PATH_NONNULL = 1 << 11, /* filter: only when PATH is not NULL */
	SANDBOX__INOTIFY = 1 << 12, /* FLAGS is an inotify mask (IN_DONT_FOLLOW) */
	SANDBOX__NOPATH = 1 << 13, /* no path and no directory (getcwd) */
	SANDBOX__TTYQ = 1 << 14, /* filter: ioctl TCGETS/TIOCGWINSZ on 1 or 2 only */
};

/*
 * One traced system call.  Argument indexes are -1 when absent; a missing
 * DIRFD means AT_FDCWD.  NR_UNIFIED is the number the call has on every
 * architecture (calls added since Linux 5.1 share one table), used when the
 * installed libseccomp does not know the name; -1 otherwise.
 */
struct sandbox__sys {
	const char *name;
	int nr_unified;
	enum sandbox_op op;
	signed char dirfd, path, dirfd2, path2, flags, argv;
	unsigned how;
};

/* Calls that read a descriptor, watched on descriptor 0 when the step's
 * reads of the session's standard input matter (FD_ARG: which argument). */
struct sandbox__stdin_read {
	const char *name;
	int fd_arg;
	int cmd; /* fcntl: the command (argument 1) that counts, else -1 */
};
#define SANDBOX__NSTDIN_READS 13
extern const struct sandbox__stdin_read sandbox__stdin_reads[SANDBOX__NSTDIN_READS];
/* Which of them NR is (its index), or -1. */
int sandbox__stdin_read_nr(int nr);

extern const struct sandbox__sys sandbox__traced[];
extern const size_t sandbox__ntraced;

/* The native number of S, or -1 when this architecture lacks it. */
int sandbox__sys_nr(const struct sandbox__sys *s);

#endif
