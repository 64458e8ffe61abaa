/* fuzz-raccoon.c - POST /api/v1/events, JSON and protobuf bodies
 *
 * Input: first byte selects the Content-Type ('J': JSON, anything else:
 * protobuf), the rest is the body.
 */
#include "config.h"

#include "harness.h"

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	fuzz_simple("POST", "/api/v1/events", NULL,
		    data[0] == 'J' ? "application/json" : "application/protobuf",
		    data + 1, size - 1);
	return 0;
}
