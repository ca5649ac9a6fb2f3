/*
 * hdf5.c - HDF5 files through the HDF5 C API: the object tree (groups,
 * datasets with shapes, types, chunking and filters, attributes, soft and
 * external links), fingerprints and differences.
 *
 * The library's automatic error printing is turned off once; when a call
 * fails, its error stack is walked (H5Ewalk2) into the cairn error
 * message.  External links are listed, never followed: a summary or a
 * fingerprint is of this file alone.
 */
#include "formats-int.h"

#include <hdf5.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Objects listed before the summary says "truncated". */
#define MAX_OBJECTS 5000
#define MAX_DEPTH 64
/* Attribute values shown inline up to this many elements. */
#define MAX_INLINE 16
#define SLAB_BYTES (16u << 20)

void formats__hdf5_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	H5open();
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static herr_t walk_error(unsigned n, const H5E_error2_t *e, void *payload)
{
	struct strbuf *sb = payload;
	if (n >= 4 || !e->desc || !*e->desc)
		return 0;
	strbuf_addf(sb, "%s%s", sb->len ? ": " : "", e->desc);
	return 0;
}

/* err_set() with HDF5's error stack (outermost first), or WHAT. */
static int hdf5_error(const char *path, const char *what)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_error, &sb);
	H5Eclear2(H5E_DEFAULT);
	ret = err_set(CAIRN_ERROR, "%s: %s%s%s", path, what, sb.len ? ": " : "", sb.buf);
	strbuf_release(&sb);
	return ret;
}

/* ---- types ------------------------------------------------------------------ */

/* A description of TYPE that does not depend on byte order (the
 * fingerprint reads values in the native order). */
static void type_name(struct strbuf *out, hid_t t)
{
	H5T_class_t c = H5Tget_class(t);
	size_t size = H5Tget_size(t);
	hid_t super;
	int i, n;

	switch (c) {
	case H5T_INTEGER:
		strbuf_addf(out, "%sint%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "", size * 8);
		break;
	case H5T_FLOAT:
		strbuf_addf(out, "float%zu", size * 8);
		break;
	case H5T_STRING:
		if (H5Tis_variable_str(t) > 0)
			strbuf_addstr(out, "string");
		else
			strbuf_addf(out, "string%zu", size);
		break;
	case H5T_BITFIELD:
		strbuf_addf(out, "bitfield%zu", size * 8);
		break;
	case H5T_OPAQUE:
		strbuf_addf(out, "opaque%zu", size);
		break;
	case H5T_COMPOUND:
		n = H5Tget_nmembers(t);
		strbuf_addstr(out, "compound{");
		for (i = 0; i < n; i++) {
			char *name = H5Tget_member_name(t, (unsigned)i);
			hid_t mt = H5Tget_member_type(t, (unsigned)i);
			strbuf_addf(out, "%s%s:", i ? ", " : "", name ? name : "?");
			type_name(out, mt);
			H5Tclose(mt);
			H5free_memory(name);
		}
		strbuf_addch(out, '}');
		break;
	case H5T_ENUM:
		super = H5Tget_super(t);
		strbuf_addstr(out, "enum(");
		type_name(out, super);
		strbuf_addch(out, ')');
		H5Tclose(super);
		break;
	case H5T_ARRAY: {
		hsize_t dims[H5S_MAX_RANK];
		int rank = H5Tget_array_ndims(t);
		if (rank < 0 || rank > H5S_MAX_RANK)
			rank = 0;
		H5Tget_array_dims2(t, dims);
		strbuf_addstr(out, "array[");
		for (i = 0; i < rank; i++)
			strbuf_addf(out, "%s%llu", i ? "x" : "", (unsigned long long)dims[i]);
		strbuf_addstr(out, "] of ");
		super = H5Tget_super(t);
		type_name(out, super);
		H5Tclose(super);
		break;
	}
	case H5T_VLEN:
		super = H5Tget_super(t);
		strbuf_addstr(out, "vlen of ");
		type_name(out, super);
		H5Tclose(super);
		break;
	case H5T_REFERENCE:
		strbuf_addstr(out, "reference");
		break;
	case H5T_TIME:
		strbuf_addstr(out, "time");
		break;
	case H5T_NO_CLASS:
	case H5T_NCLASSES:
	default:
		strbuf_addstr(out, "unknown");
		break;
	}
}

static json_t *dims_json(const hsize_t *d, int rank, int unlimited)
{
	json_t *a = json_array();
	int i;
	for (i = 0; i < rank; i++) {
		if (unlimited && d[i] == H5S_UNLIMITED)
			json_array_append_new(a, json_null());
		else
			json_array_append_new(a, json_integer((json_int_t)d[i]));
	}
	return a;
}

/* Does native type T need element-by-element handling (pointers)? */
static int type_has_pointers(hid_t t)
{
	return H5Tdetect_class(t, H5T_VLEN) > 0 || H5Tdetect_class(t, H5T_REFERENCE) > 0 ||
	    (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) ||
	    (H5Tdetect_class(t, H5T_STRING) > 0 && H5Tget_class(t) != H5T_STRING);
}

/* Hash one element of memory type T at P, following pointers. */
static void hash_element(struct fp_hash *h, hid_t t, const unsigned char *p)
{
	H5T_class_t c = H5Tget_class(t);
	size_t size = H5Tget_size(t);
	hid_t super;
	int i, n;

	switch (c) {
	case H5T_STRING:
		if (H5Tis_variable_str(t) > 0) {
			const char *s = *(char *const *)p;
			size_t len = s ? strlen(s) : 0;
			formats__hash_add(h, &len, sizeof(len));
			formats__hash_add(h, s, len);
		} else {
			formats__hash_add(h, p, size);
		}
		break;
	case H5T_COMPOUND:
		n = H5Tget_nmembers(t);
		for (i = 0; i < n; i++) {
			hid_t mt = H5Tget_member_type(t, (unsigned)i);
			hash_element(h, mt, p + H5Tget_member_offset(t, (unsigned)i));
			H5Tclose(mt);
		}
		break;
	case H5T_ARRAY: {
		size_t k, es;
		super = H5Tget_super(t);
		es = H5Tget_size(super);
		for (k = 0; es && k < size / es; k++)
			hash_element(h, super, p + k * es);
		H5Tclose(super);
		break;
	}
	case H5T_VLEN: {
		const hvl_t *v = (const hvl_t *)p;
		size_t k, es;
		super = H5Tget_super(t);
		es = H5Tget_size(super);
		formats__hash_add(h, &v->len, sizeof(v->len));
		for (k = 0; k < v->len && v->p; k++)
			hash_element(h, super, (const unsigned char *)v->p + k * es);
		H5Tclose(super);
		break;
	}
	case H5T_REFERENCE:
		/* An address in this file: it changes when the file is
		 * repacked, so it is not part of the data's meaning. */
		formats__hash_add(h, "ref", 3);
		break;
	case H5T_INTEGER:
	case H5T_FLOAT:
	case H5T_BITFIELD:
	case H5T_OPAQUE:
	case H5T_ENUM:
	case H5T_TIME:
	case H5T_NO_CLASS:
	case H5T_NCLASSES:
	default:
		formats__hash_add(h, p, size);
		break;
	}
}

/* Hash N elements of memory type T in BUF. */
static void hash_values(struct fp_hash *h, hid_t t, const unsigned char *buf, size_t n)
{
	size_t k, size = H5Tget_size(t);

	if (!type_has_pointers(t)) {
		formats__hash_add(h, buf, n * size);
		return;
	}
	for (k = 0; k < n; k++)
		hash_element(h, t, buf + k * size);
}

/* ---- reading values ------------------------------------------------------------ */

/*
 * One hyperslab of a dataset: START and COUNT in its file space, N
 * elements, the first of which is element FIRST in row-major order.
 */
struct slab {
	int rank;
	hsize_t start[H5S_MAX_RANK], count[H5S_MAX_RANK];
	uint64_t first;
	size_t n;
};

typedef int (*slab_fn)(const unsigned char *buf, const struct slab *s, void *payload);

/*
 * The raw size of a dataset of NPOINTS elements of SIZE bytes, saturated
 * (a sparse chunked dataset can have 2^64 elements).
 */
static uint64_t raw_bytes(uint64_t npoints, size_t size)
{
	if (size && npoints > UINT64_MAX / size)
		return UINT64_MAX;
	return npoints * size;
}

/*
 * Read dataset D as memory type MT in hyperslabs of at most SLAB_BYTES
 * (at least one element), whatever its shape; CB gets each slab.
 *
 * The slabs come in row-major order and each is a run of consecutive
 * elements in that order: the dimensions after some dimension J are
 * whole, dimension J is cut into pieces of at most as many as fit, and
 * the dimensions before J are taken one index at a time.  The elements
 * therefore reach CB in the order a read of the whole dataset gives
 * them, so the fingerprint does not depend on where the slabs are cut
 * (it is the same as when slabs were whole rows of dimension 0).
 */
static int dataset_foreach(hid_t d, hid_t mt, const char *path, const char *obj, slab_fn cb,
			   void *payload)
{
	hid_t fs = H5Dget_space(d), ms = -1;
	hsize_t dims[H5S_MAX_RANK], idx[H5S_MAX_RANK];
	size_t es = H5Tget_size(mt), budget, inner = 1, piece;
	int rank, i, j, ret = 0;
	unsigned char *buf = NULL;
	struct slab s;

	if (fs < 0)
		return hdf5_error(path, obj);
	rank = H5Sget_simple_extent_ndims(fs);
	if (rank < 0 || rank > H5S_MAX_RANK) {
		ret = hdf5_error(path, obj);
		goto out;
	}
	if (H5Sget_simple_extent_type(fs) == H5S_NULL || H5Sget_simple_extent_npoints(fs) == 0)
		goto out;
	H5Sget_simple_extent_dims(fs, dims, NULL);
	memset(&s, 0, sizeof(s));
	s.rank = rank;
	if (rank == 0) {
		buf = xcalloc(1, es ? es : 1);
		if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
			ret = hdf5_error(path, obj);
			goto out;
		}
		s.n = 1;
		ret = cb(buf, &s, payload);
		if (type_has_pointers(mt))
			H5Dvlen_reclaim(mt, fs, H5P_DEFAULT, buf);
		goto out;
	}
	budget = es && es < SLAB_BYTES ? SLAB_BYTES / es : 1;
	/* J: the outermost dimension cut; INNER elements in the whole
	 * dimensions after it (at most BUDGET). */
	for (j = rank - 1; j > 0 && dims[j] <= budget / inner; j--)
		inner *= (size_t)dims[j];
	piece = budget / inner;
	if (piece > dims[j])
		piece = (size_t)dims[j];
	if (piece < 1)
		piece = 1;
	buf = xcalloc(piece * inner, es ? es : 1);
	for (i = 0; i < rank; i++)
		idx[i] = 0;
	for (;;) {
		for (i = 0; i < rank; i++) {
			s.start[i] = i <= j ? idx[i] : 0;
			s.count[i] = i < j ? 1 : i == j ? 0 : dims[i];
		}
		s.count[j] = dims[j] - idx[j] < piece ? dims[j] - idx[j] : piece;
		s.n = (size_t)s.count[j] * inner;
		ms = H5Screate_simple(rank, s.count, NULL);
		if (ms < 0 ||
		    H5Sselect_hyperslab(fs, H5S_SELECT_SET, s.start, NULL, s.count, NULL) < 0 ||
		    H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf) < 0) {
			ret = hdf5_error(path, obj);
			goto out;
		}
		ret = cb(buf, &s, payload);
		if (type_has_pointers(mt))
			H5Dvlen_reclaim(mt, ms, H5P_DEFAULT, buf);
		H5Sclose(ms);
		ms = -1;
		if (ret)
			goto out;
		s.first += s.n;
		/* the next slab: dimension J steps by PIECE, those before it
		 * by one, the last one carrying into the one before */
		idx[j] += s.count[j];
		for (i = j; i > 0 && idx[i] >= dims[i]; i--) {
			idx[i] = 0;
			idx[i - 1]++;
		}
		if (idx[0] >= dims[0])
			break;
	}
out:
	if (ms >= 0)
		H5Sclose(ms);
	H5Sclose(fs);
	free(buf);
	return ret;
}

struct hash_ctx {
	struct fp_hash *h;
	hid_t mt;
};

static int hash_cb(const unsigned char *buf, const struct slab *s, void *payload)
{
	struct hash_ctx *c = payload;
	hash_values(c->h, c->mt, buf, s->n);
	return 0;
}

/* ---- the object walk ------------------------------------------------------------- */

struct walk {
	const char *path; /* the file, for messages */
	json_t *objects; /* array of object entries */
	json_t *seen; /* {address: first path} for hard links */
	int fingerprint; /* compute per-object "fp" */
	int truncated;
	char *too_large; /* the first dataset too large to read, or NULL */
	int counts[6]; /* groups, datasets, soft, external, datatypes, other */
};

/* An attribute as JSON; its values inline when small. With W->fingerprint,
 * hashed into H. */
static int attribute(struct walk *w, json_t *list, struct fp_hash *h, hid_t a, const char *name,
		     const char *obj)
{
	hid_t ft = H5Aget_type(a), sp = H5Aget_space(a), mt = -1;
	struct strbuf tn = STRBUF_INIT;
	hsize_t dims[H5S_MAX_RANK];
	int rank, ret = 0;
	hssize_t npts;
	unsigned char *buf = NULL;
	json_t *o;

	if (ft < 0 || sp < 0) {
		ret = hdf5_error(w->path, obj);
		goto out;
	}
	type_name(&tn, ft);
	rank = H5Sget_simple_extent_ndims(sp);
	if (rank < 0 || rank > H5S_MAX_RANK)
		rank = 0;
	H5Sget_simple_extent_dims(sp, dims, NULL);
	npts = H5Sget_simple_extent_type(sp) == H5S_NULL ? 0 : H5Sget_simple_extent_npoints(sp);
	o = json_pack("{s:s, s:s, s:o}", "name", name, "dtype", tn.buf, "shape",
		      dims_json(dims, rank, 0));
	json_array_append_new(list, o);
	if (npts <= 0)
		goto out;
	mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
	if (mt < 0) {
		ret = hdf5_error(w->path, obj);
		goto out;
	}
	if (!h && npts > MAX_INLINE)
		goto out;
	buf = xcalloc((size_t)npts, H5Tget_size(mt));
	if (H5Aread(a, mt, buf) < 0) {
		ret = hdf5_error(w->path, obj);
		goto out;
	}
	if (h) {
		formats__hash_addf(h, "attribute %s %s", name, tn.buf);
		hash_values(h, mt, buf, (size_t)npts);
	}
	if (npts <= MAX_INLINE) {
		H5T_class_t c = H5Tget_class(mt);
		json_t *vals = json_array();
		size_t es = H5Tget_size(mt);
		double dv[MAX_INLINE];
		int have_dv =
		    (c == H5T_INTEGER || c == H5T_FLOAT) && H5Aread(a, H5T_NATIVE_DOUBLE, dv) >= 0;
		hssize_t k;
		for (k = 0; k < npts; k++) {
			const unsigned char *p = buf + (size_t)k * es;
			if (c == H5T_STRING && H5Tis_variable_str(mt) > 0) {
				const char *s = *(char *const *)p;
				json_array_append_new(vals, s ? json_string(s) : json_null());
			} else if (c == H5T_STRING) {
				json_array_append_new(
				    vals,
				    json_stringn((const char *)p, strnlen((const char *)p, es)));
			} else if (c == H5T_INTEGER || c == H5T_FLOAT) {
				double v = dv[k];
				if (!have_dv)
					json_array_append_new(vals, json_null());
				else if (c == H5T_INTEGER && fabs(v) < 9e15)
					json_array_append_new(vals, json_integer((json_int_t)v));
				else
					json_array_append_new(
					    vals, isfinite(v) ? json_real(v) : json_null());
			} else {
				json_array_append_new(vals, json_null());
			}
		}
		if (H5Tget_class(mt) == H5T_STRING && H5Tis_variable_str(mt) > 0)
			H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
		else if (type_has_pointers(mt))
			H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
		free(buf);
		buf = NULL;
		json_object_set_new(o, "value",
				    rank == 0 && json_array_size(vals) == 1
					? json_incref(json_array_get(vals, 0))
					: json_incref(vals));
		json_decref(vals);
	} else if (type_has_pointers(mt)) {
		H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
	}
out:
	free(buf);
	strbuf_release(&tn);
	if (mt >= 0)
		H5Tclose(mt);
	if (ft >= 0)
		H5Tclose(ft);
	if (sp >= 0)
		H5Sclose(sp);
	return ret;
}

struct attr_ctx {
	struct walk *w;
	json_t *list;
	struct fp_hash *h;
	const char *obj;
	int ret;
};

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *payload)
{
	struct attr_ctx *c = payload;
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	(void)info;
	if (a < 0) {
		c->ret = hdf5_error(c->w->path, c->obj);
		return -1;
	}
	c->ret = attribute(c->w, c->list, c->h, a, name, c->obj);
	H5Aclose(a);
	return c->ret < 0 ? -1 : 0;
}

static int attributes(struct walk *w, json_t *entry, struct fp_hash *h, hid_t obj, const char *name)
{
	struct attr_ctx c = { w, json_array(), h, name, 0 };
	hsize_t idx = 0;

	if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, &c) < 0 && !c.ret)
		c.ret = hdf5_error(w->path, name);
	json_object_set_new(entry, "attributes", c.list);
	return c.ret;
}

/*
 * The external raw storage of a dataset (H5Pset_external): its files'
 * names as the file gives them, offsets and sizes, in *OUT (NULL when
 * the data are in the file itself).  The files are never opened.
 */
static int external_files(json_t **out, hid_t dcpl, const char *path, const char *obj)
{
	int i, n = H5Pget_external_count(dcpl);

	*out = NULL;
	if (n < 0)
		return hdf5_error(path, obj);
	if (n == 0)
		return 0;
	*out = json_array();
	for (i = 0; i < n; i++) {
		char name[4096] = "";
		off_t offset = 0;
		hsize_t size = 0;
		if (H5Pget_external(dcpl, (unsigned)i, sizeof(name), name, &offset, &size) < 0) {
			json_decref(*out);
			*out = NULL;
			return hdf5_error(path, obj);
		}
		name[sizeof(name) - 1] = '\0';
		json_array_append_new(
		    *out,
		    json_pack("{s:s, s:I, s:I}", "name", name, "offset", (json_int_t)offset, "size",
			      size == H5F_UNLIMITED ? (json_int_t)-1 : (json_int_t)size));
	}
	return 0;
}

static int dataset(struct walk *w, json_t *e, struct fp_hash *h, hid_t d, const char *name)
{
	hid_t sp = H5Dget_space(d), ft = H5Dget_type(d), dcpl = H5Dget_create_plist(d), mt = -1;
	hsize_t dims[H5S_MAX_RANK], maxd[H5S_MAX_RANK], chunk[H5S_MAX_RANK];
	struct strbuf tn = STRBUF_INIT;
	json_t *filters = json_array(), *ext = NULL;
	int rank, i, nf, too_large, ret = 0;
	uint64_t npoints;

	if (sp < 0 || ft < 0 || dcpl < 0) {
		ret = hdf5_error(w->path, name);
		goto out;
	}
	type_name(&tn, ft);
	rank = H5Sget_simple_extent_ndims(sp);
	if (rank < 0 || rank > H5S_MAX_RANK) {
		ret = hdf5_error(w->path, name);
		goto out;
	}
	H5Sget_simple_extent_dims(sp, dims, maxd);
	json_object_set_new(e, "dtype", json_string(tn.buf));
	json_object_set_new(e, "shape", dims_json(dims, rank, 0));
	json_object_set_new(e, "maxshape", dims_json(maxd, rank, 1));
	if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
		int cr = H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk);
		json_object_set_new(e, "chunks", dims_json(chunk, cr > 0 ? cr : 0, 0));
	} else {
		json_object_set_new(e, "chunks", json_null());
	}
	nf = H5Pget_nfilters(dcpl);
	for (i = 0; i < nf; i++) {
		unsigned flags = 0, cd[8], conf = 0;
		size_t ncd = ARRAY_SIZE(cd);
		char fname[64] = "";
		H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof(fname),
						fname, &conf);
		json_array_append_new(
		    filters,
		    json_pack("{s:i, s:s}", "id", (int)f, "name", *fname ? fname : "unknown"));
	}
	json_object_set_new(e, "filters", filters);
	filters = NULL;
	if ((ret = external_files(&ext, dcpl, w->path, name)) < 0)
		goto out;
	if (ext)
		json_object_set(e, "external", ext);
	npoints = H5Sget_simple_extent_type(sp) == H5S_NULL ? 0 : 1;
	for (i = 0; i < rank; i++)
		npoints =
		    dims[i] && npoints > UINT64_MAX / dims[i] ? UINT64_MAX : npoints * dims[i];
	too_large = raw_bytes(npoints, H5Tget_size(ft)) > FORMATS_MAX_BYTES;
	if (too_large)
		json_object_set_new(e, "too_large", json_true());
	if (h) {
		struct hash_ctx c;
		formats__hash_addf(h, "dataset %s", tn.buf);
		for (i = 0; i < rank; i++)
			formats__hash_addf(h, "dim %llu %lld", (unsigned long long)dims[i],
					   maxd[i] == H5S_UNLIMITED ? -1LL : (long long)maxd[i]);
		mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
		if (mt < 0) {
			ret = hdf5_error(w->path, name);
			goto out;
		}
		c.h = h;
		c.mt = mt;
		/* The list, not the bytes: they lie in other files, which
		 * may be anything on the machine (/etc/passwd, a FIFO). */
		if (ext) {
			json_t *x;
			size_t k;
			json_array_foreach(ext, k, x)
			{
				formats__hash_addf(
				    h, "external %s %lld %lld",
				    json_string_value(json_object_get(x, "name")),
				    (long long)json_integer_value(json_object_get(x, "offset")),
				    (long long)json_integer_value(json_object_get(x, "size")));
			}
			goto out;
		}
		/* Its values are not read (the walk's fingerprint says so,
		 * and the file gets none): reading them would take hours. */
		if (too_large) {
			formats__hash_addf(h, "too-large");
			w->too_large = w->too_large ? w->too_large : xstrdup(name);
			goto out;
		}
		ret = dataset_foreach(d, mt, w->path, name, hash_cb, &c);
	}
out:
	json_decref(filters);
	json_decref(ext);
	strbuf_release(&tn);
	if (mt >= 0)
		H5Tclose(mt);
	if (ft >= 0)
		H5Tclose(ft);
	if (sp >= 0)
		H5Sclose(sp);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	return ret;
}

static void fp_set(json_t *e, struct fp_hash *h)
{
	char hex[SHA256_HEX_LEN + 1];
	if (!h)
		return;
	formats__hash_final(h, hex);
	json_object_set_new(e, "fp", json_string(hex));
}

static int walk_group(struct walk *w, hid_t g, const char *prefix, int depth);

struct link_ctx {
	struct walk *w;
	const char *prefix;
	int depth;
	int ret;
};

static herr_t link_cb(hid_t g, const char *name, const H5L_info_t *info, void *payload)
{
	struct link_ctx *c = payload;
	struct walk *w = c->w;
	char *full = xstrfmt("%s/%s", !strcmp(c->prefix, "/") ? "" : c->prefix, name);
	struct fp_hash hh, *h = w->fingerprint ? &hh : NULL;
	json_t *e = json_pack("{s:s}", "path", full);
	char *val = NULL;
	int ret = 0;

	if (json_array_size(w->objects) >= MAX_OBJECTS) {
		w->truncated = 1;
		json_decref(e);
		free(full);
		return 1; /* stop */
	}
	if (h)
		formats__hash_init(h);
	json_array_append_new(w->objects, e);
	if (info->type == H5L_TYPE_SOFT || info->type == H5L_TYPE_EXTERNAL) {
		size_t n = info->u.val_size;
		val = xcalloc(1, n + 1);
		if (H5Lget_val(g, name, val, n, H5P_DEFAULT) < 0) {
			ret = hdf5_error(w->path, full);
			goto out;
		}
		if (info->type == H5L_TYPE_SOFT) {
			json_object_set_new(e, "type", json_string("soft_link"));
			json_object_set_new(e, "target", json_string(val));
			w->counts[2]++;
			if (h)
				formats__hash_addf(h, "soft %s", val);
		} else {
			const char *file = NULL, *obj = NULL;
			unsigned flags = 0;
			if (H5Lunpack_elink_val(val, n, &flags, &file, &obj) < 0) {
				ret = hdf5_error(w->path, full);
				goto out;
			}
			json_object_set_new(e, "type", json_string("external_link"));
			json_object_set_new(e, "file", json_string(file ? file : ""));
			json_object_set_new(e, "target", json_string(obj ? obj : ""));
			w->counts[3]++;
			if (h)
				formats__hash_addf(h, "external %s %s", file ? file : "",
						   obj ? obj : "");
		}
	} else if (info->type == H5L_TYPE_HARD) {
		H5O_info_t oi;
		char addr[32];
		const char *first;
		hid_t o;
		if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
			ret = hdf5_error(w->path, full);
			goto out;
		}
		snprintf(addr, sizeof(addr), "%llu", (unsigned long long)oi.addr);
		first = json_string_value(json_object_get(w->seen, addr));
		if (first) {
			json_object_set_new(e, "type", json_string("hard_link"));
			json_object_set_new(e, "target", json_string(first));
			if (h)
				formats__hash_addf(h, "hard %s", first);
			goto out;
		}
		json_object_set_new(w->seen, addr, json_string(full));
		o = H5Oopen(g, name, H5P_DEFAULT);
		if (o < 0) {
			ret = hdf5_error(w->path, full);
			goto out;
		}
		switch (oi.type) {
		case H5O_TYPE_GROUP:
			json_object_set_new(e, "type", json_string("group"));
			w->counts[0]++;
			if (h)
				formats__hash_addf(h, "group");
			break;
		case H5O_TYPE_DATASET:
			json_object_set_new(e, "type", json_string("dataset"));
			w->counts[1]++;
			ret = dataset(w, e, h, o, full);
			break;
		case H5O_TYPE_NAMED_DATATYPE: {
			struct strbuf tn = STRBUF_INIT;
			type_name(&tn, o);
			json_object_set_new(e, "type", json_string("datatype"));
			json_object_set_new(e, "dtype", json_string(tn.buf));
			if (h)
				formats__hash_addf(h, "datatype %s", tn.buf);
			strbuf_release(&tn);
			w->counts[4]++;
			break;
		}
		case H5O_TYPE_UNKNOWN:
		case H5O_TYPE_NTYPES:
		default:
			json_object_set_new(e, "type", json_string("unknown"));
			w->counts[5]++;
			break;
		}
		if (ret == 0)
			ret = attributes(w, e, h, o, full);
		if (ret == 0 && h)
			fp_set(e, h);
		if (ret == 0 && oi.type == H5O_TYPE_GROUP) {
			if (c->depth >= MAX_DEPTH)
				w->truncated = 1;
			else
				ret = walk_group(w, o, full, c->depth + 1);
		}
		H5Oclose(o);
		free(val);
		free(full);
		if (h && h->ctx)
			formats__hash_release(h);
		c->ret = ret;
		return ret < 0 ? -1 : 0;
	} else {
		json_object_set_new(e, "type", json_string("user_link"));
		w->counts[5]++;
		if (h)
			formats__hash_addf(h, "user-link %d", (int)info->type);
	}
out:
	if (ret == 0 && h)
		fp_set(e, h);
	if (h && h->ctx)
		formats__hash_release(h);
	free(val);
	free(full);
	c->ret = ret;
	return ret < 0 ? -1 : 0;
}

/* Links in name order, so that the walk (and the fingerprint) does not
 * depend on the order objects were created in. */
static int walk_group(struct walk *w, hid_t g, const char *prefix, int depth)
{
	struct link_ctx c = { w, prefix, depth, 0 };
	hsize_t idx = 0;
	herr_t r = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, link_cb, &c);

	if (r < 0 && !c.ret)
		c.ret = hdf5_error(w->path, prefix);
	return c.ret;
}

static int walk_file(struct walk *w, const char *path)
{
	struct fp_hash hh, *h = w->fingerprint ? &hh : NULL;
	hid_t f, root = -1;
	json_t *e;
	int ret;

	formats__hdf5_init();
	H5Eclear2(H5E_DEFAULT);
	f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (f < 0)
		return hdf5_error(path, "cannot open as HDF5");
	w->path = path;
	w->objects = json_array();
	w->seen = json_object();
	root = H5Gopen2(f, "/", H5P_DEFAULT);
	if (root < 0) {
		ret = hdf5_error(path, "/");
		goto out;
	}
	e = json_pack("{s:s, s:s}", "path", "/", "type", "group");
	json_array_append_new(w->objects, e);
	if (h) {
		formats__hash_init(h);
		formats__hash_addf(h, "group");
	}
	if ((ret = attributes(w, e, h, root, "/")) < 0)
		goto out;
	if (h)
		fp_set(e, h);
	ret = walk_group(w, root, "/", 0);
out:
	if (h && h->ctx)
		formats__hash_release(h);
	if (root >= 0)
		H5Gclose(root);
	H5Fclose(f);
	return ret;
}

static void walk_release(struct walk *w)
{
	free(w->too_large);
	json_decref(w->objects);
	json_decref(w->seen);
}

int formats__hdf5_info(json_t **out, const char *path)
{
	struct walk w = { 0 };
	struct strbuf sb = STRBUF_INIT;
	json_t *o, *e;
	size_t i, shown = 0;
	int ret;

	if ((ret = walk_file(&w, path)) < 0) {
		walk_release(&w);
		return ret;
	}
	strbuf_addf(&sb, "HDF5 %d group%s, %d dataset%s", w.counts[0] + 1, w.counts[0] ? "s" : "",
		    w.counts[1], w.counts[1] == 1 ? "" : "s");
	if (w.counts[2])
		strbuf_addf(&sb, ", %d soft link%s", w.counts[2], w.counts[2] == 1 ? "" : "s");
	if (w.counts[3])
		strbuf_addf(&sb, ", %d external link%s", w.counts[3], w.counts[3] == 1 ? "" : "s");
	/* The first datasets by name, with shape and type. */
	json_array_foreach(w.objects, i, e)
	{
		json_t *shape, *d;
		size_t k;
		if (strcmp(json_string_value(json_object_get(e, "type")), "dataset"))
			continue;
		if (shown == 2) {
			strbuf_addstr(&sb, " ...");
			break;
		}
		strbuf_addf(&sb, "%s %s ", shown ? "," : ":",
			    json_string_value(json_object_get(e, "path")));
		shape = json_object_get(e, "shape");
		json_array_foreach(shape, k, d)
		    strbuf_addf(&sb, "%s%lld", k ? "x" : "", (long long)json_integer_value(d));
		if (!json_array_size(shape))
			strbuf_addstr(&sb, "scalar");
		strbuf_addf(&sb, " %s", json_string_value(json_object_get(e, "dtype")));
		shown++;
	}
	o = json_pack("{s:s, s:s, s:O, s:b, s:s}", "format", "hdf5", "driver", "HDF5", "objects",
		      w.objects, "truncated", w.truncated, "summary", sb.buf);
	*out = o;
	strbuf_release(&sb);
	walk_release(&w);
	return 0;
}

int formats__hdf5_fingerprint(struct fp_hash *h, const char *path)
{
	struct walk w = { 0 };
	json_t *e;
	size_t i;
	int ret;

	w.fingerprint = 1;
	if ((ret = walk_file(&w, path)) < 0)
		goto out;
	if (w.truncated) {
		ret = err_set(CAIRN_EUNSUPPORTED,
			      "%s: more than %d objects or deeper than %d groups: no fingerprint",
			      path, MAX_OBJECTS, MAX_DEPTH);
		goto out;
	}
	if (w.too_large) {
		ret = err_set(CAIRN_EUNSUPPORTED,
			      "%s: dataset %s is too large to fingerprint (more than %llu GiB of "
			      "raw data)",
			      path, w.too_large, (unsigned long long)(FORMATS_MAX_BYTES >> 30));
		goto out;
	}
	formats__hash_addf(h, "cairn-fingerprint 1 hdf5");
	json_array_foreach(w.objects, i, e)
	{
		formats__hash_addf(h, "%s %s %s", json_string_value(json_object_get(e, "path")),
				   json_string_value(json_object_get(e, "type")),
				   json_string_value(json_object_get(e, "fp")) ?: "");
	}
out:
	walk_release(&w);
	return ret;
}

/* ---- differences ------------------------------------------------------------------ */

struct num_diff {
	hid_t other; /* dataset of B */
	hid_t ofs; /* its file space */
	const char *path;
	double *buf;
	double max;
	uint64_t count, max_at, first_at;
	int rank;
};

static int num_cb(const unsigned char *buf, const struct slab *s, void *payload)
{
	struct num_diff *c = payload;
	const double *a = (const double *)buf;
	hid_t ms;
	size_t i;

	/* The same slab of B (equal shapes, the same memory type). */
	if (s->rank == 0) {
		if (H5Dread(c->other, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c->buf) < 0)
			return hdf5_error(c->path, "cannot read");
	} else {
		ms = H5Screate_simple(s->rank, s->count, NULL);
		if (ms < 0 ||
		    H5Sselect_hyperslab(c->ofs, H5S_SELECT_SET, s->start, NULL, s->count, NULL) <
			0 ||
		    H5Dread(c->other, H5T_NATIVE_DOUBLE, ms, c->ofs, H5P_DEFAULT, c->buf) < 0) {
			if (ms >= 0)
				H5Sclose(ms);
			return hdf5_error(c->path, "cannot read");
		}
		H5Sclose(ms);
	}
	for (i = 0; i < s->n; i++) {
		double d;
		if (isnan(a[i]) && isnan(c->buf[i]))
			continue;
		d = isnan(a[i]) != isnan(c->buf[i]) ? INFINITY : fabs(a[i] - c->buf[i]);
		if (d == 0)
			continue;
		if (!c->count)
			c->first_at = s->first + i;
		c->count++;
		if (d > c->max || c->count == 1) {
			c->max = d;
			c->max_at = s->first + i;
		}
	}
	return 0;
}

/* "[2, 4]": the index of flat element I in a dataset of shape DIMS. */
static void index_text(struct strbuf *out, uint64_t i, const hsize_t *dims, int rank)
{
	uint64_t idx[H5S_MAX_RANK];
	int k;
	for (k = rank - 1; k >= 0; k--) {
		idx[k] = dims[k] ? i % dims[k] : 0;
		i = dims[k] ? i / dims[k] : 0;
	}
	strbuf_addch(out, '[');
	for (k = 0; k < rank; k++)
		strbuf_addf(out, "%s%llu", k ? ", " : "", (unsigned long long)idx[k]);
	strbuf_addch(out, ']');
}

static int numeric_class(hid_t d)
{
	hid_t t = H5Dget_type(d);
	H5T_class_t c = H5Tget_class(t);
	H5Tclose(t);
	return c == H5T_INTEGER || c == H5T_FLOAT;
}

/* Element differences of dataset NAME, equal-shaped and numeric in A and B. */
static int diff_values(json_t *out, json_t *changes, const char *a, const char *b, const char *name)
{
	hid_t fa = -1, fb = -1, da = -1, db = -1;
	hsize_t dims[H5S_MAX_RANK];
	struct num_diff c = { 0 };
	int ret = 0, k;

	fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT);
	fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (fa < 0 || fb < 0) {
		ret = hdf5_error(fa < 0 ? a : b, "cannot open as HDF5");
		goto out;
	}
	da = H5Dopen2(fa, name, H5P_DEFAULT);
	db = H5Dopen2(fb, name, H5P_DEFAULT);
	if (da < 0 || db < 0) {
		ret = hdf5_error(da < 0 ? a : b, name);
		goto out;
	}
	if (!numeric_class(da) || !numeric_class(db))
		goto out;
	c.other = db;
	c.ofs = H5Dget_space(db);
	c.path = b;
	c.rank = H5Sget_simple_extent_ndims(c.ofs);
	if (c.rank < 0 || c.rank > H5S_MAX_RANK) {
		H5Sclose(c.ofs);
		ret = hdf5_error(b, name);
		goto out;
	}
	H5Sget_simple_extent_dims(c.ofs, dims, NULL);
	/* dataset_foreach() reads at most SLAB_BYTES of doubles at once */
	c.buf = xcalloc(SLAB_BYTES / sizeof(double), sizeof(double));
	ret = dataset_foreach(da, H5T_NATIVE_DOUBLE, a, name, num_cb, &c);
	H5Sclose(c.ofs);
	free(c.buf);
	if (ret < 0)
		goto out;
	if (c.count) {
		struct strbuf at = STRBUF_INIT, fi = STRBUF_INIT;
		uint64_t total = 1;
		for (k = 0; k < c.rank; k++)
			total *= dims[k];
		index_text(&at, c.max_at, dims, c.rank);
		index_text(&fi, c.first_at, dims, c.rank);
		json_array_append_new(changes,
				      json_sprintf("dataset %s: %llu of %llu elements differ, max "
						   "abs difference %.6g at %s, first at %s",
						   name, (unsigned long long)c.count,
						   (unsigned long long)total, c.max, at.buf,
						   fi.buf));
		strbuf_release(&at);
		strbuf_release(&fi);
	}
	{
		json_t *dsets = json_object_get(out, "datasets");
		json_int_t cells = json_integer_value(json_object_get(out, "differing_cells"));
		double mx = json_number_value(json_object_get(out, "max_abs_diff"));
		if (!dsets) {
			dsets = json_object();
			json_object_set_new(out, "datasets", dsets);
		}
		json_object_set_new(
		    dsets, name,
		    json_pack("{s:I, s:o}", "differing_cells", (json_int_t)c.count, "max_abs_diff",
			      isinf(c.max) ? json_string("inf") : json_real(c.max)));
		json_object_set_new(out, "differing_cells",
				    json_integer(cells + (json_int_t)c.count));
		if (!isinf(c.max) && c.max >= mx)
			json_object_set_new(out, "max_abs_diff", json_real(c.max));
	}
out:
	if (da >= 0)
		H5Dclose(da);
	if (db >= 0)
		H5Dclose(db);
	if (fa >= 0)
		H5Fclose(fa);
	if (fb >= 0)
		H5Fclose(fb);
	return ret;
}

static json_t *by_path(json_t *objects)
{
	json_t *m = json_object(), *e;
	size_t i;
	json_array_foreach(objects, i, e)
	{
		json_object_set(m, json_string_value(json_object_get(e, "path")), e);
	}
	return m;
}

int formats__hdf5_diff(json_t *out, json_t *changes, const char *a, const char *b)
{
	struct walk wa = { 0 }, wb = { 0 };
	json_t *ma = NULL, *mb = NULL, *e, *f;
	const char *key;
	size_t before = json_array_size(changes);
	int ret;

	wa.fingerprint = wb.fingerprint = 1;
	if ((ret = walk_file(&wa, a)) < 0 || (ret = walk_file(&wb, b)) < 0)
		goto out;
	ma = by_path(wa.objects);
	mb = by_path(wb.objects);
	json_object_foreach(ma, key, e)
	{
		const char *ta = json_string_value(json_object_get(e, "type"));
		const char *tb;
		f = json_object_get(mb, key);
		if (!f) {
			json_array_append_new(changes, json_sprintf("removed %s %s", ta, key));
			continue;
		}
		tb = json_string_value(json_object_get(f, "type"));
		if (strcmp(ta, tb)) {
			json_array_append_new(changes, json_sprintf("%s: %s -> %s", key, ta, tb));
			continue;
		}
		if (!strcmp(ta, "dataset") &&
		    (json_object_get(e, "external") || json_object_get(f, "external"))) {
			/* Its values were not read: "no change" is not known. */
			json_array_append_new(
			    changes, json_sprintf("dataset %s: external storage, not read", key));
			if (!json_equal(json_object_get(e, "external"),
					json_object_get(f, "external")))
				json_array_append_new(
				    changes,
				    json_sprintf("dataset %s: external storage files changed",
						 key));
			if (json_equal(json_object_get(e, "fp"), json_object_get(f, "fp")))
				continue;
		}
		if (!strcmp(ta, "dataset") &&
		    (json_is_true(json_object_get(e, "too_large")) ||
		     json_is_true(json_object_get(f, "too_large")))) {
			/* Its values were not read: "no change" is not known. */
			json_array_append_new(
			    changes,
			    json_sprintf("dataset %s: too large to compare its values (more "
					 "than %llu GiB of raw data)",
					 key, (unsigned long long)(FORMATS_MAX_BYTES >> 30)));
			if (json_equal(json_object_get(e, "fp"), json_object_get(f, "fp")))
				continue;
		}
		if (json_equal(json_object_get(e, "fp"), json_object_get(f, "fp")))
			continue;
		if (!strcmp(ta, "dataset")) {
			json_t *sa = json_object_get(e, "shape"), *sb = json_object_get(f, "shape");
			const char *da = json_string_value(json_object_get(e, "dtype"));
			const char *db = json_string_value(json_object_get(f, "dtype"));
			int same_shape = json_equal(sa, sb);
			if (!same_shape) {
				char *ta_s = json_dumps(sa, JSON_COMPACT);
				char *tb_s = json_dumps(sb, JSON_COMPACT);
				json_array_append_new(
				    changes,
				    json_sprintf("dataset %s shape: %s -> %s", key, ta_s, tb_s));
				free(ta_s);
				free(tb_s);
			}
			if (strcmp(da, db))
				json_array_append_new(
				    changes,
				    json_sprintf("dataset %s dtype: %s -> %s", key, da, db));
			if (!json_equal(json_object_get(e, "attributes"),
					json_object_get(f, "attributes")))
				json_array_append_new(
				    changes, json_sprintf("dataset %s: attributes changed", key));
			if (same_shape && !json_object_get(e, "too_large") &&
			    !json_object_get(f, "too_large") && !json_object_get(e, "external") &&
			    !json_object_get(f, "external")) {
				size_t n = json_array_size(changes);
				if ((ret = diff_values(out, changes, a, b, key)) < 0)
					goto out;
				if (json_array_size(changes) == n &&
				    json_equal(json_object_get(e, "attributes"),
					       json_object_get(f, "attributes")))
					json_array_append_new(
					    changes,
					    json_sprintf("dataset %s: values changed", key));
			}
		} else if (!strcmp(ta, "soft_link") || !strcmp(ta, "external_link") ||
			   !strcmp(ta, "hard_link")) {
			json_array_append_new(
			    changes,
			    json_sprintf("%s %s: -> %s%s%s changed to %s%s%s", ta, key,
					 json_string_value(json_object_get(e, "file")) ?: "",
					 json_object_get(e, "file") ? ":" : "",
					 json_string_value(json_object_get(e, "target")) ?: "",
					 json_string_value(json_object_get(f, "file")) ?: "",
					 json_object_get(f, "file") ? ":" : "",
					 json_string_value(json_object_get(f, "target")) ?: ""));
		} else {
			json_array_append_new(changes,
					      json_sprintf("%s %s: attributes changed", ta, key));
		}
	}
	json_object_foreach(mb, key, f)
	{
		if (!json_object_get(ma, key))
			json_array_append_new(
			    changes,
			    json_sprintf("added %s %s",
					 json_string_value(json_object_get(f, "type")), key));
	}
	ret = json_array_size(changes) > before;
out:
	json_decref(ma);
	json_decref(mb);
	walk_release(&wa);
	walk_release(&wb);
	return ret;
}
