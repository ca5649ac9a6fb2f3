/*
 * fuzz_parse.c - libFuzzer entry point for shell_parse().
 *
 * Besides running the parser under the sanitizers, it checks what parse.h
 * promises and abort()s on any violation:
 *   - the return code is 0, CAIRN_ESYNTAX or CAIRN_EINCOMPLETE, with a
 *     message and a position inside the input exactly when it is not 0;
 *   - commands are in order, do not overlap, lie inside the input, start at
 *     a non-blank byte, end at the end of a line; their line, column and
 *     end line are right, and line numbers increase;
 *   - each command's text plus a newline, parsed on its own, is exactly
 *     one command (it is runnable on its own; see check_alone());
 *   - function records lie inside their command, in source order;
 *   - directives come before their command, trailing ones after the last.
 */
#include "parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_parse: invariant failed: %s (line %d)\n", #cond,     \
				__LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Line and column of POS, counting from LINE 1 at offset 0. */
static void linecol(const char *buf, size_t pos, unsigned *line, unsigned *col)
{
	size_t i, start = 0;

	*line = 1;
	for (i = 0; i < pos; i++)
		if (buf[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	*col = (unsigned)(pos - start) + 1;
}

static void check_directives(const char *buf, const struct parse_directive *d, size_t n,
			     unsigned *last_line, unsigned before_line)
{
	size_t i;

	for (i = 0; i < n; i++) {
		CHECK(d[i].text != NULL);
		CHECK(d[i].line > *last_line || (*last_line == 0 && d[i].line >= 1));
		CHECK(before_line == 0 || d[i].line < before_line);
		CHECK(strchr(d[i].text, '\n') == NULL);
		*last_line = d[i].line;
		(void)buf;
	}
}

/* The command's own text, followed by the newline that ended it, must
 * parse as exactly that one command.  One exception comes from bash
 * itself: at `((' it first reads up to the matching `)' as text, and only
 * if `))' is not there parses a subshell.  The text scan sees what the
 * grammar does not (parens and quotes in comments, parens inside $[ ]),
 * so it can end lines after the subshell does, and the text alone then
 * ends inside what the scan had open. */
static void check_alone(const char *text, size_t len)
{
	struct parse_result res = PARSE_RESULT_INIT;
	char *copy = xmalloc(len + 1);
	int r;

	memcpy(copy, text, len);
	copy[len] = '\n';
	r = shell_parse(&res, copy, len + 1, 1);
	if (r == CAIRN_EINCOMPLETE &&
	    !strncmp(res.err_msg, "unexpected EOF while looking for matching", 41) &&
	    memmem(copy, len, "((", 2)) {
		parse_result_release(&res);
		free(copy);
		return;
	}
	CHECK(r == 0);
	CHECK(res.nr == 1);
	CHECK(res.cmds[0].offset == 0);
	CHECK(res.cmds[0].len == len);
	parse_result_release(&res);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parse_result res = PARSE_RESULT_INIT;
	const char *buf = (const char *)data;
	size_t i, j, prev_end = 0;
	unsigned prev_line = 0, dir_line = 0, line, col;
	int r;

	r = shell_parse(&res, buf, size, 1);
	CHECK(r == 0 || r == CAIRN_ESYNTAX || r == CAIRN_EINCOMPLETE);
	if (r == 0) {
		CHECK(res.err_msg == NULL);
	} else {
		unsigned last_line, last_col;

		CHECK(res.err_msg != NULL && res.err_msg[0] != '\0');
		linecol(buf, size, &last_line, &last_col);
		CHECK(res.err_line >= 1 && res.err_line <= last_line);
		CHECK(res.err_col >= 1);
		CHECK(res.err_line < last_line || res.err_col <= last_col);
	}

	for (i = 0; i < res.nr; i++) {
		const struct parse_cmd *c = &res.cmds[i];

		CHECK(c->len > 0);
		CHECK(c->offset < size && c->len <= size - c->offset);
		CHECK(i == 0 || c->offset > prev_end);
		CHECK(buf[c->offset] != ' ' && buf[c->offset] != '\t' && buf[c->offset] != '\n');
		CHECK(c->offset + c->len == size || buf[c->offset + c->len] == '\n');
		CHECK(memchr(buf + c->offset, '\0', c->len) == NULL);
		linecol(buf, c->offset, &line, &col);
		CHECK(c->line == line && c->col == col);
		linecol(buf, c->offset + c->len - 1, &line, &col);
		CHECK(c->end_line == line);
		CHECK(c->line > prev_line);
		CHECK(c->end_line >= c->line);
		check_directives(buf, c->directives, c->ndirectives, &dir_line, c->line);
		dir_line = c->end_line;
		for (j = 0; j < c->nfuncs; j++) {
			const struct parse_funcdef *f = &c->funcs[j];

			CHECK(f->name != NULL);
			CHECK(f->offset >= c->offset && f->len > 0);
			CHECK(f->offset + f->len <= c->offset + c->len);
			CHECK(j == 0 || f->offset > c->funcs[j - 1].offset);
			linecol(buf, f->offset, &line, &col);
			CHECK(f->line == line);
		}
		check_alone(buf + c->offset, c->len);
		prev_end = c->offset + c->len;
		prev_line = c->end_line;
	}
	if (r == 0)
		check_directives(buf, res.trailing, res.ntrailing, &dir_line, 0);

	parse_result_release(&res);
	return 0;
}
