/* fuzz-segment.c - POST /v1/{type}: the Segment calls
 *
 * Input: the call's path segment (track, t, batch, m, anything), a
 * newline, then the body. The write key "wk" is allowed; bodies name it
 * with writeKey, as analytics.js does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body;
	char *call, path[64];
	size_t len;

	fuzz_split(data, size, &call, &body, &len);
	snprintf(path, sizeof(path), "/v1/%.40s", call ? call : "");
	fuzz_simple("POST", path, NULL, "application/json", body, len);
	free(call);
	return 0;
}
