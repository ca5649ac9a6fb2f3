/*
 * Unit tests of formats/: detection, scanning command text for remote
 * datasets, and (through the cairn-formats helper, named by
 * $CAIRN_FORMATS_HELPER) summaries, fingerprints and differences of real
 * files shipped by Debian packages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats.h"

#define EGM96 "/usr/share/proj/egm96_15.gtx"
#define SLINK "/usr/share/python-tables/tests/slink.h5"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cairn-formats-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = xstrfmt("rm -rf '%s'", dir);
	(void)state;
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

static char *put(const char *name, const void *data, size_t len)
{
	char *path = xstrfmt("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, data, len), 0);
	close(fd);
	return path;
}

/* The first LEN bytes of file SRC copied to NAME in the test directory. */
static char *put_head(const char *name, const char *src, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	assert_int_equal(strbuf_read_file(&sb, src), 0);
	p = put(name, sb.buf, len < sb.len ? len : sb.len);
	strbuf_release(&sb);
	return p;
}

static void test_detect(void **state)
{
	static const char tiff[] = "II*\0\x08\0\0\0";
	static const char hdf5[] = "\x89HDF\r\n\x1a\n\0\0\0\0";
	char *p;
	(void)state;

	p = put("x.dat", tiff, 8);
	assert_int_equal(formats_detect(p, NULL), FORMATS_GDAL); /* magic over name */
	free(p);
	p = put("x.h5", hdf5, 12);
	assert_int_equal(formats_detect(p, NULL), FORMATS_HDF5);
	/* NetCDF-4 is HDF5 inside; its name sends it to GDAL's driver. */
	assert_int_equal(formats_detect(p, "data/x.nc"), FORMATS_GDAL);
	free(p);
	p = put("notes.txt", "hello\n", 6);
	assert_int_equal(formats_detect(p, NULL), FORMATS_NONE);
	/* No magic number, but a name GDAL knows. */
	assert_int_equal(formats_detect(p, "geoid.gtx"), FORMATS_GDAL);
	free(p);
	p = put("empty.tif", "", 0);
	assert_int_equal(formats_detect(p, NULL), FORMATS_NONE);
	free(p);
	p = put("db.sqlite", "SQLite format 3\0....", 20);
	assert_int_equal(formats_detect(p, NULL), FORMATS_NONE);
	assert_int_equal(formats_detect(p, "layers.gpkg"), FORMATS_GDAL);
	free(p);
	assert_int_equal(formats_detect("/nonexistent/x.tif", NULL), FORMATS_NONE);
	assert_int_equal(formats_detect("/tmp", NULL), FORMATS_NONE);
}

static void test_remote_scan(void **state)
{
	struct strvec v = STRVEC_INIT;
	(void)state;

	formats_remote_scan(&v,
			    "gdalinfo '/vsicurl/http://h:8080/a.tif' && "
			    "gdal_translate NETCDF:\"/vsis3/bucket/x.nc\":pr out.tif",
			    0);
	assert_int_equal(v.nr, 2);
	assert_string_equal(v.v[0], "/vsicurl/http://h:8080/a.tif");
	assert_string_equal(v.v[1], "/vsis3/bucket/x.nc");
	/* Once each. */
	formats_remote_scan(&v, "/vsicurl/http://h:8080/a.tif", 0);
	assert_int_equal(v.nr, 2);
	strvec_clear(&v);

	/* Plain URLs count only as arguments of GDAL tools. */
	formats_remote_scan(&v, "https://example.org/dem.tif", 0);
	assert_int_equal(v.nr, 0);
	formats_remote_scan(&v, "https://example.org/dem.tif", 1);
	formats_remote_scan(&v, "s3://bucket/key/x.tif", 1);
	assert_int_equal(v.nr, 2);
	assert_string_equal(v.v[0], "/vsicurl/https://example.org/dem.tif");
	assert_string_equal(v.v[1], "/vsis3/bucket/key/x.tif");
	strvec_clear(&v);
	/* A /vsicurl/ path is not counted twice as a plain URL. */
	formats_remote_scan(&v, "/vsicurl/http://h/a.tif", 1);
	assert_int_equal(v.nr, 1);
	strvec_clear(&v);
	formats_remote_scan(&v, "echo /vsicurl/ alone", 0);
	assert_int_equal(v.nr, 0);
	strvec_clear(&v);

	{
		char *u = formats_remote_url("/vsis3/bucket/key/x.tif");
		assert_string_equal(u, "s3://bucket/key/x.tif");
		free(u);
		u = formats_remote_url("/vsicurl/http://h/a.tif");
		assert_string_equal(u, "http://h/a.tif");
		free(u);
	}
	assert_true(formats_is_gdal_tool("/usr/bin/gdalinfo"));
	assert_true(formats_is_gdal_tool("gdal_translate"));
	assert_true(formats_is_gdal_tool("ogr2ogr"));
	assert_false(formats_is_gdal_tool("/usr/bin/curl"));
}

static void test_info_gtx(void **state)
{
	json_t *info = NULL, *b;
	(void)state;

	assert_int_equal(formats_info(&info, EGM96, NULL, 0), 0);
	assert_string_equal(json_string_value(json_object_get(info, "driver")), "GTX");
	assert_int_equal(json_integer_value(json_object_get(info, "width")), 1440);
	assert_int_equal(json_integer_value(json_object_get(info, "height")), 721);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(info, "crs"), "epsg")),
			 4326);
	b = json_array_get(json_object_get(info, "bands"), 0);
	assert_string_equal(json_string_value(json_object_get(b, "type")), "Float32");
	assert_null(json_object_get(b, "stats"));
	assert_string_equal(json_string_value(json_object_get(info, "summary")),
			    "GTX 1440x721 Float32 EPSG:4326");
	json_decref(info);

	assert_int_equal(formats_info(&info, EGM96, NULL, FORMATS_STATS), 0);
	b = json_array_get(json_object_get(info, "bands"), 0);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(b, "stats"), "valid_count")),
	    1440 * 721);
	json_decref(info);

	/* The compact form for records: no WKT, no metadata. */
	assert_int_equal(formats_summary(&info, EGM96, NULL), 0);
	assert_null(json_object_get(json_object_get(info, "crs"), "wkt"));
	assert_null(json_object_get(info, "metadata"));
	json_decref(info);
}

static void test_info_hdf5_links(void **state)
{
	json_t *info = NULL, *o;
	size_t i;
	int soft = 0;
	(void)state;

	assert_int_equal(formats_info(&info, SLINK, NULL, 0), 0);
	assert_string_equal(json_string_value(json_object_get(info, "format")), "hdf5");
	json_array_foreach(json_object_get(info, "objects"), i, o)
	{
		const char *t = json_string_value(json_object_get(o, "type"));
		if (!strcmp(t, "soft_link") &&
		    !strcmp(json_string_value(json_object_get(o, "path")), "/arr2")) {
			assert_string_equal(json_string_value(json_object_get(o, "target")),
					    "/arr");
			soft = 1;
		}
	}
	assert_true(soft);
	json_decref(info);
}

static void test_fingerprint_and_diff(void **state)
{
	char f1[SHA256_HEX_LEN + 1], f2[SHA256_HEX_LEN + 1];
	struct strbuf al = STRBUF_INIT;
	json_t *d = NULL;
	char *trunc;
	(void)state;

	assert_int_equal(formats_fingerprint(f1, EGM96, NULL), 0);
	assert_true(util_is_sha256_hex(f1));
	/* The same bytes under another name (an alias, as for CAS objects). */
	assert_int_equal(formats_alias_create(&al, dir, EGM96, "sub/geoid.gtx"), 0);
	assert_non_null(strstr(al.buf, "/geoid.gtx"));
	assert_int_equal(formats_fingerprint(f2, al.buf, "sub/geoid.gtx"), 0);
	assert_string_equal(f1, f2);
	assert_int_equal(formats_diff(&d, EGM96, NULL, al.buf, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(d, "how")), "bitwise");
	json_decref(d);
	formats_alias_remove(al.buf);
	assert_int_equal(access(al.buf, F_OK), -1);
	strbuf_release(&al);

	/* Truncated: an error with a message, not a crash. */
	trunc = put_head("trunc.gtx", EGM96, 100000);
	assert_true(formats_fingerprint(f2, trunc, NULL) < 0);
	assert_non_null(strstr(err_last(), "trunc.gtx"));
	free(trunc);
	trunc = put_head("trunc.h5", SLINK, 1000);
	assert_true(formats_fingerprint(f2, trunc, NULL) < 0);
	free(trunc);

	/* Not a known format. */
	trunc = put("plain.txt", "x\n", 2);
	assert_int_equal(formats_fingerprint(f2, trunc, NULL), CAIRN_EUNSUPPORTED);
	free(trunc);
}

static void test_helper_missing(void **state)
{
	char *old = getenv("CAIRN_FORMATS_HELPER") ? xstrdup(getenv("CAIRN_FORMATS_HELPER")) : NULL;
	char fp[SHA256_HEX_LEN + 1];
	(void)state;

	setenv("CAIRN_FORMATS_HELPER", "/nonexistent/cairn-formats", 1);
	assert_int_equal(formats_fingerprint(fp, EGM96, NULL), CAIRN_EUNSUPPORTED);
	assert_non_null(strstr(err_last(), "cannot run the formats helper"));
	if (old)
		setenv("CAIRN_FORMATS_HELPER", old, 1);
	else
		unsetenv("CAIRN_FORMATS_HELPER");
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_remote_scan),
		cmocka_unit_test(test_info_gtx),
		cmocka_unit_test(test_info_hdf5_links),
		cmocka_unit_test(test_fingerprint_and_diff),
		cmocka_unit_test(test_helper_missing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
