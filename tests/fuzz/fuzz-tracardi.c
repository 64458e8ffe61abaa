/* fuzz-tracardi.c - POST /track and POST /collect/{type}/{source}
 *
 * Input: a first line; a line starting with '/' is the path of a collect
 * request (its segments are the type and source), otherwise it is the
 * query of /track. The rest is the body.
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
	char *line;

	fuzz_split(data, size, &line, &body, &len);
	if (line[0] == '/')
		fuzz_simple("POST", line, NULL, "application/json", body, len);
	else
		fuzz_simple("POST", "/track", line, "application/json", body,
			    len);
	free(line);
	return 0;
}
