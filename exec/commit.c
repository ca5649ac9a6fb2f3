/*
 * commit.c - move a step's writes from its overlay upper directories into
 * the real tree, all or nothing as far as a crash can tell.
 *
 * The upper directory of an overlay holds exactly what the step changed:
 * new and modified files (whole: we mount without metacopy), symlinks,
 * directories it made (opaque when it replaced one), and whiteouts
 * (character devices 0/0) for what it deleted.  Committing is a list of
 * operations -- delete, make a directory, rename a file from the upper
 * directory into place -- written to a journal before the first one is
 * done.  Each operation is atomic for the file it touches (rename(2)),
 * and a progress counter in the journal says how many are done, so a
 * cairn killed at any moment leaves every file old or new, and the next
 * cairn finishes the job (exec_recover()).
 *
 * A power loss is a crash that also forgets what was not synced, so the
 * order in which things reach the disk is kept too (docs/store.md, "Crash
 * safety"): the files to move are synced before the journal names them
 * (overlays are mounted volatile: nothing else syncs them), the journal
 * before the step's record, the record before the first operation, and
 * the operations before the journal goes and the record is stored.
 */
#include "exec-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

enum op_type {
	OP_DELETE = 'D', /* remove DST (a whole tree) if present */
	OP_MKDIR = 'M', /* make directory DST with MODE if absent */
	OP_RENAME = 'R', /* move SRC to DST (copy across filesystems) */
	OP_CHMOD = 'C', /* set DST's mode */
	OP_SKIP = 'S', /* nothing (recovery: an operation of a dead session's /tmp) */
};

static void add_op(struct exec_commit *c, int type, const char *src, const char *dst, unsigned mode)
{
	struct exec_op *op;
	ALLOC_GROW(c->ops, c->nops + 1, c->alloc_ops);
	op = &c->ops[c->nops++];
	op->type = type;
	op->src = src ? xstrdup(src) : NULL;
	op->dst = xstrdup(dst);
	op->mode = mode;
}

void exec__commit_add_op(struct exec_commit *c, int type, const char *src, const char *dst,
			 unsigned mode)
{
	add_op(c, type, src, dst, mode);
}

static struct exec_write *add_write(struct exec_commit *c, const char *path, int kind)
{
	struct exec_write *w;
	ALLOC_GROW(c->writes, c->nwrites + 1, c->alloc_writes);
	w = &c->writes[c->nwrites++];
	memset(w, 0, sizeof(*w));
	w->path = xstrdup(path);
	w->kind = kind;
	return w;
}

void exec_commit_release(struct exec_commit *c)
{
	size_t i;
	for (i = 0; i < c->nops; i++) {
		free(c->ops[i].src);
		free(c->ops[i].dst);
	}
	for (i = 0; i < c->nwrites; i++) {
		free(c->writes[i].path);
		free(c->writes[i].target);
		free(c->writes[i].src);
	}
	free(c->ops);
	free(c->writes);
	memset(c, 0, sizeof(*c));
}

static int is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int is_opaque_fd(int fd)
{
	char v[4];
	ssize_t n = fgetxattr(fd, "user.overlay.opaque", v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

static void join(struct strbuf *sb, const char *a, const char *b)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, a);
	if (*b) {
		if (sb->len && sb->buf[sb->len - 1] != '/')
			strbuf_addch(sb, '/');
		strbuf_addstr(sb, b);
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The index of record name NAME among the paths hidden from the step,
 * or -1. */
static int hidden_at(const struct exec_commit *c, const char *name)
{
	char **at;
	if (!c->hidden || !c->hidden->nr)
		return -1;
	at = bsearch(&name, c->hidden->v, c->hidden->nr, sizeof(char *), cmp_name);
	return at ? (int)(at - c->hidden->v) : -1;
}

/* Does a path hidden from the step lie below record name NAME? */
static int hidden_below(const struct exec_commit *c, const char *name)
{
	size_t i, n = strlen(name);
	for (i = 0; c->hidden && i < c->hidden->nr; i++)
		if (!strncmp(c->hidden->v[i], name, n) && c->hidden->v[i][n] == '/')
			return 1;
	return 0;
}

/*
 * The step removed directory DST (record name NM) that held its own
 * earlier outputs, hidden from it: its rmdir succeeded where under bash
 * it would have failed on them (REVIEW17 H9).  Remove what it held but
 * those, which stay with the directory: nothing the step did not see
 * is lost.
 */
static void delete_but_hidden(struct exec_commit *c, const char *dst, const char *nm)
{
	struct strbuf sub = STRBUF_INIT, subnm = STRBUF_INIT;
	DIR *d = opendir(dst);
	struct dirent *e;
	struct stat st;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		join(&sub, dst, e->d_name);
		join(&subnm, nm, e->d_name);
		if (hidden_at(c, subnm.buf) >= 0 || lstat(sub.buf, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && hidden_below(c, subnm.buf)) {
			delete_but_hidden(c, sub.buf, subnm.buf);
			continue;
		}
		add_op(c, OP_DELETE, NULL, sub.buf, 0);
		add_write(c, subnm.buf, EXEC_WRITE_DELETED);
	}
	if (d)
		closedir(d);
	strbuf_release(&sub);
	strbuf_release(&subnm);
}

/* A directory being walked by scan_tree(): its sorted entries, the next
 * one to look at, its path below the upper directory, and a descriptor
 * of it while it is the one walked (-1 while one below it is). */
struct scan_frame {
	struct strvec names;
	size_t next;
	char *rel;
	int fd;
	dev_t dev;
	ino_t ino;
};

/* Push a frame for the directory FD (taken over; -1: its open failed,
 * errno says why), REL below the upper directory, onto FRAMES: 0, or an
 * error. */
static int scan_push(struct scan_frame **frames, size_t *nr, size_t *alloc, int fd,
		     const char *upper, const char *rel)
{
	struct scan_frame *f;
	struct dirent *e;
	struct stat st;
	int lfd;
	DIR *d;

	if (fd < 0)
		return err_errno(CAIRN_ERROR, "%s%s%s", upper, *rel ? "/" : "", rel);
	lfd = dup(fd);
	d = lfd < 0 ? NULL : fdopendir(lfd);
	if (!d || fstat(fd, &st) < 0) {
		int ret = err_errno(CAIRN_ERROR, "%s%s%s", upper, *rel ? "/" : "", rel);
		if (d)
			closedir(d);
		else if (lfd >= 0)
			close(lfd);
		close(fd);
		return ret;
	}
	ALLOC_GROW(*frames, *nr + 1, *alloc);
	f = &(*frames)[(*nr)++];
	strvec_init(&f->names);
	f->next = 0;
	f->rel = xstrdup(rel);
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strvec_push(&f->names, e->d_name);
	closedir(d);
	/* Sorted, so that records and journals do not depend on readdir. */
	qsort(f->names.v, f->names.nr, sizeof(char *), cmp_name);
	return 0;
}

/*
 * Pop the top frame: the one below it is walked again, from a descriptor
 * of it opened as the top one's "..": two descriptors at most, however
 * deep the walk.  (The upper directory is cairn's own; nothing moves in
 * it now.  That it is the same directory is checked all the same.)
 */
static int scan_pop(struct scan_frame *frames, size_t *nr, const char *upper)
{
	struct scan_frame *f = &frames[*nr - 1], *up;
	struct stat st;
	int ret = 0;

	if (*nr > 1) {
		up = &frames[*nr - 2];
		up->fd = openat(f->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up->fd < 0 || fstat(up->fd, &st) < 0 || st.st_dev != up->dev ||
		    st.st_ino != up->ino)
			ret = err_set(CAIRN_ERROR, "%s/%s: moved while its writes were read", upper,
				      f->rel);
	}
	close(f->fd);
	strvec_clear(&f->names);
	free(f->rel);
	(*nr)--;
	return ret;
}

/*
 * Walk UPPER, planning the operations that bring TARGET to the step's
 * view; NAME/REL is how the record names UPPER/REL.  Depth first, each
 * directory's entries in name order, with a stack of its own: a step
 * may make directories nested deeper than cairn's stack could recurse.
 * The upper directory is looked at relative to a descriptor of the
 * directory walked, so that a step's writes 2000 levels deep cost their
 * number, not their number times their depth.
 */
static int scan_tree(struct exec_commit *c, const char *upper, const char *target, const char *name)
{
	struct strbuf up = STRBUF_INIT, dst = STRBUF_INIT, nm = STRBUF_INIT, sub = STRBUF_INIT;
	char link[PATH_MAX]; /* (one: no recursion) */
	struct scan_frame *frames = NULL;
	size_t nr = 0, alloc = 0;
	int ret;

	ret = scan_push(&frames, &nr, &alloc, open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC),
			upper, "");
	while (!ret && nr) {
		struct scan_frame *f = &frames[nr - 1];
		struct stat st, old;
		const char *base;
		int have_old, hid;

		if (f->next == f->names.nr) {
			ret = scan_pop(frames, &nr, upper);
			continue;
		}
		base = f->names.v[f->next++];
		/* The project's store is never a step's output. */
		if (!*f->rel && !*name && !strcmp(base, ".cairn"))
			continue;
		strbuf_reset(&sub);
		if (*f->rel)
			strbuf_addf(&sub, "%s/", f->rel);
		strbuf_addstr(&sub, base);
		join(&up, upper, sub.buf);
		join(&dst, target, sub.buf);
		join(&nm, name, sub.buf);
		if (fstatat(f->fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = err_errno(CAIRN_ERROR, "%s", up.buf);
			break;
		}
		have_old = !lstat(dst.buf, &old);

		hid = hidden_at(c, nm.buf);
		if (is_whiteout(&st)) {
			/* cairn hid the step's own earlier output, which it
			 * then left alone: no deletion.  (A file the step made
			 * there and removed again leaves another whiteout.) */
			if (hid >= 0 && (!c->hidden_ino || c->hidden_ino[hid] == st.st_ino))
				continue;
			if (have_old && S_ISDIR(old.st_mode) && hidden_below(c, nm.buf)) {
				delete_but_hidden(c, dst.buf, nm.buf);
			} else if (have_old) {
				add_op(c, OP_DELETE, NULL, dst.buf, 0);
				add_write(c, nm.buf, EXEC_WRITE_DELETED);
			}
		} else if (S_ISDIR(st.st_mode)) {
			int fd =
			    openat(f->fd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int opaque = fd >= 0 && is_opaque_fd(fd);
			if (have_old && opaque && S_ISDIR(old.st_mode) && hidden_below(c, nm.buf))
				delete_but_hidden(c, dst.buf, nm.buf);
			else if (have_old && (opaque || !S_ISDIR(old.st_mode)))
				add_op(c, OP_DELETE, NULL, dst.buf, 0);
			if (!have_old || opaque || !S_ISDIR(old.st_mode)) {
				struct exec_write *w;
				add_op(c, OP_MKDIR, NULL, dst.buf, st.st_mode & 07777);
				w = add_write(c, nm.buf, EXEC_WRITE_DIR);
				w->mode = st.st_mode & 07777;
				/* What was there went: rm -rf d; mkdir d. */
				w->replaced = have_old;
			} else if ((old.st_mode & 07777) != (st.st_mode & 07777)) {
				add_op(c, OP_CHMOD, NULL, dst.buf, st.st_mode & 07777);
			}
			/* Walked next, from its own descriptor: this one is
			 * opened again from it once it is done (scan_pop()). */
			if (fd < 0) {
				ret = err_errno(CAIRN_ERROR, "%s", up.buf);
				break;
			}
			close(f->fd);
			f->fd = -1;
			/* (F may move as the stack grows: not used after.) */
			ret = scan_push(&frames, &nr, &alloc, fd, upper, sub.buf);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			struct exec_write *w;
			if (have_old && S_ISDIR(old.st_mode))
				add_op(c, OP_DELETE, NULL, dst.buf, 0);
			add_op(c, OP_RENAME, up.buf, dst.buf, 0);
			w = add_write(c, nm.buf,
				      S_ISLNK(st.st_mode) ? EXEC_WRITE_SYMLINK : EXEC_WRITE_FILE);
			w->mode = st.st_mode & 07777;
			w->size = (uint64_t)st.st_size;
			w->src = xstrdup(up.buf);
			/* Found absent (or hidden from it), then made. */
			w->created = !have_old || hid >= 0;
			if (S_ISLNK(st.st_mode)) {
				ssize_t n = readlinkat(f->fd, base, link, sizeof(link) - 1);
				link[n > 0 ? n : 0] = '\0';
				w->target = xstrdup(link);
			}
		}
		/* FIFOs, sockets and devices made by a step are not carried. */
	}
	while (nr--) {
		if (frames[nr].fd >= 0)
			close(frames[nr].fd);
		strvec_clear(&frames[nr].names);
		free(frames[nr].rel);
	}
	free(frames);
	strbuf_release(&up);
	strbuf_release(&dst);
	strbuf_release(&nm);
	strbuf_release(&sub);
	return ret;
}

int exec__commit_scan(struct exec_commit *c, const char *upper, const char *target,
		      const char *name)
{
	struct stat st;
	if (lstat(upper, &st) < 0)
		return errno == ENOENT ? 0 : err_errno(CAIRN_ERROR, "%s", upper);
	return scan_tree(c, upper, target, name);
}

/* ---- carrying the operations out ---------------------------------------- */

/*
 * Remove NAME in DFD, a whole tree if it is a directory.  Directories
 * get the permissions it takes first: overlayfs leaves its work
 * directories' insides without any (work/, work/incompat/), and a step
 * may have made a read-only one.
 */
static int remove_at(int dfd, const char *name, int is_dir)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, ret = 0;

	if (!is_dir) {
		if (!unlinkat(dfd, name, 0) || errno == ENOENT)
			return 0;
		if (errno != EISDIR && errno != EPERM)
			return -1;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if ((st.st_mode & 0700) != 0700)
		fchmodat(dfd, name, 0700, 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (remove_at(fd, e->d_name, e->d_type == DT_DIR) < 0)
			ret = -1;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		ret = -1;
	return ret;
}

int exec__remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path, 0);
}

int exec__remove_at(int dfd, const char *name)
{
	return remove_at(dfd, name, 0);
}

/* Copy SRC over DST through a temporary file beside DST (EXDEV). */
static int copy_into_place(const char *src, const char *dst)
{
	struct stat st;
	char *tmp = NULL;
	int in = -1, out = -1, ret = -1;

	if (lstat(src, &st) < 0)
		return -1;
	tmp = xstrfmt("%s.cairn-tmp", dst);
	if (S_ISLNK(st.st_mode)) {
		char buf[PATH_MAX];
		ssize_t n = readlink(src, buf, sizeof(buf) - 1);
		if (n < 0)
			goto out;
		buf[n] = '\0';
		unlink(tmp);
		if (symlink(buf, tmp) < 0)
			goto out;
	} else {
		char buf[65536];
		ssize_t n;
		in = open(src, O_RDONLY | O_CLOEXEC);
		/* never through something planted at the temporary name */
		unlink(tmp);
		out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   st.st_mode & 07777);
		if (in < 0 || out < 0)
			goto out;
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (util_write_all(out, buf, (size_t)n) < 0)
				goto out;
		if (n < 0 || fchmod(out, st.st_mode & 07777) < 0 || fsync(out) < 0)
			goto out;
	}
	if (rename(tmp, dst) < 0)
		goto out;
	unlink(src);
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret < 0 && tmp)
		unlink(tmp);
	free(tmp);
	return ret;
}

/* Do one operation; each may be repeated after a crash. */
static int do_op(const struct exec_op *op)
{
	struct stat st;
	switch (op->type) {
	case OP_DELETE:
		if (exec__remove_tree(op->dst) < 0)
			return err_errno(CAIRN_ERROR, "cannot remove %s", op->dst);
		return 0;
	case OP_MKDIR:
		if (mkdir(op->dst, op->mode) < 0 && errno != EEXIST)
			return err_errno(CAIRN_ERROR, "cannot create %s", op->dst);
		chmod(op->dst, op->mode);
		return 0;
	case OP_CHMOD:
		if (chmod(op->dst, op->mode) < 0 && errno != ENOENT)
			return err_errno(CAIRN_ERROR, "cannot chmod %s", op->dst);
		return 0;
	case OP_RENAME:
		if (lstat(op->src, &st) < 0)
			return 0; /* done before a crash */
		if (rename(op->src, op->dst) == 0)
			return 0;
		if (errno == EXDEV && copy_into_place(op->src, op->dst) == 0)
			return 0;
		return err_errno(CAIRN_ERROR, "cannot move %s into place", op->dst);
	case OP_SKIP:
		return 0;
	default:
		return err_set(CAIRN_ERROR, "corrupt journal (operation %d)", op->type);
	}
}

/* The directory holding PATH; the caller frees it. */
static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Is B the path A or below it? */
static int is_at_or_under(const char *b, const char *a)
{
	size_t n = strlen(a);
	return !strncmp(b, a, n) && (b[n] == '\0' || b[n] == '/');
}

/* fsync PATH (a file or a directory).  0 or -1 (errno set). */
static int fsync_path(const char *path, int nofollow)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0)), ret;
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

/* syncfs() of the filesystem holding each of PATHS (once each). */
static int syncfs_of(const struct strvec *paths)
{
	dev_t *seen = NULL;
	size_t nseen = 0, alloc = 0, i, k;
	int ret = 0;

	for (i = 0; i < paths->nr && !ret; i++) {
		struct stat st;
		int fd;
		if (stat(paths->v[i], &st) < 0)
			continue; /* gone since (a deleted tree) */
		for (k = 0; k < nseen && seen[k] != st.st_dev; k++)
			;
		if (k < nseen)
			continue;
		ALLOC_GROW(seen, nseen + 1, alloc);
		seen[nseen++] = st.st_dev;
		fd = open(paths->v[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) < 0)
			ret =
			    err_errno(CAIRN_ERROR, "cannot sync the filesystem of %s", paths->v[i]);
		if (fd >= 0)
			close(fd);
	}
	free(seen);
	return ret;
}

/* Above this many files or directories to sync, one syncfs() instead. */
#define SYNC_EACH_MAX 16

static void add_unique(struct strvec *v, const char *s)
{
	size_t i;
	for (i = 0; i < v->nr; i++)
		if (!strcmp(v->v[i], s))
			return;
	strvec_push(v, s);
}

/*
 * Make durable what the plan moves (SRC: the files to move and the
 * directories naming them) or what it changed (!SRC: the directories of
 * its destinations, and what it chmod'ed).  An fsync each when there are
 * few, else syncfs() once per filesystem.  Measured on the 2-core
 * development VM (ext4, shared with other busy processes): an fsync of a
 * small file 0.3-0.6 ms, a syncfs() 0.3 ms on a quiet machine but 9 ms
 * on average on a busy one (it also writes what every other program left
 * dirty on the filesystem); 1000 small files took 250-300 ms with an
 * fsync each against 12-15 ms with one syncfs().  A path gone since (a
 * deleted tree) needs nothing.
 */
static int sync_plan(const struct exec_commit *c, int src)
{
	struct strvec files = STRVEC_INIT, dirs = STRVEC_INIT, unopened = STRVEC_INIT;
	size_t i;
	int ret = 0, many = 0;

	for (i = 0; i < c->nops && !many; i++) {
		const struct exec_op *op = &c->ops[i];
		const char *path = src ? op->src : op->dst;
		char *dir;
		struct stat st;
		if (!path || (src && op->type != OP_RENAME))
			continue;
		if ((src || op->type == OP_CHMOD) && lstat(path, &st) == 0 && !S_ISLNK(st.st_mode))
			strvec_push(&files, path);
		dir = parent_dir(path);
		add_unique(&dirs, dir);
		free(dir);
		many = files.nr + dirs.nr > SYNC_EACH_MAX;
	}
	if (many) {
		struct strvec all = STRVEC_INIT;
		for (i = 0; i < c->nops; i++) {
			const char *path = src ? c->ops[i].src : c->ops[i].dst;
			char *dir;
			if (!path)
				continue;
			dir = parent_dir(path);
			strvec_push(&all, dir);
			free(dir);
		}
		ret = syncfs_of(&all);
		strvec_clear(&all);
		goto out;
	}
	/* One that cannot be opened (no read permission) is synced with
	 * its filesystem, through its directory. */
	for (i = 0; i < files.nr + dirs.nr; i++) {
		const char *path = i < files.nr ? files.v[i] : dirs.v[i - files.nr];
		if (fsync_path(path, i < files.nr) < 0 && errno != ENOENT) {
			char *dir = parent_dir(path);
			strvec_push(&unopened, dir);
			free(dir);
		}
	}
	ret = syncfs_of(&unopened);
out:
	strvec_clear(&unopened);
	strvec_clear(&files);
	strvec_clear(&dirs);
	return ret;
}

/*
 * The journal: "cairn-journal 1\n", an 8-byte progress counter line
 * ("%08zx\n", rewritten in place), then per operation TYPE, MODE (octal),
 * SRC, DST, each NUL-terminated.
 */
#define JOURNAL_MAGIC "cairn-journal 1\n"
#define PROGRESS_OFF (sizeof(JOURNAL_MAGIC) - 1)

static int write_journal(const char *path, const struct exec_commit *c)
{
	struct strbuf sb = STRBUF_INIT;
	char *tmp = xstrfmt("%s.tmp", path);
	size_t i;
	int fd, ret = -1;

	strbuf_addstr(&sb, JOURNAL_MAGIC);
	strbuf_addstr(&sb, "00000000\n");
	for (i = 0; i < c->nops; i++) {
		const struct exec_op *op = &c->ops[i];
		strbuf_addf(&sb, "%c%o", op->type, op->mode);
		strbuf_addch(&sb, '\0');
		strbuf_addstr(&sb, op->src ? op->src : "");
		strbuf_addch(&sb, '\0');
		strbuf_addstr(&sb, op->dst);
		strbuf_addch(&sb, '\0');
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || util_write_all(fd, sb.buf, sb.len) < 0 || fsync(fd) < 0) {
		err_errno(CAIRN_ERROR, "cannot write the journal %s", tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err_errno(CAIRN_ERROR, "cannot write the journal %s", path);
		goto out;
	}
	/* Durable before the record that follows it (see the top). */
	if (util_fsync_parent(path) < 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp);
	free(tmp);
	strbuf_release(&sb);
	return ret;
}

int exec__journal_parse(struct exec_commit *c, size_t *done, const char *buf, size_t len,
			const char *path)
{
	const char *p, *end;

	if (len < PROGRESS_OFF + 9 || memcmp(buf, JOURNAL_MAGIC, PROGRESS_OFF))
		return err_set(CAIRN_ERROR, "%s: not a cairn journal", path);
	*done = strtoul(buf + PROGRESS_OFF, NULL, 16);
	p = buf + PROGRESS_OFF + 9;
	end = buf + len;
	while (p < end) {
		const char *f[3];
		int k;
		for (k = 0; k < 3; k++) {
			const char *nul = memchr(p, '\0', (size_t)(end - p));
			if (!nul)
				return err_set(CAIRN_ERROR, "%s: truncated journal", path);
			f[k] = p;
			p = nul + 1;
		}
		add_op(c, f[0][0], *f[1] ? f[1] : NULL, f[2], (unsigned)strtoul(f[0] + 1, NULL, 8));
	}
	return 0;
}

static int read_journal(struct exec_commit *c, size_t *done, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (strbuf_read_file(&sb, path) < 0) {
		strbuf_release(&sb);
		return err_errno(CAIRN_ERROR, "%s", path);
	}
	ret = exec__journal_parse(c, done, sb.buf, sb.len, path);
	strbuf_release(&sb);
	return ret;
}

/*
 * Must the progress counter be on disk before the operation after op I?
 * Every operation may be done again after a crash -- a rename whose
 * source has gone is done, a directory made is there -- except a
 * deletion followed by operations at or below its path (a directory
 * replaced by a file, an opaque directory): done again after them, it
 * would remove what they put there.  A power loss can forget the counter
 * (written in place, not synced) but keep the renames, so after such a
 * deletion its directory and then the counter are synced before the
 * next operation.
 */
static int needs_barrier(const struct exec_commit *c, size_t i)
{
	size_t j;
	if (c->ops[i].type != OP_DELETE)
		return 0;
	for (j = i + 1; j < c->nops; j++)
		if (is_at_or_under(c->ops[j].dst, c->ops[i].dst))
			return 1;
	return 0;
}

static int run_ops(const struct exec_commit *c, size_t from, size_t to, const char *journal)
{
	size_t i;
	int fd = open(journal, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return err_errno(CAIRN_ERROR, "%s", journal);
	for (i = from; i < to; i++) {
		char num[24];
		int barrier;
		if ((ret = do_op(&c->ops[i])) < 0)
			break;
		snprintf(num, sizeof(num), "%08zx", i + 1);
		barrier = needs_barrier(c, i);
		/* The deletion on disk, then the counter that says so. */
		if (barrier && (ret = util_fsync_parent(c->ops[i].dst)) < 0)
			break;
		if (pwrite(fd, num, 8, (off_t)PROGRESS_OFF) != 8 ||
		    (barrier && fdatasync(fd) < 0)) {
			ret = err_errno(CAIRN_ERROR, "%s", journal);
			break;
		}
	}
	close(fd);
	/* Every operation durable before the journal goes and the record
	 * that describes their result is stored. */
	if (!ret && to == c->nops)
		ret = sync_plan(c, 0);
	return ret;
}

int exec__commit_prepare(const struct exec_commit *c, const char *journal)
{
	if (!c->nops)
		return 0;
	if (sync_plan(c, 1) < 0)
		return -1;
	util_test_crash_point("synced");
	return write_journal(journal, c);
}

int exec__commit_apply(const struct exec_commit *c, const char *journal)
{
	size_t to = c->nops;
	if (!c->nops)
		return 0;
	if (getenv("CAIRN_TEST_CRASH_COMMIT")) {
		/* Tests: die before the operations, or after N of them, as a
		 * kill -9 would. */
		size_t n = strtoul(getenv("CAIRN_TEST_CRASH_COMMIT"), NULL, 10);
		if (n < to) {
			run_ops(c, 0, n, journal);
			_exit(137);
		}
	}
	return run_ops(c, 0, to, journal);
}

const char *exec__plainly_under(const char *path, const char *base)
{
	const char *rest = base ? exec__under(path, base) : NULL;
	char *copy, *slash;
	struct stat st;
	int ok = 1;
	if (!rest || !util_path_plain(rest))
		return NULL;
	copy = xstrdup(path);
	for (slash = copy + (rest - path); (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (lstat(copy, &st) == 0 && !S_ISDIR(st.st_mode))
			ok = 0;
		*slash = '/';
	}
	free(copy);
	return ok ? rest : NULL;
}

/*
 * Are the operations of a journal found in the store ones a commit of
 * this project makes?  The store came with the project: a planted
 * journal must not move, delete or overwrite anything else.  A target
 * lies in the project (not in .cairn/) or a sandbox.writable directory,
 * and a source in .cairn/tmp/ (the steps' layers); an operation of a
 * dead session's private /tmp (its scratch directory, gone with it) is
 * skipped.  Else the journal is refused.  Modes lose their set-id and
 * sticky bits.
 */
int exec__journal_ok(struct exec_commit *c, const struct exec_session *s)
{
	char *tmp = xstrfmt("%s/tmp", s->cairn_dir);
	const char *tdir = getenv("TMPDIR");
	size_t i, k;
	int ok = 1;
	for (i = 0; ok && i < c->nops; i++) {
		struct exec_op *op = &c->ops[i];
		const char *base = exec__under(op->dst, s->cairn_dir) ? NULL : s->root;
		const char *rest = exec__plainly_under(op->dst, base), *scratch;
		for (k = 0; !rest && k < s->writable.nr; k++)
			rest = exec__plainly_under(op->dst, s->writable.v[k]);
		if (!rest) {
			/* the session's private /tmp: $TMPDIR/cairn-XXXXXX/... */
			scratch = exec__under(op->dst, tdir && tdir[0] == '/' ? tdir : "/tmp");
			if (scratch && !strncmp(scratch, "cairn-", 6) && util_path_plain(scratch) &&
			    (!op->src ||
			     exec__under(op->src, tdir && tdir[0] == '/' ? tdir : "/tmp"))) {
				op->type = OP_SKIP;
				continue;
			}
			ok = 0;
			break;
		}
		if (op->src && !exec__plainly_under(op->src, tmp))
			ok = 0;
		/* What it restores gets no set-id or sticky bits: a journal
		 * that came with a handed project must not make a setuid
		 * file (a crashed step's own chmod u+s is lost with them). */
		op->mode &= 0777;
		if (ok && op->src) {
			struct stat st;
			if (!lstat(op->src, &st) && S_ISREG(st.st_mode) && (st.st_mode & 07000))
				chmod(op->src, st.st_mode & 0777);
		}
	}
	free(tmp);
	return ok;
}

int exec__commit_recover(const char *journal, const struct exec_session *s)
{
	struct exec_commit c = { 0 };
	size_t done = 0;
	int ret = read_journal(&c, &done, journal);
	if (!ret && !exec__journal_ok(&c, s))
		ret = err_set(CAIRN_ERROR,
			      "%s names files outside the project and its layers: not replayed "
			      "(a journal cairn did not write; remove it)",
			      journal);
	if (!ret && done < c.nops)
		ret = run_ops(&c, done, c.nops, journal);
	exec_commit_release(&c);
	return ret;
}
