/*
 * parse_check - run shell_parse() over files and print the outcome, for
 * test/parse-oracle.sh and for poking at the parser by hand.
 *
 *   parse_check [-v] FILE...     (FILE "-" reads stdin)
 *
 * For each file prints "ok N L1-L2 L1-L2 ..." (the number of commands and
 * each one's line range) or "LINE:COL: message"; with several files each
 * line is prefixed by "FILE: ".  -v also prints each command's text,
 * functions and directives (also those complete before an error).  Exit status: 0 if all parsed, 1
 * if any had a syntax error, 2 if any was incomplete (and none had a syntax error).
 */
#include "parse.h"

#include <stdio.h>
#include <string.h>

static void show(const char *name, int prefix, int verbose, const struct strbuf *sb,
		 const struct parse_result *res, int r)
{
	size_t i, j;

	if (prefix)
		printf("%s: ", name);
	if (r < 0) {
		printf("%u:%u: %s%s\n", res->err_line, res->err_col, res->err_msg,
		       r == CAIRN_EINCOMPLETE ? " (incomplete)" : "");
	} else {
		printf("ok %zu", res->nr);
		for (i = 0; i < res->nr; i++)
			printf(" %u-%u", res->cmds[i].line, res->cmds[i].end_line);
		printf("\n");
	}
	if (!verbose)
		return;
	for (i = 0; i < res->nr; i++) {
		const struct parse_cmd *c = &res->cmds[i];

		printf("--- cmd %zu: %u:%u-%u offset %zu len %zu\n", i, c->line, c->col,
		       c->end_line, c->offset, c->len);
		for (j = 0; j < c->ndirectives; j++)
			printf("  directive %u:%u [%s]\n", c->directives[j].line,
			       c->directives[j].col, c->directives[j].text);
		for (j = 0; j < c->nfuncs; j++)
			printf("  func %s line %u offset %zu len %zu [%.*s]\n", c->funcs[j].name,
			       c->funcs[j].line, c->funcs[j].offset, c->funcs[j].len,
			       (int)c->funcs[j].len, sb->buf + c->funcs[j].offset);
		printf("%.*s\n", (int)c->len, sb->buf + c->offset);
	}
	for (j = 0; j < res->ntrailing; j++)
		printf("trailing directive %u:%u [%s]\n", res->trailing[j].line,
		       res->trailing[j].col, res->trailing[j].text);
}

int main(int argc, char **argv)
{
	int verbose = 0, status = 0, i, first = 1;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		first = 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: parse_check [-v] FILE...\n");
		return 2;
	}
	for (i = first; i < argc; i++) {
		struct strbuf sb = STRBUF_INIT;
		struct parse_result res = PARSE_RESULT_INIT;
		int r;

		if (!strcmp(argv[i], "-"))
			r = strbuf_read_fd(&sb, 0);
		else
			r = strbuf_read_file(&sb, argv[i]);
		if (r < 0) {
			fprintf(stderr, "parse_check: %s: %s\n", argv[i], err_last());
			strbuf_release(&sb);
			status = 1;
			continue;
		}
		r = shell_parse(&res, sb.buf, sb.len, 1);
		show(argv[i], argc - first > 1, verbose, &sb, &res, r);
		if (r == CAIRN_ESYNTAX)
			status = 1;
		else if (r < 0 && status == 0)
			status = 2;
		parse_result_release(&res);
		strbuf_release(&sb);
	}
	return status;
}
