/*
 * gdal.c - rasters, vectors and containers (NetCDF, HDF5 subdatasets)
 * through GDAL's C API: summaries, fingerprints, differences.
 *
 * GDAL reports problems through CPLError; a quiet handler is pushed once
 * so that nothing reaches the terminal, and each failure's message is
 * taken from CPLGetLastErrorMsg() at the boundary.
 */
#include "formats-int.h"

#include <gdal.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Rows are read in chunks of about this many bytes. */
#define CHUNK_BYTES (16u << 20)
/* Lines of metadata compared before "... and N more". */
#define MAX_CHANGES 40

void formats__gdal_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	CPLPushErrorHandler(CPLQuietErrorHandler);
	GDALAllRegister();
}

/* err_set() with GDAL's last message, or WHAT when GDAL gave none. */
static int gdal_error(const char *path, const char *what)
{
	const char *msg = CPLGetLastErrorMsg();
	return err_set(CAIRN_ERROR, "%s: %s", path, msg && *msg ? msg : what);
}

static GDALDatasetH open_ds(const char *path)
{
	CPLErrorReset();
	return GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL,
			  NULL);
}

static int open_or_fail(GDALDatasetH *out, const char *path)
{
	*out = open_ds(path);
	if (!*out)
		return gdal_error(path, "not a dataset GDAL can open");
	return 0;
}

/* ---- CRS ------------------------------------------------------------------- */

/* The EPSG code of SRS, identifying it when it does not carry one; 0 when none fits. */
static int srs_epsg(OGRSpatialReferenceH srs)
{
	OGRSpatialReferenceH c;
	const char *auth, *code;
	int epsg = 0;

	if (!srs)
		return 0;
	auth = OSRGetAuthorityName(srs, NULL);
	code = OSRGetAuthorityCode(srs, NULL);
	if (auth && code && !strcmp(auth, "EPSG"))
		return atoi(code);
	c = OSRClone(srs);
	if (OSRAutoIdentifyEPSG(c) == OGRERR_NONE) {
		auth = OSRGetAuthorityName(c, NULL);
		code = OSRGetAuthorityCode(c, NULL);
		if (auth && code && !strcmp(auth, "EPSG"))
			epsg = atoi(code);
	}
	OSRDestroySpatialReference(c);
	CPLErrorReset();
	return epsg;
}

/* WKT2 text of SRS (malloc'd), or NULL. */
static char *srs_wkt(OGRSpatialReferenceH srs)
{
	const char *opts[] = { "FORMAT=WKT2_2019", "MULTILINE=NO", NULL };
	char *wkt = NULL, *copy;

	if (!srs)
		return NULL;
	if (OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE || !wkt) {
		CPLFree(wkt);
		CPLErrorReset();
		return NULL;
	}
	copy = xstrdup(wkt);
	CPLFree(wkt);
	return copy;
}

static json_t *crs_json(OGRSpatialReferenceH srs)
{
	char *wkt;
	const char *name;
	int epsg;
	json_t *o;

	if (!srs)
		return json_null();
	epsg = srs_epsg(srs);
	wkt = srs_wkt(srs);
	name = OSRGetName(srs);
	o = json_pack("{s:o, s:s?, s:s?}", "epsg", epsg ? json_integer(epsg) : json_null(), "name",
		      name, "wkt", wkt);
	free(wkt);
	return o;
}

/* "EPSG:32725", the CRS's name, or "" */
static void crs_label(struct strbuf *out, const json_t *crs)
{
	json_t *epsg = json_object_get(crs, "epsg");
	if (json_is_integer(epsg))
		strbuf_addf(out, "EPSG:%lld", (long long)json_integer_value(epsg));
	else if (json_string_value(json_object_get(crs, "name")))
		strbuf_addf(out, "CRS \"%s\"", json_string_value(json_object_get(crs, "name")));
}

/* ---- metadata ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The non-volatile KEY=VALUE items of a metadata list, sorted, in OUT. */
static void metadata_items(struct strvec *out, char **md)
{
	size_t i;
	for (i = 0; md && md[i]; i++) {
		const char *eq = strchr(md[i], '=');
		char *key = eq ? xstrndup(md[i], (size_t)(eq - md[i])) : xstrdup(md[i]);
		if (!formats__volatile_key(key))
			strvec_push(out, md[i]);
		free(key);
	}
	if (out->nr)
		qsort(out->v, out->nr, sizeof(char *), cmp_str);
}

static json_t *metadata_json(char **md)
{
	json_t *o = json_object();
	size_t i;
	for (i = 0; md && md[i] && i < 200; i++) {
		const char *eq = strchr(md[i], '=');
		char *key;
		if (!eq)
			continue;
		key = xstrndup(md[i], (size_t)(eq - md[i]));
		json_object_set_new(o, key, json_string(eq + 1));
		free(key);
	}
	return o;
}

/* ---- reading bands --------------------------------------------------------- */

/* The nodata value as the band's type holds it: "-88.8888" and
 * "-88.88880157" are the same Float32 nodata. */
static double nodata_canonical(GDALRasterBandH b, double v)
{
	GDALDataType t = GDALGetRasterDataType(b);
	if (isnan(v) || isinf(v))
		return v;
	if (t == GDT_Float32 || t == GDT_CFloat32)
		return (double)(float)v;
	if (GDALDataTypeIsInteger(t))
		return round(v);
	return v;
}

/* Rows per chunk for a band of width W read as TYPE. */
static int chunk_rows(GDALRasterBandH b, int w, GDALDataType type)
{
	int bx = 0, by = 0;
	size_t row = (size_t)w * (size_t)GDALGetDataTypeSizeBytes(type);
	size_t rows;

	GDALGetBlockSize(b, &bx, &by);
	rows = row ? CHUNK_BYTES / row : 1;
	if (rows < 1)
		rows = 1;
	/* Whole blocks where they fit: a block is decompressed once. */
	if (by > 1 && rows > (size_t)by)
		rows -= rows % (size_t)by;
	return rows > (size_t)GDALGetRasterBandYSize(b) ? GDALGetRasterBandYSize(b) : (int)rows;
}

/* A row read as doubles at most this large: reading is by whole rows. */
#define MAX_ROW_BYTES (256u << 20)

/*
 * Is band B too large to read whole (a fingerprint, statistics, a
 * comparison of cells)?  Then err is set, naming PATH, and the answer is
 * CAIRN_EUNSUPPORTED; else 0.  Counted as doubles, the widest type a
 * band is read as here.
 */
static int band_too_large(GDALRasterBandH b, const char *path)
{
	uint64_t w = (uint64_t)GDALGetRasterBandXSize(b), h = (uint64_t)GDALGetRasterBandYSize(b);

	if (w * sizeof(double) > MAX_ROW_BYTES || w * h * sizeof(double) > FORMATS_MAX_BYTES)
		return err_set(CAIRN_EUNSUPPORTED,
			       "%s: a band of %llux%llu is too large to read whole (more than "
			       "%llu GiB of values or %u MiB a row)",
			       path, (unsigned long long)w, (unsigned long long)h,
			       (unsigned long long)(FORMATS_MAX_BYTES >> 30), MAX_ROW_BYTES >> 20);
	return 0;
}

/* Read band B as doubles in chunks; CB gets each chunk (N values starting
 * at row Y0).  0 or -1 (err set, naming PATH). */
static int band_foreach(GDALRasterBandH b, const char *path,
			int (*cb)(const double *v, size_t n, int y0, int w, void *payload),
			void *payload)
{
	int w = GDALGetRasterBandXSize(b), h = GDALGetRasterBandYSize(b);
	int rows = chunk_rows(b, w, GDT_Float64), y, ret;
	double *buf;

	if ((ret = band_too_large(b, path)) < 0)
		return ret;
	buf = xmalloc((size_t)w * (size_t)rows * sizeof(double));

	for (y = 0; y < h; y += rows) {
		int n = y + rows > h ? h - y : rows;
		CPLErrorReset();
		if (GDALRasterIO(b, GF_Read, 0, y, w, n, buf, w, n, GDT_Float64, 0, 0) != CE_None) {
			ret = gdal_error(path, "cannot read the pixels");
			break;
		}
		if ((ret = cb(buf, (size_t)w * (size_t)n, y, w, payload)))
			break;
	}
	free(buf);
	return ret;
}

struct stats_ctx {
	struct fp_stats s;
	int has_nodata;
	double nodata;
};

static int stats_cb(const double *v, size_t n, int y0, int w, void *payload)
{
	struct stats_ctx *c = payload;
	size_t i;
	(void)y0;
	(void)w;
	for (i = 0; i < n; i++) {
		if (c->has_nodata && (v[i] == c->nodata || (isnan(c->nodata) && isnan(v[i]))))
			continue;
		formats__stats_add(&c->s, v[i]);
	}
	return 0;
}

static int band_stats(json_t **out, GDALRasterBandH b, const char *path)
{
	struct stats_ctx c = { 0 };
	int ret;

	c.nodata = nodata_canonical(b, GDALGetRasterNoDataValue(b, &c.has_nodata));
	if ((ret = band_foreach(b, path, stats_cb, &c)) < 0)
		return ret;
	*out = formats__stats_json(&c.s);
	return 0;
}

/* ---- info ------------------------------------------------------------------------ */

static json_t *band_json(GDALRasterBandH b, int i)
{
	int has = 0, bx = 0, by = 0;
	double nd = GDALGetRasterNoDataValue(b, &has);
	const char *desc = GDALGetDescription(b), *unit = GDALGetRasterUnitType(b);
	json_t *o;

	GDALGetBlockSize(b, &bx, &by);
	o = json_pack("{s:i, s:s, s:o, s:[i,i], s:s}", "band", i, "type",
		      GDALGetDataTypeName(GDALGetRasterDataType(b)), "nodata",
		      has ? (isnan(nd) ? json_string("nan") : json_real(nd)) : json_null(), "block",
		      bx, by, "color",
		      GDALGetColorInterpretationName(GDALGetRasterColorInterpretation(b)));
	if (desc && *desc)
		json_object_set_new(o, "description", json_string(desc));
	if (unit && *unit)
		json_object_set_new(o, "unit", json_string(unit));
	return o;
}

static json_t *layers_json(GDALDatasetH ds)
{
	json_t *arr = json_array();
	int i, n = GDALDatasetGetLayerCount(ds);

	for (i = 0; i < n; i++) {
		OGRLayerH l = GDALDatasetGetLayer(ds, i);
		OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
		GIntBig count = OGR_L_GetFeatureCount(l, 1);
		json_t *fields = json_array();
		int f;
		for (f = 0; f < OGR_FD_GetFieldCount(d); f++) {
			OGRFieldDefnH fd = OGR_FD_GetFieldDefn(d, f);
			json_array_append_new(fields,
					      json_pack("{s:s, s:s}", "name",
							OGR_Fld_GetNameRef(fd), "type",
							OGR_GetFieldTypeName(OGR_Fld_GetType(fd))));
		}
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", OGR_L_GetName(l), "geometry",
			      OGRGeometryTypeToName(OGR_L_GetGeomType(l)), "features",
			      count >= 0 ? json_integer((json_int_t)count) : json_null(), "fields",
			      fields, "crs", crs_json(OGR_L_GetSpatialRef(l))));
	}
	return arr;
}

/* The variable part of a subdataset name: the name with the file's path
 * cut out (NETCDF:"/x/a.nc":pr -> NETCDF:"":pr), so that two copies of a
 * file have the same subdatasets. */
static char *subdataset_key(const char *name, const char *path)
{
	const char *p = strstr(name, path);
	struct strbuf sb = STRBUF_INIT;

	if (!p || !*path)
		return xstrdup(name);
	strbuf_add(&sb, name, (size_t)(p - name));
	strbuf_addstr(&sb, p + strlen(path));
	return strbuf_detach(&sb, NULL);
}

/* Short name of a subdataset for summaries: what follows the last ':'. */
static const char *subdataset_short(const char *name)
{
	const char *c = strrchr(name, ':');
	const char *s = c ? c + 1 : name;
	while (*s == '/')
		s++;
	return s;
}

static json_t *subdatasets_json(GDALDatasetH ds, const char *path)
{
	char **md = GDALGetMetadata(ds, "SUBDATASETS");
	json_t *arr = json_array();
	int i;

	for (i = 1;; i++) {
		char key[64], dkey[64];
		const char *name, *desc;
		char *k;
		snprintf(key, sizeof(key), "SUBDATASET_%d_NAME", i);
		snprintf(dkey, sizeof(dkey), "SUBDATASET_%d_DESC", i);
		name = CSLFetchNameValue(md, key);
		if (!name)
			break;
		desc = CSLFetchNameValue(md, dkey);
		k = subdataset_key(name, path);
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:s, s:s?}", "name", name, "key", k, "description", desc));
		free(k);
	}
	return arr;
}

static void summary_line(struct strbuf *sb, const json_t *o)
{
	json_t *bands = json_object_get(o, "bands"), *layers = json_object_get(o, "layers");
	json_t *subs = json_object_get(o, "subdatasets"), *e;
	size_t i;

	strbuf_addstr(sb, json_string_value(json_object_get(o, "driver")) ?: "?");
	if (json_array_size(bands)) {
		const char *type =
		    json_string_value(json_object_get(json_array_get(bands, 0), "type"));
		strbuf_addf(sb, " %lldx%lld",
			    (long long)json_integer_value(json_object_get(o, "width")),
			    (long long)json_integer_value(json_object_get(o, "height")));
		if (json_array_size(bands) > 1)
			strbuf_addf(sb, "x%zu", json_array_size(bands));
		strbuf_addf(sb, " %s", type ? type : "?");
		if (json_is_object(json_object_get(o, "crs"))) {
			strbuf_addch(sb, ' ');
			crs_label(sb, json_object_get(o, "crs"));
		}
	}
	if (json_array_size(layers)) {
		strbuf_addf(sb, " %zu layer%s:", json_array_size(layers),
			    json_array_size(layers) > 1 ? "s" : "");
		json_array_foreach(layers, i, e)
		{
			json_t *n = json_object_get(e, "features");
			if (i == 3) {
				strbuf_addstr(sb, " ...");
				break;
			}
			strbuf_addf(sb, "%s %s %s", i ? "," : "",
				    json_string_value(json_object_get(e, "name")),
				    json_string_value(json_object_get(e, "geometry")));
			if (json_is_integer(n))
				strbuf_addf(sb, " %lld", (long long)json_integer_value(n));
		}
		if (json_is_object(json_object_get(json_array_get(layers, 0), "crs"))) {
			strbuf_addch(sb, ' ');
			crs_label(sb, json_object_get(json_array_get(layers, 0), "crs"));
		}
	}
	if (json_array_size(subs)) {
		strbuf_addf(sb, " %zu subdataset%s:", json_array_size(subs),
			    json_array_size(subs) > 1 ? "s" : "");
		json_array_foreach(subs, i, e)
		{
			if (i == 6) {
				strbuf_addstr(sb, " ...");
				break;
			}
			strbuf_addf(
			    sb, "%s %s", i ? "," : "",
			    subdataset_short(json_string_value(json_object_get(e, "name"))));
		}
	}
	while (sb->len && sb->buf[sb->len - 1] == ' ')
		strbuf_setlen(sb, sb->len - 1);
}

int formats__gdal_info(json_t **out, const char *path, unsigned flags)
{
	GDALDatasetH ds = NULL;
	json_t *o = NULL, *bands;
	struct strbuf sb = STRBUF_INIT;
	double gt[6];
	int i, nb, ret;

	formats__gdal_init();
	if ((ret = open_or_fail(&ds, path)) < 0)
		return ret;
	o = json_pack("{s:s, s:s, s:s}", "format", "gdal", "driver",
		      GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "driver_long",
		      GDALGetDriverLongName(GDALGetDatasetDriver(ds)));
	nb = GDALGetRasterCount(ds);
	if (nb > 0) {
		json_object_set_new(o, "width", json_integer(GDALGetRasterXSize(ds)));
		json_object_set_new(o, "height", json_integer(GDALGetRasterYSize(ds)));
		json_object_set_new(o, "crs", crs_json(GDALGetSpatialRef(ds)));
		if (GDALGetGeoTransform(ds, gt) == CE_None)
			json_object_set_new(
			    o, "geotransform",
			    json_pack("[f,f,f,f,f,f]", gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]));
		else
			json_object_set_new(o, "geotransform", json_null());
		bands = json_array();
		for (i = 1; i <= nb; i++) {
			GDALRasterBandH b = GDALGetRasterBand(ds, i);
			json_t *bj = band_json(b, i), *st = NULL;
			if (flags & FORMATS_STATS) {
				if ((ret = band_stats(&st, b, path)) < 0) {
					json_decref(bj);
					json_decref(bands);
					goto out;
				}
				json_object_set_new(bj, "stats", st);
			}
			json_array_append_new(bands, bj);
		}
		json_object_set_new(o, "bands", bands);
	}
	if (GDALDatasetGetLayerCount(ds) > 0)
		json_object_set_new(o, "layers", layers_json(ds));
	if (CSLCount(GDALGetMetadata(ds, "SUBDATASETS")))
		json_object_set_new(o, "subdatasets", subdatasets_json(ds, path));
	json_object_set_new(o, "metadata", metadata_json(GDALGetMetadata(ds, NULL)));
	summary_line(&sb, o);
	json_object_set_new(o, "summary", json_string(sb.buf));
	ret = 0;
out:
	if (ret < 0) {
		json_decref(o);
		o = NULL;
	}
	*out = o;
	strbuf_release(&sb);
	GDALClose(ds);
	return ret;
}

/* ---- fingerprint ------------------------------------------------------------------ */

static void hash_metadata(struct fp_hash *h, const char *tag, char **md)
{
	struct strvec items = STRVEC_INIT;
	size_t i;

	metadata_items(&items, md);
	formats__hash_addf(h, "%s %zu", tag, items.nr);
	for (i = 0; i < items.nr; i++)
		formats__hash_addf(h, "%s", items.v[i]);
	strvec_clear(&items);
}

/*
 * A thread that hashes one buffer while the caller reads the next:
 * SHA-256 and GDAL's reading each take about half of the time, and the
 * fingerprint of a large raster is worth a second core.  Buffers are
 * hashed in the order they are submitted; a submitted buffer is not
 * touched by the caller until the next submit (or stop) returns.
 */
struct hasher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fp_hash *h;
	const void *buf;
	size_t len;
	int busy, quit;
};

static void *hasher_main(void *payload)
{
	struct hasher *hs = payload;

	pthread_mutex_lock(&hs->mu);
	for (;;) {
		while (!hs->busy && !hs->quit)
			pthread_cond_wait(&hs->cv, &hs->mu);
		if (!hs->busy)
			break;
		pthread_mutex_unlock(&hs->mu);
		formats__hash_add(hs->h, hs->buf, hs->len);
		pthread_mutex_lock(&hs->mu);
		hs->busy = 0;
		pthread_cond_broadcast(&hs->cv);
	}
	pthread_mutex_unlock(&hs->mu);
	return NULL;
}

static void hasher_start(struct hasher *hs, struct fp_hash *h)
{
	memset(hs, 0, sizeof(*hs));
	hs->h = h;
	pthread_mutex_init(&hs->mu, NULL);
	pthread_cond_init(&hs->cv, NULL);
	if (pthread_create(&hs->thread, NULL, hasher_main, hs) != 0)
		die("cannot start a hashing thread");
}

static void hasher_submit(struct hasher *hs, const void *buf, size_t len)
{
	pthread_mutex_lock(&hs->mu);
	while (hs->busy)
		pthread_cond_wait(&hs->cv, &hs->mu);
	hs->buf = buf;
	hs->len = len;
	hs->busy = 1;
	pthread_cond_broadcast(&hs->cv);
	pthread_mutex_unlock(&hs->mu);
}

/* Wait for the last buffer to be hashed, then end the thread. */
static void hasher_stop(struct hasher *hs)
{
	pthread_mutex_lock(&hs->mu);
	hs->quit = 1;
	pthread_cond_broadcast(&hs->cv);
	pthread_mutex_unlock(&hs->mu);
	pthread_join(hs->thread, NULL);
	pthread_mutex_destroy(&hs->mu);
	pthread_cond_destroy(&hs->cv);
}

static int hash_band(struct fp_hash *h, GDALRasterBandH b, int i, const char *path)
{
	GDALDataType type = GDALGetRasterDataType(b);
	int w = GDALGetRasterBandXSize(b), hgt = GDALGetRasterBandYSize(b);
	int has = 0, rows = chunk_rows(b, w, type), y, ret = 0;
	double nd = GDALGetRasterNoDataValue(b, &has);
	size_t px = (size_t)GDALGetDataTypeSizeBytes(type);
	unsigned char *buf[2];
	struct hasher hs;
	int k;

	formats__hash_addf(h, "band %d %s %dx%d", i, GDALGetDataTypeName(type), w, hgt);
	if (has)
		formats__hash_addf(h, "nodata %.17g", nodata_canonical(b, nd));
	formats__hash_addf(h, "scale %.17g offset %.17g unit %s", GDALGetRasterScale(b, NULL),
			   GDALGetRasterOffset(b, NULL), GDALGetRasterUnitType(b));
	formats__hash_addf(h, "color %s",
			   GDALGetColorInterpretationName(GDALGetRasterColorInterpretation(b)));
	hash_metadata(h, "band-metadata", GDALGetMetadata(b, NULL));
	if (!px)
		return err_set(CAIRN_ERROR, "%s: band %d has an unknown data type", path, i);
	if ((ret = band_too_large(b, path)) < 0)
		return ret;
	/* Two buffers: the next chunk is read while the last is hashed. */
	buf[0] = xmalloc(px * (size_t)w * (size_t)rows);
	buf[1] = xmalloc(px * (size_t)w * (size_t)rows);
	hasher_start(&hs, h);
	for (y = 0, k = 0; y < hgt; y += rows, k ^= 1) {
		int n = y + rows > hgt ? hgt - y : rows;
		CPLErrorReset();
		if (GDALRasterIO(b, GF_Read, 0, y, w, n, buf[k], w, n, type, 0, 0) != CE_None) {
			ret = gdal_error(path, "cannot read the pixels");
			break;
		}
		hasher_submit(&hs, buf[k], px * (size_t)w * (size_t)n);
	}
	hasher_stop(&hs);
	free(buf[0]);
	free(buf[1]);
	return ret;
}

static int hash_layer(struct fp_hash *h, OGRLayerH l)
{
	OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
	OGRFeatureH f;
	char *wkt = srs_wkt(OGR_L_GetSpatialRef(l));
	int i, n = OGR_FD_GetFieldCount(d);

	formats__hash_addf(h, "layer %s %s", OGR_L_GetName(l),
			   OGRGeometryTypeToName(OGR_L_GetGeomType(l)));
	formats__hash_addf(h, "crs %s", wkt ? wkt : "");
	free(wkt);
	for (i = 0; i < n; i++) {
		OGRFieldDefnH fd = OGR_FD_GetFieldDefn(d, i);
		formats__hash_addf(h, "field %s %s %d %d", OGR_Fld_GetNameRef(fd),
				   OGR_GetFieldTypeName(OGR_Fld_GetType(fd)), OGR_Fld_GetWidth(fd),
				   OGR_Fld_GetPrecision(fd));
	}
	OGR_L_ResetReading(l);
	while ((f = OGR_L_GetNextFeature(l))) {
		OGRGeometryH g = OGR_F_GetGeometryRef(f);
		formats__hash_addf(h, "feature %lld", (long long)OGR_F_GetFID(f));
		for (i = 0; i < n; i++) {
			if (!OGR_F_IsFieldSetAndNotNull(f, i))
				formats__hash_addf(h, "null");
			else
				formats__hash_addf(h, "v %s", OGR_F_GetFieldAsString(f, i));
		}
		if (g) {
			size_t sz = (size_t)OGR_G_WkbSize(g);
			unsigned char *wkb = xmalloc(sz ? sz : 1);
			OGR_G_ExportToIsoWkb(g, wkbNDR, wkb);
			formats__hash_addf(h, "geometry %zu", sz);
			formats__hash_add(h, wkb, sz);
			free(wkb);
		}
		OGR_F_Destroy(f);
	}
	return 0;
}

static int hash_dataset(struct fp_hash *h, GDALDatasetH ds, const char *path, int depth)
{
	double gt[6];
	char *wkt;
	int i, nb = GDALGetRasterCount(ds), ret = 0;
	json_t *subs, *e;
	size_t k;

	formats__hash_addf(h, "dataset %dx%dx%d", GDALGetRasterXSize(ds), GDALGetRasterYSize(ds),
			   nb);
	if (nb > 0) {
		if (GDALGetGeoTransform(ds, gt) == CE_None)
			formats__hash_addf(h, "geotransform %.17g %.17g %.17g %.17g %.17g %.17g",
					   gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]);
		wkt = srs_wkt(GDALGetSpatialRef(ds));
		formats__hash_addf(h, "crs %s", wkt ? wkt : "");
		free(wkt);
	}
	hash_metadata(h, "metadata", GDALGetMetadata(ds, NULL));
	for (i = 1; i <= nb; i++)
		if ((ret = hash_band(h, GDALGetRasterBand(ds, i), i, path)) < 0)
			return ret;
	for (i = 0; i < GDALDatasetGetLayerCount(ds); i++)
		if ((ret = hash_layer(h, GDALDatasetGetLayer(ds, i))) < 0)
			return ret;
	if (depth > 0)
		return 0;
	subs = subdatasets_json(ds, path);
	json_array_foreach(subs, k, e)
	{
		const char *name = json_string_value(json_object_get(e, "name"));
		GDALDatasetH sub;
		formats__hash_addf(h, "subdataset %s",
				   json_string_value(json_object_get(e, "key")));
		if ((ret = open_or_fail(&sub, name)) < 0)
			break;
		ret = hash_dataset(h, sub, path, depth + 1);
		GDALClose(sub);
		if (ret < 0)
			break;
	}
	json_decref(subs);
	return ret < 0 ? ret : 0;
}

int formats__gdal_fingerprint(struct fp_hash *h, const char *path)
{
	GDALDatasetH ds;
	int ret;

	formats__gdal_init();
	if ((ret = open_or_fail(&ds, path)) < 0)
		return ret;
	formats__hash_addf(h, "cairn-fingerprint 1 gdal");
	ret = hash_dataset(h, ds, path, 0);
	GDALClose(ds);
	return ret;
}

/* ---- differences ---------------------------------------------------------------------- */

static void change(json_t *changes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void change(json_t *changes, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	json_array_append_new(changes, json_string(sb.buf));
	strbuf_release(&sb);
}

struct cell_diff {
	GDALRasterBandH other;
	const char *path;
	double *buf;
	int has_a, has_b;
	double nd_a, nd_b;
	double max;
	uint64_t count;
	int first_x, first_y, max_x, max_y;
	int err;
};

static int is_nodata(double v, int has, double nd)
{
	return has && (v == nd || (isnan(nd) && isnan(v)));
}

static int cell_cb(const double *v, size_t n, int y0, int w, void *payload)
{
	struct cell_diff *c = payload;
	size_t i;
	int rows = (int)(n / (size_t)w);

	CPLErrorReset();
	if (GDALRasterIO(c->other, GF_Read, 0, y0, w, rows, c->buf, w, rows, GDT_Float64, 0, 0) !=
	    CE_None)
		return gdal_error(c->path, "cannot read the pixels");
	for (i = 0; i < n; i++) {
		double a = v[i], b = c->buf[i], d;
		int na = is_nodata(a, c->has_a, c->nd_a) || isnan(a);
		int nb = is_nodata(b, c->has_b, c->nd_b) || isnan(b);
		if (na && nb)
			continue;
		if (na != nb)
			d = INFINITY;
		else
			d = fabs(a - b);
		if (d == 0)
			continue;
		if (!c->count) {
			c->first_x = (int)(i % (size_t)w);
			c->first_y = y0 + (int)(i / (size_t)w);
		}
		c->count++;
		if (d > c->max || c->count == 1) {
			c->max = d;
			c->max_x = (int)(i % (size_t)w);
			c->max_y = y0 + (int)(i / (size_t)w);
		}
	}
	return 0;
}

static int diff_bands_cells(json_t *out, json_t *changes, const char *prefix, GDALDatasetH a,
			    GDALDatasetH b, const char *path_b)
{
	int i, nb = GDALGetRasterCount(a), w = GDALGetRasterXSize(a), ret = 0;
	json_t *bands = json_array();
	double total_max = 0;
	uint64_t total = 0;

	for (i = 1; i <= nb; i++) {
		GDALRasterBandH ba = GDALGetRasterBand(a, i);
		struct cell_diff c = { 0 };
		c.other = GDALGetRasterBand(b, i);
		c.path = path_b;
		c.nd_a = nodata_canonical(ba, GDALGetRasterNoDataValue(ba, &c.has_a));
		c.nd_b = nodata_canonical(c.other, GDALGetRasterNoDataValue(c.other, &c.has_b));
		c.buf =
		    xmalloc((size_t)w * (size_t)chunk_rows(ba, w, GDT_Float64) * sizeof(double));
		ret = band_foreach(ba, path_b, cell_cb, &c);
		free(c.buf);
		if (ret < 0)
			break;
		if (c.count) {
			change(changes,
			       "%sband %d: %llu cell%s, max abs difference %.6g at (x %d, y "
			       "%d), first at (x %d, y %d)",
			       prefix, i, (unsigned long long)c.count,
			       c.count == 1 ? " differs" : "s differ", c.max, c.max_x, c.max_y,
			       c.first_x, c.first_y);
		}
		json_array_append_new(
		    bands,
		    json_pack("{s:i, s:I, s:o, s:o}", "band", i, "differing_cells",
			      (json_int_t)c.count, "max_abs_diff",
			      isinf(c.max) ? json_string("inf") : json_real(c.max),
			      "first_difference",
			      c.count ? json_pack("{s:i, s:i}", "x", c.first_x, "y", c.first_y)
				      : json_null()));
		total += c.count;
		if (c.max > total_max)
			total_max = c.max;
	}
	if (ret == 0 && !*prefix) {
		json_object_set_new(out, "differing_cells", json_integer((json_int_t)total));
		json_object_set_new(out, "max_abs_diff",
				    isinf(total_max) ? json_string("inf") : json_real(total_max));
		json_object_set_new(out, "bands", bands);
	} else {
		json_decref(bands);
	}
	return ret;
}

static void diff_metadata(json_t *changes, const char *prefix, char **ma, char **mb)
{
	struct strvec a = STRVEC_INIT, b = STRVEC_INIT;
	size_t i = 0, j = 0, shown = 0;

	metadata_items(&a, ma);
	metadata_items(&b, mb);
	while ((i < a.nr || j < b.nr) && shown < MAX_CHANGES) {
		int c = i >= a.nr ? 1 : j >= b.nr ? -1 : strcmp(a.v[i], b.v[j]);
		if (!c) {
			i++, j++;
			continue;
		}
		if (c < 0)
			change(changes, "%smetadata removed: %s", prefix, a.v[i++]);
		else
			change(changes, "%smetadata added: %s", prefix, b.v[j++]);
		shown++;
	}
	strvec_clear(&a);
	strvec_clear(&b);
}

static int diff_dataset(json_t *out, json_t *changes, const char *prefix, GDALDatasetH a,
			GDALDatasetH b, const char *path_a, const char *path_b, int depth);

static int diff_subdatasets(json_t *out, json_t *changes, GDALDatasetH a, GDALDatasetH b,
			    const char *path_a, const char *path_b)
{
	json_t *sa = subdatasets_json(a, path_a), *sb = subdatasets_json(b, path_b), *e, *f;
	size_t i, j;
	int ret = 0;

	json_array_foreach(sa, i, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *name = json_string_value(json_object_get(e, "name"));
		int found = 0;
		json_array_foreach(sb, j, f)
		{
			GDALDatasetH da = NULL, db = NULL;
			char *pre;
			if (strcmp(key, json_string_value(json_object_get(f, "key"))))
				continue;
			found = 1;
			if ((ret = open_or_fail(&da, name)) < 0)
				goto out;
			if ((ret = open_or_fail(
				 &db, json_string_value(json_object_get(f, "name")))) < 0) {
				GDALClose(da);
				goto out;
			}
			pre = xstrfmt("%s: ", subdataset_short(name));
			ret = diff_dataset(out, changes, pre, da, db, path_a, path_b, 1);
			free(pre);
			GDALClose(da);
			GDALClose(db);
			if (ret < 0)
				goto out;
		}
		if (!found)
			change(changes, "subdataset removed: %s", subdataset_short(name));
	}
	json_array_foreach(sb, j, f)
	{
		const char *key = json_string_value(json_object_get(f, "key"));
		int found = 0;
		json_array_foreach(sa, i, e)
		{
			if (!strcmp(key, json_string_value(json_object_get(e, "key"))))
				found = 1;
		}
		if (!found)
			change(changes, "subdataset added: %s",
			       subdataset_short(json_string_value(json_object_get(f, "name"))));
	}
out:
	json_decref(sa);
	json_decref(sb);
	return ret;
}

static int diff_dataset(json_t *out, json_t *changes, const char *prefix, GDALDatasetH a,
			GDALDatasetH b, const char *path_a, const char *path_b, int depth)
{
	int na = GDALGetRasterCount(a), nb = GDALGetRasterCount(b), i, ret = 0;
	int wa = GDALGetRasterXSize(a), ha = GDALGetRasterYSize(a);
	int wb = GDALGetRasterXSize(b), hb = GDALGetRasterYSize(b);
	double ga[6], gb[6];
	int hga, hgb, too_large = 0;
	size_t before = json_array_size(changes);

	if (strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(a)),
		   GDALGetDriverShortName(GDALGetDatasetDriver(b))))
		change(changes, "%sdriver: %s -> %s", prefix,
		       GDALGetDriverShortName(GDALGetDatasetDriver(a)),
		       GDALGetDriverShortName(GDALGetDatasetDriver(b)));
	if (na || nb) {
		OGRSpatialReferenceH ra = GDALGetSpatialRef(a), rb = GDALGetSpatialRef(b);
		if (wa != wb || ha != hb)
			change(changes, "%ssize: %dx%d -> %dx%d", prefix, wa, ha, wb, hb);
		if (na != nb)
			change(changes, "%sbands: %d -> %d", prefix, na, nb);
		if ((ra == NULL) != (rb == NULL) || (ra && !OSRIsSame(ra, rb))) {
			struct strbuf la = STRBUF_INIT, lb = STRBUF_INIT;
			json_t *ja = crs_json(ra), *jb = crs_json(rb);
			crs_label(&la, ja);
			crs_label(&lb, jb);
			change(changes, "%scrs: %s -> %s", prefix, la.len ? la.buf : "none",
			       lb.len ? lb.buf : "none");
			strbuf_release(&la);
			strbuf_release(&lb);
			json_decref(ja);
			json_decref(jb);
		}
		hga = GDALGetGeoTransform(a, ga) == CE_None;
		hgb = GDALGetGeoTransform(b, gb) == CE_None;
		if (hga != hgb || (hga && memcmp(ga, gb, sizeof(ga)))) {
			struct strbuf t = STRBUF_INIT;
			if (hga)
				strbuf_addf(&t, "[%.10g, %.10g, %.10g, %.10g, %.10g, %.10g]", ga[0],
					    ga[1], ga[2], ga[3], ga[4], ga[5]);
			else
				strbuf_addstr(&t, "none");
			strbuf_addstr(&t, " -> ");
			if (hgb)
				strbuf_addf(&t, "[%.10g, %.10g, %.10g, %.10g, %.10g, %.10g]", gb[0],
					    gb[1], gb[2], gb[3], gb[4], gb[5]);
			else
				strbuf_addstr(&t, "none");
			change(changes, "%sgeotransform: %s", prefix, t.buf);
			strbuf_release(&t);
		}
		for (i = 1; i <= na && i <= nb; i++) {
			GDALRasterBandH ba = GDALGetRasterBand(a, i), bb = GDALGetRasterBand(b, i);
			GDALDataType ta = GDALGetRasterDataType(ba), tb = GDALGetRasterDataType(bb);
			int hna, hnb;
			double nda = nodata_canonical(ba, GDALGetRasterNoDataValue(ba, &hna));
			double ndb = nodata_canonical(bb, GDALGetRasterNoDataValue(bb, &hnb));
			json_t *sa = NULL, *sb = NULL;
			if (ta != tb)
				change(changes, "%sband %d type: %s -> %s", prefix, i,
				       GDALGetDataTypeName(ta), GDALGetDataTypeName(tb));
			if (hna != hnb || (hna && nda != ndb && !(isnan(nda) && isnan(ndb)))) {
				struct strbuf t = STRBUF_INIT;
				if (hna)
					strbuf_addf(&t, "%.10g", nda);
				else
					strbuf_addstr(&t, "none");
				if (hnb)
					strbuf_addf(&t, " -> %.10g", ndb);
				else
					strbuf_addstr(&t, " -> none");
				change(changes, "%sband %d nodata: %s", prefix, i, t.buf);
				strbuf_release(&t);
			}
			if (band_too_large(ba, path_a) < 0 || band_too_large(bb, path_b) < 0) {
				/* Not read: whether the values changed is not known. */
				change(changes, "%sband %d: %s", prefix, i, err_last());
				err_clear();
				too_large = 1;
				continue;
			}
			if ((ret = band_stats(&sa, ba, path_a)) < 0)
				return ret;
			if ((ret = band_stats(&sb, bb, path_b)) < 0) {
				json_decref(sa);
				return ret;
			}
			if (!json_equal(sa, sb)) {
				/* Shown when visible at the printed precision; the
				 * cell comparison reports smaller changes. */
				struct strbuf t = STRBUF_INIT, u = STRBUF_INIT;
				formats__stats_text(&t, sa);
				formats__stats_text(&u, sb);
				if (strcmp(t.buf, u.buf))
					change(changes, "%sband %d stats: %s -> %s", prefix, i,
					       t.buf, u.buf);
				strbuf_release(&t);
				strbuf_release(&u);
			}
			json_decref(sa);
			json_decref(sb);
		}
		if (wa == wb && ha == hb && na == nb && !too_large &&
		    (ret = diff_bands_cells(out, changes, prefix, a, b, path_b)) < 0)
			return ret;
	}
	diff_metadata(changes, prefix, GDALGetMetadata(a, NULL), GDALGetMetadata(b, NULL));
	if (GDALDatasetGetLayerCount(a) || GDALDatasetGetLayerCount(b)) {
		int la = GDALDatasetGetLayerCount(a), lb = GDALDatasetGetLayerCount(b);
		if (la != lb)
			change(changes, "%slayers: %d -> %d", prefix, la, lb);
		for (i = 0; i < la && i < lb; i++) {
			struct fp_hash h1, h2;
			char f1[SHA256_HEX_LEN + 1], f2[SHA256_HEX_LEN + 1];
			OGRLayerH l1 = GDALDatasetGetLayer(a, i), l2 = GDALDatasetGetLayer(b, i);
			GIntBig c1 = OGR_L_GetFeatureCount(l1, 1),
				c2 = OGR_L_GetFeatureCount(l2, 1);
			formats__hash_init(&h1);
			formats__hash_init(&h2);
			hash_layer(&h1, l1);
			hash_layer(&h2, l2);
			formats__hash_final(&h1, f1);
			formats__hash_final(&h2, f2);
			if (c1 != c2)
				change(changes, "%slayer %s: %lld -> %lld features", prefix,
				       OGR_L_GetName(l1), (long long)c1, (long long)c2);
			else if (strcmp(f1, f2))
				change(changes, "%slayer %s: features or fields changed", prefix,
				       OGR_L_GetName(l1));
		}
	}
	if (depth == 0 && (ret = diff_subdatasets(out, changes, a, b, path_a, path_b)) < 0)
		return ret;
	return json_array_size(changes) > before;
}

int formats__gdal_diff(json_t *out, json_t *changes, const char *a, const char *b)
{
	GDALDatasetH da = NULL, db = NULL;
	int ret;

	formats__gdal_init();
	if ((ret = open_or_fail(&da, a)) < 0)
		return ret;
	if ((ret = open_or_fail(&db, b)) < 0)
		goto out;
	ret = diff_dataset(out, changes, "", da, db, a, b, 0);
out:
	GDALClose(da);
	GDALClose(db);
	return ret;
}
