/*
 * exec-int.h - internals shared by the files of exec/.
 */
#ifndef CAIRN_EXEC_INT_H
#define CAIRN_EXEC_INT_H

#include "exec.h"

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

#endif
