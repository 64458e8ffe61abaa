/* fuzz-snowplow.c - the Snowplow tracker protocol
 *
 * Input: first byte 'G': the rest is the query of GET /i; anything else:
 * the rest is the body of POST tp2.
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
	if (data[0] == 'G') {
		query = strndup((const char *)data + 1, size - 1);
		if (!query)
			return 0;
		fuzz_simple("GET", "/i", query, NULL, NULL, 0);
		free(query);
		return 0;
	}
	fuzz_simple("POST", "/com.snowplowanalytics.snowplow/tp2", NULL,
		    "application/json; charset=UTF-8", data + 1, size - 1);
	return 0;
}
