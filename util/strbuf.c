#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->alloc = sb->len = 0;
	sb->buf = strbuf_slopbuf;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *res;
	strbuf_grow(sb, 0);
	res = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb, 0);
	return res;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	int fresh = !sb->alloc;
	if (sb->len + extra + 1 <= sb->len)
		die("strbuf too large");
	if (fresh)
		sb->buf = NULL;
	ALLOC_GROW(sb->buf, sb->len + extra + 1, sb->alloc);
	if (fresh)
		sb->buf[0] = '\0';
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (len > sb->len)
		die("strbuf_setlen beyond end");
	sb->len = len;
	if (sb->alloc)
		sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other)
{
	strbuf_add(sb, other->buf, other->len);
}

void strbuf_addch(struct strbuf *sb, int c)
{
	strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc ? sb->alloc - sb->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		die("vsnprintf failed");
	if ((size_t)n >= (sb->alloc ? sb->alloc - sb->len : 0)) {
		strbuf_grow(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_add_ansi_quoted(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	strbuf_add(sb, "$'", 2);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\\':
			strbuf_add(sb, "\\\\", 2);
			break;
		case '\'':
			strbuf_add(sb, "\\'", 2);
			break;
		case '\n':
			strbuf_add(sb, "\\n", 2);
			break;
		case '\t':
			strbuf_add(sb, "\\t", 2);
			break;
		default:
			/*
			 * Other control bytes go as octal escapes.  Bytes >= 0x80
			 * stay raw: in $'' they are taken literally, and escaping
			 * them would depend on the locale.
			 */
			if (c < 0x20 || c == 0x7f)
				strbuf_addf(sb, "\\%03o", c);
			else
				strbuf_addch(sb, c);
			break;
		}
	}
	strbuf_addch(sb, '\'');
}

void strbuf_add_sh_quoted(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

/* How many bytes the character at P (of LEN) takes when it prints as
 * itself on a terminal; 0 when it must be escaped: a control byte, a C1
 * control (U+0080..U+009F, which 8-bit terminals obey too), a byte that
 * is not part of valid UTF-8. */
static size_t printable_len(const unsigned char *p, size_t len)
{
	size_t n;

	if (*p < 0x80)
		return *p >= 0x20 && *p != 0x7f;
	n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
	if (!n || n > len || !util_utf8_valid((const char *)p, n))
		return 0;
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	return n;
}

static void add_escaped(struct strbuf *sb, unsigned char c)
{
	static const char from[] = "\a\b\f\n\r\t\v", to[] = "abfnrtv";
	const char *hit = c ? memchr(from, c, sizeof(from) - 1) : NULL;

	if (hit)
		strbuf_addf(sb, "\\%c", to[hit - from]);
	else
		strbuf_addf(sb, "\\%03o", c);
}

void strbuf_add_name_quoted(struct strbuf *sb, const char *s)
{
	/* What a shell takes specially (GNU ls's list), anywhere in a word. */
	static const char special[] = " !\"#$&'()*;<=>?[\\]^`{|}~";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i, n;
	int quote = !len, escape = 0, in_quote = 0;

	for (i = 0; i < len; i += n ? n : 1) {
		n = printable_len(p + i, len - i);
		if (!n)
			escape = 1;
		else if (n == 1 && strchr(special, p[i]))
			quote = 1;
	}
	if (!quote && !escape) {
		strbuf_add(sb, s, len);
		return;
	}
	/* Quoted parts in '...', escapes in $'...' between them:
	 * 'evil'$'\033'']0;x' as `ls` prints it. */
	for (i = 0; i < len; i += n ? n : 1) {
		n = printable_len(p + i, len - i);
		if (n) {
			if (!in_quote)
				strbuf_addch(sb, '\'');
			in_quote = 1;
			if (p[i] == '\'')
				strbuf_addstr(sb, "'\\''");
			else
				strbuf_add(sb, s + i, n);
			continue;
		}
		if (in_quote)
			strbuf_addch(sb, '\'');
		in_quote = 0;
		strbuf_addstr(sb, "$'");
		for (; i < len && !printable_len(p + i, len - i); i++)
			add_escaped(sb, p[i]);
		strbuf_addch(sb, '\'');
		i--; /* the loop steps past the last escaped byte */
		n = 1;
	}
	if (in_quote)
		strbuf_addch(sb, '\'');
	else if (!len)
		strbuf_addstr(sb, "''");
}

void strbuf_add_visible(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n;

	for (i = 0; i < len; i += n ? n : 1) {
		n = printable_len(p + i, len - i);
		if (n)
			strbuf_add(sb, s + i, n);
		else
			add_escaped(sb, p[i]);
	}
}

const char *util_name_quoted(const char *s)
{
	static _Thread_local struct strbuf ring[8];
	static _Thread_local unsigned next;
	struct strbuf *sb = &ring[next++ % 8];

	if (!sb->alloc)
		strbuf_init(sb, 64);
	strbuf_reset(sb);
	if (s)
		strbuf_add_name_quoted(sb, s);
	else
		strbuf_addch(sb, '?');
	return sb->buf;
}

int strbuf_read_fd(struct strbuf *sb, int fd)
{
	for (;;) {
		ssize_t n;
		strbuf_grow(sb, 8192);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sb->buf[sb->len] = '\0';
			return err_errno(CAIRN_ERROR, "read");
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
	}
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_read_file(struct strbuf *sb, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;
	if (fd < 0)
		return err_errno(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_ERROR, "%s", path);
	ret = strbuf_read_fd(sb, fd);
	if (ret < 0)
		err_errno(CAIRN_ERROR, "%s", path);
	close(fd);
	return ret;
}
