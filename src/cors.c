/* cors.c - cross-origin answers for the browser SDKs */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cors.h"

/* True when origin is one of http.cors_origins (kept as "a,b,c"; the
 * same origin but for case matches too). */
static bool origin_allowed(const struct sl_config *cfg, const char *origin)
{
	const char *p = cfg->cors_origins, *end;
	size_t n, len;

	if (!p || !origin || !*origin)
		return false;
	n = strlen(origin);
	for (;; p = end + 1) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && (!memcmp(p, origin, n) ||
				 !strncasecmp(p, origin, n)))
			return true;
		if (!end)
			return false;
	}
}

bool sl_cors_answer(const struct sl_config *cfg, const char *origin,
		    struct sl_response *resp)
{
	if (!origin_allowed(cfg, origin))
		return false;
	/* One of the configured origins: no CR or LF in it. */
	sl_response_lines(resp, "Access-Control-Allow-Origin: ");
	sl_response_lines(resp, origin);
	sl_response_lines(resp, "\r\nAccess-Control-Allow-Credentials: true\r\n"
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
