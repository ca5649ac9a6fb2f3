#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#include <jansson.h>

static void test_strbuf_basic(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t len;
	(void)state;

	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, "");
	strbuf_addstr(&sb, "abc");
	strbuf_addch(&sb, '-');
	strbuf_addf(&sb, "%d/%s", 42, "x");
	assert_string_equal(sb.buf, "abc-42/x");
	assert_int_equal(sb.len, 8);
	strbuf_setlen(&sb, 3);
	assert_string_equal(sb.buf, "abc");
	s = strbuf_detach(&sb, &len);
	assert_int_equal(len, 3);
	assert_string_equal(s, "abc");
	assert_string_equal(sb.buf, "");
	free(s);
	strbuf_release(&sb);
}

static void test_strbuf_large_format(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char big[5000];
	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_addf(&sb, "<%s>", big);
	assert_int_equal(sb.len, sizeof(big) + 1);
	assert_int_equal(sb.buf[0], '<');
	assert_int_equal(sb.buf[sb.len - 1], '>');
	strbuf_release(&sb);
}

static void test_ansi_quote(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	strbuf_add_ansi_quoted(&sb, "a'b\\c\nd\te\001", 10);
	assert_string_equal(sb.buf, "$'a\\'b\\\\c\\nd\\te\\001'");
	assert_null(memchr(sb.buf, '\n', sb.len));
	strbuf_release(&sb);
}

static void test_sh_quote(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	(void)state;
	strbuf_add_sh_quoted(&sb, "it's");
	assert_string_equal(sb.buf, "'it'\\''s'");
	strbuf_release(&sb);
}

static void test_strvec(void **state)
{
	struct strvec sv = STRVEC_INIT, copy = STRVEC_INIT;
	(void)state;
	assert_null(sv.v[0]);
	strvec_push(&sv, "a");
	strvec_pushf(&sv, "%s%d", "b", 2);
	assert_int_equal(sv.nr, 2);
	assert_string_equal(sv.v[1], "b2");
	assert_null(sv.v[2]);
	strvec_copy(&copy, &sv);
	strvec_clear(&sv);
	assert_int_equal(sv.nr, 0);
	assert_string_equal(copy.v[0], "a");
	strvec_clear(&copy);
}

static void test_sha256(void **state)
{
	char hex[SHA256_HEX_LEN + 1];
	(void)state;
	util_sha256_hex(hex, "abc", 3);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	util_sha256_hex(hex, "", 0);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_errors(void **state)
{
	(void)state;
	err_clear();
	assert_string_equal(err_last(), "unknown error");
	assert_int_equal(err_set(CAIRN_ENOTFOUND, "no step %s", "abc"), CAIRN_ENOTFOUND);
	assert_string_equal(err_last(), "no step abc");
}

static void test_is_name(void **state)
{
	(void)state;
	assert_true(util_is_name("a_1", 3));
	assert_true(util_is_name("_", 1));
	assert_false(util_is_name("1a", 2));
	assert_false(util_is_name("a-b", 3));
	assert_false(util_is_name("", 0));
}

/* ---- paths ---------------------------------------------------------------- */

static void expect_clean(const char *in, size_t physical, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, in);
	util_path_clean(&sb, physical);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

static void test_path_clean(void **state)
{
	(void)state;
	expect_clean("/", 0, "/");
	expect_clean("//a/./b//", 0, "/a/b");
	expect_clean("/../..", 0, "/");
	/* a ".." after a name that may be a symlink stays */
	expect_clean("/a/../b", 0, "/a/../b");
	expect_clean("/a/b/../../c", 0, "/a/b/../../c");
	/* into the physical part (a working directory): taken away */
	expect_clean("/w/d/../x", 4, "/w/x");
	expect_clean("/w/d/../../../x", 4, "/x");
	expect_clean("/w/d/../y/../x", 4, "/w/y/../x");
	expect_clean("/w/d/./../x", 4, "/w/x");
}

/* A file system of a few entries: "D" a directory, "F" a file, else a
 * symlink with that text. */
static const char *const fake_fs[][2] = {
	{ "/p", "D" },		{ "/p/ext", "D" },	  { "/p/ext/sub", "D" },
	{ "/p/params", "F" },	{ "/p/ext/params", "F" }, { "/p/link", "ext/sub" },
	{ "/p/abs", "/p/ext" }, { "/p/loop", "loop" },	  { "/p/ext/sub/f", "F" },
	{ "/p/hop", "link" },	{ "/p/up", "../p/ext/" },
};

static const char *fake_find(const char *path)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(fake_fs); i++)
		if (!strcmp(fake_fs[i][0], path))
			return fake_fs[i][1];
	return NULL;
}

static int fake_lstat(const char *path, int last, struct stat *st, void *payload)
{
	const char *what = fake_find(path);
	(void)last;
	(void)payload;
	if (!what)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = !strcmp(what, "D") ? S_IFDIR : !strcmp(what, "F") ? S_IFREG : S_IFLNK;
	return 0;
}

static int fake_readlink(const char *path, struct strbuf *out, void *payload)
{
	(*(int *)payload)++;
	strbuf_addstr(out, fake_find(path));
	return 0;
}

/* Every expectation is resolved without a cache, then twice with one
 * that all of them share (the fake file system does not change): what a
 * prefix resolved to must lead where the whole walk leads. */
static struct util_path_cache shared_cache = UTIL_PATH_CACHE_INIT;

static void expect_resolve(const char *in, int nofollow, int exists, const char *want)
{
	static const struct util_path_view view = { fake_lstat, fake_readlink };
	struct strbuf out = STRBUF_INIT;
	struct stat st, first;
	int links = 0, round;
	assert_int_equal(util_path_resolve(&out, in, nofollow, &view, NULL, &first, &links),
			 exists);
	assert_string_equal(out.buf, want);
	for (round = 0; round < 2; round++) {
		assert_int_equal(
		    util_path_resolve(&out, in, nofollow, &view, &shared_cache, &st, &links),
		    exists);
		assert_string_equal(out.buf, want);
		if (exists)
			assert_int_equal(st.st_mode & S_IFMT, first.st_mode & S_IFMT);
	}
	strbuf_release(&out);
}

static void test_path_resolve(void **state)
{
	(void)state;
	expect_resolve("/p/params", 0, 1, "/p/params");
	expect_resolve("/p/link", 0, 1, "/p/ext/sub");
	expect_resolve("/p/link", 1, 1, "/p/link");
	/* ".." after a symlink: the parent of its target */
	expect_resolve("/p/link/../params", 0, 1, "/p/ext/params");
	expect_resolve("/p/link/../../params", 0, 1, "/p/params");
	expect_resolve("/p/abs/../params", 0, 1, "/p/params");
	expect_resolve("/p/./ext//sub/..", 0, 1, "/p/ext");
	expect_resolve("/../p/params", 0, 1, "/p/params");
	/* a lookup that fails names the rest as given, unless a ".." would
	 * make that another path */
	expect_resolve("/p/none/x", 0, 0, "/p/none/x");
	expect_resolve("/p/none/../params", 0, 0, "/p/none");
	expect_resolve("/p/link/none", 0, 0, "/p/ext/sub/none");
	expect_resolve("/p/loop", 0, 0, "/p/loop");
	expect_resolve("/p/loop/x", 0, 0, "/p/loop");
	/* through prefixes the cache holds by now, links among them */
	expect_resolve("/p/hop/f", 0, 1, "/p/ext/sub/f");
	expect_resolve("/p/hop/../params", 0, 1, "/p/ext/params");
	expect_resolve("/p/hop/./../sub/f", 0, 1, "/p/ext/sub/f");
	expect_resolve("/p/hop", 1, 1, "/p/hop");
	expect_resolve("/p/hop/", 0, 1, "/p/ext/sub");
	expect_resolve("/p/up/sub/f", 0, 1, "/p/ext/sub/f");
	expect_resolve("/p/up/sub/../../link/f", 0, 1, "/p/ext/sub/f");
	expect_resolve("/p/link/f/x", 0, 0, "/p/ext/sub/f/x");
	expect_resolve("/p/ext/sub/f", 0, 1, "/p/ext/sub/f");
	expect_resolve("/p/ext/sub/..", 0, 1, "/p/ext");
	expect_resolve("/", 0, 0, "/"); /* (no "/" in the fake file system) */
	util_path_cache_release(&shared_cache);
}

/* A string that is not UTF-8 goes to text as {"bytes_b64": ...} and comes
 * back as its bytes; UTF-8 text is left alone. */
static void test_json_bytes(void **state)
{
	json_t *o = json_object(), *back;
	char *text;

	(void)state;
	assert_int_equal(util_utf8_valid("caf\xc3\xa9", 5), 1);
	assert_int_equal(util_utf8_valid("\xff\xfe", 2), 0);
	assert_int_equal(util_utf8_valid("\xed\xa0\x80", 3), 0); /* a surrogate */
	assert_int_equal(util_utf8_valid("\xc0\xaf", 2), 0); /* overlong */
	json_object_set_new(o, "path", util_json_str("\xff\xfe"));
	json_object_set_new(o, "ok", util_json_str("plain"));
	text = util_json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	assert_string_equal(text, "{\"ok\":\"plain\",\"path\":{\"bytes_b64\":\"//4=\"}}");
	/* The document itself is unchanged. */
	assert_string_equal(json_string_value(json_object_get(o, "path")), "\xff\xfe");
	back = util_json_loadb(text, strlen(text), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(back, "path")), "\xff\xfe");
	assert_string_equal(json_string_value(json_object_get(back, "ok")), "plain");
	free(text);
	json_decref(back);
	json_decref(o);
}

static void expect_name(const char *in, const char *want)
{
	assert_string_equal(util_name_quoted(in), want);
}

/* Names are shown as GNU ls shows them: never a raw control byte. */
static void test_name_quoted(void **state)
{
	(void)state;
	expect_name("plain.txt", "plain.txt");
	expect_name("caf\xc3\xa9", "caf\xc3\xa9");
	expect_name("a b", "'a b'");
	expect_name("it's", "'it'\\''s'");
	expect_name("evil\033]0;x\007\nname", "'evil'$'\\033'']0;x'$'\\a\\n''name'");
	expect_name("\377\376", "$'\\377\\376'");
	expect_name("\302\233x", "$'\\302\\233''x'");
	expect_name("", "''");
	expect_name(NULL, "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_basic), cmocka_unit_test(test_strbuf_large_format),
		cmocka_unit_test(test_ansi_quote),   cmocka_unit_test(test_sh_quote),
		cmocka_unit_test(test_strvec),	     cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_errors),	     cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_path_resolve), cmocka_unit_test(test_is_name),
		cmocka_unit_test(test_json_bytes),   cmocka_unit_test(test_name_quoted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
