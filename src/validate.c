/* validate.c - limits and types that hold for every wire format */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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
			for (;;) {
				if (p < end)
					p += sl_json_plain_span(p, (size_t)(end - p));
				if (p >= end || *p == '"')
					break;
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

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string,
		      (*(const cJSON *const *)b)->string);
}

/* True when some object in the tree names a member twice: one sorted
 * copy of each big object's names, so a body of 100,000 keys costs
 * n log n, not n squared. -ENOMEM counts as a duplicate (refused). */
static bool has_duplicate_key(const cJSON *node)
{
	const cJSON *c, *d, **names;
	size_t n = 0, i;
	bool dup = false;

	for (c = node->child; c; c = c->next, n++)
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    has_duplicate_key(c))
			return true;
	if (!cJSON_IsObject(node) || n < 2)
		return false;
	if (n <= 8) {
		for (c = node->child; c && !dup; c = c->next)
			for (d = c->next; d && !dup; d = d->next)
				dup = !strcmp(c->string, d->string);
		return dup;
	}
	names = malloc(n * sizeof(*names));
	if (!names)
		return true;
	for (i = 0, c = node->child; c; c = c->next)
		names[i++] = c;
	qsort(names, n, sizeof(*names), by_name);
	for (i = 1; i < n && !dup; i++)
		dup = !strcmp(names[i - 1]->string, names[i]->string);
	free(names);
	return dup;
}

/* True when a number overflowed to infinity (1e400): it would be written
 * back as null, silently changing what the client sent. */
static bool has_huge_number(const cJSON *node)
{
	const cJSON *c;

	if (cJSON_IsNumber(node))
		return !isfinite(node->valuedouble);
	for (c = node->child; c; c = c->next)
		if (has_huge_number(c))
			return true;
	return false;
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
	if (!root) {
		*why = "body is not well-formed JSON";
	} else if (has_huge_number(root)) {
		*why = "a number is out of range (past +-1.8e308)";
		cJSON_Delete(root);
		root = NULL;
	} else if (has_duplicate_key(root)) {
		*why = "an object names the same member twice";
		cJSON_Delete(root);
		root = NULL;
	}
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
	if (!isfinite(d) || d != floor(d) || fabs(d) > SL_JSON_MAX_INT)
		return -EINVAL;
	*out = (int64_t)d;
	return 0;
}

bool sl_section_id_is_valid(enum sl_section_kind kind, const char *s,
			    size_t len)
{
	size_t i;

	if (len == 0 || len > SL_MAX_SECTION_ID)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '-' &&
		    (kind == SL_SECTION_DATASOURCE || (c != '.' && c != ':')))
			return false;
	}
	return true;
}

bool sl_topic_is_legal(const char *t)
{
	size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n && n <= SL_TOPIC_MAX && !t[n] && strcmp(t, ".") &&
	       strcmp(t, "..");
}
