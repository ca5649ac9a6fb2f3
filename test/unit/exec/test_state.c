#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

static void fill(struct exec_state *st)
{
	exec_state_init(st);
	st->initial = 0;
	st->cwd = xstrdup("/home/u/project");
	strvec_push(&st->vars, "declare -- x=\"1\"");
	strvec_push(&st->vars, "declare -a arr=([0]=\"a\" [1]=$'b\\nc')");
	strvec_push(&st->env, "PATH=/usr/bin:/bin");
	strvec_push(&st->env, "MULTI=line1\nline2");
	st->funcs = xcalloc(1, sizeof(*st->funcs));
	st->nfuncs = st->alloc_funcs = 1;
	st->funcs[0].name = xstrdup("f");
	st->funcs[0].body = xstrdup("f () \n{ \n    echo hi\n}\n");
	st->funcs[0].src = xstrdup("f() { echo hi; }");
	st->funcs[0].line = 12;
	st->funcs[0].attrs = xstrdup("x");
	st->aliases = xstrdup("alias ll='ls -l'\n");
	st->options = xstrdup("set -o errexit\n");
	st->shopts = xstrdup("shopt -s extglob\n");
	st->traps = xstrdup("trap -- 'echo bye' EXIT\n");
	strvec_push(&st->argv, "a b");
	strvec_push(&st->argv, "");
	st->status = 3;
	st->umask = 027;
	strvec_push(&st->fds, "3 /home/u/project/log.txt");
}

static void test_roundtrip(void **state)
{
	struct exec_state a, b = EXEC_STATE_INIT;
	struct strbuf s1 = STRBUF_INIT, s2 = STRBUF_INIT;
	char h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1];
	(void)state;

	fill(&a);
	exec_state_init(&b);
	exec_state_serialize(&s1, &a);
	assert_int_equal(exec_state_parse(&b, s1.buf, s1.len), 0);
	exec_state_serialize(&s2, &b);
	assert_int_equal(s1.len, s2.len);
	assert_memory_equal(s1.buf, s2.buf, s1.len);
	assert_string_equal(b.funcs[0].src, "f() { echo hi; }");
	assert_int_equal(b.funcs[0].line, 12);
	assert_string_equal(b.funcs[0].attrs, "x");
	assert_string_equal(b.argv.v[1], "");
	assert_string_equal(b.env.v[1], "MULTI=line1\nline2");
	assert_int_equal(b.status, 3);
	assert_int_equal(b.umask, 027);
	assert_string_equal(b.fds.v[0], "3 /home/u/project/log.txt");
	exec_state_hash(h1, &a);
	exec_state_hash(h2, &b);
	assert_string_equal(h1, h2);
	exec_state_release(&a);
	exec_state_release(&b);
	strbuf_release(&s1);
	strbuf_release(&s2);
}

static void test_hash_sensitive(void **state)
{
	struct exec_state a, b = EXEC_STATE_INIT;
	char h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1];
	(void)state;
	fill(&a);
	exec_state_copy(&b, &a);
	exec_state_hash(h1, &a);
	exec_state_hash(h2, &b);
	assert_string_equal(h1, h2);
	b.status = 0;
	exec_state_hash(h2, &b);
	assert_string_not_equal(h1, h2);
	b.status = a.status;
	free(b.cwd);
	b.cwd = xstrdup("/home/u/project/sub");
	exec_state_hash(h2, &b);
	assert_string_not_equal(h1, h2);
	exec_state_release(&a);
	exec_state_release(&b);
}

static void test_parse_rejects(void **state)
{
	struct exec_state st = EXEC_STATE_INIT;
	static const char *const bad[] = {
		"",
		"not a state",
		"cairn-state 1\ncwd 5\nab\n",
		"cairn-state 1\ncwd 99999999999999999999999\n",
		"cairn-state 1\nbogus 1\nx\n",
		"cairn-state 1\nfunc 1\nf\n",
		"cairn-state 1\nstatus 2\nxy\n",
	};
	size_t i;
	(void)state;
	exec_state_init(&st);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(exec_state_parse(&st, bad[i], strlen(bad[i])), CAIRN_ERROR);
	exec_state_release(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hash_sensitive),
		cmocka_unit_test(test_parse_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
