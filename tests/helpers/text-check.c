/* text-check.c - the word-at-a-time text routines against byte-by-byte
 * definitions: sl_utf8_is_valid() and sl_buf_json_str(); and
 * sl_format_i64() and sl_hex_encode() against printf, sl_base64_decode()
 * against a decoder of one digit at a time, sl_ip_parse() against
 * inet_pton(3) on addresses with four parts.
 *
 *   text-check [ROUNDS]   exit 0 when every input agreed, else print the
 *                         first disagreement and exit 1
 *
 * Inputs: every byte value at every offset of a 1..24-byte ASCII run (so
 * each lands in each lane of an 8-byte word and in the byte-wise tail),
 * every 2-, 3- and 4-byte UTF-8 form around those offsets, and ROUNDS
 * (default 200000) random strings drawn from bytes that matter. Then
 * integers: the extremes, each power of ten and its neighbours, ROUNDS
 * random ones; every byte value at every place of 64 base64 digits
 * (each lane of the decoder's sixteen-digit steps), ROUNDS random base64
 * texts of up to 199 bytes (digits, padding, a few bytes that are
 * neither) and the encodings of ROUNDS random byte strings;
 * one odd byte (NUL, a lone continuation, a cut lead, 0xff, DEL, a
 * quote, a backslash, a control byte) or a euro sign at every offset of
 * 60..160 bytes; every byte value at every
 * offset of 1..40 bytes in hex; ROUNDS texts of digits and dots around
 * the dotted-quad form.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "codec.h"
#include "net.h"

static unsigned long checked;

/* RFC 3629 by its table of well-formed byte sequences; no NUL. */
static bool utf8_reference(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	unsigned char lo, hi;

	while (i < len) {
		unsigned char c = s[i];

		lo = 0x80, hi = 0xbf;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, lo = c == 0xe0 ? 0xa0 : 0x80,
			hi = c == 0xed ? 0x9f : 0xbf;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, lo = c == 0xf0 ? 0x90 : 0x80,
			hi = c == 0xf4 ? 0x8f : 0xbf;
		else
			return false;
		if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += n + 1;
	}
	return true;
}

/* Append, or stop the check: it has no use without memory. */
static void put(struct sl_buf *b, const char *s, size_t len)
{
	if (sl_buf_append(b, s, len)) {
		fprintf(stderr, "text-check: out of memory\n");
		exit(1);
	}
}

/* JSON string escaping, one byte at a time. */
static void json_reference(struct sl_buf *b, const char *s, size_t len)
{
	size_t i;

	put(b, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			put(b, e, 2);
		} else if (c == '\n') {
			put(b, "\\n", 2);
		} else if (c == '\r') {
			put(b, "\\r", 2);
		} else if (c == '\t') {
			put(b, "\\t", 2);
		} else if (c == '\b') {
			put(b, "\\b", 2);
		} else if (c == '\f') {
			put(b, "\\f", 2);
		} else if (c < 0x20) {
			sl_buf_printf(b, "\\u%04x", c);
		} else {
			put(b, s + i, 1);
		}
	}
	put(b, "\"", 1);
}

static void show(const char *what, const unsigned char *s, size_t len)
{
	size_t i;

	fprintf(stderr, "text-check: %s disagrees on %zu bytes:", what, len);
	for (i = 0; i < len; i++)
		fprintf(stderr, " %02x", s[i]);
	fputc('\n', stderr);
	exit(1);
}

static void check(const unsigned char *s, size_t len)
{
	struct sl_buf got = { 0 }, want = { 0 };
	bool valid = utf8_reference(s, len);
	cJSON *back;

	checked++;
	if (sl_utf8_is_valid((const char *)s, len) != valid)
		show("sl_utf8_is_valid", s, len);
	if (!valid)
		return;
	/* Start at an odd offset in the buffer, as inside a record. */
	put(&got, "x", 1);
	put(&want, "x", 1);
	if (sl_buf_json_str(&got, (const char *)s, len))
		show("sl_buf_json_str (out of memory)", s, len);
	json_reference(&want, (const char *)s, len);
	if (got.len != want.len || memcmp(got.data, want.data, got.len))
		show("sl_buf_json_str", s, len);
	/* And a JSON parser reads the text back unchanged. */
	back = cJSON_Parse(got.data + 1);
	if (!cJSON_IsString(back) || strlen(back->valuestring) != len ||
	    memcmp(back->valuestring, s, len))
		show("sl_buf_json_str (read back)", s, len);
	cJSON_Delete(back);
	sl_buf_release(&got);
	sl_buf_release(&want);
}

/* Base64 decoded a digit at a time, as RFC 4648 reads it: the
 * definition sl_base64_decode() must agree with. */
static int ref_base64(const char *in, size_t len, unsigned char *out,
		      size_t *outlen)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned int acc = 0, bits = 0;
	size_t i, pad = 0;

	*outlen = 0;
	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if ((len + pad) % 4 == 1 || (pad && (len + pad) % 4))
		return -1;
	for (i = 0; i < len; i++) {
		const char *d = in[i] ? strchr(digits, in[i]) : NULL;

		if (!d)
			return -1;
		acc = acc << 6 | (unsigned int)(d - digits);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[(*outlen)++] = (unsigned char)(acc >> bits);
		}
	}
	return 0;
}

/* sl_base64_decode against the definition, on s. */
static void check_base64(const char *s, size_t len)
{
	struct sl_buf b = { 0 };
	unsigned char want[256];
	size_t n;
	int r = ref_base64(s, len, want, &n), got = sl_base64_decode(s, len, &b);

	if ((r == 0) != (got == 0) ||
	    (!r && (b.len != n || (n && memcmp(b.data, want, n))))) {
		printf("text-check: base64 of %zu bytes '%.*s': %s, %s\n", len,
		       (int)len, s, r ? "invalid" : "valid",
		       got ? "refused" : "decoded differently");
		exit(1);
	}
	sl_buf_release(&b);
	checked++;
}

/* Random texts of digits, padding and a few bytes that are neither, and
 * the encodings of random bytes. */
static void check_base64_texts(long rounds)
{
	static const char pool[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		"==== -_\n\x80";
	char s[200];
	unsigned char raw[150];
	long r;
	size_t len, i;
	int c;

	/* Every byte at every place of 64 digits: decoded sixteen at a
	 * step, each place is a lane of a step. */
	for (i = 0; i < 64; i++)
		s[i] = pool[(i * 7) % 64];
	for (i = 0; i < 64; i++) {
		char keep = s[i];

		for (c = 0; c < 256; c++) {
			s[i] = (char)c;
			check_base64(s, 64);
		}
		s[i] = keep;
	}
	for (r = 0; r < rounds; r++) {
		struct sl_buf enc = { 0 };

		len = (size_t)rand() % sizeof(s);
		for (i = 0; i < len; i++)
			s[i] = rand() % 16 ? pool[(size_t)rand() % 64] :
			       pool[64 + (size_t)rand() % (sizeof(pool) - 65)];
		check_base64(s, len);
		len = (size_t)rand() % sizeof(raw);
		for (i = 0; i < len; i++)
			raw[i] = (unsigned char)rand();
		if (sl_base64_encode(raw, len, &enc)) {
			printf("text-check: out of memory\n");
			exit(1);
		}
		check_base64(enc.data ? enc.data : "", enc.len);
		sl_buf_release(&enc);
	}
}

/* sl_format_i64 against printf for v. */
static void check_i64(int64_t v)
{
	char ours[24], theirs[32];
	size_t n = sl_format_i64(v, ours);

	snprintf(theirs, sizeof(theirs), "%lld", (long long)v);
	if (strcmp(ours, theirs) || n != strlen(theirs)) {
		printf("text-check: %s is written %s (length %zu)\n", theirs,
		       ours, n);
		exit(1);
	}
	checked++;
}

/* Every power of ten and its neighbours, both signs, the extremes, and
 * rounds numbers of random lengths. */
static void check_integers(long rounds)
{
	int64_t p = 1, v;
	long r;
	int k, d;

	check_i64(INT64_MAX);
	check_i64(INT64_MIN);
	for (k = 0; k < 19; k++, p = k < 19 ? p * 10 : p)
		for (d = -1; d <= 1; d++) {
			check_i64(p + d);
			check_i64(-(p + d));
		}
	for (r = 0; r < rounds; r++) {
		v = (int64_t)(((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^
			      (uint64_t)rand());
		v >>= rand() % 63;
		check_i64(rand() % 2 ? v : -v);
	}
}

/* sl_hex_encode against printf: each byte value at each offset of
 * each length up to 40 (the 8-byte steps and the tail). */
static void check_hex(void)
{
	unsigned char in[40];
	char ours[81], theirs[81];
	size_t len, at, i;
	unsigned int c;

	for (len = 1; len <= sizeof(in); len++)
		for (at = 0; at < len; at++)
			for (c = 0; c < 256; c++) {
				for (i = 0; i < len; i++)
					in[i] = (unsigned char)(i * 37 + len);
				in[at] = (unsigned char)c;
				memset(ours, 'X', sizeof(ours));
				sl_hex_encode(in, len, ours);
				for (i = 0; i < len; i++)
					snprintf(theirs + 2 * i, 3, "%02x", in[i]);
				if (strcmp(ours, theirs)) {
					printf("text-check: byte %u at %zu of %zu in hex: %s, not %s\n",
					       c, at, len, ours, theirs);
					exit(1);
				}
				checked++;
			}
}

/* sl_ip_parse against inet_pton on text (len bytes): the same verdict,
 * the same address. */
static void check_ip(const char *text, size_t len)
{
	unsigned char ours[16], theirs[16] = { 0 };
	char z[32];
	bool want, got;

	memcpy(z, text, len);
	z[len] = '\0';
	want = inet_pton(AF_INET, z, theirs + 12) == 1;
	theirs[10] = theirs[11] = 0xff;
	if (!want)
		want = inet_pton(AF_INET6, z, theirs) == 1;
	got = sl_ip_parse(text, len, ours) == 0;
	if (got != want || (want && memcmp(ours, theirs, 16))) {
		printf("text-check: address '%s' is %s, inet_pton says %s\n", z,
		       got ? "taken" : "refused", want ? "taken" : "refused");
		exit(1);
	}
	checked++;
}

/* Four parts of one to four digits (leading zeros, 256, 999), now and
 * then a part left out, a letter or a fifth part. */
static void check_addresses(long rounds)
{
	static const char *const edge[] = {
		"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.",
		".1.2.3", "01.2.3.4", "1..2.3", "1.2.3.04", "1.2.3.4x", "",
		"1.2.3.255", "1.2.3.256", "100.64.0.1", "9.99.199.249",
	};
	char t[32];
	size_t i, n;
	long r;
	int part, d;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		check_ip(edge[i], strlen(edge[i]));
	for (r = 0; r < rounds; r++) {
		n = 0;
		for (part = 0; part < 4 + (rand() % 16 == 0); part++) {
			int digits = rand() % 16 ? 1 + rand() % 3 : rand() % 5;

			if (part)
				t[n++] = '.';
			for (d = 0; d < digits; d++)
				t[n++] = (char)(rand() % 8 ? '0' + rand() % 10 :
						rand() % 2 ? '0' : '2');
			if (rand() % 64 == 0)
				t[n++] = 'x';
		}
		check_ip(t, n);
	}
}

int main(int argc, char **argv)
{
	static const unsigned char forms[][4] = {
		{ 0xc3, 0xa9 }, { 0xc0, 0xaf }, { 0xc2, 0x80 }, { 0xdf, 0xbf },
		{ 0xe2, 0x82, 0xac }, { 0xe0, 0x80, 0xaf }, { 0xe0, 0xa0, 0x80 },
		{ 0xed, 0x9f, 0xbf }, { 0xed, 0xa0, 0x80 }, { 0xef, 0xbf, 0xbf },
		{ 0xf0, 0x9f, 0x98, 0x80 }, { 0xf0, 0x80, 0x80, 0xaf },
		{ 0xf4, 0x8f, 0xbf, 0xbf }, { 0xf4, 0x90, 0x80, 0x80 },
		{ 0xf5, 0x80, 0x80, 0x80 }, { 0x80 }, { 0xbf }, { 0xfe }, { 0xff },
	};
	static const unsigned char pool[] = "aZ9 \"\\/\x01\x1f\x7f\t\n"
					    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\xc0\x80";
	unsigned char s[64], big[160];
	long rounds = argc > 1 ? atol(argv[1]) : 200000, r;
	size_t len, at, i, f, flen;
	unsigned int c;

	for (len = 1; len <= 40; len++) {	/* two 16-byte blocks and a tail */
		for (at = 0; at < len; at++) {
			for (c = 0; c < 256; c++) {
				memset(s, 'a', len);
				s[at] = (unsigned char)c;
				check(s, len);
			}
			for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
				flen = strnlen((const char *)forms[f], 4);
				memset(s, 'a', sizeof(s));
				memcpy(s + at, forms[f], flen);
				check(s, len);		/* maybe cut short */
				check(s, at + flen + (len & 7));
			}
		}
	}
	/* Past 64 bytes (the 64-byte steps, then 16, then the tail): one
	 * byte that is not plain ASCII or needs escaping, or a whole
	 * sequence, anywhere. */
	for (len = 60; len <= sizeof(big); len += 5) {
		for (at = 0; at < len; at++) {
			static const unsigned char odd[] = {
				0x00, 0x80, 0xc3, 0xff, 0x7f, '"', '\\', 0x01, 0x1f,
			};

			for (f = 0; f < sizeof(odd); f++) {
				memset(big, 'a', len);
				big[at] = odd[f];
				check(big, len);
			}
			memset(big, 'a', len);
			if (at + 3 <= len) {
				memcpy(big + at, "\xe2\x82\xac", 3);
				check(big, len);
			}
		}
	}
	srand(1);
	for (r = 0; r < rounds; r++) {
		len = (size_t)rand() % sizeof(s);
		for (i = 0; i < len; i++)
			s[i] = rand() % 4 ? 'a' + rand() % 26 :
			       pool[(size_t)rand() % (sizeof(pool) - 1)];
		check(s, len);
	}
	check_integers(rounds);
	check_base64_texts(rounds);
	check_hex();
	check_addresses(rounds);
	printf("text-check: %lu inputs agreed\n", checked);
	return 0;
}
