/* codec.c - byte-level transforms: base64, gzip, SHA-256, UTF-8 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "codec.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sl_base64_decode(const char *in, size_t len, struct sl_buf *out)
{
	unsigned char quad[4];
	size_t i, n = 0, pad = 0;

	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if ((len + pad) % 4 == 1 || (pad && (len + pad) % 4))
		return -EINVAL;
	if (sl_buf_reserve(out, len / 4 * 3 + 3))
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);

		if (v < 0)
			return -EINVAL;
		quad[n++] = (unsigned char)v;
		if (n == 4) {
			out->data[out->len++] = (char)(quad[0] << 2 | quad[1] >> 4);
			out->data[out->len++] = (char)(quad[1] << 4 | quad[2] >> 2);
			out->data[out->len++] = (char)(quad[2] << 6 | quad[3]);
			n = 0;
		}
	}
	if (n >= 2)
		out->data[out->len++] = (char)(quad[0] << 2 | quad[1] >> 4);
	if (n == 3)
		out->data[out->len++] = (char)(quad[1] << 4 | quad[2] >> 2);
	out->data[out->len] = '\0';
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

int sl_sha256_hex(const void *in, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!EVP_Digest(in, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	return 0;
}

bool sl_utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;

	while (p < end) {
		unsigned char c = *p;
		unsigned int cp, need, i;

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
