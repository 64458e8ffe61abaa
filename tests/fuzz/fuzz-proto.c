/* fuzz-proto.c - the protobuf reader on any bytes
 *
 * Walks the input as a message, reading every field by its wire type and
 * descending into each length-delimited value as a nested message (to
 * depth 8), the way Raccoon's decoder does. Checks that no read moves the
 * cursor outside the message.
 */
#include "config.h"

#include <stdlib.h>

#include "proto.h"

static void walk(const unsigned char *p, size_t len, int depth)
{
	struct sl_pb_reader r = { .p = p, .end = p + len };
	const unsigned char *data;
	uint32_t field;
	uint64_t v;
	size_t n;
	int wire;

	while (sl_pb_next(&r, &field, &wire) == 1) {
		if (wire == SL_PB_VARINT) {
			if (sl_pb_varint(&r, &v))
				return;
		} else if (wire == SL_PB_LEN) {
			if (sl_pb_bytes(&r, &data, &n))
				return;
			if (data < p || data + n > p + len)
				abort();	/* a value outside its message */
			if (depth < 8)
				walk(data, n, depth + 1);
		} else if (sl_pb_skip(&r, wire)) {
			return;
		}
		if (r.p < p || r.p > r.end)
			abort();
	}
}

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk(data, size, 0);
	return 0;
}
