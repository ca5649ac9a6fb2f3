/*
 * parse.h - split shell input into top-level complete commands (shell/
 * private).
 *
 * cairn does not execute shell code itself: a real bash (or sh) runs each
 * step.  The parser only has to (1) find where each top-level complete
 * command begins and ends, (2) find syntax errors before anything runs,
 * reporting LINE:COL, (3) tell a REPL that input is incomplete (PS2), and
 * (4) locate function definitions and `#cairn:` directive lines.
 *
 * A complete command (DESIGN.md section 1) is everything up to an unquoted
 * newline that is not inside a compound command, a here-document, quotes,
 * $( ), backquotes, ${ }, (( )), [[ ]], an array value or a line
 * continuation.  So `a; b` on one line is one command, a whole `for` loop
 * is one command, and `cat <<EOF` is one command that includes its
 * here-document body up to and including the delimiter line.
 *
 * The language is bash's (a superset of POSIX sh): quoting ('', "", $'',
 * $"", backslash), comments, line continuations, here-documents (<<, <<-,
 * quoted delimiters, several on one line, inside compound commands and
 * inside $( )), $( ), backquotes, ${ } with nested quotes, $(( )), (( )),
 * [[ ]] (with =~ regexes holding unquoted ( ) |), arrays (a=(..), a+=(..),
 * declare -a a=(..)), <( ), >( ), <<<, if/while/until/for/case/select,
 * for ((;;)), { } and ( ), function definitions (name() and `function`),
 * and-or lists, pipelines (| and |&), `!`, `time`, coproc, `;`, `&`,
 * redirections including {var}>file, &>, &>>, >|, <>, N>&M.  Extended glob
 * patterns (@(..) !(..) +(..) *(..) ?(..)) are accepted inside words.
 *
 * The parser errs on the side of accepting: input bash accepts must never
 * be reported as a syntax error.
 */
#ifndef CAIRN_SHELL_PARSE_H
#define CAIRN_SHELL_PARSE_H

#include "util.h"

/* A `#cairn: ...` line at top level, between two commands. */
struct parse_directive {
	char *text; /* what follows "#cairn:", trimmed; owned */
	unsigned line; /* 1-based line of the '#' */
	unsigned col; /* 1-based column of the '#' */
};

/* A function definition found inside a command (not inside a subshell,
 * $( ), backquotes or process substitution, whose definitions do not
 * outlive them). */
struct parse_funcdef {
	char *name; /* owned */
	size_t offset; /* byte offset of the definition's first byte (the name,
			  or the `function` keyword) in the whole input */
	size_t len; /* through the end of the body's closing token and any
		       redirections attached to the body */
	unsigned line; /* 1-based line of the first byte */
};

struct parse_cmd {
	size_t offset; /* first byte of the command in the input */
	size_t len; /* through the end of its last line: the newline
		       that ends it is not included; here-document
		       bodies (and their delimiter line) are; a
		       trailing comment on the last line may be */
	unsigned line; /* 1-based line of the first byte */
	unsigned col; /* 1-based column of the first byte */
	unsigned end_line; /* line of the last byte */
	struct parse_directive *directives; /* the #cairn: lines before it */
	size_t ndirectives;
	struct parse_funcdef *funcs; /* in source order */
	size_t nfuncs;
};

struct parse_result {
	struct parse_cmd *cmds; /* in source order */
	size_t nr, alloc;
	/* #cairn: lines after the last command (not followed by one). */
	struct parse_directive *trailing;
	size_t ntrailing;
	/* On CAIRN_ESYNTAX / CAIRN_EINCOMPLETE: where and what. */
	unsigned err_line, err_col;
	char *err_msg; /* owned; e.g. "syntax error near unexpected token `fi'" */
};

#define PARSE_RESULT_INIT                                                                          \
	{                                                                                          \
		0                                                                                  \
	}

/*
 * Parse BUF (LEN bytes; it need not be NUL-terminated and may contain
 * any bytes).  Line numbers start at FIRST_LINE (1 for a file).
 *
 * Returns 0 with OUT filled; CAIRN_ESYNTAX when the input is not valid
 * (err_line, err_col, err_msg set; a NUL byte in the input is a syntax
 * error); CAIRN_EINCOMPLETE when the input ends inside a command
 * (unclosed quote or compound command, trailing | or &&, a pending
 * here-document body, a line continuation at the end) -- err_line and
 * err_col then point at the construct left open, and err_msg says what was
 * being looked for.  On error, OUT->cmds holds the commands that were
 * complete before the error.  err_set() is called with "LINE:COL: MSG".
 *
 * The caller releases OUT with parse_result_release() in every case.
 */
int shell_parse(struct parse_result *out, const char *buf, size_t len, unsigned first_line);

void parse_result_release(struct parse_result *r);

#endif
