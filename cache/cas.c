/*
 * cas.c - content-addressed objects: put, has, get, open.
 */
#include "cache-int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/fs.h>
#include <unistd.h>

void cache_cas_path(struct strbuf *out, const char *cairn_dir, const char *sha)
{
	strbuf_addf(out, "%s/cas/sha256/%.2s/%s", cairn_dir, sha, sha + 2);
}

void cache_cas_zst_path(struct strbuf *out, const char *cairn_dir, const char *sha)
{
	strbuf_addf(out, "%s/cas/sha256/%.2s/%s.zst", cairn_dir, sha, sha + 2);
}

int cache__open_noatime(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
	/* O_NOATIME is refused (EPERM) on a file someone else owns. */
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd;
}

/*
 * Copy IN to OUT (when OUT >= 0) until EOF, hashing what passes; the
 * digest goes to HEX.  IN_NAME and OUT_NAME are for messages.
 */
static int copy_hashing(char hex[SHA256_HEX_LEN + 1], uint64_t *size, int in, const char *in_name,
			int out, const char *out_name)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *buf = xmalloc(CACHE_CHUNK);
	uint64_t total = 0;
	int ret = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die("SHA-256 failed in libcrypto");
	for (;;) {
		ssize_t n = read(in, buf, CACHE_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = err_errno(CAIRN_ERROR, "cannot read %s", in_name);
			goto out;
		}
		if (!n)
			break;
		total += (uint64_t)n;
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			die("SHA-256 failed in libcrypto");
		if (out >= 0 && util_write_all(out, buf, (size_t)n) < 0) {
			ret = err_errno(CAIRN_ERROR, "cannot write %s", out_name);
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32)
		die("SHA-256 failed in libcrypto");
	util_sha256_to_hex(hex, md);
	if (size)
		*size = total;
	ret = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return ret;
}

int cache__stream(char hex[SHA256_HEX_LEN + 1], uint64_t *size, int in, const char *in_name,
		  int compressed, int out, const char *out_name)
{
	if (compressed)
		return cache__zst_stream(hex, size, in, in_name, out, out_name);
	return copy_hashing(hex, size, in, in_name, out, out_name);
}

int cache__mkdir(const char *path, unsigned mode)
{
	if (mkdir(path, (mode_t)mode) < 0 && errno != EEXIST)
		return err_errno(CAIRN_ERROR, "cannot create %s", path);
	return 0;
}

int cache__tmpfile(struct strbuf *path, const char *cairn_dir, const char *prefix)
{
	int fd;

	strbuf_reset(path);
	strbuf_addf(path, "%s/tmp", cairn_dir);
	if (cache__mkdir(path->buf, 0755) < 0) {
		strbuf_reset(path);
		return -1;
	}
	strbuf_addf(path, "/%s.XXXXXX", prefix);
	fd = mkostemp(path->buf, O_CLOEXEC);
	if (fd < 0) {
		err_errno(CAIRN_ERROR, "cannot create a temporary file in %s/tmp", cairn_dir);
		strbuf_reset(path);
	}
	return fd;
}

int cache_cas_has(const char *cairn_dir, const char *sha)
{
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	int ret;

	if (!util_is_sha256_hex(sha))
		return 0;
	cache_cas_path(&p, cairn_dir, sha);
	ret = stat(p.buf, &st) == 0 && S_ISREG(st.st_mode);
	if (!ret) {
		strbuf_addstr(&p, ".zst");
		ret = stat(p.buf, &st) == 0 && S_ISREG(st.st_mode);
	}
	strbuf_release(&p);
	return ret;
}

/*
 * Open object SHA in whichever form it is stored: the raw file first,
 * then the compressed one (a compressor renames the .zst into place
 * before it unlinks the raw file, so one of the two is always there).
 * *FD, *COMPRESSED and OBJ (the file's path) are set.  0,
 * CAIRN_ENOTFOUND or -1.
 */
static int open_object(int *fd, int *compressed, struct strbuf *obj, const char *cairn_dir,
		       const char *sha)
{
	if (!util_is_sha256_hex(sha))
		return err_set(CAIRN_ERROR, "'%s' is not a SHA-256", sha);
	strbuf_reset(obj);
	cache_cas_path(obj, cairn_dir, sha);
	*compressed = 0;
	*fd = cache__open_noatime(obj->buf);
	if (*fd < 0 && errno == ENOENT) {
		strbuf_addstr(obj, ".zst");
		*compressed = 1;
		*fd = cache__open_noatime(obj->buf);
	}
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT) {
		strbuf_setlen(obj, obj->len - 4);
		return err_set(CAIRN_ENOTFOUND,
			       "the content store has no object %.12s (%s): it was never stored, "
			       "or `cairn cache gc` removed it",
			       sha, obj->buf);
	}
	return err_errno(CAIRN_ERROR, "cannot open %s", obj->buf);
}

/* Rename the finished temporary file TMP to object SHA's name, making its
 * fan-out directory on the way.  TMP is emptied once it is gone.  rename()
 * replaces an object another process stored meanwhile with identical
 * bytes: harmless.  0 or -1. */
static int install_object(struct strbuf *tmp, const char *cairn_dir, const char *sha)
{
	struct strbuf p = STRBUF_INIT;
	int ret = 0;

	strbuf_addf(&p, "%s/cas", cairn_dir);
	if ((ret = cache__mkdir(p.buf, 0755)) < 0)
		goto out;
	strbuf_addstr(&p, "/sha256");
	if ((ret = cache__mkdir(p.buf, 0755)) < 0)
		goto out;
	strbuf_addf(&p, "/%.2s", sha);
	if ((ret = cache__mkdir(p.buf, 0755)) < 0)
		goto out;
	strbuf_reset(&p);
	cache_cas_path(&p, cairn_dir, sha);
	if (rename(tmp->buf, p.buf) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rename %s to %s", tmp->buf, p.buf);
		goto out;
	}
	strbuf_reset(tmp);
out:
	strbuf_release(&p);
	return ret;
}

int cache_quarantine(char **out, const char *cairn_dir, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = xstrfmt("%s/lost+found", cairn_dir), *dest = NULL;
	int i, ret = -1;

	if (cache__mkdir(dir, 0755) < 0)
		goto out;
	for (i = 0; i < 1000; i++) {
		free(dest);
		dest = i ? xstrfmt("%s/%s.%ld.%d", dir, base, (long)time(NULL), i)
			 : xstrfmt("%s/%s.%ld", dir, base, (long)time(NULL));
		/* link + unlink: never replace something already there. */
		if (!link(path, dest))
			break;
		if (errno != EEXIST) {
			if (errno == EPERM || errno == EXDEV) {
				/* Not on this filesystem: rename (checked first). */
				if (access(dest, F_OK) < 0 && !rename(path, dest)) {
					ret = 0;
					goto done;
				}
			}
			ret = err_errno(CAIRN_ERROR, "cannot move %s to %s", path, dir);
			goto out;
		}
	}
	if (i == 1000) {
		ret = err_set(CAIRN_ERROR, "cannot find a free name in %s", dir);
		goto out;
	}
	if (unlink(path) < 0) {
		unlink(dest);
		ret = err_errno(CAIRN_ERROR, "cannot remove %s", path);
		goto out;
	}
	ret = 0;
done:
	if (out) {
		*out = dest;
		dest = NULL;
	}
out:
	free(dir);
	free(dest);
	return ret;
}

/*
 * A reader found the object at PATH (open as FD) corrupt: move it to
 * lost+found, so that the next put of its bytes stores them again (a put
 * takes an object of the right size as intact) and every later hit or
 * checkout does not fail on it.  Only if PATH is still the file read: a
 * put may have replaced it meanwhile.
 */
static void set_aside(const char *cairn_dir, const char *path, int fd)
{
	struct stat a, b;

	if (fd < 0 || fstat(fd, &a) < 0 || lstat(path, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return;
	if (cache_quarantine(NULL, cairn_dir, path) < 0)
		err_clear(); /* the read's own error says what matters */
}

/*
 * Does object SHA of SIZE bytes need no storing?  A raw object of another
 * size is torn (an object written before puts were synced, then a power
 * loss; or a truncated disk): the put stores it again, and the rename
 * replaces it atomically.  Only the size is checked: re-hashing the
 * object on every put would read it each time, and every reader checks
 * the hash anyway (a wrong object of the right size is a read error,
 * which `cairn fsck --repair` moves aside; the next put then stores it).
 * A compressed object was synced and verified before it got its name.
 */
static int object_intact(const char *cairn_dir, const char *sha, uint64_t size)
{
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	int ret;

	cache_cas_path(&p, cairn_dir, sha);
	if (lstat(p.buf, &st) == 0) {
		ret = S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
	} else {
		strbuf_addstr(&p, ".zst");
		ret = lstat(p.buf, &st) == 0 && S_ISREG(st.st_mode);
	}
	strbuf_release(&p);
	return ret;
}

int cache_cas_put_file(char out[SHA256_HEX_LEN + 1], const char *cairn_dir, const char *path)
{
	uint64_t size = 0;
	struct strbuf tmp = STRBUF_INIT, obj = STRBUF_INIT;
	char first[SHA256_HEX_LEN + 1], second[SHA256_HEX_LEN + 1];
	int in = -1, fd = -1, ret = -1;

	/* Hash first: most files put are already present (a cached step's
	 * outputs, an unchanged input), and reading is cheaper than writing a
	 * copy only to throw it away. */
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ret = err_errno(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_ERROR, "cannot open %s",
				path);
		goto out;
	}
	if ((ret = copy_hashing(first, &size, in, path, -1, NULL)) < 0)
		goto out;
	if (object_intact(cairn_dir, first, size)) {
		memcpy(out, first, sizeof(first));
		ret = 0;
		goto out;
	}

	fd = cache__tmpfile(&tmp, cairn_dir, "cas");
	if (fd < 0) {
		ret = -1;
		goto out;
	}
	if (lseek(in, 0, SEEK_SET) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rewind %s", path);
		goto out;
	}
	if ((ret = copy_hashing(second, NULL, in, path, fd, tmp.buf)) < 0)
		goto out;
	if (strcmp(first, second)) {
		ret = err_set(CAIRN_ERROR, "%s changed while it was being stored", path);
		goto out;
	}
	if (fchmod(fd, 0444) < 0 || fsync(fd) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot sync %s", tmp.buf);
		goto out;
	}

	if ((ret = install_object(&tmp, cairn_dir, first)) < 0)
		goto out;
	cache_cas_path(&obj, cairn_dir, first);
	if ((ret = util_fsync_parent(obj.buf)) < 0)
		goto out;
	memcpy(out, first, sizeof(first));
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	if (tmp.len)
		unlink(tmp.buf);
	strbuf_release(&tmp);
	strbuf_release(&obj);
	return ret;
}

int cache_cas_get_file(const char *cairn_dir, const char *sha, const char *dest, unsigned mode)
{
	struct strbuf obj = STRBUF_INIT, tmp = STRBUF_INIT;
	char got[SHA256_HEX_LEN + 1];
	char *dest_copy = NULL;
	int in = -1, fd = -1, compressed = 0, ret = -1;

	if ((ret = open_object(&in, &compressed, &obj, cairn_dir, sha)) < 0)
		goto out;

	/* The temporary file sits beside DEST so that rename() is atomic. */
	dest_copy = xstrdup(dest);
	strbuf_addf(&tmp, "%s/.cairn-checkout.XXXXXX", dirname(dest_copy));
	fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot create a temporary file for %s", dest);
		strbuf_reset(&tmp);
		goto out;
	}
	if ((ret = cache__stream(got, NULL, in, obj.buf, compressed, fd, tmp.buf)) < 0) {
		char *why = xstrdup(err_last());
		err_set(ret, "%s; %s left untouched", why, dest);
		free(why);
		goto out;
	}
	if (strcmp(got, sha)) {
		set_aside(cairn_dir, obj.buf, in);
		ret = err_set(CAIRN_ERROR,
			      "content store object %s is corrupt: its bytes hash to %.12s, not "
			      "%.12s (moved to lost+found); %s left untouched",
			      obj.buf, got, sha, dest);
		goto out;
	}
	if (fchmod(fd, (mode_t)(mode & 07777)) < 0 || fsync(fd) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot finish %s", tmp.buf);
		goto out;
	}
	if (rename(tmp.buf, dest) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rename %s to %s", tmp.buf, dest);
		goto out;
	}
	strbuf_reset(&tmp);
	ret = util_fsync_parent(dest);
out:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	if (tmp.len)
		unlink(tmp.buf);
	free(dest_copy);
	strbuf_release(&obj);
	strbuf_release(&tmp);
	return ret;
}

int cache_cas_put_buf(char out[SHA256_HEX_LEN + 1], const char *cairn_dir, const void *buf,
		      size_t len)
{
	struct strbuf tmp = STRBUF_INIT, obj = STRBUF_INIT;
	int fd, ret = 0;

	util_sha256_hex(out, buf, len);
	if (object_intact(cairn_dir, out, len))
		return 0;
	fd = cache__tmpfile(&tmp, cairn_dir, "cas");
	if (fd < 0)
		return -1;
	/* Synced before it gets its name, and the name before we return:
	 * a record names the object once this returns (docs/store.md). */
	if (util_write_all(fd, buf, len) < 0 || fchmod(fd, 0444) < 0 || fsync(fd) < 0)
		ret = err_errno(CAIRN_ERROR, "cannot write %s", tmp.buf);
	close(fd);
	if (ret == 0)
		ret = install_object(&tmp, cairn_dir, out);
	if (ret == 0) {
		cache_cas_path(&obj, cairn_dir, out);
		ret = util_fsync_parent(obj.buf);
	}
	if (tmp.len)
		unlink(tmp.buf);
	strbuf_release(&tmp);
	strbuf_release(&obj);
	return ret;
}

int cache_cas_read(struct strbuf *out, const char *cairn_dir, const char *sha, size_t max)
{
	struct stat st;
	int fd = -1, ret;

	/* cache_cas_open() checks the hash (and decompresses). */
	if ((ret = cache_cas_open(&fd, cairn_dir, sha)) < 0)
		return ret;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
		ret = err_set(CAIRN_ERROR, "object %.12s: too large to read whole", sha);
		goto out;
	}
	strbuf_reset(out);
	if (strbuf_read_fd(out, fd) < 0)
		ret = err_errno(CAIRN_ERROR, "cannot read object %.12s", sha);
out:
	close(fd);
	return ret;
}

int cache_cas_open(int *out, const char *cairn_dir, const char *sha)
{
	struct strbuf obj = STRBUF_INIT, tmp = STRBUF_INIT;
	char got[SHA256_HEX_LEN + 1];
	int in = -1, fd = -1, compressed = 0, ret;

	*out = -1;
	if ((ret = open_object(&in, &compressed, &obj, cairn_dir, sha)) < 0)
		goto out;
	if (!compressed) {
		if ((ret = cache__stream(got, NULL, in, obj.buf, 0, -1, NULL)) < 0)
			goto out;
		if (lseek(in, 0, SEEK_SET) < 0) {
			ret = err_errno(CAIRN_ERROR, "cannot rewind %s", obj.buf);
			goto out;
		}
	} else {
		/* Unlinked at once: the bytes live as long as the descriptor,
		 * and a killed reader leaves nothing behind. */
		if ((fd = cache__tmpfile(&tmp, cairn_dir, "open")) < 0) {
			ret = -1;
			goto out;
		}
		unlink(tmp.buf);
		if ((ret = cache__stream(got, NULL, in, obj.buf, 1, fd, tmp.buf)) < 0)
			goto out;
		if (lseek(fd, 0, SEEK_SET) < 0) {
			ret = err_errno(CAIRN_ERROR, "cannot rewind %s", tmp.buf);
			goto out;
		}
	}
	if (strcmp(got, sha)) {
		set_aside(cairn_dir, obj.buf, in);
		ret = err_set(CAIRN_ERROR,
			      "content store object %s is corrupt: its bytes hash to %.12s, not "
			      "%.12s (moved to lost+found)",
			      obj.buf, got, sha);
		goto out;
	}
	if (compressed) {
		*out = fd;
		fd = -1;
	} else {
		*out = in;
		in = -1;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	strbuf_release(&obj);
	strbuf_release(&tmp);
	return ret;
}

int cache_cas_materialize(const char *cairn_dir, const char *sha, const char *dest, unsigned mode,
			  struct cache_memo *memo)
{
	struct strbuf obj = STRBUF_INIT;
	char got[SHA256_HEX_LEN + 1];
	struct stat st;
	int in = -1, out = -1, compressed = 0, ret;

	if ((ret = open_object(&in, &compressed, &obj, cairn_dir, sha)) < 0)
		goto out;
	if (compressed || fstat(in, &st) < 0) {
		close(in);
		in = -1;
		ret = cache_cas_get_file(cairn_dir, sha, dest, mode);
		goto out;
	}
	/* Verified when read: by the memo when the object has not changed
	 * since it was last hashed, else by hashing it now. */
	if (!memo || !cache_memo_get(memo, &st, got)) {
		uint64_t t0 = cache_memo_clock(), size;
		if ((ret = util_sha256_fd(got, &size, in)) < 0)
			goto out;
		if (memo && !strcmp(got, sha))
			cache_memo_put(memo, &st, got, t0, 0);
		if (lseek(in, 0, SEEK_SET) < 0) {
			ret = err_errno(CAIRN_ERROR, "cannot rewind %s", obj.buf);
			goto out;
		}
	}
	if (strcmp(got, sha)) {
		set_aside(cairn_dir, obj.buf, in);
		ret = err_set(CAIRN_ERROR,
			      "content store object %s is corrupt: its bytes hash to %.12s, not "
			      "%.12s (moved to lost+found); %s not written",
			      obj.buf, got, sha, dest);
		goto out;
	}
	out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot create %s", dest);
		goto out;
	}
	/* A reflink shares the blocks (btrfs, xfs); else the kernel copies. */
	if (ioctl(out, FICLONE, in) < 0) {
		off_t left = st.st_size;
		while (left > 0) {
			ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
			if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
				/* Not between these files: copy through memory. */
				if (lseek(in, st.st_size - left, SEEK_SET) < 0 ||
				    cache__stream(got, NULL, in, obj.buf, 0, out, dest) < 0) {
					ret = -1;
					goto out;
				}
				break;
			}
			if (n <= 0) {
				ret = err_errno(CAIRN_ERROR, "cannot copy %s to %s", obj.buf, dest);
				goto out;
			}
			left -= n;
		}
	}
	if (fchmod(out, (mode_t)(mode & 07777)) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot chmod %s", dest);
		goto out;
	}
	ret = 0;
out:
	if (out >= 0)
		close(out);
	if (ret < 0 && out >= 0)
		unlink(dest);
	if (in >= 0)
		close(in);
	strbuf_release(&obj);
	return ret;
}
