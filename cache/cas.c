/*
 * cas.c - content-addressed objects: put, has, get.
 */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1 << 17)

void cache_cas_path(struct strbuf *out, const char *cairn_dir, const char *sha)
{
	strbuf_addf(out, "%s/cas/sha256/%.2s/%s", cairn_dir, sha, sha + 2);
}

/*
 * Copy IN to OUT (when OUT >= 0) until EOF, hashing what passes; the
 * digest goes to HEX.  IN_NAME and OUT_NAME are for messages.
 */
static int copy_hashing(char hex[SHA256_HEX_LEN + 1], int in, const char *in_name, int out,
			const char *out_name)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *buf = xmalloc(COPY_CHUNK);
	int ret = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die("SHA-256 failed in libcrypto");
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = err_errno(CAIRN_ERROR, "cannot read %s", in_name);
			goto out;
		}
		if (!n)
			break;
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
	ret = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	return ret;
}

static int mkdir_if_missing(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return err_errno(CAIRN_ERROR, "cannot create %s", path);
	return 0;
}

/* fsync the directory holding PATH, so that a rename into it is durable. */
static int fsync_parent(const char *path)
{
	char *copy = xstrdup(path);
	int fd, ret = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = err_errno(CAIRN_ERROR, "cannot sync directory of %s", path);
	if (fd >= 0)
		close(fd);
	free(copy);
	return ret;
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
	strbuf_release(&p);
	return ret;
}

int cache_cas_put_file(char out[SHA256_HEX_LEN + 1], const char *cairn_dir, const char *path)
{
	struct strbuf tmp = STRBUF_INIT, obj = STRBUF_INIT, dir = STRBUF_INIT;
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
	if ((ret = copy_hashing(first, in, path, -1, NULL)) < 0)
		goto out;
	if (cache_cas_has(cairn_dir, first)) {
		memcpy(out, first, sizeof(first));
		ret = 0;
		goto out;
	}

	strbuf_addf(&dir, "%s/tmp", cairn_dir);
	if ((ret = mkdir_if_missing(dir.buf, 0755)) < 0)
		goto out;
	strbuf_addf(&tmp, "%s/cas.XXXXXX", dir.buf);
	fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot create a temporary file in %s", dir.buf);
		strbuf_reset(&tmp);
		goto out;
	}
	if (lseek(in, 0, SEEK_SET) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rewind %s", path);
		goto out;
	}
	if ((ret = copy_hashing(second, in, path, fd, tmp.buf)) < 0)
		goto out;
	if (strcmp(first, second)) {
		ret = err_set(CAIRN_ERROR, "%s changed while it was being stored", path);
		goto out;
	}
	if (fchmod(fd, 0444) < 0 || fsync(fd) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot sync %s", tmp.buf);
		goto out;
	}

	strbuf_reset(&dir);
	strbuf_addf(&dir, "%s/cas", cairn_dir);
	if ((ret = mkdir_if_missing(dir.buf, 0755)) < 0)
		goto out;
	strbuf_addstr(&dir, "/sha256");
	if ((ret = mkdir_if_missing(dir.buf, 0755)) < 0)
		goto out;
	strbuf_addf(&dir, "/%.2s", first);
	if ((ret = mkdir_if_missing(dir.buf, 0755)) < 0)
		goto out;
	cache_cas_path(&obj, cairn_dir, first);
	/* rename() replaces an object that another process stored meanwhile
	 * with identical bytes: harmless. */
	if (rename(tmp.buf, obj.buf) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rename %s to %s", tmp.buf, obj.buf);
		goto out;
	}
	strbuf_reset(&tmp);
	if ((ret = fsync_parent(obj.buf)) < 0)
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
	strbuf_release(&dir);
	return ret;
}

int cache_cas_get_file(const char *cairn_dir, const char *sha, const char *dest, unsigned mode)
{
	struct strbuf obj = STRBUF_INIT, tmp = STRBUF_INIT;
	char got[SHA256_HEX_LEN + 1];
	char *dest_copy = NULL;
	int in = -1, fd = -1, ret = -1;

	if (!util_is_sha256_hex(sha)) {
		ret = err_set(CAIRN_ERROR, "'%s' is not a SHA-256", sha);
		goto out;
	}
	cache_cas_path(&obj, cairn_dir, sha);
	in = open(obj.buf, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		if (errno == ENOENT)
			ret = err_set(CAIRN_ENOTFOUND, "the content store has no object %.12s (%s)",
				      sha, obj.buf);
		else
			ret = err_errno(CAIRN_ERROR, "cannot open %s", obj.buf);
		goto out;
	}

	/* The temporary file sits beside DEST so that rename() is atomic. */
	dest_copy = xstrdup(dest);
	strbuf_addf(&tmp, "%s/.cairn-checkout.XXXXXX", dirname(dest_copy));
	fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot create a temporary file for %s", dest);
		strbuf_reset(&tmp);
		goto out;
	}
	if ((ret = copy_hashing(got, in, obj.buf, fd, tmp.buf)) < 0)
		goto out;
	if (strcmp(got, sha)) {
		ret = err_set(CAIRN_ERROR,
			      "content store object %s is corrupt: its bytes hash to %.12s, not "
			      "%.12s; %s left untouched",
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
	ret = fsync_parent(dest);
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
	struct strbuf tmp = STRBUF_INIT, obj = STRBUF_INIT, dir = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1];
	int fd = -1, ret = 0;

	util_sha256_hex(sha, buf, len);
	memcpy(out, sha, sizeof(sha));
	if (cache_cas_has(cairn_dir, sha))
		return 0;
	strbuf_addf(&dir, "%s/cas", cairn_dir);
	if ((ret = mkdir_if_missing(dir.buf, 0755)) < 0)
		goto out;
	strbuf_addstr(&dir, "/sha256");
	if ((ret = mkdir_if_missing(dir.buf, 0755)) < 0)
		goto out;
	strbuf_addf(&dir, "/%.2s", sha);
	if ((ret = mkdir_if_missing(dir.buf, 0755)) < 0)
		goto out;
	strbuf_addf(&tmp, "%s/tmp", cairn_dir);
	if ((ret = mkdir_if_missing(tmp.buf, 0755)) < 0)
		goto out;
	strbuf_addstr(&tmp, "/cas.XXXXXX");
	fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot create %s", tmp.buf);
		strbuf_reset(&tmp);
		goto out;
	}
	if (util_write_all(fd, buf, len) < 0 || fchmod(fd, 0444) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot write %s", tmp.buf);
		goto out;
	}
	cache_cas_path(&obj, cairn_dir, sha);
	if (rename(tmp.buf, obj.buf) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rename %s to %s", tmp.buf, obj.buf);
		goto out;
	}
	strbuf_reset(&tmp);
out:
	if (fd >= 0)
		close(fd);
	if (tmp.len && ret < 0)
		unlink(tmp.buf);
	strbuf_release(&tmp);
	strbuf_release(&obj);
	strbuf_release(&dir);
	return ret;
}

int cache_cas_read(struct strbuf *out, const char *cairn_dir, const char *sha, size_t max)
{
	struct strbuf obj = STRBUF_INIT;
	char got[SHA256_HEX_LEN + 1];
	struct stat st;
	int fd, ret = 0;

	if (!util_is_sha256_hex(sha))
		return err_set(CAIRN_ERROR, "'%s' is not a SHA-256", sha);
	cache_cas_path(&obj, cairn_dir, sha);
	fd = open(obj.buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = err_errno(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_ERROR, "cannot open %s",
				obj.buf);
		goto out;
	}
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
		ret = err_set(CAIRN_ERROR, "%s: too large to read whole", obj.buf);
		goto out;
	}
	strbuf_reset(out);
	if (strbuf_read_fd(out, fd) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot read %s", obj.buf);
		goto out;
	}
	util_sha256_hex(got, out->buf, out->len);
	if (strcmp(got, sha))
		ret = err_set(CAIRN_ERROR,
			      "content store object %s is corrupt: its bytes hash to %.12s",
			      obj.buf, got);
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&obj);
	return ret;
}
