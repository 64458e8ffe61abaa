/* fuzz-reelevant.c - POST /collect/{datasource}/rlvt
 *
 * Input: the datasource segment, a newline, then the body.
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
	char path[300];
	size_t len;
	char *ds;

	fuzz_split(data, size, &ds, &body, &len);
	snprintf(path, sizeof(path), "/collect/%s/rlvt", ds);
	fuzz_simple("POST", path, NULL, "application/json", body, len);
	free(ds);
	return 0;
}
