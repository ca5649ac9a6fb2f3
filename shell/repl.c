/*
 * repl.c - the interactive shell: readline editing, history, PS2
 * continuation, completion, Ctrl-C, and in-process `cairn ...` lines.
 */
#include "shell-int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

static volatile sig_atomic_t repl_interrupted;
/* The primary prompt of the readline() call under way. */
static char *repl_prompt;

/*
 * Ctrl-C at the prompt: drop the line (and any unfinished command) and
 * show a fresh primary prompt, as bash does.  readline() is still reading
 * and returns what is typed next: that is a new command, not to be lost.
 * (We are in read(): readline's state may be touched.)
 */
static void on_sigint(int sig)
{
	(void)sig;
	repl_interrupted = 1;
	if (write(1, "^C\n", 3) < 0) {
		/* nothing to do about it */
	}
	if (repl_prompt)
		rl_set_prompt(repl_prompt);
	rl_on_new_line();
	rl_replace_line("", 0);
	rl_redisplay();
}

static char *history_path(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct strbuf sb = STRBUF_INIT;
	char *p;

	if (state && *state == '/')
		strbuf_addf(&sb, "%s/cairn", state);
	else if (home && *home)
		strbuf_addf(&sb, "%s/.local/state/cairn", home);
	else
		return NULL;
	/* mkdir -p */
	for (p = sb.buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(sb.buf, 0700);
			*p = '/';
		}
	}
	mkdir(sb.buf, 0700);
	strbuf_addstr(&sb, "/history");
	return strbuf_detach(&sb, NULL);
}

/* ---- completion ---------------------------------------------------------- */

static struct strvec completion_words;

static void add_path_commands(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	static const char *const builtins[] = {
		"alias",    "bg",      "break",	 "builtin", "case",	"cd",	   "command",
		"continue", "declare", "dirs",	 "echo",    "eval",	"exec",	   "exit",
		"export",   "false",   "fg",	 "for",	    "function", "getopts", "hash",
		"help",	    "history", "if",	 "jobs",    "kill",	"let",	   "local",
		"mapfile",  "popd",    "printf", "pushd",   "pwd",	"read",	   "readonly",
		"return",   "select",  "set",	 "shift",   "shopt",	"source",  "test",
		"time",	    "trap",    "true",	 "type",    "ulimit",	"umask",   "unalias",
		"unset",    "until",   "wait",	 "while",   "cairn",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(builtins); i++)
		strvec_push(&completion_words, builtins[i]);
	if (!path)
		return;
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		DIR *d = opendir(dir);
		struct dirent *e;
		if (!d)
			continue;
		while ((e = readdir(d))) {
			char *full;
			if (e->d_name[0] == '.')
				continue;
			full = xstrfmt("%s/%s", dir, e->d_name);
			if (!access(full, X_OK))
				strvec_push(&completion_words, e->d_name);
			free(full);
		}
		closedir(d);
	}
	free(copy);
}

static const char *const *gen_list;
static size_t gen_index;

static char *gen_from_list(const char *text, int state)
{
	size_t len = strlen(text);
	if (!state)
		gen_index = 0;
	while (gen_list[gen_index]) {
		const char *w = gen_list[gen_index++];
		if (!strncmp(w, text, len))
			return xstrdup(w);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	static const char *subcmds[64];
	const char *line = rl_line_buffer;
	int i = 0;
	(void)end;

	while (i < start && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == start) {
		/* First word: a command. */
		if (!completion_words.nr)
			add_path_commands();
		gen_list = (const char *const *)completion_words.v;
		rl_attempted_completion_over = 1;
		return rl_completion_matches(text, gen_from_list);
	}
	if (!strncmp(line + i, "cairn", 5) && (line[i + 5] == ' ' || line[i + 5] == '\t')) {
		int j = i + 5;
		while (j < start && (line[j] == ' ' || line[j] == '\t'))
			j++;
		if (j == start) {
			size_t k;
			for (k = 0; cmd_table[k] && k + 1 < ARRAY_SIZE(subcmds); k++)
				subcmds[k] = cmd_table[k]->name;
			subcmds[k] = NULL;
			gen_list = subcmds;
			rl_attempted_completion_over = 1;
			return rl_completion_matches(text, gen_from_list);
		}
	}
	/* Anything else: file names (readline's default). */
	return NULL;
}

/* ---- in-process `cairn ...` lines ---------------------------------------- */

/*
 * Split a `cairn ...` line into words (blanks separate; '' and "" quote).
 * Returns 0, or -1 for anything a plain word list cannot express, which
 * then runs as an ordinary step.
 */
static int split_words(struct strvec *out, const char *s)
{
	struct strbuf w = STRBUF_INIT;
	int inword = 0;

	for (; *s; s++) {
		char c = *s;
		if (c == ' ' || c == '\t' || c == '\n') {
			if (inword)
				strvec_push(out, w.buf);
			strbuf_reset(&w);
			inword = 0;
		} else if (c == '\'' || c == '"') {
			const char *q = strchr(s + 1, c);
			if (!q || (c == '"' && memchr(s + 1, '$', (size_t)(q - s - 1))))
				goto bad;
			strbuf_add(&w, s + 1, (size_t)(q - s - 1));
			s = q;
			inword = 1;
		} else if (strchr("|&;<>()$`\\*?[#~{}", c)) {
			goto bad;
		} else {
			strbuf_addch(&w, c);
			inword = 1;
		}
	}
	if (inword)
		strvec_push(out, w.buf);
	strbuf_release(&w);
	return 0;
bad:
	strbuf_release(&w);
	strvec_clear(out);
	return -1;
}

static int is_cairn_line(const char *s, struct strvec *words)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "cairn", 5) || (s[5] && s[5] != ' ' && s[5] != '\t' && s[5] != '\n'))
		return 0;
	return split_words(words, s) == 0 && words->nr >= 1;
}

/* ---- the loop -------------------------------------------------------------- */

static char *make_prompt(const struct exec_session *es)
{
	const char *cwd = es->state.cwd ? es->state.cwd : es->startdir;
	const char *base = strrchr(cwd, '/');
	const char *home = getenv("HOME");
	if (home && !strcmp(home, cwd))
		base = "~";
	else if (base && base[1])
		base++;
	else
		base = cwd;
	return xstrfmt("cairn:%s$ ", base);
}

int shell_repl(const struct exec_session_opts *opts_in)
{
	struct exec_session_opts opts = *opts_in;
	struct exec_session es;
	struct strbuf pending = STRBUF_INIT;
	struct sigaction sa = { 0 };
	char *hist = history_path();
	struct shell_project proj = { 0 };
	unsigned lines_done = 0;
	int status = 0, ended = 0;

	opts.mode = EXEC_MODE_REPL;
	opts.argv0 = "cairn";
	if (shell_project_setup(&opts, &proj) < 0 || exec_session_init(&es, &opts) < 0) {
		warn("%s", err_last());
		free(hist);
		shell_project_release(&proj);
		return 125;
	}
	rl_readline_name = "cairn";
	rl_attempted_completion_function = complete;
	rl_catch_signals = 0;
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGQUIT, SIG_IGN);
	using_history();
	if (hist) {
		int fd;
		read_history(hist);
		/* append_history() needs the file to exist. */
		fd = open(hist, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}

	for (;;) {
		struct parse_result pr = PARSE_RESULT_INIT;
		struct strvec words = STRVEC_INIT;
		char *primary = make_prompt(&es);
		char *prompt = pending.len ? xstrdup("> ") : xstrdup(primary);
		char *line;
		int ret, sig = 0;

		repl_interrupted = 0;
		repl_prompt = primary;
		line = readline(prompt);
		repl_prompt = NULL;
		free(prompt);
		free(primary);
		if (repl_interrupted) {
			/* Ctrl-C: forget what was typed before it; the line
			 * readline returns was typed after it.  $? is 130. */
			strbuf_reset(&pending);
			status = 130;
			es.state.status = 130;
		}
		if (!line) {
			if (pending.len) {
				fprintf(stderr, "cairn: unexpected end of input\n");
				strbuf_reset(&pending);
			}
			fputc('\n', stdout);
			break;
		}
		strbuf_addstr(&pending, line);
		strbuf_addch(&pending, '\n');
		free(line);

		ret = shell_parse(&pr, pending.buf, pending.len, lines_done + 1);
		if (ret == CAIRN_EINCOMPLETE) {
			parse_result_release(&pr);
			continue;
		}
		parse_result_release(&pr);
		if (hist && pending.len > 1) {
			char *entry = xstrndup(pending.buf, pending.len - 1);
			add_history(entry);
			append_history(1, hist);
			free(entry);
		}
		if (is_cairn_line(pending.buf, &words)) {
			/* Runs in process, not as a step; it sees every step
			 * so far in the store. */
			if (shell_project_flush(&proj) < 0)
				warn("%s", err_last());
			status = shell_main((int)words.nr, words.v);
			fflush(stdout);
			es.state.status = status;
		} else {
			struct shell_input in = { .name = "<stdin>",
						  .buf = pending.buf,
						  .len = pending.len,
						  .first_line = lines_done + 1,
						  .summary = 1 };
			status = shell_run_input(&es, &in, &ended, &sig);
			if (ended == SHELL_ENDED && sig == SIGINT) {
				/* The step was interrupted: nothing it did counts,
				 * and $? is 130, as after bash's. */
				fputc('\n', stderr);
				ended = SHELL_GOES_ON;
				es.state.status = status;
			} else if (ended == SHELL_REJECTED) {
				/* A syntax error: $? is 2, as in bash. */
				ended = SHELL_GOES_ON;
				es.state.status = status;
			}
		}
		strvec_clear(&words);
		for (const char *p = pending.buf; *p; p++)
			lines_done += *p == '\n';
		strbuf_reset(&pending);
		if (ended == SHELL_ENDED)
			break; /* exit, or set -e: the session is over */
	}
	if (!ended)
		exec_session_finish(&es, &status);
	exec_session_release(&es);
	shell_project_release(&proj);
	strbuf_release(&pending);
	strvec_clear(&completion_words);
	free(hist);
	return status;
}
