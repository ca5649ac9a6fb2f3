/*
 * cache.c - serve a step from the cache when it meets the same inputs
 * again (verifying traces, DESIGN §6), and offer successful steps to it.
 *
 * The action key names what is known before the step runs: the command
 * and where it stands, the shell and its state, the sandbox settings and
 * where output goes.  Each key has a few candidate traces; a candidate
 * hits when everything it read is still the same: files by hash (through
 * the stat memo), absent paths still absent, listed directories listing
 * the same names, symlinks pointing the same way, stat'ed paths of the
 * same type and size, extended attributes that were read the same.
 */
#include "exec-int.h"
#include "formats.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define KEY_VERSION 5
#define MAX_CANDIDATES 8
#define MAX_OBJECT (64u << 20) /* logs and states read whole */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char *const mode_names[] = { "script", "string", "stdin", "repl" };

const char *exec_mode_name(enum exec_mode m)
{
	return (unsigned)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

/* ---- what the key leaves out ------------------------------------------ */

/*
 * Variables that say which machine, login, terminal or job a step runs
 * in rather than what it computes (docs/cache.md): left out of the
 * action key, unless the step's own text (or a function, alias or trap
 * it may call) names them.  fnmatch(3) patterns; .cairn/config adds to
 * them (cache.ignoreEnv) and takes back (cache.keyEnv).
 */
static const char *const unkeyed_env[] = {
	/* the machine and the login (the user's id is in the key: uid) */
	"HOSTNAME", "HOST", "SHLVL", "_", "OLDPWD", "PWD", "USER", "LOGNAME", "SHELL", "TMPDIR",
	"MAIL", "MAILCHECK", "MAILPATH", "SESSION_MANAGER", "DBUS_SESSION_BUS_ADDRESS",
	"XDG_RUNTIME_DIR", "XDG_SESSION_*", "XDG_SEAT", "XDG_SEAT_PATH", "XDG_VTNR",
	"DESKTOP_SESSION", "GPG_AGENT_INFO", "GPG_TTY", "INVOCATION_ID", "JOURNAL_STREAM",
	"MANAGERPID", "SYSTEMD_EXEC_PID", "SSH_*",
	/* the terminal and the display */
	"TERM", "TERMCAP", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "TERM_SESSION_ID", "COLORTERM",
	"COLUMNS", "LINES", "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "WINDOWID", "WINDOWPATH",
	"VTE_VERSION", "KONSOLE_*", "ITERM_*", "LC_TERMINAL", "LC_TERMINAL_VERSION", "TMUX",
	"TMUX_PANE", "STY",
	/* colours and the interactive shell's own */
	"LS_COLORS", "LSCOLORS", "GREP_COLORS", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE",
	"FORCE_COLOR", "PS1", "PS2", "PROMPT_COMMAND", "HISTFILE", "HISTSIZE", "HISTFILESIZE",
	"HISTCONTROL",
	/* the batch system's job */
	"SLURM_*", "SBATCH_*", "SRUN_*", "SALLOC_*", "PBS_*", "LSB_*", "SGE_*"
};

/* ... but these pick a job's share of the work: always in the key. */
static const char *const keyed_env[] = { "SLURM_ARRAY_TASK_*", "SLURM_PROCID", "SLURM_LOCALID",
					 "SLURM_NODEID",       "SLURM_NTASKS", "PBS_ARRAYID",
					 "PBS_ARRAY_INDEX",    "SGE_TASK_*",   "LSB_JOBINDEX*" };

static int match_any(const char *const *pats, size_t n, const struct strvec *more, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!fnmatch(pats[i], name, 0))
			return 1;
	for (i = 0; more && i < more->nr; i++)
		if (!fnmatch(more->v[i], name, 0))
			return 1;
	return 0;
}

int exec_env_pattern_check(const char *pat)
{
	const char *p;
	int bracket = 0;
	if (!*pat)
		return err_set(CAIRN_EUSAGE, "an empty pattern");
	for (p = pat; *p; p++) {
		if (bracket) {
			if (*p == ']' && p[-1] != '[' && !(p[-1] == '!' && p[-2] == '['))
				bracket = 0;
			else if (!isalnum((unsigned char)*p) && !strchr("_!^-", *p))
				break;
		} else if (*p == '[') {
			bracket = 1;
		} else if (!isalnum((unsigned char)*p) && !strchr("_*?", *p)) {
			break;
		}
	}
	if (*p || bracket)
		return err_set(CAIRN_EUSAGE,
			       "'%s' is not a pattern of variable names (letters, digits, _, "
			       "and the wildcards * ? [...])",
			       pat);
	return 0;
}

/* The name a state entry defines: `declare -x NAME=...` (bash), or
 * `NAME=...` (sh's variables, and the environment). */
static int entry_name(const char *e, const char **name, size_t *len)
{
	const char *q;
	if (!strncmp(e, "declare -", 9)) {
		e = strchr(e + 9, ' ');
		if (!e)
			return -1;
		e++;
	}
	q = e + strcspn(e, "=\n");
	*name = e;
	*len = (size_t)(q - e);
	return *len ? 0 : -1;
}

/* Does TEXT name WORD as a word (not inside a longer name)? */
static int names_word(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word), i;
	for (i = 0; i + n <= len; i++) {
		if (memcmp(text + i, word, n))
			continue;
		if (i && (isalnum((unsigned char)text[i - 1]) || text[i - 1] == '_'))
			continue;
		if (i + n < len && (isalnum((unsigned char)text[i + n]) || text[i + n] == '_'))
			continue;
		return 1;
	}
	return 0;
}

/* Is TEXT[I] where a command starts (after a separator, a keyword, a
 * quote of an alias or trap body, `command` or `builtin`)? */
static int command_position(const char *text, size_t i)
{
	static const char *const kw[] = { "then",  "do", "else", "elif",    "if",     "while",
					  "until", "!",	 "time", "command", "builtin" };
	size_t k;
	while (i && (text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\\'))
		i--;
	if (!i || strchr("\n;&|(){`'\"", text[i - 1]))
		return 1;
	for (k = 0; k < ARRAY_SIZE(kw); k++) {
		size_t n = strlen(kw[k]);
		if (i >= n && !memcmp(text + i - n, kw[k], n) &&
		    (i == n || strchr(" \t\n;&|(){'\"", text[i - n - 1])))
			return 1;
	}
	return 0;
}

/*
 * May TEXT's `cd` read OLDPWD (`cd -`)?  Unless every `cd` in it (as a
 * word: also quoted, escaped, after `command` or `builtin`) is followed
 * by nothing or by one plain literal operand -- letters, digits and
 * ._/+,:@%= not starting with - -- the operand may come out as `-` (`cd
 * $x`, `cd -- -`, `"cd" -`).  pushd and popd always may.
 */
static int cd_may_read_oldpwd(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	if (names_word(text, len, "pushd") || names_word(text, len, "popd"))
		return 1;
	while ((p = memmem(p, (size_t)(end - p), "cd", 2))) {
		const char *q = p + 2, *arg;
		int word = (p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
		    (q == end || !(isalnum((unsigned char)*q) || *q == '_'));
		p = q;
		if (!word)
			continue;
		/* `c=cd; $c -`: named where it is no command */
		if (!command_position(text, (size_t)(q - 2 - text)))
			return 1;
		if (q < end && *q != ' ' && *q != '\t' && *q != '\n' && *q != ';' && *q != '&' &&
		    *q != '|' && *q != ')')
			return 1; /* "cd" -, cd\ x ... */
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		arg = q;
		while (q < end && (isalnum((unsigned char)*q) || strchr("._/+,:@%=", *q)))
			q++;
		if (q < end && !strchr(" \t\n;&|)", *q))
			return 1; /* $x, quotes, globs, ~, - ... */
		if (q > arg && *arg == '-')
			return 1;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && !strchr("\n;&|)", *q))
			return 1; /* a second word */
	}
	return 0;
}

/* Does TEXT use variable NAME, by name or through the shell itself
 * (`cd`, `pushd` and `popd` set OLDPWD and PWD, `cd -` and `~-` read
 * OLDPWD, `~+` PWD)? */
static int text_uses(const char *text, size_t len, const char *name)
{
	if (names_word(text, len, name))
		return 1;
	if (!strcmp(name, "PWD"))
		return memmem(text, len, "~-", 2) || memmem(text, len, "~+", 2) ||
		    names_word(text, len, "cd") || names_word(text, len, "pushd") ||
		    names_word(text, len, "popd");
	/* OLDPWD is read by `cd -` and `~-` only; the others set it from
	 * PWD (exec__cache_serve() keeps what the step set). */
	if (!strcmp(name, "OLDPWD"))
		return memmem(text, len, "~-", 2) || cd_may_read_oldpwd(text, len);
	return 0;
}

/* The arguments of the simple command from TEXT[E] on: does one make
 * builtin K (of reaches_by_name()'s NAMES) reach names by computation?
 * None at all (`export`, `declare |`: a listing); an option with n or p
 * (-n, -p, -xp; printf's -v); a name given by an expansion. */
static int computed_args(const char *text, size_t len, size_t e, int printf_like, int lists)
{
	int args = 0;
	while (e < len && !strchr("\n;&|)", text[e])) {
		size_t a;
		while (e < len && (text[e] == ' ' || text[e] == '\t'))
			e++;
		a = e;
		while (e < len && !strchr(" \t\n;&|)", text[e]))
			e++;
		if (a == e)
			break;
		if (isdigit((unsigned char)text[a]) && a + 1 < e && text[a + 1] == '>')
			continue; /* a redirection */
		if (text[a] == '>' || text[a] == '<')
			continue;
		args++;
		if (text[a] == '-' && !printf_like &&
		    (memchr(text + a, 'n', e - a) || memchr(text + a, 'p', e - a)))
			return 1;
		if (text[a] == '-' && printf_like && e - a == 2 && text[a + 1] == 'v')
			return 1;
		if (!printf_like &&
		    (text[a] == '$' || (text[a] == '"' && a + 1 < e && text[a + 1] == '$')))
			return 1;
	}
	return lists && !args;
}

/*
 * May TEXT reach variables by names not written in it?  Sourcing a file
 * (`.`, `source`), `eval`, indirection (`${!v}`, `declare -n`, `printf -v
 * "$v"`, `read "$v"`, `[[ -v $v ]]`, `${x@P}`...), or listing them all
 * (`declare`, `export`, `declare -p`, `set`, `compgen`, `env`,
 * `printenv`).  Such a step's key keeps every variable, `$0` and the
 * front end.  A heuristic, erring towards keeping.
 */
static int reaches_by_name(const char *text, size_t len, const char *unused)
{
	static const char *const whole[] = { "source", "eval", "compgen",
					     "caller", "env",  "printenv" };
	/* builtins that take names; the first five list them when bare */
	static const char *const names[] = {
		"declare", "typeset", "export",	 "readonly",  "local",
		"unset",   "read",    "mapfile", "readarray", "printf"
	};
	size_t i, k;
	(void)unused;
	if (memmem(text, len, "${!", 3) || memmem(text, len, "@P}", 3) ||
	    memmem(text, len, "-v $", 4) || memmem(text, len, "-v \"$", 5))
		return 1;
	for (i = 0; i < len; i++) {
		const char *w = text + i;
		size_t n;
		if (i && (isalnum((unsigned char)w[-1]) || w[-1] == '_'))
			continue;
		if (*w == '.' && i + 1 < len && (w[1] == ' ' || w[1] == '\t') &&
		    command_position(text, i))
			return 1;
		if (!isalpha((unsigned char)*w))
			continue;
		for (n = 0; i + n < len && (isalnum((unsigned char)w[n]) || w[n] == '_'); n++)
			;
		for (k = 0; k < ARRAY_SIZE(whole); k++)
			if (n == strlen(whole[k]) && !memcmp(w, whole[k], n))
				return 1;
		if (n == 3 && !memcmp(w, "set", 3) && computed_args(text, len, i + 3, 0, 1)) {
			/* bare `set` lists; `set -e`, `set -- a b` do not */
			size_t e = i + 3;
			while (e < len && (text[e] == ' ' || text[e] == '\t'))
				e++;
			if (e == len || text[e] != '-')
				return 1;
		}
		for (k = 0; k < ARRAY_SIZE(names); k++)
			if (n == strlen(names[k]) && !memcmp(w, names[k], n) &&
			    computed_args(text, len, i + n, k == 9, k < 5))
				return 1;
		i += n - 1;
	}
	return 0;
}

/*
 * Does FN say yes of the step's text, or of a function, alias or trap of
 * the state that the step may call (functions exported to a fresh
 * session are in its environment: BASH_FUNC_name%%=...), or, with
 * VALUES, of a variable's value (a PS4 naming $BASH_SOURCE, a string
 * expanded later)?
 */
static int any_code_in(const struct exec_session *s, const struct exec_step *step,
		       int (*fn)(const char *text, size_t len, const char *arg), const char *arg,
		       int values)
{
	size_t i;
	if (fn(step->text, step->len, arg))
		return 1;
	for (i = 0; i < s->state.nfuncs; i++)
		if (s->state.funcs[i].body &&
		    fn(s->state.funcs[i].body, strlen(s->state.funcs[i].body), arg))
			return 1;
	for (i = 0; i < s->state.env.nr; i++)
		if (!strncmp(s->state.env.v[i], "BASH_FUNC_", 10) &&
		    fn(s->state.env.v[i], strlen(s->state.env.v[i]), arg))
			return 1;
	for (i = 0; values && i < s->state.vars.nr; i++) {
		const char *eq = strchr(s->state.vars.v[i], '=');
		if (eq && fn(eq + 1, strlen(eq + 1), arg))
			return 1;
	}
	return (s->state.aliases && fn(s->state.aliases, strlen(s->state.aliases), arg)) ||
	    (s->state.traps && fn(s->state.traps, strlen(s->state.traps), arg));
}

static int any_code(const struct exec_session *s, const struct exec_step *step,
		    int (*fn)(const char *text, size_t len, const char *arg), const char *arg)
{
	return any_code_in(s, step, fn, arg, 1);
}

/* May the step reach variables by computed names (reaches_by_name()),
 * through a nameref of the state, or a file a fresh bash sources
 * ($BASH_ENV, sh's $ENV)? */
static int step_reaches_by_name(const struct exec_session *s, const struct exec_step *step)
{
	size_t i;
	for (i = 0; i < s->state.vars.nr; i++) {
		const char *v = s->state.vars.v[i], *sp;
		if (!strncmp(v, "declare -", 9) && (sp = strchr(v + 9, ' ')) &&
		    memchr(v + 9, 'n', (size_t)(sp - v - 9)))
			return 1;
	}
	if (s->state.initial)
		for (i = 0; i < s->state.env.nr; i++)
			if (!strncmp(s->state.env.v[i], "BASH_ENV=", 9) ||
			    !strncmp(s->state.env.v[i], "ENV=", 4))
				return 1;
	return any_code_in(s, step, reaches_by_name, NULL, 0);
}

/* Does the step use variable NAME?  No step: nothing does. */
static int step_uses(const struct exec_session *s, const struct exec_step *step, const char *name)
{
	return step && any_code(s, step, text_uses, name);
}

/* Is variable NAME (LEN bytes) left out of the key of STEP? */
static int unkeyed(const struct exec_session *s, const struct exec_step *step, const char *name,
		   size_t len)
{
	char *n = xstrndup(name, len);
	int out = match_any(unkeyed_env, ARRAY_SIZE(unkeyed_env), &s->env_ignore, n) &&
	    !match_any(keyed_env, ARRAY_SIZE(keyed_env), &s->env_keep, n) && !step_uses(s, step, n);
	free(n);
	return out;
}

/* Remove from V the entries of variables the key of STEP leaves out;
 * with OUT, note each as OUT[NAME][FIELD] = the entry. */
static void drop_unkeyed(struct strvec *v, const struct exec_session *s,
			 const struct exec_step *step, json_t *out, const char *field)
{
	size_t i, k = 0;
	for (i = 0; i < v->nr; i++) {
		const char *name;
		size_t len;
		if (entry_name(v->v[i], &name, &len) < 0 || !unkeyed(s, step, name, len)) {
			v->v[k++] = v->v[i];
			continue;
		}
		if (out) {
			char *n = xstrndup(name, len);
			json_t *o = json_object_get(out, n);
			if (!o)
				json_object_set_new(out, n, o = json_object());
			json_object_set_new(o, field, util_json_str(v->v[i]));
			free(n);
		}
		free(v->v[i]);
	}
	v->nr = k;
}

/* ---- paths of the project in texts -------------------------------------- */

/* Could C stand around a path component in shell text? */
static int component_edge(int c)
{
	return !c || strchr(" \t\n/=:'\"();&|<>`$", c);
}

/*
 * Does TEXT learn the working directory's place (`pwd`, `$PWD`, `dirs`,
 * `~+`, `~-`), or climb above it (a `..` component: `cd ../p/sub`, whose
 * chdir the recorder sees only as the absolute path bash made of it)?
 */
static int text_knows_place(const char *text, size_t len, const char *unused)
{
	size_t i;
	(void)unused;
	if (names_word(text, len, "PWD") || names_word(text, len, "OLDPWD") ||
	    names_word(text, len, "pwd") || names_word(text, len, "dirs") ||
	    names_word(text, len, "DIRSTACK") || names_word(text, len, "pushd") ||
	    names_word(text, len, "popd") || memmem(text, len, "~+", 2) ||
	    memmem(text, len, "~-", 2))
		return 1;
	for (i = 0; i + 2 <= len; i++)
		if (text[i] == '.' && text[i + 1] == '.' && component_edge(i ? text[i - 1] : 0) &&
		    component_edge(i + 2 < len ? text[i + 2] : 0))
			return 1;
	return 0;
}

/* Does TEXT reach $HOME (a tilde prefix, HOME by name)? */
static int text_uses_home(const char *text, size_t len, const char *unused)
{
	size_t i;
	(void)unused;
	if (names_word(text, len, "HOME"))
		return 1;
	for (i = 0; i < len; i++)
		if (text[i] == '~' && (!i || (component_edge(text[i - 1]) && text[i - 1] != '/')))
			return 1;
	return 0;
}

/* Could C go on a file name that FROM ended (so that it names another
 * path: /p/proj and /p/proj.bak)? */
static int name_goes_on(int c)
{
	return c && c != '/' && !strchr(" \t\n\"':;=,)]}|&<>", c);
}

/* Could C stand right before a path? */
static int path_may_start(int c)
{
	return !c || strchr(" \t\n\"':;=,([{|&<>", c);
}

/*
 * Copy TEXT (LEN bytes) to OUT with each occurrence of path FROM (as a
 * whole path or a path's start: FROM/x) replaced by TO.  How many were.
 */
static size_t relocate_text(struct strbuf *out, const char *text, size_t len, const char *from,
			    const char *to)
{
	size_t flen = strlen(from), i = 0, n = 0;
	const char *p;
	while (flen && (p = memmem(text + i, len - i, from, flen))) {
		size_t at = (size_t)(p - text);
		int before = at ? text[at - 1] : 0, after = at + flen < len ? text[at + flen] : 0;
		if (path_may_start(before) && !name_goes_on(after)) {
			strbuf_add(out, text + i, at - i);
			strbuf_addstr(out, to);
			n++;
		} else {
			strbuf_add(out, text + i, at - i + 1);
			i = at + 1;
			continue;
		}
		i = at + flen;
	}
	strbuf_add(out, text + i, len - i);
	return n;
}

/* Does TEXT (LEN bytes) name path FROM (or a path below it)? */
static int text_names(const char *text, size_t len, const char *from)
{
	struct strbuf sink = STRBUF_INIT;
	size_t n = relocate_text(&sink, text, len, from, "");
	strbuf_release(&sink);
	return n > 0;
}

/* *FIELD with FROM replaced by TO (and \001 doubled first when ESCAPE). */
static void relocate_field(char **field, const char *from, const char *to, int escape)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	if (!*field)
		return;
	if (escape)
		relocate_text(&a, *field, strlen(*field), "\001", "\001\001");
	else
		strbuf_addstr(&a, *field);
	relocate_text(&b, a.buf, a.len, from, to);
	free(*field);
	*field = strbuf_detach(&b, NULL);
	strbuf_release(&a);
}

/*
 * State ST with the project's directory ROOT as a token in every text
 * it holds: the same state in a copy of the project elsewhere reads the
 * same.  (\001 is doubled first, so that no other state reads the
 * same.)
 */
/*
 * May STEP's key name the project's directory as a token, so that a copy
 * of the project elsewhere has the same key?  Not when its code names
 * the directory, learns it (`pwd`, `$PWD`, `dirs`, `~+`), climbs above
 * it (`..`), reaches it through $HOME (`~/p/data` with the project in
 * $HOME: the copy would read the original), or may reach variables by
 * computed names (DYN).  What the step's programs learn is the
 * recorder's to see (the record's location_seen, exec/trace.c).
 */
static int relocatable_step(const struct exec_session *s, const struct exec_step *step, int dyn)
{
	size_t i;
	if (!s->root || !s->sandboxed || s->into || dyn ||
	    text_names(step->text, step->len, s->root))
		return 0;
	/* From outside the project (`cd ..` before): its relative paths
	 * lead elsewhere in a copy. */
	if (!s->state.cwd || !exec__under(s->state.cwd, s->root))
		return 0;
	if (any_code_in(s, step, text_knows_place, NULL, 0))
		return 0;
	if (s->home && exec__under(s->root, s->home) &&
	    any_code_in(s, step, text_uses_home, NULL, 0))
		return 0;
	/* A variable holding the project's directory (`here=$PWD` before,
	 * PATH=$PWD/bin: every command looks there) that the step uses
	 * tells it where it is. */
	for (i = 0; i < s->state.vars.nr; i++) {
		const char *v = s->state.vars.v[i], *name;
		size_t len;
		char *n;
		int uses;
		if (!text_names(v, strlen(v), s->root) || entry_name(v, &name, &len) < 0)
			continue;
		n = xstrndup(name, len);
		uses = !strcmp(n, "PATH") || !strcmp(n, "CDPATH") || step_uses(s, step, n);
		free(n);
		if (uses)
			return 0;
	}
	return 1;
}

/* Every text ST holds with path FROM replaced by TO (\001 doubled first
 * when ESCAPE, so that a token TO made of it reads as no other text). */
static void state_replace(struct exec_state *st, const char *from, const char *to, int escape)
{
	struct strvec *lists[] = { &st->vars, &st->env, &st->argv, &st->fds };
	size_t i, k;
	relocate_field(&st->cwd, from, to, escape);
	relocate_field(&st->dirstack, from, to, escape);
	relocate_field(&st->aliases, from, to, escape);
	relocate_field(&st->traps, from, to, escape);
	for (i = 0; i < st->nfuncs; i++) {
		relocate_field(&st->funcs[i].body, from, to, escape);
		relocate_field(&st->funcs[i].src, from, to, escape);
	}
	for (k = 0; k < ARRAY_SIZE(lists); k++)
		for (i = 0; i < lists[k]->nr; i++)
			relocate_field(&lists[k]->v[i], from, to, escape);
}

/*
 * State ST with the project's directory ROOT as a token in every text
 * it holds: the same state in a copy of the project elsewhere reads the
 * same.
 */
static void relocatable_state(struct exec_state *st, const char *root)
{
	state_replace(st, root, "\001project", 1);
}

/* Set `shopt expand_aliases` in ST's shell options to ON. */
static void set_expand_aliases(struct exec_state *st, int on)
{
	static const char on_text[] = "shopt -s expand_aliases",
			  off_text[] = "shopt -u expand_aliases";
	char *at;
	if (!st->shopts)
		return;
	at = strstr(st->shopts, on ? off_text : on_text);
	if (at)
		memcpy(at, on ? on_text : off_text, sizeof(on_text) - 1);
}

/* May whether aliases are expanded change what STEP does from state ST?
 * When ST holds aliases, or the step may define or switch them. */
static int aliases_matter(const struct exec_state *st, const struct exec_session *s,
			  const struct exec_step *step)
{
	return (st->aliases && *st->aliases) || any_code(s, step, names_word, "alias") ||
	    any_code(s, step, names_word, "expand_aliases") ||
	    any_code(s, step, names_word, "shopt");
}

/*
 * The state as the key sees it: descriptors by kind, not by inode; for
 * a key (STEP set), without the variables it leaves out (noted in
 * UNKEYED when given).
 */
static void normal_state(struct strbuf *out, const struct exec_state *st,
			 const struct exec_session *s, const struct exec_step *step,
			 json_t *unkeyed_out, const char *root)
{
	struct exec_state copy;
	size_t i;
	exec_state_init(&copy);
	exec_state_copy(&copy, st);
	if (s) {
		drop_unkeyed(&copy.vars, s, step, unkeyed_out, "var");
		drop_unkeyed(&copy.env, s, step, unkeyed_out, "env");
	}
	/* The REPL expands aliases, a script does not: the same with none
	 * to expand (exec__cache_serve() keeps the session's setting). */
	if (s && step && !aliases_matter(st, s, step))
		set_expand_aliases(&copy, 0);
	for (i = 0; i < copy.fds.nr; i++) {
		char *v = copy.fds.v[i], *sp = strchr(v, ' ');
		if (!sp)
			continue;
		if (sp - v == 1 && strchr("012", v[0])) {
			/* Standard streams: where they go is in the key apart. */
			*sp = '\0';
			continue;
		}
		if (!strncmp(sp + 1, "pipe:", 5) || !strncmp(sp + 1, "socket:", 7) ||
		    !strncmp(sp + 1, "/dev/pts/", 9) || !strncmp(sp + 1, "anon_inode:", 11)) {
			char *colon = strpbrk(sp + 1, ":0123456789");
			if (colon)
				*colon = '\0';
		}
	}
	if (root)
		relocatable_state(&copy, root);
	exec_state_serialize(out, &copy);
	exec_state_release(&copy);
}

void exec__base_key_text(struct strbuf *out, const struct exec_session *s)
{
	normal_state(out, &s->state, s, NULL, NULL,
		     s->root && s->sandboxed && !s->into ? s->root : NULL);
}

static const char *out_name(const struct exec_output *o, int n)
{
	switch (o->kind[n]) {
	case EXEC_OUT_CLOSED:
		return "closed";
	case EXEC_OUT_MERGED:
		return "merged";
	case EXEC_OUT_PTY:
		return "tty";
	default:
		return "other";
	}
}

/*
 * Variables whose value changes by itself (with time, or on each use):
 * a step that uses one cannot be replayed.  Found as words in the
 * command, or in a function or alias it might call.
 */
static const char *const volatile_vars[] = { "SECONDS", "RANDOM", "SRANDOM", "EPOCHSECONDS",
					     "EPOCHREALTIME" };

static const char *uses_volatile(const struct exec_session *s, const struct exec_step *step)
{
	size_t k;
	for (k = 0; k < ARRAY_SIZE(volatile_vars); k++)
		if (any_code(s, step, names_word, volatile_vars[k]))
			return volatile_vars[k];
	return NULL;
}

/* Does the state hold a descriptor above 2 that a step opened (not one
 * the session inherited)?  Reads and writes through it are not seen. */
int exec__opened_by_steps(const struct exec_session *s)
{
	size_t i, k;
	for (i = 0; i < s->state.fds.nr; i++) {
		const char *d = s->state.fds.v[i];
		int found = 0;
		if (atoi(d) < 3)
			continue;
		for (k = 0; k < s->own_fds.nr && !found; k++)
			found = !strcmp(d, s->own_fds.v[k]);
		if (!found)
			return 1;
	}
	return 0;
}

/*
 * The descriptors above 2 the step starts with, as they are now: reads
 * and writes through them are not traced, so after the step
 * fds_untraced() tells whether it used them.
 */
static void snap_fds(struct exec_cachectx *c, const struct exec_session *s)
{
	size_t i;
	for (i = 0; i < c->start_fds.nr; i++) {
		int num = atoi(c->start_fds.v[i]), fd = exec__session_fd(s, num), fl;
		struct exec_fdsnap *f;
		struct stat st;
		if (num < 3 || fd < 0 || (fl = fcntl(fd, F_GETFL)) < 0 || fstat(fd, &st) < 0)
			continue;
		c->fdsnap = xrealloc(c->fdsnap, (c->nfdsnap + 1) * sizeof(*c->fdsnap));
		f = &c->fdsnap[c->nfdsnap++];
		memset(f, 0, sizeof(*f));
		f->num = num;
		f->acc = fl & O_ACCMODE;
		f->isreg = S_ISREG(st.st_mode);
		/* /dev/null, zero, full, random, urandom: nothing to replay */
		f->isnull = S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
		    strchr("\3\5\7\10\11", (int)minor(st.st_rdev)) && minor(st.st_rdev);
		f->isdir = S_ISDIR(st.st_mode);
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->size = st.st_size;
		f->mtime = st.st_mtim;
		f->pos = f->isreg ? lseek(fd, 0, SEEK_CUR) : 0;
	}
}

/*
 * Could the step have used a descriptor it inherited in a way a hit would
 * not repeat?  What goes through one is not traced: a file open for
 * reading (read, pread, mmap leave no mark), a directory (lookups under
 * it name no path the step's view knows), a pipe, socket or terminal
 * keep a step out of the cache while they are open; a file open only for
 * writing does when the step wrote it (its size, mtime or position
 * moved).  /dev/null and its kin hold nothing to replay.  Why, in words
 * (for cache.not_stored), or NULL.
 */
static char *fds_untraced(const struct exec_cachectx *c, const struct exec_session *s)
{
	size_t i;
	for (i = 0; i < c->nfdsnap; i++) {
		const struct exec_fdsnap *f = &c->fdsnap[i];
		int fd = exec__session_fd(s, f->num);
		struct stat st;
		if (f->isnull)
			continue;
		if (f->isdir)
			return xstrfmt("descriptor %d is a directory cairn's caller opened: "
				       "lookups under it are not traced",
				       f->num);
		if (!f->isreg)
			return xstrfmt("descriptor %d, which cairn's caller opened, is not a file: "
				       "what went through it is not traced",
				       f->num);
		/* pread, mmap, a seek back: reads leave no mark to look for */
		if (f->acc != O_WRONLY)
			return xstrfmt("descriptor %d, a file cairn's caller opened for reading, "
				       "is open: reads through it are not traced",
				       f->num);
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_ino != f->ino || st.st_dev != f->dev)
			continue; /* the step closed or replaced it: its state says so */
		if (st.st_size != f->size || st.st_mtim.tv_sec != f->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != f->mtime.tv_nsec || lseek(fd, 0, SEEK_CUR) != f->pos)
			return xstrfmt("it wrote through descriptor %d, which cairn's caller "
				       "opened: a hit could not write it again",
				       f->num);
	}
	return NULL;
}

/*
 * Is descriptor P (as the state after the step describes it) the one Q
 * was as it began?  Above 2, the same file by device and inode: a file
 * from outside the step's view reads as "/" from inside it, where the
 * state after the step is taken, and as its path where cairn began.
 */
static int fd_same(const struct exec_cachectx *c, const struct exec_session *s, const char *p,
		   const char *q)
{
	size_t np = strcspn(p, ":["), nq = strcspn(q, ":["), i;
	int num = atoi(p), fd;
	struct stat st;
	if (num != atoi(q))
		return 0;
	for (i = 0; num > 2 && i < c->nfdsnap; i++) {
		if (c->fdsnap[i].num != num)
			continue;
		fd = exec__session_fd(s, num);
		return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == c->fdsnap[i].dev &&
		    st.st_ino == c->fdsnap[i].ino;
	}
	return np == nq && !strncmp(p, q, np);
}

/* Does a carried descriptor above 2 hold the session's standard input?
 * (Reads through it would not be seen.) */
static int holds_stdin_elsewhere(const struct exec_session *s, const struct exec_output *o)
{
	struct stat in, st;
	size_t k;
	if (!s->have_fds || o->dst[0] < 0 || !strcmp(o->stdin_kind, "null") ||
	    !strcmp(o->stdin_kind, "consumed") || fstat(o->dst[0], &in) < 0)
		return 0;
	for (k = 0; k < s->nfds; k++)
		if (s->fds[k].num > 2 && fstat(s->fds[k].fd, &st) == 0 && st.st_dev == in.st_dev &&
		    st.st_ino == in.st_ino)
			return 1;
	return 0;
}

/* Does TEXT expand $0 (`$0`, `${0}`, `${0%.sh}`, `${@:0}`)? */
static int text_uses_argv0(const char *text, size_t len, const char *unused)
{
	size_t i;
	(void)unused;
	for (i = 0; i + 2 <= len; i++) {
		size_t k = i + 1;
		if (text[i] != '$')
			continue;
		if (text[k] == '{')
			k++;
		if (k < len && text[k] == '0' &&
		    (k + 1 == len || !isdigit((unsigned char)text[k + 1])))
			return 1;
		if (k > i + 1 && k + 1 < len && (text[k] == '@' || text[k] == '*') &&
		    text[k + 1] == ':') {
			size_t z = k + 2;
			while (z < len && text[z] == ' ')
				z++;
			if (z < len && text[z] == '0')
				return 1;
		}
	}
	return 0;
}

/* Does TEXT expand $- (the shell's flags, which tell `bash -c` from a
 * script)? */
static int text_uses_flags(const char *text, size_t len, const char *unused)
{
	(void)unused;
	return memmem(text, len, "$-", 2) || memmem(text, len, "${-", 3);
}

/* Does the step use $0 or the name of the script it stands in? */
static int uses_argv0(const struct exec_session *s, const struct exec_step *step)
{
	return any_code(s, step, text_uses_argv0, NULL) || step_uses(s, step, "BASH_SOURCE") ||
	    step_uses(s, step, "BASH_ARGV0");
}

void exec__cache_key(struct exec_cachectx *c, struct exec_session *s, const struct exec_step *step,
		     const struct exec_output *o, int no_cache)
{
	json_t *p = json_object(), *w = json_array();
	struct strbuf st = STRBUF_INIT, site = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1];
	const char *v;
	char *dump;
	size_t i;
	int dyn;

	memset(c, 0, sizeof(*c));
	c->t_start = util_now_ns();
	strvec_init(&c->start_fds);
	strvec_init(&c->own);
	/* Until a step has ended, steps inherit cairn's own descriptors. */
	strvec_copy(&c->start_fds, s->have_fds ? &s->state.fds : &s->own_fds);
	snap_fds(c, s);
	/* A step that may reach variables by computed names keeps them all
	 * in its key, and $0 and the front end. */
	dyn = step_reaches_by_name(s, step);
	c->unkeyed = json_object();
	/* The project's directory as a token, unless the command names it
	 * (a copy elsewhere would run it with that path as written). */
	c->moves_dir = step_uses(s, step, "PWD");
	c->aliases_free = !dyn && !aliases_matter(&s->state, s, step);
	c->relocatable = relocatable_step(s, step, dyn);
	normal_state(&st, &s->state, dyn ? NULL : s, step, c->unkeyed,
		     c->relocatable ? s->root : NULL);
	util_sha256_hex(sha, st.buf, st.len);
	if (getenv("CAIRN_DEBUG_KEY")) {
		/* appended to the file it names: the step's own stderr may be
		 * captured */
		FILE *f = fopen(getenv("CAIRN_DEBUG_KEY"), "a");
		if (f) {
			fprintf(f, "cairn: key state of %.*s:\n%.*s\n", (int)step->len, step->text,
				(int)st.len, st.buf);
			fclose(f);
		}
	}
	json_object_set_new(p, "version", json_integer(KEY_VERSION));
	json_object_set_new(p, "command", util_json_bytes(step->text, step->len));
	json_object_set_new(p, "shell", json_string(s->shell));
	/* One cache for every front end: how the session was started counts
	 * only where the step can tell (the REPL's first step runs with
	 * expand_aliases; $BASH_EXECUTION_STRING; $- has c under -c), $0
	 * only for a step that uses it (or, see exec__cache_add(), whose
	 * output shows it). */
	if ((s->mode == EXEC_MODE_REPL && s->state.initial) || dyn ||
	    step_uses(s, step, "BASH_EXECUTION_STRING") || step_uses(s, step, "FUNCNAME") ||
	    step_uses(s, step, "BASH_LINENO") || step_uses(s, step, "BASH_SOURCE") ||
	    any_code(s, step, text_uses_flags, NULL))
		json_object_set_new(p, "mode", json_string(mode_names[s->mode]));
	if (dyn || uses_argv0(s, step))
		json_object_set_new(p, "argv0", json_string(s->argv0 ? s->argv0 : ""));
	/* Steps get the SHLVL the session found (states do not carry it). */
	if (dyn || step_uses(s, step, "SHLVL"))
		json_object_set_new(p, "shlvl", json_string(s->shlvl ? s->shlvl : ""));
	json_object_set_new(p, "state", json_string(sha));
	/* A step that may know where it runs is keyed by the place. */
	if (!c->relocatable && s->root)
		json_object_set_new(p, "root", util_json_str(s->root));
	/* Who runs it: what it may read, and what id, getpwuid() and the
	 * files it makes say (another user runs it again). */
	json_object_set_new(p, "uid", json_integer((json_int_t)geteuid()));
	json_object_set_new(p, "gid", json_integer((json_int_t)getegid()));
	json_object_set_new(p, "network", json_boolean(step->directives.net));
	json_object_set_new(p, "timeout", json_integer(step->directives.timeout));
	json_object_set_new(p, "mem", json_integer((json_int_t)step->directives.mem));
	for (i = 0; i < s->writable.nr; i++)
		json_array_append_new(w, json_string(s->writable.v[i]));
	json_object_set_new(p, "writable", w);
	/* Only when set, so that the keys of ordinary steps stay as they
	 * were: an --into run never serves a normal one, nor the reverse. */
	if (s->into)
		json_object_set_new(p, "into", json_string(s->into));
	dump = util_json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
	util_sha256_hex(c->key, dump, strlen(dump));
	free(dump);
	c->key_parts = p;
	/* The start state itself, for `why` (stored with a candidate). */
	json_object_set_new(p, "state_text", util_json_bytes(st.buf, st.len));

	/* Where the step comes from: its script and line, else its text. */
	if (s->script_abs)
		strbuf_addf(&site, "script %s:%u", s->script_abs, step->line);
	else
		strbuf_addf(&site, "%s %.*s", mode_names[s->mode], (int)step->len, step->text);
	util_sha256_hex(c->site, site.buf, site.len);

	if (no_cache)
		c->off = "--no-cache";
	else if (exec__opened_by_steps(s))
		c->off = "the shell holds a descriptor an earlier step opened (exec 3>FILE): "
			 "what goes through it is not traced";
	else if (holds_stdin_elsewhere(s, o))
		c->off = "a descriptor other than 0 holds the standard input";
	else if ((v = uses_volatile(s, step)))
		c->off = v[0] == 'S' && v[1] == 'E' ? "it uses $SECONDS, which changes with time"
		    : strstr(v, "RANDOM")	    ? "it uses $RANDOM or $SRANDOM"
						    : "it uses the clock ($EPOCHSECONDS...)";
	else if (!s->sandboxed)
		c->off = "unsandboxed (--no-sandbox): nothing was traced";
	else if (step->directives.nocache)
		c->off = "#cairn: nocache";
	else if (o->broken)
		c->off = "its output cannot be captured";
	strbuf_release(&st);
	strbuf_release(&site);
}

void exec__cachectx_release(struct exec_cachectx *c)
{
	json_decref(c->key_parts);
	json_decref(c->unkeyed);
	strvec_clear(&c->own);
	json_decref(c->miss);
	strvec_clear(&c->start_fds);
	free(c->fdsnap);
	c->fdsnap = NULL;
	c->nfdsnap = 0;
	memset(c, 0, sizeof(*c));
}

/* ---- verifying a trace ------------------------------------------------- */

static json_t *why_path(const char *path, const char *change, const char *old, const char *new)
{
	json_t *o = json_object();
	json_object_set_new(o, "part", json_string("read"));
	json_object_set_new(o, "path", util_json_str(path));
	json_object_set_new(o, "change", json_string(change));
	if (old)
		json_object_set_new(o, "old", json_string(old));
	if (new)
		json_object_set_new(o, "new", json_string(new));
	return o;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A remote dataset (docs/formats.md): its HTTP validators, asked again
 * with the step's environment (credentials, GDAL options). */
static json_t *check_remote(struct exec_session *s, json_t *r)
{
	static const char *const fields[] = { "etag", "last_modified", "size" };
	const char *path = str(r, "path");
	json_t *now = NULL, *env = json_object(), *why = NULL;
	size_t i;
	for (i = 0; i < s->state.env.nr; i++) {
		const char *e = s->state.env.v[i], *eq = strchr(e, '=');
		if (eq) {
			char *name = xstrndup(e, (size_t)(eq - e));
			json_object_set_new(env, name, util_json_str(eq + 1));
			free(name);
		}
	}
	if (formats_remote_validators_env(&now, path, env) < 0) {
		why = why_path(path, "the server could not be asked", NULL, err_last());
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(fields) && !why; i++) {
		json_t *a = json_object_get(r, fields[i]), *b = json_object_get(now, fields[i]);
		if (!json_equal(a ? a : json_null(), b ? b : json_null())) {
			char *old = util_json_dumps(a ? a : json_null(), JSON_ENCODE_ANY);
			char *new = util_json_dumps(b ? b : json_null(), JSON_ENCODE_ANY);
			struct strbuf what = STRBUF_INIT;
			strbuf_addf(&what, "remote %s changed", fields[i]);
			why = why_path(path, what.buf, old, new);
			strbuf_release(&what);
			free(old);
			free(new);
		}
	}
out:
	json_decref(now);
	json_decref(env);
	return why;
}

/* Are the permissions read R noted (if any) still those of ST? */
static json_t *check_mode(const char *path, json_t *r, const struct stat *st)
{
	const char *want = str(r, "mode");
	char now[8];
	if (!want)
		return NULL;
	snprintf(now, sizeof(now), "%04o", (unsigned)(st->st_mode & 07777));
	return strcmp(want, now) ? why_path(path, "permissions changed", want, now) : NULL;
}

/* Does read R (a candidate's) still hold, given the step's own earlier
 * outputs OWN (which it would not see)?  NULL, or what changed. */
static json_t *check_read(struct exec_session *s, json_t *r, const struct strvec *own)
{
	const char *path = str(r, "path"), *kind = str(r, "kind"), *want = str(r, "sha256");
	struct strbuf host = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1];
	json_t *why = NULL;
	struct stat st;
	int exists;

	if (!path || !kind)
		return why_path(path ? path : "?", "malformed trace", NULL, NULL);
	if (!strcmp(kind, "remote"))
		return check_remote(s, r);
	exists = !exec__view_host(s, path, &host) && lstat(host.buf, &st) == 0;
	/* The step's own earlier output: a run would not see it, so only
	 * a candidate that found it absent holds. */
	if (exists && strcmp(kind, "absent") && exec__in_sorted(own, host.buf)) {
		why = why_path(path, "is the step's own earlier output, which it does not see now",
			       NULL, NULL);
		goto out;
	}
	if (!strcmp(kind, "absent")) {
		if (exists && !exec__in_sorted(own, host.buf))
			why = why_path(path, "appeared", NULL, NULL);
	} else if (!exists) {
		why = why_path(path, "vanished", want, NULL);
	} else if (!strcmp(kind, "file") || !strcmp(kind, "exec")) {
		if (!S_ISREG(st.st_mode))
			why = why_path(path, "is no longer a file", NULL, NULL);
		else if (!want || exec__hash_file(s, sha, host.buf, &st) < 0 || strcmp(sha, want))
			why = why_path(path, "content changed", want, sha);
		else
			why = check_mode(path, r, &st);
	} else if (!strcmp(kind, "dir")) {
		struct strvec of = STRVEC_INIT;
		json_t *jof = json_object_get(r, "sidecars_of"), *x;
		size_t n, k;
		int probe = json_is_array(jof) && json_array_size(jof);
		/* GDAL's look for sidecars: those names only. */
		json_array_foreach(jof, k, x)
		{
			const char *v = json_string_value(x);
			if (!v || !*v || strchr(v, '/'))
				probe = 0; /* a damaged entry: the whole listing */
			else
				strvec_push(&of, v);
		}
		/* Listed with the step's own outputs hidden, as a run
		 * would list it. */
		if (!S_ISDIR(st.st_mode) ||
		    exec__dir_hash(host.buf, host.buf, own, probe ? &of : NULL, sha, &n) < 0)
			why = why_path(path, "is no longer a directory", NULL, NULL);
		if (!why && (!want || strcmp(sha, want)))
			why = why_path(path,
				       probe ? "listing changed (names of sidecar files)"
					     : "listing changed",
				       want, sha);
		strvec_clear(&of);
	} else if (!strcmp(kind, "symlink")) {
		char target[PATH_MAX];
		ssize_t n =
		    S_ISLNK(st.st_mode) ? readlink(host.buf, target, sizeof(target) - 1) : -1;
		const char *t = str(r, "target");
		if (n >= 0)
			target[n] = '\0';
		if (n < 0 || !t || strcmp(t, target))
			why = why_path(path, "symlink changed", t, n >= 0 ? target : NULL);
	} else if (!strcmp(kind, "stat")) {
		const char *type = str(r, "type");
		const char *now = S_ISDIR(st.st_mode) ? "dir"
		    : S_ISREG(st.st_mode)	      ? "file"
						      : "other";
		json_t *size = json_object_get(r, "size");
		if (type && strcmp(type, now))
			why = why_path(path, "changed type", type, now);
		else if (json_is_integer(size) && S_ISREG(st.st_mode) &&
			 json_integer_value(size) != (json_int_t)st.st_size)
			why = why_path(path, "size changed", NULL, NULL);
		else if (S_ISREG(st.st_mode))
			why = check_mode(path, r, &st);
	} else {
		why = why_path(path, "read of a kind this cairn cannot check", kind, NULL);
	}
	/* Its extended attributes were read too (getxattr, listxattr). */
	if (!why && exists && str(r, "xattrs") &&
	    (exec__xattr_hash(host.buf, sha) < 0 || strcmp(sha, str(r, "xattrs"))))
		why = why_path(path, "extended attributes changed", str(r, "xattrs"), sha);
out:
	strbuf_release(&host);
	return why;
}

/* Every read of candidate CAND still holds?  NULL, or the first change. */
/* Is R a look at a directory on the way to the project at ROOT (its
 * ancestors and itself: bash checks the working directory's path)?  With
 * the project elsewhere, the way there is another. */
static int on_the_way(json_t *r, const char *root)
{
	const char *p = str(r, "path"), *kind = str(r, "kind");
	return root && p && p[0] == '/' && kind && !strcmp(kind, "stat") && exec__under(root, p);
}

static json_t *check_candidate(struct exec_session *s, json_t *cand, const struct strvec *own)
{
	json_t *reads = json_object_get(cand, "reads"), *r;
	const char *root = str(cand, "root");
	size_t i;
	if (!json_is_array(reads))
		return why_path("?", "malformed trace", NULL, NULL);
	if (root && !strcmp(root, s->root))
		root = NULL;
	json_array_foreach(reads, i, r)
	{
		json_t *why;
		if (on_the_way(r, root))
			continue;
		/* The shell reading its own program is not an input: the
		 * command text is in the key.  (Kept in the trace: a cached
		 * record names its script as code too.) */
		if (str(r, "role") && !strcmp(str(r, "role"), "script"))
			continue;
		why = check_read(s, r, own);
		if (why)
			return why;
	}
	return NULL;
}

/* The entries of a state serialisation ("KEY LEN\nVALUE\n" each), as
 * "KEY VALUE" strings (values cut at their first line). */
static void state_entries(struct strvec *out, const char *p)
{
	/* The first line is the format's name. */
	p = p ? strchr(p, '\n') : NULL;
	if (p)
		p++;
	while (p && *p) {
		const char *nl = strchr(p, '\n'), *sp;
		size_t len;
		char *end;
		if (!nl)
			break;
		sp = memchr(p, ' ', (size_t)(nl - p));
		len = sp ? strtoul(sp + 1, &end, 10) : 0;
		if (!sp || strlen(nl + 1) < len)
			break; /* malformed */
		{
			const char *v = nl + 1, *vnl = memchr(v, '\n', len);
			size_t show = vnl ? (size_t)(vnl - v) : len;
			if (show > 200)
				show = 200;
			strvec_pushf(out, "%.*s %.*s%s", (int)(sp - p), p, (int)show, v,
				     show < len ? " ..." : "");
		}
		p = nl + 1 + len;
		if (*p == '\n')
			p++;
	}
}

/* What differs between two start states: entries on one side only. */
static json_t *state_diff(const char *a, const char *b)
{
	json_t *out = json_array();
	struct strvec la = STRVEC_INIT, lb = STRVEC_INIT;
	size_t i, j;
	state_entries(&la, a);
	state_entries(&lb, b);
	for (i = 0; i < la.nr && json_array_size(out) < 20; i++) {
		for (j = 0; j < lb.nr && strcmp(la.v[i], lb.v[j]); j++)
			;
		if (j == lb.nr)
			json_array_append_new(out, json_sprintf("was: %s", la.v[i]));
	}
	for (i = 0; i < lb.nr && json_array_size(out) < 40; i++) {
		for (j = 0; j < la.nr && strcmp(lb.v[i], la.v[j]); j++)
			;
		if (j == la.nr)
			json_array_append_new(out, json_sprintf("now: %s", lb.v[i]));
	}
	strvec_clear(&la);
	strvec_clear(&lb);
	return out;
}

/* No candidate for this key: which part of the key changed since the
 * step last ran from the same place? */
static json_t *why_no_key(struct exec_cachectx *c, struct exec_session *s)
{
	json_t *site = NULL, *old, *why = json_object(), *parts = json_array();
	const char *k;
	json_t *v;
	if (cache_site_get(&site, s->cairn_dir, c->site) < 0 || !site) {
		json_object_set_new(why, "part", json_string("new"));
		json_object_set_new(why, "change",
				    json_string("never ran before from here with this key"));
		json_decref(parts);
		return why;
	}
	old = json_object_get(site, "key_parts");
	json_object_foreach(c->key_parts, k, v)
	{
		if (!strcmp(k, "state_text") || !strcmp(k, "state"))
			continue;
		if (!json_equal(v, json_object_get(old, k)))
			json_array_append_new(parts, json_string(k));
	}
	if (!json_equal(json_object_get(c->key_parts, "state"), json_object_get(old, "state"))) {
		json_array_append_new(parts, json_string("state"));
		json_object_set_new(
		    why, "state",
		    state_diff(str(old, "state_text"), str(c->key_parts, "state_text")));
	}
	json_object_set_new(why, "part", json_string("key"));
	json_object_set_new(why, "change", json_string("the action key differs"));
	json_object_set_new(why, "parts", parts);
	if (json_object_get(old, "command"))
		json_object_set(why, "old_command", json_object_get(old, "command"));
	json_object_set_new(why, "old_key", json_string(str(site, "key") ? str(site, "key") : ""));
	json_decref(site);
	return why;
}

/* The objects a hit needs are all there and intact?  The logs come back
 * as descriptors (verified, read from the start: logs may be large), the
 * end state as text. */
static int objects_ok(struct exec_session *s, json_t *cand, int logs[3], struct strbuf *state)
{
	json_t *writes = json_object_get(cand, "writes"), *w;
	const char *so = str(cand, "stdout"), *se = str(cand, "stderr"),
		   *es = str(cand, "end_state");
	size_t i;
	if (!es || cache_cas_read(state, s->cairn_dir, es, MAX_OBJECT) < 0)
		return 0;
	if (so && cache_cas_open(&logs[1], s->cairn_dir, so) < 0)
		return 0;
	if (se && cache_cas_open(&logs[2], s->cairn_dir, se) < 0)
		return 0;
	json_array_foreach(writes, i, w)
	{
		const char *sha = str(w, "sha256");
		if (!strcmp(str(w, "kind") ? str(w, "kind") : "", "file") &&
		    (!sha || !cache_cas_has(s->cairn_dir, sha)))
			return 0;
	}
	return 1;
}

static void close_logs(int logs[3])
{
	int n;
	for (n = 1; n < 3; n++) {
		if (logs[n] >= 0)
			close(logs[n]);
		logs[n] = -1;
	}
}

/* ---- the shell's baseline ---------------------------------------------- */

/*
 * The first step of a session notes what a fresh shell starts with
 * (session.c: base_vars...).  A session whose first step is served from
 * the cache needs it from an earlier session with the same start.
 */
static void base_path(struct strbuf *out, const struct exec_session *s)
{
	strbuf_addf(out, "%s/actions/base-%s", s->cairn_dir, s->base_key);
}

void exec__cache_save_base(struct exec_session *s)
{
	struct strbuf p = STRBUF_INIT, tmp = STRBUF_INIT;
	json_t *o, *vars;
	size_t i;
	if (!s->have_base || !s->base_key[0] || s->base_saved)
		return;
	base_path(&p, s);
	s->base_saved = 1;
	if (access(p.buf, F_OK) == 0) {
		strbuf_release(&p);
		return;
	}
	o = json_object();
	vars = json_array();
	for (i = 0; i < s->base_vars.nr; i++)
		json_array_append_new(vars, json_string(s->base_vars.v[i]));
	json_object_set_new(o, "vars", vars);
	json_object_set_new(o, "options", json_string(s->base_options ? s->base_options : ""));
	json_object_set_new(o, "shopts", json_string(s->base_shopts ? s->base_shopts : ""));
	strbuf_addf(&tmp, "%s.tmp%d", p.buf, (int)getpid());
	/* Synced before the rename, as every action entry (cache/action.c). */
	if (util_json_dump_file(o, tmp.buf, JSON_COMPACT) == 0) {
		int fd = open(tmp.buf, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && fsync(fd) == 0)
			rename(tmp.buf, p.buf);
		if (fd >= 0)
			close(fd);
	}
	unlink(tmp.buf);
	json_decref(o);
	strbuf_release(&p);
	strbuf_release(&tmp);
}

int exec__cache_load_base(struct exec_session *s)
{
	struct strbuf p = STRBUF_INIT;
	json_t *o, *v;
	size_t i;
	if (s->have_base)
		return 1;
	if (!s->base_key[0])
		return 0;
	base_path(&p, s);
	o = util_json_load_file(p.buf, 0, NULL);
	strbuf_release(&p);
	if (!o || !json_is_array(json_object_get(o, "vars")) || !str(o, "options") ||
	    !str(o, "shopts")) {
		json_decref(o);
		return 0;
	}
	strvec_clear(&s->base_vars);
	json_array_foreach(json_object_get(o, "vars"), i, v)
	    strvec_push(&s->base_vars, json_string_value(v) ? json_string_value(v) : "");
	/* Saved by a session whose HOSTNAME, TERM... may have differed (no
	 * key holds them): the preludes set those from the state. */
	drop_unkeyed(&s->base_vars, s, NULL, NULL, NULL);
	free(s->base_options);
	free(s->base_shopts);
	s->base_options = xstrdup(str(o, "options"));
	s->base_shopts = xstrdup(str(o, "shopts"));
	s->have_base = 1;
	s->base_saved = 1;
	json_decref(o);
	return 1;
}

/* ---- serving ----------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry of variable NAME in V, or -1. */
static ssize_t find_entry(const struct strvec *v, const char *name)
{
	size_t i, n = strlen(name);
	for (i = 0; i < v->nr; i++) {
		const char *nm;
		size_t len;
		if (!entry_name(v->v[i], &nm, &len) && len == n && !memcmp(nm, name, n))
			return (ssize_t)i;
	}
	return -1;
}

/* Make variable NAME's entry in V ENTRY, or remove it (ENTRY NULL). */
static void set_entry(struct strvec *v, const char *name, const char *entry)
{
	ssize_t i = find_entry(v, name);
	if (i >= 0) {
		free(v->v[i]);
		memmove(&v->v[i], &v->v[i + 1], (v->nr - (size_t)i - 1) * sizeof(char *));
		v->nr--;
	}
	if (entry)
		strvec_push(v, entry);
	qsort(v->v, v->nr, sizeof(char *), cmp_entry);
}

/*
 * bash's `declare -p` line for exported variable NAME=VALUE (ENV), with
 * the attributes of LIKE (`declare -x NAME=...`).  NULL for a value bash
 * would quote as $'...' (control characters).
 */
static char *declare_line(const char *like, const char *env)
{
	const char *eq = strchr(env, '='), *p, *sp;
	struct strbuf b = STRBUF_INIT;
	if (!eq || strncmp(like, "declare -", 9) || !(sp = strchr(like + 9, ' ')))
		return NULL;
	for (p = eq + 1; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	strbuf_add(&b, like, (size_t)(sp - like + 1));
	strbuf_add(&b, env, (size_t)(eq - env));
	strbuf_addstr(&b, "=\"");
	for (p = eq + 1; *p; p++) {
		if (strchr("\\\"$`", *p))
			strbuf_addch(&b, '\\');
		strbuf_addch(&b, *p);
	}
	strbuf_addch(&b, '"');
	return strbuf_detach(&b, NULL);
}

/* Does a fresh bash give NAME a value of its own when it is unset? */
static int bash_default(const char *name)
{
	static const char *const set[] = { "TERM",	   "MAILCHECK", "OLDPWD",   "PWD",
					   "PS1",	   "PS2",	"HISTFILE", "HISTSIZE",
					   "HISTFILESIZE", "HOSTNAME" };
	size_t i;
	for (i = 0; i < ARRAY_SIZE(set); i++)
		if (!strcmp(name, set[i]))
			return 1;
	return 0;
}

/* Does a fresh bash keep environment entry ENV of NAME as it is?  Not an
 * OLDPWD that names no directory. */
static int fresh_ok(const char *name, const char *env)
{
	struct stat st;
	if (!env || strcmp(name, "OLDPWD"))
		return 1;
	return stat(env + 7, &st) == 0 && S_ISDIR(st.st_mode);
}

static int same(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

/*
 * What a fresh bash makes of environment entry ENV ("NAME=VALUE", or
 * NULL: not set): its `declare -p` line (*VAR; none for a variable the
 * shell sets itself, SPECIAL) and environment entry (*OUT).  -1 when
 * the value needs $'...' quoting.
 */
static int fresh_entry(const char *env, int special, char **var, char **out)
{
	*var = *out = NULL;
	if (!env)
		return 0;
	if (!special && !(*var = declare_line("declare -x X", env)))
		return -1;
	*out = xstrdup(env);
	return 0;
}

/*
 * The variables no key holds (HOSTNAME, TERM, SSH_*...) are this
 * session's after a hit, not the candidate's.  The step named none of
 * them (or they would be in its key) and reaches no variable by a
 * computed name (see reaches_by_name()), so it left them as it found
 * them: each takes this session's entries.  A session's first step
 * started from the environment alone: each takes what bash makes of this
 * session's environment, unless bash itself changed it as it started
 * (TERM=dumb when unset): then the candidate is not used.  NULL, or why
 * the candidate cannot be used.
 */
static const char *keep_unkeyed(struct exec_cachectx *c, struct exec_session *s, json_t *cand,
				struct strbuf *state)
{
	json_t *was = json_object_get(cand, "unkeyed"), *names = json_object(), *v;
	const char *name, *why = NULL;
	struct exec_state end;
	int changed = 0;

	json_object_update(names, c->unkeyed);
	if (json_is_object(was))
		json_object_update(names, was);
	if (!json_object_size(names)) {
		json_decref(names);
		return NULL;
	}
	exec_state_init(&end);
	if (exec_state_parse(&end, state->buf, state->len) < 0) {
		why = "the cached end state is damaged";
		goto out;
	}
	json_object_foreach(names, name, v)
	{
		const char *was_var = str(json_object_get(was, name), "var");
		const char *was_env = str(json_object_get(was, name), "env");
		ssize_t ev = find_entry(&end.vars, name), ee = find_entry(&end.env, name);
		ssize_t nv = find_entry(&s->state.vars, name), ne = find_entry(&s->state.env, name);
		const char *end_var = ev >= 0 ? end.vars.v[ev] : NULL;
		const char *end_env = ee >= 0 ? end.env.v[ee] : NULL;
		const char *now_env = ne >= 0 ? s->state.env.v[ne] : NULL;
		char *want_var = NULL, *want_env = NULL, *had_var = NULL, *had_env = NULL;
		int special = exec__is_special(s, name, strlen(name));
		(void)v;
		/* Steps get the session's own SHLVL (build_env()); `_` is the
		 * last command's argument, set anew by every command. */
		if (!strcmp(name, "SHLVL") || !strcmp(name, "_"))
			continue;
		/* cd, pushd or popd set OLDPWD from PWD, which the key
		 * holds: the candidate's value is what this run would set. */
		if (!strcmp(name, "OLDPWD") && c->moves_dir &&
		    (!same(was_var, end_var) || !same(was_env, end_env)))
			continue;
		/* An end state that holds no PWD gets bash's, from the
		 * working directory (the project elsewhere: its own). */
		if (!strcmp(name, "PWD") && !end_var && !end_env)
			continue;
		if (!s->state.initial) {
			if (!same(was_var, end_var) || !same(was_env, end_env)) {
				why = "a variable no key holds changed in the step";
				break;
			}
			set_entry(&end.vars, name, nv >= 0 ? s->state.vars.v[nv] : NULL);
			set_entry(&end.env, name, now_env);
			changed = 1;
			continue;
		}
		if (same(was_env, now_env))
			continue;
		if ((now_env || !bash_default(name)) && fresh_ok(name, now_env) &&
		    fresh_entry(was_env, special, &had_var, &had_env) == 0 &&
		    same(had_var, end_var) && same(had_env, end_env)) {
			if (fresh_entry(now_env, special, &want_var, &want_env) < 0)
				why = "a variable no key holds has control characters";
		} else {
			why = "a variable no key holds, which bash sets as it starts, differs";
		}
		if (!why) {
			set_entry(&end.vars, name, want_var);
			set_entry(&end.env, name, want_env);
			changed = 1;
		}
		free(want_var);
		free(want_env);
		free(had_var);
		free(had_env);
		if (why)
			break;
	}
	if (changed && !why) {
		strbuf_reset(state);
		exec_state_serialize(state, &end);
	}
out:
	json_decref(names);
	exec_state_release(&end);
	return why;
}

/*
 * The step's own earlier outputs (docs/cache.md): the project files that
 * hold exactly what one of its candidates wrote there.  Such a file is no
 * input of the step: a run does not see it (exec__steprun_prepare() hides
 * it), and a candidate that found the path absent still holds.  A file
 * changed since (by the user, or another step) is not the step's own.
 */
static void own_outputs(struct strvec *own, struct exec_session *s, json_t *cands)
{
	struct strbuf abs = STRBUF_INIT;
	json_t *cand, *w;
	size_t i, k;
	json_array_foreach(cands, i,
			   cand){ json_array_foreach(json_object_get(cand, "writes"), k, w){
	    const char *path = str(w, "path"), *want = str(w, "sha256");
	const char *kind = str(w, "kind");
	char sha[SHA256_HEX_LEN + 1];
	struct stat st;
	/* Only a path the step found absent and made. */
	if (!path || !want || *path == '/' || !kind || strcmp(kind, "file") ||
	    !json_is_true(json_object_get(w, "created")))
		continue;
	strbuf_reset(&abs);
	strbuf_addf(&abs, "%s/%s", s->root, path);
	if (exec__in_sorted(own, abs.buf) || lstat(abs.buf, &st) < 0 || !S_ISREG(st.st_mode) ||
	    exec__hash_file(s, sha, abs.buf, &st) < 0 || strcmp(sha, want))
		continue;
	strvec_push(own, abs.buf);
	qsort(own->v, own->nr, sizeof(char *), cmp_entry);
}
}
/* Exactly what a run can hide (exec__steprun_prepare()): a file
 * whose directories are plain ones of the project, in a directory
 * that keeps another entry (one that would look empty could be
 * removed by the step, where under bash rmdir fails).  Any other
 * stays seen, an input. */
{
	/* Decided against the whole list, then kept: the test looks
	 * the others up in it. */
	char *keep = xcalloc(own->nr + 1, 1);
	for (i = 0; i < own->nr; i++)
		keep[i] = (char)exec__hideable(s, own->v[i], own);
	for (i = 0, k = 0; i < own->nr; i++) {
		if (keep[i])
			own->v[k++] = own->v[i];
		else
			free(own->v[i]);
	}
	free(keep);
	own->nr = k;
	if (own->v)
		own->v[k] = NULL;
}
err_clear();
strbuf_release(&abs);
}

/* The end state STATE (text) with the session's own expand_aliases (a
 * step with no alias to expand served to the REPL from a script, or the
 * reverse).  0 or -1. */
static int keep_expand_aliases(const struct exec_session *s, struct strbuf *state)
{
	struct exec_state end;
	int on = s->state.shopts && strstr(s->state.shopts, "shopt -s expand_aliases");
	exec_state_init(&end);
	if (exec_state_parse(&end, state->buf, state->len) < 0) {
		exec_state_release(&end);
		return -1;
	}
	set_expand_aliases(&end, on);
	strbuf_reset(state);
	exec_state_serialize(state, &end);
	exec_state_release(&end);
	return 0;
}

/* ---- the project elsewhere ------------------------------------------- */

/* Does the object SHA (verified, any size) name path FROM?  A descriptor
 * FD already open on it may be given (it is read from the start and
 * rewound).  An object that cannot be read says yes. */
static int object_names(struct exec_session *s, const char *sha, int fd, const char *from)
{
	char buf[65536 + PATH_MAX];
	size_t keep = 0, flen = strlen(from);
	int own = fd < 0, yes = 0;
	ssize_t n;
	if (!sha || !strcmp(sha, EMPTY_SHA256))
		return 0;
	if (own && cache_cas_open(&fd, s->cairn_dir, sha) < 0) {
		err_clear();
		return 1;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		yes = 1;
	/* Read in blocks, keeping the end of each (as long as FROM and a
	 * byte on both sides) before the next. */
	while (!yes && (n = read(fd, buf + keep, sizeof(buf) - keep - 1)) > 0) {
		size_t len = keep + (size_t)n;
		yes = text_names(buf, len, from);
		keep = len > flen + 2 ? flen + 2 : len;
		memmove(buf, buf + len - keep, keep);
	}
	if (!own)
		lseek(fd, 0, SEEK_SET);
	else
		close(fd);
	return yes;
}

/* Does the file of read R (up to 16 MiB; larger ones are not looked
 * at) name path FROM? */
static int read_names(struct exec_session *s, json_t *r, const char *from)
{
	struct strbuf host = STRBUF_INIT;
	json_t *size = json_object_get(r, "size");
	int fd, yes = 0;
	if (!json_is_integer(size) || json_integer_value(size) > (16 << 20) ||
	    exec__view_host(s, str(r, "path"), &host) ||
	    (fd = open(host.buf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0) {
		strbuf_release(&host);
		return 0;
	}
	yes = object_names(s, str(r, "sha256"), fd, from);
	close(fd);
	strbuf_release(&host);
	return yes;
}

/*
 * Where PATH (a read's: relative to the project, or absolute) lies when
 * the project at FROM is at TO instead: a project path in the old place,
 * FROM/PATH; an absolute one reached by climbing out of the project
 * (../data.csv) as far above TO.  0, or -1 when TO has no such place.
 */
static int twin_path(struct strbuf *out, const char *path, const char *from, const char *to)
{
	char *anc = xstrdup(from), *up = xstrdup(to), *slash;
	const char *rest = NULL;
	int ret = -1;
	strbuf_reset(out);
	if (path[0] != '/') {
		strbuf_addf(out, "%s/%s", from, path);
		ret = 0;
		goto out;
	}
	while (!(rest = exec__under(path, anc))) {
		/* one level up on both sides ("/" has none) */
		if (!strcmp(anc, "/") || !strcmp(up, "/"))
			goto out;
		slash = strrchr(anc, '/');
		slash[slash == anc] = '\0';
		slash = strrchr(up, '/');
		slash[slash == up] = '\0';
	}
	strbuf_addstr(out, up);
	if (*rest) {
		if (out->len > 1)
			strbuf_addch(out, '/');
		strbuf_addstr(out, rest);
	}
	ret = 0;
out:
	free(anc);
	free(up);
	return ret;
}

/*
 * Does the symlink at PATH (a read's) with TARGET lead out of the project
 * at FROM (`../p/data`), or name it (`/old/p/data`)?  In a copy it would
 * lead to the old place, not the copy's.
 */
static int link_leaves(const char *path, const char *target, const char *from)
{
	const char *p = target;
	int depth = 0;
	if (target[0] == '/')
		return text_names(target, strlen(target), from) ||
		    exec__under(from, target); /* an ancestor: up/p/data */
	if (path[0] == '/')
		return 0; /* outside: a relative link there stays there */
	for (; *path; path++)
		depth += *path == '/';
	while (*p) {
		const char *end = strchrnul(p, '/');
		if (end - p == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (end > p && !(end - p == 1 && p[0] == '.')) {
			depth++;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

/*
 * Can candidate CAND, which ran with the project at FROM, serve the
 * project at S->root?  Its outputs must not name FROM (a run here would
 * name S->root: `pwd > where.txt`, a VRT with absolute paths), and no
 * read outside the project may have been reached from FROM by a
 * relative path (../data.csv) that leads elsewhere from S->root: one
 * below an ancestor of FROM (other than /) that is not S->root's at the
 * same depth.  Then STATE, the end state, has FROM replaced in its
 * working directory, directory stack, PWD and OLDPWD; any other part
 * naming FROM keeps it here.  NULL, or why not.
 */
static const char *relocate_candidate(struct exec_session *s, json_t *cand, const char *from,
				      struct strbuf *state, int logs[3])
{
	struct exec_state end;
	struct strbuf rest = STRBUF_INIT, buf = STRBUF_INIT;
	struct strvec no_own = STRVEC_INIT;
	const char *why = NULL;
	json_t *r, *w;
	size_t i;

	if (json_object_get(cand, "location_seen")) {
		why = "it learnt where it ran (the record's location_seen)";
		goto out;
	}
	json_array_foreach(json_object_get(cand, "reads"), i, r)
	{
		const char *path = str(r, "path"), *kind = str(r, "kind");
		json_t *twin, *changed;
		if (!path || !kind || on_the_way(r, from))
			continue;
		/* A file naming the project's directory (a VRT, a config
		 * with absolute paths) leads a run here to the old place. */
		if (!strcmp(kind, "file") && !str(r, "role") && read_names(s, r, from)) {
			why = "a file it read names the project's directory";
			goto out;
		}
		if (!strcmp(kind, "symlink") && str(r, "target") &&
		    link_leaves(path, str(r, "target"), from)) {
			why = "a link it followed leads out of the project or names its directory";
			goto out;
		}
		/* Reached by the project's name (an absolute path, `..` out
		 * and back) or beside it (`../data.csv`): a run here could
		 * read either place, so both must hold what it read.  (Not the
		 * project's directory itself: the shell looks at its PWD.) */
		if (!json_is_true(json_object_get(r, "named")) ||
		    (!strcmp(path, ".") && !strcmp(kind, "stat")))
			continue;
		if (twin_path(&buf, path, from, s->root) < 0) {
			why = "it read beside the project, and nothing lies as far from here";
			goto out;
		}
		twin = json_deep_copy(r);
		json_object_set_new(twin, "path", util_json_str(buf.buf));
		changed = check_read(s, twin, &no_own);
		json_decref(twin);
		if (changed) {
			json_decref(changed);
			why = "it read a path by the project's name or beside it, which differs "
			      "between the two places";
			goto out;
		}
	}
	if (object_names(s, str(cand, "stdout"), logs[1], from) ||
	    object_names(s, str(cand, "stderr"), logs[2], from)) {
		why = "its output names the project's directory";
		goto out;
	}
	json_array_foreach(json_object_get(cand, "writes"), i, w)
	{
		const char *kind = str(w, "kind") ? str(w, "kind") : "";
		if ((!strcmp(kind, "file") && object_names(s, str(w, "sha256"), -1, from)) ||
		    (!strcmp(kind, "symlink") && str(w, "target") &&
		     text_names(str(w, "target"), strlen(str(w, "target")), from))) {
			why = "a file it wrote names the project's directory";
			goto out;
		}
	}
	exec_state_init(&end);
	if (exec_state_parse(&end, state->buf, state->len) < 0) {
		why = "the cached end state is damaged";
		exec_state_release(&end);
		goto out;
	}
	/*
	 * The key held the project's directory as a token: what the end
	 * state names of it stood for the project wherever it is, and
	 * names this copy here (its working directory, PWD, a variable the
	 * step made from one that named the project).  What the step learnt
	 * of the place otherwise is refused above (location_seen, its text,
	 * files naming the directory).
	 */
	state_replace(&end, from, s->root, 0);
	strbuf_reset(state);
	exec_state_serialize(state, &end);
	exec_state_release(&end);
out:
	strbuf_release(&rest);
	strbuf_release(&buf);
	return why;
}

/* Did output N (1, 2) go to a terminal when it went where NAMES (the
 * candidate's "out": names of out_name()) say? */
static int was_tty(const char *n1, const char *n2, int n)
{
	return !strcmp(n == 1 ? n1 : n2, "tty") ||
	    (n == 2 && !strcmp(n2, "merged") && !strcmp(n1, "tty"));
}

/*
 * Can candidate CAND, recorded with its output going where its "out"
 * says, be replayed where O goes now?  Where output goes is in no key:
 * the streams are kept apart and replayed into this run's arrangement,
 * as long as the step could not tell the difference and the replay can
 * be exact.  NULL, or why not.
 */
static const char *arrangement_fits(const struct exec_output *o, json_t *cand)
{
	json_t *out = json_object_get(cand, "out");
	const char *was1 = json_string_value(json_array_get(out, 0));
	const char *was2 = json_string_value(json_array_get(out, 1));
	const char *now1 = out_name(o, 1), *now2 = out_name(o, 2);
	int asked = json_is_true(json_object_get(cand, "terminal_asked"));
	int n;
	if (!was1 || !was2)
		return "it did not note where its output went";
	if (!strcmp(was1, now1) && !strcmp(was2, now2) &&
	    (!(o->tty[1] || o->tty[2]) ||
	     json_integer_value(json_object_get(cand, "columns")) == (json_int_t)o->cols))
		return NULL;
	/* A closed descriptor fails the writes to it. */
	if (!strcmp(was1, "closed") != !strcmp(now1, "closed") ||
	    !strcmp(was2, "closed") != !strcmp(now2, "closed"))
		return "its standard output or error was closed and is open now, or the reverse";
	for (n = 1; n <= 2; n++)
		if (was_tty(was1, was2, n) != (o->tty[n] || (n == 2 && o->merged && o->tty[1])) &&
		    asked)
			return "it asked whether its output is a terminal, and it went to a terminal "
			       "then and does not now, or the reverse";
	if ((was_tty(was1, was2, 1) || was_tty(was1, was2, 2)) && (o->tty[1] || o->tty[2]) &&
	    json_integer_value(json_object_get(cand, "columns")) != (json_int_t)o->cols &&
	    json_is_true(json_object_get(cand, "terminal_size_asked")))
		return "it asked the terminal's size, and the terminal is of another width now";
	/* Two streams sent to one place keep an order that two captures
	 * cannot rebuild, nor one capture split. */
	if (!strcmp(was2, "merged") && strcmp(now2, "merged") &&
	    strcmp(str(cand, "stdout") ? str(cand, "stdout") : "", EMPTY_SHA256))
		return "its output and error went to one place, and go apart now";
	if (strcmp(was2, "merged") && !strcmp(now2, "merged") && str(cand, "stdout") &&
	    str(cand, "stderr") && strcmp(str(cand, "stdout"), EMPTY_SHA256) &&
	    strcmp(str(cand, "stderr"), EMPTY_SHA256))
		return "it wrote both output and error, apart, and they go to one place now";
	return NULL;
}

int exec__cache_serve(struct exec_cachectx *c, struct exec_session *s, const struct exec_step *step,
		      const struct exec_output *o, struct exec_result *out)
{
	struct strbuf state = STRBUF_INIT;
	json_t *entry = NULL, *cands, *cand;
	const char *kept;
	int logs[3] = { -1, -1, -1 };
	size_t i;
	int r, ret = 0;

	/* The step's own earlier outputs are hidden from it whenever it
	 * runs (--no-cache too), so that a run and a hit agree. */
	if (c->off && (!s->sandboxed || s->see_own_outputs || s->into))
		return 0;
	r = cache_action_get(&entry, s->cairn_dir, c->key);
	if (r == 0 && s->sandboxed && !s->see_own_outputs && !s->into)
		own_outputs(&c->own, s, json_object_get(entry, "candidates"));
	if (c->off) {
		json_decref(entry);
		err_clear();
		return 0;
	}
	if (r == CAIRN_ENOTFOUND) {
		c->miss = why_no_key(c, s);
		c->lookup_ns = util_now_ns() - c->t_start;
		return 0;
	}
	if (r < 0) {
		warn("%s (ignored)", err_last());
		c->miss = why_path("?", "damaged action cache entry", NULL, NULL);
		c->lookup_ns = util_now_ns() - c->t_start;
		return 0;
	}
	cands = json_object_get(entry, "candidates");
	json_array_foreach(cands, i, cand)
	{
		json_t *line = json_object_get(cand, "line"), *why;
		/* A step whose output may show its line number (it uses
		 * $LINENO or wrote to stderr) hits only on the same line. */
		if (json_is_integer(line) && json_integer_value(line) != (json_int_t)step->line) {
			if (!c->miss) {
				c->miss = json_pack("{s:s,s:s,s:[s]}", "part", "key", "change",
						    "the action key differs", "parts", "line");
				json_object_set(c->miss, "old_line", line);
			}
			continue;
		}
		if (str(cand, "argv0") && strcmp(str(cand, "argv0"), s->argv0 ? s->argv0 : "")) {
			if (!c->miss) {
				c->miss = json_pack("{s:s,s:s,s:[s]}", "part", "key", "change",
						    "the action key differs", "parts", "argv0");
				json_object_set_new(c->miss, "old_argv0",
						    json_string(str(cand, "argv0")));
			}
			continue;
		}
		/* Within one session a command that comes again is meant to
		 * run again (`date; ...; date`): only earlier sessions'
		 * traces are served. */
		if (str(cand, "session") && !strcmp(str(cand, "session"), s->session_id)) {
			if (!c->miss)
				c->miss = json_pack("{s:s,s:s}", "part", "session", "change",
						    "the same step already ran in this session");
			continue;
		}
		if ((kept = arrangement_fits(o, cand))) {
			if (!c->miss) {
				c->miss = why_path("?", kept, NULL, NULL);
				json_object_set_new(c->miss, "part", json_string("output"));
			}
			continue;
		}
		why = check_candidate(s, cand, &c->own);
		if (why) {
			/* The newest candidate's difference explains the miss. */
			if (!c->miss)
				c->miss = why;
			else
				json_decref(why);
			continue;
		}
		close_logs(logs);
		if (!objects_ok(s, cand, logs, &state)) {
			if (!c->miss)
				c->miss = why_path("?", "cached objects are missing or damaged",
						   NULL, NULL);
			continue;
		}
		if (!exec__cache_load_base(s)) {
			if (!c->miss)
				c->miss =
				    why_path("?", "no saved baseline of a fresh shell", NULL, NULL);
			break;
		}
		if ((kept = keep_unkeyed(c, s, cand, &state))) {
			if (!c->miss)
				c->miss = why_path("?", kept, NULL, NULL);
			continue;
		}
		if (c->aliases_free && keep_expand_aliases(s, &state) < 0) {
			if (!c->miss)
				c->miss =
				    why_path("?", "the cached end state is damaged", NULL, NULL);
			continue;
		}
		/* It ran with the project elsewhere. */
		if (str(cand, "root") && strcmp(str(cand, "root"), s->root) &&
		    (kept = relocate_candidate(s, cand, str(cand, "root"), &state, logs))) {
			if (!c->miss) {
				c->miss = why_path(str(cand, "root"), kept, NULL, NULL);
				json_object_set_new(c->miss, "part", json_string("location"));
			}
			continue;
		}
		json_decref(c->miss);
		c->miss = NULL;
		r = exec__steprun_serve(s, step, c, cand, &state, out);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r == 0) {
			c->miss =
			    why_path("?", "the cached outputs could not be restored", NULL, NULL);
			break;
		}
		if (out->aborted) {
			ret = 1;
			break;
		}
		exec__output_replay(o, logs[1], 1);
		exec__output_replay(o, logs[2], 2);
		out->cached = 1;
		memcpy(out->from_step, str(cand, "step") ? str(cand, "step") : "",
		       sizeof(out->from_step) - 1);
		ret = 1;
		break;
	}
	json_decref(entry);
	close_logs(logs);
	strbuf_release(&state);
	if (ret == 0)
		c->lookup_ns = util_now_ns() - c->t_start;
	return ret;
}

/* ---- adding ------------------------------------------------------------ */

/* Programs a network step may run and still be cached: shells, GDAL's
 * tools (which read the recorded remote datasets), and local text tools
 * that never use the network. */
static int local_or_gdal(const char *exe)
{
	static const char *const local[] = {
		"bash",	    "sh",      "dash",	"cat",	  "grep", "sed",   "awk",  "mawk",
		"gawk",	    "sort",    "head",	"tail",	  "cut",  "tr",	   "wc",   "tee",
		"uniq",	    "paste",   "echo",	"printf", "true", "false", "test", "[",
		"basename", "dirname", "mkdir", "cp",	  "mv",	  "rm",	   "ls",   "jq"
	};
	const char *base = exe ? strrchr(exe, '/') : NULL;
	size_t i;
	base = base ? base + 1 : exe;
	if (!base)
		return 0;
	if (formats_is_gdal_tool(base))
		return 1;
	for (i = 0; i < ARRAY_SIZE(local); i++)
		if (!strcmp(base, local[i]))
			return 1;
	return 0;
}

/*
 * May a step with network access be cached?  Only when its network use
 * is reading remote datasets that its record names with their HTTP
 * validators (docs/cache.md): at least one such read, none that failed,
 * no /dev/tcp in the command, and no program but shells, GDAL's tools
 * and local text tools.
 */
static int only_remote_datasets(json_t *record)
{
	json_t *r, *p;
	size_t i;
	int remote = 0;
	const char *cmd = str(record, "command");
	if (cmd && (strstr(cmd, "/dev/tcp") || strstr(cmd, "/dev/udp")))
		return 0;
	json_array_foreach(json_object_get(record, "reads"), i, r)
	{
		if (!str(r, "kind") || strcmp(str(r, "kind"), "remote"))
			continue;
		if (json_object_get(r, "error"))
			return 0;
		remote = 1;
	}
	if (!remote)
		return 0;
	json_array_foreach(json_object_get(record, "exec_tree"), i, p)
	{
		if (!local_or_gdal(str(p, "exe")))
			return 0;
	}
	return 1;
}

/* Say in RECORD's cache object why its trace was not offered to the
 * cache (`cairn why` prints it). */
__attribute__((format(printf, 2, 3))) static void not_stored(json_t *record, const char *fmt, ...)
{
	json_t *cache = json_object_get(record, "cache");
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (json_is_object(cache))
		json_object_set_new(cache, "not_stored", json_string(sb.buf));
	if (getenv("CAIRN_DEBUG_CACHE"))
		fprintf(stderr, "cairn: not cached: %s\n", sb.buf);
	strbuf_release(&sb);
}

/* Does the captured output SHA (a content-store object) contain WHAT?
 * One too large to read says yes. */
static int output_shows(struct exec_session *s, const char *sha, const char *what)
{
	struct strbuf buf = STRBUF_INIT;
	int yes;
	if (!sha || !strcmp(sha, EMPTY_SHA256) || !*what)
		return 0;
	yes = cache_cas_read(&buf, s->cairn_dir, sha, MAX_OBJECT) < 0 ||
	    memmem(buf.buf, buf.len, what, strlen(what)) != NULL;
	if (yes && !buf.len)
		err_clear();
	strbuf_release(&buf);
	return yes;
}

/*
 * Does what the step left show the shell's messages naming the script
 * ("p.sh: line 3: ...")?  In its output, its end state (a command
 * substitution kept in a variable), or a file it wrote of up to 1 MiB
 * (`cmd 2> err.txt`).
 */
static int shows_script_name(struct exec_session *s, json_t *record)
{
	char *msg = xstrfmt("%s: ", s->argv0);
	json_t *w;
	size_t i;
	int yes = output_shows(s, str(record, "stdout_sha256"), msg) ||
	    output_shows(s, str(record, "stderr_sha256"), msg) ||
	    output_shows(s, str(record, "end_state_sha256"), msg);
	json_array_foreach(json_object_get(record, "writes"), i, w)
	{
		json_t *size = json_object_get(w, "size");
		if (yes)
			break;
		if (json_is_integer(size) && json_integer_value(size) <= (1 << 20))
			yes = output_shows(s, str(w, "sha256"), msg);
	}
	free(msg);
	return yes;
}

void exec__cache_add(struct exec_cachectx *c, struct exec_session *s, json_t *record,
		     const struct exec_output *o)
{
	json_t *cand, *reads, *r, *sb = json_object_get(record, "sandbox");
	json_t *res = json_object_get(record, "resources");
	struct strbuf st = STRBUF_INIT;
	char sha[SHA256_HEX_LEN + 1];
	size_t i;

	if (json_is_true(json_object_get(sb, "network")) && !only_remote_datasets(record)) {
		not_stored(record,
			   "it had the network (#cairn: net), so its inputs are not all "
			   "known");
		return;
	}
	if (c->off) {
		not_stored(record, "the cache was off: %s", c->off);
		return;
	}
	if (!c->key_parts) {
		not_stored(record, "it has no action key");
		return;
	}
	if (o->over[1] || o->over[2]) {
		int n = o->over[1] ? 1 : 2;
		not_stored(record,
			   "its standard %s (%llu bytes) was larger than cache.maxOutput "
			   "(%llu bytes): passed on, not stored",
			   n == 1 ? "output" : "error", (unsigned long long)o->size[n],
			   (unsigned long long)o->max);
		return;
	}
	if (o->broken) {
		not_stored(record,
			   "its output could not be captured whole, so it could not be "
			   "replayed");
		return;
	}
	if (json_integer_value(json_object_get(record, "exit_status")) != 0) {
		not_stored(record, "it failed (exit status %d)",
			   (int)json_integer_value(json_object_get(record, "exit_status")));
		return;
	}
	if (!json_is_true(json_object_get(record, "committed"))) {
		not_stored(record, "its outputs were not committed");
		return;
	}
	if (json_array_size(json_object_get(sb, "refused"))) {
		not_stored(record, "it tried to write where steps may not (%s%s)",
			   json_string_value(json_array_get(json_object_get(sb, "refused"), 0)),
			   json_array_size(json_object_get(sb, "refused")) > 1 ? ", ..." : "");
		return;
	}
	if (json_is_true(json_object_get(sb, "stdin_read"))) {
		not_stored(record, "it read the session's standard input");
		return;
	}
	{
		char *why = fds_untraced(c, s);
		if (why) {
			not_stored(record, "%s", why);
			free(why);
			return;
		}
	}
	if (json_integer_value(json_object_get(sb, "lost_events")) > 0) {
		not_stored(record,
			   "the recorder could not read the arguments of %lld of its calls (or "
			   "confirm the program a multi-threaded exec ran), so its trace may "
			   "miss an input",
			   (long long)json_integer_value(json_object_get(sb, "lost_events")));
		return;
	}
	if (json_array_size(json_object_get(record, "changed_while_running"))) {
		json_t *ch = json_object_get(record, "changed_while_running");
		not_stored(record,
			   "its input %s%s changed while it ran, so which bytes it read is not "
			   "known",
			   json_string_value(json_array_get(ch, 0)),
			   json_array_size(ch) > 1 ? " (and others)" : "");
		return;
	}
	if (json_array_size(json_object_get(sb, "home_writes"))) {
		not_stored(record, "it wrote in $HOME (%s%s), which is private to the session",
			   json_string_value(json_array_get(json_object_get(sb, "home_writes"), 0)),
			   json_array_size(json_object_get(sb, "home_writes")) > 1 ? ", ..." : "");
		return;
	}
	/* Descriptors the step opened or closed cannot be restored. */
	normal_state(&st, &s->state, NULL, NULL, NULL, NULL);
	{
		size_t k;
		int same = s->state.fds.nr == c->start_fds.nr;
		for (k = 0; same && k < s->state.fds.nr; k++)
			same = fd_same(c, s, s->state.fds.v[k], c->start_fds.v[k]);
		if (!same) {
			not_stored(record,
				   "it left descriptors open or closed for the steps after "
				   "it (exec N>file), which a cache hit cannot restore");
			if (getenv("CAIRN_DEBUG_CACHE"))
				for (k = 0; k < s->state.fds.nr || k < c->start_fds.nr; k++)
					fprintf(stderr, "cairn: fds: [%s] [%s]\n",
						k < c->start_fds.nr ? c->start_fds.v[k] : "",
						k < s->state.fds.nr ? s->state.fds.v[k] : "");
			strbuf_release(&st);
			return;
		}
	}
	if (cache_cas_put_buf(sha, s->cairn_dir, st.buf, st.len) < 0) {
		not_stored(record, "its end state could not be stored: %s", err_last());
		warn("%s", err_last());
		strbuf_release(&st);
		return;
	}
	strbuf_release(&st);
	json_object_set_new(record, "end_state_sha256", json_string(sha));

	cand = json_object();
	json_object_set_new(cand, "step", json_string(str(record, "id")));
	json_object_set_new(cand, "session", json_string(str(record, "session")));
	json_object_set(cand, "created", json_object_get(record, "finished"));
	reads = json_array();
	json_array_foreach(json_object_get(record, "reads"), i, r) json_array_append(reads, r);
	json_object_set_new(cand, "reads", reads);
	json_object_set(cand, "writes", json_object_get(record, "writes"));
	json_object_set(cand, "formats", json_object_get(record, "formats"));
	if (json_object_get(record, "nondeterministic"))
		json_object_set(cand, "nondeterministic",
				json_object_get(record, "nondeterministic"));
	json_object_set(cand, "stdout", json_object_get(record, "stdout_sha256"));
	json_object_set(cand, "stderr", json_object_get(record, "stderr_sha256"));
	json_object_set_new(cand, "merged", json_boolean(o->merged));
	/* Where its output went, and whether it asked (arrangement_fits()). */
	json_object_set_new(cand, "out", json_pack("[ss]", out_name(o, 1), out_name(o, 2)));
	if (o->tty[1] || o->tty[2])
		json_object_set_new(cand, "columns", json_integer(o->cols));
	if (json_is_true(json_object_get(record, "terminal_asked")))
		json_object_set_new(cand, "terminal_asked", json_true());
	if (json_is_true(json_object_get(record, "terminal_size_asked")))
		json_object_set_new(cand, "terminal_size_asked", json_true());
	json_object_set_new(cand, "end_state", json_string(sha));
	json_object_set(cand, "exit_status", json_object_get(record, "exit_status"));
	json_object_set_new(cand, "cpu_s",
			    json_real(json_number_value(json_object_get(res, "cpu_user_s")) +
				      json_number_value(json_object_get(res, "cpu_sys_s"))));
	json_object_set(cand, "wall_s", json_object_get(res, "wall_s"));
	if (json_is_number(json_object_get(res, "energy_j")))
		json_object_set(cand, "energy_j", json_object_get(res, "energy_j"));
	{
		/* Line numbers show in $LINENO and in the shell's messages. */
		const char *cmd = str(record, "command");
		const char *err = str(record, o->merged ? "stdout_sha256" : "stderr_sha256");
		if ((cmd && strstr(cmd, "LINENO")) || (err && strcmp(err, EMPTY_SHA256)))
			json_object_set(cand, "line", json_object_get(record, "line"));
	}
	if (json_object_size(c->unkeyed))
		json_object_set(cand, "unkeyed", c->unkeyed);
	/* Where the project was: a copy elsewhere is served after a look. */
	if (c->relocatable) {
		json_object_set_new(cand, "root", util_json_str(s->root));
		/* It learnt where it is: never served elsewhere. */
		if (json_object_get(record, "location_seen"))
			json_object_set(cand, "location_seen",
					json_object_get(record, "location_seen"));
	}
	/* The shell's messages name the script: such a step hits only under
	 * the same name. */
	if (!json_object_get(c->key_parts, "argv0") && s->argv0 && shows_script_name(s, record))
		json_object_set_new(cand, "argv0", json_string(s->argv0));
	if (cache_action_add(s->cairn_dir, c->key, c->key_parts, cand, c->site, MAX_CANDIDATES) <
	    0) {
		not_stored(record, "the action cache could not be written: %s", err_last());
		warn("%s", err_last());
	} else
		json_object_set_new(json_object_get(record, "cache"), "stored", json_true());
	json_decref(cand);
	exec__cache_save_base(s);
}
