/*
 * trace.c - the supervisor side of the seccomp recorder: a thread that
 * receives each traced call, reads the path it names from the caller's
 * memory, makes it absolute, records it once and lets the call go on.
 *
 * The traced thread waits for us on every lookup, so the hot path (recv,
 * read the string, maybe one readlink, hash-set lookup, send) allocates
 * nothing once the scratch buffers have grown; only a new distinct event
 * allocates.  The numbers in the notification are host-side thread ids:
 * /proc/TID/... in our /proc names the traced thread.
 */
#include "sandbox-int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <elf.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* Linux 6.6; Debian 12's headers (6.1) lack them.  Values from the uapi. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* Bounds on what one execve's argv may cost us. */
#define ARGV_MAX_ARGS 4096
#define ARGV_MAX_TOTAL (1u << 20)
#define ARG_MAX_STRLEN (128u * 1024) /* the kernel's MAX_ARG_STRLEN */

/* An execve by a multi-threaded process, to be confirmed once done (see
 * exec_check_add()). */
struct exec_check {
	pid_t tid, tgid;
	uint64_t old_auxv; /* hash of the process's auxv before */
	char *filename; /* what the kernel must have read (bprm->filename) */
};

/* A tid -> inside-pid cache entry (open addressing, tid 0 = empty). */
struct pid_slot {
	pid_t tid;
	pid_t inside;
};

struct sandbox_tracer {
	int listener;
	int wake; /* eventfd: finish(force) */
	pthread_t thread;
	int failed;
	char errmsg[256];

	struct sandbox_trace trace;
	unsigned gen; /* symlink, rename and link calls seen so far */

	/* dedupe: slots hold event index + 1, 0 = empty; hashes parallel to
	 * trace.events */
	uint32_t *slots;
	size_t nslots;
	uint64_t *hashes;
	size_t alloc_hashes;

	struct pid_slot *pids;
	size_t npid_slots, npids;

	struct seccomp_notif *req;
	size_t req_size;
	int watch_stdin;
	dev_t stdin_dev;
	ino_t stdin_ino;
	long pagesize;

	/* opens done for multi-threaded callers (open_as()) */
	int own_fs; /* this thread's umask is its own: unshare(CLONE_FS) worked */
	int caps_up; /* cairn runs with effective capabilities (as root) */
	struct __user_cap_data_struct caps[2];
	struct exec_check *checks;
	size_t nchecks, alloc_checks;

	/* the config's named_root (event.named), or NULL */
	char *root;
	size_t rootlen;
	/* an execve was seen: before it, only cairn's own code ran in the
	 * sandbox (its chdir to the step's directory names no place of the
	 * step's) */
	int execed;

	/* scratch, reused across calls */
	struct strbuf raw, raw2, path, path2, tmp, join, lex;
	struct strbuf base; /* open_as(): the directory it started from, or "" */
	struct strvec argv;
};

/* The syscall number -> sandbox__traced index + 1 map, built once. */
static unsigned char *bynr;
static int nbynr;
static pthread_once_t bynr_once = PTHREAD_ONCE_INIT;

static void bynr_build(void)
{
	size_t i;
	int max = -1;
	for (i = 0; i < sandbox__ntraced; i++) {
		int nr = sandbox__sys_nr(&sandbox__traced[i]);
		if (nr > max)
			max = nr;
	}
	nbynr = max + 1;
	bynr = xcalloc((size_t)nbynr + 1, 1);
	for (i = 0; i < sandbox__ntraced; i++) {
		int nr = sandbox__sys_nr(&sandbox__traced[i]);
		if (nr >= 0)
			bynr[nr] = (unsigned char)(i + 1);
	}
}

const char *sandbox_op_name(enum sandbox_op op)
{
	static const char *const names[] = {
		[SANDBOX_OP_OPEN] = "open",	    [SANDBOX_OP_EXEC] = "exec",
		[SANDBOX_OP_STAT] = "stat",	    [SANDBOX_OP_ACCESS] = "access",
		[SANDBOX_OP_READLINK] = "readlink", [SANDBOX_OP_LIST] = "list",
		[SANDBOX_OP_CHDIR] = "chdir",	    [SANDBOX_OP_UNLINK] = "unlink",
		[SANDBOX_OP_RMDIR] = "rmdir",	    [SANDBOX_OP_MKDIR] = "mkdir",
		[SANDBOX_OP_RENAME] = "rename",	    [SANDBOX_OP_LINK] = "link",
		[SANDBOX_OP_SYMLINK] = "symlink",   [SANDBOX_OP_CHMOD] = "chmod",
		[SANDBOX_OP_CHOWN] = "chown",	    [SANDBOX_OP_TRUNCATE] = "truncate",
		[SANDBOX_OP_UTIME] = "utime",	    [SANDBOX_OP_MKNOD] = "mknod",
		[SANDBOX_OP_XATTR] = "xattr",	    [SANDBOX_OP_GETXATTR] = "getxattr",
		[SANDBOX_OP_GETCWD] = "getcwd",	    [SANDBOX_OP_TTY] = "tty",
	};
	if ((unsigned)op < ARRAY_SIZE(names) && names[op])
		return names[op];
	return "?";
}

int sandbox_event_writes(const struct sandbox_event *ev)
{
	return ev->op == SANDBOX_OP_OPEN &&
	    ((ev->flags & O_ACCMODE) != O_RDONLY || (ev->flags & (O_CREAT | O_TRUNC)));
}

void sandbox_trace_release(struct sandbox_trace *t)
{
	size_t i;
	for (i = 0; i < t->nevents; i++) {
		free(t->events[i].path);
		free(t->events[i].path2);
	}
	free(t->events);
	for (i = 0; i < t->nprocs; i++) {
		free(t->procs[i].exe);
		strvec_clear(&t->procs[i].argv);
	}
	free(t->procs);
	memset(t, 0, sizeof(*t));
}

/* ---- reading the traced process ------------------------------------------ */

/* Count N bytes written past SB's end (into room made by strbuf_grow())
 * as part of it: strbuf_setlen() only shortens. */
static void strbuf_commit(struct strbuf *sb, size_t n)
{
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

/*
 * Append the NUL-terminated string at ADDR in TID's memory to OUT, at most
 * MAX bytes.  Each read stops at a page end, so a string that ends just
 * before an unmapped page is read whole (process_vm_readv would fail the
 * part that crosses into it).  0, or -1 (unreadable, or longer than MAX).
 */
static int read_string(struct sandbox_tracer *t, pid_t tid, uint64_t addr, struct strbuf *out,
		       size_t max)
{
	size_t start = out->len;
	while (out->len - start < max) {
		size_t chunk = (size_t)t->pagesize - (size_t)(addr % (uint64_t)t->pagesize);
		struct iovec local, remote;
		ssize_t n;
		char *nul;

		if (chunk > max - (out->len - start))
			chunk = max - (out->len - start);
		strbuf_grow(out, chunk);
		local.iov_base = out->buf + out->len;
		local.iov_len = chunk;
		remote.iov_base = (void *)(uintptr_t)addr;
		remote.iov_len = chunk;
		n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			break;
		nul = memchr(out->buf + out->len, '\0', (size_t)n);
		if (nul) {
			strbuf_commit(out, (size_t)(nul - (out->buf + out->len)));
			return 0;
		}
		strbuf_commit(out, (size_t)n);
		addr += (uint64_t)n;
		if ((size_t)n < chunk)
			break;
	}
	strbuf_setlen(out, start);
	return -1;
}

static int read_mem(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	return process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* Append the target of the link /proc/TID/NAME to OUT.  0 or -1. */
static int proc_readlink(pid_t tid, const char *name, struct strbuf *out)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/%s", (int)tid, name);
	strbuf_grow(out, PATH_MAX);
	n = readlink(link, out->buf + out->len, PATH_MAX);
	if (n <= 0 || n >= PATH_MAX)
		return -1;
	strbuf_commit(out, (size_t)n);
	return 0;
}

/* Append the path of TID's directory DIRFD (AT_FDCWD: its cwd).  0, or -1
 * when it is not a path (a pipe, a socket, an unreachable directory). */
static int dir_path(pid_t tid, int dirfd, struct strbuf *out)
{
	size_t start = out->len;
	char name[32];

	if (dirfd == AT_FDCWD) {
		if (proc_readlink(tid, "cwd", out) < 0)
			return -1;
	} else {
		if (dirfd < 0)
			return -1;
		snprintf(name, sizeof(name), "fd/%d", dirfd);
		if (proc_readlink(tid, name, out) < 0)
			return -1;
	}
	if (out->buf[start] != '/') {
		strbuf_setlen(out, start);
		return -1;
	}
	return 0;
}

/* What /proc/PID/status says about a process. */
struct proc_status {
	pid_t tgid, ppid;
	pid_t inside; /* last field of NStgid */
	int levels; /* number of NStgid fields */
	int umask; /* -1 when the kernel does not say (before 4.7) */
};

static int read_status(pid_t pid, struct proc_status *st)
{
	char buf[8192], *p;

	memset(st, 0, sizeof(*st));
	if (util_proc_read(pid, "status", buf, sizeof(buf)) <= 0)
		return -1;
	st->umask = -1;
	if ((p = strstr(buf, "\nUmask:")))
		st->umask = (int)strtol(p + 7, NULL, 8);
	if ((p = strstr(buf, "\nTgid:")))
		st->tgid = (pid_t)strtol(p + 6, NULL, 10);
	if ((p = strstr(buf, "\nPPid:")))
		st->ppid = (pid_t)strtol(p + 6, NULL, 10);
	if ((p = strstr(buf, "\nNStgid:"))) {
		char *end;
		p += 8;
		for (;;) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			st->inside = (pid_t)v;
			st->levels++;
			p = end;
		}
	} else {
		/* Kernels before 4.1 have no NStgid: no namespaces to see. */
		st->inside = st->tgid;
		st->levels = 1;
	}
	return st->tgid > 0 ? 0 : -1;
}

/* The process id of thread TID as the step sees it; cached per tid. */
static pid_t inside_pid(struct sandbox_tracer *t, pid_t tid)
{
	struct proc_status st;
	size_t i, mask;

	if (t->npids * 2 >= t->npid_slots) {
		struct pid_slot *old = t->pids;
		size_t nold = t->npid_slots;
		t->npid_slots = nold ? nold * 2 : 64;
		t->pids = xcalloc(t->npid_slots, sizeof(*t->pids));
		mask = t->npid_slots - 1;
		for (i = 0; i < nold; i++) {
			size_t j = (size_t)old[i].tid & mask;
			if (!old[i].tid)
				continue;
			while (t->pids[j].tid)
				j = (j + 1) & mask;
			t->pids[j] = old[i];
		}
		free(old);
	}
	mask = t->npid_slots - 1;
	for (i = (size_t)tid & mask; t->pids[i].tid; i = (i + 1) & mask)
		if (t->pids[i].tid == tid)
			return t->pids[i].inside;
	if (read_status(tid, &st) < 0)
		return 0; /* gone: do not cache, the tid may come back */
	t->pids[i].tid = tid;
	t->pids[i].inside = st.inside;
	t->npids++;
	return st.inside;
}

/* ---- paths ------------------------------------------------------------------ */

/* Does PATH start with the component sequence PREFIX ("/dev/fd")? Returns
 * what follows (at '/' or '\0'), or NULL. */
static const char *skip_prefix_path(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(path, prefix, n) || (path[n] && path[n] != '/'))
		return NULL;
	return path + n;
}

/* Parse a decimal component at *P ("12/..." or "12"); advance past it. */
static int parse_num(const char **p, long *out)
{
	char *end;
	if (**p < '0' || **p > '9')
		return -1;
	*out = strtol(*p, &end, 10);
	if (*end && *end != '/')
		return -1;
	*p = end;
	return 0;
}

/*
 * Paths that name a descriptor or another process-relative object
 * (/dev/fd/N, /dev/stdin, /proc/self/fd/N, /proc/thread-self/cwd,
 * /proc/<own pid>/root...) are replaced by what the object names, when
 * that is a path; pipes and sockets keep the name the process used.
 * Only the process's own /proc entries are translated: another pid would
 * need a search through the step's pid namespace.
 */
/*
 * Replace a magic link at the start of PATH by what it names.  0: not
 * one; 1: replaced, something followed the link; 2: PATH was the link
 * itself.
 */
static int translate_special(struct sandbox_tracer *t, pid_t tid, struct strbuf *path)
{
	const char *p = path->buf, *rest;
	char name[32];
	long num;
	size_t n;
	int whole;

	if (strncmp(p, "/dev/", 5) && strncmp(p, "/proc/", 6))
		return 0;
	if ((rest = skip_prefix_path(p, "/dev/stdin"))) {
		num = 0;
	} else if ((rest = skip_prefix_path(p, "/dev/stdout"))) {
		num = 1;
	} else if ((rest = skip_prefix_path(p, "/dev/stderr"))) {
		num = 2;
	} else if ((rest = skip_prefix_path(p, "/dev/fd"))) {
		if (*rest != '/')
			return 0;
		rest++;
		if (parse_num(&rest, &num) < 0)
			return 0;
	} else {
		/* /proc/self, /proc/thread-self or /proc/<own pid>, then fd/N,
		 * cwd, root or exe.  Self is served from the thread's entry:
		 * threads share fds and cwd unless they unshare them, and then
		 * the thread's entry is the one the kernel uses. */
		if (!(rest = skip_prefix_path(p, "/proc/self")) &&
		    !(rest = skip_prefix_path(p, "/proc/thread-self"))) {
			const char *q = p + 6;
			if (parse_num(&q, &num) < 0 || num != (long)inside_pid(t, tid))
				return 0;
			rest = q;
		}
		if (*rest != '/')
			return 0;
		rest++;
		if (!strncmp(rest, "fd/", 3)) {
			rest += 3;
			if (parse_num(&rest, &num) < 0)
				return 0;
		} else {
			const char *what = NULL;
			const char *const links[] = { "cwd", "root", "exe" };
			size_t i;
			for (i = 0; i < ARRAY_SIZE(links) && !what; i++) {
				const char *r = skip_prefix_path(rest, links[i]);
				if (r) {
					what = links[i];
					rest = r;
				}
			}
			if (!what)
				return 0;
			strbuf_reset(&t->tmp);
			if (proc_readlink(tid, what, &t->tmp) < 0 || t->tmp.buf[0] != '/')
				return 0;
			goto replace;
		}
	}
	snprintf(name, sizeof(name), "fd/%ld", num);
	strbuf_reset(&t->tmp);
	if (proc_readlink(tid, name, &t->tmp) < 0 || t->tmp.buf[0] != '/')
		return 0;
replace:
	/* The target is physical: a ".." right after it is its parent. */
	n = t->tmp.len;
	whole = !*rest;
	strbuf_addstr(&t->tmp, rest);
	util_path_clean(&t->tmp, n);
	strbuf_reset(path);
	strbuf_addbuf(path, &t->tmp);
	return whole ? 2 : 1;
}

/* Is PATH (absolute) the tracer's root or below it? */
static int under_root(const struct sandbox_tracer *t, const char *path)
{
	return !strncmp(path, t->root, t->rootlen) &&
	    (path[t->rootlen] == '/' || !path[t->rootlen] || t->rootlen == 1);
}

/* Has relative path REL a ".." component? */
static int has_dotdot(const char *rel)
{
	const char *p = rel;
	while ((p = strstr(p, ".."))) {
		if ((p == rel || p[-1] == '/') && (!p[2] || p[2] == '/'))
			return 1;
		p += 2;
	}
	return 0;
}

/*
 * Walking JOINED (an absolute directory of LEN bytes, then "/" and a
 * relative path) a component at a time, as written, does the walk pass
 * between the root and what lies outside it (`../p/data` from the root
 * p, or `../x` out of it)?
 */
static int crosses_root(struct sandbox_tracer *t, const char *joined, size_t len)
{
	const char *p = joined + len, *end;
	int inside;
	strbuf_reset(&t->lex);
	strbuf_add(&t->lex, joined, len);
	inside = under_root(t, t->lex.buf);
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		if (end - p == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(t->lex.buf, '/');
			strbuf_setlen(&t->lex,
				      slash && slash != t->lex.buf ? (size_t)(slash - t->lex.buf)
								   : 1);
		} else if (!(end - p == 1 && p[0] == '.')) {
			if (t->lex.len > 1)
				strbuf_addch(&t->lex, '/');
			strbuf_add(&t->lex, p, (size_t)(end - p));
		}
		if (under_root(t, t->lex.buf) != inside)
			return 1;
		p = end;
	}
	return 0;
}

/*
 * Make REL (a path TID named relative to DIRFD) absolute into OUT, as the
 * kernel would start its lookup, cleaned by util_path_clean(): the base
 * directory is as the kernel printed it, so a ".." into it is taken away
 * here; one after a component of REL stays (that component may be a
 * symlink, whose ".." is its target's parent: exec/ resolves it).  A
 * magic link (/proc/self/fd/N, /dev/stdin...) at the start is replaced by
 * what it names, and a ".." after it is taken from there.  0, or -1 when
 * the base is not a path.
 */
static int make_absolute(struct sandbox_tracer *t, pid_t tid, int dirfd, const char *rel,
			 struct strbuf *out, unsigned *named)
{
	size_t physical = 1;
	int crossed = 0, magic, start_in = 1;

	strbuf_reset(out);
	if (rel[0] != '/') {
		if (dir_path(tid, dirfd, out) < 0)
			return -1;
		physical = out->len;
		strbuf_addch(out, '/');
	}
	strbuf_addstr(out, rel);
	if (t->root && rel[0] != '/' && has_dotdot(rel))
		crossed = crosses_root(t, out->buf, physical);
	else if (t->root && rel[0] != '/')
		start_in = !strncmp(out->buf, t->root, t->rootlen) &&
		    (physical == t->rootlen || out->buf[t->rootlen] == '/' || t->rootlen == 1);
	util_path_clean(out, physical);
	magic = translate_special(t, tid, out);
	/* From outside the project into it by name (`cd ..; cat p/data`). */
	if (!start_in && t->root && rel[0] != '/' && !magic && under_root(t, out->buf))
		crossed = 1;
	if (named && t->root && t->execed) {
		if (crossed)
			*named |= SANDBOX_NAMED_CLIMB;
		if (rel[0] == '/' && !magic && under_root(t, out->buf))
			*named |= SANDBOX_NAMED_PATH;
		if (magic == 2 && under_root(t, out->buf))
			*named |= SANDBOX_NAMED_MAGIC;
	}
	return 0;
}

/* ---- recording ---------------------------------------------------------------- */

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static unsigned event_class(const struct sandbox_event *ev)
{
	return (unsigned)sandbox_event_writes(ev) | (ev->nofollow ? 2u : 0u);
}

static uint64_t event_hash(const struct sandbox_event *ev, size_t len, size_t len2)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char head[2] = { (unsigned char)ev->op, (unsigned char)event_class(ev) };
	h = hash_bytes(h, (const char *)head, 2);
	h = hash_bytes(h, (const char *)&ev->gen, sizeof(ev->gen));
	/* A listing and an exec are kept once per process: whose listing
	 * it was tells what it was for (exec/trace.c, GDAL's look for
	 * sidecars). */
	if (ev->op == SANDBOX_OP_LIST || ev->op == SANDBOX_OP_EXEC || ev->op == SANDBOX_OP_GETCWD ||
	    ev->op == SANDBOX_OP_TTY)
		h = hash_bytes(h, (const char *)&ev->pid, sizeof(ev->pid));
	if (ev->op == SANDBOX_OP_GETCWD || ev->op == SANDBOX_OP_TTY)
		h = hash_bytes(h, (const char *)&ev->flags, sizeof(ev->flags));
	h = hash_bytes(h, ev->path, len);
	if (ev->path2)
		h = hash_bytes(h ^ 0xff, ev->path2, len2);
	return h;
}

static int event_same(const struct sandbox_event *a, const struct sandbox_event *b)
{
	if (a->op != b->op || a->gen != b->gen || event_class(a) != event_class(b) ||
	    ((a->op == SANDBOX_OP_LIST || a->op == SANDBOX_OP_EXEC || a->op == SANDBOX_OP_GETCWD ||
	      a->op == SANDBOX_OP_TTY) &&
	     a->pid != b->pid) ||
	    ((a->op == SANDBOX_OP_GETCWD || a->op == SANDBOX_OP_TTY) && a->flags != b->flags) ||
	    strcmp(a->path, b->path))
		return 0;
	if (!a->path2 || !b->path2)
		return a->path2 == b->path2;
	return !strcmp(a->path2, b->path2);
}

static void slots_grow(struct sandbox_tracer *t);

/* Is an event equal to EV recorded already? */
static int event_known(struct sandbox_tracer *t, const struct sandbox_event *ev)
{
	uint64_t h = event_hash(ev, strlen(ev->path), ev->path2 ? strlen(ev->path2) : 0);
	size_t mask, i;
	if (!t->nslots)
		return 0;
	mask = t->nslots - 1;
	for (i = (size_t)h & mask; t->slots[i]; i = (i + 1) & mask) {
		size_t k = t->slots[i] - 1;
		if (t->hashes[k] == h && event_same(&t->trace.events[k], ev))
			return 1;
	}
	return 0;
}

static void slots_grow(struct sandbox_tracer *t)
{
	size_t i, mask;
	free(t->slots);
	t->nslots = t->nslots ? t->nslots * 2 : 1024;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	mask = t->nslots - 1;
	for (i = 0; i < t->trace.nevents; i++) {
		size_t j = (size_t)t->hashes[i] & mask;
		while (t->slots[j])
			j = (j + 1) & mask;
		t->slots[j] = (uint32_t)(i + 1);
	}
}

/*
 * Record EV (whose strings are borrowed: the scratch buffers) unless an
 * equal event is already there; the copy owns its strings.  PID_TID is the
 * thread the event came from.
 */
static void record(struct sandbox_tracer *t, struct sandbox_event *ev, size_t len, size_t len2,
		   pid_t tid)
{
	uint64_t h = event_hash(ev, len, len2);
	size_t mask, i;
	struct sandbox_event *copy;

	if (t->trace.nevents * 2 >= t->nslots)
		slots_grow(t);
	mask = t->nslots - 1;
	for (i = (size_t)h & mask; t->slots[i]; i = (i + 1) & mask) {
		size_t k = t->slots[i] - 1;
		if (t->hashes[k] == h && event_same(&t->trace.events[k], ev)) {
			t->trace.events[k].named |= ev->named;
			return;
		}
	}
	ALLOC_GROW(t->trace.events, t->trace.nevents + 1, t->trace.alloc_events);
	ALLOC_GROW(t->hashes, t->trace.nevents + 1, t->alloc_hashes);
	copy = &t->trace.events[t->trace.nevents];
	*copy = *ev;
	copy->path = xstrndup(ev->path, len);
	copy->path2 = ev->path2 ? xstrndup(ev->path2, len2) : NULL;
	copy->pid = inside_pid(t, tid);
	t->hashes[t->trace.nevents] = h;
	t->slots[i] = (uint32_t)(++t->trace.nevents);
}

static void record_path(struct sandbox_tracer *t, enum sandbox_op op, int flags, int nofollow,
			const struct strbuf *path, pid_t tid)
{
	struct sandbox_event ev = { op,	       flags, nofollow, inside_pid(t, tid),
				    path->buf, NULL,  t->gen,	0 };
	record(t, &ev, path->len, 0, tid);
}

/* Read the argv array at ADDR in TID into t->argv, bounded: pointers
 * are read a page-bounded batch at a time.  0 or -1. */
static int read_argv(struct sandbox_tracer *t, pid_t tid, uint64_t addr)
{
	uintptr_t ptrs[64];
	size_t total = 0, have = 0, pos = 0, i;

	strvec_clear(&t->argv);
	if (!addr)
		return 0; /* Linux runs it with an empty argv */
	for (i = 0; i < ARGV_MAX_ARGS; i++, pos++) {
		if (pos == have) {
			size_t to_end =
			    (size_t)t->pagesize - (size_t)(addr % (uint64_t)t->pagesize);
			size_t want = to_end < sizeof(ptrs) ? to_end : sizeof(ptrs);
			struct iovec local = { ptrs, want };
			struct iovec remote = { (void *)(uintptr_t)addr, want };
			ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
			if (n < (ssize_t)sizeof(ptrs[0]))
				return -1;
			have = (size_t)n / sizeof(ptrs[0]);
			addr += have * sizeof(ptrs[0]);
			pos = 0;
		}
		if (!ptrs[pos])
			break;
		strbuf_reset(&t->tmp);
		if (read_string(t, tid, ptrs[pos], &t->tmp, ARG_MAX_STRLEN) < 0)
			return -1;
		total += t->tmp.len + 1;
		if (total > ARGV_MAX_TOTAL)
			break;
		strvec_push(&t->argv, t->tmp.buf);
	}
	return 0;
}

/*
 * The kernel rewrites one exec at most this many times (a #! script whose
 * interpreter is a #! script...; fs/exec.c allows "4 levels of binfmt
 * rewrites" and fails the exec with ELOOP beyond): a bound on what we
 * follow, with one level to spare.
 */
#define EXEC_MAX_DEPTH 6

/*
 * Look at the program PATH (as the step names it) through ROOTFD, the
 * caller's root.  *OK: it is an executable regular file.  Records what
 * the kernel itself opens to run it, which no system call shows: for an
 * ELF program its loader (PT_INTERP, an OPEN); for a #! script its
 * interpreter (an EXEC), whose absolute path is then left in t->path2
 * and 1 returned, for the caller to look at the interpreter in turn.
 * PATH may point into t->path2: it is used before t->path2 is written.
 */
static int inspect_program(struct sandbox_tracer *t, pid_t tid, int rootfd, const char *path,
			   int *ok)
{
	/* O_PATH first: opening a FIFO for reading would block this thread
	 * and opening a device can have effects; only a regular file is
	 * opened for reading, through its O_PATH descriptor. */
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	char link[64], head[4096];
	struct stat st;
	int pfd = -1, fd = -1, script = 0;
	ssize_t n;

	*ok = 0;
	pfd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (pfd < 0 || fstat(pfd, &st) < 0)
		goto out;
	*ok = S_ISREG(st.st_mode) && (st.st_mode & 0111);
	if (!*ok)
		goto out;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd);
	fd = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		goto out; /* executable but not readable: still a program */
	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n < 4)
		goto out;
	head[n] = '\0';
	if (head[0] == '#' && head[1] == '!') {
		char *s = head + 2, *e;
		while (*s == ' ' || *s == '\t')
			s++;
		for (e = s; *e && *e != ' ' && *e != '\t' && *e != '\n'; e++)
			;
		*e = '\0';
		/* The kernel opens a relative interpreter from the caller's
		 * working directory. */
		if (*s && make_absolute(t, tid, AT_FDCWD, s, &t->path2, NULL) == 0) {
			record_path(t, SANDBOX_OP_EXEC, 0, 0, &t->path2, tid);
			script = 1;
		}
	} else if ((size_t)n >= sizeof(Elf64_Ehdr) && !memcmp(head, ELFMAG, SELFMAG) &&
		   head[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;
		unsigned i;
		memcpy(&eh, head, sizeof(eh));
		for (i = 0; i < eh.e_phnum && i < 64; i++) {
			Elf64_Phdr ph;
			char interp[PATH_MAX];
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * eh.e_phentsize)) !=
			    (ssize_t)sizeof(ph))
				break;
			if (ph.p_type != PT_INTERP)
				continue;
			if (!ph.p_filesz || ph.p_filesz >= sizeof(interp) ||
			    pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) !=
				(ssize_t)ph.p_filesz)
				break;
			interp[ph.p_filesz - 1] = '\0';
			if (make_absolute(t, tid, AT_FDCWD, interp, &t->path2, NULL) == 0)
				record_path(t, SANDBOX_OP_OPEN, O_RDONLY | O_CLOEXEC, 0, &t->path2,
					    tid);
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
	return script;
}

/*
 * Look at the file an execve names, through the caller's root
 * (/proc/TID/root, so inside the step's mount namespace).  Returns 1 when
 * it looks executable (an executable regular file).  Follows a chain of
 * #! interpreters (each an EXEC) down to the program that finally runs
 * and records its ELF loader, as the kernel would run them.
 */
static int inspect_exec(struct sandbox_tracer *t, pid_t tid, const char *path)
{
	char root[64];
	int rootfd, ok = 0, ok_next, depth;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)tid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return 0;
	if (inspect_program(t, tid, rootfd, path, &ok))
		for (depth = 1; depth < EXEC_MAX_DEPTH; depth++)
			if (!inspect_program(t, tid, rootfd, t->path2.buf, &ok_next))
				break;
	close(rootfd);
	return ok;
}

static void record_exec(struct sandbox_tracer *t, pid_t tid, const struct strbuf *exe)
{
	struct proc_status st, pst;
	struct sandbox_proc *p;

	if (!inspect_exec(t, tid, exe->buf))
		return;
	if (read_status(tid, &st) < 0)
		return;
	ALLOC_GROW(t->trace.procs, t->trace.nprocs + 1, t->trace.alloc_procs);
	p = &t->trace.procs[t->trace.nprocs++];
	p->pid = st.inside;
	p->ppid = 0;
	/* The parent counts as inside when it sits in the same pid namespace
	 * depth: the step's first process has its parent outside. */
	if (st.ppid > 0 && read_status(st.ppid, &pst) == 0 && pst.levels == st.levels)
		p->ppid = pst.inside;
	p->exe = xstrdup(exe->buf);
	p->argv = t->argv;
	strvec_init(&t->argv);
}

/* ---- opening for a multi-threaded caller ----------------------------------- */

/*
 * After CONTINUE the kernel reads the path from the caller's memory once
 * more; another thread of the caller can change it in between, and the
 * file opened is then not the one recorded.  A thread whose process has
 * other threads therefore gets its open done by us: we open the path we
 * read and recorded, in the step's view, and send the descriptor
 * (SECCOMP_IOCTL_NOTIF_ADDFD), or the error.  A single-threaded caller
 * takes the old path: nothing of its process runs while it waits for us.
 * When we cannot open as the step would (see open_as()), the kernel does
 * it (LET_KERNEL), and docs/sandbox.md lists those cases.
 */
#define LET_KERNEL (-1)

/* What an open asks for. */
struct open_req {
	int flags;
	mode_t mode;
	int umask; /* the caller's, or -1 */
};

/* Threads in TID's thread group, 0 when it is gone: the task directory has
 * one link per thread besides its own two. */
static int thread_count(pid_t tid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)tid);
	if (stat(path, &st) < 0 || st.st_nlink < 2)
		return 0;
	return (int)(st.st_nlink - 2);
}

/* Is FD on a kernel filesystem whose files depend on who opens them
 * (/proc/self, credentials, the opener's namespaces)?  The step opens
 * those itself: they are not data the record keeps. */
static int on_pseudo_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return 1;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case BPF_FS_MAGIC:
	case DEVPTS_SUPER_MAGIC:
		return 1;
	default:
		return 0;
	}
}

/* Our errno E as an outcome: what only our rights, limits or resolution
 * flags caused is left to the kernel; EXDEV asks the caller to resolve
 * another way. */
static int open_outcome(int e)
{
	switch (e) {
	case EACCES: /* the step, root of its namespace, may override */
	case EPERM:
	case EMFILE: /* our descriptor table, not the step's */
	case ENFILE:
	case ENOMEM:
	case EINTR:
	case EAGAIN:
	case EINVAL: /* a flag combination openat2 refuses and open ignores */
	case E2BIG:
	case ENOSYS:
		return LET_KERNEL;
	default:
		return e;
	}
}

/* Lower (LOWER) or restore our effective capabilities, on this thread
 * only (the raw call; glibc would not broadcast it anyway).  0 or -1. */
static int caps_set(struct sandbox_tracer *t, int lower)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (!t->caps_up)
		return 0;
	memcpy(d, t->caps, sizeof(d));
	if (lower)
		d[0].effective = d[1].effective = 0;
	return (int)syscall(SYS_capset, &h, d);
}

/* Create NAME (absent when we looked) below BASE with the caller's
 * umask; see open_in(). */
static int create_in(struct sandbox_tracer *t, int base, const char *name, uint64_t resolve,
		     const struct open_req *r, int *out)
{
	struct open_how how = { 0 };
	mode_t old;
	int fd, e;

	if (!t->own_fs || r->umask < 0)
		return LET_KERNEL;
	/* O_EXCL: never open what appeared meanwhile (a FIFO would block
	 * us).  Without the caller's O_EXCL, EEXIST means just that, or a
	 * dangling symlink, which the kernel would follow: its call. */
	how.flags = (uint64_t)(unsigned)(r->flags | O_EXCL | O_CLOEXEC | O_NOCTTY);
	how.mode = r->mode & 07777;
	how.resolve = resolve;
	old = umask((mode_t)r->umask); /* this thread's own, after unshare(CLONE_FS) */
	fd = (int)syscall(SYS_openat2, base, name, &how, sizeof(how));
	e = errno;
	umask(old);
	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (e == EEXIST && !(r->flags & O_EXCL))
		return LET_KERNEL;
	return open_outcome(e);
}

/*
 * Open NAME below BASE with RESOLVE as R asks, into *OUT: 0, an errno
 * for the caller, EXDEV when the resolution left what RESOLVE allows, or
 * LET_KERNEL.  A look first (O_PATH) says what is there: only regular
 * files and directories are opened (a FIFO would block us, a device or a
 * terminal would be opened by cairn, not by the step); the file itself is
 * then opened through that look, so it is the same one.  With DOUBTFUL
 * (the lookup may have crossed into another filesystem), a failed look
 * is left to the kernel: /proc/self names nothing for us.
 */
static int open_in_lowered(struct sandbox_tracer *t, int base, const char *name, uint64_t resolve,
			   const struct open_req *r, int doubtful, int *out)
{
	struct open_how how = { 0 };
	int excl = (r->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	char self[64];
	struct stat st;
	int pfd, fd, ret;

	how.flags = O_PATH | O_CLOEXEC | (uint64_t)(unsigned)(r->flags & O_DIRECTORY);
	if (excl || (r->flags & O_NOFOLLOW))
		how.flags |= O_NOFOLLOW; /* O_EXCL never follows the last link */
	how.resolve = resolve;
	pfd = (int)syscall(SYS_openat2, base, name, &how, sizeof(how));
	if (pfd < 0) {
		int e = errno;
		if (e == ENOENT && (r->flags & O_CREAT)) {
			ret = create_in(t, base, name, resolve, r, out);
			return doubtful && ret > 0 ? LET_KERNEL : ret;
		}
		if (e == EXDEV)
			return EXDEV;
		return doubtful ? LET_KERNEL : open_outcome(e);
	}
	if (fstat(pfd, &st) < 0 || on_pseudo_fs(pfd))
		ret = LET_KERNEL;
	else if (excl)
		ret = EEXIST;
	else if (S_ISLNK(st.st_mode))
		ret = ELOOP; /* O_NOFOLLOW met a symlink */
	else if (S_ISDIR(st.st_mode) && (r->flags & O_CREAT))
		ret = EISDIR;
	else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		ret = LET_KERNEL;
	else {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
		fd = open(self,
			  (r->flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			*out = fd;
			ret = 0;
		} else {
			ret = open_outcome(errno);
		}
	}
	close(pfd);
	return ret;
}

/* open_in_lowered() without our capabilities, if we have any: as root,
 * cairn could open what the step may not.  Only around the opens: /proc
 * of the step's processes wants them where the step shares our user
 * namespace (no sandbox, bench/trace-run). */
static int open_in(struct sandbox_tracer *t, int base, const char *name, uint64_t resolve,
		   const struct open_req *r, int doubtful, int *out)
{
	int ret;

	if (caps_set(t, 1) < 0)
		return LET_KERNEL;
	ret = open_in_lowered(t, base, name, resolve, r, doubtful, out);
	if (caps_set(t, 0) < 0) {
		/* Cannot be (raising back what we had); say so rather than
		 * go on without them. */
		t->failed = 1;
		snprintf(t->errmsg, sizeof(t->errmsg), "seccomp tracer: restoring capabilities: %s",
			 strerror(errno));
	}
	return ret;
}

/*
 * Open RAW, as TID gave it (relative to its DIRFD), as a path from the
 * step's root: its directory's path (as the step sees it) and RAW joined,
 * for when RAW leaves the directory ("..", an absolute symlink).  The
 * directory must still be at that path.
 */
static int open_joined(struct sandbox_tracer *t, pid_t tid, int dirfd, const char *raw, int base,
		       const struct open_req *r, int *out)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT };
	struct stat a, b;
	char link[64];
	int root = -1, dir = -1, ret = LET_KERNEL;

	strbuf_reset(&t->join);
	if (dir_path(tid, dirfd, &t->join) < 0)
		goto out;
	snprintf(link, sizeof(link), "/proc/%d/root", (int)tid);
	root = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		goto out;
	dir = (int)syscall(SYS_openat2, root, t->join.buf, &how, sizeof(how));
	if (dir < 0 || fstat(dir, &a) < 0 || fstat(base, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		goto out;
	strbuf_addch(&t->join, '/');
	strbuf_addstr(&t->join, raw);
	ret = open_in(t, root, t->join.buf, RESOLVE_IN_ROOT, r, 1, out);
	if (ret > 0)
		ret = LET_KERNEL;
out:
	if (dir >= 0)
		close(dir);
	if (root >= 0)
		close(root);
	return ret;
}

/*
 * Open RAW as thread TID would: relative to its DIRFD (AT_FDCWD: its
 * working directory), an absolute path in its root.  0 with the
 * descriptor in *OUT, an errno the call is to fail with, or LET_KERNEL.
 *
 * The lookup starts at /proc/TID/{cwd,fd/N,root}, so it sees the step's
 * mounts; RESOLVE_IN_ROOT keeps absolute symlinks and ".." in the step's
 * root, RESOLVE_BENEATH keeps a relative lookup below its directory
 * (what leaves it is joined to the directory's path and done from the
 * root).  Both refuse magic links (/proc/self/fd/N...): those are left
 * to the kernel.  A first try refuses to cross mounts (RESOLVE_NO_XDEV),
 * so that its failures are certain.  Rights: cairn runs as the user the
 * step's root maps to, without capabilities (lowered when cairn runs as
 * root), so what we may open the step may too; what we may not is left
 * to the kernel, since the step's root may override permissions on the
 * user's files.  Created files get the caller's umask and, like the
 * step's, the user's ids.  For a relative RAW, t->base is then the path
 * of the directory the lookup started from (see answer_open()).
 */
static int open_as(struct sandbox_tracer *t, pid_t tid, int dirfd, const char *raw,
		   const struct open_req *r, int *out)
{
	char link[64];
	int base = -1, rel = raw[0] != '/', ret;
	ssize_t n;
	uint64_t resolve = rel ? RESOLVE_BENEATH : RESOLVE_IN_ROOT;

	strbuf_reset(&t->base);
	if (!rel)
		snprintf(link, sizeof(link), "/proc/%d/root", (int)tid);
	else if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", (int)tid);
	else if (dirfd < 0)
		return EBADF;
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)tid, dirfd);
	base = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (base < 0) {
		/* not open in the caller: EBADF; not a directory: ENOTDIR */
		if (rel && dirfd != AT_FDCWD && (errno == ENOENT || errno == ENOTDIR))
			ret = errno == ENOENT ? EBADF : ENOTDIR;
		else
			ret = LET_KERNEL;
		goto out;
	}
	if (on_pseudo_fs(base)) {
		ret = LET_KERNEL;
		goto out;
	}
	if (rel) {
		/* as the step sees it, like /proc/TID/cwd: d_path() stops at
		 * the root of the step's mount namespace */
		snprintf(link, sizeof(link), "/proc/self/fd/%d", base);
		strbuf_grow(&t->base, PATH_MAX);
		n = readlink(link, t->base.buf, PATH_MAX);
		if (n > 0 && n < PATH_MAX && t->base.buf[0] == '/')
			strbuf_commit(&t->base, (size_t)n);
	}
	ret = open_in(t, base, raw, resolve | RESOLVE_NO_XDEV, r, 0, out);
	if (ret == EXDEV)
		ret = open_in(t, base, raw, resolve, r, 1, out);
	if (ret == EXDEV && rel)
		ret = open_joined(t, tid, dirfd, raw, base, r, out);
	if (ret == EXDEV)
		ret = LET_KERNEL; /* a magic link */
out:
	if (base >= 0)
		close(base);
	return ret;
}

/*
 * Answer REQ, an open of RAW by a thread that may share its memory with
 * other threads: 1 when answered here (the descriptor sent), else 0 with
 * RESP set (CONTINUE, or the error).  RECORDED is the path recorded for
 * it (NOFOLLOW as recorded).
 */
static int answer_open(struct sandbox_tracer *t, const struct seccomp_notif *req, int dirfd,
		       const char *raw, const struct open_req *r, const struct strbuf *recorded,
		       int nofollow, struct seccomp_notif_resp *resp)
{
	struct seccomp_notif_addfd add;
	int fd = -1, ret, e;

	/* O_PATH and O_TMPFILE read no data: nothing to keep exact;
	 * O_CREAT|O_DIRECTORY fails, EINVAL since Linux 6.4, else odd. */
	if ((r->flags & O_PATH) || (r->flags & O_TMPFILE) == O_TMPFILE ||
	    (r->flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
		return 0;
	ret = open_as(t, (pid_t)req->pid, dirfd, raw, r, &fd);
	if (ret == LET_KERNEL)
		return 0;
	/* Another thread can change the working directory (or DIRFD) too,
	 * between our reading it for the record and our open: what the open
	 * looked up is recorded as well, if it differs. */
	if (t->base.len) {
		strbuf_reset(&t->join);
		strbuf_addbuf(&t->join, &t->base);
		strbuf_addch(&t->join, '/');
		strbuf_addstr(&t->join, raw);
		if (make_absolute(t, (pid_t)req->pid, AT_FDCWD, t->join.buf, &t->path2, NULL) ==
			0 &&
		    strcmp(t->path2.buf, recorded->buf))
			record_path(t, SANDBOX_OP_OPEN, r->flags, nofollow, &t->path2,
				    (pid_t)req->pid);
	}
	if (ret > 0) {
		resp->flags = 0;
		resp->error = -ret;
		resp->val = 0;
		return 0;
	}
	memset(&add, 0, sizeof(add));
	add.id = req->id;
	add.flags = SECCOMP_ADDFD_FLAG_SEND;
	add.srcfd = (__u32)fd;
	add.newfd_flags = (r->flags & O_CLOEXEC) ? O_CLOEXEC : 0;
	ret = ioctl(t->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	e = errno;
	close(fd);
	if (ret >= 0 || e == ENOENT) {
		t->trace.opened++;
		return 1; /* sent; or the caller is gone or interrupted */
	}
	/* EMFILE: the caller's table is full, as its open would have found */
	resp->flags = 0;
	resp->error = -e;
	resp->val = 0;
	return 0;
}

/* ---- execs by a multi-threaded process ---------------------------------- */

/*
 * An execve reads its path again after CONTINUE too, and the recorder
 * cannot run a program for the caller; the kernel ends the other threads
 * only once the file is open.  So the exec is confirmed afterwards: the
 * kernel leaves the name it executed on the new program's stack
 * (AT_EXECFN in /proc/TGID/auxv), which must be the name recorded.  Each
 * notification looks at the pending checks (none, almost always): a new
 * auxv with the recorded name confirms; the caller making another call
 * with its old auxv says the exec failed; another name, or a process gone
 * before we could look, counts as lost (the step is then not cached).
 */

/* Read TGID's auxv into BUF (SIZE bytes).  Its length, or -1. */
static ssize_t read_auxv(pid_t tgid, unsigned long *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n > 0 ? n : -1;
}

/* Start a check for TID's exec of RAW (relative to DIRFD), as the handler
 * read it. */
static void exec_check_add(struct sandbox_tracer *t, pid_t tid, int dirfd, const char *raw)
{
	unsigned long auxv[128];
	struct proc_status st;
	struct exec_check *c;
	ssize_t n;

	if (read_status(tid, &st) < 0 || (n = read_auxv(st.tgid, auxv, sizeof(auxv))) < 0) {
		t->trace.lost++; /* cannot be: it waits for us */
		return;
	}
	ALLOC_GROW(t->checks, t->nchecks + 1, t->alloc_checks);
	c = &t->checks[t->nchecks++];
	c->tid = tid;
	c->tgid = st.tgid;
	c->old_auxv = hash_bytes(0xcbf29ce484222325ull, (const char *)auxv, (size_t)n);
	/* the kernel's alloc_bprm() */
	if (dirfd == AT_FDCWD || raw[0] == '/')
		c->filename = xstrdup(raw);
	else if (!raw[0])
		c->filename = xstrfmt("/dev/fd/%d", dirfd);
	else
		c->filename = xstrfmt("/dev/fd/%d/%s", dirfd, raw);
}

/* Is the check C done?  Sets *BAD when it failed.  CALLER makes the call
 * now handled. */
static int exec_check_done(struct sandbox_tracer *t, const struct exec_check *c, pid_t caller,
			   int *bad)
{
	unsigned long auxv[128];
	ssize_t n = read_auxv(c->tgid, auxv, sizeof(auxv));
	size_t i;

	*bad = 1;
	if (n < 0)
		return 1; /* gone (or a zombie) before we looked */
	if (hash_bytes(0xcbf29ce484222325ull, (const char *)auxv, (size_t)n) == c->old_auxv) {
		*bad = 0;
		return caller == c->tid; /* the caller again, as it was: it failed */
	}
	for (i = 0; i + 1 < (size_t)n / sizeof(auxv[0]); i += 2) {
		if (auxv[i] != AT_EXECFN)
			continue;
		strbuf_reset(&t->tmp);
		if (read_string(t, c->tgid, auxv[i + 1], &t->tmp, PATH_MAX + 64) == 0 &&
		    !strcmp(t->tmp.buf, c->filename))
			*bad = 0;
		break;
	}
	return 1;
}

/* Look at the pending exec checks. */
static void exec_checks_run(struct sandbox_tracer *t, pid_t caller)
{
	size_t i = 0;

	while (i < t->nchecks) {
		int bad;
		if (!exec_check_done(t, &t->checks[i], caller, &bad)) {
			i++;
			continue;
		}
		if (bad)
			t->trace.lost++;
		free(t->checks[i].filename);
		t->checks[i] = t->checks[--t->nchecks];
	}
}

/* ---- one notification ------------------------------------------------------- */

static int id_valid(struct sandbox_tracer *t, uint64_t id)
{
	return ioctl(t->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* Does opening PATH (as the step wrote it) with FLAGS read standard input
 * or the terminal? */
static int names_stdin(const char *path, int flags)
{
	const char *p;
	/* bash opens the terminal non-blocking at start, to find it. */
	if (!strcmp(path, "/dev/tty"))
		return !(flags & O_NONBLOCK);
	if (!strcmp(path, "/dev/stdin") || !strcmp(path, "/dev/fd/0") ||
	    !strcmp(path, "/proc/self/fd/0") || !strcmp(path, "/proc/thread-self/fd/0"))
		return 1;
	if (strncmp(path, "/proc/", 6))
		return 0;
	p = path + 6 + strspn(path + 6, "0123456789");
	return p > path + 6 && !strcmp(p, "/fd/0");
}

/*
 * Decode and record the call in REQ.  Everything read from the process
 * (memory, /proc/TID/...) is trusted only once ID_VALID says the thread is
 * still the one waiting in this call: a thread that died meanwhile could
 * have had its tid reused.  Returns 0 to answer with RESP (CONTINUE, or an
 * error an open we did for the caller met), 1 when answered here (a
 * descriptor sent, see answer_open()), or -1 when the arguments could not
 * be read (counted as lost; the kernel does the call).
 */
static int handle(struct sandbox_tracer *t, const struct seccomp_notif *req,
		  struct seccomp_notif_resp *resp)
{
	const struct sandbox__sys *s;
	const __u64 *args = req->data.args;
	pid_t tid = (pid_t)req->pid;
	int flags = 0, nofollow, empty_ok = 0, in_root = 0, fl = 0, dirfd;
	struct open_req oreq = { 0, 0, -1 };
	int plain_open = 0; /* an open we can do ourselves (see answer_open()) */
	unsigned named = 0;
	const char *rel;
	enum sandbox_op op;
	struct sandbox_event ev;

	if (t->watch_stdin && !t->trace.stdin_read) {
		int k = sandbox__stdin_read_nr(req->data.nr);
		if (k >= 0) {
			/* A read from descriptor 0: is that the session's input? */
			char link[64];
			struct stat st;
			snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)tid,
				 (int)args[sandbox__stdin_reads[k].fd_arg]);
			if (stat(link, &st) == 0 && id_valid(t, req->id) &&
			    st.st_dev == t->stdin_dev && st.st_ino == t->stdin_ino) {
				t->trace.stdin_read = 1;
				if (getenv("CAIRN_DEBUG_STDIN"))
					fprintf(stderr, "cairn: stdin read: tid %d call %s\n",
						(int)tid, sandbox__stdin_reads[k].name);
			}
			return 0;
		}
	}
	if (req->data.nr < 0 || req->data.nr >= nbynr || !bynr[req->data.nr])
		return 0; /* not ours: the filter and the table disagree */
	s = &sandbox__traced[bynr[req->data.nr] - 1];
	op = s->op;
	nofollow = !!(s->how & SANDBOX__NOFOLLOW);
	if (s->flags >= 0)
		fl = (int)args[s->flags];
	if (s->how & SANDBOX__OPENFLAGS) {
		flags = fl;
		nofollow = !!(fl & O_NOFOLLOW);
		oreq.mode = (mode_t)args[s->flags + 1]; /* open(p, f, MODE) */
		plain_open = 1;
	} else if (s->how & SANDBOX__CREAT) {
		flags = O_CREAT | O_WRONLY | O_TRUNC;
		oreq.mode = (mode_t)args[s->path + 1]; /* creat(p, MODE) */
		plain_open = 1;
	} else if (s->how & SANDBOX__OPENAT2) {
		struct open_how how;
		if (read_mem(tid, args[s->flags], &how, sizeof(how)) < 0)
			return -1;
		flags = (int)how.flags;
		oreq.mode = (mode_t)how.mode;
		/* RESOLVE_* of the caller's own, or a larger struct: the
		 * kernel's (docs/sandbox.md) */
		plain_open = !how.resolve && args[s->flags + 1] == sizeof(how) &&
		    how.flags == (unsigned)how.flags;
		nofollow = !!(how.flags & O_NOFOLLOW) || !!(how.resolve & RESOLVE_NO_SYMLINKS);
		in_root = !!(how.resolve & RESOLVE_IN_ROOT);
	} else if (s->how & SANDBOX__ATFLAGS) {
		nofollow = !!(fl & AT_SYMLINK_NOFOLLOW);
		empty_ok = !!(fl & AT_EMPTY_PATH);
	} else if (s->how & SANDBOX__INOTIFY) {
		nofollow = !!(fl & IN_DONT_FOLLOW);
	} else if (s->how & SANDBOX__LINKAT) {
		nofollow = !(fl & AT_SYMLINK_FOLLOW);
		empty_ok = !!(fl & AT_EMPTY_PATH);
	}
	if ((s->how & SANDBOX__UNLINKAT) && (fl & AT_REMOVEDIR))
		op = SANDBOX_OP_RMDIR;

	dirfd = s->dirfd >= 0 ? (int)args[s->dirfd] : AT_FDCWD;
	strbuf_reset(&t->path);
	if (s->how & SANDBOX__NOPATH) {
		/* getcwd: which of the process's calls (1, 2, any later); a
		 * terminal question: on which descriptor, which (1, later) */
		int base = 0, last = 3, k;
		if (op == SANDBOX_OP_TTY) {
			base =
			    (int)(args[0] & 0xf) | (args[1] == TIOCGWINSZ ? SANDBOX_TTY_SIZE : 0);
			last = 2;
		}
		ev.op = op;
		ev.nofollow = 0;
		ev.pid = inside_pid(t, tid);
		ev.path = t->path.buf;
		ev.path2 = NULL;
		ev.gen = 0;
		ev.named = 0;
		for (k = 1;; k++) {
			ev.flags = base | (k << 8);
			if (k == last || !event_known(t, &ev))
				break;
		}
		if (!id_valid(t, req->id))
			return -1;
		record(t, &ev, 0, 0, tid);
		return 0;
	}
	if (s->how & SANDBOX__FDONLY) {
		if (dir_path(tid, dirfd, &t->path) < 0)
			return -1;
	} else {
		strbuf_reset(&t->raw);
		if (!args[s->path])
			return 0; /* EFAULT: nothing is looked up */
		if (read_string(t, tid, args[s->path], &t->raw, PATH_MAX) < 0)
			return -1;
		if (!t->raw.len) {
			/* "" looks nothing up unless AT_EMPTY_PATH: then it is
			 * the directory fd itself (fstat on a real fd is let
			 * through by the filter).  Another thread could write
			 * a name there before the kernel looks. */
			if (plain_open && thread_count(tid) > 1) {
				resp->flags = 0;
				resp->error = -ENOENT;
				return 0;
			}
			if (!empty_ok)
				return 0;
			if (dir_path(tid, dirfd, &t->path) < 0)
				return -1;
		} else {
			/* RESOLVE_IN_ROOT: "/" is the directory fd (".." is
			 * clamped there too, which lexical normalisation of the
			 * joined path does not know) */
			for (rel = t->raw.buf; in_root && *rel == '/'; rel++)
				;
			if (!*rel)
				rel = ".";
			if (make_absolute(t, tid, dirfd, rel, &t->path, &named) < 0)
				return -1;
		}
	}

	strbuf_reset(&t->path2);
	if (s->path2 >= 0) {
		strbuf_reset(&t->raw2);
		if (!args[s->path2] || read_string(t, tid, args[s->path2], &t->raw2, PATH_MAX) < 0)
			return -1;
		if (s->how & SANDBOX__TEXT2)
			strbuf_addbuf(&t->path2, &t->raw2);
		else if (make_absolute(t, tid, s->dirfd2 >= 0 ? (int)args[s->dirfd2] : AT_FDCWD,
				       t->raw2.buf, &t->path2, NULL) < 0)
			return -1;
	}
	if ((s->how & SANDBOX__EXEC) && read_argv(t, tid, args[s->argv]) < 0)
		return -1;
	if (s->how & SANDBOX__EXEC)
		t->execed = 1;
	if (!id_valid(t, req->id))
		return -1;
	/* Opening standard input or the terminal by name reads it too. */
	if (t->watch_stdin && op == SANDBOX_OP_OPEN && !(s->how & SANDBOX__FDONLY) &&
	    names_stdin(t->raw.buf, flags)) {
		t->trace.stdin_read = 1;
		if (getenv("CAIRN_DEBUG_STDIN"))
			fprintf(stderr, "cairn: stdin read: tid %d opens %s\n", (int)tid,
				t->raw.buf);
	}

	ev.op = op;
	ev.flags = flags;
	ev.nofollow = nofollow;
	ev.pid = inside_pid(t, tid);
	ev.path = t->path.buf;
	ev.path2 = s->path2 >= 0 ? t->path2.buf : NULL;
	ev.gen = t->gen;
	/* Only a readlink learns where a magic link leads. */
	ev.named = op == SANDBOX_OP_READLINK ? named : named & ~SANDBOX_NAMED_MAGIC;
	record(t, &ev, t->path.len, t->path2.len, tid);
	/* A call that may point a name elsewhere starts a new generation:
	 * a lookup after it is not the same event as one before it. */
	if (op == SANDBOX_OP_SYMLINK || op == SANDBOX_OP_RENAME || op == SANDBOX_OP_LINK)
		t->gen++;
	if (s->how & SANDBOX__EXEC) {
		record_exec(t, tid, &t->path);
		if (thread_count(tid) > 1)
			exec_check_add(t, tid, dirfd, t->raw.buf);
	}
	if (plain_open && thread_count(tid) > 1) {
		struct proc_status st;
		oreq.flags = flags;
		if ((flags & O_CREAT) && read_status(tid, &st) == 0)
			oreq.umask = st.umask;
		return answer_open(t, req, dirfd, t->raw.buf, &oreq, &t->path, nofollow, resp);
	}
	return 0;
}

static void thread_fail(struct sandbox_tracer *t, const char *what)
{
	t->failed = 1;
	snprintf(t->errmsg, sizeof(t->errmsg), "seccomp tracer: %s: %s", what, strerror(errno));
}

static void *tracer_main(void *arg)
{
	struct sandbox_tracer *t = arg;
	struct pollfd pfd[2];
	struct __user_cap_header_struct caph = { _LINUX_CAPABILITY_VERSION_3, 0 };
	int rc;

	/* A umask of this thread's own, to create files with the step's
	 * (open_as()); cairn's other threads keep theirs. */
	t->own_fs = unshare(CLONE_FS) == 0;
	if (syscall(SYS_capget, &caph, t->caps) == 0)
		t->caps_up = t->caps[0].effective || t->caps[1].effective;

	pfd[0].fd = t->listener;
	pfd[0].events = POLLIN;
	pfd[1].fd = t->wake;
	pfd[1].events = POLLIN;
	for (;;) {
		struct seccomp_notif_resp resp;

		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			thread_fail(t, "poll");
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN)) {
			if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
				break; /* no process uses the filter any more */
			continue;
		}
		memset(t->req, 0, t->req_size);
		if (ioctl(t->listener, SECCOMP_IOCTL_NOTIF_RECV, t->req) < 0) {
			/* ENOENT: the caller died or was interrupted between
			 * poll and recv. */
			if (errno == EINTR || errno == ENOENT)
				continue;
			thread_fail(t, "receiving a notification");
			break;
		}
		t->trace.notifications++;
		memset(&resp, 0, sizeof(resp));
		resp.id = t->req->id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (t->nchecks)
			exec_checks_run(t, (pid_t)t->req->pid);
		rc = handle(t, t->req, &resp);
		if (rc < 0)
			t->trace.lost++;
		if (rc > 0)
			continue; /* answered with a descriptor */
		/* ENOENT: the thread died (or a signal restarted the call,
		 * which will be reported again); nothing to answer. */
		(void)ioctl(t->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return NULL;
}

static void tracer_free(struct sandbox_tracer *t)
{
	size_t i;

	if (!t)
		return;
	if (t->listener >= 0)
		close(t->listener);
	if (t->wake >= 0)
		close(t->wake);
	sandbox_trace_release(&t->trace);
	free(t->slots);
	free(t->hashes);
	free(t->pids);
	free(t->req);
	strbuf_release(&t->raw);
	strbuf_release(&t->raw2);
	strbuf_release(&t->lex);
	free(t->root);
	strbuf_release(&t->path);
	strbuf_release(&t->path2);
	strbuf_release(&t->tmp);
	strbuf_release(&t->join);
	strbuf_release(&t->base);
	for (i = 0; i < t->nchecks; i++)
		free(t->checks[i].filename);
	free(t->checks);
	strvec_clear(&t->argv);
	free(t);
}

int sandbox_tracer_start(struct sandbox_tracer **out, int listener,
			 const struct sandbox_config *cfg)
{
	struct seccomp_notif_sizes sizes;
	struct sandbox_tracer *t;
	sigset_t all, old;
	int rc;

	*out = NULL;
	pthread_once(&bynr_once, bynr_build);
	t = xcalloc(1, sizeof(*t));
	t->listener = listener;
	t->wake = -1;
	if (cfg && cfg->watch_stdin) {
		t->watch_stdin = 1;
		t->stdin_dev = cfg->stdin_dev;
		t->stdin_ino = cfg->stdin_ino;
	}
	strbuf_init(&t->raw, PATH_MAX);
	strbuf_init(&t->raw2, PATH_MAX);
	strbuf_init(&t->path, 2 * PATH_MAX);
	strbuf_init(&t->path2, 2 * PATH_MAX);
	strbuf_init(&t->tmp, 2 * PATH_MAX);
	strbuf_init(&t->join, 2 * PATH_MAX);
	strbuf_init(&t->lex, 2 * PATH_MAX);
	if (cfg && cfg->named_root && cfg->named_root[0] == '/') {
		t->root = xstrdup(cfg->named_root);
		t->rootlen = strlen(t->root);
	}
	strbuf_init(&t->base, PATH_MAX);
	strvec_init(&t->argv);
	t->pagesize = sysconf(_SC_PAGESIZE);

	/* The kernel's struct may be larger than our headers' one. */
	t->req_size = sizeof(struct seccomp_notif);
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0 &&
	    sizes.seccomp_notif > t->req_size)
		t->req_size = sizes.seccomp_notif;
	t->req = xcalloc(1, t->req_size);

	/*
	 * Sync wake-up (Linux 6.6) runs the traced thread and us on one CPU
	 * in turn instead of waking the other side on another CPU: ~4 µs per
	 * call instead of ~65 µs on an idle 2-vCPU machine.  Older kernels
	 * refuse the ioctl; it is only speed.
	 */
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);

	t->wake = eventfd(0, EFD_CLOEXEC);
	if (t->wake < 0) {
		err_errno(CAIRN_ERROR, "eventfd");
		tracer_free(t);
		return -1;
	}
	/* The shell's signal handlers must not run on the tracer thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t->thread, NULL, tracer_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		errno = rc;
		err_errno(CAIRN_ERROR, "starting the seccomp tracer");
		tracer_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

int sandbox_tracer_finish(struct sandbox_tracer *t, struct sandbox_trace *out, int force)
{
	uint64_t one = 1;
	int ret = 0;

	if (force && write(t->wake, &one, sizeof(one)) != (ssize_t)sizeof(one))
		warn("waking the seccomp tracer: %s", strerror(errno));
	pthread_join(t->thread, NULL);
	/* Execs still unconfirmed: their processes ended unseen. */
	t->trace.lost += t->nchecks;
	if (t->failed)
		ret = err_set(CAIRN_ERROR, "%s", t->errmsg);
	*out = t->trace;
	memset(&t->trace, 0, sizeof(t->trace));
	tracer_free(t);
	return ret;
}
