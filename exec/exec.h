/*
 * exec.h - run one step end to end.
 *
 * A step is one top-level complete command plus the shell state it starts
 * from.  exec/ runs it with a real shell (bash, or sh when the script asks
 * for it): it writes a small program that restores the state (the
 * prelude), runs the command at its original line number, and dumps the
 * state the command leaves (the epilogue) to a private pipe.  The state is
 * a value (struct exec_state) with a stable serialisation, so that later
 * layers can hash it into cache keys.
 *
 * Until the sandbox lands, a step is a plain child process; the only
 * isolation used is a private mount namespace (when the kernel allows
 * one) so that the script path names the step's program, which keeps
 * $0, BASH_SOURCE and bash's "FILE: line N:" messages exactly as bash
 * prints them for the real script.
 */
#ifndef CAIRN_EXEC_H
#define CAIRN_EXEC_H

#include "util.h"

#include <sys/resource.h>
#include <sys/types.h>

/* The default of cache.maxOutput: 256 MiB per stream. */
#define EXEC_MAX_OUTPUT ((uint64_t)256 << 20)

/* Parse a size as cache.maxOutput takes it ("4096", "64k", "256M",
 * "1GiB": powers of 1024) into OUT.  0, or CAIRN_EUSAGE with a message. */
int exec_parse_size(uint64_t *out, const char *text);

/* Which shell language runs the steps. */
enum exec_lang {
	EXEC_LANG_BASH = 0,
	EXEC_LANG_SH, /* POSIX sh (dash on Debian) */
};

/* How the session's commands reach the shell; decides $0 and how bash
 * words its messages (as for `bash FILE`, `bash -c`, or `bash < FILE`). */
enum exec_mode {
	EXEC_MODE_SCRIPT = 0, /* cairn run FILE */
	EXEC_MODE_STRING, /* cairn -c CMDS */
	EXEC_MODE_STDIN, /* commands read from standard input */
	EXEC_MODE_REPL, /* interactive */
};

/* "script", "string", "stdin" or "repl", as records name modes. */
const char *exec_mode_name(enum exec_mode m);

/* A shell function as the state holds it. */
struct exec_func {
	char *name;
	char *body; /* as the shell prints it (declare -f); canonical */
	char *src; /* the original definition text, or NULL */
	unsigned line; /* line where SRC starts in the script */
	char *attrs; /* attribute letters from `declare -F` (x, r, t), or NULL */
};

/* A descriptor carried between steps: NUM in the shell, FD our copy. */
struct exec_fd {
	int num, fd;
};

/* A resource limit (setrlimit) the shell left. */
struct exec_rlimit {
	int resource;
	unsigned long long cur, max;
};

/*
 * The shell state between two steps.  Everything that one shell process
 * would carry from one top-level command to the next.
 */
struct exec_state {
	char *cwd; /* logical working directory ($PWD) */
	struct strvec vars; /* variable definitions, sorted by name; for bash
			       `declare -p` statements, for sh `NAME='v'` */
	struct strvec env; /* NAME=VALUE of exported variables, sorted */
	struct exec_func *funcs; /* sorted by name */
	size_t nfuncs, alloc_funcs;
	char *aliases; /* `alias -p` output */
	char *options; /* `set +o` output */
	char *shopts; /* `shopt -p` output (bash) */
	char *traps; /* `trap -p` output */
	struct strvec argv; /* positional parameters $1, $2, ... */
	int status; /* $? */
	char *pipestatus; /* "${PIPESTATUS[*]}" when the last command was a
			     pipeline of several commands, else NULL */
	unsigned umask;
	char *dirstack; /* `dirs -l -p` below the top entry, or NULL */
	char *disabled; /* `enable -n` output: disabled builtins, or NULL */
	struct exec_rlimit *limits; /* resource limits that differ from cairn's own */
	size_t nlimits;
	/* "N TARGET" for each descriptor the shell left open, TARGET as /proc
	 * shows it; the descriptors themselves live in the session. */
	struct strvec fds;
	int initial; /* nothing has run yet: a fresh shell's state */
};

#define EXEC_STATE_INIT                                                                            \
	{                                                                                          \
		0                                                                                  \
	}

void exec_state_init(struct exec_state *st);
void exec_state_release(struct exec_state *st);
void exec_state_copy(struct exec_state *dst, const struct exec_state *src);

/* Append the state's canonical serialisation to OUT: a stable text form
 * (section per field, sorted entries) that exec_state_parse() reads back
 * and that equal states always produce byte for byte. */
void exec_state_serialize(struct strbuf *out, const struct exec_state *st);

/* Read a serialisation back.  0, or CAIRN_ERROR if BUF is malformed. */
/* Is PAT a valid pattern of variable names (cache.ignoreEnv)?  0, or
 * CAIRN_EUSAGE with a message. */
int exec_env_pattern_check(const char *pat);

int exec_state_parse(struct exec_state *out, const char *buf, size_t len);

/* The mode a recorded write (a cache hit's, `cairn checkout`'s) is
 * restored with: MODE (octal text as records hold it, or NULL: 0644)
 * without set-id and sticky bits: a store someone handed you must not
 * make set-id programs of yours. */
unsigned exec_restore_mode(const char *mode);

/* The SHA-256 (hex) of the serialisation. */
void exec_state_hash(char out[SHA256_HEX_LEN + 1], const struct exec_state *st);

/* A function definition found in a step's source text. */
struct exec_funcsrc {
	const char *name;
	const char *text;
	size_t len;
	unsigned line;
};

/* Directives attached to a step (`#cairn: ...`); they take effect in
 * later layers (sandbox, cache) but are carried from here. */
struct exec_directives {
	int net; /* #cairn: net */
	int nocache; /* #cairn: nocache */
	unsigned timeout; /* seconds, 0 = none */
	uint64_t mem; /* bytes, 0 = none */
};

struct exec_step {
	const char *text; /* the complete command, as written */
	size_t len;
	unsigned line; /* its first line in the session's input */
	const struct exec_funcsrc *funcs;
	size_t nfuncs;
	struct exec_directives directives;
};

/*
 * A step record (a jansson object, see docs/step-record.md) goes here:
 * the store commits it, now or later (RECORD is borrowed: take a
 * reference to keep it).  PENDING names a file holding the same record,
 * which the store removes once the record is safely committed: a cairn
 * killed before that commits it on its next start.  0 or -1 with err set.
 */
struct json_t;
typedef int (*exec_record_fn)(struct json_t *record, const char *pending, void *payload);

/* The tool caches steps keep across sessions unless cache.toolCacheDirs
 * says otherwise (docs/cache.md). */
#define EXEC_TOOL_CACHE_DIRS "~/.cache", "~/.julia/compiled", "~/.matplotlib"
#define EXEC_MAX_TOOL_CACHES 16

struct exec_session_opts {
	enum exec_lang lang;
	enum exec_mode mode;
	const char *shell; /* program to run; NULL: bash or sh by LANG */
	const char *script; /* EXEC_MODE_SCRIPT: path as given */
	const char *argv0; /* $0 for the other modes; NULL: the shell's */
	const char *const *args; /* initial positional parameters */
	const char *const *env; /* initial environment; NULL: environ */
	/*
	 * Where outputs go and records are made: the project root (the
	 * directory holding .cairn/).  NULL: steps are plain processes and
	 * nothing is recorded.
	 */
	const char *root;
	int no_sandbox; /* with ROOT: run steps unsandboxed (the user asked) */
	const char *const *writable; /* more directories steps may write */
	int keep_failed; /* stage a failed step's outputs in .cairn/failed/ */
	int no_cache; /* run every step, serve none from the cache */
	/*
	 * cache.ignoreEnv and cache.keyEnv (.cairn/config): patterns of
	 * variable names the action key leaves out, beyond the built-in
	 * per-machine ones, and keeps in after all (docs/cache.md).  NULL-
	 * terminated, or NULL.  Checked by exec_env_pattern_check().
	 */
	const char *const *env_ignore, *const *env_keep;
	/* cache.ownOutputs false: a step sees its own earlier outputs (as
	 * inputs) when it runs again, as under bash. */
	int see_own_outputs;
	/*
	 * cache.maxOutput (.cairn/config): the most bytes of a step's
	 * standard output, and of its standard error, that are stored;
	 * past it the stream still goes where it goes but is not kept, and
	 * the step is not cached (docs/cache.md).  0: EXEC_MAX_OUTPUT.
	 */
	uint64_t max_output;
	/*
	 * cache.toolCacheDirs: directories under $HOME where tools keep
	 * caches ("~/.cache"), which steps see as a layer of cairn's own
	 * that lasts across sessions (docs/cache.md): neither inputs nor
	 * outputs.  NULL-terminated; NULL: EXEC_TOOL_CACHE_DIRS.
	 */
	const char *const *tool_cache_dirs;
	/*
	 * `cairn rerun --into DIR` and `cairn verify`: a directory (it must
	 * exist) whose files steps see above the project's (an extra lower
	 * layer of the project's overlay) and where their writes to the
	 * project go instead, mirrored (out/x -> DIR/out/x).  Part of the
	 * action key.  NULL: the project itself.
	 */
	const char *into;
	exec_record_fn record;
	void *record_payload;
};

struct cache_memo;
struct exec_output;

/* A file a session put in place, as it was then (exec_session.placed). */
struct exec_placed {
	uint64_t dev, ino, ctime;
};

struct exec_session {
	enum exec_lang lang;
	enum exec_mode mode;
	char *shell; /* absolute path of the shell */
	char *argv0; /* $0 */
	char *script_abs; /* EXEC_MODE_SCRIPT: absolute path of the script */
	char *startdir; /* the directory the session started in */
	char *tmpdir; /* session-private scratch directory */
	char *shlvl; /* SHLVL as the session found it, or NULL */
	struct exec_state state;
	unsigned seq; /* steps run so far */
	uint64_t started_ns;
	/*
	 * How the shell gets the step's program while believing it runs the
	 * script (see run.c): STAGE for a relative script path (a copy of the
	 * path under the scratch directory, the shell started there), MOUNT
	 * for an absolute one (a private bind mount), STRING otherwise (-c).
	 */
	enum exec_how { EXEC_HOW_STRING = 0, EXEC_HOW_STAGE, EXEC_HOW_MOUNT } how;
	char *stage_cwd; /* STAGE: where the shell starts */
	char *stage_prog; /* STAGE: where the program is written */
	/*
	 * The descriptors the shell had open at the end of the last step
	 * (`exec 3>log`, `exec >out`): NUM in the shell, FD our duplicate.
	 * Until a step has ended, steps inherit ours.
	 */
	struct exec_fd *fds;
	size_t nfds;
	int have_fds;
	/*
	 * What a fresh shell of this session starts with (bash): read once,
	 * in the first step, so that preludes restore only what differs.
	 */
	struct strvec base_vars; /* sorted `declare -p` statements */
	struct strvec own_fds; /* "N TARGET" of the descriptors cairn passes on, sorted */
	char *base_options, *base_shopts;
	int have_base;
	/* SIGINT and SIGQUIT as cairn found them: steps start with these (an
	 * ignored signal stays ignored, as a shell's children find it). */
	int int_ignored, quit_ignored;
	/* cairn's own resource limits (RLIM_NLIMITS of them), read once. */
	struct rlimit *own_limits;
	/* The time (epoch seconds) at which $SECONDS was zero; -1: unset. */
	long long seconds_base;
	/* Resource limits read from the last step's shell when it stopped. */
	struct exec_rlimit *taken_limits;
	size_t ntaken_limits;
	struct strvec taken_fds; /* their descriptions, for the state */

	/* ---- recording (ROOT set) ---- */
	char *root; /* project root, or NULL */
	char *cairn_dir; /* ROOT/.cairn */
	char *session_id;
	int sandboxed;
	int keep_failed;
	char *tmp_lower; /* what the session's steps see as /tmp */
	char *script_dir; /* a script's directory under the host's /tmp, shown */
	char *home, *home_upper, *home_work; /* the home layer, or NULL */
	struct strvec writable;
	struct strvec env_ignore, env_keep; /* opts->env_ignore, env_keep */
	/* Tool caches under $HOME (opts->tool_cache_dirs): where steps see
	 * each, and the directory of cairn's that they see there. */
	struct strvec tool_view, tool_host;
	int see_own_outputs; /* opts->see_own_outputs */
	/* While a step runs: the absolute paths of its own earlier outputs,
	 * hidden from it (docs/cache.md), sorted. */
	struct strvec hidden;
	uint64_t max_output; /* opts->max_output, or EXEC_MAX_OUTPUT */
	exec_record_fn record;
	void *record_payload;
	struct cache_memo *memo; /* file hashes by stat (.cairn/index) */
	/*
	 * Inputs changed while a step ran: the coarse clock as the running
	 * step began (file timestamps come from it), and what this session
	 * itself put in place since (a step reading the previous step's
	 * output in the same clock tick read nothing that changed).
	 */
	uint64_t step_t0;
	struct exec_placed *placed;
	size_t nplaced, alloc_placed;
	int lock_fd; /* held on .cairn/tmp/<session>.lock while we run */
	int tmp_lock_fd; /* held on TMPDIR/cairn-XXXXXX/.lock while we run, or -1 */
	int cache_lock_fd; /* shared lock on the content store (cache_lock_shared) */
	int no_cache;
	char base_key[SHA256_HEX_LEN + 1]; /* names the fresh shell's baseline */
	int base_saved;
	struct exec_output *output; /* the running step's channels, or NULL */
	char *image; /* a description of this host, for records */

	/* ---- speculative steps (sched.c) ---- */
	char *scratch; /* the session's scratch directory, bound into steps;
			  TMPDIR is a worker's own part of it */
	char *stepdir; /* .cairn/tmp/<session>[/j<seq>]: the step's layers */
	int defer_output; /* output waits until the gate lets the step go */
	int stdin_guard; /* descriptor 0 is a stand-in (sched.c): reading it
			    counts as reading the session's input */
	dev_t stdin_guard_dev;
	ino_t stdin_guard_ino;
	/*
	 * With GATE set, a recorded step stops before it changes anything
	 * (commit, cache, record, output): GATE sees its record (reads and
	 * writes filled in) and returns 0 to let it go on, or 1 to drop it
	 * (the result says `aborted`; nothing happened that anyone sees).
	 */
	int (*gate)(struct exec_session *s, struct json_t *record, void *payload);
	void *gate_payload;
	/*
	 * opts->into (real path), how records name it, and the directory
	 * the sandbox shows above the project: INTO itself, or a copy of
	 * it in the scratch directory when INTO and the project contain one
	 * another (overlayfs refuses overlapping layers); see chain.c.
	 */
	char *into, *into_name, *into_view;
	/* rerun --into, verify: whiteouts of what the chain writes, hiding
	 * the working tree's versions from its steps (exec__into_hide()) */
	char *into_hide;
	/* the directories the chain makes (hidden whole until made), and the
	 * paths below them whose whiteouts wait until their directory is */
	struct strvec into_dirs, into_later;
	/* Set by the chain runner (chain.c): the record's `rerun` object for
	 * the next step, or NULL. */
	struct json_t *rerun;
};

struct exec_result {
	int status; /* the step's exit status ($? after it) */
	int ended; /* the shell ended the session (exit, set -e, exec,
		      a fatal error): STATUS is the session's status */
	int signal; /* the shell was killed by this signal, or 0 */
	uint64_t wall_ns;
	/* Recorded steps only: */
	char id[33]; /* the step's id, "" when not recorded */
	size_t nreads, nwrites;
	struct strvec refused; /* writes the sandbox refused */
	int timed_out;
	int discarded; /* outputs were thrown away (failed step) */
	int cached; /* served from the cache */
	char from_step[33]; /* cached: the step whose outputs were reused */
	const char *cache_off; /* why the cache was not asked, or NULL */
	int aborted; /* the session's gate dropped the step (see gate) */
	double cpu_s; /* CPU seconds the step used (ran) or saved (cached) */
};

void exec_result_release(struct exec_result *r);

/* Set up a session: resolve the shell, make the scratch directory.
 * 0, or -1 with err set.  Release with exec_session_release(). */
int exec_session_init(struct exec_session *s, const struct exec_session_opts *opts);
void exec_session_release(struct exec_session *s);

/*
 * Run STEP in S's current state; on return S->state is the state the
 * step left (unless the session ended).  Standard input, output and error
 * are the caller's.  Returns 0 (see OUT) or -1 when the step could not be
 * started (err set).
 */
int exec_step_run(struct exec_session *s, const struct exec_step *step, struct exec_result *out);

/*
 * End a session that ran to its end: run the EXIT trap if one is set,
 * as the shell would on reaching the end of input.  *STATUS is the
 * session's exit status on entry and the final one on return.
 */
int exec_session_finish(struct exec_session *s, int *status);

/* ---- running a list of steps (sched.c) ---- */

struct exec_sched_opts {
	/* Steps running at most at once; 0 or 1: one after another. */
	unsigned jobs;
	/*
	 * HINTS[i]: the record of a recorded run of STEPS[i], or NULL.  What
	 * the records say (reads, writes, states) tells which steps may run
	 * ahead of their turn; nothing else depends on them.
	 */
	struct json_t *const *hints;
	/* Called for each step, in order, when it is done; non-zero stops. */
	int (*done)(size_t i, const struct exec_step *step, const struct exec_result *res,
		    void *payload);
	/*
	 * When set, called just before step I runs, in the process that runs
	 * it (cairn, or a worker running it ahead of its turn): it sets the
	 * session up for the step -- shell, $0, the state it starts from --
	 * so that the steps' states do not flow from one to the next (rerun:
	 * each step starts from its recorded state).  0 or -1.
	 */
	int (*prepare)(size_t i, struct exec_session *s, void *payload);
	void *payload;
};

struct exec_sched_stats {
	size_t ran, cached,
	    failed; /* steps that ran (failed: with a status), came from the cache */
	double cpu_saved_s; /* CPU seconds the cached steps took when they ran */
	size_t early_started, early_kept, early_dropped; /* steps run ahead of their turn */
	size_t stopped_at; /* steps done (less than N when the session ended) */
};

/*
 * Run STEPS in order, as exec_step_run() one after another would: the
 * same output in the same order, the same records, the same final
 * state.  With JOBS > 1 (and a recorded, sandboxed session), steps that
 * their hints show to be independent of the steps ahead of them run at
 * the same time; what was foreseen is checked against what each step
 * really read before anything of it is kept (see sched.c).  0, or -1
 * when a step could not be run (err set).
 */
int exec_sched_run(struct exec_session *s, const struct exec_step *steps, size_t n,
		   const struct exec_sched_opts *o, struct exec_sched_stats *stats);
/* ---- rerun and verify: a path's recorded lineage run again (chain.c) ---- */

struct prov_store;

/* One `--with OLD=NEW` of `cairn rerun`. */
struct exec_subst {
	const char *old; /* a path as records name it (project-relative, or
			    absolute outside the project), or a URL as recorded */
	const char *repl; /* an absolute path, an https:// URL or s3://BUCKET/KEY */
};

/* One step of a chain: the recorded step and how it will run again. */
struct exec_chain_step {
	struct json_t *record; /* the recorded step (owned reference) */
	char *command; /* its command, OLD replaced by NEW */
	struct exec_state state; /* its start state, OLD replaced in variables */
	int substituted; /* a substitution reached the command or state */
	int net; /* it reads a URL through GDAL: network allowed */
	/* Filled in by exec_chain_run(): */
	int done; /* it was run (or served) */
	char new_id[33]; /* the step's id in the new session, "" if unrecorded */
	int cached; /* served from the cache */
	int status; /* its exit status */
};

/* The steps that rebuild a path, oldest first. */
struct exec_chain {
	char *target; /* the path, as records name it */
	char target_step[33]; /* the step that wrote its current version */
	struct exec_chain_step *steps;
	size_t nsteps;
	struct json_t *with; /* [{old, new}] as records show the substitutions */
	unsigned jobs; /* steps run at most at once (0 or 1: one at a time) */
	size_t ahead; /* filled in: steps that ran ahead of their turn */
};

/*
 * Find the chain that rebuilds TARGET (as records name it): the step
 * that wrote its current version (or STEP, a full id, when not NULL:
 * the chain that rebuilds that step's outputs) and, transitively, the producers of
 * what that step read (not of an input being substituted), oldest first.
 * Load each step's start state from the content store (by its
 * `state_sha256`) and apply WITH to the commands and variables of the
 * steps that read OLD.  Nothing runs.  0, or CAIRN_ENOTFOUND (TARGET
 * never recorded, OLD not read in the lineage), CAIRN_EUSAGE (OLD named
 * by no command or variable, a URL given to a program that is not GDAL's)
 * or -1, each with a message.  Release with exec_chain_release().
 */
int exec_chain_plan(struct exec_chain *out, struct prov_store *st, const char *target,
		    const char *step, const struct exec_subst *with, size_t nwith);

/* Flags of exec_chain_run(). */
enum {
	EXEC_CHAIN_DISCARD = 1, /* records are not stored (verify) */
};

/*
 * Run the steps of CHAIN in session S (a recorded session; its `into`
 * applies), each from its own start state and with the shell, mode and
 * $0 it was recorded with, so that a step nothing changed for is a
 * cache hit.  Records carry `rerun` {of_step, with} and are stored only
 * once every step succeeded; when one fails, the project's working files
 * the chain had replaced are put back and no record is stored.  Standard
 * output and error are the caller's.  Returns 0 when every step
 * succeeded, 1 when one failed (*FAILED: its index), -1 on trouble.
 */
int exec_chain_run(struct exec_session *s, struct exec_chain *chain, unsigned flags,
		   size_t *failed);

void exec_chain_release(struct exec_chain *chain);

/* rm -rf PATH (no symlink followed).  0 or -1. */
int exec_remove_tree(const char *path);

#endif
