#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provenance.h"

#define SESSION "20261202T133000Z-9a8b7c6d"

struct fx {
	char root[64];
	struct prov_store *st;
};

static void write_file(struct fx *f, const char *rel, const void *data, size_t len)
{
	char *p = xstrfmt("%s/%s", f->root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, data, len), 0);
	close(fd);
	free(p);
}

static void sha_of(char out[65], const char *text)
{
	util_sha256_hex(out, text, strlen(text));
}

/* A shell command's output, trailing newline dropped; caller frees. */
static char *sh(const char *cmd)
{
	struct strbuf sb = STRBUF_INIT;
	FILE *p = popen(cmd, "r");
	char buf[4096];
	size_t n;
	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		strbuf_add(&sb, buf, n);
	assert_int_equal(pclose(p), 0);
	while (sb.len && sb.buf[sb.len - 1] == '\n')
		strbuf_setlen(&sb, sb.len - 1);
	return strbuf_detach(&sb, NULL);
}

/* A minimal record; READS and WRITES are arrays of {path, sha256, kind}. */
static json_t *record(const char *id, int seq, const char *command, const char *finished,
		      json_t *reads, json_t *writes)
{
	return json_pack("{s:i, s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:b, s:o, s:o, s:[], s:{s:f}, "
			 "s:{}}",
			 "record_version", 1, "id", id, "session", SESSION, "seq", seq, "command",
			 command, "started", finished, "finished", finished, "exit_status", 0,
			 "cached", 0, "reads", reads ? reads : json_array(), "writes",
			 writes ? writes : json_array(), "exec_tree", "resources", "wall_s", 0.5,
			 "tags");
}

static json_t *fentry(const char *path, const char *text, const char *kind)
{
	char sha[65];
	if (!text)
		return json_pack("{s:s, s:n, s:s}", "path", path, "sha256", "kind", kind);
	sha_of(sha, text);
	return json_pack("{s:s, s:s, s:i, s:s}", "path", path, "sha256", sha, "size",
			 (int)strlen(text), "kind", kind);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/cairn-prov.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	assert_int_equal(provenance_store_open(&f->st, f->root, 1), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xstrfmt("rm -rf '%s'", f->root);
	provenance_store_free(f->st);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

static void test_layout_and_find_root(void **state)
{
	struct fx *f = *state;
	struct prov_store *st = NULL;
	char *p, *root = NULL, *head, *real = realpath(f->root, NULL);

	p = xstrfmt("cat %s/.cairn/lineage.git/HEAD", f->root);
	head = sh(p);
	assert_string_equal(head, "ref: refs/heads/main");
	free(head);
	free(p);
	p = xstrfmt("test -d %s/.cairn/cas -a -d %s/.cairn/actions -a -d %s/.cairn/tmp -a -f "
		    "%s/.cairn/config",
		    f->root, f->root, f->root, f->root);
	assert_int_equal(system(p), 0);
	free(p);

	p = xstrfmt("%s/a/b", f->root);
	{
		char *mk = xstrfmt("mkdir -p %s", p);
		assert_int_equal(system(mk), 0);
		free(mk);
	}
	assert_int_equal(provenance_find_root(&root, p), 0);
	assert_string_equal(root, real);
	free(root);
	free(p);
	assert_int_equal(provenance_find_root(&root, "/proc/self"), CAIRN_ENOTFOUND);
	assert_non_null(strstr(err_last(), "cairn init"));

	/* Opening without CREATE where there is no store. */
	p = xstrfmt("%s/a", f->root);
	assert_int_equal(provenance_store_open(&st, p, 0), CAIRN_ENOTFOUND);
	assert_null(st);
	free(p);
	free(real);
}

static void test_record_and_get(void **state)
{
	struct fx *f = *state;
	json_t *r, *got = NULL;
	char full[PROV_ID_LEN + 1], id[PROV_ID_LEN + 1], sha[65];
	char *out, *cmd;

	r = record("11112222333344445555666677778888", 1, "make mid\nsecond line",
		   "2026-12-02T13:30:00.120Z", json_pack("[o]", fentry("raw", "raw\n", "file")),
		   json_pack("[o]", fentry("mid", "mid\n", "file")));
	assert_int_equal(provenance_record_step(f->st, r), 0);
	/* Filled in: producer (none), code (raw does not exist on disk), git. */
	assert_true(json_is_null(
	    json_object_get(json_array_get(json_object_get(r, "reads"), 0), "producer")));
	assert_int_equal(json_array_size(json_object_get(r, "code")), 0);
	json_decref(r);

	r = record("99990000aaaabbbbccccddddeeeeffff", 2, "make out", "2026-12-02T13:31:00.000Z",
		   json_pack("[o]", fentry("mid", "mid\n", "file")),
		   json_pack("[o]", fentry("out", "out\n", "file")));
	assert_int_equal(provenance_record_step(f->st, r), 0);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(r, "reads"), 0), "producer")),
			    "11112222333344445555666677778888");
	json_decref(r);

	/* Same id again. */
	r = record("99990000aaaabbbbccccddddeeeeffff", 3, "x", "2026-12-02T13:32:00.000Z", NULL,
		   NULL);
	assert_int_equal(provenance_record_step(f->st, r), CAIRN_EEXISTS);
	json_decref(r);

	assert_int_equal(provenance_step_get(&got, f->st, "1111"), 0);
	assert_string_equal(json_string_value(json_object_get(got, "command")),
			    "make mid\nsecond line");
	json_decref(got);
	assert_int_equal(provenance_step_get(&got, f->st, "@1"), 0);
	assert_string_equal(json_string_value(json_object_get(got, "id")),
			    "99990000aaaabbbbccccddddeeeeffff");
	json_decref(got);
	assert_int_equal(provenance_step_resolve(full, f->st, "@2"), 0);
	assert_string_equal(full, "11112222333344445555666677778888");
	assert_int_equal(provenance_step_resolve(full, f->st, "9999"), 0);
	assert_string_equal(full, "99990000aaaabbbbccccddddeeeeffff");
	assert_int_equal(provenance_step_resolve(full, f->st, "@3"), CAIRN_ENOTFOUND);
	assert_non_null(strstr(err_last(), "2 steps"));
	assert_int_equal(provenance_step_resolve(full, f->st, "@0"), CAIRN_EUSAGE);
	assert_int_equal(provenance_step_resolve(full, f->st, "123"), CAIRN_EUSAGE);
	assert_int_equal(provenance_step_resolve(full, f->st, "xyzw"), CAIRN_EUSAGE);
	assert_int_equal(provenance_step_resolve(full, f->st, "1234"), CAIRN_ENOTFOUND);
	assert_int_equal(provenance_step_resolve(full, f->st, "11112222333344445555666677778889"),
			 CAIRN_ENOTFOUND);

	/* The path index. */
	assert_int_equal(provenance_latest_writer(id, sha, f->st, "out"), 0);
	assert_string_equal(id, "99990000aaaabbbbccccddddeeeeffff");
	{
		char want[65];
		sha_of(want, "out\n");
		assert_string_equal(sha, want);
	}
	assert_int_equal(provenance_latest_writer(id, sha, f->st, "raw"), CAIRN_ENOTFOUND);

	/* Plain git sees one commit per step, chained per session, and the
	 * commit message is the first line and the status. */
	cmd = xstrfmt("git --git-dir %s/.cairn/lineage.git log --format=%%s/%%b "
		      "refs/cairn/sessions/" SESSION " | tr '\\n' '|'",
		      f->root);
	out = sh(cmd);
	assert_string_equal(out, "make out/status: 0||make mid/status: 0||");
	free(out);
	free(cmd);
	cmd = xstrfmt("git --git-dir %s/.cairn/lineage.git fsck --strict 2>&1", f->root);
	out = sh(cmd);
	assert_null(strstr(out, "error"));
	assert_null(strstr(out, "dangling"));
	free(out);
	free(cmd);
	cmd = xstrfmt("git --git-dir %s/.cairn/lineage.git rev-parse refs/cairn/latest "
		      "refs/cairn/sessions/" SESSION " | uniq | wc -l",
		      f->root);
	out = sh(cmd);
	assert_string_equal(out, "1");
	free(out);
	free(cmd);
}

static void test_bad_records(void **state)
{
	struct fx *f = *state;
	json_t *r = record("short", 1, "x", "2026-12-02T13:30:00Z", NULL, NULL);
	assert_int_equal(provenance_record_step(f->st, r), CAIRN_ERROR);
	assert_non_null(strstr(err_last(), "id"));
	json_decref(r);
	r = record("11112222333344445555666677778888", 1, "x", "yesterday", NULL, NULL);
	assert_int_equal(provenance_record_step(f->st, r), CAIRN_ERROR);
	assert_non_null(strstr(err_last(), "finished"));
	json_decref(r);
	r = record("11112222333344445555666677778888", 1, "x", "2026-12-02T13:30:00Z", NULL, NULL);
	json_object_set_new(r, "session", json_string("../../x"));
	assert_int_equal(provenance_record_step(f->st, r), CAIRN_ERROR);
	json_decref(r);
}

static void test_ambiguous_prefix(void **state)
{
	struct fx *f = *state;
	json_t *r;
	char full[PROV_ID_LEN + 1];

	r = record("abcd0000000000000000000000000000", 1, "first", "2026-12-02T13:30:00Z", NULL,
		   NULL);
	assert_int_equal(provenance_record_step(f->st, r), 0);
	json_decref(r);
	r = record("abcd1111111111111111111111111111", 2, "second", "2026-12-02T13:31:00Z", NULL,
		   NULL);
	assert_int_equal(provenance_record_step(f->st, r), 0);
	json_decref(r);
	assert_int_equal(provenance_step_resolve(full, f->st, "abcd"), CAIRN_ECONFLICT);
	assert_non_null(strstr(err_last(), "ambiguous"));
	assert_non_null(strstr(err_last(), "abcd00000000 (first)"));
	assert_non_null(strstr(err_last(), "abcd11111111 (second)"));
	assert_int_equal(provenance_step_resolve(full, f->st, "ABCD1"), 0);
	assert_string_equal(full, "abcd1111111111111111111111111111");
}

static void test_code_blobs(void **state)
{
	struct fx *f = *state;
	struct strbuf code = STRBUF_INIT;
	json_t *r, *c;

	write_file(f, "a.py", "print(1)\n", 9);
	write_file(f, "bin.dat", "ab\0cd", 5);
	write_file(f, "stale.sh", "echo new\n", 9);
	r = record(
	    "c0de0000000000000000000000000001", 1, "python3 a.py", "2026-12-02T13:30:00Z",
	    json_pack("[o, o, o, o, o]", fentry("a.py", "print(1)\n", "exec"),
		      json_pack("{s:s, s:s, s:s}", "path", "bin.dat", "sha256",
				"8a7e29f5b0d2f2ee8d0f1e56b0e0b5f0d4c1b3e3a2c1d0e9f8a7b6c5d4e3f2a1",
				"kind", "file"),
		      fentry("stale.sh", "echo old\n", "file"),
		      fentry("missing.txt", "gone\n", "file"),
		      fentry("/usr/bin/python3", "elf", "exec")),
	    NULL);
	assert_int_equal(provenance_record_step(f->st, r), 0);
	/* Only a.py qualifies: bin.dat has a NUL (and another hash), stale.sh
	 * changed since it was read, missing.txt is gone, python3 is outside. */
	c = json_object_get(r, "code");
	assert_int_equal(json_array_size(c), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0), "path")),
			    "a.py");
	assert_true(json_is_string(json_object_get(json_array_get(c, 0), "blob")));
	assert_true(json_is_null(json_object_get(r, "git")));
	json_decref(r);

	/* Edit the script; a new step records the new version. */
	write_file(f, "a.py", "print(2)\n", 9);
	r = record("c0de0000000000000000000000000002", 2, "python3 a.py", "2026-12-02T13:31:00Z",
		   json_pack("[o]", fentry("a.py", "print(2)\n", "exec")), NULL);
	assert_int_equal(provenance_record_step(f->st, r), 0);
	json_decref(r);

	assert_int_equal(
	    provenance_step_code(&code, f->st, "c0de0000000000000000000000000001", "a.py"), 0);
	assert_string_equal(code.buf, "print(1)\n");
	strbuf_reset(&code);
	assert_int_equal(provenance_step_code(&code, f->st, "@1", "a.py"), 0);
	assert_string_equal(code.buf, "print(2)\n");
	strbuf_reset(&code);
	assert_int_equal(provenance_step_code(&code, f->st, "@1", "b.py"), CAIRN_ENOTFOUND);
	assert_non_null(strstr(err_last(), "it stored: a.py"));
	strbuf_release(&code);
}

static void test_code_in_git_work_tree(void **state)
{
	struct fx *f = *state;
	json_t *r, *c, *git;
	char *cmd;

	cmd = xstrfmt("cd %s && git init -q . && printf 'x=1\\n' > tracked.sh && "
		      "printf 'y=2\\n' > new.sh && git add tracked.sh && "
		      "git -c user.name=t -c user.email=t@t commit -qm init",
		      f->root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	r = record("91700000000000000000000000000001", 1, "sh tracked.sh", "2026-12-02T13:30:00Z",
		   json_pack("[o, o]", fentry("new.sh", "y=2\n", "file"),
			     fentry("tracked.sh", "x=1\n", "file")),
		   NULL);
	assert_int_equal(provenance_record_step(f->st, r), 0);
	c = json_object_get(r, "code");
	assert_int_equal(json_array_size(c), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0), "git_state")),
			    "untracked");
	assert_string_equal(json_string_value(json_object_get(json_array_get(c, 1), "git_state")),
			    "clean");
	git = json_object_get(r, "git");
	assert_true(json_is_string(json_object_get(git, "head")));
	assert_int_equal(strlen(json_string_value(json_object_get(git, "head"))), 40);
	assert_int_equal(json_array_size(json_object_get(git, "dirty")), 1);
	json_decref(r);
	/* The store itself is ignored by git. */
	cmd = xstrfmt("cd %s && test -z \"$(git status --porcelain .cairn)\"", f->root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

struct collect {
	struct strvec ids;
	int stop_after;
};

static int collect_ids(json_t *rec, void *payload)
{
	struct collect *c = payload;
	strvec_push(&c->ids, json_string_value(json_object_get(rec, "id")));
	return c->stop_after && (int)c->ids.nr >= c->stop_after ? 7 : 0;
}

static void record_chain(struct fx *f, int n)
{
	int i;
	for (i = 1; i <= n; i++) {
		char id[33], when[32], in[16], out[16], text_in[16], text_out[16];
		json_t *r;
		snprintf(id, sizeof(id), "%032x", i);
		snprintf(when, sizeof(when), "2026-12-02T13:%02d:00Z", i);
		snprintf(in, sizeof(in), "f%d", i - 1);
		snprintf(out, sizeof(out), "f%d", i);
		snprintf(text_in, sizeof(text_in), "v%d\n", i - 1);
		snprintf(text_out, sizeof(text_out), "v%d\n", i);
		r = record(id, i, "step", when, json_pack("[o]", fentry(in, text_in, "file")),
			   json_pack("[o]", fentry(out, text_out, "file")));
		assert_int_equal(provenance_record_step(f->st, r), 0);
		json_decref(r);
	}
}

static void test_foreach_order(void **state)
{
	struct fx *f = *state;
	struct collect c = { STRVEC_INIT, 0 };

	record_chain(f, 5);
	assert_int_equal(provenance_foreach_step(f->st, collect_ids, &c), 0);
	assert_int_equal(c.ids.nr, 5);
	assert_string_equal(c.ids.v[0], "00000000000000000000000000000005");
	assert_string_equal(c.ids.v[4], "00000000000000000000000000000001");
	strvec_clear(&c.ids);
	c.stop_after = 2;
	assert_int_equal(provenance_foreach_step(f->st, collect_ids, &c), 7);
	assert_int_equal(c.ids.nr, 2);
	strvec_clear(&c.ids);
}

static void test_tags(void **state)
{
	struct fx *f = *state;
	json_t *got = NULL, *ft = NULL;
	char sha[65];

	record_chain(f, 2);
	assert_int_equal(provenance_tag(f->st, "@2", "center", "X"), 0);
	assert_int_equal(provenance_tag(f->st, "00000000000000000000000000000001", "k", "1"), 0);
	assert_int_equal(provenance_tag(f->st, "@2", "k", "2"), 0);
	assert_int_equal(provenance_step_get(&got, f->st, "@2"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(got, "tags"), "center")), "X");
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "tags"), "k")),
			    "2");
	json_decref(got);
	assert_int_equal(provenance_tag(f->st, "@1", "bad=key", "v"), CAIRN_EUSAGE);
	assert_int_equal(provenance_tag(f->st, "ffff", "k", "v"), CAIRN_ENOTFOUND);

	sha_of(sha, "raw\n");
	assert_int_equal(provenance_tag_file(f->st, sha, "center", "Y"), 0);
	assert_int_equal(provenance_file_tags(&ft, f->st, sha), 0);
	assert_string_equal(json_string_value(json_object_get(ft, "center")), "Y");
	json_decref(ft);
	sha_of(sha, "other\n");
	assert_int_equal(provenance_file_tags(&ft, f->st, sha), 0);
	assert_int_equal(json_object_size(ft), 0);
	json_decref(ft);
}

static void test_crash_repair_and_reindex(void **state)
{
	struct fx *f = *state;
	struct prov_store *st2 = NULL;
	char full[PROV_ID_LEN + 1];
	char *cmd, *before;
	json_t *r;

	record_chain(f, 2);
	/* As if killed after the session ref moved for step 3 but before the
	 * index and latest did: remember the index, record, put it back. */
	cmd = xstrfmt("git --git-dir %s/.cairn/lineage.git rev-parse refs/cairn/index", f->root);
	before = sh(cmd);
	free(cmd);
	r = record("00000000000000000000000000000003", 3, "step", "2026-12-02T13:03:00Z", NULL,
		   NULL);
	assert_int_equal(provenance_record_step(f->st, r), 0);
	json_decref(r);
	cmd = xstrfmt("git --git-dir %s/.cairn/lineage.git update-ref refs/cairn/index %s && "
		      "git --git-dir %s/.cairn/lineage.git update-ref refs/cairn/latest "
		      "$(git --git-dir %s/.cairn/lineage.git rev-parse "
		      "refs/cairn/sessions/" SESSION "~1)",
		      f->root, before, f->root, f->root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(before);
	assert_int_equal(provenance_step_resolve(full, f->st, "@1"), 0);
	assert_string_equal(full, "00000000000000000000000000000002"); /* step 3 lost... */
	/* ...until the next step of that session is recorded. */
	r = record("00000000000000000000000000000004", 4, "step", "2026-12-02T13:04:00Z", NULL,
		   NULL);
	assert_int_equal(provenance_record_step(f->st, r), 0);
	json_decref(r);
	assert_int_equal(provenance_step_resolve(full, f->st, "@2"), 0);
	assert_string_equal(full, "00000000000000000000000000000003");
	assert_int_equal(provenance_step_resolve(full, f->st, "@1"), 0);
	assert_string_equal(full, "00000000000000000000000000000004");

	/* Killed between the index and latest: latest lags; open repairs. */
	cmd = xstrfmt("git --git-dir %s/.cairn/lineage.git update-ref refs/cairn/latest "
		      "refs/cairn/sessions/" SESSION "~2",
		      f->root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(provenance_store_open(&st2, f->root, 0), 0);
	provenance_store_free(st2);
	cmd = xstrfmt("test $(git --git-dir %s/.cairn/lineage.git rev-parse refs/cairn/latest) = "
		      "$(git --git-dir %s/.cairn/lineage.git rev-parse "
		      "refs/cairn/sessions/" SESSION ")",
		      f->root, f->root);
	assert_int_equal(system(cmd), 0);
	free(cmd);

	/* The index is derived data: drop it and rebuild it. */
	cmd =
	    xstrfmt("git --git-dir %s/.cairn/lineage.git update-ref -d refs/cairn/index", f->root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(provenance_step_resolve(full, f->st, "0000000000000000000000000000000"),
			 CAIRN_ENOTFOUND);
	assert_int_equal(provenance_reindex(f->st), 0);
	assert_int_equal(provenance_step_resolve(full, f->st, "@4"), 0);
	assert_string_equal(full, "00000000000000000000000000000001");
	{
		char id[PROV_ID_LEN + 1];
		assert_int_equal(provenance_latest_writer(id, NULL, f->st, "f2"), 0);
		assert_string_equal(id, "00000000000000000000000000000002");
	}
}

static void test_relpath(void **state)
{
	struct fx *f = *state;
	char *out = NULL, *cwd = getcwd(NULL, 0), *real = realpath(f->root, NULL);
	char *in;

	assert_int_equal(chdir(f->root), 0);
	assert_int_equal(provenance_relpath(&out, f->st, "./data/../x.tif"), 0);
	assert_string_equal(out, "x.tif");
	free(out);
	assert_int_equal(provenance_relpath(&out, f->st, "."), 0);
	assert_string_equal(out, ".");
	free(out);
	assert_int_equal(provenance_relpath(&out, f->st, "/usr/bin/env"), 0);
	assert_string_equal(out, "/usr/bin/env");
	free(out);
	in = xstrfmt("%s/sub/y", real);
	assert_int_equal(provenance_relpath(&out, f->st, in), 0);
	assert_string_equal(out, "sub/y");
	free(out);
	free(in);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	free(real);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_and_find_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ambiguous_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_blobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_in_git_work_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_repair_and_reindex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relpath, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
