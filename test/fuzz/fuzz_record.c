/*
 * fuzz_record.c - libFuzzer entry point for the step-record parser and
 * the checks on the paths a record names.
 *
 * The input is a step.json blob as the lineage store holds it.  It goes
 * through prov__parse_json() (what prov__tree_json() and
 * prov__load_record() use for lineage, show, log, checkout, rerun and
 * verify) and, when it parses, prov__check_record() (what
 * provenance_record_step() requires); then every path of its reads,
 * writes, code and formats goes through the checks that stand between
 * a record and the disk: util_path_plain() (rerun --into's hide layer,
 * the recorded inputs), prov__code_path_ok() (code/ in a step's tree),
 * exec__plainly_under() (a path the store names, below a root), and
 * exec_restore_mode() (the mode a file is restored with).  It abort()s
 * when:
 *   - parsing fails without a message, or succeeds with an error set;
 *   - a record prov__check_record() accepts lacks an id of 32 lowercase
 *     hex digits, a session ref under refs/cairn/sessions/, or reads
 *     and writes arrays;
 *   - the record does not survive a dump and a parse unchanged;
 *   - a path a check accepts is absolute, empty, or has an empty, `.`
 *     or `..` component (fuzz_path_plain()), or is a code path under
 *     .cairn/ or through a .git component;
 *   - exec__plainly_under() gives anything but the path itself below
 *     the fake project's root;
 *   - a restored mode keeps a set-id or sticky bit;
 *   - anything was made in the fake project (fuzz_project.h).
 * Nothing here writes a file: the checks only lstat.
 */
#include "exec-int.h"
#include "fuzz_project.h"
#include "prov-int.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_hex32(const char *s)
{
	size_t i;

	for (i = 0; i < PROV_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[PROV_ID_LEN] == '\0';
}

/* Does PATH have a component `.git` (any case)? */
static int has_git_component(const char *path)
{
	const char *p = path;

	for (;;) {
		size_t n = strcspn(p, "/");
		if (n == 4 && !strncasecmp(p, ".git", 4))
			return 1;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static void check_path(const char *path)
{
	const struct fuzz_project *fp = fuzz_project();
	struct strbuf full = STRBUF_INIT;
	const char *rest;

	if (!path)
		return;
	if (util_path_plain(path))
		CHECK(fuzz_path_plain(path));
	else
		CHECK(!fuzz_path_plain(path));
	if (prov__code_path_ok(path)) {
		CHECK(fuzz_path_plain(path));
		CHECK(strcmp(path, ".cairn") && strncmp(path, ".cairn/", 7));
		CHECK(!has_git_component(path));
	}
	/* As a path the store names below the project root. */
	strbuf_addf(&full, "%s/%s", fp->root, path);
	rest = exec__plainly_under(full.buf, fp->root);
	if (rest) {
		CHECK(!strcmp(rest, path));
		CHECK(fuzz_path_plain(rest));
	}
	/* An absolute path below the root, as a record of a step run with
	 * cwd outside the project may name it. */
	if (path[0] == '/' && (rest = exec__plainly_under(path, fp->root)))
		CHECK(fuzz_path_plain(rest) && rest > path && rest[-1] == '/');
	strbuf_release(&full);
}

static void check_entries(json_t *arr)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e)
	{
		const char *mode = json_string_value(json_object_get(e, "mode"));

		check_path(json_string_value(json_object_get(e, "path")));
		check_path(json_string_value(json_object_get(e, "target")));
		CHECK((exec_restore_mode(mode) & ~0777u) == 0);
	}
}

static void check_roundtrip(json_t *rec)
{
	char *text = json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_t *back = NULL;

	CHECK(text != NULL);
	CHECK(prov__parse_json(&back, text, strlen(text), "step.json") == 0);
	CHECK(json_equal(rec, back));
	json_decref(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf ref = STRBUF_INIT;
	json_t *rec = NULL, *copy, *formats, *v;
	const char *key;

	fuzz_project();
	err_clear();
	if (prov__parse_json(&rec, data, size, "step.json") < 0) {
		CHECK(rec == NULL);
		CHECK(err_last() && err_last()[0]);
		err_clear();
		return 0;
	}
	CHECK(rec != NULL);
	check_roundtrip(rec);

	copy = json_deep_copy(rec);
	CHECK(copy != NULL);
	if (prov__check_record(copy, &ref) == 0) {
		const char *id = json_string_value(json_object_get(copy, "id"));

		CHECK(json_is_object(copy));
		CHECK(id && is_hex32(id));
		CHECK(!strncmp(ref.buf, "refs/cairn/sessions/", 20) && ref.buf[20] != '\0');
		CHECK(!strchr(ref.buf + 20, '/'));
		CHECK(json_is_array(json_object_get(copy, "reads")));
		CHECK(json_is_array(json_object_get(copy, "writes")));
		CHECK(json_is_string(json_object_get(copy, "command")));
	}
	err_clear();
	json_decref(copy);

	check_entries(json_object_get(rec, "reads"));
	check_entries(json_object_get(rec, "writes"));
	check_entries(json_object_get(rec, "code"));
	formats = json_object_get(rec, "formats");
	json_object_foreach(formats, key, v)
	{
		check_path(key);
	}
	json_decref(rec);
	strbuf_release(&ref);
	fuzz_project_check();
	return 0;
}
