/* cors.c - cross-origin answers for the browser SDKs */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cors.h"

/* True when origin is one of http.cors_origins (exact match). */
static bool origin_allowed(const struct sl_config *cfg, const char *origin)
{
	const char *cursor = cfg->cors_origins, *item;
	size_t len;

	if (!cursor || !origin || !*origin)
		return false;
	while ((item = sl_list_next(&cursor, &len)))
		if (len == strlen(origin) && !strncasecmp(item, origin, len))
			return true;
	return false;
}

bool sl_cors_answer(const struct sl_config *cfg, const char *origin,
		    struct sl_response *resp)
{
	if (!origin_allowed(cfg, origin))
		return false;
	sl_response_header(resp, "Access-Control-Allow-Origin", origin);
	sl_response_lines(resp, "Access-Control-Allow-Credentials: true\r\n"
				"Vary: Origin\r\n");
	return true;
}

/* Header names only: letters, digits, '-', ',' and spaces. */
static bool header_list_is_plain(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 512 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-, ") == n;
}

bool sl_cors_preflight(const struct sl_config *cfg, const char *origin,
		       const char *method, const char *request_headers,
		       struct sl_response *resp)
{
	char n[16];

	sl_response_set(resp, 204, NULL, NULL, 0);
	if (!sl_cors_answer(cfg, origin, resp))
		return false;
	sl_response_header(resp, "Access-Control-Allow-Methods", method);
	sl_response_header(resp, "Access-Control-Allow-Headers",
			   request_headers && header_list_is_plain(request_headers) ?
			   request_headers : "Content-Type");
	snprintf(n, sizeof(n), "%u", cfg->cors_max_age);
	sl_response_header(resp, "Access-Control-Max-Age", n);
	return true;
}
