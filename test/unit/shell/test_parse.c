/*
 * test_parse.c - unit tests for shell_parse(): command splitting, offsets
 * and lines, function records, directives, syntax errors and incomplete
 * input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "parse.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ---------------------------------------------------------- */

static int parse(struct parse_result *res, const char *src)
{
	return shell_parse(res, src, strlen(src), 1);
}

static char *cmd_text(const char *src, const struct parse_cmd *c)
{
	return xstrndup(src + c->offset, c->len);
}

/* SRC parses into exactly the commands TEXTS (NULL-terminated). */
static void check_split(const char *src, const char *const *texts)
{
	struct parse_result res = PARSE_RESULT_INIT;
	size_t n = 0, i;
	int r = parse(&res, src);

	if (r != 0)
		fail_msg("parse of [%s] failed: %u:%u: %s", src, res.err_line, res.err_col,
			 res.err_msg);
	while (texts[n])
		n++;
	if (res.nr != n)
		fail_msg("[%s]: %zu commands, expected %zu", src, res.nr, n);
	for (i = 0; i < n; i++) {
		char *t = cmd_text(src, &res.cmds[i]);
		if (strcmp(t, texts[i]))
			fail_msg("[%s]: command %zu is [%s], expected [%s]", src, i, t, texts[i]);
		free(t);
	}
	parse_result_release(&res);
}

#define SPLIT(src, ...)                                                                            \
	do {                                                                                       \
		static const char *const texts_[] = { __VA_ARGS__, NULL };                         \
		check_split((src), texts_);                                                        \
	} while (0)

/* SRC is one command spanning all of it (minus a final newline). */
static void check_one(const char *src)
{
	size_t n = strlen(src);
	char *whole = xstrndup(src, n && src[n - 1] == '\n' ? n - 1 : n);
	const char *texts[] = { whole, NULL };

	check_split(src, texts);
	free(whole);
}

static void check_error(const char *src, int code, unsigned line, unsigned col, const char *msg)
{
	struct parse_result res = PARSE_RESULT_INIT;
	int r = parse(&res, src);

	if (r != code)
		fail_msg("[%s]: returned %d, expected %d (%s)", src, r, code,
			 res.err_msg ? res.err_msg : "no message");
	assert_non_null(res.err_msg);
	if (strcmp(res.err_msg, msg))
		fail_msg("[%s]: message [%s], expected [%s]", src, res.err_msg, msg);
	if (res.err_line != line || res.err_col != col)
		fail_msg("[%s]: error at %u:%u, expected %u:%u", src, res.err_line, res.err_col,
			 line, col);
	parse_result_release(&res);
}

#define SYNTAX(src, line, col, msg) check_error((src), CAIRN_ESYNTAX, (line), (col), (msg))
#define INCOMPLETE(src, line, col, msg) check_error((src), CAIRN_EINCOMPLETE, (line), (col), (msg))

#define EOF_MSG "syntax error: unexpected end of file"

/* ---- splitting ---------------------------------------------------------- */

static void test_split_basic(void **state)
{
	(void)state;
	SPLIT("a; b\n", "a; b");
	SPLIT("a &\nb\n", "a &", "b");
	SPLIT("a & b\n", "a & b");
	SPLIT("a\nb\nc", "a", "b", "c");
	SPLIT("a;\n", "a;");
	SPLIT("a && b || c | d |& e\n", "a && b || c | d |& e");
	SPLIT("\n\n  \t\n# only a comment\n   # another\n", NULL);
	SPLIT("", NULL);
	SPLIT("#!/bin/bash\necho hi\n", "echo hi");
	SPLIT("echo hi # trailing comment\nx\n", "echo hi # trailing comment", "x");
	SPLIT("echo a#b ${#x} $# '#'\n", "echo a#b ${#x} $# '#'");
	SPLIT("echo a;# comment\n", "echo a;# comment");
}

static void test_split_positions(void **state)
{
	struct parse_result res = PARSE_RESULT_INIT;
	const char *src = "\n  echo a\n\tif true\n\tthen :\n\tfi  # done\n";

	(void)state;
	assert_int_equal(parse(&res, src), 0);
	assert_int_equal(res.nr, 2);
	assert_int_equal(res.cmds[0].offset, 3);
	assert_int_equal(res.cmds[0].len, 6);
	assert_int_equal(res.cmds[0].line, 2);
	assert_int_equal(res.cmds[0].col, 3);
	assert_int_equal(res.cmds[0].end_line, 2);
	assert_int_equal(res.cmds[1].offset, 11);
	assert_int_equal(res.cmds[1].line, 3);
	assert_int_equal(res.cmds[1].col, 2);
	assert_int_equal(res.cmds[1].end_line, 5);
	assert_int_equal(res.cmds[1].offset + res.cmds[1].len, strlen(src) - 1);
	parse_result_release(&res);

	/* first_line shifts every line number. */
	assert_int_equal(shell_parse(&res, "a\nb\n", 4, 10), 0);
	assert_int_equal(res.cmds[0].line, 10);
	assert_int_equal(res.cmds[1].line, 11);
	assert_int_equal(res.cmds[1].end_line, 11);
	parse_result_release(&res);
}

static void test_split_compound(void **state)
{
	(void)state;
	check_one("if true; then\n  echo a\nelif false; then echo b\nelse\n  echo c\nfi\n");
	check_one("while read -r x; do\n  echo \"$x\"\ndone < file\n");
	check_one("until false; do break; done\n");
	check_one("for x in a b \"c d\"; do\n  echo $x\ndone\n");
	check_one("for x\ndo :; done\n");
	check_one("for x\nin a b\ndo :; done\n");
	check_one("for x; do :; done\n");
	check_one("for x in; do :; done\n");
	check_one("for x in a; { echo; }\n");
	check_one("for x in do done; do :; done\n");
	check_one("for ((i=0;i<3;i++)); do\n  echo $i\ndone\n");
	check_one("for ((i=0;i<3;i++)) { :; }\n");
	check_one("for ((;;)) do break; done\n");
	check_one("select x in a b; do echo $x; break; done\n");
	check_one("{ echo a\n  echo b\n}\n");
	check_one("(\n  cd /tmp\n  ls\n)\n");
	check_one("{ { a; }; } > f\n");
	check_one("if a; then b; fi 2>&1 | tee log\n");
	SPLIT("{ echo; }\n{echo\necho }\n", "{ echo; }", "{echo", "echo }");
	SPLIT("a &&\n\n  b\nc\n", "a &&\n\n  b", "c");
	SPLIT("a |\n b\n", "a |\n b");
	SPLIT("if true; then echo a; echo done; fi\n", "if true; then echo a; echo done; fi");
	SPLIT("echo if then fi done esac in }\n", "echo if then fi done esac in }");
	check_one("while :; do echo a; echo done; done\n");
	check_one("for x in a; do echo a; done\n");
}

static void test_split_case(void **state)
{
	(void)state;
	check_one(
	    "case $x in\n  (a|b) echo ab ;;\n  c) echo c ;&\n  d) echo d ;;&\n  *) ;;\nesac\n");
	check_one("case x in esac\n");
	check_one("case x in (esac) ;; esac\n");
	check_one("case x in a|esac) ;; esac\n");
	check_one("case x\nin a) ;; esac\n");
	check_one("case x in a) echo\nesac\n");
	check_one("case x in a)\nesac\n");
	check_one("case x in a) esac\n");
	check_one("case x in a) echo esac;; esac\n");
	check_one("case x in @(a|b)) ;; !(c)) ;; esac\n");
	SPLIT("echo $(case x in a) echo;; esac)\n", "echo $(case x in a) echo;; esac)");
	SPLIT("x=$(case $y in (a) echo a;; *) echo b;; esac); echo $x\n",
	      "x=$(case $y in (a) echo a;; *) echo b;; esac); echo $x");
}

static void test_split_parens(void **state)
{
	(void)state;
	SPLIT("((a);(b))\n", "((a);(b))");
	SPLIT("((x = 1 + 2))\n((x)) && echo\n", "((x = 1 + 2))", "((x)) && echo");
	SPLIT("echo $(( (1+2) * 3 ))\n", "echo $(( (1+2) * 3 ))");
	SPLIT("echo $((echo a);(echo b))\n", "echo $((echo a);(echo b))");
	SPLIT("echo $( (echo a) )\n", "echo $( (echo a) )");
	SPLIT("echo $( echo $( echo a ) )\n", "echo $( echo $( echo a ) )");
	SPLIT("echo \"$(echo \")\")\"\n", "echo \"$(echo \")\")\"");
	SPLIT("echo $(echo # )\n)\nx\n", "echo $(echo # )\n)", "x");
	SPLIT("x=$(\n)\n", "x=$(\n)");
	SPLIT("diff <(ls a) >(cat)\n", "diff <(ls a) >(cat)");
	SPLIT("while read x; do :; done < <(printf '%s\\n' a b)\n",
	      "while read x; do :; done < <(printf '%s\\n' a b)");
	SPLIT("echo $[1+(2)]\n", "echo $[1+(2)]");
	/* <(( is arithmetic text too, as in bash. */
	SPLIT("cat <((a)+(b))\n", "cat <((a)+(b))");
	SPLIT("a | ((b)) && ! ((c))\n", "a | ((b)) && ! ((c))");
	SPLIT("echo `echo \\`echo a\\``\n", "echo `echo \\`echo a\\``");
	SPLIT("x=`echo )`\n", "x=`echo )`");
	SPLIT("echo \"`echo \\\"q\\\"`\"\n", "echo \"`echo \\\"q\\\"`\"");
}

static void test_split_cond(void **state)
{
	(void)state;
	SPLIT("[[ $x =~ ^(a|b)$ ]] && echo\n", "[[ $x =~ ^(a|b)$ ]] && echo");
	SPLIT("[[ $x =~ (a b)|c ]]\n", "[[ $x =~ (a b)|c ]]");
	SPLIT("[[ a < b ]]\n", "[[ a < b ]]");
	SPLIT("[[ -f x && ! -d y || ( a == b ) ]]\n", "[[ -f x && ! -d y || ( a == b ) ]]");
	SPLIT("[[ $x == @(a|b) ]]\n", "[[ $x == @(a|b) ]]");
	SPLIT("[[ a &&\n b ]]\n", "[[ a &&\n b ]]");
	SPLIT("[[\n a ]]\n", "[[\n a ]]");
	SPLIT("[[ a ]] > x\n", "[[ a ]] > x");
	SPLIT("echo [[ a\n", "echo [[ a");
}

static void test_split_params(void **state)
{
	(void)state;
	SPLIT("echo ${x//\\}/y}\n", "echo ${x//\\}/y}");
	SPLIT("echo \"${x:-\"nested\"}\"\n", "echo \"${x:-\"nested\"}\"");
	SPLIT("echo ${x:-$(echo })}\n", "echo ${x:-$(echo })}");
	SPLIT("echo \"${x:-'}'}\"\n", "echo \"${x:-'}'}\"");
	SPLIT(": ${NAME:=${DAEMON##*/}}\n", ": ${NAME:=${DAEMON##*/}}");
	SPLIT("echo ${#a[@]} ${a[*]:1:2} ${!p} ${x@Q}\n", "echo ${#a[@]} ${a[*]:1:2} ${!p} ${x@Q}");
	SPLIT("echo }\n", "echo }");
	SPLIT("echo $$ $$$ \"$$\"\n", "echo $$ $$$ \"$$\"");
}

static void test_split_quotes(void **state)
{
	(void)state;
	SPLIT("echo 'a\"b' \"a'b\"\n", "echo 'a\"b' \"a'b\"");
	SPLIT("echo $'it\\'s' $\"msg\"\n", "echo $'it\\'s' $\"msg\"");
	SPLIT("echo \"multi\nline\"\nx\n", "echo \"multi\nline\"", "x");
	SPLIT("echo 'single\\\nquote'\n", "echo 'single\\\nquote'");
	SPLIT("echo a \\\n  b \\\n  c\nd\n", "echo a \\\n  b \\\n  c", "d");
	SPLIT("echo \"in \\\ndquote\"\n", "echo \"in \\\ndquote\"");
	SPLIT("ec\\\nho split\n", "ec\\\nho split");
	SPLIT("echo a\\\\\nb\n", "echo a\\\\", "b");
	SPLIT("if true; then :; f\\\ni\n", "if true; then :; f\\\ni");
}

static void test_split_arrays(void **state)
{
	(void)state;
	SPLIT("a=(1 2 \"x y\")\na+=(3)\n", "a=(1 2 \"x y\")", "a+=(3)");
	SPLIT("declare -A m=([k]=v [a b]=c)\n", "declare -A m=([k]=v [a b]=c)");
	SPLIT("local -a x=(a b)\n", "local -a x=(a b)");
	SPLIT("b=(\n  one # comment )\n  two\n)\n", "b=(\n  one # comment )\n  two\n)");
	SPLIT("a[1]=x a[$i + 1]=y cmd\n", "a[1]=x a[$i + 1]=y cmd");
	SPLIT("x=1 y=(a) z=2 cmd\n", "x=1 y=(a) z=2 cmd");
	SPLIT("a=( $(echo ')') <(x) )\n", "a=( $(echo ')') <(x) )");
}

static void test_split_redirections(void **state)
{
	(void)state;
	SPLIT("exec {fd}>file\n", "exec {fd}>file");
	SPLIT("echo &>f; echo &>>f\n", "echo &>f; echo &>>f");
	SPLIT("echo >|f 2>&1 <>g 3<&- 4>&-\n", "echo >|f 2>&1 <>g 3<&- 4>&-");
	SPLIT("cat <<<\"str\"\n", "cat <<<\"str\"");
	SPLIT("ls |& cat\n", "ls |& cat");
	SPLIT("{ echo; } 2>&1 >/dev/null\n", "{ echo; } 2>&1 >/dev/null");
	SPLIT("2>/dev/null echo hi\n", "2>/dev/null echo hi");
	SPLIT("echo 2>(cat) a<(b)\n", "echo 2>(cat) a<(b)");
}

static void test_split_misc(void **state)
{
	(void)state;
	SPLIT("coproc cat\ncoproc NAME { cat; }\ncoproc { cat; }\n", "coproc cat",
	      "coproc NAME { cat; }", "coproc { cat; }");
	SPLIT("time -p ls\ntime\n! true\n! ! true\ntime ! true\n", "time -p ls", "time", "! true",
	      "! ! true", "time ! true");
	SPLIT("ls !(x).txt\necho @(a|b) +(c) *(d) ?(e)\n", "ls !(x).txt",
	      "echo @(a|b) +(c) *(d) ?(e)");
	SPLIT("echo @(a b\nc)\n", "echo @(a b\nc)");
	SPLIT("echo {a,b} a{1..3}\n", "echo {a,b} a{1..3}");
	SPLIT("a | time b\n", "a | time b");
}

/* ---- here-documents ------------------------------------------------------- */

static void test_heredoc(void **state)
{
	(void)state;
	SPLIT("cat <<EOF\nhello $x\nEOF\necho next\n", "cat <<EOF\nhello $x\nEOF", "echo next");
	SPLIT("cat <<-EOF\n\tindented\n\t\tEOF\nx\n", "cat <<-EOF\n\tindented\n\t\tEOF", "x");
	SPLIT("cat <<EOF\n\tEOF\nEOF\n", "cat <<EOF\n\tEOF\nEOF");
	SPLIT("cat <<'E'\n$x\nE\n", "cat <<'E'\n$x\nE");
	SPLIT("cat <<\"E\"\nx\nE\n", "cat <<\"E\"\nx\nE");
	SPLIT("cat <<\\E\nx\nE\n", "cat <<\\E\nx\nE");
	SPLIT("cat <<E\"O\"F\nx\nEOF\n", "cat <<E\"O\"F\nx\nEOF");
	SPLIT("cat <<$'E'\nx\nE\n", "cat <<$'E'\nx\nE");
	SPLIT("cat <<A; cat <<B\na\nA\nb\nB\nc\n", "cat <<A; cat <<B\na\nA\nb\nB", "c");
	SPLIT("cat <<EOF | grep x\nbody\nEOF\n", "cat <<EOF | grep x\nbody\nEOF");
	SPLIT("cat <<EOF && echo ok\nbody\nEOF\n", "cat <<EOF && echo ok\nbody\nEOF");
	SPLIT("cat <<EOF |\nbody\nEOF\ngrep x\n", "cat <<EOF |\nbody\nEOF\ngrep x");
	SPLIT("while read x; do\n  cat <<EOF\n$x\nEOF\ndone < f\n",
	      "while read x; do\n  cat <<EOF\n$x\nEOF\ndone < f");
	SPLIT("x=$(cat <<EOF\nhello )\nEOF\n)\necho \"$x\"\n", "x=$(cat <<EOF\nhello )\nEOF\n)",
	      "echo \"$x\"");
	SPLIT("f() {\n  cat <<EOF\nbody }\nEOF\n}\n", "f() {\n  cat <<EOF\nbody }\nEOF\n}");
	SPLIT("cat <<EOF; x=$(echo a\necho b)\nbody\nEOF\n",
	      "cat <<EOF; x=$(echo a\necho b)\nbody\nEOF");
	/* The body starts after the newline of the line, not inside quotes. */
	SPLIT("cat <<EOF; echo \"a\nb\"\nbody\nEOF\n", "cat <<EOF; echo \"a\nb\"\nbody\nEOF");
	/* Delimiter at the end of input without a newline. */
	SPLIT("cat <<EOF\nx\nEOF", "cat <<EOF\nx\nEOF");
	/* Unquoted: backslash-newline joins lines; an escaped backslash does not. */
	SPLIT("cat <<EOF\nfoo\\\nEOF\nEOF\n", "cat <<EOF\nfoo\\\nEOF\nEOF");
	SPLIT("cat <<EOF\na\\\\\nEOF\n", "cat <<EOF\na\\\\\nEOF");
	SPLIT("cat <<'EOF'\nfoo\\\nEOF\n", "cat <<'EOF'\nfoo\\\nEOF");
	/* Comments and #cairn: inside a body are body text. */
	SPLIT("cat <<EOF\n#cairn: net\nEOF\n", "cat <<EOF\n#cairn: net\nEOF");
	SPLIT("cat <<''\nx\n\ny\n", "cat <<''\nx\n", "y");
	/* Left pending at the end of $( ): read after the next newline. */
	SPLIT("echo $(cat <<A) $(cat <<B) C\na\nA\nb\nB\necho next\n",
	      "echo $(cat <<A) $(cat <<B) C\na\nA\nb\nB", "echo next");
	SPLIT("x$(cat <<EOF)\nEOF", "x$(cat <<EOF)\nEOF");
	INCOMPLETE("echo $(cat <<A)\n", 1, 12,
		   "here-document at line 1 delimited by end-of-file (wanted `A')");
}

/* ---- function records ------------------------------------------------------ */

struct fexp {
	const char *name;
	const char *text;
	unsigned line;
};

static void check_funcs(const char *src, size_t cmd, const struct fexp *exp, size_t n)
{
	struct parse_result res = PARSE_RESULT_INIT;
	size_t i;

	assert_int_equal(parse(&res, src), 0);
	assert_true(cmd < res.nr);
	if (res.cmds[cmd].nfuncs != n)
		fail_msg("[%s]: %zu functions, expected %zu", src, res.cmds[cmd].nfuncs, n);
	for (i = 0; i < n; i++) {
		const struct parse_funcdef *f = &res.cmds[cmd].funcs[i];
		assert_string_equal(f->name, exp[i].name);
		assert_int_equal(f->line, exp[i].line);
		assert_int_equal(f->len, strlen(exp[i].text));
		assert_memory_equal(src + f->offset, exp[i].text, f->len);
	}
	parse_result_release(&res);
}

static void test_functions(void **state)
{
	static const struct fexp simple[] = { { "f", "f() { echo f; }", 1 } };
	static const struct fexp kw[] = { { "g", "function g { echo g; }", 1 } };
	static const struct fexp kwparen[] = { { "h", "function h() ( echo h )", 1 } };
	static const struct fexp nested[] = { { "outer", "outer() {\n  inner() { :; }\n}", 1 },
					      { "inner", "inner() { :; }", 2 } };
	static const struct fexp redir[] = { { "r", "r() { :; } > /dev/null 2>&1", 1 } };
	static const struct fexp inif[] = { { "a", "a() { :; }", 1 }, { "b", "b () { :; }", 1 } };
	static const struct fexp loops[] = { { "w", "w() { :; }", 1 }, { "c", "c() (:)", 1 } };
	static const struct fexp compound[] = { { "k", "k() if true; then :; fi", 1 },
						{ "m", "m() ((1))", 2 },
						{ "n", "n() [[ -f x ]]", 3 },
						{ "o", "o()\n{ :; }", 4 } };
	static const struct fexp funckw_nl[] = { { "p", "function p\n{\n:\n}", 2 } };
	static const struct fexp odd[] = { { "a.b-c", "a.b-c() { :; }", 1 } };
	static const struct fexp outside[] = { { "keep", "keep() { :; }", 1 } };

	(void)state;
	check_funcs("f() { echo f; }\n", 0, simple, 1);
	check_funcs("function g { echo g; }\n", 0, kw, 1);
	check_funcs("function h() ( echo h )\n", 0, kwparen, 1);
	check_funcs("outer() {\n  inner() { :; }\n}\n", 0, nested, 2);
	check_funcs("r() { :; } > /dev/null 2>&1\n", 0, redir, 1);
	check_funcs("if a() { :; }; then b () { :; }; fi\n", 0, inif, 2);
	check_funcs("for x in 1; do w() { :; }; done; case y in y) c() (:) ;; esac\n", 0, loops, 2);
	check_funcs("{ k() if true; then :; fi\nm() ((1))\nn() [[ -f x ]]\no()\n{ :; }; }\n", 0,
		    compound, 4);
	check_funcs("x\nfunction p\n{\n:\n}\n", 1, funckw_nl, 1);
	check_funcs("a.b-c() { :; }\n", 0, odd, 1);
	/* Definitions that do not outlive their subshell are not recorded. */
	check_funcs("( f() { :; } )\n", 0, NULL, 0);
	check_funcs("x=$(f() { :; }; f) y=`g() { :; }`\n", 0, NULL, 0);
	check_funcs("cat <(f() { :; })\n", 0, NULL, 0);
	check_funcs("f() { :; } | cat\n", 0, NULL, 0);
	check_funcs("f() { :; } &\n", 0, NULL, 0);
	check_funcs("coproc { f() { :; }; }\n", 0, NULL, 0);
	check_funcs("keep() { :; }; a() { :; } & b() { :; } | c\n", 0, outside, 1);
}

/* ---- directives ------------------------------------------------------------- */

static void test_directives(void **state)
{
	struct parse_result res = PARSE_RESULT_INIT;
	const char *src = "#!/bin/bash\n#cairn: net\n  #cairn:  timeout=600  \n# plain\necho a\n"
			  "echo b #cairn: not-a-directive\n"
			  "if true; then\n#cairn: inside\n:\nfi\n"
			  "#cairn:\n#cairn: trailing\n";

	(void)state;
	assert_int_equal(parse(&res, src), 0);
	assert_int_equal(res.nr, 3);
	assert_int_equal(res.cmds[0].ndirectives, 2);
	assert_string_equal(res.cmds[0].directives[0].text, "net");
	assert_int_equal(res.cmds[0].directives[0].line, 2);
	assert_int_equal(res.cmds[0].directives[0].col, 1);
	assert_string_equal(res.cmds[0].directives[1].text, "timeout=600");
	assert_int_equal(res.cmds[0].directives[1].line, 3);
	assert_int_equal(res.cmds[0].directives[1].col, 3);
	assert_int_equal(res.cmds[1].ndirectives, 0);
	assert_int_equal(res.cmds[2].ndirectives, 0);
	assert_int_equal(res.ntrailing, 2);
	assert_string_equal(res.trailing[0].text, "");
	assert_string_equal(res.trailing[1].text, "trailing");
	assert_int_equal(res.trailing[1].line, 12);
	parse_result_release(&res);
}

/* ---- syntax errors ----------------------------------------------------------- */

static void test_syntax_errors(void **state)
{
	(void)state;
	SYNTAX("if true; then fi\n", 1, 15, "syntax error near unexpected token `fi'");
	SYNTAX("echo >\n", 1, 7, "syntax error near unexpected token `newline'");
	SYNTAX("echo >", 1, 7, "syntax error near unexpected token `newline'");
	SYNTAX("echo a\ncat <\n", 2, 6, "syntax error near unexpected token `newline'");
	SYNTAX("echo ;;\n", 1, 6, "syntax error near unexpected token `;;'");
	SYNTAX("echo ;&\n", 1, 6, "syntax error near unexpected token `;&'");
	SYNTAX(";\n", 1, 1, "syntax error near unexpected token `;'");
	SYNTAX("&\n", 1, 1, "syntax error near unexpected token `&'");
	SYNTAX("a && ; b\n", 1, 6, "syntax error near unexpected token `;'");
	SYNTAX(")\n", 1, 1, "syntax error near unexpected token `)'");
	SYNTAX("}\n", 1, 1, "syntax error near unexpected token `}'");
	SYNTAX("{ }\n", 1, 3, "syntax error near unexpected token `}'");
	SYNTAX("( )\n", 1, 3, "syntax error near unexpected token `)'");
	SYNTAX("{ a; } }\n", 1, 8, "syntax error near unexpected token `}'");
	SYNTAX("f() { :; } x\n", 1, 12, "syntax error near unexpected token `x'");
	SYNTAX("echo a (b)\n", 1, 8, "syntax error near unexpected token `('");
	SYNTAX("foo (bar)\n", 1, 6, "syntax error near unexpected token `bar'");
	SYNTAX("a=1 f() { :; }\n", 1, 6, "syntax error near unexpected token `('");
	SYNTAX("f() echo\n", 1, 5, "syntax error near unexpected token `echo'");
	SYNTAX("echo ((a))\n", 1, 7, "syntax error near unexpected token `('");
	SYNTAX("in a\n", 1, 1, "syntax error near unexpected token `in'");
	SYNTAX("echo a; ]]\n", 1, 9, "syntax error near unexpected token `]]'");
	SYNTAX("a | ! b\n", 1, 5, "syntax error near unexpected token `!'");
	SYNTAX(">f if true; then :; fi\n", 1, 13, "syntax error near unexpected token `then'");
	SYNTAX("case x in ;; esac\n", 1, 11, "syntax error near unexpected token `;;'");
	SYNTAX("case x in a\n", 1, 12, "syntax error near unexpected token `newline'");
	SYNTAX("case x in a b) ;; esac\n", 1, 13, "syntax error near unexpected token `b'");
	SYNTAX("while true; do :; fi\n", 1, 19, "syntax error near unexpected token `fi'");
	SYNTAX("a=(;)\n", 1, 4, "syntax error near unexpected token `;'");
	SYNTAX("a=(1 (2))\n", 1, 6, "syntax error near unexpected token `('");
	SYNTAX("echo ok\nfor ((i=0; i<3)); do :; done\n", 2, 5,
	       "syntax error: arithmetic expression required");
	SYNTAX("for (( a; b; c; d )); do :; done\n", 1, 5, "syntax error: `;' unexpected");
	SYNTAX("for ((i=0;i<3;i++);); do :; done\n", 1, 5,
	       "syntax error: `))' expected to end arithmetic for");
	SYNTAX("[[ a ; ]]\n", 1, 6, "unexpected token `;', conditional binary operator expected");
	SYNTAX("[[ a\n", 1, 5, "unexpected token `newline', conditional binary operator expected");
	SYNTAX("[[ a b ]]\n", 1, 6, "conditional binary operator expected");
	SYNTAX("[[ -f ]]\n", 1, 7, "unexpected argument `]]' to conditional unary operator");
	SYNTAX("[[ a == ]] ]]\n", 1, 9, "unexpected argument `]]' to conditional binary operator");
	SYNTAX("[[ a =~ a;b ]]\n", 1, 10,
	       "syntax error in conditional expression: unexpected token `;'");
	SYNTAX("[[ ( a ]]\n", 1, 8, "unexpected token `]]', expected `)'");
	SYNTAX("[[ ; ]]\n", 1, 4, "unexpected token `;' in conditional command");
}

static void test_error_keeps_earlier_commands(void **state)
{
	struct parse_result res = PARSE_RESULT_INIT;

	(void)state;
	assert_int_equal(parse(&res, "echo a\nif x; then :; done\n"), CAIRN_ESYNTAX);
	assert_int_equal(res.nr, 1);
	assert_int_equal(res.cmds[0].len, 6);
	assert_string_equal(err_last(), "2:15: syntax error near unexpected token `done'");
	parse_result_release(&res);

	assert_int_equal(parse(&res, "a\nb\nc |"), CAIRN_EINCOMPLETE);
	assert_int_equal(res.nr, 2);
	assert_string_equal(err_last(), "3:3: syntax error: unexpected end of file");
	parse_result_release(&res);
}

static void test_nul_byte(void **state)
{
	static const char src[] = "echo a\n\x01\x02\0\xff garbage\n";
	struct parse_result res = PARSE_RESULT_INIT;

	(void)state;
	assert_int_equal(shell_parse(&res, src, sizeof(src) - 1, 1), CAIRN_ESYNTAX);
	assert_int_equal(res.nr, 1);
	assert_int_equal(res.err_line, 2);
	assert_int_equal(res.err_col, 3);
	assert_string_equal(res.err_msg, "NUL byte in input");
	parse_result_release(&res);

	/* NUL inside a quote, a here-document body, a comment. */
	assert_int_equal(shell_parse(&res, "echo '\0'\n", 9, 1), CAIRN_ESYNTAX);
	parse_result_release(&res);
	assert_int_equal(shell_parse(&res, "cat <<E\n\0\nE\n", 12, 1), CAIRN_ESYNTAX);
	parse_result_release(&res);
	assert_int_equal(shell_parse(&res, "# \0\n", 4, 1), CAIRN_ESYNTAX);
	parse_result_release(&res);
}

/* ---- incomplete input ------------------------------------------------------------ */

static void test_incomplete(void **state)
{
	(void)state;
	INCOMPLETE("if true; then\n", 1, 1, EOF_MSG);
	INCOMPLETE("if true; then", 1, 1, EOF_MSG);
	INCOMPLETE("echo ok\nif true; then echo \"abc\n", 2, 20,
		   "unexpected EOF while looking for matching `\"'");
	INCOMPLETE("echo 'abc\n", 1, 6, "unexpected EOF while looking for matching `''");
	INCOMPLETE("echo `abc\n", 1, 6, "unexpected EOF while looking for matching ``'");
	INCOMPLETE("echo $'abc\n", 1, 7, "unexpected EOF while looking for matching `''");
	INCOMPLETE("a |\n", 1, 3, EOF_MSG);
	INCOMPLETE("a &&\n", 1, 3, EOF_MSG);
	INCOMPLETE("a ||\n\n", 1, 3, EOF_MSG);
	INCOMPLETE("cat <<EOF\n", 1, 5,
		   "here-document at line 1 delimited by end-of-file (wanted `EOF')");
	INCOMPLETE("cat <<EOF", 1, 5,
		   "here-document at line 1 delimited by end-of-file (wanted `EOF')");
	INCOMPLETE("x\ncat <<-'END'\nbody\n END\n", 2, 5,
		   "here-document at line 2 delimited by end-of-file (wanted `END')");
	INCOMPLETE("echo a \\\n", 1, 8, EOF_MSG);
	INCOMPLETE("echo a\\", 1, 7, EOF_MSG);
	INCOMPLETE("echo a\n\\\n", 2, 1, EOF_MSG);
	INCOMPLETE("$(\n", 1, 1, "unexpected EOF while looking for matching `)'");
	INCOMPLETE("echo $(echo a\n", 1, 6, "unexpected EOF while looking for matching `)'");
	INCOMPLETE("echo ${x\n", 1, 6, "unexpected EOF while looking for matching `}'");
	INCOMPLETE("echo $((1 +\n", 1, 6, "unexpected EOF while looking for matching `)'");
	INCOMPLETE("a=(1\n", 1, 3, "unexpected EOF while looking for matching `)'");
	INCOMPLETE("((x\n", 1, 1, "unexpected EOF while looking for matching `)'");
	INCOMPLETE("for ((x\n", 1, 5, "unexpected EOF while looking for matching `)'");
	INCOMPLETE("for x in a; do\n", 1, 1, EOF_MSG);
	INCOMPLETE("for x in a b\n", 1, 1, EOF_MSG);
	INCOMPLETE("while true\n", 1, 1, EOF_MSG);
	INCOMPLETE("case x in\n", 1, 1, EOF_MSG);
	INCOMPLETE("case x in a) echo;;\n", 1, 1, EOF_MSG);
	INCOMPLETE("{\n", 1, 1, EOF_MSG);
	INCOMPLETE("{ echo }\n", 1, 1, EOF_MSG);
	INCOMPLETE("(\n", 1, 1, EOF_MSG);
	INCOMPLETE("f()\n", 1, 1, EOF_MSG);
	INCOMPLETE("function f\n", 1, 1, EOF_MSG);
	INCOMPLETE("[[ a &&\n", 1, 1, "unexpected EOF while looking for `]]'");
	INCOMPLETE("echo @(a\n", 1, 6, "unexpected EOF while looking for matching `)'");
	INCOMPLETE("if true; then\n  cat <<EOF\n  body\n", 2, 7,
		   "here-document at line 2 delimited by end-of-file (wanted `EOF')");
}

/* ---- robustness and speed ----------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_big_line(void **state)
{
	size_t n = 10 * 1024 * 1024, i;
	struct strbuf sb = STRBUF_INIT;
	struct parse_result res = PARSE_RESULT_INIT;
	double t0;

	(void)state;
	strbuf_addstr(&sb, "echo ");
	for (i = 0; sb.len < n; i++)
		strbuf_addstr(&sb,
			      i % 3 == 0       ? "word \"q $x\" "
				  : i % 3 == 1 ? "${a[1]} "
					       : "$(b) ");
	strbuf_addstr(&sb, "\nnext\n");
	t0 = now();
	assert_int_equal(shell_parse(&res, sb.buf, sb.len, 1), 0);
	assert_true(now() - t0 < 2.0);
	assert_int_equal(res.nr, 2);
	assert_int_equal(res.cmds[0].len, sb.len - 6);
	parse_result_release(&res);

	/* One 10 MB word, and a 10 MB quoted string. */
	strbuf_reset(&sb);
	for (i = 0; i < n; i++)
		strbuf_addch(&sb, 'a');
	t0 = now();
	assert_int_equal(shell_parse(&res, sb.buf, sb.len, 1), 0);
	assert_int_equal(res.nr, 1);
	parse_result_release(&res);
	sb.buf[0] = '"';
	strbuf_addch(&sb, '"');
	assert_int_equal(shell_parse(&res, sb.buf, sb.len, 1), 0);
	assert_true(now() - t0 < 2.0);
	parse_result_release(&res);
	strbuf_release(&sb);
}

static void test_many_lines(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct parse_result res = PARSE_RESULT_INIT;
	double t0;
	int i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		if (i % 5 == 0)
			strbuf_addf(&sb, "f%d() {\n  echo %d | grep x\n}\n", i, i);
		else if (i % 5 == 1)
			strbuf_addf(&sb, "cat <<EOF\nline %d\nEOF\n", i);
		else
			strbuf_addf(&sb, "x=$((%d + 1)); echo \"$x\" # c\n", i);
	}
	t0 = now();
	assert_int_equal(shell_parse(&res, sb.buf, sb.len, 1), 0);
	assert_true(now() - t0 < 2.0);
	assert_int_equal(res.nr, 100000);
	assert_int_equal(res.cmds[0].nfuncs, 1);
	assert_int_equal(res.cmds[99999].line, 20000 * 3 + 20000 * 3 + 60000 - 1 + 1);
	parse_result_release(&res);
	strbuf_release(&sb);
}

static void test_dparen_rescans(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct parse_result res = PARSE_RESULT_INIT;
	double t0;
	int i;

	(void)state;
	/* Each `((' that turns out to be a subshell is scanned to its
	 * matching `)' first; here every scan runs to the last line, which
	 * must not make the whole parse quadratic. */
	for (i = 0; i < 50000; i++)
		strbuf_addstr(&sb, "((a #((\n))\n");
	strbuf_addstr(&sb, "# ");
	for (i = 0; i < 2 * 50000 + 1; i++)
		strbuf_addstr(&sb, ") ");
	strbuf_addch(&sb, '\n');
	t0 = now();
	assert_int_equal(shell_parse(&res, sb.buf, sb.len, 1), 0);
	assert_true(now() - t0 < 2.0);
	assert_int_equal(res.nr, 50000);
	assert_int_equal(res.cmds[1].line, 3);
	assert_int_equal(res.cmds[1].end_line, 4);
	parse_result_release(&res);

	/* Nested: 900 subshells around 1 MB. */
	strbuf_reset(&sb);
	for (i = 0; i < 900; i++)
		strbuf_addch(&sb, '(');
	for (i = 0; i < 500000; i++)
		strbuf_addstr(&sb, "x ");
	for (i = 0; i < 900; i++)
		strbuf_addstr(&sb, ") ");
	t0 = now();
	assert_int_equal(shell_parse(&res, sb.buf, sb.len, 1), 0);
	assert_true(now() - t0 < 2.0);
	assert_int_equal(res.nr, 1);
	parse_result_release(&res);
	strbuf_release(&sb);
}

static void check_deep(const char *open, const char *mid, const char *close, int n, int code)
{
	struct strbuf sb = STRBUF_INIT;
	struct parse_result res = PARSE_RESULT_INIT;
	int i, r;

	for (i = 0; i < n; i++)
		strbuf_addstr(&sb, open);
	strbuf_addstr(&sb, mid);
	for (i = 0; i < n; i++)
		strbuf_addstr(&sb, close);
	strbuf_addch(&sb, '\n');
	r = shell_parse(&res, sb.buf, sb.len, 1);
	if (r != code)
		fail_msg("nesting %d of [%s]: returned %d (%s)", n, open, r,
			 res.err_msg ? res.err_msg : "");
	if (code == CAIRN_ESYNTAX)
		assert_string_equal(res.err_msg, "nesting too deep");
	parse_result_release(&res);
	strbuf_release(&sb);
}

static void test_deep_nesting(void **state)
{
	(void)state;
	check_deep("( ", "a", " )", 100, 0);
	check_deep("{ ", "a", "; }", 100, 0);
	check_deep("$(", "a", ")", 100, 0);
	check_deep("if a; then ", "b", "; fi", 100, 0);
	check_deep("( ", "a", " )", 50000, CAIRN_ESYNTAX);
	check_deep("{ ", "a", "; }", 50000, CAIRN_ESYNTAX);
	check_deep("$(", "a", ")", 50000, CAIRN_ESYNTAX);
	check_deep("\"$(", "a", ")\"", 50000, CAIRN_ESYNTAX);
	check_deep("${x:-", "a", "}", 50000, CAIRN_ESYNTAX);
	check_deep("$((", "1", "))", 50000, CAIRN_ESYNTAX);
	check_deep("`", "a", "`", 50000, 0);
	check_deep("! ", "a", "", 50000, CAIRN_ESYNTAX);
	check_deep("[[ ( ", "a", " ) ]]", 1, 0);
	check_deep("while a; do ", "b", "; done", 50000, CAIRN_ESYNTAX);
	check_deep("f() { ", "b", "; }", 50000, CAIRN_ESYNTAX);
	check_deep("@(", "a", ")", 50000, 0);
}

static void test_unterminated_buffer(void **state)
{
	/* The input need not be NUL-terminated: parse from an exact-size
	 * heap copy so ASan catches any read past the end. */
	static const char *const srcs[] = { "echo a", "echo \"a",   "cat <<E\nx\nE",
					    "a\\",    "f() { :; }", "#cairn: x",
					    "[[ a",   "$(",	    "x=(a" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(srcs); i++) {
		size_t n = strlen(srcs[i]);
		char *copy = xmalloc(n);
		struct parse_result res = PARSE_RESULT_INIT;

		memcpy(copy, srcs[i], n);
		(void)shell_parse(&res, copy, n, 1);
		parse_result_release(&res);
		parse_result_release(&res); /* releasing twice is harmless */
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_basic),
		cmocka_unit_test(test_split_positions),
		cmocka_unit_test(test_split_compound),
		cmocka_unit_test(test_split_case),
		cmocka_unit_test(test_split_parens),
		cmocka_unit_test(test_split_cond),
		cmocka_unit_test(test_split_params),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_arrays),
		cmocka_unit_test(test_split_redirections),
		cmocka_unit_test(test_split_misc),
		cmocka_unit_test(test_heredoc),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_error_keeps_earlier_commands),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_big_line),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_dparen_rescans),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_unterminated_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
