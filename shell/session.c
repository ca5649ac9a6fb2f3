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
		{
			char *file = shell_user_config();
			fprintf(stderr,
				"\ncairn: to let steps write to a directory: git config --file "
				"%s --add sandbox.writable DIR\n",
				file);
			free(file);
		}
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

void shell_steps_release(struct shell_steps *st)
{
	size_t i;
	for (i = 0; i < st->n; i++)
		free((void *)st->v[i].funcs);
	free(st->v);
	memset(st, 0, sizeof(*st));
}

void shell_steps_add(struct shell_steps *st, const char *buf, const struct parse_cmd *c,
		     const struct exec_directives *d)
{
	struct exec_funcsrc *funcs = xcalloc(c->nfuncs ? c->nfuncs : 1, sizeof(*funcs));
	struct exec_step *step;
	size_t j;

	for (j = 0; j < c->nfuncs; j++) {
		funcs[j].name = c->funcs[j].name;
		funcs[j].text = buf + c->funcs[j].offset;
		funcs[j].len = c->funcs[j].len;
		funcs[j].line = c->funcs[j].line;
	}
	st->v = xrealloc(st->v, (st->n + 1) * sizeof(*st->v));
	step = &st->v[st->n++];
	memset(step, 0, sizeof(*step));
	step->text = buf + c->offset;
	step->len = c->len;
	step->line = c->line;
	step->funcs = funcs;
	step->nfuncs = c->nfuncs;
	if (d)
		step->directives = *d;
}

json_t **shell_match_records(const struct shell_steps *st, json_t *records)
{
	json_t **hints = xcalloc(st->n ? st->n : 1, sizeof(*hints)), *r;
	size_t i, k, from = 0;
	/* In order: the K-th record that has the step's line and text. */
	for (i = 0; i < st->n; i++) {
		const struct exec_step *step = &st->v[i];
		for (k = from; k < json_array_size(records); k++) {
			const char *cmd;
			r = json_array_get(records, k);
			cmd = json_string_value(json_object_get(r, "command"));
			if (cmd && json_integer_value(json_object_get(r, "line")) == step->line &&
			    strlen(cmd) == step->len && !memcmp(cmd, step->text, step->len)) {
				hints[i] = r;
				from = k + 1;
				break;
			}
		}
	}
	return hints;
}

struct run_ctx {
	struct exec_session *es;
	const struct shell_run_opts *ro;
	int status, ended, sig;
};

/* After each step, in order: what the sandbox did, the summary line. */
static int step_done(size_t i, const struct exec_step *step, const struct exec_result *res,
		     void *payload)
{
	struct run_ctx *c = payload;
	struct exec_session *es = c->es;
	(void)i;
	c->status = res->status;
	report(es, step, res, (c->ro->summary && !shell_opts.quiet) || shell_opts.verbose);
	if (c->ro->summary && !shell_opts.quiet) {
		int color = isatty(2) && !getenv("NO_COLOR");
		fprintf(stderr, "%s[step %u", color ? "\033[2m" : "", es->seq);
		if (*res->id)
			fprintf(stderr, " %.8s", res->id);
		if (res->cached)
			fprintf(stderr, " · cached from %.8s · %.3f s", res->from_step,
				(double)res->wall_ns / 1e9);
		else
			fprintf(stderr, " · ran · %.3f s", (double)res->wall_ns / 1e9);
		if (*res->id)
			fprintf(stderr, " · %zu read, %zu written%s", res->nreads, res->nwrites,
				res->discarded ? " (discarded)" : "");
		fprintf(stderr, "%s]%s\n",
			res->signal == SIGINT ? " · interrupted"
			    : res->timed_out  ? " · timed out"
			    : res->ended      ? " · shell ended"
					      : "",
			color ? "\033[0m" : "");
	}
	if (res->ended) {
		c->ended = SHELL_ENDED;
		c->sig = res->signal;
	}
	return 0;
}

int shell_run_steps(struct exec_session *es, const struct shell_steps *st,
		    const struct shell_run_opts *ro, int *ended, int *sig,
		    struct exec_sched_stats *stats)
{
	struct run_ctx c = { es, ro, es->state.status, 0, 0 };
	struct exec_sched_opts so = { 0 };
	struct exec_sched_stats mine;

	if (!stats)
		stats = &mine;
	so.jobs = ro->jobs;
	so.hints = ro->hints;
	so.done = step_done;
	so.payload = &c;
	if (exec_sched_run(es, st->v, st->n, &so, stats) < 0) {
		const struct exec_step *bad =
		    &st->v[stats->stopped_at < st->n ? stats->stopped_at : 0];
		warn("step at %s:%u failed to run: %s", ro->name, bad->line, err_last());
		*ended = SHELL_ENDED;
		*sig = 0;
		return 125;
	}
	*ended = c.ended;
	*sig = c.sig;
	return c.status;
}

int shell_run_input(struct exec_session *es, const struct shell_input *in, int *ended, int *sig)
{
	struct parse_result pr = PARSE_RESULT_INIT;
	struct exec_directives *dirs = NULL;
	struct shell_steps steps = { 0 };
	struct shell_run_opts ro = { 0 };
	json_t **hints = NULL;
	int status = es->state.status;
	size_t i;
	int ret;

	*ended = 0;
	*sig = 0;
	ro.name = in->name;
	ro.summary = in->summary;
	ro.jobs = in->jobs;
	if (in->steps) {
		/* Rebuilt from records, checked when they were first run. */
		if (in->recorded)
			ro.hints = hints = shell_match_records(in->steps, in->recorded);
		status = shell_run_steps(es, in->steps, &ro, ended, sig, in->stats);
		free(hints);
		return status;
	}
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
	for (i = 0; i < pr.nr; i++)
		shell_steps_add(&steps, in->buf, &pr.cmds[i], &dirs[i]);
	if (in->recorded)
		ro.hints = hints = shell_match_records(&steps, in->recorded);
	status = shell_run_steps(es, &steps, &ro, ended, sig, in->stats);
out:
	free(hints);
	shell_steps_release(&steps);
	free(dirs);
	parse_result_release(&pr);
	return status;
}

int shell_run_text(const struct exec_session_opts *opts, const char *name, const char *buf,
		   size_t len)
{
	struct shell_input in = { .name = name, .buf = buf, .len = len, .first_line = 1 };
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
