/*
 * parse.c - split shell input into top-level complete commands.
 *
 * This is a recognizer, not a full parser: it builds no tree.  It follows
 * bash 5.2's own lexer and grammar closely enough to agree with `bash -n`
 * on where commands end and on what is a syntax error, and it errs on the
 * side of accepting.  The structure mirrors bash's parse.y:
 *
 *   - a lexer that returns one token at a time, lazily (one token of
 *     lookahead), so that a here-document redirection is recorded before
 *     the newline that starts its body is read;
 *   - "matched pair" scanners for the constructs bash reads as opaque text
 *     ('', "", ``, ${ }, $(( )), (( )), $[ ], extglob and regex groups,
 *     array subscripts), which recurse into the full parser for $( ) and
 *     <( ) exactly as bash 5.2 does;
 *   - a recursive-descent parser for the command grammar.
 *
 * Every nesting step goes through enter(), so that hostile input cannot
 * exhaust the C stack.  Scanning never goes past p->end, which is the first
 * NUL byte (an error) or the end of the input.  Nothing is re-scanned except
 * when `((` turns out to be two subshells, as in bash, and then each paren
 * is scanned at most twice (see try_arith()).
 */
#include "parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any script a person writes, shallow enough that the
 * recursion (a dozen small frames per level) fits a default stack. */
#define PARSE_MAX_DEPTH 1000

enum tok_type {
	T_EOF,
	T_NEWLINE,
	T_WORD,
	T_SEMI, /* ; */
	T_DSEMI, /* ;; */
	T_SEMI_AND, /* ;& */
	T_DSEMI_AND, /* ;;& */
	T_AMP, /* & */
	T_AND_AND, /* && */
	T_PIPE, /* | */
	T_OR_OR, /* || */
	T_PIPE_AMP, /* |& */
	T_LPAREN, /* ( */
	T_RPAREN, /* ) */
	T_REDIR, /* < > >> << <<- <<< <& >& <> >| &> &>> */
};

enum redir_kind {
	R_LESS,
	R_GREAT,
	R_OTHER,
	R_HEREDOC,
	R_HEREDOC_STRIP,
};

/* Word flags. */
#define WF_QUOTED 0x01 /* has ' " \ $' or $" */
#define WF_EXPAND 0x02 /* has $ or ` */
#define WF_CONT 0x04 /* has a backslash-newline inside */
#define WF_IONUM 0x08 /* digits or {name} right before < or > */

/* Lexer context flags. */
#define LX_CMD 0x01 /* assignment acceptable: name=( and name[..] */
#define LX_ASSIGNOK 0x02 /* after a declaration builtin: name=( */
#define LX_REGEX 0x04 /* right-hand side of =~ in [[ ]] */
#define LX_COMPASSIGN 0x08 /* inside name=( ): [sub]=value words */

/* scan_matched() flags, after bash's P_* flags. */
#define SM_FIRSTCLOSE 0x01
#define SM_DOLBRACE 0x02
#define SM_ARITH 0x04
#define SM_ARRAYSUB 0x08
#define SM_RECORD 0x10 /* remember where each nested ( closes */

/* What an open construct waits for; decides the end-of-input message. */
enum open_kind {
	OC_GENERIC, /* compound command, |, &&, ||: "unexpected end of file" */
	OC_SQUOTE,
	OC_DQUOTE,
	OC_BQUOTE,
	OC_RPAREN,
	OC_RBRACE,
	OC_RBRACKET,
	OC_COND,
};

struct token {
	enum tok_type type;
	enum redir_kind redir;
	unsigned flags;
	size_t start, end;
	int has_hd; /* T_NEWLINE: here-document bodies followed it */
	size_t hd_end; /* ... and the last delimiter line ends here */
};

struct heredoc {
	char *delim;
	size_t delim_len;
	int strip, quoted;
	size_t op; /* offset of the << */
};

struct open_construct {
	enum open_kind kind;
	size_t pos;
};

/* An open-addressing table entry: the `(' at KEY - 1 closes at CLOSE. */
struct pmatch {
	size_t key, close;
};

struct parser {
	const char *buf;
	size_t len; /* the whole input */
	size_t end; /* first NUL byte, or len */
	size_t pos; /* where the lexer continues */
	unsigned first_line;
	int vnl_done; /* the virtual newline at end of input was returned */

	size_t *lines; /* offsets of line starts */
	size_t nlines;

	struct token la; /* lookahead */
	int la_valid;
	size_t last_end; /* end of the last consumed token */

	/* Pending here-documents; those from hd_base on belong to the
	 * current level ($( ) starts a new level, as in bash). */
	struct heredoc *hd;
	size_t nhd, hd_alloc, hd_base;

	/* Paren matches seen by `((' scans (see try_arith()), and the stack
	 * that finds them. */
	struct pmatch *pm;
	size_t pm_size, pm_used;
	size_t *pstack;
	size_t npstack, pstack_alloc;

	struct open_construct *open;
	size_t nopen, open_alloc;
	unsigned depth;
	unsigned nofunc; /* inside ( ), $( ), <( ), coproc */

	/* Function definitions of the command being parsed. */
	struct parse_funcdef *funcs;
	size_t nfuncs, funcs_alloc;
	size_t trailing_alloc;

	struct strbuf tmp;

	int err;
	size_t err_pos;
	char *err_msg;
};

static int parse_compound_list(struct parser *p, int allow_empty);
static int parse_and_or(struct parser *p);
static int parse_command(struct parser *p);
static int parse_comsub(struct parser *p, size_t *ip, size_t open_pos);
static int scan_dquote(struct parser *p, size_t *ip, size_t open_pos);

/* ---- errors and positions ---------------------------------------------- */

static void pos_to_linecol(const struct parser *p, size_t pos, unsigned *line, unsigned *col)
{
	size_t lo = 0, hi = p->nlines;

	/* The last line start <= pos. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->lines[mid] <= pos)
			lo = mid;
		else
			hi = mid;
	}
	*line = p->first_line + (unsigned)lo;
	*col = (unsigned)(pos - p->lines[lo]) + 1;
}

__attribute__((format(printf, 4, 5))) static int set_error(struct parser *p, int code, size_t pos,
							   const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb = STRBUF_INIT;

	if (p->err)
		return p->err;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	p->err = code;
	p->err_pos = pos;
	p->err_msg = strbuf_detach(&sb, NULL);
	return code;
}

static int enter(struct parser *p, size_t pos)
{
	if (++p->depth > PARSE_MAX_DEPTH)
		return set_error(p, CAIRN_ESYNTAX, pos, "nesting too deep");
	return 0;
}

static void leave(struct parser *p)
{
	p->depth--;
}

static void push_open(struct parser *p, enum open_kind kind, size_t pos)
{
	ALLOC_GROW(p->open, p->nopen + 1, p->open_alloc);
	p->open[p->nopen].kind = kind;
	p->open[p->nopen].pos = pos;
	p->nopen++;
}

static void pop_open(struct parser *p)
{
	p->nopen--;
}

/* The input ended (or hit a NUL byte) while something was still open. */
static int eof_error(struct parser *p)
{
	const struct open_construct *o;
	static const char *const what[] = {
		[OC_SQUOTE] = "'", [OC_DQUOTE] = "\"", [OC_BQUOTE] = "`",
		[OC_RPAREN] = ")", [OC_RBRACE] = "}",  [OC_RBRACKET] = "]",
	};

	if (p->end < p->len)
		return set_error(p, CAIRN_ESYNTAX, p->end, "NUL byte in input");
	if (!p->nopen)
		return set_error(p, CAIRN_EINCOMPLETE, p->len,
				 "syntax error: unexpected end of file");
	o = &p->open[p->nopen - 1];
	switch (o->kind) {
	case OC_SQUOTE:
	case OC_DQUOTE:
	case OC_BQUOTE:
	case OC_RPAREN:
	case OC_RBRACE:
	case OC_RBRACKET:
		return set_error(p, CAIRN_EINCOMPLETE, o->pos,
				 "unexpected EOF while looking for matching `%s'", what[o->kind]);
	case OC_COND:
		return set_error(p, CAIRN_EINCOMPLETE, o->pos,
				 "unexpected EOF while looking for `]]'");
	case OC_GENERIC:
	default:
		return set_error(p, CAIRN_EINCOMPLETE, o->pos,
				 "syntax error: unexpected end of file");
	}
}

/* A backslash-newline (or lone backslash) right before the end. */
static int cont_eof_error(struct parser *p, size_t bs)
{
	if (p->end < p->len)
		return set_error(p, CAIRN_ESYNTAX, p->end, "NUL byte in input");
	return set_error(p, CAIRN_EINCOMPLETE, bs, "syntax error: unexpected end of file");
}

static void token_text(const struct parser *p, const struct token *t, struct strbuf *sb)
{
	strbuf_reset(sb);
	if (t->type == T_NEWLINE)
		strbuf_addstr(sb, "newline");
	else if (t->type == T_EOF)
		strbuf_addstr(sb, "EOF");
	else
		strbuf_add(sb, p->buf + t->start, t->end - t->start);
}

static int unexpected(struct parser *p, const struct token *t)
{
	if (t->type == T_EOF)
		return eof_error(p);
	token_text(p, t, &p->tmp);
	return set_error(p, CAIRN_ESYNTAX, t->start, "syntax error near unexpected token `%s'",
			 p->tmp.buf);
}

/* ---- small character helpers -------------------------------------------- */

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Skip backslash-newline pairs at I; bash removes them while reading. */
static size_t skip_conts(const struct parser *p, size_t i)
{
	while (i + 1 < p->end && p->buf[i] == '\\' && p->buf[i + 1] == '\n')
		i += 2;
	return i;
}

/* Copy BUF[S, E) without backslash-newline pairs into SB. */
static void raw_value(const struct parser *p, size_t s, size_t e, struct strbuf *sb)
{
	strbuf_reset(sb);
	while (s < e) {
		if (s + 1 < e && p->buf[s] == '\\' && p->buf[s + 1] == '\n') {
			s += 2;
			continue;
		}
		strbuf_addch(sb, p->buf[s++]);
	}
}

/* Is BUF[S, E) (continuations aside) a valid identifier? */
static int is_name_raw(const struct parser *p, size_t s, size_t e)
{
	size_t n = 0;

	while (s < e) {
		if (s + 1 < e && p->buf[s] == '\\' && p->buf[s + 1] == '\n') {
			s += 2;
			continue;
		}
		if (n == 0 ? !is_name_start((unsigned char)p->buf[s])
			   : !is_name_char((unsigned char)p->buf[s]))
			return 0;
		n++;
		s++;
	}
	return n > 0;
}

/* Is BUF[S, E) the part of an assignment before `=': name, name+,
 * name[sub] or name[sub]+? */
static int is_assign_prefix(const struct parser *p, size_t s, size_t e)
{
	const char *b = p->buf;
	size_t i = s;

	if (e > s && b[e - 1] == '+')
		e--;
	while (i < e && is_name_char((unsigned char)b[i]))
		i++;
	if (i == s || !is_name_start((unsigned char)b[s]))
		return is_name_raw(p, s, e);
	if (i == e)
		return 1;
	if (b[i] == '[')
		return b[e - 1] == ']' && e - 1 > i;
	return is_name_raw(p, s, e);
}

/* ---- quoted and bracketed text ------------------------------------------- */

/* '...' (or $'...' when ESC): I is just past the opening quote. */
static int scan_squote(struct parser *p, size_t *ip, int esc, size_t open_pos)
{
	size_t i = *ip;
	const char *q;

	if (!esc) {
		q = memchr(p->buf + i, '\'', p->end - i);
		if (!q) {
			push_open(p, OC_SQUOTE, open_pos);
			return eof_error(p);
		}
		*ip = (size_t)(q - p->buf) + 1;
		return 0;
	}
	for (;;) {
		if (i >= p->end) {
			push_open(p, OC_SQUOTE, open_pos);
			return eof_error(p);
		}
		if (p->buf[i] == '\\') {
			i += 2;
			continue;
		}
		if (p->buf[i++] == '\'')
			break;
	}
	*ip = i;
	return 0;
}

/* `...`: bash reads the text now and parses it only when it runs it. */
static int scan_bquote(struct parser *p, size_t *ip, size_t open_pos)
{
	size_t i = *ip;

	for (;;) {
		if (i >= p->end) {
			push_open(p, OC_BQUOTE, open_pos);
			return eof_error(p);
		}
		if (p->buf[i] == '\\') {
			i += 2;
			continue;
		}
		if (p->buf[i++] == '`')
			break;
	}
	*ip = i;
	return 0;
}

static size_t pm_slot(const struct pmatch *pm, size_t size, size_t key)
{
	size_t h = (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 29) & (size - 1);

	while (pm[h].key && pm[h].key != key)
		h = (h + 1) & (size - 1);
	return h;
}

static void pm_put(struct parser *p, size_t open, size_t close)
{
	size_t h;

	if ((p->pm_used + 1) * 2 > p->pm_size) {
		size_t i, size = p->pm_size ? p->pm_size * 2 : 64;
		struct pmatch *pm = xcalloc(size, sizeof(*pm));

		for (i = 0; i < p->pm_size; i++)
			if (p->pm[i].key)
				pm[pm_slot(pm, size, p->pm[i].key)] = p->pm[i];
		free(p->pm);
		p->pm = pm;
		p->pm_size = size;
	}
	h = pm_slot(p->pm, p->pm_size, open + 1);
	if (!p->pm[h].key)
		p->pm_used++;
	p->pm[h].key = open + 1;
	p->pm[h].close = close;
}

static int pm_get(const struct parser *p, size_t open, size_t *close)
{
	size_t h;

	if (!p->pm_size)
		return 0;
	h = pm_slot(p->pm, p->pm_size, open + 1);
	if (!p->pm[h].key)
		return 0;
	*close = p->pm[h].close;
	return 1;
}

static int scan_matched(struct parser *p, size_t *ip, int open, int close, unsigned fl,
			size_t open_pos);

/* After `$' and C (one of ( { [), with I just past C. */
static int scan_dollar(struct parser *p, size_t *ip, int c, size_t dollar_pos)
{
	if (c == '(')
		return parse_comsub(p, ip, dollar_pos);
	if (c == '{')
		return scan_matched(p, ip, '{', '}', SM_FIRSTCLOSE | SM_DOLBRACE, dollar_pos);
	return scan_matched(p, ip, '[', ']', SM_ARITH, dollar_pos);
}

/*
 * A grouping construct read as text, after bash's parse_matched_pair():
 * I is just past the opening character; counts OPEN/CLOSE (unless
 * SM_FIRSTCLOSE), skips backslash-escaped characters and nested quotes, and
 * recurses into $( ), ${ }, $[ ] where bash does.
 */
static int scan_matched(struct parser *p, size_t *ip, int open, int close, unsigned fl,
			size_t open_pos)
{
	const char *b = p->buf;
	size_t i = *ip, sbase = p->npstack;
	int count = 1, wasdol = 0, gtlt = 0, bumped, r;
	enum open_kind kind = close == ')' ? OC_RPAREN : close == '}' ? OC_RBRACE : OC_RBRACKET;

	if ((r = enter(p, open_pos)) < 0)
		return r;
	push_open(p, kind, open_pos);
	for (;;) {
		int c;

		if (i >= p->end)
			return eof_error(p);
		c = (unsigned char)b[i];
		if (c == '\\') {
			i = i + 2 > p->end ? p->end : i + 2;
			wasdol = gtlt = 0;
			continue;
		}
		i++;
		bumped = 0;
		if (c == close) {
			if ((fl & SM_RECORD) && p->npstack > sbase)
				pm_put(p, p->pstack[--p->npstack], i - 1);
			if (--count == 0)
				break;
		} else if (!(fl & SM_FIRSTCLOSE) && c == open) {
			count++;
			bumped = 1;
		}

		if (c == '\'' || c == '"' || c == '`') {
			if (c == '\'')
				r = scan_squote(p, &i, wasdol, i - 1);
			else if (c == '"')
				r = scan_dquote(p, &i, i - 1);
			else
				r = scan_bquote(p, &i, i - 1);
			if (r < 0)
				return r;
			wasdol = gtlt = 0;
			continue;
		}
		if (wasdol &&
		    (((fl & (SM_ARRAYSUB | SM_DOLBRACE)) && (c == '(' || c == '{' || c == '[')) ||
		     ((fl & SM_ARITH) && (c == '(' || c == '{')))) {
			count -= bumped;
			if ((r = scan_dollar(p, &i, c, i - 2)) < 0)
				return r;
			wasdol = gtlt = 0;
			continue;
		}
		if (gtlt && c == '(' && (fl & (SM_ARRAYSUB | SM_DOLBRACE))) {
			count -= bumped;
			if ((r = parse_comsub(p, &i, i - 2)) < 0)
				return r;
			wasdol = gtlt = 0;
			continue;
		}
		if (bumped && (fl & SM_RECORD)) {
			ALLOC_GROW(p->pstack, p->npstack + 1, p->pstack_alloc);
			p->pstack[p->npstack++] = i - 1;
		}
		gtlt = (c == '<' || c == '>') && !gtlt;
		wasdol = c == '$' && !wasdol;
	}
	pop_open(p);
	leave(p);
	*ip = i;
	return 0;
}

/* "...": I is just past the opening quote. */
static int scan_dquote(struct parser *p, size_t *ip, size_t open_pos)
{
	const char *b = p->buf;
	size_t i = *ip, j;
	int r;

	if ((r = enter(p, open_pos)) < 0)
		return r;
	push_open(p, OC_DQUOTE, open_pos);
	for (;;) {
		int c;

		if (i >= p->end)
			return eof_error(p);
		c = (unsigned char)b[i++];
		if (c == '"')
			break;
		if (c == '\\') {
			i = i + 1 > p->end ? p->end : i + 1;
		} else if (c == '`') {
			if ((r = scan_bquote(p, &i, i - 1)) < 0)
				return r;
		} else if (c == '$') {
			j = skip_conts(p, i);
			if (j >= p->end)
				continue;
			if (b[j] == '$') {
				i = j + 1;
			} else if (b[j] == '(' || b[j] == '{' || b[j] == '[') {
				size_t dollar = i - 1;
				i = j + 1;
				if ((r = scan_dollar(p, &i, b[j], dollar)) < 0)
					return r;
			}
		}
	}
	pop_open(p);
	leave(p);
	*ip = i;
	return 0;
}

/* ---- here-documents ------------------------------------------------------- */

/* The delimiter is the word with quotes removed; any quoting at all means
 * the body is taken literally. */
static void heredoc_delim(const struct parser *p, size_t s, size_t e, struct strbuf *out,
			  int *quoted)
{
	const char *b = p->buf;
	size_t i = s;

	strbuf_reset(out);
	*quoted = 0;
	while (i < e) {
		char c = b[i];

		if (c == '\\') {
			if (i + 1 < e && b[i + 1] == '\n') {
				i += 2;
				continue;
			}
			*quoted = 1;
			if (i + 1 < e)
				strbuf_addch(out, b[i + 1]);
			i += 2;
		} else if (c == '\'') {
			*quoted = 1;
			for (i++; i < e && b[i] != '\''; i++)
				strbuf_addch(out, b[i]);
			i++;
		} else if (c == '"') {
			*quoted = 1;
			for (i++; i < e && b[i] != '"'; i++) {
				if (b[i] == '\\' && i + 1 < e && strchr("$`\"\\\n", b[i + 1])) {
					if (b[++i] != '\n')
						strbuf_addch(out, b[i]);
					continue;
				}
				strbuf_addch(out, b[i]);
			}
			i++;
		} else if (c == '$' && i + 1 < e && b[i + 1] == '\'') {
			*quoted = 1;
			for (i += 2; i < e && b[i] != '\''; i++) {
				if (b[i] == '\\' && i + 1 < e)
					i++;
				strbuf_addch(out, b[i]);
			}
			i++;
		} else if (c == '$' && i + 1 < e && b[i + 1] == '"') {
			i++;
		} else {
			strbuf_addch(out, c);
			i++;
		}
	}
}

/*
 * Read the body of HD starting at p->pos, up to and including its
 * delimiter line.  With an unquoted delimiter, backslash-newline joins
 * lines before the comparison (bash reads the body with shell_getc's
 * line-continuation removal on).  *LINE_END is where the delimiter line
 * ends (its newline, or the end of input).
 */
static int read_heredoc(struct parser *p, const struct heredoc *hd, size_t *line_end)
{
	const char *b = p->buf;
	size_t i = p->pos;
	unsigned line;
	unsigned col;

	while (i < p->end) {
		const char *nl = memchr(b + i, '\n', p->end - i);
		size_t e = nl ? (size_t)(nl - b) : p->end;
		const char *s = b + i;
		size_t n = e - i;

		if (!hd->quoted && memchr(s, '\\', n)) {
			/* Build the logical line: join continuations, but an
			 * escaped backslash does not continue. */
			size_t k = i;
			strbuf_reset(&p->tmp);
			for (;;) {
				if (k >= p->end) {
					e = p->end;
					break;
				}
				if (b[k] == '\n') {
					e = k;
					break;
				}
				if (b[k] == '\\' && k + 1 < p->end) {
					if (b[k + 1] == '\n') {
						k += 2;
						continue;
					}
					strbuf_add(&p->tmp, b + k, 2);
					k += 2;
					continue;
				}
				strbuf_addch(&p->tmp, b[k++]);
			}
			s = p->tmp.buf;
			n = p->tmp.len;
		}
		if (hd->strip)
			while (n && *s == '\t') {
				s++;
				n--;
			}
		if (n == hd->delim_len && !memcmp(s, hd->delim, n)) {
			if (e == p->end && p->end < p->len)
				break;
			*line_end = e;
			p->pos = e < p->end ? e + 1 : e;
			return 0;
		}
		i = e < p->end ? e + 1 : e;
	}
	if (p->end < p->len)
		return set_error(p, CAIRN_ESYNTAX, p->end, "NUL byte in input");
	pos_to_linecol(p, hd->op, &line, &col);
	return set_error(p, CAIRN_EINCOMPLETE, hd->op,
			 "here-document at line %u delimited by end-of-file (wanted `%s')", line,
			 hd->delim);
}

/* Read the bodies of this level's pending here-documents, in order. */
static int gather_heredocs(struct parser *p, struct token *t)
{
	size_t k, line_end = 0;
	int r = 0;

	if (p->nhd == p->hd_base)
		return 0;
	for (k = p->hd_base; k < p->nhd && r == 0; k++)
		r = read_heredoc(p, &p->hd[k], &line_end);
	for (k = p->hd_base; k < p->nhd; k++)
		free(p->hd[k].delim);
	p->nhd = p->hd_base;
	if (r < 0)
		return r;
	if (t) {
		t->has_hd = 1;
		t->hd_end = line_end;
	}
	return 0;
}

/* ---- the lexer ------------------------------------------------------------- */

static int parse_array(struct parser *p, size_t *ip, size_t open_pos);

static int lex_word(struct parser *p, struct token *t, size_t i, unsigned lf)
{
	const char *b = p->buf;
	size_t start = i, j, k;
	unsigned fl = 0;
	int r = 0;

	while (i < p->end) {
		int c = (unsigned char)b[i];

		switch (c) {
		case '\\':
			if (i + 1 >= p->end)
				return cont_eof_error(p, i);
			if (b[i + 1] == '\n') {
				if (i + 2 >= p->end)
					return cont_eof_error(p, i);
				fl |= WF_CONT;
			} else {
				fl |= WF_QUOTED;
			}
			i += 2;
			continue;
		case '\'':
			fl |= WF_QUOTED;
			k = i + 1;
			r = scan_squote(p, &k, 0, i);
			break;
		case '"':
			fl |= WF_QUOTED;
			k = i + 1;
			r = scan_dquote(p, &k, i);
			break;
		case '`':
			fl |= WF_EXPAND;
			k = i + 1;
			r = scan_bquote(p, &k, i);
			break;
		case '$':
			fl |= WF_EXPAND;
			j = skip_conts(p, i + 1);
			k = j + 1;
			if (j >= p->end) {
				k = i + 1;
			} else if (b[j] == '(' || b[j] == '{' || b[j] == '[') {
				r = scan_dollar(p, &k, b[j], i);
			} else if (b[j] == '\'') {
				fl |= WF_QUOTED;
				r = scan_squote(p, &k, 1, j);
			} else if (b[j] == '"') {
				fl |= WF_QUOTED;
				r = scan_dquote(p, &k, j);
			} else if (b[j] != '$') {
				k = i + 1;
			}
			break;
		case '<':
		case '>':
			j = skip_conts(p, i + 1);
			if (j >= p->end || b[j] != '(')
				goto done;
			fl |= WF_EXPAND;
			k = j + 1;
			r = parse_comsub(p, &k, i);
			break;
		case '(':
			if (!(lf & LX_REGEX))
				goto done;
			k = i + 1;
			r = scan_matched(p, &k, '(', ')', 0, i);
			break;
		case '|':
			if (!(lf & LX_REGEX))
				goto done;
			k = i + 1;
			break;
		case ' ':
		case '\t':
		case '\n':
		case ';':
		case '&':
		case ')':
			goto done;
		case '@':
		case '!':
		case '+':
		case '*':
		case '?':
			/* Extended glob patterns are always accepted: a script
			 * may have run `shopt -s extglob' on an earlier line. */
			j = skip_conts(p, i + 1);
			k = i + 1;
			if (j < p->end && b[j] == '(') {
				k = j + 1;
				r = scan_matched(p, &k, '(', ')', 0, i);
			}
			break;
		case '[':
			k = i + 1;
			if (((lf & LX_COMPASSIGN) && i == start) ||
			    ((lf & LX_CMD) && !(fl & (WF_QUOTED | WF_EXPAND)) &&
			     is_name_raw(p, start, i)))
				r = scan_matched(p, &k, '[', ']', SM_ARRAYSUB, i);
			break;
		case '=':
			k = i + 1;
			if ((lf & (LX_CMD | LX_ASSIGNOK)) && !(fl & (WF_QUOTED | WF_EXPAND)) &&
			    is_assign_prefix(p, start, i)) {
				j = skip_conts(p, i + 1);
				if (j < p->end && b[j] == '(') {
					k = j + 1;
					r = parse_array(p, &k, j);
				}
			}
			break;
		default:
			k = i + 1;
			break;
		}
		if (r < 0)
			return r;
		i = k;
	}
done:
	t->type = T_WORD;
	t->start = start;
	t->end = i;
	j = skip_conts(p, i);
	if (!(fl & (WF_QUOTED | WF_EXPAND)) && j < p->end && (b[j] == '<' || b[j] == '>')) {
		raw_value(p, start, i, &p->tmp);
		if (strspn(p->tmp.buf, "0123456789") == p->tmp.len ||
		    (p->tmp.len > 2 && p->tmp.buf[0] == '{' && p->tmp.buf[p->tmp.len - 1] == '}' &&
		     is_name_start((unsigned char)p->tmp.buf[1])))
			fl |= WF_IONUM;
	}
	t->flags = fl;
	p->pos = i;
	return 0;
}

/*
 * Read the next token at p->pos into T.  A newline token also reads the
 * bodies of pending here-documents.  At the end of input, a virtual
 * newline comes first when the input does not end with one (bash appends
 * one to the last line it reads).
 */
static int lex(struct parser *p, struct token *t, unsigned lf)
{
	const char *b = p->buf;
	size_t i = p->pos, j;
	int c;

	memset(t, 0, sizeof(*t));
	for (;;) {
		if (i >= p->end)
			break;
		if (is_blank(b[i])) {
			i++;
			continue;
		}
		if (b[i] == '\\') {
			if (i + 1 >= p->end)
				return cont_eof_error(p, i);
			if (b[i + 1] == '\n') {
				if (i + 2 >= p->end)
					return cont_eof_error(p, i);
				i += 2;
				continue;
			}
		}
		break;
	}
	if (i < p->end && b[i] == '#') {
		const char *nl = memchr(b + i, '\n', p->end - i);
		i = nl ? (size_t)(nl - b) : p->end;
	}
	t->start = t->end = i;
	if (i >= p->end) {
		p->pos = i;
		if (p->end < p->len)
			return eof_error(p);
		if (!p->vnl_done && p->len && b[p->len - 1] != '\n') {
			p->vnl_done = 1;
			t->type = T_NEWLINE;
			return gather_heredocs(p, t);
		}
		t->type = T_EOF;
		/* Pending here-documents: "delimited by end-of-file". */
		return gather_heredocs(p, t);
	}
	c = (unsigned char)b[i];
	if (c == '\n') {
		t->type = T_NEWLINE;
		t->end = p->pos = i + 1;
		return gather_heredocs(p, t);
	}
	if ((lf & LX_REGEX) && (c == '(' || c == '|'))
		return lex_word(p, t, i, lf);

#define NEXT(k) (j = skip_conts(p, (k)), j < p->end ? b[j] : 0)
	t->type = T_REDIR;
	t->redir = R_OTHER;
	switch (c) {
	case ';':
		if (NEXT(i + 1) == ';') {
			size_t j1 = j;
			if (NEXT(j1 + 1) == '&') {
				t->type = T_DSEMI_AND;
				t->end = j + 1;
			} else {
				t->type = T_DSEMI;
				t->end = j1 + 1;
			}
		} else if (NEXT(i + 1) == '&') {
			t->type = T_SEMI_AND;
			t->end = j + 1;
		} else {
			t->type = T_SEMI;
			t->end = i + 1;
		}
		break;
	case '&':
		if (NEXT(i + 1) == '&') {
			t->type = T_AND_AND;
			t->end = j + 1;
		} else if (NEXT(i + 1) == '>') {
			size_t j1 = j;
			t->end = NEXT(j1 + 1) == '>' ? j + 1 : j1 + 1;
		} else {
			t->type = T_AMP;
			t->end = i + 1;
		}
		break;
	case '|':
		if (NEXT(i + 1) == '|') {
			t->type = T_OR_OR;
			t->end = j + 1;
		} else if (NEXT(i + 1) == '&') {
			t->type = T_PIPE_AMP;
			t->end = j + 1;
		} else {
			t->type = T_PIPE;
			t->end = i + 1;
		}
		break;
	case '(':
		t->type = T_LPAREN;
		t->end = i + 1;
		break;
	case ')':
		t->type = T_RPAREN;
		t->end = i + 1;
		break;
	case '<':
		switch (NEXT(i + 1)) {
		case '(':
			return lex_word(p, t, i, lf);
		case '<': {
			size_t j1 = j;
			int d = NEXT(j1 + 1);
			if (d == '<') {
				t->end = j + 1;
			} else if (d == '-') {
				t->redir = R_HEREDOC_STRIP;
				t->end = j + 1;
			} else {
				t->redir = R_HEREDOC;
				t->end = j1 + 1;
			}
			break;
		}
		case '&':
		case '>':
			t->end = j + 1;
			break;
		default:
			t->redir = R_LESS;
			t->end = i + 1;
			break;
		}
		break;
	case '>':
		switch (NEXT(i + 1)) {
		case '(':
			return lex_word(p, t, i, lf);
		case '>':
		case '&':
		case '|':
			t->end = j + 1;
			break;
		default:
			t->redir = R_GREAT;
			t->end = i + 1;
			break;
		}
		break;
	default:
		return lex_word(p, t, i, lf);
	}
#undef NEXT
	p->pos = t->end;
	return 0;
}

/* ---- token helpers for the parser ------------------------------------------- */

static int peek(struct parser *p, unsigned lf, const struct token **out)
{
	int r;

	if (!p->la_valid) {
		struct token t;
		if ((r = lex(p, &t, lf)) < 0)
			return r;
		p->la = t;
		p->la_valid = 1;
	}
	*out = &p->la;
	return 0;
}

static void consume(struct parser *p)
{
	p->la_valid = 0;
	p->last_end = p->la.end;
}

/* Is T the unquoted word KW? */
static int word_is(const struct parser *p, const struct token *t, const char *kw)
{
	size_t i, n = strlen(kw);

	if (t->type != T_WORD || (t->flags & (WF_QUOTED | WF_EXPAND | WF_IONUM)))
		return 0;
	if (!(t->flags & WF_CONT))
		return t->end - t->start == n && !memcmp(p->buf + t->start, kw, n);
	for (i = t->start; i < t->end; i++) {
		if (i + 1 < t->end && p->buf[i] == '\\' && p->buf[i + 1] == '\n') {
			i++;
			continue;
		}
		if (!*kw || *kw++ != p->buf[i])
			return 0;
	}
	return !*kw;
}

static int word_in(const struct parser *p, const struct token *t, const char *const *list)
{
	for (; *list; list++)
		if (word_is(p, t, *list))
			return 1;
	return 0;
}

/* Reserved words that end a list and cannot start a command. */
static const char *const closers[] = { "then", "else", "elif", "fi", "do", "done",
				       "esac", "}",    "in",   "]]", NULL };

/* Reserved words that start a compound command. */
static const char *const compound_starts[] = { "if",   "while", "until", "for", "select",
					       "case", "{",	"[[",	 NULL };

static int starts_command(const struct parser *p, const struct token *t)
{
	if (t->type == T_LPAREN || t->type == T_REDIR)
		return 1;
	return t->type == T_WORD && !word_in(p, t, closers);
}

static int skip_newlines(struct parser *p, unsigned lf)
{
	const struct token *t;
	int r;

	for (;;) {
		if ((r = peek(p, lf, &t)) < 0)
			return r;
		if (t->type != T_NEWLINE)
			return 0;
		consume(p);
	}
}

static int expect_word(struct parser *p, const char *kw)
{
	const struct token *t;
	int r;

	if ((r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if (!word_is(p, t, kw))
		return unexpected(p, t);
	consume(p);
	return 0;
}

static int expect_type(struct parser *p, enum tok_type type)
{
	const struct token *t;
	int r;

	if ((r = peek(p, 0, &t)) < 0)
		return r;
	if (t->type != type)
		return unexpected(p, t);
	consume(p);
	return 0;
}

/* ---- function records -------------------------------------------------------- */

/* Reserve the record of a definition starting at START; returns its index,
 * or -1 when definitions here do not outlive the command. */
static long func_begin(struct parser *p, const struct token *name, size_t start)
{
	struct parse_funcdef *f;
	unsigned col;

	if (p->nofunc)
		return -1;
	ALLOC_GROW(p->funcs, p->nfuncs + 1, p->funcs_alloc);
	f = &p->funcs[p->nfuncs];
	raw_value(p, name->start, name->end, &p->tmp);
	f->name = xstrdup(p->tmp.buf);
	f->offset = start;
	f->len = 0;
	pos_to_linecol(p, start, &f->line, &col);
	return (long)p->nfuncs++;
}

static void func_end(struct parser *p, long idx)
{
	if (idx >= 0 && (size_t)idx < p->nfuncs)
		p->funcs[idx].len = p->last_end - p->funcs[idx].offset;
}

/* Forget definitions from MARK on: they run in a subshell (a pipeline of
 * several commands, or an asynchronous list). */
static void func_truncate(struct parser *p, size_t mark)
{
	while (p->nfuncs > mark)
		free(p->funcs[--p->nfuncs].name);
}

/* ---- the grammar ----------------------------------------------------------------- */

static int parse_redirect(struct parser *p)
{
	const struct token *t;
	struct token op;
	int r;

	if ((r = peek(p, 0, &t)) < 0)
		return r;
	if (t->type == T_WORD) { /* the N of N> or {var} of {var}> */
		consume(p);
		if ((r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type != T_REDIR)
			return unexpected(p, t);
	}
	op = *t;
	consume(p);
	if ((r = peek(p, 0, &t)) < 0)
		return r;
	if (t->type != T_WORD)
		return unexpected(p, t);
	consume(p);
	if (op.redir == R_HEREDOC || op.redir == R_HEREDOC_STRIP) {
		struct heredoc *hd;
		int quoted;

		/* Recorded before the next token is read: that may be the
		 * newline after which the body starts. */
		heredoc_delim(p, p->la.start, p->la.end, &p->tmp, &quoted);
		ALLOC_GROW(p->hd, p->nhd + 1, p->hd_alloc);
		hd = &p->hd[p->nhd++];
		hd->delim_len = p->tmp.len;
		hd->delim = xstrdup(p->tmp.buf);
		hd->strip = op.redir == R_HEREDOC_STRIP;
		hd->quoted = quoted;
		hd->op = op.start;
	}
	return 0;
}

static int is_redirect(const struct token *t)
{
	return t->type == T_REDIR || (t->type == T_WORD && (t->flags & WF_IONUM));
}

static int parse_redirects(struct parser *p)
{
	const struct token *t;
	int r;

	for (;;) {
		if ((r = peek(p, 0, &t)) < 0)
			return r;
		if (!is_redirect(t))
			return 0;
		if ((r = parse_redirect(p)) < 0)
			return r;
	}
}

/*
 * compound_list: newlines, then and-or lists separated by ; & or newlines.
 * Stops (without consuming) at the first token that cannot start a
 * command; the caller checks it is the one it wants.
 */
static int parse_compound_list(struct parser *p, int allow_empty)
{
	const struct token *t;
	int r;

	if ((r = skip_newlines(p, LX_CMD)) < 0 || (r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if (!starts_command(p, t))
		return allow_empty ? 0 : unexpected(p, t);
	for (;;) {
		size_t mark = p->nfuncs;

		if ((r = parse_and_or(p)) < 0 || (r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type != T_SEMI && t->type != T_AMP && t->type != T_NEWLINE)
			return 0;
		if (t->type == T_AMP)
			func_truncate(p, mark);
		consume(p);
		if ((r = skip_newlines(p, LX_CMD)) < 0 || (r = peek(p, LX_CMD, &t)) < 0)
			return r;
		if (!starts_command(p, t))
			return 0;
	}
}

/* A compound list that must be followed by the reserved word KW. */
static int parse_list_until(struct parser *p, const char *kw)
{
	int r;

	if ((r = parse_compound_list(p, 0)) < 0)
		return r;
	return expect_word(p, kw);
}

static int parse_if(struct parser *p)
{
	const struct token *t;
	int r;

	consume(p);
	if ((r = parse_list_until(p, "then")) < 0 || (r = parse_compound_list(p, 0)) < 0)
		return r;
	for (;;) {
		if ((r = peek(p, LX_CMD, &t)) < 0)
			return r;
		if (word_is(p, t, "elif")) {
			consume(p);
			if ((r = parse_list_until(p, "then")) < 0 ||
			    (r = parse_compound_list(p, 0)) < 0)
				return r;
		} else if (word_is(p, t, "else")) {
			consume(p);
			return parse_list_until(p, "fi");
		} else if (word_is(p, t, "fi")) {
			consume(p);
			return 0;
		} else {
			return unexpected(p, t);
		}
	}
}

static int parse_while(struct parser *p)
{
	int r;

	consume(p);
	if ((r = parse_list_until(p, "do")) < 0)
		return r;
	return parse_list_until(p, "done");
}

/* do ... done, or { ... } (for and select). */
static int parse_loop_body(struct parser *p)
{
	const struct token *t;
	int r;

	if ((r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if (word_is(p, t, "do")) {
		consume(p);
		return parse_list_until(p, "done");
	}
	if (word_is(p, t, "{")) {
		consume(p);
		return parse_list_until(p, "}");
	}
	return unexpected(p, t);
}

/*
 * At a `(' immediately followed by `(': read up to the matching `)' as
 * bash's parse_arith_cmd() does.  If another `)' follows, it was an
 * arithmetic command (*IS_ARITH = 1, consumed); otherwise it is a subshell
 * starting with a subshell, and the lookahead `(' is left in place.
 *
 * As in bash, the text scan sees what the subshell's grammar does not
 * (parens and quotes in comments, parens inside $[ ]): after `((a #(' the
 * scan may end lines after the subshell does, so that command's text
 * alone is incomplete (for bash too).
 */
static int try_arith(struct parser *p, int *is_arith, size_t *content, size_t *content_end)
{
	struct token la = p->la;
	size_t i = skip_conts(p, la.end) + 1, nhd = p->nhd, close;
	int r;

	*is_arith = 0;
	*content = i;
	/* An earlier scan passed this `(' and saw where it closes: if that is
	 * not `))', this is a subshell, and scanning again would make nested or
	 * chained `((' quadratic. */
	if (pm_get(p, i - 1, &close) && !(close + 1 < p->end && p->buf[close + 1] == ')'))
		return 0;
	p->la_valid = 0;
	if ((r = scan_matched(p, &i, '(', ')', SM_ARITH | SM_RECORD, la.start)) < 0)
		return r;
	*content_end = i - 1;
	if (i < p->end && p->buf[i] == ')') {
		*is_arith = 1;
		p->pos = i + 1;
		p->last_end = i + 1;
		return 0;
	}
	/* Read again as a subshell: forget here-documents seen on the way. */
	while (p->nhd > nhd)
		free(p->hd[--p->nhd].delim);
	p->la = la;
	p->la_valid = 1;
	p->pos = la.end;
	return 0;
}

/* Count the `;' of for (( ; ; )) at the top level of the expression. */
static int check_arith_for(struct parser *p, size_t s, size_t e, size_t pos)
{
	const char *b = p->buf;
	int depth = 0, n = 0;
	char q = 0;
	size_t i;

	for (i = s; i < e; i++) {
		char c = b[i];
		if (c == '\\') {
			i++;
		} else if (q) {
			if (c == q)
				q = 0;
		} else if (c == '\'' || c == '"' || c == '`') {
			q = c;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			depth--;
		} else if (c == ';' && depth == 0) {
			n++;
		}
	}
	if (n < 2)
		return set_error(p, CAIRN_ESYNTAX, pos,
				 "syntax error: arithmetic expression required");
	if (n > 2)
		return set_error(p, CAIRN_ESYNTAX, pos, "syntax error: `;' unexpected");
	return 0;
}

static int parse_for(struct parser *p, int is_select)
{
	const struct token *t;
	int r;

	consume(p);
	if ((r = peek(p, 0, &t)) < 0)
		return r;
	if (!is_select && t->type == T_LPAREN && skip_conts(p, t->end) < p->end &&
	    p->buf[skip_conts(p, t->end)] == '(') {
		size_t at = t->start, cs, ce;
		int arith;

		if ((r = try_arith(p, &arith, &cs, &ce)) < 0)
			return r;
		if (!arith)
			/* bash -n says nothing here, but bash stops reading the
			 * script at this point as if it had ended. */
			return set_error(p, CAIRN_ESYNTAX, at,
					 "syntax error: `))' expected to end arithmetic for");
		if ((r = check_arith_for(p, cs, ce, at)) < 0 || (r = peek(p, LX_CMD, &t)) < 0)
			return r;
		if (t->type == T_SEMI || t->type == T_NEWLINE) {
			consume(p);
			if ((r = skip_newlines(p, LX_CMD)) < 0)
				return r;
		}
		return parse_loop_body(p);
	}
	if (t->type != T_WORD)
		return unexpected(p, t);
	consume(p);
	if ((r = skip_newlines(p, LX_CMD)) < 0 || (r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if (word_is(p, t, "in")) {
		consume(p);
		for (;;) {
			if ((r = peek(p, 0, &t)) < 0)
				return r;
			if (t->type == T_WORD) {
				consume(p);
				continue;
			}
			if (t->type == T_SEMI || t->type == T_NEWLINE) {
				consume(p);
				break;
			}
			if (t->type == T_EOF)
				break;
			return unexpected(p, t);
		}
		if ((r = skip_newlines(p, LX_CMD)) < 0)
			return r;
	} else if (t->type == T_SEMI) {
		consume(p);
		if ((r = skip_newlines(p, LX_CMD)) < 0)
			return r;
	}
	return parse_loop_body(p);
}

static int parse_case(struct parser *p)
{
	const struct token *t;
	int r;

	consume(p);
	if ((r = peek(p, 0, &t)) < 0)
		return r;
	if (t->type != T_WORD)
		return unexpected(p, t);
	consume(p);
	if ((r = skip_newlines(p, 0)) < 0 || (r = expect_word(p, "in")) < 0)
		return r;
	for (;;) {
		if ((r = skip_newlines(p, 0)) < 0 || (r = peek(p, 0, &t)) < 0)
			return r;
		if (word_is(p, t, "esac")) {
			consume(p);
			return 0;
		}
		if (t->type == T_LPAREN) {
			consume(p);
			if ((r = peek(p, 0, &t)) < 0)
				return r;
		}
		/* pattern [| pattern]... ) */
		for (;;) {
			if (t->type != T_WORD)
				return unexpected(p, t);
			consume(p);
			if ((r = peek(p, 0, &t)) < 0)
				return r;
			if (t->type == T_RPAREN) {
				consume(p);
				break;
			}
			if (t->type != T_PIPE)
				return unexpected(p, t);
			consume(p);
			if ((r = peek(p, 0, &t)) < 0)
				return r;
		}
		if ((r = parse_compound_list(p, 1)) < 0 || (r = peek(p, LX_CMD, &t)) < 0)
			return r;
		if (t->type == T_DSEMI || t->type == T_SEMI_AND || t->type == T_DSEMI_AND) {
			consume(p);
			continue;
		}
		if (word_is(p, t, "esac")) {
			consume(p);
			return 0;
		}
		return unexpected(p, t);
	}
}

static int parse_group(struct parser *p)
{
	consume(p);
	return parse_list_until(p, "}");
}

static int parse_subshell(struct parser *p)
{
	int r;

	consume(p);
	p->nofunc++;
	if ((r = parse_compound_list(p, 0)) < 0 || (r = expect_type(p, T_RPAREN)) < 0)
		return r;
	p->nofunc--;
	return 0;
}

/* ---- [[ ... ]] ---- */

static int is_unop(const struct parser *p, const struct token *t)
{
	static const char *const ops[] = { "-a", "-b", "-c", "-d", "-e", "-f", "-g", "-h", "-k",
					   "-n", "-o", "-p", "-r", "-s", "-t", "-u", "-v", "-w",
					   "-x", "-z", "-G", "-L", "-N", "-O", "-R", "-S", NULL };
	return word_in(p, t, ops);
}

static int is_binop(const struct parser *p, const struct token *t)
{
	static const char *const ops[] = { "=",	  "==",	 "!=",	"<",   ">",   "-eq", "-ne", "-lt",
					   "-le", "-gt", "-ge", "-nt", "-ot", "-ef", "=~",  NULL };
	return word_in(p, t, ops);
}

static int is_cond_end(const struct parser *p, const struct token *t)
{
	return word_is(p, t, "]]");
}

/* "PRE`TOKEN'POST", as bash words its [[ ]] errors. */
static int cond_error(struct parser *p, const struct token *t, const char *pre, const char *post)
{
	if (t->type == T_EOF)
		return eof_error(p);
	token_text(p, t, &p->tmp);
	return set_error(p, CAIRN_ESYNTAX, t->start, "%s`%s'%s", pre, p->tmp.buf, post);
}

static int cond_or(struct parser *p);

/* After bash's cond_term(); leaves the next token in the lookahead. */
static int cond_term(struct parser *p)
{
	const struct token *t;
	int r;

	if ((r = enter(p, p->pos)) < 0 || (r = skip_newlines(p, 0)) < 0 || (r = peek(p, 0, &t)) < 0)
		return r;
	if (is_cond_end(p, t)) {
		/* `[[ ]]': bash -n lets it through. */
	} else if (t->type == T_LPAREN) {
		consume(p);
		if ((r = cond_or(p)) < 0 || (r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type != T_RPAREN)
			return cond_error(p, t, "unexpected token ", ", expected `)'");
		consume(p);
		if ((r = skip_newlines(p, 0)) < 0)
			return r;
	} else if (word_is(p, t, "!")) {
		consume(p);
		if ((r = cond_term(p)) < 0)
			return r;
	} else if (is_unop(p, t)) {
		consume(p);
		if ((r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type != T_WORD || is_cond_end(p, t))
			return cond_error(p, t, "unexpected argument ",
					  " to conditional unary operator");
		consume(p);
		if ((r = skip_newlines(p, 0)) < 0)
			return r;
	} else if (t->type == T_WORD) {
		int regex;

		consume(p);
		if ((r = peek(p, 0, &t)) < 0)
			return r;
		if (is_cond_end(p, t) || t->type == T_AND_AND || t->type == T_OR_OR ||
		    t->type == T_RPAREN) {
			leave(p);
			return 0;
		}
		if (!(t->type == T_WORD && is_binop(p, t)) &&
		    !(t->type == T_REDIR && (t->redir == R_LESS || t->redir == R_GREAT))) {
			if (t->type == T_WORD)
				return set_error(p, CAIRN_ESYNTAX, t->start,
						 "conditional binary operator expected");
			return cond_error(p, t, "unexpected token ",
					  ", conditional binary operator expected");
		}
		regex = word_is(p, t, "=~");
		consume(p);
		if ((r = peek(p, regex ? LX_REGEX : 0, &t)) < 0)
			return r;
		if (t->type != T_WORD || is_cond_end(p, t))
			return cond_error(p, t, "unexpected argument ",
					  " to conditional binary operator");
		consume(p);
		if ((r = skip_newlines(p, 0)) < 0)
			return r;
	} else {
		return cond_error(p, t, "unexpected token ", " in conditional command");
	}
	leave(p);
	return 0;
}

static int cond_and(struct parser *p)
{
	const struct token *t;
	int r;

	for (;;) {
		if ((r = cond_term(p)) < 0 || (r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type != T_AND_AND)
			return 0;
		consume(p);
	}
}

static int cond_or(struct parser *p)
{
	const struct token *t;
	int r;

	for (;;) {
		if ((r = cond_and(p)) < 0 || (r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type != T_OR_OR)
			return 0;
		consume(p);
	}
}

static int parse_cond(struct parser *p)
{
	const struct token *t;
	int r;

	push_open(p, OC_COND, p->la.start);
	consume(p);
	if ((r = cond_or(p)) < 0 || (r = peek(p, 0, &t)) < 0)
		return r;
	if (!is_cond_end(p, t))
		return cond_error(p, t, "syntax error in conditional expression: unexpected token ",
				  "");
	consume(p);
	pop_open(p);
	return 0;
}

/* Is T the start of a compound command (as the body of a function or a
 * coproc)? */
static int is_compound_start(const struct parser *p, const struct token *t)
{
	return t->type == T_LPAREN || word_in(p, t, compound_starts);
}

/* Parse the compound command starting at the lookahead T (which
 * is_compound_start() accepted), without the redirections after it. */
static int parse_compound(struct parser *p, const struct token *t)
{
	int r;

	push_open(p, OC_GENERIC, t->start);
	if (t->type == T_LPAREN) {
		size_t j = skip_conts(p, t->end);
		int arith = 0;
		size_t cs, ce;

		if (j < p->end && p->buf[j] == '(' && (r = try_arith(p, &arith, &cs, &ce)) < 0)
			return r;
		r = arith ? 0 : parse_subshell(p);
	} else if (word_is(p, t, "if")) {
		r = parse_if(p);
	} else if (word_is(p, t, "while") || word_is(p, t, "until")) {
		r = parse_while(p);
	} else if (word_is(p, t, "for")) {
		r = parse_for(p, 0);
	} else if (word_is(p, t, "select")) {
		r = parse_for(p, 1);
	} else if (word_is(p, t, "case")) {
		r = parse_case(p);
	} else if (word_is(p, t, "{")) {
		r = parse_group(p);
	} else {
		r = parse_cond(p);
	}
	if (r < 0)
		return r;
	pop_open(p);
	return 0;
}

/* After `name ( )' or `function name [( )]': newlines, a compound
 * command, redirections.  IDX is the function's record. */
static int parse_function_body(struct parser *p, long idx)
{
	const struct token *t;
	int r;

	if ((r = skip_newlines(p, LX_CMD)) < 0 || (r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if (!is_compound_start(p, t))
		return unexpected(p, t);
	if ((r = parse_compound(p, t)) < 0 || (r = parse_redirects(p)) < 0)
		return r;
	func_end(p, idx);
	return 0;
}

static int parse_function_kw(struct parser *p)
{
	const struct token *t;
	struct token name;
	size_t start = p->la.start;
	long idx;
	int r;

	push_open(p, OC_GENERIC, start);
	consume(p);
	if ((r = peek(p, 0, &t)) < 0)
		return r;
	if (t->type != T_WORD)
		return unexpected(p, t);
	name = *t;
	consume(p);
	if ((r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if (t->type == T_LPAREN &&
	    !(skip_conts(p, t->end) < p->end && p->buf[skip_conts(p, t->end)] == '(')) {
		consume(p);
		if ((r = expect_type(p, T_RPAREN)) < 0)
			return r;
	}
	idx = func_begin(p, &name, start);
	if ((r = parse_function_body(p, idx)) < 0)
		return r;
	pop_open(p);
	return 0;
}

static int is_decl_builtin(const struct parser *p, const struct token *t)
{
	static const char *const decl[] = { "declare", "typeset", "local", "export", "readonly",
					    "alias",   "eval",	  "let",   NULL };
	return word_in(p, t, decl);
}

/* Does the raw word look like an assignment (name=, name+=, name[..]=)? */
static int is_assignment(const struct parser *p, const struct token *t)
{
	const char *b = p->buf;
	size_t i;

	if (t->flags & WF_IONUM)
		return 0;
	for (i = t->start; i < t->end; i++) {
		if (b[i] == '=')
			return i > t->start && is_assign_prefix(p, t->start, i);
		if (b[i] == '[') {
			/* Skip the subscript (read as one matched pair). */
			int depth = 0;
			for (; i < t->end; i++) {
				if (b[i] == '[')
					depth++;
				else if (b[i] == ']' && --depth == 0)
					break;
			}
			continue;
		}
		if (!is_name_char((unsigned char)b[i]) && b[i] != '+' && b[i] != '\\' &&
		    b[i] != '\n')
			return 0;
	}
	return 0;
}

/*
 * A simple command: assignments, words and redirections.  FIRST, if not
 * NULL, is its already consumed first word (after `coproc').  A first word
 * followed by `(' starts a function definition.
 */
static int parse_simple_command(struct parser *p, const struct token *first)
{
	const struct token *t;
	struct token name;
	int have_cmd = 0, decl = 0, nelems = 0, r;

	if (first) {
		have_cmd = 1;
		decl = is_decl_builtin(p, first);
		nelems = 1;
	}
	for (;;) {
		unsigned lf = !have_cmd ? LX_CMD : decl ? LX_ASSIGNOK : 0;

		if ((r = peek(p, lf, &t)) < 0)
			return r;
		if (is_redirect(t)) {
			if ((r = parse_redirect(p)) < 0)
				return r;
			nelems++;
			continue;
		}
		if (t->type == T_LPAREN)
			return unexpected(p, t);
		if (t->type != T_WORD)
			return 0;
		if (have_cmd || is_assignment(p, t)) {
			consume(p);
			nelems++;
			continue;
		}
		have_cmd = 1;
		decl = is_decl_builtin(p, t);
		name = *t;
		consume(p);
		if (nelems++ == 0) {
			if ((r = peek(p, decl ? LX_ASSIGNOK : 0, &t)) < 0)
				return r;
			if (t->type == T_LPAREN) {
				long idx;

				push_open(p, OC_GENERIC, name.start);
				consume(p);
				if ((r = expect_type(p, T_RPAREN)) < 0)
					return r;
				idx = func_begin(p, &name, name.start);
				if ((r = parse_function_body(p, idx)) < 0)
					return r;
				pop_open(p);
				return 0;
			}
		}
	}
}

static int parse_coproc(struct parser *p)
{
	const struct token *t;
	struct token name;
	int r;

	consume(p);
	p->nofunc++;
	if ((r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if (is_compound_start(p, t)) {
		if ((r = parse_compound(p, t)) < 0 || (r = parse_redirects(p)) < 0)
			return r;
	} else if (t->type == T_WORD && !is_redirect(t)) {
		if (word_in(p, t, closers))
			return unexpected(p, t);
		name = *t;
		consume(p);
		if ((r = peek(p, LX_CMD, &t)) < 0)
			return r;
		if (is_compound_start(p, t)) {
			if ((r = parse_compound(p, t)) < 0 || (r = parse_redirects(p)) < 0)
				return r;
		} else if ((r = parse_simple_command(p, &name)) < 0) {
			return r;
		}
	} else if (t->type != T_REDIR) {
		return unexpected(p, t);
	} else if ((r = parse_simple_command(p, NULL)) < 0) {
		return r;
	}
	p->nofunc--;
	return 0;
}

static int parse_command(struct parser *p)
{
	const struct token *t;
	int r;

	if ((r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if ((r = enter(p, t->start)) < 0)
		return r;
	if (is_compound_start(p, t)) {
		if ((r = parse_compound(p, t)) < 0 || (r = parse_redirects(p)) < 0)
			return r;
	} else if (word_is(p, t, "function")) {
		if ((r = parse_function_kw(p)) < 0)
			return r;
	} else if (word_is(p, t, "coproc")) {
		if ((r = parse_coproc(p)) < 0)
			return r;
	} else if (word_in(p, t, closers) || word_is(p, t, "!")) {
		return unexpected(p, t);
	} else if (t->type == T_WORD || t->type == T_REDIR) {
		if ((r = parse_simple_command(p, NULL)) < 0)
			return r;
	} else {
		return unexpected(p, t);
	}
	leave(p);
	return 0;
}

/* pipeline: command [| command]...; several commands run in subshells. */
static int parse_pipeline(struct parser *p)
{
	const struct token *t;
	size_t mark = p->nfuncs;
	int n = 1, r;

	if ((r = parse_command(p)) < 0)
		return r;
	for (;;) {
		if ((r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type != T_PIPE && t->type != T_PIPE_AMP)
			break;
		push_open(p, OC_GENERIC, t->start);
		consume(p);
		if ((r = skip_newlines(p, LX_CMD)) < 0 || (r = parse_command(p)) < 0)
			return r;
		pop_open(p);
		n++;
	}
	if (n > 1)
		func_truncate(p, mark);
	return 0;
}

/* [!] [time [-p] [--]] pipeline; `!' and `time' may also stand alone. */
static int parse_pipeline_cmd(struct parser *p)
{
	const struct token *t;
	int r;

	if ((r = peek(p, LX_CMD, &t)) < 0)
		return r;
	if (word_is(p, t, "!") || word_is(p, t, "time")) {
		int is_time = word_is(p, t, "time");

		if ((r = enter(p, t->start)) < 0)
			return r;
		consume(p);
		if ((r = peek(p, LX_CMD, &t)) < 0)
			return r;
		if (is_time && word_is(p, t, "-p")) {
			consume(p);
			if ((r = peek(p, LX_CMD, &t)) < 0)
				return r;
		}
		if (is_time && word_is(p, t, "--")) {
			consume(p);
			if ((r = peek(p, LX_CMD, &t)) < 0)
				return r;
		}
		if (t->type != T_SEMI && t->type != T_NEWLINE && t->type != T_EOF &&
		    (r = parse_pipeline_cmd(p)) < 0)
			return r;
		leave(p);
		return 0;
	}
	return parse_pipeline(p);
}

static int parse_and_or(struct parser *p)
{
	const struct token *t;
	int r;

	if ((r = parse_pipeline_cmd(p)) < 0)
		return r;
	for (;;) {
		if ((r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type != T_AND_AND && t->type != T_OR_OR)
			return 0;
		push_open(p, OC_GENERIC, t->start);
		consume(p);
		if ((r = skip_newlines(p, LX_CMD)) < 0 || (r = parse_pipeline_cmd(p)) < 0)
			return r;
		pop_open(p);
	}
}

/*
 * $( ) or <( ) >( ): the full grammar, up to the `)'.  *IP is just past the
 * `('; on return it is just past the `)'.  Here-documents started inside
 * belong inside (bash saves and clears its pending list); any still
 * pending at the `)' join the enclosing level's and are read after its
 * next newline, as bash does (with a warning).
 *
 * Like bash's parse_comsub(), a second `(' right after the first makes it
 * arithmetic text, whatever follows (POSIX interp 217): $(( )), and also
 * <(( )) and >(( )).
 */
static int parse_comsub(struct parser *p, size_t *ip, size_t open_pos)
{
	size_t saved_base = p->hd_base, j = skip_conts(p, *ip);
	int r;

	if (j < p->end && p->buf[j] == '(')
		return scan_matched(p, ip, '(', ')', SM_ARITH, open_pos);
	if ((r = enter(p, open_pos)) < 0)
		return r;
	push_open(p, OC_RPAREN, open_pos);
	p->hd_base = p->nhd;
	p->nofunc++;
	p->pos = *ip;
	p->la_valid = 0;
	if ((r = parse_compound_list(p, 1)) < 0 || (r = expect_type(p, T_RPAREN)) < 0)
		return r;
	p->hd_base = saved_base;
	p->nofunc--;
	pop_open(p);
	leave(p);
	*ip = p->pos;
	return 0;
}

/* name=( words ): *IP is just past the `('. */
static int parse_array(struct parser *p, size_t *ip, size_t open_pos)
{
	struct token t;
	int r;

	if ((r = enter(p, open_pos)) < 0)
		return r;
	push_open(p, OC_RPAREN, open_pos);
	p->pos = *ip;
	for (;;) {
		if ((r = lex(p, &t, LX_COMPASSIGN)) < 0)
			return r;
		if (t.type == T_RPAREN)
			break;
		if (t.type == T_EOF)
			return eof_error(p);
		if (t.type != T_WORD && t.type != T_NEWLINE)
			return unexpected(p, &t);
	}
	pop_open(p);
	leave(p);
	*ip = p->pos;
	return 0;
}

/* ---- top level ------------------------------------------------------------------- */

static void add_directive(struct parser *p, struct parse_result *out, size_t hash, size_t eol)
{
	struct parse_directive *d;
	size_t s = hash + 7, e = eol;

	while (s < e && strchr(" \t\r\v\f", p->buf[s]))
		s++;
	while (e > s && strchr(" \t\r\v\f", p->buf[e - 1]))
		e--;
	ALLOC_GROW(out->trailing, out->ntrailing + 1, p->trailing_alloc);
	d = &out->trailing[out->ntrailing++];
	d->text = xstrndup(p->buf + s, e - s);
	pos_to_linecol(p, hash, &d->line, &d->col);
}

/*
 * Between commands: blanks, newlines, comments (recording #cairn:
 * directives).  Returns 1 at the end of input, 0 before a command.
 */
static int skip_toplevel(struct parser *p, struct parse_result *out)
{
	const char *b = p->buf;
	size_t i = p->pos;
	int line_start = 1;

	for (;;) {
		if (i >= p->end) {
			p->pos = i;
			if (p->end < p->len)
				return set_error(p, CAIRN_ESYNTAX, p->end, "NUL byte in input");
			return 1;
		}
		if (is_blank(b[i])) {
			i++;
		} else if (b[i] == '\n') {
			i++;
			line_start = 1;
		} else if (b[i] == '\\' && (i + 1 >= p->end || b[i + 1] == '\n')) {
			if (i + 2 >= p->end)
				return cont_eof_error(p, i);
			i += 2;
		} else if (b[i] == '#') {
			const char *nl = memchr(b + i, '\n', p->end - i);
			size_t e = nl ? (size_t)(nl - b) : p->end;

			if (line_start && e - i >= 7 && !memcmp(b + i, "#cairn:", 7))
				add_directive(p, out, i, e);
			i = e;
		} else {
			p->pos = i;
			return 0;
		}
	}
}

static int parse_toplevel(struct parser *p, struct parse_result *out)
{
	const struct token *t;
	struct parse_cmd *cmd;
	size_t start, end;
	int r;

	if ((r = peek(p, LX_CMD, &t)) < 0)
		return r;
	start = t->start;
	for (;;) {
		size_t mark = p->nfuncs;

		if ((r = parse_and_or(p)) < 0 || (r = peek(p, 0, &t)) < 0)
			return r;
		if (t->type == T_SEMI || t->type == T_AMP) {
			if (t->type == T_AMP)
				func_truncate(p, mark);
			consume(p);
			if ((r = peek(p, LX_CMD, &t)) < 0)
				return r;
			if (t->type == T_NEWLINE || t->type == T_EOF)
				break;
			continue;
		}
		if (t->type == T_NEWLINE || t->type == T_EOF)
			break;
		return unexpected(p, t);
	}
	if (t->type == T_NEWLINE)
		end = t->has_hd ? t->hd_end : t->start;
	else
		end = p->last_end;
	consume(p);

	ALLOC_GROW(out->cmds, out->nr + 1, out->alloc);
	cmd = &out->cmds[out->nr++];
	memset(cmd, 0, sizeof(*cmd));
	cmd->offset = start;
	cmd->len = end - start;
	pos_to_linecol(p, start, &cmd->line, &cmd->col);
	{
		unsigned col;
		pos_to_linecol(p, end > start ? end - 1 : start, &cmd->end_line, &col);
	}
	cmd->directives = out->trailing;
	cmd->ndirectives = out->ntrailing;
	out->trailing = NULL;
	out->ntrailing = 0;
	p->trailing_alloc = 0;
	cmd->funcs = p->funcs;
	cmd->nfuncs = p->nfuncs;
	p->funcs = NULL;
	p->nfuncs = p->funcs_alloc = 0;
	return 0;
}

static void build_lines(struct parser *p)
{
	size_t alloc = 0, i = 0;
	const char *nl;

	ALLOC_GROW(p->lines, 1, alloc);
	p->lines[p->nlines++] = 0;
	while (i < p->len && (nl = memchr(p->buf + i, '\n', p->len - i))) {
		i = (size_t)(nl - p->buf) + 1;
		ALLOC_GROW(p->lines, p->nlines + 1, alloc);
		p->lines[p->nlines++] = i;
	}
}

int shell_parse(struct parse_result *out, const char *buf, size_t len, unsigned first_line)
{
	struct parser p;
	const char *nul;
	size_t k;
	int r;

	memset(&p, 0, sizeof(p));
	p.buf = buf ? buf : "";
	p.len = buf ? len : 0;
	nul = memchr(p.buf, '\0', p.len);
	p.end = nul ? (size_t)(nul - p.buf) : p.len;
	p.first_line = first_line;
	strbuf_init(&p.tmp, 0);
	build_lines(&p);

	for (;;) {
		if ((r = skip_toplevel(&p, out)) < 0)
			break;
		if (r == 1) {
			r = 0;
			break;
		}
		if ((r = parse_toplevel(&p, out)) < 0)
			break;
	}

	if (r < 0) {
		unsigned line, col;

		pos_to_linecol(&p, p.err_pos, &line, &col);
		out->err_line = line;
		out->err_col = col;
		out->err_msg = p.err_msg;
		p.err_msg = NULL;
		err_set(r, "%u:%u: %s", line, col, out->err_msg);
	}

	func_truncate(&p, 0);
	free(p.funcs);
	for (k = 0; k < p.nhd; k++)
		free(p.hd[k].delim);
	free(p.hd);
	free(p.open);
	free(p.pm);
	free(p.pstack);
	free(p.lines);
	free(p.err_msg);
	strbuf_release(&p.tmp);
	return r;
}

static void release_directives(struct parse_directive *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(d[i].text);
	free(d);
}

void parse_result_release(struct parse_result *r)
{
	size_t i, j;

	for (i = 0; i < r->nr; i++) {
		struct parse_cmd *c = &r->cmds[i];

		release_directives(c->directives, c->ndirectives);
		for (j = 0; j < c->nfuncs; j++)
			free(c->funcs[j].name);
		free(c->funcs);
	}
	free(r->cmds);
	release_directives(r->trailing, r->ntrailing);
	free(r->err_msg);
	memset(r, 0, sizeof(*r));
}
