/*
 * fuzz_action_entry.c - libFuzzer entry point for the action-cache entry
 * parser and the checks on what a served entry may write.
 *
 * The input is a .cairn/actions/ab/<62 hex> file.  It goes through
 * cache__action_parse() (what cache_action_get() uses) and, when it
 * parses, each candidate's writes through exec__entry_refused_write()
 * (write_ok() and through_own_link(): what exec__steprun_serve() checks
 * before it plans anything) for a session whose project, writable
 * directory and /tmp are the fake project's (fuzz_project.h), and each
 * mode through exec_restore_mode().  It abort()s when:
 *   - parsing fails without a message, or gives anything but an object
 *     with a `candidates` array;
 *   - a candidate whose writes are accepted names a write without a
 *     path or of another kind than file, symlink, dir or deleted; a
 *     relative path that is not plain (empty, `.` or `..` component,
 *     fuzz_path_plain()); an absolute path that is not a plain path
 *     strictly below /tmp or the writable directory; a path below a
 *     symlink the same candidate makes; or a relative path whose place
 *     on the host is not the same path below the project root;
 *   - a mode keeps a set-id or sticky bit;
 *   - anything was made in the fake project.
 * Nothing here writes a file: the checks only lstat.
 */
#include "cache-int.h"
#include "exec-int.h"
#include "fuzz_project.h"
#include "fuzz_session.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(struct exec_session *s, json_t *writes)
{
	struct strbuf host = STRBUF_INIT;
	json_t *w, *x;
	size_t i, k;

	json_array_foreach(writes, i, w)
	{
		const char *path = json_string_value(json_object_get(w, "path"));
		const char *kind = json_string_value(json_object_get(w, "kind"));

		CHECK(path && kind);
		CHECK(!strcmp(kind, "file") || !strcmp(kind, "symlink") || !strcmp(kind, "dir") ||
		      !strcmp(kind, "deleted"));
		if (path[0] == '/') {
			CHECK(fuzz_plain_below(path, "/tmp") ||
			      fuzz_plain_below(path, s->writable.v[0]));
		} else {
			CHECK(fuzz_path_plain(path));
			strbuf_reset(&host);
			CHECK(exec__view_host(s, path, &host) == 0);
			CHECK(fuzz_plain_below(host.buf, s->root) &&
			      !strcmp(fuzz_plain_below(host.buf, s->root), path));
		}
		json_array_foreach(writes, k, x)
		{
			const char *l = json_string_value(json_object_get(x, "path"));
			const char *lk = json_string_value(json_object_get(x, "kind"));
			size_t n = l ? strlen(l) : 0;

			if (lk && !strcmp(lk, "symlink") && n)
				CHECK(strncmp(path, l, n) || path[n] != '/');
		}
	}
	strbuf_release(&host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_session *s = session();
	json_t *entry = NULL, *cand;
	size_t i, k;

	err_clear();
	if (cache__action_parse(&entry, (const char *)data, size, "entry", 1) < 0) {
		CHECK(entry == NULL);
		CHECK(err_last() && err_last()[0]);
		err_clear();
		return 0;
	}
	CHECK(json_is_object(entry));
	CHECK(json_is_array(json_object_get(entry, "candidates")));
	json_array_foreach(json_object_get(entry, "candidates"), i, cand)
	{
		json_t *writes = json_object_get(cand, "writes"), *w;

		if (!exec__entry_refused_write(s, writes))
			check_accepted(s, writes);
		json_array_foreach(writes, k, w)
		{
			const char *mode = json_string_value(json_object_get(w, "mode"));

			CHECK((exec_restore_mode(mode) & ~0777u) == 0);
		}
	}
	json_decref(entry);
	fuzz_project_check();
	return 0;
}
