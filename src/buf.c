/* buf.c - growable byte buffer and JSON string writer */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int sl_buf_reserve(struct sl_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int sl_buf_append(struct sl_buf *b, const void *data, size_t len)
{
	if (sl_buf_reserve(b, len))
		return -ENOMEM;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int sl_buf_puts(struct sl_buf *b, const char *s)
{
	return sl_buf_append(b, s, strlen(s));
}

int sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Format once into the room there is; only a longer text is
	 * formatted a second time, after growing. */
	if (sl_buf_reserve(b, 64))
		return -ENOMEM;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if ((size_t)n >= b->cap - b->len) {
		if (sl_buf_reserve(b, (size_t)n))
			return -ENOMEM;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

int sl_buf_json_str(struct sl_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;
	int rc = 0;

	if (sl_buf_reserve(b, len + 2))
		return -ENOMEM;
	b->data[b->len++] = '"';
	for (i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = sl_buf_append(b, s + start, i - start);
		start = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (!rc)
			rc = sl_buf_append(b, esc, elen);
	}
	if (!rc)
		rc = sl_buf_append(b, s + start, len - start);
	if (!rc)
		rc = sl_buf_append(b, "\"", 1);
	return rc;
}

const char *sl_list_next(const char **cursor, size_t *len)
{
	const char *p = *cursor;

	while (*p) {
		size_t n = strcspn(p, ","), a = 0, b = n;
		const char *item = p;

		while (a < b && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
			b--;
		p += n;
		if (*p == ',')
			p++;
		if (b > a) {
			*cursor = p;
			*len = b - a;
			return item + a;
		}
	}
	*cursor = p;
	return NULL;
}

void sl_buf_reset(struct sl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sl_buf_release(struct sl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
