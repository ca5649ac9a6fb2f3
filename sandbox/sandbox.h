/*
 * sandbox.h - run a step's processes in an unprivileged namespace sandbox.
 *
 * The launcher (ns.c) clones a process into new user, mount, pid, ipc, uts
 * and (unless the step may use the network) network namespaces.  That
 * process is pid 1 of the step: it lays out the filesystem (the host read
 * only, overlays where the step may write), forks the step's main process
 * and reaps every process of the step.  The main process enters a second
 * user namespace (so nothing it runs can undo the mounts), sets
 * no-new-privs, installs the seccomp recorder and runs the caller's
 * function, which execs the shell.
 *
 * sandbox/ knows nothing of shells, caches or git.
 */
#ifndef CAIRN_SANDBOX_H
#define CAIRN_SANDBOX_H

#include "util.h"

#include <sys/resource.h>
#include <sys/types.h>

/* ---- launcher ------------------------------------------------------------ */

/*
 * A directory the step may write to: an overlay at PATH showing LOWER
 * with the step's writes going to UPPER (WORK is overlayfs's scratch
 * directory, on the same filesystem as UPPER).  The caller reads the
 * writes from UPPER afterwards.
 */
struct sandbox_layer {
	const char *path;
	const char *lower;
	const char *upper, *work;
	/* An extra lower layer shown above LOWER (overlayfs
	 * `lowerdir=TOP:LOWER`), or NULL.  It must not contain LOWER nor lie
	 * inside it: overlayfs refuses overlapping layers. */
	const char *lower_top;
	/* With LOWER_TOP only: a layer above it (`lowerdir=HIDE:TOP:LOWER`)
	 * whose whiteouts hide the versions in TOP and LOWER of what is yet
	 * to be made (rerun --into, verify), or NULL. */
	const char *lower_hide;
};

/* A host file or directory shown (read only unless WRITABLE) at DST. */
struct sandbox_bind {
	const char *src, *dst;
	int writable;
};

/* Bounds of a configuration (the child lays it out without allocating). */
#define SANDBOX_MAX_LAYERS 64
#define SANDBOX_MAX_BINDS 64

struct sandbox_config {
	/* Mounted in this order; a layer below another must come first. */
	const struct sandbox_layer *layers;
	size_t nlayers;
	/* Bound after the layers and the fresh /dev and /proc. */
	const struct sandbox_bind *binds;
	size_t nbinds;
	/*
	 * A bind that the main process may ask to have detached again:
	 * DETACH_PATH is unmounted as soon as a byte arrives on DETACH_FD
	 * (the read end of a pipe whose write end the step holds), and a
	 * byte is then written to DETACH_ACK.  -1: none.
	 */
	const char *detach_path;
	int detach_fd, detach_ack;
	int net; /* keep the host's network */
	unsigned timeout; /* seconds of wall time, 0: none */
	uint64_t mem; /* bytes of memory, 0: none */
	int trace; /* install the seccomp recorder */
	/*
	 * Note whether the step reads the session's standard input (the file
	 * STDIN_DEV/STDIN_INO): reads from descriptor 0 are reported to the
	 * recorder, which compares what 0 is (trace.stdin_read).
	 */
	int watch_stdin;
	dev_t stdin_dev;
	ino_t stdin_ino;
	/*
	 * Note lookups that reach below this directory (the project) by its
	 * name, not relative to a working directory inside it (event.named):
	 * a copy of the project elsewhere would look them up in the old
	 * place.  NULL: none.
	 */
	const char *named_root;
	/*
	 * The step always runs in a process group of its own (pid 1's), so
	 * that kill(0, ...) in it reaches nothing outside.  FOREGROUND: make
	 * that group the foreground of the controlling terminal (TERMINAL_FD,
	 * from sandbox_terminal_fd()) before the main process starts; the
	 * caller is the foreground and takes the terminal back with
	 * sandbox_terminal_take() after the step.
	 */
	int foreground;
	int terminal_fd;
};

/* The main process's part: must exec or _exit; runs after the sandbox
 * is complete. */
typedef void (*sandbox_main_fn)(void *payload);

struct sandbox;

struct sandbox_usage {
	double cpu_user_s, cpu_sys_s, wall_s;
	long max_rss_kb;
	unsigned long long read_bytes, write_bytes; /* bytes through read/write calls */
};

struct sandbox_result {
	int wstatus; /* the main process's wait status */
	int timed_out; /* the timeout ended the step */
	int mem_limited; /* a memory limit was in force (rlimit) */
	struct sandbox_usage usage;
};

/*
 * Is the sandbox available here?  0, or CAIRN_EUNSUPPORTED with a
 * message that names the setting that forbids user namespaces and how to
 * enable it.  Cheap after the first call.
 */
int sandbox_check(void);

/*
 * Start the step: returns once the main process runs (or has failed).
 * The main process inherits the caller's descriptors (the reaper keeps
 * none of them).  0, or -1 with err set.
 */
int sandbox_start(struct sandbox **out, const struct sandbox_config *cfg, sandbox_main_fn fn,
		  void *payload);

/* In a process that has just entered a new user namespace: map UID and
 * GID (the caller's ids outside) to themselves.  0 or -1 (errno). */
int sandbox_map_self(uid_t uid, gid_t gid);

/* The step's process group, as the caller sees it (to signal the step). */
pid_t sandbox_pgid(const struct sandbox *sb);

/*
 * Terminal job control for the caller.  sandbox_terminal_fd(): a
 * descriptor of the caller's controlling terminal (/dev/tty, opened once),
 * or -1 when it has none.  sandbox_terminal_ours(): 1 when the caller's
 * process group is that terminal's foreground.  sandbox_terminal_give():
 * make PGID the foreground (SIGTTOU blocked meanwhile; only system calls,
 * so also safe in a signal handler).  sandbox_terminal_take(): make the
 * caller's group the foreground again.
 */
int sandbox_terminal_fd(void);
int sandbox_terminal_ours(void);
void sandbox_terminal_take(void);
void sandbox_terminal_give(int fd, pid_t pgid);
/*
 * PGID (a step's group) has the terminal now, or 0: nobody but cairn.
 * Should cairn die while a step's group has it, a process of cairn's
 * group made on the first call gives it back to that group.  Only
 * system calls after the first call (signal handlers).
 */
void sandbox_terminal_held(pid_t pgid);

/* The main process's pid as the caller sees it (for pidfd_open, prlimit). */
pid_t sandbox_main_pid(const struct sandbox *sb);
/* ... and as the step's processes see it (in records). */
pid_t sandbox_main_nspid(const struct sandbox *sb);

/*
 * Wait until the main process stops itself (SIGSTOP) or exits.  1 when
 * it is stopped (continue it with kill(sandbox_main_pid(), SIGCONT)), 0
 * when it has exited, -1 on error.
 */
int sandbox_wait_stop(struct sandbox *sb);

/* Is process PID stopped (by a signal, not traced)?  1 or 0. */
int sandbox_pid_stopped(pid_t pid);

/*
 * Wait until every process of the step has exited (or the timeout hit),
 * fill OUT, and free SB.  When TRACE is not NULL it receives what the
 * recorder saw.  0 or -1.
 */
struct sandbox_trace;
int sandbox_finish(struct sandbox *sb, struct sandbox_result *out, struct sandbox_trace *trace);

/* Kill every process of the step now (SIGKILL to its pid 1). */
void sandbox_kill(struct sandbox *sb);

/* ---- recorder (seccomp user notification; seccomp.c, trace.c) ---------- */
/* ---- child side: the filter -------------------------------------------- */

/*
 * Child side: call in the process that will exec the step, after
 * prctl(PR_SET_NO_NEW_PRIVS) (set here too if the caller forgot) and before
 * execve.  Installs the filter (inherited by every descendant and thread)
 * and returns the listener fd (SECCOMP_FILTER_FLAG_NEW_LISTENER), or -1 with
 * err set.  The caller sends the fd to the supervisor (SCM_RIGHTS) and
 * closes its copy.
 *
 * Until the supervisor serves the listener, every traced call of the
 * process blocks: between this call and the hand-over only untraced calls
 * (sendmsg, close, write...) may be made.
 *
 * This builds the filter with libseccomp, which allocates: after clone()
 * in a multithreaded parent use sandbox_filter_build() before the clone and
 * sandbox_filter_install() in the child.
 */
int sandbox_seccomp_install(void);

/* A compiled filter (BPF program), built in advance. */
struct sandbox_filter;

/* Build the filter into *OUT (caller frees with sandbox_filter_free()).
 * 0 or -1 with err set. */
/* FLAGS: SANDBOX_FILTER_NO_UNIX_SOCKETS refuses socket(AF_UNIX, ...)
 * with EACCES (steps without the network). */
#define SANDBOX_FILTER_NO_UNIX_SOCKETS 1u
/* SANDBOX_FILTER_WATCH_STDIN reports reads from descriptor 0 (read,
 * readv, pread64, preadv, preadv2, splice, copy_file_range, sendfile). */
#define SANDBOX_FILTER_WATCH_STDIN 2u
int sandbox_filter_build(struct sandbox_filter **out, unsigned flags);

/*
 * Install F in the calling thread as sandbox_seccomp_install() does, and
 * return the listener fd.  Async-signal-safe (system calls only, no
 * allocation): fit for a child made by clone() or vfork().  On failure it
 * returns -1 with errno set and does not touch err.
 */
int sandbox_filter_install(const struct sandbox_filter *f);

void sandbox_filter_free(struct sandbox_filter *f);

/* ---- supervisor side: the trace ----------------------------------------- */

enum sandbox_op {
	SANDBOX_OP_OPEN,
	SANDBOX_OP_EXEC, /* execve/execveat, failed ones (PATH search) included */
	SANDBOX_OP_STAT,
	SANDBOX_OP_ACCESS,
	SANDBOX_OP_READLINK,
	SANDBOX_OP_LIST, /* getdents of a directory fd: path is the directory */
	SANDBOX_OP_CHDIR,
	SANDBOX_OP_GETXATTR, /* getxattr, listxattr: the attributes are read */
	SANDBOX_OP_GETCWD, /* getcwd: no path; FLAGS is the call's number in
			    * its process (1, 2, then 3 for any later one)
			    * shifted left by 8 (SANDBOX_TTY_NTH) */
	SANDBOX_OP_TTY, /* ioctl TCGETS (isatty) or TIOCGWINSZ on descriptor 1
			 * or 2: no path; FLAGS is SANDBOX_TTY_* */
	/* From here on the op changes its path (callers compare with
	 * SANDBOX_OP_UNLINK): new lookups go above. */
	SANDBOX_OP_UNLINK,
	SANDBOX_OP_RMDIR,
	SANDBOX_OP_MKDIR,
	SANDBOX_OP_RENAME,
	SANDBOX_OP_LINK,
	SANDBOX_OP_SYMLINK,
	SANDBOX_OP_CHMOD,
	SANDBOX_OP_CHOWN,
	SANDBOX_OP_TRUNCATE,
	SANDBOX_OP_UTIME,
	SANDBOX_OP_MKNOD,
	SANDBOX_OP_XATTR, /* setxattr, removexattr */
};

/* The op's name ("open", "exec", ...); static storage. */
const char *sandbox_op_name(enum sandbox_op op);

struct sandbox_event {
	enum sandbox_op op;
	/* OPEN: the open flags (O_ACCMODE, O_CREAT, O_TRUNC, O_DIRECTORY...) */
	int flags;
	/* the last component is not followed (lstat, O_NOFOLLOW,
	 * AT_SYMLINK_NOFOLLOW, readlink, unlink, rename...) */
	int nofollow;
	/* process (thread group) id as seen inside the step's pid namespace
	 * (NStgid last field); 0 if it could not be read */
	pid_t pid;
	/* absolute, as the traced process named it, cleaned by
	 * util_path_clean(): no "." or "//"; a ".." only where the component
	 * before it may be a symlink (resolve with util_path_resolve()); the
	 * working directory, a directory descriptor and a magic link
	 * (/proc/self/fd/N, /dev/stdin...) replaced by the path they name;
	 * owned by the trace */
	char *path;
	/* RENAME/LINK: the new path; SYMLINK: path is the link's location and
	 * path2 the target text, verbatim; NULL otherwise */
	char *path2;
	/* how many SYMLINK, RENAME and LINK calls came before this one: the
	 * same lookup in another generation is another event, since a name
	 * may lead elsewhere */
	unsigned gen;
	/* SANDBOX_NAMED_*: how the lookup found its place (only with a
	 * config's NAMED_ROOT; OR'ed over the calls one event stands for) */
	unsigned named;
};

/* SANDBOX_OP_TTY's FLAGS: the descriptor (1 or 2), whether it asked for
 * the size, and the call's number in its process for that descriptor
 * and question (1, then 2 for any later one). */
#define SANDBOX_TTY_FD(f) ((f)&0xf)
#define SANDBOX_TTY_SIZE 0x10
#define SANDBOX_TTY_NTH(f) ((f) >> 8)

/* The lookup reached below NAMED_ROOT by its name: an absolute path. */
#define SANDBOX_NAMED_PATH 1u
/* The lookup climbed with `..` between NAMED_ROOT and what lies outside
 * it: `../p/data` from inside, `../data.csv` out of it. */
#define SANDBOX_NAMED_CLIMB 4u
/* A readlink of a magic link (/proc/self/cwd, /proc/self/fd/N) that
 * named a place below NAMED_ROOT: the caller learnt where it is. */
#define SANDBOX_NAMED_MAGIC 2u

struct sandbox_proc {
	pid_t pid, ppid; /* inside the step's pid namespace; ppid 0 when the
			  * parent is outside it */
	char *exe; /* absolute path given to execve, resolved like event paths */
	struct strvec argv; /* bounded: see trace.c (ARGV_MAX_*) */
};

struct sandbox_trace {
	/* first occurrence of each distinct (op, write intent, nofollow, path,
	 * path2, gen; and pid for a listing or an exec), in order */
	struct sandbox_event *events;
	size_t nevents, alloc_events;
	/* one per successful-looking execve (the file exists and is an
	 * executable regular file), in order */
	struct sandbox_proc *procs;
	size_t nprocs, alloc_procs;
	unsigned long long notifications; /* intercepted calls */
	unsigned long long lost; /* calls whose arguments could not be read, or
				  * execs whose program could not be confirmed */
	unsigned long long opened; /* opens done by the recorder for a
				    * multi-threaded caller (the race, docs/sandbox.md) */
	int stdin_read; /* a process read the session's standard input */
};

#define SANDBOX_TRACE_INIT                                                                         \
	{                                                                                          \
		0                                                                                  \
	}

/* Does EV (an OPEN) ask for writing: write access mode, O_CREAT or O_TRUNC? */
int sandbox_event_writes(const struct sandbox_event *ev);

/* Free the contents; T is left as SANDBOX_TRACE_INIT. */
void sandbox_trace_release(struct sandbox_trace *t);

struct sandbox_tracer;

/*
 * Supervisor side: start a thread serving LISTENER (takes ownership, also
 * on failure).  CFG (may be NULL) says whether to watch reads of the
 * session's standard input.  0 or -1 with err set.
 *
 * The supervisor must sit in an ancestor of the step's pid namespace and
 * its /proc must be of its own pid namespace: notifications carry thread
 * ids as the supervisor sees them, and paths are read through
 * /proc/TID/{cwd,fd,root,status}.  Those links name paths as the step's
 * mount namespace sees them when its root is not the supervisor's.  Read
 * access needs ptrace read/attach rights over the step (same uid, no
 * Yama restriction against non-descendants: keep the step a descendant).
 */
int sandbox_tracer_start(struct sandbox_tracer **out, int listener,
			 const struct sandbox_config *cfg);

/*
 * Wait until every process using the filter is gone (the listener reports
 * POLLHUP; processes count until they are reaped) — or, if FORCE, stop now:
 * the listener is closed, and calls still waiting fail with ENOSYS, so
 * kill the step first — join the thread, move the trace into OUT, free the
 * tracer.  0, or -1 with err set when the thread failed (OUT still gets
 * what was recorded).
 */
int sandbox_tracer_finish(struct sandbox_tracer *t, struct sandbox_trace *out, int force);

#endif
