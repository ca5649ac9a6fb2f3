#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "provenance.h"

#define SESSION "20261207T090000Z-00c0ffee"

struct fx {
	char root[64];
	struct prov_store *st;
	int seq;
};

static void write_file(struct fx *f, const char *rel, const char *text)
{
	char *p = xstrfmt("%s/%s", f->root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, text, strlen(text)), 0);
	close(fd);
	free(p);
}

static json_t *fentry(const char *path, const char *text)
{
	char sha[65];
	util_sha256_hex(sha, text, strlen(text));
	return json_pack("{s:s, s:s, s:i, s:s}", "path", path, "sha256", sha, "size",
			 (int)strlen(text), "kind", "file");
}

/* Record a step that read READ (text READ_TEXT) and wrote WRITE (whose
 * text is also put on disk); ARGV is its one program; returns its id. */
static const char *step(struct fx *f, const char *id, const char *started, const char *read,
			const char *read_text, const char *write, const char *write_text,
			json_t *argv)
{
	json_t *reads = json_array(), *writes = json_array(), *r;
	if (read)
		json_array_append_new(reads, fentry(read, read_text));
	if (write) {
		write_file(f, write, write_text);
		json_array_append_new(writes, fentry(write, write_text));
	}
	r = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:b, s:o, s:o, s:[{s:i, s:i, s:o}]}",
		      "id", id, "session", SESSION, "seq", ++f->seq, "command", "cmd", "started",
		      started, "finished", started, "exit_status", 0, "cached", 0, "reads", reads,
		      "writes", writes, "exec_tree", "pid", 2, "ppid", 1, "argv",
		      argv ? argv : json_pack("[s]", "true"));
	assert_int_equal(provenance_record_step(f->st, r), 0);
	json_decref(r);
	return id;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(f->root, sizeof(f->root), "/tmp/cairn-query.XXXXXX");
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

static int collect_status(const struct prov_status_entry *e, void *payload)
{
	struct strbuf *sb = payload;
	strbuf_addf(sb, "%s=%s;", e->path, provenance_state_name(e->state));
	return 0;
}

static char *status_of(struct fx *f)
{
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(provenance_status(f->st, collect_status, &sb), 0);
	return strbuf_detach(&sb, NULL);
}

static void test_status(void **state)
{
	struct fx *f = *state;
	char *s, *p;

	write_file(f, "raw", "raw1\n");
	step(f, "10000000000000000000000000000001", "2026-12-07T10:00:00Z", "raw", "raw1\n", "mid",
	     "mid1\n", NULL);
	step(f, "10000000000000000000000000000002", "2026-12-07T10:01:00Z", "mid", "mid1\n", "out",
	     "out1\n", NULL);
	step(f, "10000000000000000000000000000003", "2026-12-07T10:02:00Z", NULL, NULL, "gone",
	     "g\n", NULL);
	step(f, "10000000000000000000000000000004", "2026-12-07T10:03:00Z", NULL, NULL, "mod",
	     "m\n", NULL);
	/* sed -i: reads and rewrites the same file. */
	write_file(f, "inplace", "before\n");
	step(f, "10000000000000000000000000000005", "2026-12-07T10:04:00Z", "inplace", "before\n",
	     "inplace", "after\n", NULL);

	s = status_of(f);
	assert_string_equal(
	    s, "gone=fresh;inplace=fresh;mid=fresh;mod=fresh;out=fresh;raw=untracked;");
	free(s);

	p = xstrfmt("%s/gone", f->root);
	unlink(p);
	free(p);
	write_file(f, "mod", "edited\n");
	write_file(f, "stray", "x\n");
	s = status_of(f);
	assert_string_equal(
	    s,
	    "gone=deleted;inplace=fresh;mid=fresh;mod=modified;out=fresh;raw=untracked;stray="
	    "untracked;");
	free(s);

	/* An input two steps upstream changes: both outputs are stale. */
	write_file(f, "raw", "raw2\n");
	s = status_of(f);
	assert_string_equal(
	    s,
	    "gone=deleted;inplace=fresh;mid=stale;mod=modified;out=stale;raw=untracked;stray="
	    "untracked;");
	free(s);

	/* Put raw back; then a later step rewrites mid while the old bytes are
	 * restored by hand: out derives from a version since rewritten. */
	write_file(f, "raw", "raw1\n");
	step(f, "10000000000000000000000000000006", "2026-12-07T10:05:00Z", NULL, NULL, "mid",
	     "mid2\n", NULL);
	write_file(f, "mid", "mid1\n");
	s = status_of(f);
	assert_string_equal(
	    s,
	    "gone=deleted;inplace=fresh;mid=modified;mod=modified;out=stale;raw=untracked;stray="
	    "untracked;");
	free(s);
}

/* A step that reproduces an input byte for byte from changed sources
 * vouches for it: what was derived from those bytes stays fresh. */
static void test_status_cutoff(void **state)
{
	struct fx *f = *state;
	char *s;

	write_file(f, "raw", "r1\n");
	step(f, "30000000000000000000000000000001", "2026-12-07T10:00:00Z", "raw", "r1\n", "mid",
	     "m\n", NULL);
	step(f, "30000000000000000000000000000002", "2026-12-07T10:01:00Z", "mid", "m\n", "out",
	     "o\n", NULL);
	write_file(f, "raw", "r2\n");
	s = status_of(f);
	assert_string_equal(s, "mid=stale;out=stale;raw=untracked;");
	free(s);
	step(f, "30000000000000000000000000000003", "2026-12-07T10:02:00Z", "raw", "r2\n", "mid",
	     "m\n", NULL);
	s = status_of(f);
	assert_string_equal(s, "mid=fresh;out=fresh;raw=untracked;");
	free(s);
}

struct found {
	struct strbuf ids;
};

static int collect_found(json_t *rec, void *payload)
{
	struct strbuf *sb = payload;
	strbuf_addf(sb, "%.2s;", json_string_value(json_object_get(rec, "id")) + 30);
	return 0;
}

static char *find(struct fx *f, struct prov_find_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(provenance_find(f->st, o, collect_found, &sb), 0);
	return strbuf_detach(&sb, NULL);
}

static void test_find(void **state)
{
	struct fx *f = *state;
	struct prov_find_opts o = PROV_FIND_OPTS_INIT;
	char sha[65], *s;

	write_file(f, "raw", "raw\n");
	write_file(f, "other", "other\n");
	/* Monday 7 and Tuesday 8 December 2026. */
	step(f, "20000000000000000000000000000001", "2026-12-07T10:00:00Z", "raw", "raw\n", "mid",
	     "mid\n", json_pack("[s, s, s, s, s]", "gdalwarp", "-m", "12", "raw", "mid"));
	step(f, "20000000000000000000000000000002", "2026-12-08T10:00:00Z", "mid", "mid\n", "out",
	     "out\n", json_pack("[s, s, s, s, s]", "/usr/bin/gdalwarp", "-m", "1", "mid", "out"));
	step(f, "20000000000000000000000000000003", "2026-12-08T11:00:00Z", "other", "other\n",
	     "o2", "o2\n", json_pack("[s, s]", "gdalinfo", "other"));

	/* The raw input was brought in by hand: tag its version. */
	util_sha256_hex(sha, "raw\n", 4);
	assert_int_equal(provenance_tag_file(f->st, sha, "center", "X"), 0);
	assert_int_equal(provenance_tag(f->st, "20000000000000000000000000000003", "center", "Y"),
			 0);

	strvec_push(&o.tags, "center=X");
	s = find(f, &o);
	assert_string_equal(s, "02;01;");
	free(s);
	strvec_clear(&o.tags);
	strvec_push(&o.tags, "center");
	s = find(f, &o);
	assert_string_equal(s, "03;02;01;");
	free(s);
	strvec_clear(&o.tags);
	strvec_push(&o.own_tags, "center=Y");
	s = find(f, &o);
	assert_string_equal(s, "03;");
	free(s);
	strvec_clear(&o.own_tags);

	/* A tag on a step flows to what derives from it. */
	assert_int_equal(provenance_tag(f->st, "20000000000000000000000000000001", "qa", "ok"), 0);
	strvec_push(&o.tags, "qa=ok");
	s = find(f, &o);
	assert_string_equal(s, "02;01;");
	free(s);
	strvec_clear(&o.tags);

	o.derived_from = "raw";
	s = find(f, &o);
	assert_string_equal(s, "02;01;");
	free(s);
	o.derived_from = NULL;
	o.reads = "mid";
	s = find(f, &o);
	assert_string_equal(s, "02;");
	free(s);
	o.reads = NULL;
	o.writes = "mid";
	s = find(f, &o);
	assert_string_equal(s, "01;");
	free(s);
	o.writes = NULL;

	o.command = "gdalwarp*";
	o.arg = "-m 12";
	s = find(f, &o);
	assert_string_equal(s, "01;");
	free(s);
	o.arg = "-m 1"; /* whole words: not "-m 12" */
	s = find(f, &o);
	assert_string_equal(s, "02;");
	free(s);
	o.arg = NULL;
	o.command = "gdalwarp";
	s = find(f, &o);
	assert_string_equal(s, "02;01;");
	free(s);
	o.command = NULL;

	o.weekday = 1; /* Monday */
	s = find(f, &o);
	assert_string_equal(s, "01;");
	free(s);
	o.weekday = -1;
	o.since = "2026-12-08";
	s = find(f, &o);
	assert_string_equal(s, "03;02;");
	free(s);
	o.since = "2026-12-08 10:30";
	s = find(f, &o);
	assert_string_equal(s, "03;");
	free(s);
	prov_find_opts_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_cutoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
