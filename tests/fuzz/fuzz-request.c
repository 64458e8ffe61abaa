/* fuzz-request.c - the whole request path: CGI variables and body
 *
 * Input: "NAME=value" lines (CGI variables: REQUEST_METHOD, PATH_INFO,
 * QUERY_STRING, CONTENT_LENGTH, HTTP_*...), an empty line, then the body.
 * Routing, every adapter, gzip and the spool encoding are reached from
 * here; the per-format targets go deeper into one body each.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MAX_PARAMS 32

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *params[MAX_PARAMS + 1];
	const uint8_t *end = data + size, *body = end;
	size_t n = 0, head_len;
	char *head, *p;

	for (const uint8_t *q = data; q + 1 < end; q++)
		if (q[0] == '\n' && q[1] == '\n') {
			body = q + 2;
			break;
		}
	head_len = (size_t)(body - data);
	head = malloc(head_len + 1);
	if (!head)
		return 0;
	memcpy(head, data, head_len);
	head[head_len] = '\0';
	for (p = head; *p && n < MAX_PARAMS;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (strchr(p, '='))
			params[n++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	params[n] = NULL;
	fuzz_request(params, body, (size_t)(end - body));
	free(head);
	return 0;
}
