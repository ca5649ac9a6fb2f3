/*
 * formats.c - the public entry points: pick GDAL or HDF5 for a file, and
 * print summaries and differences as text.
 */
#include "formats-int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int unsupported(const char *name)
{
	return err_set(CAIRN_EUNSUPPORTED, "%s: not in a format cairn reads (GDAL or HDF5)", name);
}

/*
 * GDAL and HDF5 are not linked into cairn: loading them costs some 60 ms
 * at every start of the program, which every step and every `cairn log`
 * would pay.  Reading a file's contents is the helper's job
 * (cairn-formats, helper.c), started only when a file in a known format
 * is met.  It also keeps cairn alive when a library crashes on a damaged
 * file.
 */

/* The helper: $CAIRN_FORMATS_HELPER, else beside the running program,
 * else in ../libexec/cairn/ from it. */
static char *helper_path(void)
{
	const char *env = getenv("CAIRN_FORMATS_HELPER");
	char self[4096], *slash, *p;
	ssize_t n;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return xstrdup("cairn-formats");
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	p = xstrfmt("%s/cairn-formats", self);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	p = xstrfmt("%s/../libexec/cairn/cairn-formats", self);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return xstrdup("cairn-formats");
}

const char *formats_summary_version(void)
{
	static char *v;
	struct stat st;
	char *helper;

	if (v)
		return v;
	helper = helper_path();
	if (stat(helper, &st) == 0)
		v = xstrfmt("%s; helper %s %lld %lld.%09ld", FORMATS_SUMMARY_VERSION, helper,
			    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			    st.st_mtim.tv_nsec);
	else
		v = xstrfmt("%s; helper %s", FORMATS_SUMMARY_VERSION, helper);
	free(helper);
	return v;
}

int formats__call_many(json_t **out, json_t *jobs)
{
	struct strbuf sb = STRBUF_INIT;
	char *req = json_dumps(jobs, JSON_COMPACT), *helper = helper_path();
	int in[2] = { -1, -1 }, res[2] = { -1, -1 }, st = 0, ret = 0;
	json_error_t jerr;
	pid_t pid;

	*out = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		ret = err_errno(CAIRN_ERROR, "pipe");
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = err_errno(CAIRN_ERROR, "fork");
		goto out;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(res[1], 1) < 0)
			_exit(127);
		formats__fd_inherit();
		execl(helper, "cairn-formats", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	/* The helper reads the whole request before it writes. */
	if (util_write_all_nosigpipe(in[1], req, strlen(req)) < 0)
		ret = err_errno(CAIRN_ERROR, "cannot write to %s", helper);
	close(in[1]);
	in[1] = -1;
	if (strbuf_read_fd(&sb, res[0]) < 0 && !ret)
		ret = -1;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			ret = err_errno(CAIRN_ERROR, "waitpid");
			goto out;
		}
	}
	/* A helper that could not be started is the cause, whatever the
	 * write met first (a broken pipe when it had already gone). */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		ret = err_set(CAIRN_EUNSUPPORTED, "cannot run the formats helper %s", helper);
		goto out;
	}
	if (ret < 0)
		goto out;
	*out = json_loadb(sb.buf, sb.len, 0, &jerr);
	if (!json_is_array(*out) || json_array_size(*out) != json_array_size(jobs)) {
		json_decref(*out);
		*out = NULL;
		ret = err_set(CAIRN_ERROR, "the formats helper %s failed (%s)", helper,
			      WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "bad answer");
	}
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (res[0] >= 0)
		close(res[0]);
	if (res[1] >= 0)
		close(res[1]);
	free(req);
	free(helper);
	strbuf_release(&sb);
	return ret;
}

int formats__result(json_t **out, const json_t *r)
{
	int ret = (int)json_integer_value(json_object_get(r, "ret"));
	*out = NULL;
	if (!json_is_integer(json_object_get(r, "ret")))
		return err_set(CAIRN_ERROR, "the formats helper gave no result");
	if (ret < 0)
		return err_set(ret, "%s", json_string_value(json_object_get(r, "error")) ?: "?");
	*out = json_incref(json_object_get(r, "value"));
	return ret;
}

int formats_result(json_t **out, const json_t *r)
{
	return formats__result(out, r);
}

int formats__call(json_t **out, json_t *job)
{
	json_t *jobs = json_pack("[O]", job), *res = NULL;
	int ret;

	*out = NULL;
	if ((ret = formats__call_many(&res, jobs)) == 0)
		ret = formats__result(out, json_array_get(res, 0));
	json_decref(jobs);
	json_decref(res);
	return ret;
}

int formats_info(json_t **out, const char *path, const char *name, unsigned flags)
{
	enum formats_kind k = formats_detect(path, name);
	json_t *job;
	struct stat st;
	int ret;

	*out = NULL;
	if (stat(path, &st) < 0)
		return err_errno(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_ERROR, "%s",
				 name ? name : path);
	if (k == FORMATS_NONE)
		return unsupported(name ? name : path);
	job = json_pack("{s:s, s:s, s:s?, s:i, s:i}", "op", "info", "path", path, "name", name,
			"kind", (int)k, "flags", (int)flags);
	ret = formats__call(out, job);
	json_decref(job);
	if (ret < 0)
		return ret;
	json_object_set_new(*out, "size_bytes", json_integer((json_int_t)st.st_size));
	return 0;
}

int formats_fingerprint(char out[SHA256_HEX_LEN + 1], const char *path, const char *name)
{
	enum formats_kind k = formats_detect(path, name);
	json_t *v = NULL, *job;
	int ret;

	if (k == FORMATS_NONE) {
		if (access(path, R_OK) < 0)
			return err_errno(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_ERROR, "%s",
					 name ? name : path);
		return unsupported(name ? name : path);
	}
	job = json_pack("{s:s, s:s, s:s?, s:i}", "op", "fingerprint", "path", path, "name", name,
			"kind", (int)k);
	ret = formats__call(&v, job);
	json_decref(job);
	if (ret < 0)
		return ret;
	snprintf(out, SHA256_HEX_LEN + 1, "%s", json_string_value(v) ?: "");
	json_decref(v);
	return 0;
}

/*
 * Bitwise first (cheap, and the strongest answer), then the fingerprints
 * (equal: the same data under different volatile metadata), then the
 * format's own comparison for what differs.
 */
int formats_diff(json_t **out, const char *a, const char *name_a, const char *b, const char *name_b)
{
	char ha[SHA256_HEX_LEN + 1], hb[SHA256_HEX_LEN + 1];
	char fa[SHA256_HEX_LEN + 1], fb[SHA256_HEX_LEN + 1];
	enum formats_kind ka, kb;
	json_t *o = json_object(), *changes = json_array();
	int ret;

	*out = NULL;
	json_object_set_new(o, "changes", changes);
	if ((ret = util_sha256_file(ha, NULL, a)) < 0 || (ret = util_sha256_file(hb, NULL, b)) < 0)
		goto fail;
	if (!strcmp(ha, hb)) {
		json_object_set_new(o, "same", json_true());
		json_object_set_new(o, "how", json_string("bitwise"));
		*out = o;
		return 0;
	}
	ka = formats_detect(a, name_a);
	kb = formats_detect(b, name_b);
	json_object_set_new(o, "format",
			    json_string(ka != kb		 ? "mixed"
					    : ka == FORMATS_GDAL ? "gdal"
					    : ka == FORMATS_HDF5 ? "hdf5"
								 : "bytes"));
	if (ka == FORMATS_NONE || ka != kb) {
		json_array_append_new(changes, json_string("the bytes differ"));
		goto different;
	}
	if ((ret = formats_fingerprint(fa, a, name_a)) == 0)
		ret = formats_fingerprint(fb, b, name_b);
	/* No fingerprint (too large, too many objects): the format's own
	 * comparison says what it can. */
	if (ret == CAIRN_EUNSUPPORTED)
		err_clear();
	else if (ret < 0)
		goto fail;
	else
		json_object_set_new(o, "fingerprints", json_pack("[s,s]", fa, fb));
	if (ret == 0 && !strcmp(fa, fb)) {
		json_object_set_new(o, "same", json_true());
		json_object_set_new(o, "how", json_string("semantic"));
		*out = o;
		return 0;
	}
	{
		json_t *job = json_pack("{s:s, s:s, s:s?, s:s, s:i}", "op", "diff", "path", a,
					"name", name_a, "b", b, "kind", (int)ka);
		json_t *d = NULL, *v;
		const char *key;
		ret = formats__call(&d, job);
		json_decref(job);
		if (ret < 0)
			goto fail;
		json_array_extend(changes, json_object_get(d, "changes"));
		json_object_foreach(d, key, v)
		{
			if (strcmp(key, "changes"))
				json_object_set(o, key, v);
		}
		json_decref(d);
	}
	if (!json_array_size(changes))
		json_array_append_new(changes,
				      json_string("the data differ (fingerprints differ, no "
						  "difference in what is compared in detail)"));
different:
	json_object_set_new(o, "same", json_false());
	json_object_set_new(o, "how", json_string("different"));
	*out = o;
	return 1;
fail:
	json_decref(o);
	return ret;
}

void formats_diff_print(FILE *fp, const json_t *diff, const char *label_a, const char *label_b)
{
	const char *how = json_string_value(json_object_get(diff, "how"));
	json_t *e;
	size_t i;

	if (how && !strcmp(how, "bitwise")) {
		fprintf(fp, "%s and %s are bitwise identical\n", label_a, label_b);
		return;
	}
	if (how && !strcmp(how, "semantic")) {
		fprintf(fp,
			"%s and %s are semantically identical (same data, georeferencing and "
			"attributes; only volatile metadata or storage differ)\n",
			label_a, label_b);
		return;
	}
	fprintf(fp, "%s and %s differ:\n", label_a, label_b);
	json_array_foreach(json_object_get(diff, "changes"), i, e)
	{
		fprintf(fp, "  %s\n", json_string_value(e));
	}
}

/* ---- info as text ----------------------------------------------------------- */

static void print_dims(FILE *fp, const json_t *dims)
{
	json_t *d;
	size_t i;
	if (!json_array_size(dims)) {
		fputs("scalar", fp);
		return;
	}
	json_array_foreach(dims, i, d)
	{
		if (json_is_null(d))
			fprintf(fp, "%sunlimited", i ? "x" : "");
		else
			fprintf(fp, "%s%lld", i ? "x" : "", (long long)json_integer_value(d));
	}
}

static void print_attrs(FILE *fp, const json_t *attrs, const char *indent)
{
	json_t *a;
	size_t i;
	json_array_foreach(attrs, i, a)
	{
		json_t *v = json_object_get(a, "value");
		fprintf(fp, "%s@%s  %s ", indent, json_string_value(json_object_get(a, "name")),
			json_string_value(json_object_get(a, "dtype")));
		print_dims(fp, json_object_get(a, "shape"));
		if (v) {
			char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			fprintf(fp, " = %.200s%s", s ? s : "?", s && strlen(s) > 200 ? "..." : "");
			free(s);
		}
		fputc('\n', fp);
	}
}

static void print_hdf5(FILE *fp, const json_t *info)
{
	json_t *e, *f;
	size_t i, k;

	fprintf(fp, "objects:\n");
	json_array_foreach(json_object_get(info, "objects"), i, e)
	{
		const char *type = json_string_value(json_object_get(e, "type"));
		fprintf(fp, "  %s  %s", json_string_value(json_object_get(e, "path")), type);
		if (!strcmp(type, "dataset")) {
			fprintf(fp, " %s ", json_string_value(json_object_get(e, "dtype")));
			print_dims(fp, json_object_get(e, "shape"));
			if (!json_equal(json_object_get(e, "shape"),
					json_object_get(e, "maxshape"))) {
				fputs(" (max ", fp);
				print_dims(fp, json_object_get(e, "maxshape"));
				fputc(')', fp);
			}
			if (json_array_size(json_object_get(e, "external")))
				fprintf(fp, " (external storage in %zu file%s, not read)",
					json_array_size(json_object_get(e, "external")),
					json_array_size(json_object_get(e, "external")) == 1 ? ""
											     : "s");
			if (json_is_true(json_object_get(e, "too_large")))
				fputs(" (too large to fingerprint)", fp);
			if (json_is_array(json_object_get(e, "chunks"))) {
				fputs(" chunks ", fp);
				print_dims(fp, json_object_get(e, "chunks"));
			}
			json_array_foreach(json_object_get(e, "filters"), k, f)
			{
				fprintf(fp, "%s%s", k ? "," : " filters ",
					json_string_value(json_object_get(f, "name")));
			}
		} else if (!strcmp(type, "soft_link") || !strcmp(type, "hard_link")) {
			fprintf(fp, " -> %s", json_string_value(json_object_get(e, "target")));
		} else if (!strcmp(type, "external_link")) {
			fprintf(fp, " -> %s:%s", json_string_value(json_object_get(e, "file")),
				json_string_value(json_object_get(e, "target")));
		} else if (!strcmp(type, "datatype")) {
			fprintf(fp, " %s", json_string_value(json_object_get(e, "dtype")));
		}
		fputc('\n', fp);
		print_attrs(fp, json_object_get(e, "attributes"), "      ");
	}
	if (json_is_true(json_object_get(info, "truncated")))
		fprintf(fp, "  ... (more objects not listed)\n");
}

static void print_crs(FILE *fp, const char *label, const json_t *crs)
{
	json_t *epsg = json_object_get(crs, "epsg");
	const char *name = json_string_value(json_object_get(crs, "name"));
	if (!json_is_object(crs)) {
		fprintf(fp, "%-10s none\n", label);
		return;
	}
	fprintf(fp, "%-10s ", label);
	if (json_is_integer(epsg))
		fprintf(fp, "EPSG:%lld%s", (long long)json_integer_value(epsg), name ? " " : "");
	if (name)
		fprintf(fp, "(%s)", name);
	fputc('\n', fp);
}

static void print_gdal(FILE *fp, const json_t *info)
{
	json_t *bands = json_object_get(info, "bands"), *gt = json_object_get(info, "geotransform");
	json_t *e, *f;
	size_t i, k;

	if (json_array_size(bands)) {
		fprintf(fp, "%-10s %lld x %lld, %zu band%s\n", "raster",
			(long long)json_integer_value(json_object_get(info, "width")),
			(long long)json_integer_value(json_object_get(info, "height")),
			json_array_size(bands), json_array_size(bands) == 1 ? "" : "s");
		print_crs(fp, "crs", json_object_get(info, "crs"));
		if (json_array_size(gt) == 6)
			fprintf(fp,
				"%-10s origin (%.12g, %.12g), pixel size (%.12g, %.12g), rotation "
				"(%.12g, %.12g)\n",
				"transform", json_number_value(json_array_get(gt, 0)),
				json_number_value(json_array_get(gt, 3)),
				json_number_value(json_array_get(gt, 1)),
				json_number_value(json_array_get(gt, 5)),
				json_number_value(json_array_get(gt, 2)),
				json_number_value(json_array_get(gt, 4)));
		else
			fprintf(fp, "%-10s none\n", "transform");
		json_array_foreach(bands, i, e)
		{
			json_t *nd = json_object_get(e, "nodata"),
			       *st = json_object_get(e, "stats");
			json_t *blk = json_object_get(e, "block");
			fprintf(fp, "band %-5lld %s",
				(long long)json_integer_value(json_object_get(e, "band")),
				json_string_value(json_object_get(e, "type")));
			if (json_is_number(nd))
				fprintf(fp, "  nodata %.10g", json_number_value(nd));
			else if (json_is_string(nd))
				fprintf(fp, "  nodata %s", json_string_value(nd));
			fprintf(fp, "  block %lldx%lld  %s",
				(long long)json_integer_value(json_array_get(blk, 0)),
				(long long)json_integer_value(json_array_get(blk, 1)),
				json_string_value(json_object_get(e, "color")));
			if (json_string_value(json_object_get(e, "description")))
				fprintf(fp, "  \"%s\"",
					json_string_value(json_object_get(e, "description")));
			fputc('\n', fp);
			if (st) {
				struct strbuf sb = STRBUF_INIT;
				formats__stats_text(&sb, st);
				fprintf(fp, "           %s (%lld values)\n", sb.buf,
					(long long)json_integer_value(
					    json_object_get(st, "valid_count")));
				strbuf_release(&sb);
			}
		}
	}
	json_array_foreach(json_object_get(info, "layers"), i, e)
	{
		json_t *n = json_object_get(e, "features");
		fprintf(fp, "layer      %s  %s", json_string_value(json_object_get(e, "name")),
			json_string_value(json_object_get(e, "geometry")));
		if (json_is_integer(n))
			fprintf(fp, "  %lld features", (long long)json_integer_value(n));
		fputc('\n', fp);
		print_crs(fp, "  crs", json_object_get(e, "crs"));
		json_array_foreach(json_object_get(e, "fields"), k, f)
		{
			fprintf(fp, "  field    %s  %s\n",
				json_string_value(json_object_get(f, "name")),
				json_string_value(json_object_get(f, "type")));
		}
	}
	json_array_foreach(json_object_get(info, "subdatasets"), i, e)
	{
		const char *d = json_string_value(json_object_get(e, "description"));
		fprintf(fp, "subdataset %s\n",
			d ? d : json_string_value(json_object_get(e, "name")));
	}
}

void formats_info_print(FILE *fp, const json_t *info)
{
	const char *fmt = json_string_value(json_object_get(info, "format"));
	const char *dl = json_string_value(json_object_get(info, "driver_long"));

	fprintf(fp, "%-10s %s\n", "summary", json_string_value(json_object_get(info, "summary")));
	fprintf(fp, "%-10s %s%s%s%s\n", "driver",
		json_string_value(json_object_get(info, "driver")), dl ? " (" : "", dl ? dl : "",
		dl ? ")" : "");
	fprintf(fp, "%-10s %lld bytes\n", "file",
		(long long)json_integer_value(json_object_get(info, "size_bytes")));
	if (fmt && !strcmp(fmt, "hdf5"))
		print_hdf5(fp, info);
	else
		print_gdal(fp, info);
}

/* ---- the compact summary of records ----------------------------------------- */

#define SUMMARY_MAX_OBJECTS 64
#define SUMMARY_MAX_BANDS 16

static void drop_wkt(json_t *crs)
{
	if (json_is_object(crs))
		json_object_del(crs, "wkt");
}

void formats__compact(json_t *info)
{
	json_t *arr, *e, *objs;
	size_t i;

	json_object_del(info, "metadata");
	json_object_del(info, "driver_long");
	drop_wkt(json_object_get(info, "crs"));
	json_array_foreach(json_object_get(info, "layers"), i, e)
	{
		drop_wkt(json_object_get(e, "crs"));
		json_object_del(e, "fields");
	}
	json_array_foreach(json_object_get(info, "subdatasets"), i, e)
	{
		json_object_del(e, "name");
	}
	arr = json_object_get(info, "bands");
	if (json_array_size(arr) > SUMMARY_MAX_BANDS) {
		while (json_array_size(arr) > SUMMARY_MAX_BANDS)
			json_array_remove(arr, SUMMARY_MAX_BANDS);
		json_object_set_new(info, "bands_truncated", json_true());
	}
	json_array_foreach(arr, i, e)
	{
		json_object_del(e, "block");
		json_object_del(e, "color");
	}
	objs = json_object_get(info, "objects");
	if (json_array_size(objs) > SUMMARY_MAX_OBJECTS) {
		while (json_array_size(objs) > SUMMARY_MAX_OBJECTS)
			json_array_remove(objs, SUMMARY_MAX_OBJECTS);
		json_object_set_new(info, "objects_truncated", json_true());
	}
	json_array_foreach(objs, i, e)
	{
		json_t *attrs = json_object_get(e, "attributes"), *a, *names = json_array();
		size_t k;
		json_array_foreach(attrs, k, a)
		{
			json_array_append(names, json_object_get(a, "name"));
		}
		json_object_set_new(e, "attributes", names);
	}
}

int formats_summary(json_t **out, const char *path, const char *name)
{
	int ret = formats_info(out, path, name, 0);
	if (ret == 0)
		formats__compact(*out);
	return ret;
}

int formats_summaries(json_t *out, const json_t *files)
{
	json_t *jobs = json_array(), *names = json_array(), *sizes = json_array(), *res = NULL, *e;
	size_t i;
	int ret;

	json_array_foreach(files, i, e)
	{
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *name = json_string_value(json_object_get(e, "name"));
		enum formats_kind k;
		struct stat st;
		size_t q;
		int queued = 0;
		if (!path || !name || json_object_get(out, name))
			continue;
		/* The first entry of a name wins (a step's record lists the
		 * version it wrote before the one it read). */
		for (q = 0; q < json_array_size(names); q++)
			if (!strcmp(json_string_value(json_array_get(names, q)), name))
				queued = 1;
		if (queued)
			continue;
		k = formats_detect(path, name);
		if (k == FORMATS_NONE || stat(path, &st) < 0)
			continue;
		json_array_append_new(jobs,
				      json_pack("{s:s, s:s, s:s, s:i}", "op", "info", "path", path,
						"name", name, "kind", (int)k));
		json_array_append_new(names, json_string(name));
		json_array_append_new(sizes, json_integer((json_int_t)st.st_size));
	}
	ret = json_array_size(jobs) ? formats__call_many(&res, jobs) : 0;
	json_array_foreach(res, i, e)
	{
		json_t *v = NULL;
		if (formats__result(&v, e) < 0) {
			v = json_pack("{s:s, s:s}", "error", err_last(), "summary", "unreadable");
		} else {
			formats__compact(v);
			json_object_set(v, "size_bytes", json_array_get(sizes, i));
		}
		json_object_set_new(out, json_string_value(json_array_get(names, i)), v);
	}
	json_decref(res);
	json_decref(jobs);
	json_decref(names);
	json_decref(sizes);
	return ret;
}

/* ---- the session's helper ----------------------------------------------------- */

struct formats_server {
	int sock; /* SOCK_SEQPACKET, to `cairn-formats --serve` */
	char *helper;
};

int formats_server_start(struct formats_server **out)
{
	int sv[2], st = 0;
	char *helper = helper_path();
	pid_t pid;

	*out = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(helper);
		return err_errno(CAIRN_ERROR, "socketpair");
	}
	/* Far above the numbers steps and the standard streams use. */
	if ((sv[0] = util_fd_high(sv[0])) < 0) {
		close(sv[1]);
		free(helper);
		return err_errno(CAIRN_ERROR, "fcntl");
	}
	fflush(NULL);
	/* Twice forked, as the record writer: nobody's child here (steps
	 * without the sandbox are waited for with waitpid(-1)).  Its end is
	 * the end of its socket: cairn's exit, or a kill -9 of cairn. */
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		free(helper);
		return err_errno(CAIRN_ERROR, "fork");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		close(sv[0]);
		if (fork() != 0)
			_exit(0);
		if (dup2(sv[1], 0) < 0 || (null >= 0 && dup2(null, 1) < 0))
			_exit(127);
		execl(helper, "cairn-formats", "--serve", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*out = xcalloc(1, sizeof(**out));
	(*out)->sock = sv[0];
	(*out)->helper = helper;
	return 0;
}

int formats_server_send(struct formats_server *s, const json_t *batch, const int *fds, size_t nfds)
{
	union {
		char b[CMSG_SPACE(250 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	char *text = json_dumps(batch, JSON_COMPACT);
	struct iovec iov;
	struct msghdr mh = { 0 };
	ssize_t n;

	if (!text)
		return err_set(CAIRN_ERROR, "cannot encode a formats batch");
	if (nfds > 250) {
		free(text);
		return err_set(CAIRN_ERROR, "too many descriptors in one formats batch");
	}
	iov.iov_base = text;
	iov.iov_len = strlen(text);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		struct cmsghdr *c;
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	do
		n = sendmsg(s->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	free(text);
	if (n < 0)
		return err_errno(CAIRN_ERROR, "cannot hand the formats helper its jobs");
	return 0;
}

int formats_server_recv(struct formats_server *s, json_t **out, int timeout_ms)
{
	struct pollfd p = { s->sock, POLLIN, 0 };
	char *buf;
	ssize_t n;
	int r;

	*out = NULL;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return 0;
	buf = xmalloc(4 << 20);
	do
		n = recv(s->sock, buf, 4 << 20, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		free(buf);
		if (n < 0 && errno == EAGAIN)
			return 0;
		return err_set(CAIRN_ERROR, "the formats helper %s has gone", s->helper);
	}
	*out = json_loadb(buf, (size_t)n, 0, NULL);
	free(buf);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(CAIRN_ERROR, "the formats helper %s gave a bad answer", s->helper);
	}
	return 1;
}

void formats_server_free(struct formats_server *s)
{
	if (!s)
		return;
	close(s->sock);
	free(s->helper);
	free(s);
}
