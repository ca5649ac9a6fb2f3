/*
 * session.c - from input text to steps: parse everything first, then run
 * the complete commands one by one through exec/.
 */
#include "shell-int.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum exec_lang shell_lang_of(const char *buf, size_t len)
{
	const char *nl, *p, *name;
	size_t n;

	if (len < 2 || buf[0] != '#' || buf[1] != '!')
		return EXEC_LANG_BASH;
	nl = memchr(buf, '\n', len);
	n = nl ? (size_t)(nl - buf) : len;
	/* "#!/bin/sh", "#! /bin/dash -e", "#!/usr/bin/env sh" */
	p = buf + 2;
	while (p < buf + n && (*p == ' ' || *p == '\t'))
		p++;
	name = p;
	while (p < buf + n && *p != ' ' && *p != '\t') {
		if (*p == '/')
			name = p + 1;
		p++;
	}
	if ((size_t)(p - name) == 3 && !memcmp(name, "env", 3)) {
		while (p < buf + n && (*p == ' ' || *p == '\t'))
			p++;
		name = p;
		while (p < buf + n && *p != ' ' && *p != '\t')
			p++;
	}
	n = (size_t)(p - name);
	if ((n == 2 && !memcmp(name, "sh", 2)) || (n == 4 && !memcmp(name, "dash", 4)))
		return EXEC_LANG_SH;
	return EXEC_LANG_BASH;
}

/*
 * Say what the sandbox did to the step, on standard error: always that
 * a time limit stopped it or that it was refused writes (the shell's own
 * "Read-only file system" does not say how to allow them); with NOTES
 * (the REPL, -v) also that a failed step's outputs were discarded, which
 * a script run leaves unsaid so that it prints what it would under the
 * shell.
 */
static void report(const struct exec_session *s, const struct exec_step *step,
		   const struct exec_result *out, int notes)
{
	size_t i;
	if (out->timed_out)
		fprintf(stderr, "cairn: the step was stopped after %u s (#cairn: timeout=%u)\n",
			step->directives.timeout, step->directives.timeout);
	if (out->refused.nr) {
		fprintf(stderr, "cairn: the sandbox refused writes outside the project:");
		for (i = 0; i < out->refused.nr && i < 5; i++)
			fprintf(stderr, " %s", out->refused.v[i]);
		if (out->refused.nr > 5)
			fprintf(stderr, " (and %zu more)", out->refused.nr - 5);
		fprintf(stderr,
			"\ncairn: to let steps write to a directory: git config --file "
			"%s/config --add sandbox.writable DIR\n",
			s->cairn_dir);
	}
	if (!notes)
		return;
	if (step->directives.mem && out->status)
		fprintf(stderr,
			"cairn: the step failed with a memory limit of %llu bytes (#cairn: mem=); "
			"if it ran out of memory, raise the limit\n",
			(unsigned long long)step->directives.mem);
	if (out->discarded && !s->keep_failed)
		fprintf(stderr,
			"cairn: the step failed (status %d): its outputs were discarded "
			"(--keep-failed keeps them)\n",
			out->status);
}

static void report_syntax(const struct shell_input *in, const struct parse_result *pr)
{
	fprintf(stderr, "%s:%u:%u: %s\n", in->name, pr->err_line, pr->err_col,
		pr->err_msg ? pr->err_msg : "syntax error");
}

int shell_run_input(struct exec_session *es, const struct shell_input *in, int *ended, int *sig)
{
	struct parse_result pr = PARSE_RESULT_INIT;
	struct exec_directives *dirs = NULL;
	int status = es->state.status;
	size_t i, j;
	int ret;

	*ended = 0;
	*sig = 0;
	ret = shell_parse(&pr, in->buf, in->len, in->first_line);
	if (ret < 0) {
		report_syntax(in, &pr);
		status = 2;
		*ended = SHELL_REJECTED;
		goto out;
	}
	/* Directives are checked before anything runs, as syntax is. */
	dirs = xcalloc(pr.nr ? pr.nr : 1, sizeof(*dirs));
	for (i = 0; i < pr.nr; i++) {
		if (shell_directives(&dirs[i], pr.cmds[i].directives, pr.cmds[i].ndirectives,
				     in->name) < 0) {
			status = 2;
			*ended = SHELL_REJECTED;
			goto out;
		}
	}
	if (pr.ntrailing) {
		struct exec_directives unused;
		if (shell_directives(&unused, pr.trailing, pr.ntrailing, in->name) < 0) {
			status = 2;
			*ended = SHELL_REJECTED;
			goto out;
		}
	}

	for (i = 0; i < pr.nr; i++) {
		const struct parse_cmd *c = &pr.cmds[i];
		struct exec_funcsrc *funcs = xcalloc(c->nfuncs ? c->nfuncs : 1, sizeof(*funcs));
		struct exec_step step = { 0 };
		struct exec_result res;

		for (j = 0; j < c->nfuncs; j++) {
			funcs[j].name = c->funcs[j].name;
			funcs[j].text = in->buf + c->funcs[j].offset;
			funcs[j].len = c->funcs[j].len;
			funcs[j].line = c->funcs[j].line;
		}
		step.text = in->buf + c->offset;
		step.len = c->len;
		step.line = c->line;
		step.funcs = funcs;
		step.nfuncs = c->nfuncs;
		step.directives = dirs[i];
		ret = exec_step_run(es, &step, &res);
		free(funcs);
		if (ret < 0) {
			warn("step at %s:%u failed to run: %s", in->name, c->line, err_last());
			status = 125;
			*ended = SHELL_ENDED;
			goto out;
		}
		status = res.status;
		report(es, &step, &res, (in->summary && !shell_opts.quiet) || shell_opts.verbose);
		if (in->summary && !shell_opts.quiet) {
			int color = isatty(2) && !getenv("NO_COLOR");
			fprintf(stderr, "%s[step %u", color ? "\033[2m" : "", es->seq);
			if (*res.id)
				fprintf(stderr, " %.8s", res.id);
			if (res.cached)
				fprintf(stderr, " · cached from %.8s · %.3f s", res.from_step,
					(double)res.wall_ns / 1e9);
			else
				fprintf(stderr, " · ran · %.3f s", (double)res.wall_ns / 1e9);
			if (*res.id)
				fprintf(stderr, " · %zu read, %zu written%s", res.nreads,
					res.nwrites, res.discarded ? " (discarded)" : "");
			fprintf(stderr, "%s]%s\n",
				res.signal == SIGINT ? " · interrupted"
				    : res.timed_out  ? " · timed out"
				    : res.ended	     ? " · shell ended"
						     : "",
				color ? "\033[0m" : "");
		}
		exec_result_release(&res);
		if (res.ended) {
			*ended = SHELL_ENDED;
			*sig = res.signal;
			goto out;
		}
	}
out:
	free(dirs);
	parse_result_release(&pr);
	return status;
}

int shell_run_text(const struct exec_session_opts *opts, const char *name, const char *buf,
		   size_t len)
{
	struct shell_input in = { name, buf, len, 1, 0 };
	return shell_run_session(opts, &in);
}

int shell_run_session(const struct exec_session_opts *opts, const struct shell_input *in)
{
	struct exec_session es;
	struct exec_session_opts o = *opts;
	struct shell_project proj = { 0 };
	int ended = 0, sig = 0, status;

	if (shell_project_setup(&o, &proj) < 0 || exec_session_init(&es, &o) < 0) {
		warn("%s", err_last());
		shell_project_release(&proj);
		return 125;
	}
	status = shell_run_input(&es, in, &ended, &sig);
	if (!ended && exec_session_finish(&es, &status) < 0) {
		warn("%s", err_last());
		status = 125;
	}
	exec_session_release(&es);
	if (shell_project_release(&proj) < 0) {
		warn("%s", err_last());
		if (!status)
			status = 125;
	}
	if (sig == SIGINT || sig == SIGQUIT || sig == SIGTERM || sig == SIGHUP) {
		/* As bash: a step killed by a signal ends us the same way, so that
		 * our parent sees the interruption. */
		fflush(NULL);
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return status;
}
