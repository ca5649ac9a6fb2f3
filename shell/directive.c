/*
 * directive.c - `#cairn: ...` lines: settings for the next step.
 */
#include "shell-int.h"

#include <stdlib.h>
#include <string.h>

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mult = 1;
	if (end == s)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ull << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ull << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ull << 30;
		break;
	case 't':
	case 'T':
		mult = 1ull << 40;
		break;
	default:
		return -1;
	}
	if (*end && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		return -1;
	if (!v || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int one(struct exec_directives *out, const char *word, size_t len)
{
	char *w = xstrndup(word, len), *eq = strchr(w, '=');
	int ret = 0;

	if (!strcmp(w, "net")) {
		out->net = 1;
	} else if (!strcmp(w, "nocache")) {
		out->nocache = 1;
	} else if (eq && !strncmp(w, "timeout=", 8)) {
		char *end;
		unsigned long v = strtoul(eq + 1, &end, 10);
		if (end == eq + 1 || *end || !v || v > 1000000000ul)
			ret = err_set(CAIRN_ESYNTAX,
				      "timeout needs a positive number of seconds, "
				      "not `%s'",
				      eq + 1);
		else
			out->timeout = (unsigned)v;
	} else if (eq && !strncmp(w, "mem=", 4)) {
		if (parse_size(eq + 1, &out->mem) < 0)
			ret = err_set(CAIRN_ESYNTAX,
				      "mem needs a size such as 512M or 4G, not `%s'", eq + 1);
	} else {
		ret = err_set(CAIRN_ESYNTAX,
			      "unknown directive `%s' (known: net, nocache, "
			      "timeout=SECS, mem=SIZE)",
			      w);
	}
	free(w);
	return ret;
}

int shell_directives(struct exec_directives *out, const struct parse_directive *d, size_t n,
		     const char *file)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		const char *p = d[i].text;
		if (!*p) {
			fprintf(stderr, "%s:%u:%u: empty #cairn: directive\n", file, d[i].line,
				d[i].col);
			return CAIRN_ESYNTAX;
		}
		/* Several directives may share a line, separated by blanks or commas. */
		while (*p) {
			size_t len;
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			len = strcspn(p, " \t,");
			if (!len)
				break;
			if (one(out, p, len) < 0) {
				fprintf(stderr, "%s:%u:%u: %s\n", file, d[i].line, d[i].col,
					err_last());
				return CAIRN_ESYNTAX;
			}
			p += len;
		}
	}
	return 0;
}
