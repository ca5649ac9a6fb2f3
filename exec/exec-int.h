/*
 * exec-int.h - internals shared by the files of exec/.
 */
#ifndef CAIRN_EXEC_INT_H
#define CAIRN_EXEC_INT_H

#include "cache.h"
#include "exec.h"
#include "sandbox.h"

#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>

/*
 * File descriptors a step's shell finds open (besides 0, 1, 2).  High
 * enough that scripts do not use them and above the range bash picks for
 * its own saved descriptors (10 and up, lowest free first).
 */
#define EXEC_FD_FIRST_PRIVATE 59 /* user descriptors from here on are not carried */
#define EXEC_FD_STATE 60 /* write end of the pipe the epilogue writes to */
#define EXEC_FD_SYNC_W 62 /* prelude -> unmount helper */
#define EXEC_FD_SYNC_R 63 /* unmount helper -> prelude */

/* PIPESTATUS entries carried from one step to the next. */
#define EXEC_PIPESTATUS_MAX 16
#define EXEC_PIPESTATUS_MAX_STR "16"

/*
 * Write the program a step's shell runs: the prelude that restores
 * S->state (one physical line, so that the command lands on its
 * original line number), the command, and the epilogue that writes the
 * state it leaves to EXEC_FD_STATE.  SYNC asks the prelude to first
 * hand-shake with the unmount helper (see run.c).  Files the program
 * sources are written to the session's scratch directory.  0 or -1.
 */
int exec__build_program(struct strbuf *out, const struct exec_session *s,
			const struct exec_step *step, int sync);

/*
 * Read what the epilogue wrote (BUF, LEN) into OUT, starting from a copy
 * of PREV (the state the step started from, for function sources).
 * *COMPLETE is set when the epilogue ran to its end; when it did not,
 * OUT is untouched.  0, or -1 when the dump is malformed.
 */
int exec__read_dump(struct exec_state *out, int *complete, struct exec_session *s,
		    const struct exec_step *step, const char *buf, size_t len);

/* Lay out S's stage directory for a script given as relative PATH: the
 * shell starts in S->stage_cwd, where PATH names S->stage_prog (run.c). */
int exec__make_stage(struct exec_session *s, const char *path);

/* ---- --into and reruns (chain.c) ---------------------------------------- */

/* Set S->into, into_name and into_view for directory INTO.  0 or -1. */
int exec__into_init(struct exec_session *s, const char *into);
/* Before a step: bring the copy the sandbox shows (when it is one) up to
 * date with the into directory.  0 or -1. */
int exec__into_refresh(struct exec_session *s);

/* ---- committing a step's writes (commit.c) ------------------------------ */

enum exec_write_kind {
	EXEC_WRITE_FILE = 0,
	EXEC_WRITE_SYMLINK,
	EXEC_WRITE_DIR,
	EXEC_WRITE_DELETED,
};

/* One path the step changed, as the record shows it. */
struct exec_write {
	char *path; /* the record's name for it */
	int kind;
	int created; /* FILE, SYMLINK: the path was absent for the step */
	int replaced; /* DIR: something was there before (now gone) */
	unsigned mode;
	uint64_t size;
	char *target; /* SYMLINK: its text */
	char *src; /* FILE, SYMLINK: where it lies in the upper directory */
	char sha256[SHA256_HEX_LEN + 1];
};

struct exec_op {
	int type;
	char *src, *dst;
	unsigned mode;
};

struct exec_commit {
	/* Whiteouts at these record names are cairn's (a step's own earlier
	 * outputs, hidden from it), not deletions, while they are the very
	 * whiteouts cairn made (inodes HIDDEN_INO, by index); NULL: none. */
	const struct strvec *hidden;
	const ino_t *hidden_ino;
	struct exec_op *ops;
	size_t nops, alloc_ops;
	struct exec_write *writes;
	size_t nwrites, alloc_writes;
};

void exec_commit_release(struct exec_commit *c);

/* Plan how UPPER (an overlay's upper directory) changes TARGET; writes
 * are named NAME/... in the record ("" for project-relative names). */
int exec__commit_scan(struct exec_commit *c, const char *upper, const char *target,
		      const char *name);

/* Sync the files the plan moves, then write its journal JOURNAL (synced,
 * with its directory).  Nothing in the project changes yet.  0 or -1. */
int exec__commit_prepare(const struct exec_commit *c, const char *journal);

/* Carry out the plan whose journal exec__commit_prepare() wrote, and
 * sync what it changed.  0 or -1. */
int exec__commit_apply(const struct exec_commit *c, const char *journal);

/*
 * Parse journal text BUF (LEN bytes, NUL-terminated at BUF[LEN]; PATH
 * for messages) into C's operations, and the count of those done to
 * *DONE.  0, or -1 when it is not a journal or is truncated (C may hold
 * the operations read so far).  Only parses: see exec__journal_ok().
 */
int exec__journal_parse(struct exec_commit *c, size_t *done, const char *buf, size_t len,
			const char *path);

/*
 * Are C's operations ones a commit of session S's project makes (see
 * commit.c)?  1 or 0.  Operations of a dead session's private /tmp
 * become skips.  Only looks (lstat).
 */
int exec__journal_ok(struct exec_commit *c, const struct exec_session *s);

/* Finish the operations of an interrupted commit's JOURNAL. */
int exec__commit_recover(const char *journal, const struct exec_session *s);
/* PATH is BASE/REST with REST a plain relative path and no link on the
 * way below BASE (the last name aside): REST, or NULL.  What a journal
 * or a cache entry from the store may name. */
const char *exec__plainly_under(const char *path, const char *base);

/* ---- cache entries served (step.c) -------------------------------------- */

/*
 * The first of WRITES (a cache entry candidate's `writes`) that may not
 * be carried out, or NULL when all may: each names a plain relative
 * path in the project, or a plain path below the session's /tmp, a
 * sandbox.writable directory or the --into directory, of kind file,
 * symlink, dir or deleted, reached through no symbolic link on disk nor
 * one the same entry makes.  Only looks (lstat); borrowed.
 */
json_t *exec__entry_refused_write(struct exec_session *s, json_t *writes);

/* ---- recorded steps (step.c, trace.c) ----------------------------------- */

/* Everything about one recorded step while it runs. */
struct exec_cachectx;

struct exec_steprun {
	char id[33];
	struct exec_cachectx *cache; /* the step's cache lookup, or NULL */
	struct sandbox_config cfg;
	struct sandbox_layer *layers;
	size_t nlayers;
	struct sandbox_bind binds[4 + EXEC_MAX_TOOL_CACHES];
	size_t nbinds;
	struct strvec strings; /* owns the layers' paths */
	struct strvec hidden_names; /* record names of S->hidden (commit) */
	ino_t *hidden_ino; /* the whiteouts' inodes, by index of hidden_names */
	size_t alloc_hidden_ino;
	char *stepdir; /* .cairn/tmp/<session>: the project's layer */
	char *tstepdir; /* the scratch directory's part for /tmp */
	const char *home_upper; /* the session's home layer (borrowed), or NULL */
	uint64_t started_real;
	/* RAPL's package-0 counter as the step began (microjoules), when
	 * readable (rapl_ok) */
	uint64_t rapl_start;
	int rapl_ok;
	json_t *record; /* being built */
	json_t *start_state;
	struct sandbox_result result;
	struct sandbox_trace trace;
	pid_t main_nspid;
	uint64_t t_prepared, t_started, t_dumped; /* CAIRN_DEBUG_TIMING */
	/* The start state's serialisation, to go to the content store
	 * (exec__steprun_store_state()), or empty when it is there. */
	struct strbuf start_text;
};

/* After a step of a rerun --into/verify chain: what it wrote into the
 * into directory is no more hidden from the next steps. */
void exec__into_unhide(struct exec_session *s, json_t *writes);

int exec__record_init(struct exec_session *s, const struct exec_session_opts *opts);
/* The record's view of a state (`start_state`): cwd, env, vars, functions,
 * options, args, state_sha256.  A new object. */
json_t *exec__state_json(const struct exec_session *s, const struct exec_state *st);
void exec__record_release(struct exec_session *s);

/* Lay out a step: its id, the start of its record, its sandbox
 * configuration (layers, binds; the program bound over the script when
 * S->how is MOUNT, detached through SYNC_R/SYNC_W). */
int exec__steprun_prepare(struct exec_steprun *r, struct exec_session *s,
			  const struct exec_step *step, const char *prog_path, int sync_r,
			  int sync_w);
/* Store the step's start state in the content store (for `cairn
 * rerun`), if that is still to be done.  Called while the step runs, so
 * that the writing overlaps it, and again when it ends. */
void exec__steprun_store_state(struct exec_steprun *r, struct exec_session *s);
/* The step has ended (S->state is the state it left when COMPLETE):
 * finish the record, commit the outputs of a successful step, hand the
 * record to the store.  0 or -1. */
int exec__steprun_end(struct exec_steprun *r, struct exec_session *s, int status, int sig,
		      int complete, struct exec_result *out);
void exec__steprun_release(struct exec_steprun *r);

/* Fill RECORD's reads and exec_tree from trace T; *REFUSED: a new
 * array of the paths whose writes the sandbox refused. */
int exec__assemble_reads(json_t *record, struct exec_session *s, const struct sandbox_trace *t,
			 pid_t main_pid, json_t **refused);

/* Set REC's `formats` ({path: summary}) for the reads and writes in a
 * known format, and add a network step's remote datasets to its reads
 * (formats.c).  Never fails the step: 0. */
int exec__record_formats(json_t *rec, struct exec_session *s);
/* At the end of a session: the helper's last answers taken in (for a
 * while), other sessions' leftover summaries made, the helper ended. */
void exec__formats_end(struct exec_session *s);

/* If PATH is DIR or below it, the rest ("" or "a/b"), else NULL. */
const char *exec__under(const char *path, const char *dir);

/* Does the shell hold a descriptor above 2 that a step opened (not one
 * the session inherited)?  What goes through it is not traced (cache.c). */
int exec__opened_by_steps(const struct exec_session *s);

/* In a replay worker: steps never take the terminal (run.c). */
void exec__terminal_off(void);

/* How records name PATH: relative to the project root, else absolute. */
void exec__record_name(const struct exec_session *s, struct strbuf *out, const char *path);

/* The SHA-256 of regular file PATH (lstat ST), through the session memo. */
int exec__hash_file(struct exec_session *s, char out[SHA256_HEX_LEN + 1], const char *path,
		    const struct stat *st);

/* mkdir -p PATH: MODE for it and the directories made on the way.
 * 0 or -1 (err set). */
int exec__mkdir_p(const char *path, unsigned mode);

/* rm -rf PATH. */
int exec__remove_tree(const char *path);
/* The same for NAME in the directory DFD, never through a link. */
int exec__remove_at(int dfd, const char *name);

/* ---- standard output and error (output.c) ---- */

enum exec_out_kind {
	EXEC_OUT_CLOSED = 0, /* not open in the step */
	EXEC_OUT_FILE, /* a regular file: written directly, read back */
	EXEC_OUT_PIPE, /* through a pipe of ours */
	EXEC_OUT_PTY, /* a terminal: through a pseudo-terminal of ours */
	EXEC_OUT_MERGED, /* (2 only) where 1 goes, in 1's channel */
};

struct exec_output {
	int dst[3]; /* where 0, 1, 2 really go (the session's; borrowed) */
	enum exec_out_kind kind[3];
	int merged; /* 2 shares 1's open file */
	int tty[3]; /* 1 or 2 is a terminal */
	unsigned short cols; /* the terminal's width */
	const char *stdin_kind; /* null, tty, file, pipe, consumed, closed */
	int child[3]; /* what the step gets as 1 and 2, or -1: unchanged */
	int rd[3]; /* our ends of the channels */
	int cap[3]; /* the captured bytes (unlinked temporary files) */
	int back[3]; /* FILE: the destination opened for reading */
	off_t start[3]; /* FILE: the offset before the step */
	dev_t child_dev[3], child_rdev[3];
	ino_t child_ino[3];
	int stop[2];
	int pumping;
	pthread_t thread;
	int broken; /* not captured faithfully: the step is not cached */
	int deferred; /* captured only, shown by exec__output_flush() */
	int have[3];
	char sha[3][SHA256_HEX_LEN + 1]; /* of the captured bytes */
	uint64_t max; /* cache.maxOutput: bytes of a stream that are stored */
	uint64_t size[3]; /* bytes the stream carried */
	int over[3]; /* it carried more than MAX: not stored, not cached */
};

/* Describe, as a step's state does ("N TARGET", sorted), the descriptors
 * below EXEC_FD_FIRST_PRIVATE that cairn passes on to a step. */
void exec__describe_own_fds(struct strvec *out);

/* A step served from the cache leaves the descriptors as they were: the
 * session takes copies of cairn's own, as a step's shell would have. */
void exec__adopt_own_fds(struct exec_session *s);

/* The descriptor the next step gets as N (the session's), or -1. */
int exec__session_fd(const struct exec_session *s, int n);

/* Decide how to capture, make the channels.  0 or -1. */
int exec__output_begin(struct exec_output *o, struct exec_session *s);
/* The step has been started: close our copies of its ends, pump. */
void exec__output_close_child(struct exec_output *o);
int exec__output_start(struct exec_output *o);
/* Is FD (one the step left open) one of our channels?  Its number. */
int exec__output_is_ours(const struct exec_output *o, int fd);
/* The step has ended: finish capturing, store the bytes (O->sha). */
int exec__output_end(struct exec_output *o, struct exec_session *s);
void exec__output_release(struct exec_output *o);
/* A deferred step's turn has come: show what it printed. */
void exec__output_flush(struct exec_output *o);
/* Copy what FD holds (a verified log, or -1: none) to where N goes. */
void exec__output_replay(const struct exec_output *o, int fd, int n);
/* Is session SID of S's store running (holding .cairn/tmp/SID.lock)? */
int exec__session_running(const struct exec_session *s, const char *sid);

/* ---- the cache (cache.c) ---- */

/* Name the fresh shell's baseline (S->base_key) while the state is still
 * the initial one (run.c). */
void exec__set_base_key(struct exec_session *s);
/* Write TMPDIR/status, which preludes source to set $?.  0 or -1. */
int exec__write_status_file(const struct exec_session *s);

/* An inherited descriptor as a step began (exec_cachectx.fdsnap). */
struct exec_fdsnap {
	int num, acc, isreg, isnull, isdir;
	dev_t dev;
	ino_t ino;
	off_t size, pos;
	struct timespec mtime;
};

struct exec_cachectx {
	char key[SHA256_HEX_LEN + 1];
	char site[SHA256_HEX_LEN + 1];
	json_t *key_parts;
	/* The key names the project's directory as a token, not by its
	 * path: a copy of the project elsewhere has the same key. */
	int relocatable;
	/* The step may change the working directory (cd, pushd, popd). */
	int moves_dir;
	/* No alias to expand, none defined: expand_aliases (the REPL's) is
	 * no part of its key, and a hit keeps the session's. */
	int aliases_free;
	/* The variables the key left out, as the step found them:
	 * {NAME: {"var": ENTRY, "env": ENTRY}} (a candidate keeps them). */
	json_t *unkeyed;
	/* The step's own earlier outputs: project files that hold what a
	 * candidate of this key wrote (absolute paths, sorted).  Hidden
	 * from the step if it runs. */
	struct strvec own;
	const char *off; /* why the cache is not used for this step, or NULL */
	json_t *miss; /* why the lookup missed (for the record and `why`) */
	struct strvec start_fds; /* the state's descriptors at the start */
	/* The inherited descriptors above 2 as the step began (what went
	 * through them is not traced: exec__cache_add() looks again). */
	struct exec_fdsnap *fdsnap;
	size_t nfdsnap;
	uint64_t t_start; /* when the lookup began (for cache.lookup_s) */
	uint64_t lookup_ns; /* a miss: how long deciding it took */
};

/* Serve STEP from candidate CAND (its end state serialised in STATE):
 * outputs committed, state restored, cached record stored.  1 served,
 * 0 could not (nothing changed), -1 error. */
int exec__steprun_serve(struct exec_session *s, const struct exec_step *step,
			struct exec_cachectx *c, json_t *cand, const struct strbuf *state,
			struct exec_result *out);
/* Remember the fresh shell's baseline for sessions served from the
 * start. */
void exec__cache_save_base(struct exec_session *s);
/* Load the fresh shell's baseline that S->base_key names (saved by an
 * earlier session).  1 loaded (or already there), 0 not found. */
int exec__cache_load_base(struct exec_session *s);
/* Is NAME (LEN bytes) a variable the shell sets itself (SHLVL, PWD,
 * HOSTNAME...), which states do not carry? */
int exec__is_special(const struct exec_session *s, const char *name, size_t len);
/* The session's state as its baseline's key sees it (without the
 * variables no key holds). */
void exec__base_key_text(struct strbuf *out, const struct exec_session *s);
/* The hash of DIR's sorted entry names, and how many, leaving out the
 * entries whose path VIEW/NAME is in the sorted list SKIP (may be NULL),
 * and when SIDECARS_OF is not NULL, the names that are no sidecar of a
 * file in it (exec__sidecar_name()).  0 or -1. */
int exec__dir_hash(const char *dir, const char *view, const struct strvec *skip,
		   const struct strvec *sidecars_of, char sha[SHA256_HEX_LEN + 1], size_t *count);
/* Could ENTRY be GDAL's sidecar of one of the file names OF (x.tif:
 * x.tif.aux.xml, x.tif.ovr, x.tfw, x.prj, x_RPC.TXT..., any case), or
 * one of them? */
int exec__sidecar_name(const char *entry, const struct strvec *of);
/* Can the step's own earlier output PATH (absolute, in the project) be
 * hidden from it: its directories plain ones of the project, and its
 * directory keeping an entry not in the sorted list OWN? */
int exec__hideable(const struct exec_session *s, const char *path, const struct strvec *own);
/* Is PATH (the step's view) in one of the session's tool caches
 * (cache.toolCacheDirs), which are neither inputs nor outputs? */
int exec__tool_cache(const struct exec_session *s, const char *path);
/* Is PATH in the sorted list V? */
int exec__in_sorted(const struct strvec *v, const char *path);
/* The hash of HOST's own extended attributes (a symlink's, not its
 * target's): sorted names with their values; that of "" when it has none
 * or its file system has none.  0, or -1 when they could not all be read
 * (the hash is still set). */
int exec__xattr_hash(const char *host, char sha[SHA256_HEX_LEN + 1]);
/* Does a step that reads PATH (absolute, as the step named it) get what
 * may differ from run to run: /dev/urandom, /proc/cpuinfo, CPU counts,
 * cgroup limits...?  Listed in the record's `nondeterministic`. */
int exec__nondeterministic(const char *path);
/* Add an operation to a commit plan (types in commit.c: D M R C). */
void exec__commit_add_op(struct exec_commit *c, int type, const char *src, const char *dst,
			 unsigned mode);

/* Where the content a step saw at record name NAME lives on the host.
 * 0, or 1 when hidden (absent). */
int exec__view_host(struct exec_session *s, const char *name, struct strbuf *out);

/* Compute the action key of STEP in S's state (O: its outputs). */
void exec__cache_key(struct exec_cachectx *c, struct exec_session *s, const struct exec_step *step,
		     const struct exec_output *o, int no_cache);
/*
 * Look the step up; on a hit, serve it: outputs into place, stdout and
 * stderr replayed, the state restored, a cached record stored.  1 when
 * served (OUT filled), 0 when it must run, -1 on errors that must stop.
 */
int exec__cache_serve(struct exec_cachectx *c, struct exec_session *s, const struct exec_step *step,
		      const struct exec_output *o, struct exec_result *out);
/* Add a successful step's trace (its RECORD, finished) as a candidate. */
void exec__cache_add(struct exec_cachectx *c, struct exec_session *s, json_t *record,
		     const struct exec_output *o);
void exec__cachectx_release(struct exec_cachectx *c);

#endif
