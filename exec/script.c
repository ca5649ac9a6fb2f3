/*
 * script.c - the program a step's shell runs, and reading back the state
 * it leaves.
 *
 * Layout of the program (bash and sh alike):
 *
 *   line 1        prelude: restores the state, on ONE physical line
 *   lines 2..N-1  empty
 *   line N..      the command, verbatim, on its original line numbers
 *   next line     epilogue: dumps the state to EXEC_FD_STATE
 *
 * Keeping the command on its original lines makes $LINENO and the shell's
 * "FILE: line N:" messages match a plain run.  Function definitions are
 * restored by `eval` of their original text padded with newlines, so that
 * errors inside functions also report the original lines.
 *
 * The dump is a sequence of records TAG NUL VALUE NUL; shell strings
 * cannot hold NUL bytes, so no escaping is needed.  It ends with "Z"; a
 * dump without it means the command ended the shell (exit, set -e,
 * exec, a fatal error).
 */
#include "exec-int.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

/* Variables bash manages itself per process: never saved or restored. */
static const char *const bash_specials[] = {
	"BASH",
	"BASHOPTS",
	"BASHPID",
	"BASH_ALIASES",
	"BASH_ARGC",
	"BASH_ARGV",
	"BASH_ARGV0",
	"BASH_CMDS",
	"BASH_COMMAND",
	"BASH_EXECUTION_STRING",
	"BASH_LINENO",
	"BASH_SOURCE",
	"BASH_SUBSHELL",
	"BASH_VERSINFO",
	"BASH_VERSION",
	"BASH_XTRACEFD",
	"COMP_WORDBREAKS",
	"DIRSTACK",
	"EPOCHREALTIME",
	"EPOCHSECONDS",
	"EUID",
	"FUNCNAME",
	"GROUPS",
	"HISTCMD",
	"HOSTNAME",
	"HOSTTYPE",
	"LINENO",
	"MACHTYPE",
	"OSTYPE",
	"PIPESTATUS",
	"PPID",
	"PWD",
	"RANDOM",
	"SECONDS",
	"SHELLOPTS",
	"SHLVL",
	"SRANDOM",
	"UID",
	"_",
};

/* Likewise for dash. */
static const char *const sh_specials[] = {
	"LINENO",
	"PPID",
	"PWD",
	"_",
};

/* Options restored last: they change how the rest of the prelude runs. */
static const char *const late_options[] = {
	"allexport", "errexit", "nounset", "verbose", "xtrace", "noexec",
};

int exec__is_special(const struct exec_session *s, const char *name, size_t len)
{
	const char *const *list = s->lang == EXEC_LANG_SH ? sh_specials : bash_specials;
	size_t n = s->lang == EXEC_LANG_SH ? ARRAY_SIZE(sh_specials) : ARRAY_SIZE(bash_specials);
	size_t i;

	if (len >= 7 && !memcmp(name, "__cairn", 7))
		return 1;
	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && !memcmp(list[i], name, len))
			return 1;
	return 0;
}

/* ---- building the program --------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int declared_name(const char *decl, size_t len, const char **name, size_t *nlen);

static int state_has_var(const struct exec_state *st, const char *want)
{
	size_t i, wlen = strlen(want);
	for (i = 0; i < st->vars.nr; i++) {
		const char *name;
		size_t nlen;
		if (!declared_name(st->vars.v[i], strlen(st->vars.v[i]), &name, &nlen) &&
		    nlen == wlen && !memcmp(name, want, wlen))
			return 1;
	}
	return 0;
}

/* Append "eval $'...'" of TEXT preceded by PAD newlines. */
static void add_eval(struct strbuf *out, const char *text, size_t len, unsigned pad)
{
	struct strbuf body = STRBUF_INIT;
	unsigned i;
	for (i = 0; i < pad; i++)
		strbuf_addch(&body, '\n');
	strbuf_add(&body, text, len);
	strbuf_addstr(out, "\\builtin eval ");
	strbuf_add_ansi_quoted(out, body.buf, body.len);
	strbuf_addstr(out, "; ");
	strbuf_release(&body);
}

/* Is the line P (LEN bytes) one of the lines of TEXT? */
static int has_line(const char *text, const char *p, size_t len)
{
	const char *t = text;
	if (!t)
		return 0;
	while ((t = memmem(t, strlen(t), p, len))) {
		if ((t == text || t[-1] == '\n') && (t[len] == '\n' || !t[len]))
			return 1;
		t += len;
	}
	return 0;
}

static int option_is_late(const char *line, size_t len)
{
	size_t i;
	/* LINE is "set -o NAME" or "set +o NAME". */
	if (len < 8)
		return 0;
	for (i = 0; i < ARRAY_SIZE(late_options); i++) {
		size_t n = strlen(late_options[i]);
		if (len - 7 == n && !memcmp(line + 7, late_options[i], n))
			return 1;
	}
	return 0;
}

/* Split the `set +o` text into early and late option lines. */
/*
 * Turn the `set +o` listing into two commands, one `set` with every
 * option that may go early and one with those that must go last
 * (each ends in "; " when not empty).  xtrace is left to the caller.
 */
static void split_options(const char *opts, const char *base, struct strbuf *early,
			  struct strbuf *late, int *xtrace)
{
	const char *p = opts ? opts : "";
	*xtrace = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct strbuf *to = option_is_late(p, len) ? late : early;
		/* "set -o NAME" / "set +o NAME" */
		if (len == 13 && !memcmp(p, "set -o xtrace", 13)) {
			*xtrace = 1;
		} else if (has_line(base, p, len)) {
			/* as a fresh shell has it */
		} else if (len > 7 && !memcmp(p, "set ", 4) && (p[4] == '-' || p[4] == '+') &&
			   !memcmp(p + 5, "o ", 2)) {
			if (!to->len)
				strbuf_addstr(to, "set");
			strbuf_addch(to, ' ');
			strbuf_add(to, p + 4, len - 4);
		}
		p += len + (nl ? 1 : 0);
	}
	if (early->len)
		strbuf_addstr(early, "; ");
	if (late->len)
		strbuf_addstr(late, "; ");
}

/* `shopt -p` listing -> "shopt -s A B; shopt -u C D; " (the two read-only
 * ones left out). */
static void add_shopts(struct strbuf *out, const char *shopts, const char *base)
{
	struct strbuf on = STRBUF_INIT, off = STRBUF_INIT;
	const char *p = shopts;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 9 && !has_line(base, p, len) && !memcmp(p, "shopt -", 7) && p[8] == ' ' &&
		    !memmem(p, len, "login_shell", 11) && !memmem(p, len, "restricted_shell", 16)) {
			struct strbuf *to = p[7] == 's' ? &on : &off;
			strbuf_addch(to, ' ');
			strbuf_add(to, p + 9, len - 9);
		}
		p += len + (nl ? 1 : 0);
	}
	if (on.len)
		strbuf_addf(out, "\\builtin shopt -s%s; ", on.buf);
	if (off.len)
		strbuf_addf(out, "\\builtin shopt -u%s; ", off.buf);
	strbuf_release(&on);
	strbuf_release(&off);
}

/*
 * The variables, one `declare` per set of attributes: far fewer commands
 * for bash to run than one per variable.  Each statement is
 * "declare -FLAGS NAME[=VALUE]" on one line.
 */
static void add_declares(struct strbuf *body, const struct strvec *vars, const struct strvec *base,
			 int with_oldpwd)
{
	struct strvec flags = STRVEC_INIT, todo = STRVEC_INIT;
	size_t i, j;
	/* Only what differs from a fresh shell (BASE is sorted), and OLDPWD
	 * after a cd. */
	for (i = 0; i < vars->nr; i++) {
		const char *name;
		size_t nlen;
		int oldpwd = with_oldpwd &&
		    !declared_name(vars->v[i], strlen(vars->v[i]), &name, &nlen) && nlen == 6 &&
		    !memcmp(name, "OLDPWD", 6);
		if (oldpwd || !base->nr ||
		    !bsearch(&vars->v[i], base->v, base->nr, sizeof(char *), cmp_str))
			strvec_push(&todo, vars->v[i]);
	}
	vars = &todo;
	for (i = 0; i < vars->nr; i++) {
		const char *v = vars->v[i], *sp = strchr(v + 8, ' ');
		char *f;
		int seen = 0;
		if (strncmp(v, "declare -", 9) || !sp)
			continue;
		f = xstrndup(v, (size_t)(sp - v));
		for (j = 0; j < flags.nr; j++)
			seen |= !strcmp(flags.v[j], f);
		if (!seen)
			strvec_push(&flags, f);
		free(f);
	}
	for (j = 0; j < flags.nr; j++) {
		size_t flen = strlen(flags.v[j]);
		strbuf_addstr(body, flags.v[j]);
		for (i = 0; i < vars->nr; i++) {
			const char *v = vars->v[i];
			if (!strncmp(v, flags.v[j], flen) && v[flen] == ' ')
				strbuf_addstr(body, v + flen);
		}
		strbuf_addch(body, '\n');
	}
	strvec_clear(&flags);
	strvec_clear(&todo);
}

/* Rebuild the pushd stack below the top: `pushd -n` inserts at +1, so
 * push the entries from the bottom up. */
static void add_dirstack(struct strbuf *body, const char *stack)
{
	const char *end = stack + strlen(stack);
	while (end > stack) {
		const char *e = end, *b;
		if (e[-1] == '\n')
			e--;
		b = e;
		while (b > stack && b[-1] != '\n')
			b--;
		if (e > b) {
			char *dir = xstrndup(b, (size_t)(e - b));
			strbuf_addstr(body, "\\builtin pushd -n -- ");
			strbuf_add_sh_quoted(body, dir);
			strbuf_addstr(body, " >/dev/null\n");
			free(dir);
		}
		end = b;
	}
}

/*
 * __cairn_x[N] holds the arithmetic that copies a PIPESTATUS of N entries
 * into __cairn_p (see the epilogue); 0 for N < 2, when there is nothing
 * worth keeping.
 */
static void add_pipestatus_copiers(struct strbuf *out)
{
	size_t n, k;
	strbuf_addstr(out, "__cairn_x=(0 0");
	for (n = 2; n <= EXEC_PIPESTATUS_MAX; n++) {
		strbuf_addstr(out, " '");
		for (k = 0; k < n; k++)
			strbuf_addf(out, "%s__cairn_p[%zu]=PIPESTATUS[%zu]", k ? "," : "", k, k);
		strbuf_addch(out, '\'');
	}
	strbuf_addstr(out, "); ");
}

/*
 * A directory an earlier step left open (`exec 3<.`) is a descriptor of
 * that step's overlay: lookups under it (`/proc/self/fd/3/x`) would go
 * on in a view that is no more.  The shell opens it again by the name it
 * had there, in this step's view, before anything else.  (dash takes
 * descriptors 0-9 only.)
 */
static void add_dir_reopens(struct strbuf *out, const struct exec_session *s, int dash)
{
	size_t i;
	for (i = 0; s->have_fds && i < s->state.fds.nr; i++) {
		const char *d = s->state.fds.v[i], *path = strchr(d, ' ');
		int num = atoi(d), fd = exec__session_fd(s, num);
		struct stat st;
		struct statfs sf;
		if (num < 3 || (dash && num > 9) || fd < 0 || !path || path[1] != '/' ||
		    fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || fstatfs(fd, &sf) < 0 ||
		    sf.f_type != OVERLAYFS_SUPER_MAGIC)
			continue;
		/* `command`: a POSIX shell would exit when it fails; not
		 * `builtin exec`: its redirections would be its own */
		strbuf_addf(out, "{ command exec %d<", num);
		strbuf_add_sh_quoted(out, path + 1);
		strbuf_addstr(out, "; } 2>/dev/null; ");
	}
}

static void build_prelude_bash(struct strbuf *out, const struct exec_session *s,
			       const struct exec_step *step, int sync)
{
	const struct exec_state *st = &s->state;
	struct strbuf body = STRBUF_INIT, early = STRBUF_INIT, late = STRBUF_INIT;
	size_t i;
	int xtrace, moved = 0;

	if (sync)
		strbuf_addf(out,
			    "\\builtin printf x >&%d; \\builtin read -r -u %d __cairn_sync; "
			    "\\builtin exec %d>&- %d<&-; \\builtin unset __cairn_sync; ",
			    EXEC_FD_SYNC_W, EXEC_FD_SYNC_R, EXEC_FD_SYNC_W, EXEC_FD_SYNC_R);
	else if (s->mode == EXEC_MODE_SCRIPT)
		/* Run as `bash -c PROGRAM FILE`: `bash FILE` has no such variable. */
		strbuf_addstr(out, "\\builtin unset BASH_EXECUTION_STRING; ");
	add_dir_reopens(out, s, 0);
	add_pipestatus_copiers(out);
	if (st->initial && s->how == EXEC_HOW_STAGE) {
		/* Started in the stage directory: go home, leave OLDPWD as found. */
		strbuf_addstr(out, "__cairn_op=${OLDPWD-__cairn_unset}; \\builtin cd -- ");
		strbuf_add_sh_quoted(out, st->cwd);
		strbuf_addstr(
		    out,
		    "; if [[ $__cairn_op == __cairn_unset ]]; then \\builtin unset OLDPWD; "
		    "\\builtin declare -x OLDPWD; else OLDPWD=$__cairn_op; fi; "
		    "\\builtin unset __cairn_op; ");
	}
	if (st->initial) {
		/* A fresh shell: note what it starts with, once per session. */
		if (!s->have_base)
			strbuf_addf(out,
				    "{ \\builtin printf 'b\\0'; \\builtin declare -p; "
				    "\\builtin printf '\\0o\\0'; \\builtin set +o; "
				    "\\builtin printf '\\0h\\0'; \\builtin shopt -p; "
				    "\\builtin printf '\\0'; } >&%d; ",
				    EXEC_FD_STATE);
		/* An interactive bash expands aliases; so does the REPL's
		 * (from then on the state carries it, as any shopt). */
		if (s->mode == EXEC_MODE_REPL)
			strbuf_addstr(out, "\\builtin shopt -s expand_aliases; ");
		/* $? of a first step that was interrupted or rejected
		 * (the REPL's: nothing else changed). */
		if (st->status)
			strbuf_addf(out, "\\builtin . '%s/status' %d && :; ", s->tmpdir,
				    st->status & 255);
		return;
	}

	/*
	 * shopts first: extglob and friends change how the function bodies
	 * below parse.  login_shell and restricted_shell are read-only.
	 */
	if (st->shopts)
		add_shopts(out, st->shopts, s->base_shopts);

	/* Functions, each by eval of its own text, on line 1: see top. */
	for (i = 0; i < st->nfuncs; i++) {
		const struct exec_func *f = &st->funcs[i];
		if (f->src)
			add_eval(out, f->src, strlen(f->src), f->line ? f->line - 1 : 0);
		else
			add_eval(out, f->body, strlen(f->body), 0);
		if (f->attrs) {
			strbuf_addf(out, "\\builtin declare -f%s ", f->attrs);
			strbuf_add_sh_quoted(out, f->name);
			strbuf_addstr(out, "; ");
		}
	}

	/*
	 * The rest in one eval: cd before the variables because cd sets
	 * OLDPWD and PWD; options that would disturb the prelude itself
	 * (errexit, nounset, xtrace, ...) after everything.
	 */
	if (st->cwd && (strcmp(st->cwd, s->startdir) || s->how == EXEC_HOW_STAGE)) {
		/* cd sets OLDPWD: unset it, add_declares() restores it. */
		strbuf_addstr(&body, "\\builtin cd -- ");
		strbuf_add_sh_quoted(&body, st->cwd);
		strbuf_addstr(&body, "; \\builtin unset OLDPWD\n");
		moved = 1;
	}
	/* What a fresh bash has but the state does not: unset. */
	for (i = 0; i < s->base_vars.nr; i++) {
		const char *name;
		size_t nlen;
		char *n;
		if (declared_name(s->base_vars.v[i], strlen(s->base_vars.v[i]), &name, &nlen) < 0)
			continue;
		n = xstrndup(name, nlen);
		if (!state_has_var(st, n))
			strbuf_addf(&body, "\\builtin unset -v %s\n", n);
		free(n);
	}
	add_declares(&body, &st->vars, &s->base_vars, moved);
	/* SECONDS counts from the start of the session (or from when the
	 * script last assigned it), in bash's own whole-second arithmetic. */
	if (s->seconds_base >= 0)
		strbuf_addf(&body, "SECONDS=$((EPOCHSECONDS - %lld))\n", s->seconds_base);
	else
		strbuf_addstr(&body, "\\builtin unset SECONDS\n");
	if (st->aliases)
		strbuf_addstr(&body, st->aliases);
	split_options(st->options, s->base_options, &early, &late, &xtrace);
	strbuf_addbuf(&body, &early);
	if (st->dirstack)
		add_dirstack(&body, st->dirstack);
	if (st->traps)
		strbuf_addstr(&body, st->traps);
	if (st->disabled)
		strbuf_addstr(&body, st->disabled);
	strbuf_addstr(out, "\\builtin eval ");
	strbuf_add_ansi_quoted(out, body.buf, body.len);
	strbuf_addstr(out, "; ");
	strbuf_addbuf(out, &late);

	/*
	 * Last, $? and xtrace.  `set -x` is not traced itself, so with a zero
	 * status it simply goes last.  A non-zero status comes from sourcing
	 * a file that returns it (no fork; `&& :` keeps errexit quiet).  With
	 * both, the two go in a group whose stderr is /dev/null, so that the
	 * trace of setting the status does not show.
	 */
	if (st->pipestatus && !xtrace && memmem(step->text, step->len, "PIPESTATUS", 10)) {
		/*
		 * The command reads PIPESTATUS: end with a pipeline of the same
		 * statuses (this forks, so only when it is needed).
		 */
		const char *p = st->pipestatus;
		while (*p) {
			char *end;
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			p = end;
			while (*p == ' ')
				p++;
			if (*p)
				strbuf_addf(out, "(\\builtin exit %ld) | ", v & 255);
			else
				strbuf_addf(out, "\\builtin . '%s/status' %ld", s->tmpdir, v & 255);
		}
		strbuf_addstr(out, st->status ? " && :; " : "; ");
	} else if (xtrace && st->status) {
		/* Traces inside the group go to its stderr, /dev/null. */
		strbuf_addf(out,
			    "{ \\builtin set -o xtrace; \\builtin . '%s/status' %d && :; } "
			    "2>/dev/null",
			    s->tmpdir, st->status & 255);
	} else {
		if (st->status)
			strbuf_addf(out, "\\builtin . '%s/status' %d && :; ", s->tmpdir,
				    st->status & 255);
		if (xtrace)
			strbuf_addstr(out, "\\builtin set -o xtrace");
	}
	strbuf_release(&body);
	strbuf_release(&early);
	strbuf_release(&late);
}

/* Write DATA to the file NAME in the session's scratch directory. */
static int write_side(const struct exec_session *s, const char *name, const char *data, size_t len,
		      int only_if_missing)
{
	char *path = xstrfmt("%s/%s", s->tmpdir, name);
	int fd, ret = 0;

	if (only_if_missing && !access(path, F_OK))
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || util_write_all(fd, data, len) < 0)
		ret = err_errno(CAIRN_ERROR, "%s", path);
	if (fd >= 0 && close(fd) && !ret)
		ret = err_errno(CAIRN_ERROR, "%s", path);
out:
	free(path);
	return ret;
}

/*
 * sh has no $'...', and dash counts the newlines inside quotes as lines
 * of the script, so the prelude goes to files that line 1 sources: one
 * per function (padded so that the function keeps its original line
 * numbers, and named by content so it is written once per session), and
 * one with everything else.
 */
static int build_prelude_sh(struct strbuf *out, const struct exec_session *s, int sync)
{
	const struct exec_state *st = &s->state;
	struct strbuf body = STRBUF_INIT, early = STRBUF_INIT, late = STRBUF_INIT;
	size_t i;
	int xtrace, ret = 0;

	if (sync)
		/* dash takes only fds 0-9 in redirections: go through /proc. */
		strbuf_addf(out,
			    "printf x >/proc/self/fd/%d; read __cairn_sync </proc/self/fd/%d; "
			    "unset __cairn_sync; ",
			    EXEC_FD_SYNC_W, EXEC_FD_SYNC_R);
	add_dir_reopens(out, s, 1);
	if (st->initial && s->how == EXEC_HOW_STAGE) {
		strbuf_addstr(out, "__cairn_op=${OLDPWD-__cairn_unset}; cd -- ");
		strbuf_add_sh_quoted(out, st->cwd);
		strbuf_addstr(out,
			      "; if [ \"$__cairn_op\" = __cairn_unset ]; then unset OLDPWD; "
			      "else OLDPWD=$__cairn_op; fi; unset __cairn_op; ");
	}
	if (st->initial) {
		if (st->status)
			strbuf_addf(out, "(exit %d) && :; ", st->status & 255);
		return 0;
	}
	for (i = 0; i < st->nfuncs && !ret; i++) {
		const struct exec_func *f = &st->funcs[i];
		const char *text = f->src ? f->src : f->body;
		unsigned pad = f->src && f->line ? f->line - 1 : 0, k;
		char hex[SHA256_HEX_LEN + 1], name[80];
		strbuf_reset(&body);
		for (k = 0; k < pad; k++)
			strbuf_addch(&body, '\n');
		strbuf_addstr(&body, text);
		strbuf_addch(&body, '\n');
		util_sha256_hex(hex, body.buf, body.len);
		snprintf(name, sizeof(name), "f-%.16s.sh", hex);
		ret = write_side(s, name, body.buf, body.len, 1);
		strbuf_addf(out, ". '%s/%s'; ", s->tmpdir, name);
	}
	strbuf_reset(&body);
	if (st->cwd && (strcmp(st->cwd, s->startdir) || s->how == EXEC_HOW_STAGE)) {
		strbuf_addstr(&body, "cd -- ");
		strbuf_add_sh_quoted(&body, st->cwd);
		strbuf_addch(&body, '\n');
	}
	strbuf_addstr(&body, "unset OLDPWD\n");
	for (i = 0; i < st->vars.nr; i++) {
		strbuf_addstr(&body, st->vars.v[i]);
		strbuf_addch(&body, '\n');
	}
	if (st->aliases)
		strbuf_addstr(&body, st->aliases);
	split_options(st->options, NULL, &early, &late, &xtrace);
	strbuf_addbuf(&body, &early);
	if (st->traps)
		strbuf_addstr(&body, st->traps);
	strbuf_addbuf(&body, &late);
	if (!ret)
		ret = write_side(s, "prelude.sh", body.buf, body.len, 0);
	strbuf_addf(out, ". '%s/prelude.sh'; ", s->tmpdir);
	if (xtrace) {
		/* Traces inside the group go to its stderr, /dev/null. */
		strbuf_addstr(out, "{ set -x; ");
		if (st->status)
			strbuf_addf(out, "(exit %d) && :; ", st->status & 255);
		strbuf_addstr(out, "} 2>/dev/null");
	} else if (st->status) {
		strbuf_addf(out, "(exit %d) && :", st->status & 255);
	}
	strbuf_release(&body);
	strbuf_release(&early);
	strbuf_release(&late);
	return ret;
}

/* The epilogue for bash.  See the top of the file for the record format. */
static void build_epilogue_bash(struct strbuf *out)
{
	/*
	 * First an empty command (all expansions, which xtrace does not
	 * show) that saves $? and PIPESTATUS before anything changes them;
	 * then a group whose stderr is /dev/null, so that xtrace shows none
	 * of the rest.  (A command of its own first: after some syntax errors
	 * in eval, bash does not take `{` as a reserved word on the next line.)
	 * PIPESTATUS is copied by the expression the prelude left in
	 * __cairn_x[N] for a pipeline of N commands: spelling out all the
	 * copies here would cost bash ten times as much on every step.
	 */
	strbuf_addstr(out,
		      "${__cairn_e[$((__cairn_st=$?, __cairn_pn=${#PIPESTATUS[@]}, "
		      "__cairn_pn <= " EXEC_PIPESTATUS_MAX_STR " ? __cairn_x[__cairn_pn] : 0");
	strbuf_addf(out,
		    "))0*0]-}\n{ \\builtin enable printf set declare shopt trap alias umask "
		    "dirs enable kill exit; \\builtin printf 'O\\0' >&%d; \\builtin set +o >&%d; "
		    "\\builtin printf '\\0' >&%d\n",
		    EXEC_FD_STATE, EXEC_FD_STATE, EXEC_FD_STATE);
	strbuf_addstr(out,
		      "\\builtin set +o errexit +o nounset +o xtrace +o verbose +o allexport "
		      "+o noglob; } 2>/dev/null\n");
	strbuf_addstr(
	    out,
	    "{ \\builtin printf 'S\\0%s\\0' \"$__cairn_st\"\n"
	    "\\builtin printf 'T\\0'; \\builtin trap -p; \\builtin printf '\\0'\n"
	    "\\builtin printf 'H\\0'; \\builtin shopt -p; \\builtin printf '\\0'\n"
	    "\\builtin printf 'A\\0'; \\builtin alias -p; \\builtin printf '\\0'\n"
	    "\\builtin printf 'F\\0'; \\builtin declare -F; \\builtin printf '\\0'\n"
	    "\\builtin printf 'G\\0'; \\builtin declare -f; \\builtin printf '\\0'\n"
	    "\\builtin printf 'U\\0'; \\builtin umask; \\builtin printf '\\0'\n"
	    "\\builtin printf 'K\\0'; \\builtin dirs -l -p; \\builtin printf '\\0'\n"
	    "\\builtin printf 'N\\0'; \\builtin enable -n; \\builtin printf '\\0'\n"
	    "\\builtin printf 'D\\0%s\\0' \"$PWD\"\n"
	    "\\builtin printf 'C\\0%s %s\\0' \"$EPOCHSECONDS\" \"${SECONDS-}\"\n"
	    "for __cairn_n in \"$@\"; do \\builtin printf 'a\\0%s\\0' \"$__cairn_n\"; done\n"
	    "\\builtin printf 'V\\0'; \\builtin declare -p; \\builtin printf '\\0'\n"
	    "\\builtin printf 'P\\0%s'  \"$__cairn_pn\"; \\builtin printf ' %s' \"${__cairn_p[@]-}\"; "
	    "\\builtin printf '\\0'\n"
	    "\\builtin printf 'Z\\0'; } ");
	/* Stop: cairn takes the open descriptors, then continues us. */
	strbuf_addf(out,
		    ">&%d 2>/dev/null\n\\builtin trap - EXIT; \\builtin kill -STOP $$; "
		    "\\builtin exit 0\n",
		    EXEC_FD_STATE);
}

/* The epilogue for POSIX sh.  dash cannot list functions: the caller
 * asks about each name the script has defined so far. */
static void build_epilogue_sh(struct strbuf *out, const struct exec_session *s,
			      const struct exec_step *step)
{
	size_t i;

	strbuf_addf(
	    out, "{ __cairn_st=$?; { printf 'O\\0'; set +o; printf '\\0'; } >>/proc/self/fd/%d\n",
	    EXEC_FD_STATE);
	strbuf_addstr(out,
		      "set +e +u +x +v +a +f; } 2>/dev/null\n{ printf 'S\\0%s\\0' \"$__cairn_st\"\n"
		      "printf 'T\\0'; trap; printf '\\0'\n"
		      "printf 'A\\0'; alias; printf '\\0'\n"
		      "printf 'U\\0'; umask; printf '\\0'\n"
		      "printf 'D\\0%s\\0' \"$PWD\"\n"
		      "for __cairn_n do printf 'a\\0%s\\0' \"$__cairn_n\"; done\n"
		      "printf 'W\\0'; set; printf '\\0'\n"
		      "printf 'R\\0'; readonly -p; printf '\\0'\n"
		      "printf 'X\\0'; export -p; printf '\\0'\n");
	/* Function names: every one defined so far, and in this step. */
	strbuf_addstr(out, "for __cairn_n in :");
	for (i = 0; i < s->state.nfuncs; i++)
		strbuf_addf(out, " %s", s->state.funcs[i].name);
	for (i = 0; i < step->nfuncs; i++)
		if (util_is_name(step->funcs[i].name, strlen(step->funcs[i].name)))
			strbuf_addf(out, " %s", step->funcs[i].name);
	strbuf_addstr(out,
		      "; do [ \"$__cairn_n\" = : ] && continue; "
		      "printf 'f\\0'; command -v \"$__cairn_n\"; printf '\\0'; done\n"
		      "printf 'Z\\0'; } ");
	strbuf_addf(out, ">>/proc/self/fd/%d 2>/dev/null\ntrap - EXIT; kill -STOP $$; exit 0\n",
		    EXEC_FD_STATE);
}

int exec__build_program(struct strbuf *out, const struct exec_session *s,
			const struct exec_step *step, int sync)
{
	unsigned line = step->line ? step->line : 1, i;
	size_t before = out->len;

	if (s->lang == EXEC_LANG_SH) {
		if (build_prelude_sh(out, s, sync) < 0)
			return -1;
	} else
		build_prelude_bash(out, s, step, sync);
	/*
	 * The command must start on its own line LINE.  When it is on line
	 * 1 the prelude has to share the line: only a fresh state (nothing
	 * to restore) can be on line 1 in a script, so that costs nothing.
	 */
	if (line > 1) {
		strbuf_addch(out, '\n');
		for (i = 2; i < line; i++)
			strbuf_addch(out, '\n');
	} else if (out->len > before &&
		   !(out->len >= 2 && !memcmp(out->buf + out->len - 2, "; ", 2))) {
		strbuf_addstr(out, "; ");
	}
	strbuf_add(out, step->text, step->len);
	strbuf_addch(out, '\n');
	if (s->lang == EXEC_LANG_SH)
		build_epilogue_sh(out, s, step);
	else
		build_epilogue_bash(out);
	return 0;
}

/* ---- reading the dump --------------------------------------------------- */

struct rec {
	char tag;
	const char *val;
	size_t len;
};

static int next_rec(const char *buf, size_t len, size_t *pos, struct rec *r)
{
	const char *p = buf + *pos, *end = buf + len, *nul;
	if (p >= end)
		return 0;
	if (end - p < 2 || p[1] != '\0')
		return -1;
	r->tag = p[0];
	if (r->tag == 'Z') {
		*pos += 2;
		r->val = "";
		r->len = 0;
		return 1;
	}
	p += 2;
	nul = memchr(p, '\0', (size_t)(end - p));
	if (!nul)
		return -1;
	r->val = p;
	r->len = (size_t)(nul - p);
	*pos = (size_t)(nul + 1 - buf);
	return 1;
}

/* The name a `declare -p` statement defines: "declare -FLAGS NAME...". */
static int declared_name(const char *decl, size_t len, const char **name, size_t *nlen)
{
	const char *p = decl, *end = decl + len, *q;
	if (len < 11 || memcmp(p, "declare -", 9))
		return -1;
	p += 9;
	while (p < end && *p != ' ')
		p++;
	if (p >= end)
		return -1;
	q = ++p;
	while (q < end && *q != '=' && *q != '\n')
		q++;
	*name = p;
	*nlen = (size_t)(q - p);
	return *nlen ? 0 : -1;
}

static const struct exec_func *find_func(const struct exec_state *st, const char *name)
{
	size_t i;
	for (i = 0; i < st->nfuncs; i++)
		if (!strcmp(st->funcs[i].name, name))
			return &st->funcs[i];
	return NULL;
}

/*
 * Can TEXT be evaluated on its own to define the function?  A here-
 * document attached to the whole definition (`f() { cat; } <<EOF`) has its
 * body outside the recorded text: then the last "<<" has no line after it.
 */
static int usable_def(const struct exec_funcsrc *def)
{
	const char *p = def->text, *end = def->text + def->len, *last = NULL;
	while ((p = memmem(p, (size_t)(end - p), "<<", 2))) {
		last = p;
		p += 2;
	}
	return !last || memchr(last, '\n', (size_t)(end - last)) != NULL;
}

/* The last usable definition of NAME in the step's text, if any. */
static const struct exec_funcsrc *step_def(const struct exec_step *step, const char *name)
{
	size_t i;
	for (i = step->nfuncs; i-- > 0;)
		if (!strcmp(step->funcs[i].name, name))
			return usable_def(&step->funcs[i]) ? &step->funcs[i] : NULL;
	return NULL;
}

static struct exec_func *add_func(struct exec_state *st, const char *name, size_t nlen)
{
	struct exec_func *f;
	ALLOC_GROW(st->funcs, st->nfuncs + 1, st->alloc_funcs);
	f = &st->funcs[st->nfuncs++];
	memset(f, 0, sizeof(*f));
	f->name = xstrndup(name, nlen);
	return f;
}

/*
 * Attach the original definition text: kept from the previous state when
 * the function did not change, taken from this step's text when the step
 * (re)defined it.
 */
/*
 * bash expands aliases in a function body when it reads the definition.
 * Re-reading the original text later could expand different aliases, so
 * when aliases are on and the text names one, keep only bash's own
 * (expanded) text of the function.
 */
static int may_use_alias(const struct exec_state *prev, const struct exec_funcsrc *def)
{
	const char *p = prev->aliases;
	if (!p || !*p || !prev->shopts || !strstr(prev->shopts, "shopt -s expand_aliases"))
		return 0;
	while ((p = strstr(p, "alias "))) {
		const char *name = p + 6, *eq = strchr(name, '=');
		if (!eq)
			break;
		if (eq > name && memmem(def->text, def->len, name, (size_t)(eq - name)))
			return 1;
		p = eq;
	}
	return 0;
}

static void attach_source(struct exec_func *f, const struct exec_state *prev,
			  const struct exec_step *step)
{
	const struct exec_func *old = find_func(prev, f->name);
	const struct exec_funcsrc *def;

	if (old && !strcmp(old->body, f->body)) {
		if (old->src) {
			f->src = xstrdup(old->src);
			f->line = old->line;
		}
		return;
	}
	def = step_def(step, f->name);
	if (def && !may_use_alias(prev, def)) {
		f->src = xstrndup(def->text, def->len);
		f->line = def->line;
	}
}

/*
 * Split `declare -f` output (G) along the names listed by `declare -F`
 * (F).  Each function prints as "NAME () \n{ ...\n}\n", followed by a
 * "declare -fx NAME" line when it has attributes.
 */
static int read_funcs_bash(struct exec_state *out, const struct exec_state *prev,
			   const struct exec_step *step, const struct rec *names,
			   const struct rec *bodies)
{
	const char *p = names->val, *end = names->val + names->len;
	const char *b = bodies->val, *bend = bodies->val + bodies->len;
	struct strbuf hdr = STRBUF_INIT;
	size_t first = out->nfuncs, i;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *sp;
		struct exec_func *f;
		if (line_end - p < 12 || memcmp(p, "declare -f", 10))
			goto bad;
		sp = memchr(p + 10, ' ', (size_t)(line_end - p - 10));
		if (!sp)
			goto bad;
		f = add_func(out, sp + 1, (size_t)(line_end - sp - 1));
		if (sp > p + 10)
			f->attrs = xstrndup(p + 10, (size_t)(sp - p - 10));
		p = nl ? nl + 1 : end;
	}
	for (i = first; i < out->nfuncs; i++) {
		struct exec_func *f = &out->funcs[i];
		const char *stop;
		size_t blen;
		strbuf_reset(&hdr);
		strbuf_addf(&hdr, "%s () \n", f->name);
		if ((size_t)(bend - b) < hdr.len || memcmp(b, hdr.buf, hdr.len))
			goto bad;
		if (i + 1 < out->nfuncs) {
			strbuf_reset(&hdr);
			strbuf_addf(&hdr, "\n%s () \n", out->funcs[i + 1].name);
			stop = memmem(b, (size_t)(bend - b), hdr.buf, hdr.len);
			if (!stop)
				goto bad;
			stop++;
		} else {
			stop = bend;
		}
		blen = (size_t)(stop - b);
		if (f->attrs) {
			/* Drop the trailing "declare -fATTRS NAME\n". */
			strbuf_reset(&hdr);
			strbuf_addf(&hdr, "declare -f%s %s\n", f->attrs, f->name);
			if (blen >= hdr.len && !memcmp(stop - hdr.len, hdr.buf, hdr.len))
				blen -= hdr.len;
		}
		f->body = xstrndup(b, blen);
		b = stop;
		attach_source(f, prev, step);
	}
	strbuf_release(&hdr);
	return 0;
bad:
	strbuf_release(&hdr);
	return err_set(CAIRN_ERROR, "cannot read the function list the shell printed");
}

/*
 * Split dash's `set` output (NAME='value' with '\'' for quotes; values may
 * span lines) into statements.
 */
static void split_assignments(struct strvec *out, const char *p, size_t len, const char *prefix)
{
	const char *end = p + len;
	while (p < end) {
		const char *start = p;
		int inq = 0;
		while (p < end && (inq || *p != '\n')) {
			if (*p == '\'')
				inq = !inq;
			p++;
		}
		if (p > start)
			strvec_pushf(out, "%s%.*s", prefix, (int)(p - start), start);
		if (p < end)
			p++;
	}
}

static size_t assign_name_len(const char *s)
{
	const char *p = s;
	while (*p && *p != '=' && *p != ' ')
		p++;
	return (size_t)(p - s);
}

/* Unquote dash's 'a'\''b' form into OUT. */
static void sh_unquote(struct strbuf *out, const char *p)
{
	int inq = 0;
	for (; *p; p++) {
		if (*p == '\'')
			inq = !inq;
		else if (*p == '\\' && !inq && p[1])
			strbuf_addch(out, *++p);
		else
			strbuf_addch(out, *p);
	}
}

/* Is NAME (LEN bytes) among the "PREFIX NAME[=...]" lines of LIST? */
static int listed(const struct strvec *list, size_t prefix, const char *name, size_t len)
{
	size_t j;
	for (j = 0; j < list->nr; j++) {
		const char *v = list->v[j];
		if (strlen(v) >= prefix + len && !memcmp(v + prefix, name, len) &&
		    (v[prefix + len] == '=' || !v[prefix + len]))
			return 1;
	}
	return 0;
}

/* dash: variables from `set`, with attributes from `export -p` and
 * `readonly -p`; exported values go to the environment too. */
static void read_vars_sh(struct exec_state *out, const struct exec_session *s,
			 const struct rec *set, const struct rec *ro, const struct rec *ex)
{
	struct strvec all = STRVEC_INIT, rdo = STRVEC_INIT, exp = STRVEC_INIT;
	struct strbuf stmt = STRBUF_INIT;
	size_t i;

	split_assignments(&all, set->val, set->len, "");
	split_assignments(&rdo, ro->val, ro->len, "");
	split_assignments(&exp, ex->val, ex->len, "");
	for (i = 0; i < all.nr; i++) {
		const char *v = all.v[i];
		size_t n = assign_name_len(v);
		if (exec__is_special(s, v, n))
			continue;
		strbuf_reset(&stmt);
		strbuf_addstr(&stmt, v);
		if (listed(&exp, 7, v, n)) {
			struct strbuf val = STRBUF_INIT;
			strbuf_addf(&stmt, "; export %.*s", (int)n, v);
			if (v[n] == '=')
				sh_unquote(&val, v + n + 1);
			strvec_pushf(&out->env, "%.*s=%s", (int)n, v, val.buf);
			strbuf_release(&val);
		}
		if (listed(&rdo, 9, v, n))
			strbuf_addf(&stmt, "; readonly %.*s", (int)n, v);
		strvec_push(&out->vars, stmt.buf);
	}
	/* Exported names without a value do not show in `set`. */
	for (i = 0; i < exp.nr; i++)
		if (!strchr(exp.v[i], '=') &&
		    !exec__is_special(s, exp.v[i] + 7, strlen(exp.v[i] + 7)))
			strvec_push(&out->vars, exp.v[i]);
	strbuf_release(&stmt);
	strvec_clear(&all);
	strvec_clear(&rdo);
	strvec_clear(&exp);
}

/* dash: `command -v NAME` printed NAME, so NAME is (still) a function. */
static void read_func_sh(struct exec_state *st, const struct exec_state *prev,
			 const struct exec_step *step, const struct rec *r)
{
	size_t l = r->len;
	char *name;
	const struct exec_func *old;
	const struct exec_funcsrc *def;

	while (l && r->val[l - 1] == '\n')
		l--;
	if (!util_is_name(r->val, l))
		return;
	name = xstrndup(r->val, l);
	old = find_func(prev, name);
	def = step_def(step, name);
	if (!find_func(st, name) && (old || def)) {
		struct exec_func *f = add_func(st, name, l);
		if (def) {
			f->src = xstrndup(def->text, def->len);
			f->line = def->line;
		} else if (old->src) {
			f->src = xstrdup(old->src);
			f->line = old->line;
		}
		f->body = xstrdup(f->src ? f->src : old->body);
	}
	free(name);
}

/*
 * Split `declare -p` output into one statement per variable.  bash quotes
 * values with "..." or $'...' (the latter for anything unprintable, so
 * newlines in values never appear raw); a statement ends at a newline
 * outside quotes.
 */
static void split_declares(struct strvec *out, const char *p, size_t len)
{
	const char *end = p + len, *start = p;
	enum { NORMAL, DQ, SQ, ANSI } q = NORMAL;

	for (; p < end; p++) {
		switch (q) {
		case NORMAL:
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				q = DQ;
			else if (*p == '$' && p + 1 < end && p[1] == '\'')
				q = ANSI, p++;
			else if (*p == '\'')
				q = SQ;
			else if (*p == '\n') {
				if (p > start)
					strvec_push_nodup(out,
							  xstrndup(start, (size_t)(p - start)));
				start = p + 1;
			}
			break;
		case DQ:
		case ANSI:
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == (q == DQ ? '"' : '\''))
				q = NORMAL;
			break;
		case SQ:
			if (*p == '\'')
				q = NORMAL;
			break;
		default:
			break;
		}
	}
	if (p > start)
		strvec_push_nodup(out, xstrndup(start, (size_t)(p - start)));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a value as declare -p prints it: "..." or $'...'. */
static int decode_value(struct strbuf *out, const char *p)
{
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
				p++;
			strbuf_addch(out, *p);
		}
		return *p == '"' ? 0 : -1;
	}
	if (p[0] != '$' || p[1] != '\'')
		return -1;
	for (p += 2; *p && *p != '\''; p++) {
		int c = (unsigned char)*p, v, k;
		if (c != '\\') {
			strbuf_addch(out, c);
			continue;
		}
		c = (unsigned char)*++p;
		switch (c) {
		case 'a':
			strbuf_addch(out, '\a');
			break;
		case 'b':
			strbuf_addch(out, '\b');
			break;
		case 'e':
		case 'E':
			strbuf_addch(out, 033);
			break;
		case 'f':
			strbuf_addch(out, '\f');
			break;
		case 'n':
			strbuf_addch(out, '\n');
			break;
		case 'r':
			strbuf_addch(out, '\r');
			break;
		case 't':
			strbuf_addch(out, '\t');
			break;
		case 'v':
			strbuf_addch(out, '\v');
			break;
		case 'x':
			for (v = 0, k = 0; k < 2 && hexval(p[1]) >= 0; k++)
				v = v * 16 + hexval(*++p);
			strbuf_addch(out, v);
			break;
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
			for (v = c - '0', k = 1; k < 3 && p[1] >= '0' && p[1] <= '7'; k++)
				v = v * 8 + (*++p - '0');
			strbuf_addch(out, v & 255);
			break;
		case '\0':
			return -1;
		default:
			strbuf_addch(out, c);
			break;
		}
	}
	return *p == '\'' ? 0 : -1;
}

/* Keep the statements of user variables; exported scalars with a value
 * also go to the environment. */
static int read_declares(struct exec_state *st, const struct exec_session *s, const char *buf,
			 size_t len)
{
	struct strvec all = STRVEC_INIT;
	struct strbuf val = STRBUF_INIT;
	size_t i;
	int ret = 0;

	split_declares(&all, buf, len);
	for (i = 0; i < all.nr; i++) {
		const char *d = all.v[i], *name, *flags = d + 8;
		size_t nlen, flen;
		if (declared_name(d, strlen(d), &name, &nlen) < 0) {
			ret = -1;
			break;
		}
		if (exec__is_special(s, name, nlen))
			continue;
		strvec_push(&st->vars, d);
		flen = (size_t)(name - 1 - flags);
		if (!memchr(flags, 'x', flen) || memchr(flags, 'a', flen) ||
		    memchr(flags, 'A', flen) || name[nlen] != '=')
			continue;
		strbuf_reset(&val);
		if (decode_value(&val, name + nlen + 1) < 0) {
			ret = -1;
			break;
		}
		strvec_pushf(&st->env, "%.*s=%s", (int)nlen, name, val.buf);
	}
	strvec_clear(&all);
	strbuf_release(&val);
	return ret;
}

int exec__read_dump(struct exec_state *out, int *complete, struct exec_session *s,
		    const struct exec_step *step, const char *buf, size_t len)
{
	struct exec_state st = EXEC_STATE_INIT;
	const struct exec_state *prev = &s->state;
	struct rec r, fnames = { 0 }, fbodies = { 0 }, set = { 0 }, ro = { 0 }, ex = { 0 };
	struct strbuf tmp = STRBUF_INIT;
	size_t pos = 0;
	int ret, have_status = 0;

	*complete = 0;
	exec_state_init(&st);
	st.initial = 0;
	while ((ret = next_rec(buf, len, &pos, &r)) > 0) {
		switch (r.tag) {
		case 'O':
			st.options = xstrndup(r.val, r.len);
			break;
		case 'S':
			st.status = atoi(r.val);
			have_status = 1;
			break;
		case 'T':
			st.traps = xstrndup(r.val, r.len);
			break;
		case 'H':
			st.shopts = xstrndup(r.val, r.len);
			break;
		case 'A':
			if (s->lang == EXEC_LANG_SH) {
				/* dash prints NAME='value'; make it a command. */
				struct strvec al = STRVEC_INIT;
				size_t i;
				split_assignments(&al, r.val, r.len, "alias ");
				strbuf_reset(&tmp);
				for (i = 0; i < al.nr; i++)
					strbuf_addf(&tmp, "%s\n", al.v[i]);
				st.aliases = xstrdup(tmp.buf);
				strvec_clear(&al);
			} else {
				st.aliases = xstrndup(r.val, r.len);
			}
			break;
		case 'F':
			fnames = r;
			break;
		case 'G':
			fbodies = r;
			break;
		case 'K': {
			/* `dirs -l -p`: the first line is the working directory. */
			const char *nl = memchr(r.val, '\n', r.len);
			if (nl && (size_t)(nl + 1 - r.val) < r.len)
				st.dirstack = xstrndup(nl + 1, r.len - (size_t)(nl + 1 - r.val));
			break;
		}
		case 'N':
			if (r.len)
				st.disabled = xstrndup(r.val, r.len);
			break;
		case 'U':
			st.umask = (unsigned)strtoul(r.val, NULL, 8) & 0777;
			break;
		case 'C': {
			/* "EPOCHSECONDS SECONDS": when SECONDS was zero. */
			long long now, secs;
			if (sscanf(r.val, "%lld %lld", &now, &secs) == 2)
				s->seconds_base = now - secs;
			else
				s->seconds_base = -1; /* unset by the script */
			break;
		}
		case 'D':
			st.cwd = xstrndup(r.val, r.len);
			break;
		case 'a':
			strvec_push_nodup(&st.argv, xstrndup(r.val, r.len));
			break;
		case 'V':
			if (read_declares(&st, s, r.val, r.len) < 0)
				goto bad;
			break;
		case 'b':
			if (!s->have_base) {
				struct exec_state base;
				exec_state_init(&base);
				if (read_declares(&base, s, r.val, r.len) == 0) {
					strvec_clear(&s->base_vars);
					s->base_vars = base.vars;
					strvec_init(&base.vars);
					qsort(s->base_vars.v, s->base_vars.nr, sizeof(char *),
					      cmp_str);
				}
				exec_state_release(&base);
			}
			break;
		case 'o':
			if (!s->have_base) {
				free(s->base_options);
				s->base_options = xstrndup(r.val, r.len);
			}
			break;
		case 'h':
			if (!s->have_base) {
				free(s->base_shopts);
				s->base_shopts = xstrndup(r.val, r.len);
				s->have_base = 1;
			}
			break;
		case 'P': {
			/* "N S0 S1 ...": keep it only for pipelines. */
			char *end;
			unsigned long n = strtoul(r.val, &end, 10);
			if (n > 1 && n <= EXEC_PIPESTATUS_MAX) {
				struct strbuf ps = STRBUF_INIT;
				unsigned long k;
				for (k = 0; k < n; k++) {
					long v = strtol(end, &end, 10);
					strbuf_addf(&ps, "%s%ld", k ? " " : "", v);
				}
				st.pipestatus = strbuf_detach(&ps, NULL);
			}
			break;
		}
		case 'W':
			set = r;
			break;
		case 'R':
			ro = r;
			break;
		case 'X':
			ex = r;
			break;
		case 'f':
			read_func_sh(&st, prev, step, &r);
			break;
		case 'Z':
			*complete = 1;
			break;
		default:
			goto bad;
		}
		if (*complete)
			break;
	}
	if (ret < 0 && !*complete)
		goto incomplete;
	if (!*complete)
		goto incomplete;
	if (!have_status || !st.cwd)
		goto bad;
	if (s->lang == EXEC_LANG_SH) {
		read_vars_sh(&st, s, &set, &ro, &ex);
	} else if (fnames.tag && fbodies.tag) {
		if (read_funcs_bash(&st, prev, step, &fnames, &fbodies) < 0)
			goto out_err;
	}
	qsort(st.vars.v, st.vars.nr, sizeof(char *), cmp_str);
	qsort(st.env.v, st.env.nr, sizeof(char *), cmp_str);
	exec_state_release(out);
	*out = st;
	strbuf_release(&tmp);
	return 0;
incomplete:
	*complete = 0;
	exec_state_release(&st);
	strbuf_release(&tmp);
	return 0;
bad:
	err_set(CAIRN_ERROR, "cannot read the state the shell left (record at byte %zu)", pos);
out_err:
	exec_state_release(&st);
	strbuf_release(&tmp);
	return CAIRN_ERROR;
}
