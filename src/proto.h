/* proto.h - the protobuf wire format, just enough for Raccoon's messages */
#ifndef SL_PROTO_H
#define SL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum sl_pb_wire {
	SL_PB_VARINT = 0,
	SL_PB_I64 = 1,
	SL_PB_LEN = 2,
	SL_PB_I32 = 5,
};

/* A cursor over one message's bytes. */
struct sl_pb_reader {
	const unsigned char *p;
	const unsigned char *end;
};

/*
 * Read the next field's tag. Returns 1 with *field and *wire set, 0 at
 * the end of the message, -EINVAL for a malformed tag, a field number of
 * 0, or a group wire type (3, 4: never used by these messages).
 */
int sl_pb_next(struct sl_pb_reader *r, uint32_t *field, int *wire);

/* Read a varint (at most 10 bytes). Returns 0 or -EINVAL. */
int sl_pb_varint(struct sl_pb_reader *r, uint64_t *v);

/*
 * Read a length-delimited value: *data points into the message, *len is
 * at most what is left of it. Returns 0 or -EINVAL (a length past the
 * end, however large it claims to be).
 */
int sl_pb_bytes(struct sl_pb_reader *r, const unsigned char **data,
		size_t *len);

/* Skip a value of wire type wire. Returns 0 or -EINVAL. */
int sl_pb_skip(struct sl_pb_reader *r, int wire);

/* Append field as a varint. Returns 0 or -ENOMEM. */
int sl_pb_put_varint(struct sl_buf *b, uint32_t field, uint64_t v);

/* Append field as length-delimited bytes. Returns 0 or -ENOMEM. */
int sl_pb_put_bytes(struct sl_buf *b, uint32_t field, const void *data,
		    size_t len);

#endif /* SL_PROTO_H */
