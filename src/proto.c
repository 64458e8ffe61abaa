/* proto.c - the protobuf wire format, just enough for Raccoon's messages */
#include "config.h"

#include <errno.h>

#include "proto.h"

int sl_pb_varint(struct sl_pb_reader *r, uint64_t *v)
{
	uint64_t x = 0;
	int shift;

	for (shift = 0; shift < 70 && r->p < r->end; shift += 7) {
		unsigned char c = *r->p++;

		if (shift == 63 && c > 1)
			return -EINVAL;	/* past 64 bits */
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

int sl_pb_next(struct sl_pb_reader *r, uint32_t *field, int *wire)
{
	uint64_t tag;

	if (r->p >= r->end)
		return 0;
	if (sl_pb_varint(r, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
		return -EINVAL;
	*field = (uint32_t)(tag >> 3);
	*wire = (int)(tag & 7);
	if (*wire != SL_PB_VARINT && *wire != SL_PB_I64 &&
	    *wire != SL_PB_LEN && *wire != SL_PB_I32)
		return -EINVAL;
	return 1;
}

int sl_pb_bytes(struct sl_pb_reader *r, const unsigned char **data,
		size_t *len)
{
	uint64_t n;

	if (sl_pb_varint(r, &n) || n > (uint64_t)(r->end - r->p))
		return -EINVAL;
	*data = r->p;
	*len = (size_t)n;
	r->p += n;
	return 0;
}

int sl_pb_skip(struct sl_pb_reader *r, int wire)
{
	const unsigned char *data;
	uint64_t v;
	size_t len, n;

	switch (wire) {
	case SL_PB_VARINT:
		return sl_pb_varint(r, &v);
	case SL_PB_LEN:
		return sl_pb_bytes(r, &data, &len);
	case SL_PB_I64:
	case SL_PB_I32:
		n = wire == SL_PB_I64 ? 8 : 4;
		if ((size_t)(r->end - r->p) < n)
			return -EINVAL;
		r->p += n;
		return 0;
	}
	return -EINVAL;
}

static int put_raw_varint(struct sl_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	return sl_buf_append(b, tmp, n);
}

int sl_pb_put_varint(struct sl_buf *b, uint32_t field, uint64_t v)
{
	int rc = put_raw_varint(b, (uint64_t)field << 3 | SL_PB_VARINT);

	return rc ? rc : put_raw_varint(b, v);
}

int sl_pb_put_bytes(struct sl_buf *b, uint32_t field, const void *data,
		    size_t len)
{
	int rc = put_raw_varint(b, (uint64_t)field << 3 | SL_PB_LEN);

	if (!rc)
		rc = put_raw_varint(b, len);
	return rc ? rc : sl_buf_append(b, data, len);
}
