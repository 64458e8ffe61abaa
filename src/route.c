/* route.c - path and method to adapter */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "route.h"

int sl_routes_build(struct sl_routes *rt, const struct sl_config *cfg)
{
	const struct {
		const char *name, *method, *mounts;
		const struct sl_adapter *adapter;
	} defs[] = {
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
		/* Its usage counters before the calls' {type}. */
		{ "segment.metrics", "POST", cfg->route_segment_metrics,
		  &sl_segment_metrics_adapter },
		{ "segment", "POST", cfg->route_segment, &sl_segment_adapter },
		{ "snowplow.post", "POST", cfg->route_snowplow_post,
		  &sl_snowplow_post_adapter },
		{ "snowplow.get", "GET", cfg->route_snowplow_get,
		  &sl_snowplow_get_adapter },
	};
	const size_t ndefs = sizeof(defs) / sizeof(defs[0]);
	const char *cursor, *item;
	size_t i, len, cap = 0;

	_Static_assert(sizeof(defs) / sizeof(defs[0]) <
		       sizeof(rt->names) / sizeof(rt->names[0]),
		       "room for every route's name");
	memset(rt, 0, sizeof(*rt));
	for (i = 0; i < ndefs; i++) {
		rt->names[i] = defs[i].name;
		cursor = defs[i].mounts ? defs[i].mounts : "";
		while ((item = sl_list_next(&cursor, &len))) {
			struct sl_route *row;

			if (rt->count == cap) {
				cap = cap ? cap * 2 : 16;
				row = realloc(rt->rows, cap * sizeof(*row));
				if (!row)
					goto out_nomem;
				rt->rows = row;
			}
			row = &rt->rows[rt->count];
			row->pattern = strndup(item, len);
			if (!row->pattern)
				goto out_nomem;
			row->lit = strcspn(row->pattern, "{");
			row->name = defs[i].name;
			row->id = (unsigned int)i;
			row->method = defs[i].method;
			row->adapter = defs[i].adapter;
			rt->count++;
		}
	}
	rt->nnames = (unsigned int)ndefs;
	return 0;

out_nomem:
	sl_routes_release(rt);
	return -ENOMEM;
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
	size_t i, plen = strlen(path);

	*status = 404;
	*allow = NULL;
	for (i = 0; i < rt->count; i++) {
		const struct sl_route *row = &rt->rows[i];
		bool exact = !row->pattern[row->lit];	/* no captures */

		/* The literal part at once: a pattern without captures is
		 * the path's length, and most rows are not. */
		if (exact ? plen != row->lit ||
				 memcmp(path, row->pattern, plen) :
				 plen < row->lit ||
				 memcmp(path, row->pattern, row->lit) ||
				 !pattern_match(row->pattern + row->lit,
						path + row->lit, caps, ncaps))
			continue;
		if (exact)
			*ncaps = 0;
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
	size_t i;

	for (i = 0; i < rt->count; i++)
		free(rt->rows[i].pattern);
	free(rt->rows);
	rt->rows = NULL;
	rt->count = 0;
}
