/* spoolline.c - a record as one line of a spool file, and back */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "codec.h"
#include "fault.h"
#include "spoolline.h"
#include "validate.h"

int sl_record_to_line(const struct sl_record *rec, struct sl_buf *line)
{
	size_t mark = line->len, i;
	int rc;

	if (sl_fault(SL_FAULT_SPOOL_LINE))
		return -ENOMEM;
	rc = sl_buf_puts(line, "{\"topic\":");
	if (!rc)
		rc = sl_buf_json_str(line, rec->topic, strlen(rec->topic));
	if (!rc)
		rc = sl_buf_puts(line, ",\"key\":");
	if (!rc)
		rc = rec->key ? sl_buf_json_str(line, rec->key, strlen(rec->key)) :
		     sl_buf_puts(line, "null");
	if (!rc)
		rc = sl_buf_puts(line, ",\"headers\":{");
	for (i = 0; i < rec->nheaders && !rc; i++) {
		if (i)
			rc = sl_buf_puts(line, ",");
		if (!rc)
			rc = sl_json_put_text(line, rec->headers[i].name,
					      rec->headers[i].value,
					      strlen(rec->headers[i].value));
	}
	if (!rc)
		rc = sl_buf_puts(line, "},");
	if (!rc)
		rc = sl_json_put_text(line, "value", rec->value.data,
				      rec->value.len);
	if (!rc)
		rc = sl_buf_puts(line, "}\n");
	if (rc)
		line->len = mark;	/* no half line */
	return rc;
}

/* A header name as Sluice writes them: [a-z0-9_], nothing to escape. */
static bool header_name_is_plain(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return n && !s[n];
}

static bool ends_b64(const char *s)
{
	size_t n = strlen(s);

	return n > 4 && !strcmp(s + n - 4, "_b64");
}

/* A header written as "name_b64": decode it in place, in the tree. */
static int decode_b64_header(cJSON *h)
{
	struct sl_buf raw = { 0 };
	size_t n = strlen(h->string) - 4;
	int rc = sl_base64_decode(h->valuestring, strlen(h->valuestring), &raw);

	if (!rc && raw.len && memchr(raw.data, '\0', raw.len))
		rc = -EINVAL;	/* header values are C strings */
	if (!rc) {
		/* Decoded is shorter than its base64: it fits. */
		if (raw.len)
			memcpy(h->valuestring, raw.data, raw.len);
		h->valuestring[raw.len] = '\0';
		h->string[n] = '\0';
	}
	sl_buf_release(&raw);
	return rc;
}

int sl_record_from_line(const char *line, size_t len, cJSON **tree,
			struct sl_record *rec)
{
	const cJSON *topic, *key, *headers, *value;
	cJSON *h;

	memset(rec, 0, sizeof(*rec));
	*tree = cJSON_ParseWithLength(line, len);
	if (!*tree)
		return -EINVAL;
	topic = cJSON_GetObjectItemCaseSensitive(*tree, "topic");
	key = cJSON_GetObjectItemCaseSensitive(*tree, "key");
	headers = cJSON_GetObjectItemCaseSensitive(*tree, "headers");
	if (!cJSON_IsString(topic) || !sl_topic_is_legal(topic->valuestring) ||
	    (key && !cJSON_IsString(key) && !cJSON_IsNull(key)) ||
	    (headers && !cJSON_IsObject(headers)))
		return -EINVAL;
	rec->topic = topic->valuestring;
	rec->key = cJSON_IsString(key) ? key->valuestring : NULL;
	cJSON_ArrayForEach(h, headers) {
		if (!cJSON_IsString(h) || rec->nheaders == SL_MAX_HEADERS ||
		    !header_name_is_plain(h->string))
			return -EINVAL;
		/* "x_b64" is x in base64. No name of Sluice's own ends in
		 * _b64, so "x_b64_b64" is not a line Sluice wrote: x_b64
		 * could not be written back without turning into x. */
		if (ends_b64(h->string) &&
		    (decode_b64_header(h) || ends_b64(h->string)))
			return -EINVAL;
		rec->headers[rec->nheaders].name = h->string;
		rec->headers[rec->nheaders].value = h->valuestring;
		rec->nheaders++;
	}
	if ((value = cJSON_GetObjectItemCaseSensitive(*tree, "value")) &&
	    cJSON_IsString(value))
		return sl_buf_puts(&rec->value, value->valuestring);
	if ((value = cJSON_GetObjectItemCaseSensitive(*tree, "value_b64")) &&
	    cJSON_IsString(value))
		return sl_base64_decode(value->valuestring,
					strlen(value->valuestring), &rec->value);
	return -EINVAL;
}
