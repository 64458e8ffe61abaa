/* codec.h - byte-level transforms: base64, gzip, SHA-256, UTF-8, hashes */
#ifndef SL_CODEC_H
#define SL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* FNV-1a over n bytes of p, from h: SL_FNV64_BASIS to start, or what an
 * earlier call returned to go on. For hash tables, not for anything a
 * client must not be able to collide. */
#define SL_FNV64_BASIS 0xcbf29ce484222325ull

static inline uint64_t sl_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* A hash of n bytes of p taken eight at a time, for a cache keyed by
 * longer texts (user agents); like FNV-1a, not for anything a client must
 * not be able to collide. */
static inline uint64_t sl_hash_words(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (i < n) {
		/* The last eight bytes again, or the few there are. */
		if (n >= 8) {
			memcpy(&w, b + n - 8, 8);
		} else {
			for (w = 0; i < n; i++)
				w = w << 8 | b[i];
		}
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 29;
	}
	return h;
}

/*
 * Decode padded standard base64 (RFC 4648 section 4) from in into out
 * (appended). Unpadded input of a valid length is accepted too.
 * Returns 0, or -EINVAL for a character or length that is not base64.
 */
int sl_base64_decode(const char *in, size_t len, struct sl_buf *out);

/* Append the padded standard base64 of in to out. Returns 0 or -ENOMEM. */
int sl_base64_encode(const void *in, size_t len, struct sl_buf *out);

/* True when the bytes start with the gzip magic 1f 8b. */
bool sl_is_gzip(const void *in, size_t len);

/*
 * Inflate one gzip member from in into out (appended), producing at most
 * max bytes. Returns 0; -E2BIG when the output would pass max (the
 * decompression-bomb case: work stops there); -EINVAL for a corrupt,
 * truncated or trailing-garbage stream; -ENOMEM.
 */
int sl_gunzip(const void *in, size_t len, size_t max, struct sl_buf *out);

/* in[0..n) as 2n lowercase hex digits and a NUL into out. Eight bytes a
 * step with SSE2: an event id and a request id are written for every
 * event. */
void sl_hex_encode(const unsigned char *in, size_t n, char *out);

/*
 * Write the lowercase hex SHA-256 of in to hex (65 bytes with the NUL).
 * Returns 0.
 */
int sl_sha256_hex(const void *in, size_t len, char hex[65]);

/*
 * True when s is well-formed UTF-8: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing past U+10FFFF. NUL bytes are rejected too,
 * since no text field of any format may carry one.
 */
bool sl_utf8_is_valid(const char *s, size_t len);

#endif /* SL_CODEC_H */
