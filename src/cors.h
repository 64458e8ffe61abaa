/* cors.h - cross-origin answers for the browser SDKs */
#ifndef SL_CORS_H
#define SL_CORS_H

#include <stdbool.h>

#include "conf.h"
#include "response.h"

/*
 * Add the headers that let a page at origin read the answer with
 * credentials: Access-Control-Allow-Origin: <origin> (never *),
 * -Credentials: true, Vary: Origin. Nothing for an origin not in the list.
 * Returns true when the headers were added.
 */
bool sl_cors_answer(const struct sl_config *cfg, const char *origin,
		    struct sl_response *resp);

/*
 * Answer a preflight (OPTIONS) for a route that takes method: 204 with
 * -Allow-Methods, -Allow-Headers (the requested ones, when they are plain
 * header names) and -Max-Age, besides the headers above. Returns false,
 * with a bare 204, when origin is not allowed.
 */
bool sl_cors_preflight(const struct sl_config *cfg, const char *origin,
		       const char *method, const char *request_headers,
		       struct sl_response *resp);

#endif /* SL_CORS_H */
