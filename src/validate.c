/* validate.c - limits and types that hold for every wire format */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "codec.h"
#include "validate.h"

/* One pass over the text: nesting depth and escaped NULs. Strings are
 * skipped as a unit so brackets inside them do not count. */
static const char *scan(const char *p, const char *end)
{
	unsigned int depth = 0;

	while (p < end) {
		char c = *p++;

		if (c == '"') {
			while (p < end && *p != '"') {
				if (*p == '\\') {
					if (end - p >= 6 &&
					    !memcmp(p, "\\u0000", 6))
						return "string holds an escaped NUL (\\u0000)";
					p++;
				}
				p++;
			}
			p++;
		} else if (c == '[' || c == '{') {
			if (++depth > SL_MAX_DEPTH)
				return "JSON nested deeper than 64 levels";
		} else if (c == ']' || c == '}') {
			if (depth)
				depth--;
		}
	}
	return NULL;
}

cJSON *sl_json_parse(const char *text, size_t len, const char **why)
{
	cJSON *root;

	if (len == 0) {
		*why = "empty body";
		return NULL;
	}
	if (!sl_utf8_is_valid(text, len)) {
		*why = "body is not valid UTF-8 text";
		return NULL;
	}
	if ((*why = scan(text, text + len)))
		return NULL;
	/* The length covers the NUL so cJSON rejects trailing garbage. */
	root = cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1);
	if (!root)
		*why = "body is not well-formed JSON";
	return root;
}

int sl_json_get_string(const cJSON *obj, const char *name, bool required,
		       size_t max, const char **out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = NULL;
	if (!item)
		return required ? -ENOENT : 0;
	if (!cJSON_IsString(item) || !item->valuestring[0] ||
	    strlen(item->valuestring) > max)
		return -EINVAL;
	*out = item->valuestring;
	return 0;
}

int sl_json_get_int(const cJSON *obj, const char *name, int64_t *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	double d;

	if (!item)
		return -ENOENT;
	if (!cJSON_IsNumber(item))
		return -EINVAL;
	d = item->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
		return -EINVAL;
	*out = (int64_t)d;
	return 0;
}
