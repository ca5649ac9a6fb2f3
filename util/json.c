/*
 * Byte strings in JSON documents (records, action entries, --json output).
 *
 * File names, command text and environment values are bytes; JSON strings
 * are UTF-8.  In memory a record holds the bytes as they are (jansson's
 * _nocheck strings); on the way to text every string that is not valid
 * UTF-8 becomes {"bytes_b64": "<base64 of its bytes>"}, and on the way
 * back such an object becomes the string again.  docs/step-record.md
 * documents the form.  One place does both, so that every reader of a
 * record (they all load it through util_json_load*) sees the bytes.
 */
#include "util.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>

#define BYTES_KEY "bytes_b64"

int util_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p, need, cp, min;
		size_t i;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if ((size_t)(end - p) <= need)
			return 0;
		for (i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates and past U+10FFFF: what jansson
		 * refuses. */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		p += need + 1;
	}
	return 1;
}

json_t *util_json_bytes(const char *s, size_t len)
{
	return json_stringn_nocheck(s, len);
}

json_t *util_json_str(const char *s)
{
	return json_string_nocheck(s);
}

static int is_raw(const json_t *j)
{
	return json_is_string(j) && !util_utf8_valid(json_string_value(j), json_string_length(j));
}

static int needs_encoding(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (is_raw(j))
		return 1;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v) if (!util_utf8_valid(k, strlen(k)) ||
							   needs_encoding(v)) return 1;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) if (needs_encoding(v)) return 1;
	}
	return 0;
}

static json_t *encoded(const json_t *raw)
{
	size_t n = json_string_length(raw);
	char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
	json_t *o;

	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)json_string_value(raw),
			(int)n);
	o = json_pack("{s:s}", BYTES_KEY, b64);
	free(b64);
	return o;
}

/* Replace every raw string below J (J itself is never one). */
static void encode(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		void *tmp;
		/* A key is a name that must be UTF-8 (step-record.md): an entry
		 * keyed otherwise (an in-memory map by path) is left out. */
		json_object_foreach_safe(j, tmp, k, v) if (!util_utf8_valid(k, strlen(k)))
		    json_object_del(j, k);
		json_object_foreach(j, k, v)
		{
			if (is_raw(v))
				json_object_set_new_nocheck(j, k, encoded(v));
			else
				encode(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if (is_raw(v))
				json_array_set_new(j, i, encoded(v));
			else
				encode(v);
		}
	}
}

/* A new reference to J as it goes to text: J itself when it holds only
 * UTF-8, else an encoded copy. */
static json_t *for_text(const json_t *j)
{
	json_t *c, *wrap;

	if (!needs_encoding(j))
		return json_incref((json_t *)j);
	if (is_raw(j))
		return encoded(j);
	c = json_deep_copy(j);
	wrap = json_array();
	json_array_append_new(wrap, c);
	encode(wrap);
	c = json_incref(json_array_get(wrap, 0));
	json_decref(wrap);
	return c;
}

char *util_json_dumps(const json_t *j, size_t flags)
{
	json_t *t = for_text(j);
	char *s = t ? json_dumps(t, flags) : NULL;
	json_decref(t);
	return s;
}

int util_json_dumpf(const json_t *j, FILE *f, size_t flags)
{
	json_t *t = for_text(j);
	int ret = t ? json_dumpf(t, f, flags) : -1;
	json_decref(t);
	return ret;
}

int util_json_dump_file(const json_t *j, const char *path, size_t flags)
{
	json_t *t = for_text(j);
	int ret = t ? json_dump_file(t, path, flags) : -1;
	json_decref(t);
	return ret;
}

/* The raw string an encoded object stands for, or NULL when O is not one
 * (any other object, a bad base64 text). */
static json_t *decoded(const json_t *o)
{
	const char *b64;
	size_t n;
	unsigned char *buf;
	int got;
	json_t *s;

	if (!json_is_object(o) || json_object_size(o) != 1 ||
	    !json_is_string(json_object_get(o, BYTES_KEY)))
		return NULL;
	b64 = json_string_value(json_object_get(o, BYTES_KEY));
	n = strlen(b64);
	if (n % 4)
		return NULL;
	buf = xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
	if (got < 0) {
		free(buf);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (n && b64[n - 1] == '=')
		got--;
	if (n > 1 && b64[n - 2] == '=')
		got--;
	/* A byte string with a NUL in it is not a C string: no name, no
	 * command is one, so such an object is refused, left as it is. */
	if (memchr(buf, '\0', (size_t)got)) {
		free(buf);
		return NULL;
	}
	s = json_stringn_nocheck((const char *)buf, (size_t)got);
	free(buf);
	return s;
}

void util_json_decode_bytes(json_t *j)
{
	const char *k;
	json_t *v, *s;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
		{
			if ((s = decoded(v)))
				json_object_set_new_nocheck(j, k, s);
			else
				util_json_decode_bytes(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if ((s = decoded(v)))
				json_array_set_new(j, i, s);
			else
				util_json_decode_bytes(v);
		}
	}
}

json_t *util_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
	json_t *j = json_loadb(buf, len, flags, error);
	util_json_decode_bytes(j);
	return j;
}

json_t *util_json_load_file(const char *path, size_t flags, json_error_t *error)
{
	json_t *j = json_load_file(path, flags, error);
	util_json_decode_bytes(j);
	return j;
}
