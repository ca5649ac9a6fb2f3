/*
 * run.c - sessions and the local step runner.
 *
 * A step is a child process running the real shell on the program that
 * script.c writes.  For `cairn run FILE`, the shell must believe it runs
 * FILE itself ($0, BASH_SOURCE, "FILE: line N:" in messages, the source
 * file bash records for functions), yet read our program.  The child
 * therefore enters a private mount namespace (inside a user namespace
 * when not root), bind-mounts the program over FILE, and starts
 * `bash FILE`.  As soon as bash has opened it, a helper process lazily
 * unmounts the bind again, so that the step's own commands (`sed -n 2p
 * "$0"`) see the real FILE.  Where namespaces are not available the step
 * runs as `bash -c PROGRAM FILE`, which differs only in those details.
 */
#include "exec-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Find PROG on PATH; returns a malloc'd absolute path or NULL. */
static char *path_lookup(const char *prog)
{
	const char *path = getenv("PATH");
	const char *p;
	if (strchr(prog, '/'))
		return access(prog, X_OK) ? NULL : xstrdup(prog);
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p;) {
		const char *colon = strchrnul(p, ':');
		char *cand = xstrfmt("%.*s/%s", (int)(colon - p), p, prog);
		if (cand[0] == '/' && !access(cand, X_OK))
			return cand;
		free(cand);
		p = *colon ? colon + 1 : colon;
	}
	return NULL;
}

/* The logical working directory: $PWD when it names ".", else getcwd(). */
static char *logical_cwd(const char *const *env)
{
	const char *pwd = NULL;
	struct stat a, b;
	char buf[PATH_MAX];
	size_t i;

	for (i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "PWD=", 4))
			pwd = env[i] + 4;
	if (pwd && pwd[0] == '/' && !stat(pwd, &a) && !stat(".", &b) && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return xstrdup(pwd);
	if (!getcwd(buf, sizeof(buf)))
		return NULL;
	return xstrdup(buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * For a script given as a relative path, lay out a directory in the
 * scratch area where that same relative path names our program: the
 * shell starts there and opens "its" script, and the prelude then moves
 * to the real working directory.  Deep enough for every ".." in PATH.
 */
int exec__make_stage(struct exec_session *s, const char *path)
{
	struct strbuf cwd = STRBUF_INIT;
	const char *p = path;
	char *dir, *slash;
	int ret;

	strbuf_addf(&cwd, "%s/stage", s->tmpdir);
	while ((p = strstr(p, ".."))) {
		if ((p == path || p[-1] == '/') && (p[2] == '/' || !p[2]))
			strbuf_addstr(&cwd, "/d");
		p += 2;
	}
	s->stage_cwd = strbuf_detach(&cwd, NULL);
	s->stage_prog = xstrfmt("%s/%s", s->stage_cwd, path);
	dir = xstrdup(s->stage_prog);
	slash = strrchr(dir, '/');
	*slash = '\0';
	ret = exec__mkdir_p(s->stage_cwd, 0700);
	if (!ret)
		ret = exec__mkdir_p(dir, 0700);
	free(dir);
	return ret;
}

/* Sourced with the status as $1 to set $? without a fork. */
int exec__write_status_file(const struct exec_session *s)
{
	char *path = xstrfmt("%s/status", s->tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || util_write_all(fd, "return $1\n", 10) < 0) {
		err_errno(CAIRN_ERROR, "%s", path);
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	close(fd);
	free(path);
	return 0;
}

/*
 * A session's scratch directory (TMPDIR/cairn-XXXXXX) holds .lock, which
 * the session keeps locked (flock) while it lives: a directory whose lock
 * nobody holds is what a killed cairn left behind.  Made right after the
 * directory, locked before it has its name; a directory without one
 * (being made, or by an older cairn) is left alone.
 */
static int lock_scratch(struct exec_session *s)
{
	int dfd = open(s->tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	int ok = 0;

	/* Locked under another name, then named .lock: another cairn's
	 * sweep never sees it unlocked (REVIEW17 H11). */
	if (dfd >= 0) {
		s->tmp_lock_fd = openat(dfd, ".lock.new",
					O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		ok = s->tmp_lock_fd >= 0 && flock(s->tmp_lock_fd, LOCK_EX | LOCK_NB) == 0 &&
		    renameat(dfd, ".lock.new", dfd, ".lock") == 0;
		close(dfd);
	}
	if (!ok)
		return err_errno(CAIRN_ERROR, "cannot lock %s/.lock", s->tmpdir);
	return 0;
}

/*
 * Remove the scratch directories in BASE (the directory ours is in) of
 * sessions that are gone: ours by name (cairn-XXXXXX) and owner, real
 * directories (never a link: /tmp is everyone's), holding a .lock that
 * nobody holds.  Everything is reached from descriptors, without
 * following links; the lock is held while the tree goes, so that two
 * sweepers do not race.  Best effort: what cannot be removed stays.
 */
static void sweep_scratch(const char *base, const char *ours)
{
	int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC), sub, lock;
	uid_t me = getuid();
	struct dirent *e;
	struct stat st, st2;
	DIR *d;

	if (dfd < 0)
		return;
	d = fdopendir(dup(dfd));
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "cairn-", 6) || strlen(e->d_name) != 12 ||
		    !strcmp(e->d_name, ours))
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != me)
			continue;
		sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		lock = -1;
		if (fstat(sub, &st2) == 0 && st2.st_dev == st.st_dev && st2.st_ino == st.st_ino &&
		    st2.st_uid == me)
			lock = openat(sub, ".lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		close(sub);
		if (lock < 0)
			continue;
		if (fstat(lock, &st2) == 0 && S_ISREG(st2.st_mode) && st2.st_uid == me &&
		    flock(lock, LOCK_EX | LOCK_NB) == 0)
			exec__remove_at(dfd, e->d_name);
		close(lock);
	}
	if (d)
		closedir(d);
	close(dfd);
}

int exec_session_init(struct exec_session *s, const struct exec_session_opts *opts)
{
	const char *const *env = opts->env ? opts->env : (const char *const *)environ;
	const char *tmp = getenv("TMPDIR");
	size_t i;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	s->tmp_lock_fd = -1;
	exec_state_init(&s->state);
	strvec_init(&s->base_vars);
	strvec_init(&s->taken_fds);
	strvec_init(&s->env_ignore);
	strvec_init(&s->env_keep);
	s->lang = opts->lang;
	s->mode = opts->mode;
	s->started_ns = util_now_ns();
	s->seconds_base = (long long)time(NULL);
	/* Ours do not change: read them once, not after every step. */
	s->own_limits = xcalloc(RLIM_NLIMITS, sizeof(*s->own_limits));
	/* The descriptors the session inherits, as a step's state describes
	 * them: what the first step starts with, and what the cache tells
	 * from descriptors steps open. */
	strvec_init(&s->own_fds);
	exec__describe_own_fds(&s->own_fds);
	for (i = 0; i < RLIM_NLIMITS; i++)
		if (getrlimit((int)i, &s->own_limits[i]) < 0)
			s->own_limits[i].rlim_cur = s->own_limits[i].rlim_max = RLIM_INFINITY;
	{
		struct sigaction sa;
		s->int_ignored = !sigaction(SIGINT, NULL, &sa) && sa.sa_handler == SIG_IGN;
		s->quit_ignored = !sigaction(SIGQUIT, NULL, &sa) && sa.sa_handler == SIG_IGN;
	}

	if (opts->shell)
		s->shell = path_lookup(opts->shell);
	else if (s->lang == EXEC_LANG_SH)
		s->shell = xstrdup("/bin/sh");
	else
		s->shell = path_lookup("bash");
	if (!s->shell) {
		err_set(CAIRN_ENOTFOUND, "cannot find the shell %s on PATH",
			opts->shell ? opts->shell : "bash");
		goto out;
	}

	s->startdir = logical_cwd(env);
	if (!s->startdir) {
		err_errno(CAIRN_ERROR, "cannot determine the working directory");
		goto out;
	}
	s->state.cwd = xstrdup(s->startdir);
	{
		/* Steps start with the caller's umask, as under bash. */
		mode_t m = umask(022);
		umask(m);
		s->state.umask = (unsigned)m & 0777;
	}

	s->tmpdir = xstrfmt("%s/cairn-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (!mkdtemp(s->tmpdir)) {
		err_errno(CAIRN_ERROR, "cannot create a scratch directory in %s",
			  tmp && *tmp == '/' ? tmp : "/tmp");
		free(s->tmpdir);
		s->tmpdir = NULL;
		goto out;
	}
	s->scratch = xstrdup(s->tmpdir);
	if (lock_scratch(s) < 0)
		goto out;
	{
		char *slash = strrchr(s->tmpdir, '/');
		*slash = '\0';
		sweep_scratch(*s->tmpdir ? s->tmpdir : "/", slash + 1);
		*slash = '/';
	}
	if (opts->mode == EXEC_MODE_SCRIPT) {
		char *abs = realpath(opts->script, NULL);
		struct stat st;
		if (!abs) {
			err_errno(CAIRN_ERROR, "%s", opts->script);
			goto out;
		}
		s->script_abs = abs;
		s->argv0 = xstrdup(opts->script);
		if (opts->script[0] != '/') {
			if (exec__make_stage(s, opts->script) < 0)
				goto out;
			s->how = EXEC_HOW_STAGE;
		} else if (!stat(abs, &st) && S_ISREG(st.st_mode)) {
			/* Only a regular file can be mounted over. */
			s->how = EXEC_HOW_MOUNT;
		}
	} else if (opts->argv0) {
		s->argv0 = xstrdup(opts->argv0);
	} else {
		s->argv0 = xstrdup(s->lang == EXEC_LANG_SH ? "sh" : "bash");
	}

	if (exec__write_status_file(s) < 0)
		goto out;

	for (i = 0; env[i]; i++) {
		if (!strncmp(env[i], "SHLVL=", 6)) {
			free(s->shlvl);
			s->shlvl = xstrdup(env[i]);
		}
		strvec_push(&s->state.env, env[i]);
	}
	qsort(s->state.env.v, s->state.env.nr, sizeof(char *), cmp_str);
	for (i = 0; opts->args && opts->args[i]; i++)
		strvec_push(&s->state.argv, opts->args[i]);

	/*
	 * Background jobs of a step belong to it: orphans are re-parented to
	 * us, and a step ends when they have all exited.
	 */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (opts->root && exec__record_init(s, opts) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		exec_session_release(s);
	return ret;
}

static void fds_release(struct exec_fd *fds, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		close(fds[i].fd);
	free(fds);
}

void exec_session_release(struct exec_session *s)
{
	exec__formats_end(s);
	exec__record_release(s);
	fds_release(s->fds, s->nfds);
	free(s->taken_limits);
	free(s->own_limits);
	strvec_clear(&s->base_vars);
	strvec_clear(&s->own_fds);
	strvec_clear(&s->taken_fds);
	free(s->base_options);
	free(s->base_shopts);
	/* Only what we made: files and directories, no symlinks followed;
	 * with the overlays' work directories, which lack permissions. */
	if (s->tmpdir)
		exec__remove_tree(s->tmpdir);
	/* Unlocked only once it is gone: a sweeper never sees it half. */
	if (s->tmp_lock_fd > 0)
		close(s->tmp_lock_fd);
	free(s->shell);
	free(s->argv0);
	free(s->script_abs);
	free(s->startdir);
	free(s->tmpdir);
	free(s->scratch);
	free(s->stage_cwd);
	free(s->stage_prog);
	free(s->shlvl);
	exec_state_release(&s->state);
	memset(s, 0, sizeof(*s));
}

/* ---- the child ----------------------------------------------------------- */

/*
 * Make PROG appear at TARGET for this process (and its children) only.
 * Called in the forked child, single-threaded.
 */
static int mount_program(const char *prog, const char *target)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid != 0) {
		/* Unprivileged: a user namespace gives us the right to mount. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 || sandbox_map_self(uid, gid) < 0)
			return -1;
	} else if (unshare(CLONE_NEWNS) < 0) {
		return -1;
	}
	/* Before the bind: our mounts must never propagate to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -1;
	if (mount(prog, target, NULL, MS_BIND, NULL) < 0)
		return -1;
	return 0;
}

/*
 * The unmount helper: waits until the prelude says the shell has opened
 * the script, detaches the bind mount, and lets the prelude go on.  If
 * the shell dies first, the read sees EOF and the helper just exits.
 */
static void run_unmount_helper(const char *target, int from_shell, int to_shell)
{
	char c;
	ssize_t n;
	do
		n = read(from_shell, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1) {
		umount2(target, MNT_DETACH);
		if (write(to_shell, "\n", 1) < 0)
			_exit(1);
	}
	_exit(0);
}

int exec__session_fd(const struct exec_session *s, int n)
{
	size_t i;
	if (!s->have_fds)
		return n;
	for (i = 0; i < s->nfds; i++)
		if (s->fds[i].num == n)
			return s->fds[i].fd;
	return -1;
}

void exec__describe_own_fds(struct strvec *out)
{
	int fd;
	for (fd = 0; fd < EXEC_FD_FIRST_PRIVATE; fd++) {
		char self[32], link[PATH_MAX];
		ssize_t len;
		int fl = fcntl(fd, F_GETFD);
		if (fl < 0 || (fl & FD_CLOEXEC))
			continue;
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		len = readlink(self, link, sizeof(link) - 1);
		if (len > 0)
			strvec_pushf(out, "%d %.*s", fd, (int)len, link);
	}
	qsort(out->v, out->nr, sizeof(char *), cmp_str);
}

void exec__adopt_own_fds(struct exec_session *s)
{
	int n;
	for (n = 0; n < EXEC_FD_FIRST_PRIVATE; n++) {
		int fl = fcntl(n, F_GETFD), fd;
		if (fl < 0 || (fl & FD_CLOEXEC))
			continue;
		fd = fcntl(n, F_DUPFD_CLOEXEC, 200);
		if (fd < 0)
			continue;
		s->fds = xrealloc(s->fds, (s->nfds + 1) * sizeof(*s->fds));
		s->fds[s->nfds].num = n;
		s->fds[s->nfds].fd = fd;
		s->nfds++;
	}
	s->have_fds = 1;
}

static void move_fd(int from, int to)
{
	if (from == to) {
		int fl = fcntl(from, F_GETFD);
		if (fl >= 0)
			fcntl(from, F_SETFD, fl & ~FD_CLOEXEC);
		return;
	}
	if (dup2(from, to) < 0)
		_exit(126);
}

struct child_args {
	const struct exec_session *s;
	int sandboxed; /* inside the sandbox, which binds and detaches */
	const char *prog_path;
	const char *program;
	char *const *envp;
	int state_w, sync_a[2], sync_b[2];
	int out_fd[3]; /* what the step gets as 1 and 2 (output.c), or -1 */
};

static __attribute__((noreturn)) void child_main(const struct child_args *a)
{
	const struct exec_session *s = a->s;
	struct strvec argv = STRVEC_INIT;
	const char *shell_name = s->lang == EXEC_LANG_SH ? "sh" : "bash";
	const char *dir;
	int mounted = 0;
	size_t i;

	signal(SIGINT, s->int_ignored ? SIG_IGN : SIG_DFL);
	signal(SIGQUIT, s->quit_ignored ? SIG_IGN : SIG_DFL);
	umask(s->state.umask);
	/* The prelude moves to the step's own working directory. */
	dir = s->how == EXEC_HOW_STAGE ? s->stage_cwd : s->startdir;
	if (chdir(dir) < 0) {
		fprintf(stderr, "cairn: %s: %s\n", dir, strerror(errno));
		_exit(126);
	}

	if (a->sandboxed) {
		mounted = s->how == EXEC_HOW_MOUNT && a->sync_a[0] >= 0;
	} else if (s->how == EXEC_HOW_MOUNT && a->sync_a[0] >= 0 &&
		   !mount_program(a->prog_path, s->script_abs)) {
		pid_t h = fork();
		if (h == 0) {
			close(a->sync_a[1]);
			close(a->sync_b[0]);
			run_unmount_helper(s->script_abs, a->sync_a[0], a->sync_b[1]);
		}
		mounted = h > 0;
	}

	move_fd(a->state_w, EXEC_FD_STATE);
	if (mounted) {
		move_fd(a->sync_a[1], EXEC_FD_SYNC_W);
		move_fd(a->sync_b[0], EXEC_FD_SYNC_R);
	}
	if (s->have_fds) {
		/* The descriptors as the last step left them; the rest closed. */
		int fd;
		for (i = 0; i < s->nfds; i++)
			move_fd(s->fds[i].fd, s->fds[i].num);
		for (fd = 0; fd < EXEC_FD_FIRST_PRIVATE; fd++) {
			int keep = 0;
			for (i = 0; i < s->nfds; i++)
				keep |= s->fds[i].num == fd;
			if (!keep)
				close(fd);
		}
	}

	for (i = 1; i < 3; i++)
		if (a->out_fd[i] >= 0 && dup2(a->out_fd[i], (int)i) < 0)
			_exit(126);

	strvec_push(&argv, shell_name);
	if (mounted || s->how == EXEC_HOW_STAGE) {
		strvec_push(&argv, s->argv0);
	} else {
		strvec_push(&argv, "-c");
		strvec_push(&argv, a->program);
		strvec_push(&argv, s->argv0);
	}
	for (i = 0; i < s->state.argv.nr; i++)
		strvec_push(&argv, s->state.argv.v[i]);
	/* Limits last: a low RLIMIT_NOFILE must not stop the moves above. */
	for (i = 0; i < s->state.nlimits; i++) {
		struct rlimit rl = { s->state.limits[i].cur, s->state.limits[i].max };
		setrlimit(s->state.limits[i].resource, &rl);
	}
	execve(s->shell, argv.v, a->envp);
	fprintf(stderr, "cairn: cannot run %s: %s\n", s->shell, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static void sandbox_main(void *payload)
{
	child_main(payload);
}

/* The environment a step starts with: the state's exported variables. */
static void build_env(struct strvec *out, const struct exec_session *s)
{
	size_t i;
	for (i = 0; i < s->state.env.nr; i++) {
		const char *e = s->state.env.v[i];
		if (!s->state.initial &&
		    (!strncmp(e, "SHLVL=", 6) || !strncmp(e, "PWD=", 4) ||
		     !strncmp(e, "BASH_ENV=", 9) || !strncmp(e, "ENV=", 4)))
			continue;
		strvec_push(out, e);
	}
	if (!s->state.initial) {
		/* bash keeps a logical $PWD from the environment when it is
		 * right; SHLVL as the session found it (bash adds one). */
		strvec_pushf(out, "PWD=%s", s->startdir);
		if (s->shlvl)
			strvec_push(out, s->shlvl);
	}
}

static int write_program(const char *path, const struct strbuf *prog)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno(CAIRN_ERROR, "%s", path);
	if (util_write_all(fd, prog->buf, prog->len) < 0) {
		err_errno(CAIRN_ERROR, "%s", path);
		close(fd);
		return CAIRN_ERROR;
	}
	return close(fd) ? err_errno(CAIRN_ERROR, "%s", path) : 0;
}

/* Wait for PID, and then for every other process of the step. */
static int wait_all(pid_t pid, int *wstatus)
{
	int st;
	pid_t r;
	/* The shell may have ended already (it was waited for when it
	 * stopped): then its status is known from there. */
	for (;;) {
		r = waitpid(-1, &st, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (r == pid)
			*wstatus = st;
	}
	return errno == ECHILD ? 0 : -1;
}

/* Does BUF hold the dump's final "Z" record?  *POS: where to go on. */
static int dump_complete(const struct strbuf *buf, size_t *pos)
{
	for (;;) {
		const char *p = buf->buf + *pos, *nul;
		size_t left = buf->len - *pos;
		if (left < 2)
			return 0;
		if (p[0] == 'Z' && p[1] == '\0')
			return 1;
		nul = memchr(p + 2, '\0', left - 2);
		if (!nul)
			return 0;
		*pos = (size_t)(nul + 1 - buf->buf);
	}
}

static int take_fd(int pidfd, int num)
{
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
	int high;
	if (fd < 0)
		return -1;
	/* Far above the numbers the shell uses, so installing is simple. */
	high = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	close(fd);
	return high;
}

/*
 * The epilogue has written its dump and stopped itself: take a copy of
 * every descriptor the shell has open (but ours and its script), so the
 * next step starts with the same ones.
 */
static void take_fds(struct exec_session *s, pid_t pid)
{
	struct exec_fd *fds = NULL;
	struct strvec desc = STRVEC_INIT;
	size_t n = 0, alloc = 0;
	char dirpath[64], link[PATH_MAX], lpath[96];
	struct dirent *e;
	DIR *d;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pidfd < 0)
		return;
	snprintf(dirpath, sizeof(dirpath), "/proc/%d/fd", (int)pid);
	d = opendir(dirpath);
	if (!d) {
		close(pidfd);
		return;
	}
	while ((e = readdir(d))) {
		char *end;
		long num = strtol(e->d_name, &end, 10);
		ssize_t ln;
		int fd;
		if (*end || end == e->d_name || num >= EXEC_FD_FIRST_PRIVATE)
			continue;
		snprintf(lpath, sizeof(lpath), "%s/%ld", dirpath, num);
		ln = readlink(lpath, link, sizeof(link) - 1);
		if (ln > 0) {
			link[ln] = '\0';
			/* The shell's own handle on its program (dash keeps it low). */
			if (!strncmp(link, s->scratch, strlen(s->scratch)) ||
			    (s->script_abs && !strcmp(link, s->script_abs)))
				continue;
		}
		fd = take_fd(pidfd, (int)num);
		if (fd < 0)
			goto fail;
		{
			/* Our capture channel: the next step gets what it stood for. */
			int ours = exec__output_is_ours(s->output, fd);
			if (ours) {
				int dst = s->output->dst[ours];
				char self[64];
				close(fd);
				fd = fcntl(dst, F_DUPFD_CLOEXEC, 200);
				if (fd < 0)
					goto fail;
				snprintf(self, sizeof(self), "/proc/self/fd/%d", dst);
				ln = readlink(self, link, sizeof(link) - 1);
				if (ln > 0)
					link[ln] = '\0';
			}
		}
		strvec_pushf(&desc, "%ld %s", num, ln > 0 ? link : "?");
		ALLOC_GROW(fds, n + 1, alloc);
		fds[n].num = (int)num;
		fds[n].fd = fd;
		n++;
	}
	closedir(d);
	close(pidfd);
	fds_release(s->fds, s->nfds);
	s->fds = fds;
	s->nfds = n;
	s->have_fds = 1;
	qsort(desc.v, desc.nr, sizeof(char *), cmp_str);
	strvec_clear(&s->taken_fds);
	s->taken_fds = desc;
	return;
fail:
	/* Keep what we had: the next step starts as this one did. */
	closedir(d);
	close(pidfd);
	fds_release(fds, n);
	strvec_clear(&desc);
}

/* Note the resource limits of the stopped shell that differ from ours. */
/* MEM: the step's #cairn: mem= limit, which is the step's and not a
 * change of the shell's state for the steps after it. */
static void take_limits(struct exec_session *s, pid_t pid, uint64_t mem)
{
	int r;
	free(s->taken_limits);
	s->taken_limits = NULL;
	s->ntaken_limits = 0;
	for (r = 0; r < RLIM_NLIMITS; r++) {
		struct rlimit theirs, *ours = &s->own_limits[r];
		if (prlimit(pid, r, NULL, &theirs) < 0)
			continue;
		if (theirs.rlim_cur == ours->rlim_cur && theirs.rlim_max == ours->rlim_max)
			continue;
		if (r == RLIMIT_DATA && mem && theirs.rlim_max != RLIM_INFINITY &&
		    theirs.rlim_max <= mem)
			continue;
		s->taken_limits =
		    xrealloc(s->taken_limits, (s->ntaken_limits + 1) * sizeof(*s->taken_limits));
		s->taken_limits[s->ntaken_limits].resource = r;
		s->taken_limits[s->ntaken_limits].cur = theirs.rlim_cur;
		s->taken_limits[s->ntaken_limits].max = theirs.rlim_max;
		s->ntaken_limits++;
	}
}

static void terminal_watch(void);
static void suspend_with_step(void);

/*
 * Read the dump until its end record; then the shell stops itself and
 * we take its descriptors and let it go on to exit.  Returns 0 or -1.
 */
static int read_until_stop(struct exec_session *s, pid_t pid, struct sandbox *sb, int fd,
			   struct strbuf *dump, uint64_t mem)
{
	size_t pos = 0;
	int st;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;
		/* While the step runs: a quarter-second look at the terminal
		 * (a background cairn brought to the foreground by `fg`). */
		if (poll(&pfd, 1, 250) == 0) {
			terminal_watch();
			if (sandbox_pid_stopped(pid))
				suspend_with_step();
			continue;
		}
		strbuf_grow(dump, 8192);
		n = read(fd, dump->buf + dump->len, dump->alloc - dump->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(CAIRN_ERROR, "read");
		if (n == 0)
			return 0; /* the shell ended without a complete dump */
		dump->len += (size_t)n;
		dump->buf[dump->len] = '\0';
		if (dump_complete(dump, &pos))
			break;
	}
	if (sb) {
		/* The reaper in the sandbox is the shell's parent. */
		if (sandbox_wait_stop(sb) != 1)
			return 0;
		pid = sandbox_main_pid(sb);
		take_fds(s, pid);
		take_limits(s, pid, mem);
		kill(pid, SIGCONT);
		return 0;
	}
	while (waitpid(pid, &st, WUNTRACED) < 0)
		if (errno != EINTR)
			return 0;
	if (WIFSTOPPED(st)) {
		take_fds(s, pid);
		take_limits(s, pid, mem);
		kill(pid, SIGCONT);
	}
	return 0;
}

/*
 * While a step runs it is a job of its own (sandbox_config.foreground):
 * the terminal's keys reach it directly.  Signals sent to cairn itself
 * (kill -INT of cairn's process group, a terminal whose foreground cairn
 * kept) are passed on to the step's group, as the terminal would have.
 */
static volatile sig_atomic_t step_pgid, pending_signal, term_given;
static int no_terminal; /* a replay worker: the terminal is never ours */

void exec__terminal_off(void)
{
	no_terminal = 1;
}

/*
 * When cairn is the terminal's foreground, make the step's group it
 * instead; then let the step's processes go on.  Only system calls: also
 * the SIGCONT handler (cairn continued, or stopped and continued).
 */
static void step_to_foreground(void)
{
	int fd = no_terminal ? -1 : sandbox_terminal_fd();
	if (step_pgid <= 0)
		return;
	if (fd >= 0 && tcgetpgrp(fd) == getpgrp()) {
		sandbox_terminal_held((pid_t)step_pgid);
		sandbox_terminal_give(fd, (pid_t)step_pgid);
		term_given = 1;
	}
	kill(-(pid_t)step_pgid, SIGCONT);
}

static void continue_step(int sig)
{
	int saved = errno;
	(void)sig;
	step_to_foreground();
	errno = saved;
}

static void forward_signal(int sig)
{
	int saved = errno;
	if (step_pgid > 0)
		kill(-(pid_t)step_pgid, sig);
	else
		pending_signal = sig; /* the step is not there yet */
	errno = saved;
}

/* The step's group is known: pass on a signal that came before it was. */
static void step_started(pid_t pgid)
{
	step_pgid = pgid;
	if (term_given)
		sandbox_terminal_held(pgid);
	if (pending_signal) {
		kill(-pgid, pending_signal);
		pending_signal = 0;
	}
}

/*
 * A step started while cairn was a background job has the terminal's
 * background: reading it stops the step (SIGTTIN).  Once cairn is the
 * foreground (the user's `fg`, which continues only cairn's own group),
 * the step gets the terminal and goes on.
 */
static void terminal_watch(void)
{
	int fd = no_terminal ? -1 : sandbox_terminal_fd();
	if (!term_given && fd >= 0 && tcgetpgrp(fd) == getpgrp())
		step_to_foreground();
}

/*
 * Is there a job-control shell above cairn's process group to resume it?
 * The kernel's rule for orphaned groups: some process of the group has a
 * parent in another group of the same session.  Looked for along
 * cairn's ancestors in its group (a script that runs cairn).
 */
static int job_control_above(void)
{
	pid_t pid = getpid(), ppid, pgrp, sid, me_pgrp = getpgrp(), me_sid = getsid(0);
	int hops;
	for (hops = 0; hops < 64; hops++) {
		if (util_proc_stat(pid, NULL, &ppid, NULL, NULL) < 0 || ppid <= 1)
			return 0;
		if (util_proc_stat(ppid, NULL, NULL, &pgrp, &sid) < 0)
			return 0;
		if (sid != me_sid)
			return 0;
		if (pgrp != me_pgrp)
			return 1;
		pid = ppid;
	}
	return 0;
}

/*
 * The step's shell stopped before its dump was done (Ctrl-Z, `kill -STOP
 * $$`).  When the step has cairn's terminal, cairn's whole job stops with
 * it (cairn's group, as a program that handles SIGTSTP does), so that the
 * shell around cairn gets the terminal back and says "Stopped"; its `fg`
 * continues cairn, which gives the step the terminal and continues it
 * (continue_step()).  Without a terminal the step stays stopped, as bash
 * would, until something continues it (`kill -CONT` of cairn is passed
 * on); cairn, whose recorder the step's other processes may need, goes
 * on waiting.
 */
static void suspend_with_step(void)
{
	int fd = no_terminal ? -1 : sandbox_terminal_fd();
	if (!term_given || fd < 0)
		return;
	if (!job_control_above()) {
		/* Nobody would say `fg`: the step goes on. */
		kill(-(pid_t)step_pgid, SIGCONT);
		return;
	}
	sandbox_terminal_take();
	sandbox_terminal_held(0);
	term_given = 0;
	if (tcgetpgrp(fd) != getpgrp())
		return;
	fflush(NULL);
	kill(0, SIGSTOP);
}

static int run_program(struct exec_session *s, const struct strbuf *prog, int use_sync,
		       struct strbuf *dump, int *wstatus, struct exec_steprun *sr,
		       const struct exec_step *step)
{
	struct sandbox *sb = NULL;
	struct child_args a = { 0 };
	struct strvec env = STRVEC_INIT;
	struct sigaction ign = { 0 }, fwd = { 0 }, cont = { 0 }, old_int, old_quit, old_ttou,
			 old_cont;
	int foreground = !no_terminal && sandbox_terminal_ours();
	char *prog_path =
	    s->how == EXEC_HOW_STAGE ? xstrdup(s->stage_prog) : xstrfmt("%s/step.sh", s->tmpdir);
	int state[2] = { -1, -1 };
	pid_t pid;
	int ret = -1;

	a.sync_a[0] = a.sync_a[1] = a.sync_b[0] = a.sync_b[1] = -1;
	if (s->how != EXEC_HOW_STRING && write_program(prog_path, prog) < 0)
		goto out;
	if (pipe2(state, O_CLOEXEC) < 0) {
		err_errno(CAIRN_ERROR, "pipe");
		goto out;
	}
	if (use_sync && (pipe2(a.sync_a, O_CLOEXEC) < 0 || pipe2(a.sync_b, O_CLOEXEC) < 0)) {
		err_errno(CAIRN_ERROR, "pipe");
		goto out;
	}
	build_env(&env, s);
	a.s = s;
	a.prog_path = prog_path;
	a.program = prog->buf;
	a.envp = env.v;
	a.state_w = state[1];
	for (int i = 0; i < 3; i++) {
		const struct exec_output *o = s->output;
		a.out_fd[i] = -1;
		if (!o || i == 0)
			continue;
		a.out_fd[i] = o->kind[i] == EXEC_OUT_MERGED ? o->child[1] : o->child[i];
	}

	/* The terminal's signals are for the step: passed on to it when
	 * they reach cairn (an ignored one stays ignored, as in bash).
	 * SIGTTOU ignored: cairn writes the step's output while the step's
	 * group is the terminal's foreground (even with `stty tostop`). */
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	fwd.sa_handler = forward_signal;
	sigemptyset(&fwd.sa_mask);
	fwd.sa_flags = SA_RESTART;
	cont.sa_handler = continue_step;
	sigemptyset(&cont.sa_mask);
	cont.sa_flags = SA_RESTART;
	step_pgid = pending_signal = 0;
	term_given = foreground;
	sigaction(SIGINT, s->int_ignored ? &ign : &fwd, &old_int);
	sigaction(SIGQUIT, s->quit_ignored ? &ign : &fwd, &old_quit);
	sigaction(SIGTTOU, &ign, &old_ttou);
	sigaction(SIGCONT, &cont, &old_cont);
	fflush(NULL);
	if (sr && s->sandboxed) {
		if (exec__steprun_prepare(sr, s, step, prog_path, a.sync_a[0], a.sync_b[1]) < 0)
			goto restore;
		a.sandboxed = 1;
		sr->t_prepared = util_now_ns();
		sr->cfg.foreground = foreground;
		sr->cfg.terminal_fd = foreground ? sandbox_terminal_fd() : -1;
		if (sandbox_start(&sb, &sr->cfg, sandbox_main, &a) < 0)
			goto restore;
		step_started(sandbox_pgid(sb));
		sr->t_started = util_now_ns();
		/* While the step runs: write its start state (rerun). */
		exec__steprun_store_state(sr, s);
		pid = sandbox_main_pid(sb);
		sr->main_nspid = sandbox_main_nspid(sb);
	} else {
		if (sr && exec__steprun_prepare(sr, s, step, prog_path, -1, -1) < 0)
			goto restore;
		pid = fork();
		if (pid < 0) {
			err_errno(CAIRN_ERROR, "fork");
			goto restore;
		}
		if (pid == 0) {
			/* a job of its own, as in the sandbox */
			signal(SIGTTOU, SIG_DFL);
			setpgid(0, 0);
			if (foreground)
				sandbox_terminal_give(sandbox_terminal_fd(), getpgrp());
			child_main(&a);
		}
		setpgid(pid, pid); /* whichever of the two runs first */
		step_started(pid);
	}
	/* Only the step may hold these now: EOF must mean it is gone. */
	if (s->output) {
		exec__output_close_child(s->output);
		if (exec__output_start(s->output) < 0)
			warn("%s", err_last());
	}
	close(state[1]);
	state[1] = -1;
	for (int i = 0; i < 2; i++) {
		if (a.sync_a[i] >= 0)
			close(a.sync_a[i]);
		if (a.sync_b[i] >= 0)
			close(a.sync_b[i]);
		a.sync_a[i] = a.sync_b[i] = -1;
	}
	ret = read_until_stop(s, pid, sb, state[0], dump, sr ? sr->cfg.mem : 0);
	if (ret == 0)
		ret = strbuf_read_fd(dump, state[0]);
	if (sb) {
		sr->t_dumped = util_now_ns();
		if (sandbox_finish(sb, &sr->result, &sr->trace) < 0 && ret == 0)
			ret = -1;
		*wstatus = sr->result.wstatus;
	} else if (wait_all(pid, wstatus) < 0 && ret == 0) {
		ret = err_errno(CAIRN_ERROR, "waitpid");
	}
restore:
	sigaction(SIGCONT, &old_cont, NULL);
	step_pgid = pending_signal = 0;
	if (term_given) {
		sandbox_terminal_take();
		sandbox_terminal_held(0);
	}
	term_given = 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTTOU, &old_ttou, NULL);
out:
	if (state[0] >= 0)
		close(state[0]);
	if (state[1] >= 0)
		close(state[1]);
	for (int i = 0; i < 2; i++) {
		if (a.sync_a[i] >= 0)
			close(a.sync_a[i]);
		if (a.sync_b[i] >= 0)
			close(a.sync_b[i]);
	}
	strvec_clear(&env);
	free(prog_path);
	return ret;
}

/*
 * A program too long for one argument of `bash -c` (the kernel takes at
 * most 128 KiB per argument): from now on the session runs its programs
 * as a file named like $0 in a directory of its own, which bash words its
 * messages for just as for -c.
 */
#define EXEC_MAX_ARG 100000

static int switch_to_file(struct exec_session *s)
{
	if (!*s->argv0 || strchr(s->argv0, '/') || !strcmp(s->argv0, ".") ||
	    !strcmp(s->argv0, ".."))
		return err_set(CAIRN_ERROR, "the step is too long to pass to %s -c", s->shell);
	s->stage_cwd = xstrfmt("%s/big", s->tmpdir);
	s->stage_prog = xstrfmt("%s/%s", s->stage_cwd, s->argv0);
	if (exec__mkdir_p(s->stage_cwd, 0700) < 0)
		return -1;
	s->how = EXEC_HOW_STAGE;
	return 0;
}

static int build(struct strbuf *prog, struct exec_session *s, const struct exec_step *step,
		 int use_sync)
{
	if (exec__build_program(prog, s, step, use_sync) < 0)
		return -1;
	if (s->how != EXEC_HOW_STRING || prog->len < EXEC_MAX_ARG)
		return 0;
	if (switch_to_file(s) < 0)
		return -1;
	strbuf_reset(prog);
	return exec__build_program(prog, s, step, use_sync);
}

void exec__set_base_key(struct exec_session *s)
{
	struct strbuf b = STRBUF_INIT;
	if (!s->state.initial || s->base_key[0])
		return;
	/* Not the mode: a fresh shell starts the same however the session
	 * was started (the REPL sets expand_aliases after the baseline). */
	strbuf_addf(&b, "%s %d ", s->shell, (int)s->lang);
	exec__base_key_text(&b, s);
	util_sha256_hex(s->base_key, b.buf, b.len);
	strbuf_release(&b);
}

/*
 * Run one step, as a recorded step in the sandbox when the session has a
 * project root.
 */
static int step_run(struct exec_session *s, const struct exec_step *step, struct exec_result *out,
		    int finish)
{
	struct strbuf prog = STRBUF_INIT, dump = STRBUF_INIT;
	struct exec_state next = EXEC_STATE_INIT;
	struct exec_steprun sr = { 0 }, *srp = s->root ? &sr : NULL;
	struct exec_output output;
	struct exec_cachectx cache;
	int have_cache = 0;
	uint64_t t0 = util_now_ns();
	int wstatus = 0, complete = 0, ret;
	int use_sync = s->how == EXEC_HOW_MOUNT;

	memset(out, 0, sizeof(*out));
	strvec_init(&out->refused);
	if (srp && s->sandboxed && !finish) {
		if (exec__output_begin(&output, s) == 0) {
			s->output = &output;
		} else {
			warn("cannot capture the step's output: %s", err_last());
			memset(&output, 0, sizeof(output));
			for (int i = 0; i < 3; i++)
				output.dst[i] = output.rd[i] = output.child[i] = output.cap[i] =
				    output.back[i] = -1;
			output.stdin_kind = "closed";
			output.broken = 1;
		}
		exec__set_base_key(s);
		exec__cache_key(&cache, s, step, &output, s->no_cache);
		have_cache = 1;
		sr.cache = &cache;
		out->cache_off = cache.off;
		ret = exec__cache_serve(&cache, s, step, &output, out);
		if (ret != 0) {
			ret = ret < 0 ? -1 : 0;
			goto out;
		}
	}
	ret = build(&prog, s, step, use_sync);
	if (ret == 0 && finish) {
		/* Only the prelude: the shell runs the EXIT trap on reaching
		 * the end of its input, with $? set. */
		char *nl = memchr(prog.buf, '\n', prog.len);
		if (nl)
			strbuf_setlen(&prog, (size_t)(nl - prog.buf));
		strbuf_addch(&prog, '\n');
	}
	if (ret == 0 && getenv("CAIRN_DEBUG_PROGRAM"))
		fprintf(stderr, "--- cairn: program of step %u ---\n%s--- end ---\n", s->seq + 1,
			prog.buf);
	if (ret == 0)
		ret = run_program(s, &prog, use_sync, &dump, &wstatus, srp, step);
	if (ret < 0)
		goto out;
	exec_state_init(&next);
	if (!finish) {
		ret = exec__read_dump(&next, &complete, s, step, dump.buf, dump.len);
		if (ret < 0)
			goto out;
	}
	out->wall_ns = util_now_ns() - t0;
	s->seq++;
	if (complete) {
		next.limits = s->taken_limits;
		next.nlimits = s->ntaken_limits;
		strvec_copy(&next.fds, &s->taken_fds);
		s->taken_limits = NULL;
		s->ntaken_limits = 0;
		exec_state_release(&s->state);
		s->state = next;
		exec_state_init(&next);
		out->status = s->state.status;
	} else {
		out->ended = 1;
		if (WIFSIGNALED(wstatus)) {
			out->signal = WTERMSIG(wstatus);
			out->status = 128 + out->signal;
		} else {
			out->status = WEXITSTATUS(wstatus);
		}
	}
	if (srp && srp->result.timed_out && !out->signal) {
		/* The time limit killed what the step left running: the step
		 * failed, whatever its shell said. */
		out->signal = SIGKILL;
		out->status = 128 + SIGKILL;
		if (complete)
			s->state.status = out->status;
	}
	if (s->output && exec__output_end(s->output, s) < 0)
		warn("%s", err_last());
	if (srp) {
		uint64_t t_end0 = util_now_ns();
		ret = exec__steprun_end(srp, s, out->status, out->signal, complete, out);
		if (getenv("CAIRN_DEBUG_TIMING"))
			fprintf(stderr,
				"cairn: timing: prepare %.2f start %.2f run %.2f finish %.2f "
				"record %.2f ms\n",
				(double)(srp->t_prepared - t0) / 1e6,
				(double)(srp->t_started - srp->t_prepared) / 1e6,
				(double)(srp->t_dumped - srp->t_started) / 1e6,
				(double)(t_end0 - srp->t_dumped) / 1e6,
				(double)(util_now_ns() - t_end0) / 1e6);
	}
out:
	if (s->output) {
		exec__output_release(s->output);
		s->output = NULL;
	}
	if (have_cache)
		exec__cachectx_release(&cache);
	if (srp)
		exec__steprun_release(srp);
	strvec_clear(&s->hidden);
	exec_state_release(&next);
	strbuf_release(&prog);
	strbuf_release(&dump);
	return ret;
}

int exec_step_run(struct exec_session *s, const struct exec_step *step, struct exec_result *out)
{
	return step_run(s, step, out, 0);
}

void exec_result_release(struct exec_result *r)
{
	strvec_clear(&r->refused);
}

/* Does the state hold an EXIT trap? */
static int has_exit_trap(const struct exec_state *st)
{
	const char *p = st->traps;
	if (!p)
		return 0;
	while (*p) {
		const char *nl = strchrnul(p, '\n');
		if (nl - p > 5 && !memcmp(nl - 5, " EXIT", 5))
			return 1;
		p = *nl ? nl + 1 : nl;
	}
	return 0;
}

int exec_session_finish(struct exec_session *s, int *status)
{
	static const char text[] = "# the EXIT trap";
	struct exec_step none = { text, sizeof(text) - 1, 1, NULL, 0, { 0 } };
	struct exec_result res;
	int ret;

	if (!has_exit_trap(&s->state))
		return 0;
	s->state.status = *status;
	ret = step_run(s, &none, &res, 1);
	if (ret == 0)
		*status = res.status;
	exec_result_release(&res);
	return ret;
}
