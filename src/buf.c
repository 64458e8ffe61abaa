/* buf.c - growable byte buffer and JSON string writer */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

int sl_buf_grow(struct sl_buf *b, size_t extra)
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

size_t sl_format_i64(int64_t v, char out[24])
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";
	static const uint64_t powers[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
		10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
		100000000000ull, 1000000000000ull, 10000000000000ull,
		100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull,
		10000000000000000000ull,
	};
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	/* Digits from the bit length (log10(2) is about 1233/4096): the
	 * estimate is exact or one short. */
	size_t digits = (size_t)(64 - __builtin_clzll(u | 1)) * 1233 >> 12;
	size_t n, end;

	digits += u >= powers[digits];
	end = (size_t)(v < 0) + (digits ? digits : 1);
	out[end] = '\0';
	if (v < 0)
		out[0] = '-';
	/* From the right, two digits a step; eight at a time in 32 bits
	 * (timestamps have thirteen: one 64-bit division, then 32-bit
	 * steps). */
	n = end;
	while (u >= 100000000) {
		uint32_t low = (uint32_t)(u % 100000000);
		int k;

		u /= 100000000;
		for (k = 0; k < 4; k++, low /= 100) {
			n -= 2;
			memcpy(out + n, pairs + 2 * (low % 100), 2);
		}
	}
	{
		uint32_t low = (uint32_t)u;

		for (; low >= 100; low /= 100) {
			n -= 2;
			memcpy(out + n, pairs + 2 * (low % 100), 2);
		}
		if (low >= 10)
			memcpy(out + n - 2, pairs + 2 * low, 2);
		else
			out[n - 1] = (char)('0' + low);
	}
	return end;
}

int sl_buf_put_i64(struct sl_buf *b, int64_t v)
{
	if (b->cap - b->len <= 24 && sl_buf_reserve(b, 24))
		return -ENOMEM;
	b->len += sl_format_i64(v, b->data + b->len);
	return 0;
}

int sl_buf_cat(struct sl_buf *b, ...)
{
	const char *s;
	size_t need = 0, n;
	va_list ap;

	va_start(ap, b);
	while ((s = va_arg(ap, const char *)))
		need += strlen(s);
	va_end(ap);
	if (sl_buf_reserve(b, need))
		return -ENOMEM;
	va_start(ap, b);
	while ((s = va_arg(ap, const char *))) {
		n = strlen(s);
		memcpy(b->data + b->len, s, n);
		b->len += n;
	}
	va_end(ap);
	b->data[b->len] = '\0';
	return 0;
}

#define LOW7 UINT64_C(0x7f7f7f7f7f7f7f7f)
#define HIGH1 UINT64_C(0x8080808080808080)
#define EACH(c) (UINT64_C(0x0101010101010101) * (c))

/* True when none of the 8 bytes at s needs escaping in a JSON string:
 * none is below 0x20, a quote or a backslash. Per byte, the high bit of
 * (low seven bits + k) tells whether they reach 0x80 - k; no sum carries
 * into the next byte. */
static inline bool plain8(const char *s)
{
	uint64_t w, q, bs, ok;

	memcpy(&w, s, 8);
	q = w ^ EACH('"');
	bs = w ^ EACH('\\');
	ok = (((w & LOW7) + EACH(0x80 - 0x20)) | w) &
	     (((q & LOW7) + LOW7) | q) & (((bs & LOW7) + LOW7) | bs);
	return (ok & HIGH1) == HIGH1;
}

size_t sl_json_plain_span(const char *s, size_t len)
{
	size_t i = 0;

#ifdef __SSE2__
	unsigned int mask;

	/* Long runs sixty-four bytes a step: one test of the four blocks'
	 * minimum (a control byte) and of their quotes and backslashes. */
	while (len - i >= 64) {
		const __m128i *q = (const __m128i *)(const void *)(s + i);
		__m128i a = _mm_loadu_si128(q), b = _mm_loadu_si128(q + 1),
			c = _mm_loadu_si128(q + 2), d = _mm_loadu_si128(q + 3);
		__m128i low = _mm_min_epu8(_mm_min_epu8(a, b), _mm_min_epu8(c, d));
		__m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
		__m128i hit = _mm_or_si128(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, quote),
						  _mm_cmpeq_epi8(b, quote)),
				     _mm_or_si128(_mm_cmpeq_epi8(c, quote),
						  _mm_cmpeq_epi8(d, quote))),
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, bs),
						  _mm_cmpeq_epi8(b, bs)),
				     _mm_or_si128(_mm_cmpeq_epi8(c, bs),
						  _mm_cmpeq_epi8(d, bs))));

		if (_mm_movemask_epi8(hit) ||
		    _mm_movemask_epi8(_mm_cmpeq_epi8(
			    _mm_max_epu8(low, _mm_set1_epi8(0x20)), low)) != 0xffff)
			break;
		i += 64;
	}
	while (len - i >= 16) {
		mask = (unsigned int)sl_escape_mask16(_mm_loadu_si128(
			(const __m128i *)(const void *)(s + i)));
		if (mask)
			return i + (size_t)__builtin_ctz(mask);
		i += 16;
	}
	if (i == len)
		return len;
	if (len >= 16) {
		/* The last sixteen bytes, overlapping those seen: the bits
		 * of the len - i not seen are the high ones. */
		mask = (unsigned int)sl_escape_mask16(_mm_loadu_si128(
			(const __m128i *)(const void *)(s + len - 16)));
		mask >>= 16 - (len - i);
	} else {
		/* A short text, padded with a byte that needs no escape. */
		char pad[16];

		memset(pad, 'a', sizeof(pad));
		memcpy(pad, s, len);
		mask = (unsigned int)sl_escape_mask16(_mm_loadu_si128(
			(const __m128i *)(const void *)pad));
		mask &= (1u << len) - 1;
	}
	return mask ? i + (size_t)__builtin_ctz(mask) : len;
#endif
	while (len - i >= 8 && plain8(s + i))
		i += 8;
	while (i < len && (unsigned char)s[i] >= 0x20 && s[i] != '"' &&
	       s[i] != '\\')
		i++;
	return i;
}

/* Write s escaped for a JSON string at o, which has room for the worst
 * case (6 bytes per byte); returns where it ended. */
static char *escape_into(char *o, const char *s, size_t len)
{
	size_t i = 0, n;

#ifdef __SSE2__
	/* Copy sixteen bytes at a time whatever they hold (there is room for
	 * the worst case) and keep as many as need no escape. */
	while (len - i >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		int mask = sl_escape_mask16(x);
		unsigned char c;

		_mm_storeu_si128((__m128i *)(void *)o, x);
		if (!mask) {
			o += 16;
			i += 16;
			continue;
		}
		n = (size_t)__builtin_ctz((unsigned int)mask);
		o += n;
		i += n;
		c = (unsigned char)s[i++];
		*o++ = '\\';
		if (c == '"' || c == '\\') {
			*o++ = (char)c;
		} else {
			i--;	/* a control character: below */
			o--;
			break;
		}
	}
#endif
	for (;;) {
		n = sl_json_plain_span(s + i, len - i);
		memcpy(o, s + i, n);
		o += n;
		i += n;
		if (i == len)
			return o;
		o = sl_json_escape_byte(o, (unsigned char)s[i++]);
	}
}

/* Bytes escaped per step: the room for the worst case of a step is made
 * at once, and is at most 6 times this. */
#define ESCAPE_STEP 65536

int sl_buf_json_str(struct sl_buf *b, const char *s, size_t len)
{
	size_t i = 0, n;

#ifdef __SSE2__
	if (len < 16) {
		/* Most strings: padded with a byte that needs no escape,
		 * tested at once and stored as sixteen bytes (the room for
		 * them is made), of which len count. */
		char pad[16];
		__m128i x;

		memset(pad, 'a', sizeof(pad));
		memcpy(pad, s, len);
		x = _mm_loadu_si128((const __m128i *)(const void *)pad);
		if (!((unsigned int)sl_escape_mask16(x) & ((1u << len) - 1))) {
			if (b->cap - b->len <= 18 && sl_buf_reserve(b, 18))
				return -ENOMEM;
			b->data[b->len++] = '"';
			_mm_storeu_si128((__m128i *)(void *)(b->data + b->len), x);
			b->len += len;
			b->data[b->len++] = '"';
			b->data[b->len] = '\0';
			return 0;
		}
	}
#endif
	n = sl_json_plain_span(s, len);

	if (n == len) {
		/* Nothing to escape, as most ids and names. */
		if (sl_buf_reserve(b, len + 2))
			return -ENOMEM;
		b->data[b->len++] = '"';
		memcpy(b->data + b->len, s, len);
		b->len += len;
		b->data[b->len++] = '"';
		b->data[b->len] = '\0';
		return 0;
	}
	if (sl_buf_reserve(b, (len < ESCAPE_STEP ? 6 * len : 6 * ESCAPE_STEP) + 2))
		return -ENOMEM;
	b->data[b->len++] = '"';
	while (i < len) {
		n = len - i < ESCAPE_STEP ? len - i : ESCAPE_STEP;
		if (sl_buf_reserve(b, 6 * n + 1))
			return -ENOMEM;
		b->len = (size_t)(escape_into(b->data + b->len, s + i, n) - b->data);
		i += n;
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
	return 0;
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

int sl_buf_read_file(struct sl_buf *b, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	/* Room for the size it has now; a file that grows is read on. */
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    sl_buf_reserve(b, (size_t)st.st_size + 1))
		rc = -ENOMEM;
	while (!rc) {
		ssize_t n;

		if (b->cap - b->len < 2 && sl_buf_reserve(b, 4096)) {
			rc = -ENOMEM;
			break;
		}
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else if (n == 0)
			break;
		else
			b->len += (size_t)n;
	}
	if (b->data)
		b->data[b->len] = '\0';
	close(fd);
	return rc;
}

void sl_buf_release(struct sl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

