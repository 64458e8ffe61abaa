/* buf.h - growable byte buffer and JSON string writer */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * A byte buffer that grows on demand. data is always NUL-terminated when
 * len > 0 or after any append, so it can be passed as a C string when the
 * content is text. A zeroed struct is an empty buffer.
 */
struct sl_buf {
	char *data;	/* owned; NULL until the first append */
	size_t len;	/* bytes used, not counting the terminating NUL */
	size_t cap;	/* bytes allocated */
};

/* sl_buf_reserve() when the room is not there yet: grows the buffer. */
int sl_buf_grow(struct sl_buf *b, size_t extra)
	__attribute__((warn_unused_result));

/* Make room for extra more bytes (plus the NUL). Returns 0 or -ENOMEM.
 * Inline: nearly every call finds the room there. */
static inline __attribute__((warn_unused_result))
int sl_buf_reserve(struct sl_buf *b, size_t extra)
{
	if (b->cap - b->len > extra)
		return 0;
	return sl_buf_grow(b, extra);
}

/* Append len bytes. Returns 0 or -ENOMEM. Inline: records are written
 * a few bytes at a time, and most appends need no room made. */
static inline __attribute__((warn_unused_result))
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

/* Append a C string. Returns 0 or -ENOMEM. */
static inline __attribute__((warn_unused_result))
int sl_buf_puts(struct sl_buf *b, const char *s)
{
	return sl_buf_append(b, s, strlen(s));
}

/* Append printf-formatted text. Returns 0 or -ENOMEM. */
int sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* v in decimal, without printf, into out (NUL-terminated: 24 bytes
 * hold any int64_t). Returns its length. */
size_t sl_format_i64(int64_t v, char out[24]);

/* Append v in decimal, without printf. Returns 0 or -ENOMEM. */
int sl_buf_put_i64(struct sl_buf *b, int64_t v)
	__attribute__((warn_unused_result));

/* Append the C strings given, up to a NULL, in one reservation. Returns 0
 * or -ENOMEM. */
int sl_buf_cat(struct sl_buf *b, ...) __attribute__((sentinel));

/*
 * Append s (len bytes, valid UTF-8) as a quoted JSON string, escaping
 * quotes, backslashes and control characters. Returns 0 or -ENOMEM.
 */
int sl_buf_json_str(struct sl_buf *b, const char *s, size_t len)
	__attribute__((warn_unused_result));

/* Length of the longest prefix of s (len bytes) in which no byte needs
 * escaping in a JSON string (none below 0x20, no quote, no backslash);
 * eight bytes at a time. */
size_t sl_json_plain_span(const char *s, size_t len);

/* Write at o the JSON escape of c, a byte that needs one (below 0x20, a
 * quote or a backslash): two to six bytes. Returns where it ended.
 * Inline: the escaping loops that call it stay tight. */
static inline char *sl_json_escape_byte(char *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	*o++ = '\\';
	switch (c) {
	case '"': *o++ = '"'; break;
	case '\\': *o++ = '\\'; break;
	case '\n': *o++ = 'n'; break;
	case '\r': *o++ = 'r'; break;
	case '\t': *o++ = 't'; break;
	case '\b': *o++ = 'b'; break;
	case '\f': *o++ = 'f'; break;
	default:
		*o++ = 'u';
		*o++ = '0';
		*o++ = '0';
		*o++ = hex[c >> 4];
		*o++ = hex[c & 15];
	}
	return o;
}

#ifdef __SSE2__
/* Of the sixteen bytes x, those that need escaping as bits: a byte does
 * when the unsigned maximum of it and 0x20 is not itself (a control
 * character), or it is a quote or a backslash. */
static inline int sl_escape_mask16(__m128i x)
{
	__m128i ok = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x20)), x);

	return _mm_movemask_epi8(
		_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
					  _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
			     _mm_andnot_si128(ok, _mm_set1_epi8(-1))));
}
#endif

/* sl_json_plain_span() without a call when the span ends in the first
 * sixteen bytes, as a JSON text's names and most of its strings do. */
static inline size_t sl_json_plain_span_short(const char *s, size_t len)
{
#ifdef __SSE2__
	if (len >= 16) {
		unsigned int m = (unsigned int)sl_escape_mask16(
			_mm_loadu_si128((const __m128i *)(const void *)s));

		if (m)
			return (size_t)__builtin_ctz(m);
	}
#endif
	return sl_json_plain_span(s, len);
}

/*
 * Walk a comma-separated list ("a, b ,c"): return the next item with
 * blanks trimmed, its length in *len, and advance *cursor past it;
 * NULL at the end. Empty items are skipped.
 */
const char *sl_list_next(const char **cursor, size_t *len);

/* Append the whole of the file at path. Returns 0, or a negative errno
 * (open or read failed: b may hold part of it). */
int sl_buf_read_file(struct sl_buf *b, const char *path)
	__attribute__((warn_unused_result));

/* Forget the content but keep the allocation for reuse. */
static inline void sl_buf_reset(struct sl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Free the allocation; the buffer is empty afterwards. */
void sl_buf_release(struct sl_buf *b);

/* Between two uses of a buffer kept for reuse: reset it when its
 * allocation is at most keep bytes, free it otherwise (one large request
 * must not hold its memory until the process ends). */
static inline void sl_buf_recycle(struct sl_buf *b, size_t keep)
{
	if (b->cap > keep)
		sl_buf_release(b);
	else
		sl_buf_reset(b);
}

#endif /* SL_BUF_H */
