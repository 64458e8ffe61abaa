/* route.c - path and method to adapter */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

int sl_routes_build(struct sl_routes *rt, const struct sl_config *cfg)
{
	const struct sl_route rows[] = {
		/* Before the generic two-segment tracardi route. */
		{ "reelevant", "POST", cfg->route_reelevant,
		  &sl_reelevant_adapter },
		{ "beacon.event", "POST", cfg->route_beacon_event,
		  &sl_beacon_event_adapter },
		{ "beacon.pixel", "GET", cfg->route_beacon_pixel,
		  &sl_beacon_pixel_adapter },
		{ "clickstream", "POST", cfg->route_clickstream,
		  &sl_clickstream_adapter },
		{ "health", "GET", cfg->route_health, &sl_health_adapter },
		{ "metrics", "GET", cfg->route_metrics, &sl_metrics_adapter },
		{ "raccoon", "POST", cfg->route_raccoon, &sl_raccoon_adapter },
		{ "tracardi.track", "POST", cfg->route_tracardi_track,
		  &sl_tracardi_track_adapter },
		{ "tracardi.collect", "POST", cfg->route_tracardi_collect,
		  &sl_tracardi_collect_adapter },
	};

	rt->rows = malloc(sizeof(rows));
	if (!rt->rows)
		return -ENOMEM;
	memcpy(rt->rows, rows, sizeof(rows));
	rt->count = sizeof(rows) / sizeof(rows[0]);
	return 0;
}

/* Match path against pattern segment by segment; "{x}" takes one
 * non-empty segment. */
static bool pattern_match(const char *pattern, const char *path,
			  struct sl_capture *caps, size_t *ncaps)
{
	size_t n = 0;

	while (*pattern && *path) {
		if (pattern[0] == '{') {
			const char *close = strchr(pattern, '}');
			size_t len = strcspn(path, "/");

			if (!close || len == 0 || n == SL_MAX_CAPTURES)
				return false;
			caps[n].start = path;
			caps[n].len = len;
			n++;
			pattern = close + 1;
			path += len;
		} else if (*pattern == *path) {
			pattern++;
			path++;
		} else {
			return false;
		}
	}
	*ncaps = n;
	return !*pattern && !*path;
}

const struct sl_route *sl_routes_match(const struct sl_routes *rt,
				       const char *method, const char *path,
				       struct sl_capture *caps, size_t *ncaps,
				       int *status, const char **allow)
{
	size_t i;

	*status = 404;
	*allow = NULL;
	for (i = 0; i < rt->count; i++) {
		const struct sl_route *row = &rt->rows[i];

		if (!row->pattern)
			continue;	/* mounted "off" */
		if (!pattern_match(row->pattern, path, caps, ncaps))
			continue;
		if (!strcmp(row->method, method))
			return row;
		*status = 405;
		if (!*allow)
			*allow = row->method;
	}
	return NULL;
}

void sl_routes_release(struct sl_routes *rt)
{
	free(rt->rows);
	rt->rows = NULL;
	rt->count = 0;
}
