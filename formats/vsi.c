/*
 * vsi.c (helper) - the HTTP validators of a remote dataset, asked through
 * GDAL's own VSI layer, so that the answer comes the way GDAL itself
 * would fetch the bytes: same proxies, same credentials, same S3 signing.
 */
#include "formats-int.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include <stdlib.h>
#include <string.h>

int formats__remote_validators(json_t **out, const char *path)
{
	VSIStatBufL st;
	char **headers = NULL;
	const char *etag, *lm;
	char *url = formats_remote_url(path);
	json_t *o;

	*out = NULL;
	formats__gdal_init();
	/* A fresh answer: GDAL keeps what it learnt of a URL for the life
	 * of the process, and the caller asks precisely because the object
	 * may have changed since. */
	VSICurlClearCache();
	CPLErrorReset();
	if (VSIStatExL(path, &st, VSI_STAT_EXISTS_FLAG | VSI_STAT_SIZE_FLAG) != 0) {
		const char *msg = CPLGetLastErrorMsg();
		int ret = err_set(CAIRN_ENOTFOUND, "%s: %s", path,
				  msg && *msg ? msg : "no such remote object (or no answer)");
		free(url);
		return ret;
	}
	headers = VSIGetFileMetadata(path, "HEADERS", NULL);
	etag = CSLFetchNameValue(headers, "ETag");
	lm = CSLFetchNameValue(headers, "Last-Modified");
	o = json_pack("{s:s, s:s, s:n, s:I, s:s?, s:s?, s:s}", "path", path, "kind", "remote",
		      "sha256", "size", (json_int_t)st.st_size, "etag", etag, "last_modified", lm,
		      "url", url);
	if (!etag)
		json_object_set_new(o, "etag", json_null());
	if (!lm)
		json_object_set_new(o, "last_modified", json_null());
	CSLDestroy(headers);
	free(url);
	CPLErrorReset();
	*out = o;
	return 0;
}
