/*
 * zst.c - compressed objects: one zstd frame of the raw bytes, stored as
 * cas/sha256/ab/cdef....zst.
 */
#include "cache-int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

/* zstd's default level: fast, and most of the gain on text and CSV. */
#define ZST_LEVEL 3

/* Hash and (when OUT >= 0) write the LEN decoded bytes in BUF. */
static int emit(EVP_MD_CTX *ctx, const void *buf, size_t len, int out, const char *out_name)
{
	if (!len)
		return 0;
	if (!EVP_DigestUpdate(ctx, buf, len))
		die("SHA-256 failed in libcrypto");
	if (out >= 0 && util_write_all(out, buf, len) < 0)
		return err_errno(CAIRN_ERROR, "cannot write %s", out_name);
	return 0;
}

int cache__zst_stream(char hex[SHA256_HEX_LEN + 1], uint64_t *size, int in, const char *in_name,
		      int out, const char *out_name)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t isz = ZSTD_DStreamInSize(), osz = ZSTD_DStreamOutSize();
	char *ibuf = xmalloc(isz), *obuf = xmalloc(osz);
	unsigned char md[32];
	unsigned int mdlen = 0;
	uint64_t total = 0, nin = 0;
	/* What the last call said: 0 when a frame has just ended. */
	size_t last = 1;
	int ret = -1;

	if (!dctx)
		die("out of memory (zstd)");
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die("SHA-256 failed in libcrypto");
	for (;;) {
		ZSTD_inBuffer ib;
		ssize_t n = read(in, ibuf, isz);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = err_errno(CAIRN_ERROR, "cannot read %s", in_name);
			goto out;
		}
		if (!n)
			break;
		nin += (uint64_t)n;
		ib = (ZSTD_inBuffer){ ibuf, (size_t)n, 0 };
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { obuf, osz, 0 };
			last = ZSTD_decompressStream(dctx, &ob, &ib);
			if (ZSTD_isError(last)) {
				ret = err_set(CAIRN_ERROR, "%s is not a valid zstd object: %s",
					      in_name, ZSTD_getErrorName(last));
				goto out;
			}
			if ((ret = emit(ctx, obuf, ob.pos, out, out_name)) < 0)
				goto out;
			total += ob.pos;
		}
	}
	/* The input is used up; zstd may still hold decoded bytes that did
	 * not fit the output buffer.  Drain them; if the frame is still not
	 * complete then, the file was cut short. */
	while (last != 0 && nin) {
		ZSTD_inBuffer ib = { ibuf, 0, 0 };
		ZSTD_outBuffer ob = { obuf, osz, 0 };
		last = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(last)) {
			ret = err_set(CAIRN_ERROR, "%s is not a valid zstd object: %s", in_name,
				      ZSTD_getErrorName(last));
			goto out;
		}
		if (!ob.pos)
			break;
		if ((ret = emit(ctx, obuf, ob.pos, out, out_name)) < 0)
			goto out;
		total += ob.pos;
	}
	if (!nin) {
		ret = err_set(CAIRN_ERROR, "%s is empty: not a zstd object", in_name);
		goto out;
	}
	if (last != 0) {
		ret = err_set(CAIRN_ERROR, "%s is truncated: its zstd frame ends early", in_name);
		goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32)
		die("SHA-256 failed in libcrypto");
	util_sha256_to_hex(hex, md);
	if (size)
		*size = total;
	ret = 0;
out:
	free(ibuf);
	free(obuf);
	EVP_MD_CTX_free(ctx);
	ZSTD_freeDCtx(dctx);
	return ret;
}

/* Compress IN (SIZE bytes) to OUT as one frame with its content size and
 * checksum.  0 or -1. */
static int compress_fd(int in, const char *in_name, uint64_t size, int out, const char *out_name)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t isz = ZSTD_CStreamInSize(), osz = ZSTD_CStreamOutSize(), rem;
	char *ibuf = xmalloc(isz), *obuf = xmalloc(osz);
	int ret = -1;

	if (!cctx)
		die("out of memory (zstd)");
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, ZST_LEVEL);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setPledgedSrcSize(cctx, size);
	for (;;) {
		ZSTD_inBuffer ib;
		ssize_t n = read(in, ibuf, isz);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = err_errno(CAIRN_ERROR, "cannot read %s", in_name);
			goto out;
		}
		ib = (ZSTD_inBuffer){ ibuf, (size_t)n, 0 };
		/* An empty read ends the frame: flush until zstd says done. */
		do {
			ZSTD_outBuffer ob = { obuf, osz, 0 };
			rem =
			    ZSTD_compressStream2(cctx, &ob, &ib, n ? ZSTD_e_continue : ZSTD_e_end);
			if (ZSTD_isError(rem)) {
				ret = err_set(CAIRN_ERROR, "cannot compress %s: %s", in_name,
					      ZSTD_getErrorName(rem));
				goto out;
			}
			if (util_write_all(out, obuf, ob.pos) < 0) {
				ret = err_errno(CAIRN_ERROR, "cannot write %s", out_name);
				goto out;
			}
		} while (n ? ib.pos < ib.size : rem != 0);
		if (!n)
			break;
	}
	ret = 0;
out:
	free(ibuf);
	free(obuf);
	ZSTD_freeCCtx(cctx);
	return ret;
}

int cache_cas_compress(uint64_t *saved, const char *cairn_dir, const char *sha)
{
	struct strbuf raw = STRBUF_INIT, zst = STRBUF_INIT, tmp = STRBUF_INIT;
	char got[SHA256_HEX_LEN + 1];
	uint64_t rsize = 0;
	struct stat st;
	int in = -1, fd = -1, ret = -1;

	*saved = 0;
	if (!util_is_sha256_hex(sha))
		return err_set(CAIRN_ERROR, "'%s' is not a SHA-256", sha);
	cache_cas_path(&raw, cairn_dir, sha);
	cache_cas_zst_path(&zst, cairn_dir, sha);
	in = cache__open_noatime(raw.buf);
	if (in < 0) {
		if (errno != ENOENT)
			ret = err_errno(CAIRN_ERROR, "cannot open %s", raw.buf);
		else if (!stat(zst.buf, &st))
			ret = 0; /* already compressed */
		else
			ret =
			    err_set(CAIRN_ENOTFOUND, "the content store has no object %.12s", sha);
		goto out;
	}
	if (!stat(zst.buf, &st)) {
		/* A compressor was killed between its rename and its unlink:
		 * the compressed form is complete (renamed into place only
		 * after it was checked). */
		if (unlink(raw.buf) < 0)
			ret = err_errno(CAIRN_ERROR, "cannot remove %s", raw.buf);
		else
			ret = 0;
		goto out;
	}
	/* Never compress a corrupt object under a good name. */
	if ((ret = cache__stream(got, &rsize, in, raw.buf, 0, -1, NULL)) < 0)
		goto out;
	if (strcmp(got, sha)) {
		ret = err_set(CAIRN_ERROR,
			      "content store object %s is corrupt (its bytes hash to %.12s); left "
			      "uncompressed",
			      raw.buf, got);
		goto out;
	}
	if (lseek(in, 0, SEEK_SET) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rewind %s", raw.buf);
		goto out;
	}
	if ((fd = cache__tmpfile(&tmp, cairn_dir, "zst")) < 0) {
		ret = -1;
		goto out;
	}
	if ((ret = compress_fd(in, raw.buf, rsize, fd, tmp.buf)) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot stat %s", tmp.buf);
		goto out;
	}
	/* Only worth it when it saves a tenth. */
	if ((uint64_t)st.st_size * 10 > rsize * 9) {
		ret = 0;
		goto out;
	}
	/* Read back what was written before it replaces the raw bytes. */
	if (lseek(fd, 0, SEEK_SET) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rewind %s", tmp.buf);
		goto out;
	}
	if ((ret = cache__stream(got, NULL, fd, tmp.buf, 1, -1, NULL)) < 0)
		goto out;
	if (strcmp(got, sha)) {
		ret = err_set(CAIRN_ERROR, "compressing %s gave bytes that do not decode to it",
			      raw.buf);
		goto out;
	}
	if (fchmod(fd, 0444) < 0 || fsync(fd) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot sync %s", tmp.buf);
		goto out;
	}
	if (rename(tmp.buf, zst.buf) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot rename %s to %s", tmp.buf, zst.buf);
		goto out;
	}
	strbuf_reset(&tmp);
	if ((ret = util_fsync_parent(zst.buf)) < 0)
		goto out;
	if (unlink(raw.buf) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot remove %s", raw.buf);
		goto out;
	}
	*saved = rsize - (uint64_t)st.st_size;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	if (tmp.len)
		unlink(tmp.buf);
	strbuf_release(&raw);
	strbuf_release(&zst);
	strbuf_release(&tmp);
	return ret;
}

int cache_cas_raw_size(uint64_t *out, const struct cache_object *o)
{
	unsigned char head[18]; /* ZSTD_FRAMEHEADERSIZE_MAX (static-only API) */
	unsigned long long n;
	ssize_t got;
	int fd;

	if (!o->compressed) {
		*out = o->size;
		return 0;
	}
	fd = cache__open_noatime(o->path);
	if (fd < 0)
		return err_errno(CAIRN_ERROR, "cannot open %s", o->path);
	got = read(fd, head, sizeof(head));
	close(fd);
	if (got <= 0)
		return err_set(CAIRN_ERROR, "%s has no zstd frame header", o->path);
	n = ZSTD_getFrameContentSize(head, (size_t)got);
	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN)
		return err_set(CAIRN_ERROR, "%s declares no content size", o->path);
	*out = n;
	return 0;
}
