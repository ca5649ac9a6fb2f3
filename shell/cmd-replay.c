/*
 * cmd-replay.c - `cairn replay [SESSION|FILE] [--jobs N] [--no-cache]`:
 * run a recorded session, or a script, again through the cache, with
 * steps that do not depend on each other running at the same time.
 */
#include "shell-int.h"

#include "provenance.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pseudo-step that runs an EXIT trap (exec_session_finish()): the
 * replayed session runs it again by itself. */
#define EXIT_TRAP_COMMAND "# the EXIT trap"

struct replay {
	struct prov_store *st;
	json_t *records; /* the recorded session's, in order */
	char *session;
	struct parse_result *parsed; /* one per step rebuilt from a record */
	size_t nparsed;
	struct shell_steps steps;
};

static void replay_release(struct replay *r)
{
	size_t i;
	shell_steps_release(&r->steps);
	for (i = 0; i < r->nparsed; i++)
		parse_result_release(&r->parsed[i]);
	free(r->parsed);
	json_decref(r->records);
	free(r->session);
	if (r->st)
		provenance_store_free(r->st);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* What the records of the session said about directives. */
static void directives_of(struct exec_directives *d, json_t *rec)
{
	json_t *sb = json_object_get(rec, "sandbox"), *lim = json_object_get(sb, "limits");
	const char *off = str(json_object_get(rec, "cache"), "off");
	memset(d, 0, sizeof(*d));
	d->net = json_is_true(json_object_get(sb, "network"));
	d->nocache = off && !strcmp(off, "#cairn: nocache");
	d->timeout = (unsigned)json_integer_value(json_object_get(lim, "timeout_s"));
	d->mem = (uint64_t)json_integer_value(json_object_get(lim, "mem_bytes"));
}

/* The session's steps, each parsed again from its record. */
static int rebuild_steps(struct replay *r)
{
	size_t n = json_array_size(r->records), i;
	json_t *rec;

	r->parsed = xcalloc(n ? n : 1, sizeof(*r->parsed));
	json_array_foreach(r->records, i, rec)
	{
		const char *cmd = str(rec, "command");
		struct parse_result *pr = &r->parsed[r->nparsed];
		struct exec_directives d;
		unsigned line = (unsigned)json_integer_value(json_object_get(rec, "line"));
		if (!cmd)
			return err_set(CAIRN_ERROR, "step %zu of session %s has no command", i + 1,
				       r->session);
		if (!strcmp(cmd, EXIT_TRAP_COMMAND))
			continue;
		*pr = (struct parse_result)PARSE_RESULT_INIT;
		r->nparsed++;
		if (shell_parse(pr, cmd, strlen(cmd), line ? line : 1) < 0 || pr->nr != 1)
			return err_set(CAIRN_ERROR,
				       "step %zu of session %s is not one complete command", i + 1,
				       r->session);
		directives_of(&d, rec);
		shell_steps_add(&r->steps, cmd, &pr->cmds[0], &d);
	}
	return 0;
}

static void summary(const struct exec_sched_stats *st, size_t nsteps, uint64_t wall_ns,
		    unsigned jobs)
{
	if (shell_opts.quiet)
		return;
	fprintf(stderr, "cairn replay: %zu step%s: %zu cached, %zu ran", st->stopped_at,
		st->stopped_at == 1 ? "" : "s", st->cached, st->ran);
	if (st->failed)
		fprintf(stderr, " (%zu failed)", st->failed);
	if (st->stopped_at < nsteps)
		fprintf(stderr, ", %zu not reached", nsteps - st->stopped_at);
	fprintf(stderr, " · %.3f s · %.2f s of CPU saved", (double)wall_ns / 1e9, st->cpu_saved_s);
	if (jobs > 1)
		fprintf(stderr, " · %u jobs, %zu step%s ahead of turn", jobs, st->early_kept,
			st->early_kept == 1 ? "" : "s");
	if (st->early_dropped)
		fprintf(stderr, " (%zu run again in order)", st->early_dropped);
	fputc('\n', stderr);
}

/* `cairn replay FILE [ARG...]`: as `cairn run`, told by the newest
 * recorded run of the same script which steps may run at once. */
static int replay_file(struct replay *r, const char *file, char **args, unsigned jobs)
{
	struct exec_session_opts o = { 0 };
	struct exec_sched_stats stats = { 0 };
	struct shell_input in = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char *rel = NULL, *session = NULL;
	uint64_t t0 = util_now_ns();
	int status;

	if (strbuf_read_file(&sb, file) < 0) {
		fprintf(stderr, "cairn replay: %s\n", err_last());
		return 126;
	}
	/* Hints only matter to steps that may run at once. */
	if (jobs > 1 && r->st && provenance_relpath(&rel, r->st, file) == 0) {
		if (shell_script_session(&session, r->st, rel) < 0)
			err_clear();
	}
	if (session && provenance_session_steps(&r->records, &r->session, r->st, session) < 0) {
		warn("%s (running %s in order)", err_last(), file);
		r->records = NULL;
	}
	o.mode = EXEC_MODE_SCRIPT;
	o.script = file;
	o.args = (const char *const *)args;
	o.lang = shell_lang_of(sb.buf, sb.len);
	in.name = file;
	in.buf = sb.buf;
	in.len = sb.len;
	in.first_line = 1;
	in.jobs = jobs;
	in.recorded = r->records;
	in.stats = &stats;
	status = shell_run_session(&o, &in);
	if (stats.stopped_at || status != 2)
		summary(&stats, stats.stopped_at, util_now_ns() - t0, jobs);
	free(session);
	free(rel);
	strbuf_release(&sb);
	return status;
}

/* `cairn replay [SESSION]`: the recorded commands, as they were. */
static int replay_session(struct replay *r, const char *spec, unsigned jobs)
{
	struct exec_session_opts o = { 0 };
	struct exec_sched_stats stats = { 0 };
	struct shell_input in = { 0 };
	struct strvec args = STRVEC_INIT;
	json_t *first, *v;
	const char *mode, *cwd, *script;
	char *dir = NULL, *script_path = NULL;
	uint64_t t0 = util_now_ns();
	size_t i;
	int status;

	if (!r->st) {
		fprintf(stderr, "cairn replay: no store here: nothing was recorded\n");
		return 2;
	}
	if ((status = provenance_session_steps(&r->records, &r->session, r->st, spec)) < 0) {
		fprintf(stderr, "cairn replay: %s\n", err_last());
		return status == CAIRN_ENOTFOUND || status == CAIRN_ECONFLICT ? 2 : 125;
	}
	if (rebuild_steps(r) < 0) {
		fprintf(stderr, "cairn replay: %s\n", err_last());
		return 125;
	}
	if (!r->steps.n) {
		fprintf(stderr, "cairn replay: session %s has no steps\n", r->session);
		return 2;
	}
	first = json_array_get(r->records, 0);
	mode = str(first, "mode");
	script = str(first, "script");
	if (mode && !strcmp(mode, "undo")) {
		fprintf(stderr,
			"cairn replay: session %s is a `cairn undo`, not commands to run again "
			"(`cairn undo` undoes it)\n",
			r->session);
		return 2;
	}
	cwd = str(json_object_get(first, "start_state"), "cwd");

	/* From where the session started, as it started. */
	if (cwd && cwd[0] == '/')
		dir = xstrdup(cwd);
	else if (!cwd || !strcmp(cwd, "."))
		dir = xstrdup(provenance_store_root(r->st));
	else
		dir = xstrfmt("%s/%s", provenance_store_root(r->st), cwd);
	if (chdir(dir) < 0) {
		fprintf(stderr, "cairn replay: cannot enter %s, where session %s started: %s\n",
			dir, r->session, strerror(errno));
		free(dir);
		return 125;
	}
	setenv("PWD", dir, 1);
	/* Where cairn was started from shows in OLDPWD, as recorded. */
	v = json_object_get(json_object_get(json_object_get(first, "start_state"), "env"),
			    "OLDPWD");
	if (json_string_value(v))
		setenv("OLDPWD", json_string_value(v), 1);
	else
		unsetenv("OLDPWD");
	json_array_foreach(json_object_get(json_object_get(first, "start_state"), "args"), i, v)
	    strvec_push(&args, json_string_value(v) ? json_string_value(v) : "");
	o.lang = str(first, "shell") && !strcmp(str(first, "shell"), "sh") ? EXEC_LANG_SH
									   : EXEC_LANG_BASH;
	o.args = (const char *const *)args.v;
	o.argv0 = str(first, "argv0") && *str(first, "argv0") ? str(first, "argv0") : NULL;
	if (script || (mode && !strcmp(mode, "script"))) {
		/* $0 names the script as it was given. */
		o.mode = EXEC_MODE_SCRIPT;
		if (o.argv0)
			script_path = xstrdup(o.argv0);
		else if (script && script[0] == '/')
			script_path = xstrdup(script);
		else
			script_path =
			    xstrfmt("%s/%s", provenance_store_root(r->st), script ? script : "");
		if (access(script_path, F_OK) < 0) {
			fprintf(stderr,
				"cairn replay: session %s ran the script %s, which is gone "
				"(the steps name it as $0)\n",
				r->session, script_path);
			status = 2;
			goto out;
		}
		o.script = script_path;
	} else if (mode && !strcmp(mode, "stdin")) {
		o.mode = EXEC_MODE_STDIN;
	} else if (mode && !strcmp(mode, "repl")) {
		o.mode = EXEC_MODE_REPL;
	} else {
		o.mode = EXEC_MODE_STRING;
	}
	in.name = r->session;
	in.first_line = 1;
	in.jobs = jobs;
	in.recorded = r->records;
	in.steps = &r->steps;
	in.stats = &stats;
	status = shell_run_session(&o, &in);
	/* A session that could not start has said why. */
	if (stats.stopped_at || status != 125)
		summary(&stats, r->steps.n, util_now_ns() - t0, jobs);
out:
	strvec_clear(&args);
	free(script_path);
	free(dir);
	return status;
}

static int cmd_replay_exec(int argc, char **argv)
{
	struct replay r = { 0 };
	const char *target = NULL;
	unsigned jobs = shell_default_jobs();
	struct stat st;
	char *root;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			cmd_print_help(&cmd_replay_entry);
			return 0;
		} else if (!strcmp(a, "--no-cache")) {
			shell_opts.no_cache = 1;
		} else if ((!strcmp(a, "--jobs") || !strcmp(a, "-j")) && i + 1 < argc) {
			if (shell_parse_jobs(&jobs, argv[++i]) < 0)
				return shell_usage_error(&cmd_replay_entry,
							 "--jobs takes a number from 1 to 1024, "
							 "not '%s'",
							 argv[i]);
		} else if (!strncmp(a, "--jobs=", 7)) {
			if (shell_parse_jobs(&jobs, a + 7) < 0)
				return shell_usage_error(&cmd_replay_entry,
							 "--jobs takes a number from 1 to 1024, "
							 "not '%s'",
							 a + 7);
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (a[0] == '-' && a[1]) {
			return shell_usage_error(&cmd_replay_entry, "unknown option '%s'", a);
		} else {
			break;
		}
	}
	if (i < argc)
		target = argv[i++];

	/* The store, when there is one (a script may make its first). */
	root = shell_store_root();
	if ((root || provenance_find_root(&root, ".") == 0) &&
	    provenance_store_open(&r.st, root, 0) < 0)
		r.st = NULL;
	err_clear();
	free(root);
	if (target && stat(target, &st) == 0 && !S_ISDIR(st.st_mode)) {
		ret = replay_file(&r, target, argv + i, jobs);
	} else if (i < argc) {
		ret = shell_usage_error(&cmd_replay_entry,
					"arguments are for a script; %s is not a file", target);
	} else {
		/* It moves to where the session started and sets PWD and
		 * OLDPWD as they were: put them back (the REPL goes on). */
		char *here = getcwd(NULL, 0);
		char *pwd = getenv("PWD") ? xstrdup(getenv("PWD")) : NULL;
		char *old = getenv("OLDPWD") ? xstrdup(getenv("OLDPWD")) : NULL;
		ret = replay_session(&r, target, jobs);
		if (here && chdir(here) < 0)
			warn("cannot go back to %s: %s", here, strerror(errno));
		if (pwd)
			setenv("PWD", pwd, 1);
		if (old)
			setenv("OLDPWD", old, 1);
		else
			unsetenv("OLDPWD");
		free(here);
		free(pwd);
		free(old);
	}
	replay_release(&r);
	return ret;
}

const struct cmd_entry cmd_replay_entry = {
	.name = "replay",
	.usage = "cairn replay [--jobs N] [--no-cache] [SESSION | FILE [ARG...]]",
	.summary = "Run a recorded session (or a script) again through the cache.",
	.help = "SESSION is a session id (or a unique prefix of one; `cairn log` shows\n"
		"them) or @N, the session of the N-th most recent step; without one, the\n"
		"newest session.  Its commands run again, in a new session, as they were\n"
		"recorded: from the directory it started in, with its shell, $0 and\n"
		"positional parameters, each command with its directives.  FILE runs a\n"
		"script as `cairn run FILE` does.  Steps whose recorded traces still hold\n"
		"come from the cache; the rest run.  At the end, on standard error: how\n"
		"many steps were cached and how many ran, the wall time, and the CPU time\n"
		"the cache saved.\n"
		"\n"
		"  -j, --jobs N   run up to N steps at once (default: the number of CPUs).\n"
		"                 A step runs ahead of its turn when the recorded lineage\n"
		"                 shows it reads nothing the steps before it write, and\n"
		"                 the shell state it starts from is known.  Its output is\n"
		"                 held back and its outputs committed in order, so output,\n"
		"                 records and final state are those of a serial run; a step\n"
		"                 that turns out to read what an earlier one wrote is run\n"
		"                 again after it.\n"
		"  --no-cache     run every step\n"
		"\n"
		"Exit status: the session's, as for `cairn run`; 2 when SESSION names no\n"
		"session (or several).\n",
	.exec = cmd_replay_exec,
};
