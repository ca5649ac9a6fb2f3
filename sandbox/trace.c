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
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

	/* scratch, reused across calls */
	struct strbuf raw, raw2, path, path2, tmp;
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
};

static int read_status(pid_t pid, struct proc_status *st)
{
	char path[64], buf[8192], *p;
	ssize_t n;
	int fd;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
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
static void translate_special(struct sandbox_tracer *t, pid_t tid, struct strbuf *path)
{
	const char *p = path->buf, *rest;
	char name[32];
	long num;
	size_t n;

	if (strncmp(p, "/dev/", 5) && strncmp(p, "/proc/", 6))
		return;
	if ((rest = skip_prefix_path(p, "/dev/stdin"))) {
		num = 0;
	} else if ((rest = skip_prefix_path(p, "/dev/stdout"))) {
		num = 1;
	} else if ((rest = skip_prefix_path(p, "/dev/stderr"))) {
		num = 2;
	} else if ((rest = skip_prefix_path(p, "/dev/fd"))) {
		if (*rest != '/')
			return;
		rest++;
		if (parse_num(&rest, &num) < 0)
			return;
	} else {
		/* /proc/self, /proc/thread-self or /proc/<own pid>, then fd/N,
		 * cwd, root or exe.  Self is served from the thread's entry:
		 * threads share fds and cwd unless they unshare them, and then
		 * the thread's entry is the one the kernel uses. */
		if (!(rest = skip_prefix_path(p, "/proc/self")) &&
		    !(rest = skip_prefix_path(p, "/proc/thread-self"))) {
			const char *q = p + 6;
			if (parse_num(&q, &num) < 0 || num != (long)inside_pid(t, tid))
				return;
			rest = q;
		}
		if (*rest != '/')
			return;
		rest++;
		if (!strncmp(rest, "fd/", 3)) {
			rest += 3;
			if (parse_num(&rest, &num) < 0)
				return;
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
				return;
			strbuf_reset(&t->tmp);
			if (proc_readlink(tid, what, &t->tmp) < 0 || t->tmp.buf[0] != '/')
				return;
			goto replace;
		}
	}
	snprintf(name, sizeof(name), "fd/%ld", num);
	strbuf_reset(&t->tmp);
	if (proc_readlink(tid, name, &t->tmp) < 0 || t->tmp.buf[0] != '/')
		return;
replace:
	/* The target is physical: a ".." right after it is its parent. */
	n = t->tmp.len;
	strbuf_addstr(&t->tmp, rest);
	util_path_clean(&t->tmp, n);
	strbuf_reset(path);
	strbuf_addbuf(path, &t->tmp);
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
			 struct strbuf *out)
{
	size_t physical = 1;

	strbuf_reset(out);
	if (rel[0] != '/') {
		if (dir_path(tid, dirfd, out) < 0)
			return -1;
		physical = out->len;
		strbuf_addch(out, '/');
	}
	strbuf_addstr(out, rel);
	util_path_clean(out, physical);
	translate_special(t, tid, out);
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
	h = hash_bytes(h, ev->path, len);
	if (ev->path2)
		h = hash_bytes(h ^ 0xff, ev->path2, len2);
	return h;
}

static int event_same(const struct sandbox_event *a, const struct sandbox_event *b)
{
	if (a->op != b->op || a->gen != b->gen || event_class(a) != event_class(b) ||
	    strcmp(a->path, b->path))
		return 0;
	if (!a->path2 || !b->path2)
		return a->path2 == b->path2;
	return !strcmp(a->path2, b->path2);
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
		if (t->hashes[k] == h && event_same(&t->trace.events[k], ev))
			return;
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
	struct sandbox_event ev = { op, flags, nofollow, 0, path->buf, NULL, t->gen };
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
		if (*s && make_absolute(t, tid, AT_FDCWD, s, &t->path2) == 0) {
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
			if (make_absolute(t, tid, AT_FDCWD, interp, &t->path2) == 0)
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

/* ---- one notification ------------------------------------------------------- */

static int id_valid(struct sandbox_tracer *t, uint64_t id)
{
	return ioctl(t->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/*
 * Decode and record the call in REQ.  Everything read from the process
 * (memory, /proc/TID/...) is trusted only once ID_VALID says the thread is
 * still the one waiting in this call: a thread that died meanwhile could
 * have had its tid reused.  Returns 0, or -1 when the arguments could not
 * be read (counted as lost).
 */
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

static int handle(struct sandbox_tracer *t, const struct seccomp_notif *req)
{
	const struct sandbox__sys *s;
	const __u64 *args = req->data.args;
	pid_t tid = (pid_t)req->pid;
	int flags = 0, nofollow, empty_ok = 0, in_root = 0, fl = 0, dirfd;
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
	} else if (s->how & SANDBOX__CREAT) {
		flags = O_CREAT | O_WRONLY | O_TRUNC;
	} else if (s->how & SANDBOX__OPENAT2) {
		struct open_how how;
		if (read_mem(tid, args[s->flags], &how, sizeof(how)) < 0)
			return -1;
		flags = (int)how.flags;
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
			 * through by the filter). */
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
			if (make_absolute(t, tid, dirfd, rel, &t->path) < 0)
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
				       t->raw2.buf, &t->path2) < 0)
			return -1;
	}
	if ((s->how & SANDBOX__EXEC) && read_argv(t, tid, args[s->argv]) < 0)
		return -1;
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
	ev.pid = 0;
	ev.path = t->path.buf;
	ev.path2 = s->path2 >= 0 ? t->path2.buf : NULL;
	ev.gen = t->gen;
	record(t, &ev, t->path.len, t->path2.len, tid);
	/* A call that may point a name elsewhere starts a new generation:
	 * a lookup after it is not the same event as one before it. */
	if (op == SANDBOX_OP_SYMLINK || op == SANDBOX_OP_RENAME || op == SANDBOX_OP_LINK)
		t->gen++;
	if (s->how & SANDBOX__EXEC)
		record_exec(t, tid, &t->path);
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
		if (handle(t, t->req) < 0)
			t->trace.lost++;
		memset(&resp, 0, sizeof(resp));
		resp.id = t->req->id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		/* ENOENT: the thread died (or a signal restarted the call,
		 * which will be reported again); nothing to answer. */
		(void)ioctl(t->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	return NULL;
}

static void tracer_free(struct sandbox_tracer *t)
{
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
	strbuf_release(&t->path);
	strbuf_release(&t->path2);
	strbuf_release(&t->tmp);
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
	if (t->failed)
		ret = err_set(CAIRN_ERROR, "%s", t->errmsg);
	*out = t->trace;
	memset(&t->trace, 0, sizeof(t->trace));
	tracer_free(t);
	return ret;
}
