/*
 * common.c - format detection, the fingerprint's hash stream, running
 * statistics, and the aliases that give CAS objects their names back.
 */
#include "formats-int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Extensions that name a format with no reliable magic number (or whose
 * magic number is shared, as SQLite's is by GeoPackage). */
static const char *const gdal_extensions[] = {
	"tif", "tiff", "gtx", "nc",   "nc4",  "cdf",  "gpkg",  "shp",	  "geojson", "fgb",
	"vrt", "img",  "grb", "grb2", "grib", "jp2",  "asc",   "dem",	  "gpx",     "kml",
	"gml", "bil",  "hgt", "ers",  "rst",  "sdat", "gtiff", "geotiff", NULL,
};

static const char *extension(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash ? slash + 1 : name, '.');
	return dot ? dot + 1 : "";
}

static int has_prefix(const unsigned char *buf, size_t n, const char *magic, size_t len)
{
	return n >= len && !memcmp(buf, magic, len);
}

/*
 * Magic numbers first (an output named .dat may be a GeoTIFF), then the
 * extension.  NetCDF-4 files are HDF5 inside: the extension sends them to
 * GDAL's netCDF driver, which knows their dimensions and CF conventions.
 */
enum formats_kind formats_detect(const char *path, const char *name)
{
	static const char hdf5_sig[8] = { '\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n' };
	unsigned char buf[1024];
	const char *ext = extension(name ? name : path);
	int is_nc = !strcasecmp(ext, "nc") || !strcasecmp(ext, "nc4") || !strcasecmp(ext, "cdf");
	ssize_t got;
	size_t n, i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return FORMATS_NONE;
	{
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
			close(fd);
			return FORMATS_NONE;
		}
	}
	got = read(fd, buf, sizeof(buf));
	if (got > 0 && has_prefix(buf, (size_t)got, hdf5_sig, 8) == 0 && got == sizeof(buf)) {
		/* An HDF5 superblock may also sit after a user block of 512,
		 * 1024, 2048 ... bytes; look at the first two. */
		unsigned char sig[8];
		if (pread(fd, sig, 8, 512) == 8 && !memcmp(sig, hdf5_sig, 8))
			memcpy(buf, sig, 8);
	}
	close(fd);
	if (got <= 0)
		return FORMATS_NONE;
	n = (size_t)got;

	if (has_prefix(buf, n, hdf5_sig, 8))
		return is_nc ? FORMATS_GDAL : FORMATS_HDF5;
	if (has_prefix(buf, n, "II*\0", 4) || has_prefix(buf, n, "MM\0*", 4) ||
	    has_prefix(buf, n, "II+\0", 4) || has_prefix(buf, n, "MM\0+", 4))
		return FORMATS_GDAL; /* TIFF and BigTIFF */
	if (has_prefix(buf, n, "CDF\x01", 4) || has_prefix(buf, n, "CDF\x02", 4) ||
	    has_prefix(buf, n, "CDF\x05", 4))
		return FORMATS_GDAL; /* classic NetCDF */
	if (has_prefix(buf, n, "GRIB", 4) || has_prefix(buf, n, "fgb\x03", 4) ||
	    has_prefix(buf, n, "EHFA_HEADER_TAG", 15) || has_prefix(buf, n, "<VRTDataset", 11) ||
	    has_prefix(buf, n, "\x00\x00\x27\x0a", 4) ||
	    has_prefix(buf, n, "\x00\x00\x00\x0cjP  ", 8))
		return FORMATS_GDAL;
	if (has_prefix(buf, n, "SQLite format 3", 16))
		return !strcasecmp(ext, "gpkg") ? FORMATS_GDAL : FORMATS_NONE;
	for (i = 0; gdal_extensions[i]; i++)
		if (!strcasecmp(ext, gdal_extensions[i]))
			return FORMATS_GDAL;
	return FORMATS_NONE;
}

/* ---- the hash stream ------------------------------------------------------ */

void formats__hash_init(struct fp_hash *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL))
		die("cannot set up SHA-256");
}

void formats__hash_add(struct fp_hash *h, const void *data, size_t len)
{
	if (len && !EVP_DigestUpdate(h->ctx, data, len))
		die("SHA-256 update failed");
}

void formats__hash_addf(struct fp_hash *h, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addch(&sb, '\n');
	formats__hash_add(h, sb.buf, sb.len);
	strbuf_release(&sb);
}

void formats__hash_final(struct fp_hash *h, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int len = 0;

	if (!EVP_DigestFinal_ex(h->ctx, md, &len) || len != 32)
		die("SHA-256 final failed");
	util_sha256_to_hex(out, md);
	formats__hash_release(h);
}

void formats__hash_release(struct fp_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

/*
 * Metadata that says when or by what a file was written, not what it
 * holds, and statistics GDAL caches in the file or its .aux.xml.
 */
int formats__volatile_key(const char *key)
{
	static const char *const exact[] = {
		"TIFFTAG_DATETIME",  "TIFFTAG_SOFTWARE",       "TIFFTAG_HOSTCOMPUTER",
		"NC_GLOBAL#history", "NC_GLOBAL#date_created", "NC_GLOBAL#date_modified",
		"NC_GLOBAL#GDAL",    "NC_GLOBAL#NCO",	       NULL,
	};
	size_t i;

	for (i = 0; exact[i]; i++)
		if (!strcmp(key, exact[i]))
			return 1;
	return !strncmp(key, "STATISTICS_", 11);
}

/* ---- statistics ------------------------------------------------------------ */

void formats__stats_add(struct fp_stats *s, double v)
{
	double d;

	if (isnan(v))
		return;
	if (!s->n || v < s->min)
		s->min = v;
	if (!s->n || v > s->max)
		s->max = v;
	s->n++;
	d = v - s->mean;
	s->mean += d / (double)s->n;
	s->m2 += d * (v - s->mean);
}

json_t *formats__stats_json(const struct fp_stats *s)
{
	if (!s->n)
		return json_pack("{s:n, s:n, s:n, s:n, s:I}", "min", "max", "mean", "std",
				 "valid_count", (json_int_t)0);
	return json_pack("{s:f, s:f, s:f, s:f, s:I}", "min", s->min, "max", s->max, "mean", s->mean,
			 "std", sqrt(s->m2 / (double)s->n), "valid_count", (json_int_t)s->n);
}

void formats__stats_text(struct strbuf *out, const json_t *stats)
{
	if (!json_integer_value(json_object_get(stats, "valid_count"))) {
		strbuf_addstr(out, "no valid values");
		return;
	}
	strbuf_addf(out, "min %.6g max %.6g mean %.6g std %.6g",
		    json_number_value(json_object_get(stats, "min")),
		    json_number_value(json_object_get(stats, "max")),
		    json_number_value(json_object_get(stats, "mean")),
		    json_number_value(json_object_get(stats, "std")));
}

/* ---- aliases ----------------------------------------------------------------- */

int formats_alias_create(struct strbuf *out, const char *tmpdir, const char *target,
			 const char *name)
{
	const char *base = strrchr(name, '/');
	char *dir = xstrfmt("%s/formats.XXXXXX", tmpdir);
	int ret = 0;

	base = base ? base + 1 : name;
	if (!*base)
		base = "file";
	if (!mkdtemp(dir)) {
		ret = err_errno(CAIRN_ERROR, "cannot make a directory in %s", tmpdir);
		goto out;
	}
	strbuf_reset(out);
	strbuf_addf(out, "%s/%s", dir, base);
	if (symlink(target, out->buf) < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot link %s", out->buf);
		rmdir(dir);
	}
out:
	free(dir);
	return ret;
}

void formats_alias_remove(const char *alias)
{
	char *dir = xstrdup(alias), *slash = strrchr(dir, '/');

	unlink(alias);
	if (slash) {
		*slash = '\0';
		rmdir(dir);
	}
	free(dir);
}

/* ---- descriptors lent to the helper ------------------------------------------- */

static int *lent;
static size_t lent_nr, lent_alloc;

char *formats_fd_lend(int fd)
{
	ALLOC_GROW(lent, lent_nr + 1, lent_alloc);
	lent[lent_nr++] = fd;
	return xstrfmt("/proc/self/fd/%d", fd);
}

void formats_fd_close(int fd)
{
	size_t i;

	if (fd < 0)
		return;
	for (i = 0; i < lent_nr; i++) {
		if (lent[i] == fd) {
			lent[i] = lent[--lent_nr];
			break;
		}
	}
	close(fd);
}

/* In the helper's child before exec: the lent descriptors stay open. */
void formats__fd_inherit(void)
{
	size_t i;

	for (i = 0; i < lent_nr; i++)
		fcntl(lent[i], F_SETFD, 0);
}
