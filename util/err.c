#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *util_progname = "cairn";

static _Thread_local char err_buf[1024];

static int err_vset(int code, const char *fmt, va_list ap, int errnum)
    __attribute__((format(printf, 2, 0)));

static int err_vset(int code, const char *fmt, va_list ap, int errnum)
{
	int n = vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(err_buf))
		snprintf(err_buf + n, sizeof(err_buf) - n, ": %s", strerror(errnum));
	return code;
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(code, fmt, ap, 0);
	va_end(ap);
	return code;
}

int err_errno(int code, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	err_vset(code, fmt, ap, errnum ? errnum : EIO);
	va_end(ap);
	return code;
}

const char *err_last(void)
{
	return err_buf[0] ? err_buf : "unknown error";
}

void err_clear(void)
{
	err_buf[0] = '\0';
}

static void vreport(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void vreport(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", util_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(125);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}
