/*
 * memo.c - the stat memo (.cairn/index): which SHA-256 a file had when
 * its (device, inode, size, mtime, ctime) were what they are now, so that
 * unchanged files are not hashed again.
 *
 * The file is text, one entry per line after a header:
 *
 *	cairn-index 1
 *	DEV INO SIZE MTIME_NS CTIME_NS SHA256
 *
 * Entries are kept only when they cannot be "racily clean" (git's term):
 * a file changed after it was hashed but within the same timestamp tick
 * would keep its stat.  See cache_memo_put() for the rule.
 */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEMO_HEADER "cairn-index 1\n"
/* The memo forgets beyond this many entries (the oldest-inserted go). */
#define MEMO_MAX 400000

struct memo_entry {
	uint64_t dev, ino, size, mtime, ctime;
	char sha[SHA256_HEX_LEN + 1];
	unsigned char used, dirty;
};

struct cache_memo {
	struct memo_entry *e;
	size_t cap, nr, ndirty;
};

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

uint64_t cache_memo_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts_ns(&ts);
}

static size_t slot(const struct cache_memo *m, uint64_t dev, uint64_t ino)
{
	size_t i =
	    (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ (dev * 0xff51afd7ed558ccdULL)) & (m->cap - 1);
	while (m->e[i].used && !(m->e[i].ino == ino && m->e[i].dev == dev))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void grow(struct cache_memo *m)
{
	struct cache_memo bigger = { 0 };
	size_t j;
	if ((m->nr + 1) * 2 <= m->cap)
		return;
	bigger.cap = m->cap ? m->cap * 2 : 1024;
	bigger.e = xcalloc(bigger.cap, sizeof(*bigger.e));
	for (j = 0; j < m->cap; j++)
		if (m->e[j].used)
			bigger.e[slot(&bigger, m->e[j].dev, m->e[j].ino)] = m->e[j];
	bigger.nr = m->nr;
	bigger.ndirty = m->ndirty;
	free(m->e);
	*m = bigger;
}

/* Insert or replace; DIRTY: not yet in the file. */
static void set(struct cache_memo *m, const struct memo_entry *n, int dirty)
{
	size_t i;
	grow(m);
	i = slot(m, n->dev, n->ino);
	if (!m->e[i].used)
		m->nr++;
	if (dirty && !m->e[i].dirty)
		m->ndirty++;
	m->e[i] = *n;
	m->e[i].used = 1;
	m->e[i].dirty = (unsigned char)(dirty || m->e[i].dirty);
}

static void index_path(struct strbuf *out, const char *cairn_dir, const char *suffix)
{
	strbuf_addf(out, "%s/index%s", cairn_dir, suffix);
}

/* Read the entries of the file at PATH into M (not replacing dirty ones). */
static void read_file(struct cache_memo *m, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f) || strcmp(line, MEMO_HEADER)) {
		fclose(f);
		return; /* unknown or damaged: start afresh */
	}
	while (fgets(line, sizeof(line), f)) {
		struct memo_entry n = { 0 };
		size_t i;
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %64s",
			   &n.dev, &n.ino, &n.size, &n.mtime, &n.ctime, n.sha) != 6 ||
		    !util_is_sha256_hex(n.sha))
			continue;
		if (m->cap) {
			i = slot(m, n.dev, n.ino);
			if (m->e[i].used && m->e[i].dirty)
				continue;
		}
		set(m, &n, 0);
	}
	fclose(f);
}

struct cache_memo *cache_memo_load(const char *cairn_dir)
{
	struct cache_memo *m = xcalloc(1, sizeof(*m));
	struct strbuf p = STRBUF_INIT;
	if (cairn_dir) {
		index_path(&p, cairn_dir, "");
		read_file(m, p.buf);
	}
	strbuf_release(&p);
	return m;
}

void cache_memo_free(struct cache_memo *m)
{
	if (!m)
		return;
	free(m->e);
	free(m);
}

int cache_memo_get(struct cache_memo *m, const struct stat *st, char out[SHA256_HEX_LEN + 1])
{
	const struct memo_entry *e;
	if (!m->cap || !S_ISREG(st->st_mode))
		return 0;
	e = &m->e[slot(m, (uint64_t)st->st_dev, (uint64_t)st->st_ino)];
	if (!e->used || e->size != (uint64_t)st->st_size || e->mtime != ts_ns(&st->st_mtim) ||
	    e->ctime != ts_ns(&st->st_ctim))
		return 0;
	memcpy(out, e->sha, sizeof(e->sha));
	return 1;
}

void cache_memo_put(struct cache_memo *m, const struct stat *st, const char *sha, uint64_t t0,
		    int sealed)
{
	struct memo_entry n = { 0 };
	uint64_t mt = ts_ns(&st->st_mtim), ct = ts_ns(&st->st_ctim);
	/*
	 * A change after hashing began gets a timestamp no earlier than T0
	 * (the coarse clock, which file timestamps come from): an entry is
	 * safe when its timestamps are older than that.  SEALED: nothing
	 * could write the file between the hashing and ST but a later
	 * change would move mtime too, so mtime alone decides.
	 */
	if (mt >= t0 || (!sealed && ct >= t0) || !S_ISREG(st->st_mode) || !st->st_ino)
		return;
	n.dev = (uint64_t)st->st_dev;
	n.ino = (uint64_t)st->st_ino;
	n.size = (uint64_t)st->st_size;
	n.mtime = mt;
	n.ctime = ct;
	memcpy(n.sha, sha, sizeof(n.sha));
	set(m, &n, 1);
}

int cache_memo_hash(struct cache_memo *m, char out[SHA256_HEX_LEN + 1], const char *path,
		    const struct stat *st)
{
	uint64_t t0, size;
	int fd, ret;
	if (m && cache_memo_get(m, st, out))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_errno(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_ERROR, "%s", path);
	t0 = cache_memo_clock();
	ret = util_sha256_fd(out, &size, fd);
	close(fd);
	if (ret < 0)
		return ret;
	if (m && size == (uint64_t)st->st_size)
		cache_memo_put(m, st, out, t0, 0);
	return 0;
}

static int write_all_entries(const struct cache_memo *m, FILE *f)
{
	size_t i, skip = m->nr > MEMO_MAX ? m->nr - MEMO_MAX : 0;
	fputs(MEMO_HEADER, f);
	for (i = 0; i < m->cap; i++) {
		const struct memo_entry *e = &m->e[i];
		if (!e->used)
			continue;
		if (skip && !e->dirty) {
			skip--;
			continue;
		}
		fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
			e->dev, e->ino, e->size, e->mtime, e->ctime, e->sha);
	}
	return ferror(f) ? -1 : 0;
}

int cache_memo_save(struct cache_memo *m, const char *cairn_dir)
{
	struct strbuf lock = STRBUF_INIT, path = STRBUF_INIT, tmp = STRBUF_INIT;
	int lfd = -1, fd = -1, ret = 0;
	FILE *f = NULL;
	size_t i;

	if (!m || !m->ndirty)
		return 0;
	index_path(&lock, cairn_dir, ".lock");
	index_path(&path, cairn_dir, "");
	index_path(&tmp, cairn_dir, ".tmp");
	lfd = open(lock.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot lock %s", lock.buf);
		goto out;
	}
	/* What other sessions saved meanwhile is kept (ours wins). */
	read_file(m, path.buf);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = err_errno(CAIRN_ERROR, "cannot write %s", tmp.buf);
		goto out;
	}
	fd = -1;
	if (write_all_entries(m, f) < 0 || fflush(f) || fsync(fileno(f)) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot write %s", tmp.buf);
		goto out;
	}
	fclose(f);
	f = NULL;
	if (rename(tmp.buf, path.buf) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rename %s", tmp.buf);
		goto out;
	}
	for (i = 0; i < m->cap; i++)
		m->e[i].dirty = 0;
	m->ndirty = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp.buf);
	if (lfd >= 0)
		close(lfd);
	strbuf_release(&lock);
	strbuf_release(&path);
	strbuf_release(&tmp);
	return ret;
}
