/*
 * fuzz_journal.c - libFuzzer entry point for the commit journal parser
 * and the check that a journal found in the store is one cairn wrote.
 *
 * The input is a .cairn/journal/<id>.journal file, in which `@P` stands
 * for the fake project's root and `@W` for its writable directory
 * (fuzz_project.h; the seeds are real journals with their root made
 * `@P`).  It goes through exec__journal_parse() (what
 * exec__commit_recover() reads) and, when it parses,
 * exec__journal_ok() (what stands between a planted journal and the
 * renames and deletions it names).  It abort()s when:
 *   - parsing fails without a message;
 *   - a journal exec__journal_ok() accepts has an operation, other than
 *     a skip, whose target is not a plain path (fuzz_path_plain())
 *     below the project root outside .cairn/, nor below the writable
 *     directory; or whose source is not a plain path below .cairn/tmp;
 *   - anything was made in the fake project.
 * Nothing here carries an operation out: the checks only lstat.
 */
#include "exec-int.h"
#include "fuzz_project.h"
#include "fuzz_session.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* DATA with `@P` and `@W` put in the fake project's terms. */
static void expand(struct strbuf *out, const uint8_t *data, size_t size)
{
	const struct fuzz_project *fp = fuzz_project();
	size_t i;

	for (i = 0; i < size; i++) {
		if (data[i] == '@' && i + 1 < size && (data[i + 1] == 'P' || data[i + 1] == 'W')) {
			strbuf_addstr(out, data[i + 1] == 'P' ? fp->root : fp->writable);
			i++;
		} else {
			strbuf_addch(out, (char)data[i]);
		}
	}
}

static void check_accepted(const struct exec_commit *c, const struct exec_session *s)
{
	char *tmp = xstrfmt("%s/tmp", s->cairn_dir);
	size_t i;

	for (i = 0; i < c->nops; i++) {
		const struct exec_op *op = &c->ops[i];
		const char *rest;

		if (op->type == 'S')
			continue;
		CHECK(op->dst != NULL);
		rest = fuzz_plain_below(op->dst, s->root);
		if (rest)
			CHECK(strcmp(rest, ".cairn") && strncmp(rest, ".cairn/", 7));
		else
			CHECK(fuzz_plain_below(op->dst, s->writable.v[0]));
		if (op->src)
			CHECK(fuzz_plain_below(op->src, tmp));
	}
	free(tmp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_session *s = session();
	struct exec_commit c = { 0 };
	struct strbuf text = STRBUF_INIT;
	size_t done = 0;

	expand(&text, data, size);
	err_clear();
	if (exec__journal_parse(&c, &done, text.buf, text.len, "journal") < 0) {
		CHECK(err_last() && err_last()[0]);
		err_clear();
	} else if (exec__journal_ok(&c, s)) {
		check_accepted(&c, s);
	}
	exec_commit_release(&c);
	strbuf_release(&text);
	fuzz_project_check();
	return 0;
}
