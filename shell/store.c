/*
 * store.c - what the store subcommands (init, log, show, status, tag,
 * find, checkout, diff) share: finding the store, reporting errors, a
 * file's entry in a step's record.
 */
#include "shell-int.h"

#include "provenance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *shell_store_root(void)
{
	const char *s = shell_opts.store;
	size_t n;

	if (!s || !*s)
		return NULL;
	n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	/* DIR/.cairn names the store itself: the project is its parent. */
	if (n >= 6 && !strncmp(s + n - 6, ".cairn", 6) && (n == 6 || s[n - 7] == '/'))
		return n == 6 ? xstrdup(".") : n == 7 ? xstrdup("/") : xstrndup(s, n - 7);
	return xstrndup(s, n);
}

int shell_store_open(struct prov_store **out, const struct cmd_entry *cmd)
{
	char *root = shell_store_root();
	int ret;

	if (!root && (ret = provenance_find_root(&root, ".")) < 0)
		return shell_store_fail(cmd, ret);
	ret = provenance_store_open(out, root, 0);
	free(root);
	return ret < 0 ? shell_store_fail(cmd, ret) : 0;
}

int shell_store_fail(const struct cmd_entry *cmd, int code)
{
	fprintf(stderr, "cairn %s: %s\n", cmd->name, err_last());
	switch (code) {
	case CAIRN_EUSAGE:
		return 2;
	case CAIRN_ENOTFOUND:
	case CAIRN_ECONFLICT:
		return 1;
	default:
		return 125;
	}
}

int shell_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "cairn %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", cmd->usage);
	return 2;
}

unsigned shell_default_jobs(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	return ncpu > 0 ? (unsigned)ncpu : 1;
}

int shell_parse_jobs(unsigned *out, const char *v)
{
	char *end;
	unsigned long n;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > 1024)
		return -1;
	*out = (unsigned)n;
	return 0;
}

void shell_format_time(char out[32], const char *rfc3339)
{
	struct tm tm = { 0 };
	const char *p = rfc3339 ? strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p) {
		snprintf(out, 32, "%s", rfc3339 ? rfc3339 : "?");
		return;
	}
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

int shell_step_file(json_t **out_rec, json_t **out_entry, struct prov_store *st, const char *spec,
		    const char *path, int reads_too)
{
	json_t *rec = NULL, *e, *found = NULL;
	size_t i;
	int ret;

	*out_rec = NULL;
	*out_entry = NULL;
	if ((ret = provenance_step_get(&rec, st, spec)) < 0)
		return ret;
	json_array_foreach(json_object_get(rec, "writes"), i, e)
	{
		const char *p = json_string_value(json_object_get(e, "path"));
		if (p && !strcmp(p, path))
			found = e;
	}
	json_array_foreach(reads_too && !found ? json_object_get(rec, "reads") : NULL, i, e)
	{
		const char *p = json_string_value(json_object_get(e, "path"));
		if (p && !strcmp(p, path))
			found = e;
	}
	if (!found) {
		ret = err_set(CAIRN_ENOTFOUND, "step %.8s did not %s %s",
			      json_string_value(json_object_get(rec, "id")),
			      reads_too ? "read or write" : "write", path);
		json_decref(rec);
		return ret;
	}
	*out_rec = rec;
	*out_entry = found;
	return 0;
}

struct script_session {
	const char *rel;
	char *session;
};

static int script_session_cb(json_t *rec, void *payload)
{
	struct script_session *f = payload;
	const char *script = json_string_value(json_object_get(rec, "script"));
	const char *session = json_string_value(json_object_get(rec, "session"));
	if (!script || strcmp(script, f->rel) || !session)
		return 0;
	f->session = xstrdup(session);
	return 1;
}

int shell_script_session(char **out, struct prov_store *st, const char *rel)
{
	struct script_session f = { rel, NULL };
	int ret = provenance_foreach_step(st, script_session_cb, &f);
	*out = f.session;
	if (ret < 0) {
		free(f.session);
		*out = NULL;
		return ret;
	}
	return 0;
}

int shell_make_parents(const char *path)
{
	char *copy = xstrdup(path), *p;
	int ret = 0;

	for (p = copy + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
			ret = err_errno(CAIRN_ERROR, "cannot create %s", copy);
			break;
		}
		*p = '/';
	}
	free(copy);
	return ret;
}
