/* fuzz-beacon.c - POST /e bodies and GET /pixel queries
 *
 * Input: first byte selects the route ('P': the pixel, the rest is its
 * query; anything else: the rest is the body of POST /e, sent as
 * application/json or, for an odd byte, text/plain as sendBeacon does).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *query;

	if (!size)
		return 0;
	if (data[0] == 'P') {
		query = strndup((const char *)data + 1, size - 1);
		if (!query)
			return 0;
		fuzz_simple("GET", "/pixel", query, NULL, NULL, 0);
		free(query);
		return 0;
	}
	fuzz_simple("POST", "/e", NULL,
		    data[0] & 1 ? "text/plain;charset=UTF-8" : "application/json",
		    data + 1, size - 1);
	return 0;
}
