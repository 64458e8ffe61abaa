/* codec.c - byte-level transforms: base64, gzip, SHA-256, UTF-8 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <tmmintrin.h>
#define SL_B64_SSSE3 1
#endif

#include <zlib.h>

#include "codec.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Each byte's value as a base64 digit, X for a byte that is not one. */
#define X 0xff
static const unsigned char b64_value[256] = {
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X

/*
 * The same values placed where each of a group's four digits goes in its
 * 24 bits (the first digit's at 18, the last's at 0), so that a group is
 * four lookups or-ed together; a byte that is no digit sets bit 24.
 */
#define B64V(c) ((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : \
		 (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 : \
		 (c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : \
		 (c) == '+' ? 62 : (c) == '/' ? 63 : -1)
#define B64AT(c, shift) \
	(B64V(c) < 0 ? UINT32_C(1) << 24 : (uint32_t)B64V(c) << (shift))
#define R4(f, n) f(n), f((n) + 1), f((n) + 2), f((n) + 3)
#define R16(f, n) R4(f, n), R4(f, (n) + 4), R4(f, (n) + 8), R4(f, (n) + 12)
#define R64(f, n) R16(f, n), R16(f, (n) + 16), R16(f, (n) + 32), \
	R16(f, (n) + 48)
#define R256(f) R64(f, 0), R64(f, 64), R64(f, 128), R64(f, 192)
#define AT18(c) B64AT(c, 18)
#define AT12(c) B64AT(c, 12)
#define AT6(c) B64AT(c, 6)
#define AT0(c) B64AT(c, 0)
static const uint32_t b64_at18[256] = { R256(AT18) };
static const uint32_t b64_at12[256] = { R256(AT12) };
static const uint32_t b64_at6[256] = { R256(AT6) };
static const uint32_t b64_at0[256] = { R256(AT0) };
#undef AT18
#undef AT12
#undef AT6
#undef AT0
#undef R256
#undef R64
#undef R16
#undef R4
#undef B64AT
#undef B64V

#ifdef SL_B64_SSSE3
/*
 * Sixteen digits a step with SSSE3 (every x86-64 made since 2006; asked
 * at run time, the build targets plain x86-64): each byte's high and low
 * nibble pick a class bit from two tables, and a byte is a digit when
 * its two bits do not meet. A digit's value is the byte plus an offset
 * its high nibble picks ('/' moved to a nibble of its own); two
 * multiply-adds pack 4 x 6 bits into 24, and one shuffle puts the
 * twelve bytes in order. Stops before a step of less than sixteen or
 * with a byte that is no digit, which the caller's groups then meet.
 * Writes sixteen bytes for twelve: o has four bytes of room beyond.
 */
__attribute__((target("ssse3")))
static const unsigned char *b64_decode_steps(const unsigned char *p,
					     const unsigned char *end,
					     unsigned char **op)
{
	/* Class bits: 1 no digit in the row at all, 2 the row of '+' and
	 * '/', 4 digits, 8 'A'-'O' and 'a'-'o', 16 'P'-'Z' and 'p'-'z'. A
	 * low nibble's entry holds the rows where it is no digit. */
	const __m128i by_lo = _mm_setr_epi8(0x0b, 0x03, 0x03, 0x03, 0x03, 0x03,
					    0x03, 0x03, 0x03, 0x03, 0x07, 0x15,
					    0x17, 0x17, 0x17, 0x15);
	const __m128i by_hi = _mm_setr_epi8(0x01, 0x01, 0x02, 0x04, 0x08, 0x10,
					    0x08, 0x10, 0x01, 0x01, 0x01, 0x01,
					    0x01, 0x01, 0x01, 0x01);
	/* Offsets by high nibble; '/' reads entry 1. */
	const __m128i offset = _mm_setr_epi8(0, 63 - '/', 62 - '+', 52 - '0',
					     -'A', -'A', 26 - 'a', 26 - 'a',
					     0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i nibble = _mm_set1_epi8(0x0f), slash = _mm_set1_epi8('/');
	const __m128i zero = _mm_setzero_si128();
	const __m128i pair = _mm_set1_epi32(0x01400140);	/* a * 64 + b */
	const __m128i quad = _mm_set1_epi32(0x00011000);	/* ab * 4096 + cd */
	const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8,
					    14, 13, 12, -1, -1, -1, -1);
	unsigned char *o = *op;

	for (; end - p >= 16; p += 16, o += 12) {
		__m128i c = _mm_loadu_si128((const __m128i *)p);
		__m128i hi = _mm_and_si128(_mm_srli_epi32(c, 4), nibble);
		__m128i bad = _mm_and_si128(
			_mm_shuffle_epi8(by_lo, _mm_and_si128(c, nibble)),
			_mm_shuffle_epi8(by_hi, hi));
		__m128i v;

		if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, zero)) != 0xffff)
			break;
		hi = _mm_add_epi8(hi, _mm_cmpeq_epi8(c, slash));
		v = _mm_add_epi8(c, _mm_shuffle_epi8(offset, hi));
		v = _mm_madd_epi16(_mm_maddubs_epi16(v, pair), quad);
		_mm_storeu_si128((__m128i *)o, _mm_shuffle_epi8(v, order));
	}
	*op = o;
	return p;
}
#endif

int sl_base64_decode(const char *in, size_t len, struct sl_buf *out)
{
	const unsigned char *p = (const unsigned char *)in, *end;
	unsigned char *o;
	size_t pad = 0, rest;

	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if ((len + pad) % 4 == 1 || (pad && (len + pad) % 4))
		return -EINVAL;
	/* Room for the tail's two bytes and the NUL, or for the steps'
	 * four bytes written beyond. */
	if (sl_buf_reserve(out, len / 4 * 3 + 4))
		return -ENOMEM;
	o = (unsigned char *)out->data + out->len;
	end = p + len / 4 * 4;
#ifdef SL_B64_SSSE3
	if (end - p >= 16 && __builtin_cpu_supports("ssse3"))
		p = b64_decode_steps(p, end, &o);
#endif
	/* Four digits at a time through a local pointer, each group's 24
	 * bits or-ed from the four placed tables. */
	for (; p < end; p += 4) {
		uint32_t v = b64_at18[p[0]] | b64_at12[p[1]] | b64_at6[p[2]] |
			     b64_at0[p[3]];

		if (v >> 24)
			return -EINVAL;
		o[0] = (unsigned char)(v >> 16);
		o[1] = (unsigned char)(v >> 8);
		o[2] = (unsigned char)v;
		o += 3;
	}
	rest = len % 4;		/* 0, 2 or 3 */
	if (rest) {
		unsigned int a = b64_value[p[0]], b = b64_value[p[1]],
			     c = rest == 3 ? b64_value[p[2]] : 0;

		if ((a | b | c) & 0x80)
			return -EINVAL;
		*o++ = (unsigned char)(a << 2 | b >> 4);
		if (rest == 3)
			*o++ = (unsigned char)(b << 4 | c >> 2);
	}
	*o = '\0';
	out->len = (size_t)((char *)o - out->data);
	return 0;
}

int sl_base64_encode(const void *in, size_t len, struct sl_buf *out)
{
	const unsigned char *p = in;
	size_t i;
	char *o;

	if (len > (SIZE_MAX / 4) * 3 - 3 || sl_buf_reserve(out, (len + 2) / 3 * 4))
		return -ENOMEM;
	o = out->data + out->len;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64_alphabet[p[i] >> 2];
		*o++ = b64_alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = b64_alphabet[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = b64_alphabet[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64_alphabet[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64_alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*o++ = b64_alphabet[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64_alphabet[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
}

bool sl_is_gzip(const void *in, size_t len)
{
	const unsigned char *p = in;

	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

int sl_gunzip(const void *in, size_t len, size_t max, struct sl_buf *out)
{
	z_stream zs;
	size_t start = out->len;
	int zrc, rc = 0;

	if (len > UINT_MAX)
		return -E2BIG;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	do {
		size_t room;

		if (out->len - start >= max) {
			/* Full: one more byte of output means over the limit. */
			unsigned char probe;

			zs.next_out = &probe;
			zs.avail_out = 1;
			zrc = inflate(&zs, Z_NO_FLUSH);
			rc = zs.avail_out == 0 ? -E2BIG :
			     zrc == Z_STREAM_END ? 0 : -EINVAL;
			break;
		}
		if (sl_buf_reserve(out, 16384)) {
			rc = -ENOMEM;
			break;
		}
		room = out->cap - out->len - 1;
		if (room > max - (out->len - start))
			room = max - (out->len - start);
		zs.next_out = (Bytef *)out->data + out->len;
		zs.avail_out = (uInt)room;
		zrc = inflate(&zs, Z_NO_FLUSH);
		out->len += room - zs.avail_out;
		if (zrc == Z_STREAM_END)
			break;
		if (zrc == Z_BUF_ERROR && zs.avail_in == 0) {
			rc = -EINVAL;	/* truncated */
			break;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = zrc == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
	} while (1);
	if (!rc && zs.avail_in != 0)
		rc = -EINVAL;	/* bytes after the gzip member */
	inflateEnd(&zs);
	if (out->data)
		out->data[out->len] = '\0';
	return rc;
}

/*
 * SHA-256 (FIPS 180-4), here rather than from libcrypto: a CGI process
 * hashes at most one body, and mapping and relocating libcrypto cost
 * more than the whole request.
 */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

/* Fold one 64-byte block into the state h. */
static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3) +
		       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10);
	memcpy(v, h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha256_k[i] + w[i];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += v[i];
}

void sl_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i = 0;

#ifdef __SSE2__
	for (; n - i >= 8; i += 8, out += 16) {
		__m128i x = _mm_loadl_epi64((const __m128i *)(const void *)(in + i));
		__m128i lo = _mm_and_si128(x, _mm_set1_epi8(0x0f));
		__m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4),
					   _mm_set1_epi8(0x0f));
		/* high nibble first: "ab" for 0xab */
		__m128i v = _mm_unpacklo_epi8(hi, lo);
		__m128i letter = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(9)),
					       _mm_set1_epi8('a' - '0' - 10));

		v = _mm_add_epi8(_mm_add_epi8(v, _mm_set1_epi8('0')), letter);
		_mm_storeu_si128((__m128i *)(void *)out, v);
	}
#endif
	for (; i < n; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 15];
	}
	*out = '\0';
}

int sl_sha256_hex(const void *in, size_t len, char hex[65])
{
	uint32_t h[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	const unsigned char *p = in;
	unsigned char last[128] = { 0 };
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, n, i;

	for (; len >= 64; p += 64, len -= 64)
		sha256_block(h, p);
	/* The tail, the 0x80 marker and the length in bits: one or two
	 * blocks. */
	rest = len;
	if (rest)
		memcpy(last, p, rest);
	last[rest] = 0x80;
	n = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		last[n - 1 - i] = (unsigned char)(bits >> (8 * i));
	for (i = 0; i < n; i += 64)
		sha256_block(h, last + i);
	for (i = 0; i < 32; i++)
		last[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
	sl_hex_encode(last, 32, hex);
	return 0;
}

#define LOW7 UINT64_C(0x7f7f7f7f7f7f7f7f)
#define HIGH1 UINT64_C(0x8080808080808080)

#ifdef __SSE2__
/* True when the sixteen bytes at p are ASCII and none is NUL. */
static inline bool ascii16(const void *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)p);

	return !_mm_movemask_epi8(x) &&
	       !_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128()));
}
#endif

bool sl_utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;

#ifdef __SSE2__
	/* Most texts are short and ASCII: one test for all of them, on the
	 * text padded with 'a' (an ASCII text whatever it holds). */
	if (len < 16) {
		char pad[16];

		memset(pad, 'a', sizeof(pad));
		memcpy(pad, s, len);
		if (ascii16(pad))
			return true;
	}
#endif
	while (p < end) {
		unsigned char c;
		unsigned int cp, need, i;
		uint64_t w;

#ifdef __SSE2__
		/* Sixty-four ASCII bytes at a time, then sixteen: no high
		 * bit (in the or of them), no NUL (in their minimum). */
		while (end - p >= 64) {
			const __m128i *q = (const __m128i *)(const void *)p;
			__m128i a = _mm_loadu_si128(q), b = _mm_loadu_si128(q + 1),
				c2 = _mm_loadu_si128(q + 2),
				d = _mm_loadu_si128(q + 3);
			__m128i any = _mm_or_si128(_mm_or_si128(a, b),
						   _mm_or_si128(c2, d));
			__m128i low = _mm_min_epu8(_mm_min_epu8(a, b),
						   _mm_min_epu8(c2, d));

			if (_mm_movemask_epi8(any) ||
			    _mm_movemask_epi8(_mm_cmpeq_epi8(low,
							     _mm_setzero_si128())))
				break;
			p += 64;
		}
		while (end - p >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

			if (_mm_movemask_epi8(x) ||
			    _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())))
				break;
			p += 16;
		}
		if (p >= end)
			break;
		/* Fewer than sixteen left: the last sixteen of the text
		 * (some already seen) all ASCII means the rest is. */
		if (end - p < 16 && len >= 16 && ascii16(end - 16))
			break;
#endif
		c = *p;

		/* Most text is ASCII: eight bytes at a time while every one
		 * has its high bit clear and is not NUL. Adding 0x7f to the
		 * low seven bits of a byte sets its high bit unless they are
		 * all zero, and cannot carry into the next byte. */
		if (end - p >= 8) {
			memcpy(&w, p, 8);
			if ((((w & LOW7) + LOW7) & ~w & HIGH1) == HIGH1) {
				p += 8;
				continue;
			}
		}
		if (c == 0)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;	/* continuation, overlong lead, or > f4 */
		}
		if ((size_t)(end - p) <= need)
			return false;
		for (i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += need + 1;
	}
	return true;
}
