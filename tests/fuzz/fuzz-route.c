/* fuzz-route.c - the route table with any mount path and any request
 *
 * Input: three lines: a mount path for the Tracardi collect route (any
 * pattern, {segments} and all), the method, then the path requested.
 * Checks that captures lie inside the requested path.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "route.h"

static char *take_line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	const uint8_t *stop = nl ? nl : end;
	char *s = strndup((const char *)*p, (size_t)(stop - *p));

	*p = nl ? nl + 1 : end;
	return s;
}

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct sl_capture caps[SL_MAX_CAPTURES];
	const struct sl_route *row;
	struct sl_config *cfg;
	struct sl_routes rt;
	char *pattern, *method, *path;
	const char *allow;
	size_t ncaps = 0, path_len;
	int status;

	cfg = sl_config_new_defaults();
	pattern = take_line(&p, end);
	method = take_line(&p, end);
	path = take_line(&p, end);
	if (!cfg || !pattern || !method || !path)
		goto out;
	free(cfg->route_tracardi_collect);
	cfg->route_tracardi_collect = pattern;
	pattern = NULL;
	if (sl_routes_build(&rt, cfg))
		goto out;
	path_len = strlen(path);
	row = sl_routes_match(&rt, method, path, caps, &ncaps, &status, &allow);
	if (!row && status != 404 && status != 405)
		abort();
	for (size_t i = 0; row && i < ncaps; i++)
		if (ncaps > SL_MAX_CAPTURES || caps[i].start < path ||
		    caps[i].start + caps[i].len > path + path_len ||
		    !caps[i].len)
			abort();	/* a capture outside the path */
	sl_routes_release(&rt);
out:
	free(pattern);
	free(method);
	free(path);
	sl_config_destroy(cfg);
	return 0;
}
