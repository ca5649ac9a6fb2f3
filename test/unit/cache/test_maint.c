/*
 * Compressed objects, checking, garbage collection, the action cache's
 * pruning and the cache lock.
 */
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

#include "cache.h"

struct fx {
	char dir[64];
	char *cairn;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/cairn-maint.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cairn = xstrfmt("%s/.cairn", f->dir);
	assert_int_equal(mkdir(f->cairn, 0755), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xstrfmt("chmod -R u+w '%s' && rm -rf '%s'", f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->cairn);
	free(f);
	return 0;
}

static void write_bytes(const char *path, const char *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, buf, n), 0);
	close(fd);
}

/* Put N bytes of compressible text (seeded by SEED) into the CAS. */
static void put_text(struct fx *f, char sha[65], size_t n, int seed)
{
	char *src = xstrfmt("%s/src.%d", f->dir, seed);
	char *buf = xmalloc(n);
	size_t i;
	for (i = 0; i < n; i++)
		buf[i] = (char)('a' + (i / 7 + (size_t)seed) % 26);
	write_bytes(src, buf, n);
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
	free(buf);
	free(src);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void test_zst_roundtrip(void **state)
{
	struct fx *f = *state;
	struct strbuf raw = STRBUF_INIT, zst = STRBUF_INIT;
	char sha[65], got[65];
	char *dest = xstrfmt("%s/out", f->dir);
	uint64_t saved = 0, size = 0;
	struct stat st;
	int fd;

	put_text(f, sha, 300000, 1);
	cache_cas_path(&raw, f->cairn, sha);
	cache_cas_zst_path(&zst, f->cairn, sha);
	assert_int_equal(cache_cas_compress(&saved, f->cairn, sha), 0);
	assert_true(saved > 200000);
	assert_false(exists(raw.buf));
	assert_true(exists(zst.buf));
	assert_int_equal(stat(zst.buf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_true(cache_cas_has(f->cairn, sha));

	/* Compressing again does nothing. */
	assert_int_equal(cache_cas_compress(&saved, f->cairn, sha), 0);
	assert_int_equal(saved, 0);

	/* get_file decompresses and verifies. */
	assert_int_equal(cache_cas_get_file(f->cairn, sha, dest, 0640), 0);
	assert_int_equal(util_sha256_file(got, &size, dest), 0);
	assert_string_equal(got, sha);
	assert_int_equal(size, 300000);

	/* open gives the raw bytes, and leaves nothing in tmp/. */
	assert_int_equal(cache_cas_open(&fd, f->cairn, sha), 0);
	assert_int_equal(util_sha256_fd(got, &size, fd), 0);
	close(fd);
	assert_string_equal(got, sha);
	assert_int_equal(size, 300000);
	{
		char *cmd = xstrfmt("test -z \"$(ls -A '%s/tmp')\"", f->cairn);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	strbuf_release(&raw);
	strbuf_release(&zst);
	free(dest);
}

static void test_incompressible_stays_raw(void **state)
{
	struct fx *f = *state;
	struct strbuf raw = STRBUF_INIT;
	char sha[65];
	uint64_t saved = 1;
	char *src = xstrfmt("%s/tiny", f->dir);

	write_bytes(src, "a\n", 2);
	assert_int_equal(cache_cas_put_file(sha, f->cairn, src), 0);
	assert_int_equal(cache_cas_compress(&saved, f->cairn, sha), 0);
	assert_int_equal(saved, 0);
	cache_cas_path(&raw, f->cairn, sha);
	assert_true(exists(raw.buf));
	strbuf_addstr(&raw, ".zst");
	assert_false(exists(raw.buf));
	strbuf_release(&raw);
	free(src);
}

struct found {
	int n, bad, compressed;
	char why[512];
	char got[65];
};

static int check_all(const struct cache_object *o, void *payload)
{
	struct found *fd = payload;
	char got[65];
	int r = cache_cas_check(got, NULL, o);
	fd->n++;
	fd->compressed += o->compressed;
	if (r < 0) {
		fd->bad++;
		snprintf(fd->why, sizeof(fd->why), "%s", err_last());
		snprintf(fd->got, sizeof(fd->got), "%s", got);
	}
	return 0;
}

/* Replace the compressed object at PATH by its first KEEP bytes, or
 * flip byte FLIP when KEEP is 0. */
static void damage(const char *path, size_t keep, size_t flip)
{
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, path), 0);
	assert_int_equal(chmod(path, 0644), 0);
	if (keep)
		strbuf_setlen(&sb, keep);
	else
		sb.buf[flip] ^= 0x20;
	write_bytes(path, sb.buf, sb.len);
	strbuf_release(&sb);
}

static void test_corrupt_zst_detected(void **state)
{
	struct fx *f = *state;
	struct strbuf zst = STRBUF_INIT;
	char sha[65], sha2[65];
	char *dest = xstrfmt("%s/out", f->dir);
	struct found fd = { 0 };
	uint64_t saved;
	int rfd = -1;

	put_text(f, sha, 100000, 2);
	put_text(f, sha2, 100000, 3);
	assert_int_equal(cache_cas_compress(&saved, f->cairn, sha), 0);
	assert_int_equal(cache_cas_compress(&saved, f->cairn, sha2), 0);
	assert_int_equal(cache_cas_foreach(f->cairn, check_all, &fd), 0);
	assert_int_equal(fd.n, 2);
	assert_int_equal(fd.compressed, 2);
	assert_int_equal(fd.bad, 0);

	/* Truncated: an error naming it, not a crash. */
	cache_cas_zst_path(&zst, f->cairn, sha);
	damage(zst.buf, 40, 0);
	memset(&fd, 0, sizeof(fd));
	assert_int_equal(cache_cas_foreach(f->cairn, check_all, &fd), 0);
	assert_int_equal(fd.bad, 1);
	assert_non_null(strstr(fd.why, "truncated"));
	assert_int_equal(cache_cas_get_file(f->cairn, sha, dest, 0644), CAIRN_ERROR);
	assert_false(exists(dest));
	assert_int_equal(cache_cas_open(&rfd, f->cairn, sha), CAIRN_ERROR);
	assert_int_equal(rfd, -1);

	/* A flipped byte in the middle: zstd's checksum or our hash. */
	strbuf_reset(&zst);
	cache_cas_zst_path(&zst, f->cairn, sha2);
	damage(zst.buf, 0, 30);
	memset(&fd, 0, sizeof(fd));
	assert_int_equal(cache_cas_foreach(f->cairn, check_all, &fd), 0);
	assert_int_equal(fd.bad, 2);
	assert_int_equal(cache_cas_get_file(f->cairn, sha2, dest, 0644), CAIRN_ERROR);
	assert_false(exists(dest));
	strbuf_release(&zst);
	free(dest);
}

static void test_corrupt_raw_reports_hash(void **state)
{
	struct fx *f = *state;
	struct strbuf raw = STRBUF_INIT;
	struct found fd = { 0 };
	char sha[65];
	uint64_t saved = 0;

	put_text(f, sha, 5000, 4);
	cache_cas_path(&raw, f->cairn, sha);
	damage(raw.buf, 0, 100);
	assert_int_equal(cache_cas_foreach(f->cairn, check_all, &fd), 0);
	assert_int_equal(fd.bad, 1);
	assert_string_not_equal(fd.got, "");
	assert_string_not_equal(fd.got, sha);
	assert_non_null(strstr(fd.why, "corrupt"));
	/* A corrupt object is never compressed under its name. */
	assert_int_equal(cache_cas_compress(&saved, f->cairn, sha), CAIRN_ERROR);
	assert_true(exists(raw.buf));
	strbuf_release(&raw);
}

static void test_gc_keeps_referenced(void **state)
{
	struct fx *f = *state;
	struct cache_shaset keep = CACHE_SHASET_INIT;
	struct cache_gc_result r;
	char a[65], b[65], c[65];
	uint64_t saved;
	char *entry_dir, *entry, *text;
	struct strbuf sb = STRBUF_INIT;

	put_text(f, a, 1000, 5);
	put_text(f, b, 2000, 6);
	put_text(f, c, 300000, 7);
	assert_int_equal(cache_cas_compress(&saved, f->cairn, c), 0);
	cache_shaset_add(&keep, a);
	cache_shaset_add(&keep, c);
	cache_shaset_add(&keep, "not a sha");
	assert_true(cache_shaset_has(&keep, a));
	assert_false(cache_shaset_has(&keep, b));

	/* An action entry with one candidate using A, one using B. */
	entry_dir = xstrfmt("%s/actions/%.2s", f->cairn, a);
	entry = xstrfmt("%s/%s", entry_dir, a + 2);
	text = xstrfmt("%s/actions", f->cairn);
	assert_int_equal(mkdir(text, 0755), 0);
	free(text);
	assert_int_equal(mkdir(entry_dir, 0755), 0);
	text = xstrfmt("{\"key\": \"%s\", \"candidates\": ["
		       "{\"step\": \"s1\", \"writes\": [{\"path\": \"x\", \"sha256\": \"%s\"}],"
		       " \"stdout\": null, \"stderr\": null, \"end_state\": \"%s\"},"
		       "{\"step\": \"s2\", \"writes\": [], \"stdout\": \"%s\"}]}",
		       a, a, c, b);
	write_bytes(entry, text, strlen(text));

	/* Dry run: counts, changes nothing. */
	assert_int_equal(cache_gc_sweep(&r, f->cairn, &keep, 1), 0);
	assert_int_equal(r.kept, 2);
	assert_int_equal(r.removed, 1);
	assert_int_equal(r.removed_bytes, 2000);
	assert_int_equal(r.actions.dropped, 1);
	assert_true(cache_cas_has(f->cairn, b));

	assert_int_equal(cache_gc_sweep(&r, f->cairn, &keep, 0), 0);
	assert_int_equal(r.removed, 1);
	assert_true(cache_cas_has(f->cairn, a));
	assert_false(cache_cas_has(f->cairn, b));
	assert_true(cache_cas_has(f->cairn, c));
	assert_int_equal(r.actions.entries, 1);
	assert_int_equal(r.actions.candidates, 2);
	assert_int_equal(r.actions.dropped, 1);
	assert_int_equal(strbuf_read_file(&sb, entry), 0);
	assert_non_null(strstr(sb.buf, "\"s1\""));
	assert_null(strstr(sb.buf, "\"s2\""));

	/* Keeping nothing: every object goes, and so does the entry. */
	cache_shaset_release(&keep);
	assert_int_equal(cache_gc_sweep(&r, f->cairn, &keep, 0), 0);
	assert_int_equal(r.removed, 2);
	assert_int_equal(r.actions.removed, 1);
	assert_false(exists(entry));
	strbuf_release(&sb);
	free(text);
	free(entry);
	free(entry_dir);
}

static void test_malformed_action(void **state)
{
	struct fx *f = *state;
	struct cache_actions_result r;
	char *dir = xstrfmt("%s/actions/ab", f->cairn);
	char *p = xstrfmt("%s/%062d", dir, 0);
	char *top = xstrfmt("%s/actions", f->cairn);

	assert_int_equal(mkdir(top, 0755), 0);
	free(top);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_bytes(p, "{not json", 9);
	assert_int_equal(cache_actions_prune(&r, f->cairn, NULL, NULL, CACHE_ACTIONS_DRY_RUN, NULL),
			 0);
	assert_int_equal(r.malformed, 1);
	assert_int_equal(r.entries, 0);
	assert_true(exists(p));
	assert_int_equal(
	    cache_actions_prune(&r, f->cairn, NULL, NULL, CACHE_ACTIONS_DROP_MALFORMED, NULL), 0);
	assert_false(exists(p));
	free(p);
	free(dir);
}

static void test_lock(void **state)
{
	struct fx *f = *state;
	int sh = -1, ex = -1;

	assert_int_equal(cache_lock_shared(&sh, f->cairn), 0);
	/* flock locks belong to open file descriptions: a second open in
	 * this process conflicts as another process would. */
	assert_int_equal(cache_lock_exclusive(&ex, f->cairn, 0), CAIRN_ECONFLICT);
	assert_non_null(strstr(err_last(), "--wait"));
	cache_unlock(sh);
	assert_int_equal(cache_lock_exclusive(&ex, f->cairn, 0), 0);
	cache_unlock(ex);
}

static void test_quarantine(void **state)
{
	struct fx *f = *state;
	struct strbuf raw = STRBUF_INIT;
	char sha[65];
	char *dest = NULL;

	put_text(f, sha, 100, 8);
	cache_cas_path(&raw, f->cairn, sha);
	assert_int_equal(cache_quarantine(&dest, f->cairn, raw.buf), 0);
	assert_false(exists(raw.buf));
	assert_true(exists(dest));
	assert_non_null(strstr(dest, "/lost+found/"));
	free(dest);
	strbuf_release(&raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zst_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incompressible_stays_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_zst_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_raw_reports_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_keeps_referenced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
