/* route.h - path and method to adapter */
#ifndef SL_ROUTE_H
#define SL_ROUTE_H

#include <stddef.h>

#include "adapter.h"
#include "conf.h"

/* One row of the table. */
struct sl_route {
	const char *name;	/* for logs and metrics: "beacon.pixel" */
	unsigned int id;	/* the route's number, one per name */
	const char *method;	/* "GET", "POST" */
	char *pattern;		/* "/collect" or "/collect/{id}/rlvt" (owned) */
	size_t lit;		/* its bytes before the first '{', all
				 * when it has none */
	const struct sl_adapter *adapter;
};

/* The table, in match order: the first row whose pattern and method
 * match wins, so specific patterns come before generic ones. A route
 * mounted at several paths has a row for each, all with its name and id. */
struct sl_routes {
	struct sl_route *rows;
	size_t count;
	const char *names[16];	/* by id */
	unsigned int nnames;
};

/* Build the table from the configured mount paths (each a comma-separated
 * list of paths). Returns 0/-ENOMEM. */
int sl_routes_build(struct sl_routes *rt, const struct sl_config *cfg);

/*
 * Find the row for method and path and fill caps with the {name}
 * segments. Returns the row, or NULL with *status 404 (no pattern
 * matches) or 405 (a pattern matches but not the method; *allow then
 * names the method that would).
 */
const struct sl_route *sl_routes_match(const struct sl_routes *rt,
				       const char *method, const char *path,
				       struct sl_capture *caps, size_t *ncaps,
				       int *status, const char **allow);

/* Free the table. */
void sl_routes_release(struct sl_routes *rt);

#endif /* SL_ROUTE_H */
