/* fuzz-clickstream.c - POST /collect: query and body (JSON, gzip, base64)
 *
 * Input: the query string, a newline, then the body.
 */
#include "config.h"

#include <stdlib.h>

#include "harness.h"

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body;
	size_t len;
	char *query;

	fuzz_split(data, size, &query, &body, &len);
	fuzz_simple("POST", "/collect", query,
		    "application/json; charset=utf-8", body, len);
	free(query);
	return 0;
}
