/*
 * shell-int.h - internals shared by the files of shell/.
 */
#ifndef CAIRN_SHELL_INT_H
#define CAIRN_SHELL_INT_H

#include "exec.h"
#include "parse.h"
#include "shell.h"
#include "util.h"

#include <jansson.h>

/* Global options (before the subcommand). */
struct shell_opts {
	const char *store; /* --store DIR or $CAIRN_STORE */
	int quiet; /* -q */
	int verbose; /* -v */
	int no_sandbox; /* --no-sandbox */
	int keep_failed; /* --keep-failed */
	int no_cache; /* --no-cache */
};

struct prov_store;

/* The store a session records into. */
struct shell_writer;
struct shell_project {
	struct prov_store *store;
	struct strvec writable; /* sandbox.writable from .cairn/config */
	struct strvec env_ignore, env_keep; /* cache.ignoreEnv, cache.keyEnv */
	struct strvec tool_caches; /* cache.toolCacheDirs */
	int have_tool_caches; /* set: tool_caches replaces the default */
	struct shell_writer *writer; /* stores records in the background */
};

/* Fill O's project fields (root, sandbox, record hook) for a session:
 * find or make the store.  O borrows from P until
 * shell_project_release().  0 or -1 (err set). */
int shell_project_setup(struct exec_session_opts *o, struct shell_project *p);
/* Wait until every record handed over so far is stored.  0 or -1. */
int shell_project_flush(struct shell_project *p);
/* Flush, then let go of the store.  0, or -1 when a record was lost. */
int shell_project_release(struct shell_project *p);
extern struct shell_opts shell_opts;

/*
 * One subcommand: a file shell/cmd-NAME.c defines
 * `const struct cmd_entry cmd_NAME_entry` and commands.c lists it.
 * EXEC gets the arguments after the subcommand's name (argv[0] is the
 * name) and returns the exit status.
 */
struct cmd_entry {
	const char *name;
	const char *usage; /* "cairn run FILE [ARG...]" */
	const char *summary; /* one line for `cairn --help` */
	const char *help; /* the rest of `cairn NAME --help` */
	int (*exec)(int argc, char **argv);
};

extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);
/* Print "usage: ..." and the help text of CMD to stdout. */
void cmd_print_help(const struct cmd_entry *cmd);
/* Does ARGV hold --help or -h before any "--"?  Subcommands call this. */
int cmd_wants_help(int argc, char **argv);

extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_lineage_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_log_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_tag_entry;
extern const struct cmd_entry cmd_find_entry;
extern const struct cmd_entry cmd_checkout_entry;
extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_why_entry;
extern const struct cmd_entry cmd_cache_entry;
extern const struct cmd_entry cmd_fsck_entry;
extern const struct cmd_entry cmd_replay_entry;
extern const struct cmd_entry cmd_rerun_entry;
extern const struct cmd_entry cmd_verify_entry;
extern const struct cmd_entry cmd_undo_entry;
extern const struct cmd_entry cmd_compare_entry;

/* cmd-cache.c: what cache and fsck share. */
struct cache_shaset;

/* "7d", "12h", "30m", "45s", "2w", or plain seconds, to seconds.  0 or
 * CAIRN_EUSAGE (err set). */
int shell_parse_duration(int64_t *out, const char *s);
/* "10G", "500M", "64K", "1T" (powers of 1024), or plain bytes.  0 or
 * CAIRN_EUSAGE. */
int shell_parse_size(uint64_t *out, const char *s);
/* Add every CAS object RECORD (a step.json) references to OUT: writes'
 * sha256, stdout_sha256, stderr_sha256, end_state_sha256,
 * start_state.state_sha256. */
void shell_record_objects(struct cache_shaset *out, json_t *record);
/* Add the objects of the records still pending in CAIRN_DIR/journal
 * (stored by the next session).  Returns how many records it read. */
size_t shell_journal_objects(struct cache_shaset *out, const char *cairn_dir);
/* A progress line on stderr, only when it is a terminal and the work has
 * taken over a second; shell_progress(NULL, 0, 0) clears it. */
void shell_progress(const char *what, size_t done, size_t total);
/*
 * Compress the cold objects of ST's content store: those neither read
 * nor written for OLDER_S seconds (the later of atime and mtime), and
 * the captured logs (stdout/stderr objects of any record) whatever
 * their age.  Counts in *N and *SAVED (bytes).  0 or -1.
 */
int shell_compress_cold(size_t *n, uint64_t *saved, struct prov_store *st, int64_t older_s);
/* cmd-cache-gc.c: `cairn cache gc`; ARGV[0] is "gc". */
int shell_cache_gc(int argc, char **argv);

/* store.c: what the store subcommands share. */
struct prov_store;

/* The project root that --store DIR or $CAIRN_STORE names (DIR is the
 * root or its .cairn directory), or NULL when neither is set; malloc'd. */
char *shell_store_root(void);
/* The user's own configuration file: $XDG_CONFIG_HOME/cairn/config or
 * ~/.config/cairn/config (settings that widen the sandbox live there). */
char *shell_user_config(void);

/* mkdir -p the directory part of PATH (absolute).  0 or -1. */
int shell_make_parents(const char *path);
/* The newest session that ran the script REL (as records name it): *OUT
 * (to free), or NULL when none.  0 or -1. */
int shell_script_session(char **out, struct prov_store *st, const char *rel);
/* Open the store of --store/$CAIRN_STORE, else the one found from the
 * working directory.  0, or the exit status after printing why (1 when
 * there is no store, 125 when it cannot be opened). */
int shell_store_open(struct prov_store **out, const struct cmd_entry *cmd);

/* Print "cairn NAME: <err_last()>" and return the exit status for error
 * CODE: 2 for usage errors, 1 for not found or ambiguous, 125 else. */
int shell_store_fail(const struct cmd_entry *cmd, int code);

/*
 * The entry for PATH (as records name it) in the record of step SPEC:
 * its `writes` entry, or with READS_TOO its `reads` entry when the step
 * wrote no such path.  *OUT_REC gets the record (a new reference; the
 * caller json_decref()s it) and *OUT_ENTRY the entry, borrowed from it.
 * CAIRN_ENOTFOUND when the step did not write (or read) PATH; the other
 * errors of provenance_step_get().
 */
struct json_t;
int shell_step_file(struct json_t **out_rec, struct json_t **out_entry, struct prov_store *st,
		    const char *spec, const char *path, int reads_too);

/* Is PROG an executable somewhere on $PATH? */
int shell_on_path(const char *prog);

/* Print "cairn NAME: message" and the usage line to stderr; returns 2. */
int shell_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* `--jobs N` of replay and rerun: the default (the number of CPUs), and
 * N read from V (1 to 1024); 0, or -1 when V is not such a number. */
unsigned shell_default_jobs(void);
int shell_parse_jobs(unsigned *out, const char *v);

/* "2026-12-02 13:30:00" from an RFC 3339 time (the string itself when it
 * does not parse). */
void shell_format_time(char out[32], const char *rfc3339);

/* directive.c: turn `#cairn:` lines into settings.  0, or CAIRN_ESYNTAX
 * after printing "FILE:LINE:COL: message" to stderr. */
int shell_directives(struct exec_directives *out, const struct parse_directive *d, size_t n,
		     const char *file);

/* session.c */
struct shell_input {
	const char *name; /* for messages: the script path, "-c", "<stdin>" */
	const char *buf;
	size_t len;
	unsigned first_line;
	int summary; /* print a one-line summary after each step */
	unsigned jobs; /* steps at most at once (exec_sched_run) */
	json_t *recorded; /* records of an earlier run of the same input, or NULL */
	const struct shell_steps *steps; /* the steps, when not parsed from BUF */
	struct exec_sched_stats *stats; /* filled in, when not NULL */
};

/* Steps ready to run: parsed, or rebuilt from records. */
struct shell_steps {
	struct exec_step *v;
	size_t n;
};

/* Add C (parsed from BUF) with directives D (may be NULL). */
void shell_steps_add(struct shell_steps *st, const char *buf, const struct parse_cmd *c,
		     const struct exec_directives *d);
void shell_steps_release(struct shell_steps *st);

/* For each step, the record in RECORDS (in order) with the same line and
 * command, or NULL: a new array of borrowed references. */
json_t **shell_match_records(const struct shell_steps *st, json_t *records);

struct shell_run_opts {
	const char *name; /* for messages */
	int summary;
	unsigned jobs;
	json_t *const *hints;
};

/*
 * Run ST as steps of ES (exec_sched_run), reporting each as a script run
 * does.  Returns the status the session would exit with (125 when a step
 * could not be run); *ENDED and *SIGNAL as for shell_run_input().
 */
int shell_run_steps(struct exec_session *es, const struct shell_steps *st,
		    const struct shell_run_opts *ro, int *ended, int *signal,
		    struct exec_sched_stats *stats);

/* *ENDED values of shell_run_input(). */
enum {
	SHELL_GOES_ON = 0,
	SHELL_ENDED = 1, /* exit, set -e, a fatal error or a signal */
	SHELL_REJECTED = 2, /* syntax or directive error: nothing ran */
};

/*
 * Parse all of IN, then run its commands as steps of ES.  Syntax errors
 * are reported before anything runs (status 2).  Returns the status the
 * session would exit with; *ENDED is set when the shell ended it (exit,
 * set -e) and *SIGNAL to a signal that killed a step's shell.
 */
int shell_run_input(struct exec_session *es, const struct shell_input *in, int *ended, int *signal);

/* Decide sh or bash from a script's first line. */
enum exec_lang shell_lang_of(const char *buf, size_t len);

/* Run a whole session from IN (script, -c or stdin), including the EXIT
 * trap at the end; returns the exit status. */
int shell_run_session(const struct exec_session_opts *opts, const struct shell_input *in);

/* shell_run_session() of BUF (LEN bytes, from line 1) named NAME. */
int shell_run_text(const struct exec_session_opts *opts, const char *name, const char *buf,
		   size_t len);

/* repl.c: the interactive loop; returns the exit status. */
int shell_repl(const struct exec_session_opts *opts);

/* The version string. */
extern const char shell_version[];

#endif
