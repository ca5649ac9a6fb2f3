/*
 * remote.c - remote datasets: finding the paths GDAL would read over the
 * network in a command's text and argv.  Their validators are asked for
 * by the helper (vsi.c).
 */
#include "formats-int.h"

#include <stdlib.h>
#include <string.h>

static const char *const vsi_prefixes[] = {
	"/vsicurl/", "/vsicurl_streaming/", "/vsis3/", "/vsigs/", "/vsiaz/", NULL,
};

/* Characters that end a path inside command text. */
static int ends_path(char c)
{
	return !c || strchr(" \t\n'\"`<>|;&(){}$,", c) != NULL;
}

static void push_once(struct strvec *out, const char *s, size_t len)
{
	size_t i;
	for (i = 0; i < out->nr; i++)
		if (strlen(out->v[i]) == len && !strncmp(out->v[i], s, len))
			return;
	strvec_push_nodup(out, xstrndup(s, len));
}

void formats_remote_scan(struct strvec *out, const char *text, int gdal_tool)
{
	const char *p;
	size_t i;

	for (i = 0; vsi_prefixes[i]; i++) {
		size_t plen = strlen(vsi_prefixes[i]);
		for (p = text; (p = strstr(p, vsi_prefixes[i])); p += plen) {
			size_t n = plen;
			/* /vsicurl_streaming/ also contains no /vsicurl/ match,
			 * but /vsicurl/ must not be matched inside a longer name. */
			while (!ends_path(p[n]))
				n++;
			if (n > plen)
				push_once(out, p, n);
		}
	}
	if (!gdal_tool)
		return;
	/* GDAL tools read plain URLs through /vsicurl/ and /vsis3/. */
	for (p = text; *p; p++) {
		const char *prefix = NULL;
		size_t skip = 0, n = 0;
		if ((p == text || ends_path(p[-1]) || p[-1] == ':') &&
		    (!strncmp(p, "http://", 7) || !strncmp(p, "https://", 8))) {
			prefix = "/vsicurl/";
		} else if ((p == text || ends_path(p[-1]) || p[-1] == ':') &&
			   !strncmp(p, "s3://", 5)) {
			prefix = "/vsis3/";
			skip = 5;
		}
		if (!prefix || (p - text >= 1 && p[-1] == '/'))
			continue;
		while (!ends_path(p[n]))
			n++;
		{
			char *s = xstrfmt("%s%.*s", prefix, (int)(n - skip), p + skip);
			push_once(out, s, strlen(s));
			free(s);
		}
		p += n - 1;
	}
}

int formats_is_gdal_tool(const char *program)
{
	const char *base = strrchr(program, '/');
	base = base ? base + 1 : program;
	return !strncmp(base, "gdal", 4) || !strncmp(base, "ogr", 3) ||
	    !strcmp(base, "nearblack") || !strcmp(base, "gnmanalyse") ||
	    !strcmp(base, "gnmmanage") || !strcmp(base, "rio");
}

/* The URL a virtual path stands for. */
char *formats_remote_url(const char *path)
{
	if (!strncmp(path, "/vsicurl/", 9))
		return xstrdup(path + 9);
	if (!strncmp(path, "/vsicurl_streaming/", 19))
		return xstrdup(path + 19);
	if (!strncmp(path, "/vsis3/", 7))
		return xstrfmt("s3://%s", path + 7);
	if (!strncmp(path, "/vsigs/", 7))
		return xstrfmt("gs://%s", path + 7);
	if (!strncmp(path, "/vsiaz/", 7))
		return xstrfmt("az://%s", path + 7);
	return xstrdup(path);
}

/* Does variable NAME configure GDAL's network access? */
static int network_variable(const char *name)
{
	static const char *const prefixes[] = {
		"GDAL_", "CPL_", "VSI_", "AWS_", "GS_", "GOOGLE_", "AZURE_", "OSS_", "SWIFT_", NULL,
	};
	static const char *const exact[] = {
		"http_proxy", "https_proxy",	"no_proxy",	 "HTTP_PROXY", "HTTPS_PROXY",
		"NO_PROXY",   "CURL_CA_BUNDLE", "SSL_CERT_FILE", NULL,
	};
	size_t i;
	for (i = 0; prefixes[i]; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return 1;
	for (i = 0; exact[i]; i++)
		if (!strcmp(name, exact[i]))
			return 1;
	return 0;
}

int formats_remote_validators_env(json_t **out, const char *path, const json_t *env)
{
	json_t *job = json_pack("{s:s, s:s}", "op", "remote", "path", path), *config, *v;
	const char *k;
	int ret;

	if (json_is_object(env)) {
		config = json_object();
		json_object_foreach((json_t *)env, k, v)
		{
			if (json_is_string(v) && network_variable(k))
				json_object_set(config, k, v);
		}
		json_object_set_new(job, "config", config);
	}
	ret = formats__call(out, job);
	json_decref(job);
	return ret;
}

int formats_remote_validators(json_t **out, const char *path)
{
	return formats_remote_validators_env(out, path, NULL);
}
