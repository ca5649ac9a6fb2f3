/*
 * util.h - small shared pieces: errors, memory, growable strings and
 * string vectors, hashing, paths.
 *
 * Every other module may include this header; it includes nothing of
 * cairn's own.
 */
#ifndef CAIRN_UTIL_H
#define CAIRN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- errors ------------------------------------------------------------ */

/*
 * Functions return 0 on success and a negative code on failure; the
 * message lives in a thread-local error object (err_last()).  Callers
 * propagate codes unchanged and do not overwrite messages.
 */
enum {
	CAIRN_OK = 0,
	CAIRN_ERROR = -1,
	CAIRN_ENOTFOUND = -3,
	CAIRN_EEXISTS = -4,
	CAIRN_ECONFLICT = -5,
	CAIRN_ESYNTAX = -6, /* input is not valid shell */
	CAIRN_EINCOMPLETE = -7, /* input ends inside a command */
	CAIRN_EUSAGE = -8, /* bad command line */
	CAIRN_EUNSUPPORTED = -9, /* the system lacks what is needed */
};

/* Set the thread's error message; returns CODE so that callers can write
 * `return err_set(CAIRN_ENOTFOUND, "no step %s", id);`. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As err_set(), with ": strerror(errno)" appended (errno read on entry). */
int err_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message set in this thread; borrowed, never NULL. */
const char *err_last(void);

/* Forget the last error. */
void err_clear(void);

/* The program name used as prefix by die()/warn(); set once by main(). */
extern const char *util_progname;

/* Print "cairn: message" to stderr and exit(125).  Only for states the
 * program cannot recover from (main or a post-fork child). */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* Print "cairn: message" to stderr. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- memory ------------------------------------------------------------ */

/* Allocators that abort on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xstrfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow ARRAY (of element type *ARRAY) so that it holds at least NR
 * elements; ALLOC tracks the capacity. */
#define ALLOC_GROW(array, nr, alloc)                                                               \
	do {                                                                                       \
		if ((size_t)(nr) > (alloc)) {                                                      \
			(alloc) = ((alloc) + 16) * 3 / 2;                                          \
			if ((alloc) < (size_t)(nr))                                                \
				(alloc) = (nr);                                                    \
			(array) = xrealloc((array), (alloc) * sizeof(*(array)));                   \
		}                                                                                  \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- strbuf: a growable string whose buf is never NULL ------------------ */

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf; /* always NUL-terminated */
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT                                                                                \
	{                                                                                          \
		0, 0, strbuf_slopbuf                                                               \
	}

void strbuf_init(struct strbuf *sb, size_t hint);
/* Free the contents; SB is left as STRBUF_INIT. */
void strbuf_release(struct strbuf *sb);
/* Hand the buffer to the caller (who frees it with free()); SB is reset. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Append S quoted for bash as $'...' so that it stays on one line. */
void strbuf_add_ansi_quoted(struct strbuf *sb, const char *s, size_t len);
/* Append S quoted for any POSIX shell with single quotes. */
void strbuf_add_sh_quoted(struct strbuf *sb, const char *s);
/*
 * Append the file name S as GNU ls shows it on a terminal
 * (--quoting-style=shell-escape): as it is when nothing in it is special;
 * in '...' when it holds a space or a shell metacharacter; control bytes,
 * C1 controls and bytes that are not UTF-8 as $'\ooo' escapes between
 * quoted parts ('evil'$'\033'']0;x').  Every listing that prints names
 * for a person uses it; --json output does not.
 */
void strbuf_add_name_quoted(struct strbuf *sb, const char *s);
/* Append the LEN bytes at S (a command's text) with what would act on a
 * terminal (control bytes, C1 controls, bytes that are not UTF-8) as C
 * escapes: \033, \n, \377. */
void strbuf_add_visible(struct strbuf *sb, const char *s, size_t len);
/* The same as a string for printf(): borrowed, valid until the eighth
 * next call in the thread.  NULL gives "?". */
const char *util_name_quoted(const char *s);
/* Read the whole of FD (until EOF) and append it.  0 or -1 (err set). */
int strbuf_read_fd(struct strbuf *sb, int fd);
/* Read the whole file at PATH and append it.  0, CAIRN_ENOTFOUND or -1. */
int strbuf_read_file(struct strbuf *sb, const char *path);

/* ---- strvec: a NULL-terminated vector of owned strings ------------------ */

struct strvec {
	char **v; /* never NULL after init; v[nr] == NULL */
	size_t nr;
	size_t alloc;
};

extern const char *strvec_empty[];
#define STRVEC_INIT                                                                                \
	{                                                                                          \
		(char **)strvec_empty, 0, 0                                                        \
	}

void strvec_init(struct strvec *sv);
void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Take ownership of S (allocated with malloc). */
void strvec_push_nodup(struct strvec *sv, char *s);
void strvec_pushv(struct strvec *sv, const char *const *v);
void strvec_clear(struct strvec *sv);
void strvec_copy(struct strvec *dst, const struct strvec *src);

/* ---- hashing ------------------------------------------------------------ */

#define SHA256_HEX_LEN 64

/* Write the SHA-256 of DATA as 64 lowercase hex digits plus NUL to OUT. */
void util_sha256_hex(char out[SHA256_HEX_LEN + 1], const void *data, size_t len);

/* A 32-byte digest MD as 64 lowercase hex digits plus NUL. */
void util_sha256_to_hex(char out[SHA256_HEX_LEN + 1], const unsigned char md[32]);

/* The SHA-256 of what FD reads from its offset to EOF; *SIZE (if not
 * NULL) gets the byte count.  0, or -1 with err set. */
int util_sha256_fd(char out[SHA256_HEX_LEN + 1], uint64_t *size, int fd);

/* Write the SHA-256 of the file at PATH (read in a streaming fashion) to
 * OUT, and its size to *SIZE when SIZE is not NULL.  0, CAIRN_ENOTFOUND
 * when PATH does not exist, or -1 (err set). */
int util_sha256_file(char out[SHA256_HEX_LEN + 1], uint64_t *size, const char *path);

/* Is S exactly 64 lowercase hex digits? */
int util_is_sha256_hex(const char *s);

/* ---- files and paths ---------------------------------------------------- */

/* Write all of BUF to FD, retrying on EINTR and short writes. 0 or -1. */
int util_write_all(int fd, const void *buf, size_t len);

/* The same, but a reader that has gone away is an error (EPIPE), not a
 * SIGPIPE that would end cairn. */
int util_write_all_nosigpipe(int fd, const void *buf, size_t len);

/* Move FD (close-on-exec) to 100 or above, away from the numbers steps
 * and the standard streams use; the new descriptor, or -1 (FD closed). */
int util_fd_high(int fd);

/* Make the last creation, rename or removal in PATH's directory durable
 * (fsync of the directory).  0, or -1 with a message. */
int util_fsync_parent(const char *path);

/* Read /proc/PID/NAME ("stat", "status") into BUF of SIZE bytes, NUL
 * terminated (what fits); its length, or -1. */
ssize_t util_proc_read(pid_t pid, const char *name, char *buf, size_t size);

/* From /proc/PID/stat: the state letter ('R', 'S', 'T'...), the parent,
 * the process group and the session (any may be NULL).  0 or -1. */
int util_proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp, pid_t *sid);

/* ---- paths: the one resolver (path.c) ------------------------------------ */

struct stat;

/*
 * Clean the absolute path in SB in place: no empty or "." components, no
 * trailing slash.  A ".." is taken away with the component before it only
 * while everything before it is known to name no symlink: the first
 * PHYSICAL bytes (a working directory or a descriptor's path as the
 * kernel gives them; 0 or 1: just "/").  Any other ".." stays, since
 * after a symlink it names the parent of the link's target, which only
 * util_path_resolve() can know.  Returns the length of the symlink-free
 * prefix left.  Allocates nothing.  A relative SB is left alone.
 */
size_t util_path_clean(struct strbuf *sb, size_t physical);

/* Is REL a relative path of names only ("out/a.tif": no "", ".", "..",
 * leading or doubled or trailing "/")?  1 or 0. */
int util_path_plain(const char *rel);

/* What util_path_resolve() looks a path up in (the caller's view of a
 * file system).  PATH is absolute and its parent already resolved. */
struct util_path_view {
	/* lstat PATH into ST: 0, or -1 when it is not there.  LAST: PATH is
	 * what the lookup ends on (ST must then be complete; otherwise only
	 * the file type is used). */
	int (*lstat)(const char *path, int last, struct stat *st, void *payload);
	/* Append the text of the symlink PATH to OUT: 0 or -1. */
	int (*readlink)(const char *path, struct strbuf *out, void *payload);
};

/*
 * What util_path_resolve() remembers of the prefixes it resolved in one
 * view: the text of a path up to a component ("/p/deep/d", as given) and
 * what that resolved to.  Valid while the view does not change: its owner
 * releases it when it may have (a symlink made, a directory removed...).
 * UTIL_PATH_CACHE_INIT, util_path_cache_release().
 */
struct util_path_prefix;
struct util_path_end {
	size_t pos;
	uint64_t hash;
};
struct util_path_cache {
	struct util_path_prefix *slots;
	size_t cap, nr;
	struct util_path_end *ends; /* scratch of a lookup */
	size_t alloc_ends;
};
#define UTIL_PATH_CACHE_INIT                                                                       \
	{                                                                                          \
		NULL, 0, 0, NULL, 0                                                                \
	}

/* Free what PC holds; it is empty (and usable) after. */
void util_path_cache_release(struct util_path_cache *pc);

/*
 * Resolve the absolute PATH as the kernel would, component by component
 * in VIEW: "." stays, ".." goes to the parent of what was resolved so
 * far, every symlink on the way is followed (the last one unless
 * NOFOLLOW; at most 40).  OUT: the resolved path.  Returns 1 when it
 * names something (ST describes it), else 0: OUT is then the path up to
 * the component that failed, followed by the rest as given unless the
 * rest holds a "..".  PAYLOAD is passed to VIEW's functions.
 *
 * CACHE (may be NULL) is of VIEW as it is now: the resolution starts
 * from the longest prefix of PATH it holds (never the last component,
 * which VIEW always looks up), and keeps the prefixes it resolves, so
 * that a path below a directory resolved before costs a lookup or two
 * however deep that directory is.  What VIEW's functions do on the way
 * (noting the links met) is then done only the first time.
 */
int util_path_resolve(struct strbuf *out, const char *path, int nofollow,
		      const struct util_path_view *view, struct util_path_cache *cache,
		      struct stat *st, void *payload);

/* Is S a valid shell variable / function name for bash's purposes? */
int util_is_name(const char *s, size_t len);

/* ---- byte strings in JSON ---------------------------------------------- */

/*
 * Records hold file names and command text as bytes.  In memory such a
 * string is a jansson string of the bytes as they are (util_json_bytes);
 * in text a string that is not valid UTF-8 is written
 * {"bytes_b64": "<base64>"} (docs/step-record.md).  Dump and load JSON
 * that may hold such strings only through these functions.
 */
struct json_t;
struct json_error_t;

/* 1 if the LEN bytes at S are valid UTF-8 (as JSON text needs them). */
int util_utf8_valid(const char *s, size_t len);

/* A new JSON string of the LEN bytes at S, whatever they are. */
struct json_t *util_json_bytes(const char *s, size_t len);
/* The same for the C string S. */
struct json_t *util_json_str(const char *s);

/* As json_dumps(), json_dumpf(), json_dump_file(), writing strings that
 * are not UTF-8 in the encoded form.  The document is not changed. */
char *util_json_dumps(const struct json_t *j, size_t flags);
int util_json_dumpf(const struct json_t *j, FILE *f, size_t flags);
int util_json_dump_file(const struct json_t *j, const char *path, size_t flags);

/* As json_loadb() and json_load_file(), then util_json_decode_bytes(). */
struct json_t *util_json_loadb(const char *buf, size_t len, size_t flags,
			       struct json_error_t *error);
struct json_t *util_json_load_file(const char *path, size_t flags, struct json_error_t *error);

/* Turn every encoded string below J (a parsed document, or NULL) back
 * into its bytes, in place. */
void util_json_decode_bytes(struct json_t *j);

/* Current monotonic time in nanoseconds. */
uint64_t util_now_ns(void);

/*
 * Tests of crash safety: when $CAIRN_TEST_CRASH_AT names POINT, the
 * process ends at once with status 137, as a kill -9 there would (no
 * cleanup, no atexit).  The points are named in docs/store.md.
 */
void util_test_crash_point(const char *point);

#endif
