/* record.c - events and the Kafka records they become */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "record.h"

/* Each id's member, as the record writes it after the one before. */
static const struct {
	const char *text;
	size_t len;
} id_keys[SL_ID_COUNT] = {
#define KEY(s) { s, sizeof(s) - 1 }
	[SL_ID_DEVICE] = KEY(",\"ids\":{\"device\":"),
	[SL_ID_USER] = KEY(",\"user\":"),
	[SL_ID_PROFILE] = KEY(",\"profile\":"),
	[SL_ID_SESSION] = KEY(",\"session\":"),
#undef KEY
};
_Static_assert(SL_ID_DEVICE == 0, "the device id opens \"ids\"");

/* sep (may be ""), then "name" and tail: a member name of the code's
 * own, which needs no escaping. No printf: this runs for every field. */
static inline __attribute__((always_inline))
int put_key(struct sl_buf *b, const char *sep, const char *name,
		   const char *tail)
{
	size_t ls = strlen(sep), ln = strlen(name), lt = strlen(tail);
	char *p;

	if (sl_buf_reserve(b, ls + ln + lt + 2))
		return -ENOMEM;
	p = b->data + b->len;
	memcpy(p, sep, ls);
	p[ls] = '"';
	memcpy(p + ls + 1, name, ln);
	p[ls + 1 + ln] = '"';
	memcpy(p + ls + ln + 2, tail, lt);
	b->len += ls + ln + lt + 2;
	b->data[b->len] = '\0';
	return 0;
}

int sl_json_put_text(struct sl_buf *b, const char *name, const void *s,
		     size_t len)
{
	int rc;

	if (sl_utf8_is_valid(s, len)) {
		rc = put_key(b, "", name, ":");
		return rc ? rc : sl_buf_json_str(b, s, len);
	}
	rc = sl_buf_printf(b, "\"%s_b64\":\"", name);
	if (!rc)
		rc = sl_base64_encode(s, len, b);
	return rc ? rc : sl_buf_append(b, "\"", 1);
}

/* ,"name":v */
static inline __attribute__((always_inline))
int put_i64(struct sl_buf *b, const char *name, int64_t v)
{
	int rc = put_key(b, ",", name, ":");

	return rc ? rc : sl_buf_put_i64(b, v);
}

/* ,"name":"v" as they are, in one reservation: v (len bytes) needs no
 * check or escape. */
static inline __attribute__((always_inline))
int put_quoted(struct sl_buf *b, const char *name, const char *v, size_t len)
{
	size_t ln = strlen(name);
	char *p;

	if (sl_buf_reserve(b, ln + len + 6))
		return -ENOMEM;
	p = b->data + b->len;
	p[0] = ',';
	p[1] = '"';
	memcpy(p + 2, name, ln);
	memcpy(p + 2 + ln, "\":\"", 3);
	memcpy(p + 5 + ln, v, len);
	p[5 + ln + len] = '"';
	b->len += ln + len + 6;
	b->data[b->len] = '\0';
	return 0;
}

#ifdef __SSE2__
/* Of the sixteen bytes x, those that are not printable ASCII needing no
 * escape, as bits. */
static inline unsigned int not_plain16(__m128i x)
{
	return (unsigned int)(sl_escape_mask16(x) | _mm_movemask_epi8(x));
}
#endif

/*
 * ,"name":"v" in one step when v (len bytes) is printable ASCII with
 * nothing to escape, as event types, protocols, ids and most user agents
 * are: no UTF-8 walk, no escaper. Returns 1 when written, 0 when v needs
 * the general road (nothing written), -ENOMEM.
 */
static inline __attribute__((always_inline))
int put_plain(struct sl_buf *b, const char *name, const char *v, size_t len)
{
#ifdef __SSE2__
	size_t i;
	unsigned int m = 0;

	if (len < 16) {
		char pad[16];

		memset(pad, 'a', sizeof(pad));
		memcpy(pad, v, len);
		m = not_plain16(_mm_loadu_si128((const __m128i *)(const void *)pad)) &
		    ((1u << len) - 1);
	} else {
		for (i = 0; i + 16 <= len; i += 16)
			m |= not_plain16(_mm_loadu_si128(
				(const __m128i *)(const void *)(v + i)));
		if (i < len)
			m |= not_plain16(_mm_loadu_si128(
				(const __m128i *)(const void *)(v + len - 16)));
	}
	if (m)
		return 0;
	return put_quoted(b, name, v, len) ? -ENOMEM : 1;
#else
	(void)b;
	(void)name;
	(void)v;
	(void)len;
	return 0;
#endif
}

/* ,"name":"value" or ,"name":null */
static inline __attribute__((always_inline))
int put_opt(struct sl_buf *b, const char *name, const char *v)
{
	size_t len;
	int rc;

	if (!v)
		return put_key(b, ",", name, ":null");
	len = strlen(v);
	rc = put_plain(b, name, v, len);
	if (rc)
		return rc < 0 ? rc : 0;
	rc = sl_buf_append(b, ",", 1);
	return rc ? rc : sl_json_put_text(b, name, v, len);
}

/* A number as cJSON would print it, without printf for the integers
 * (timestamps, counts) that most numbers are. */
static int put_number(struct sl_buf *b, double d)
{
	char text[32];

	if (!isfinite(d))
		return sl_buf_puts(b, "null");	/* refused at parse time */
	if (d == trunc(d) && fabs(d) < SL_JSON_MAX_INT)
		return sl_buf_put_i64(b, (int64_t)d);
	/* The shortest of 15 or 17 digits that reads back as d. */
	snprintf(text, sizeof(text), "%1.15g", d);
	if (strtod(text, NULL) != d)
		snprintf(text, sizeof(text), "%1.17g", d);
	return sl_buf_puts(b, text);
}

/* item as compact JSON, written straight into b. Trees come from
 * sl_json_parse() (depth-limited) or from the adapters. */
static int put_value(struct sl_buf *b, const cJSON *item)
{
	const cJSON *c;
	int rc = 0;

	if (cJSON_IsString(item))
		return sl_buf_json_str(b, item->valuestring,
				       strlen(item->valuestring));
	if (cJSON_IsNumber(item))
		return put_number(b, item->valuedouble);
	if (cJSON_IsTrue(item))
		return sl_buf_puts(b, "true");
	if (cJSON_IsFalse(item))
		return sl_buf_puts(b, "false");
	if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
		bool object = cJSON_IsObject(item);

		rc = sl_buf_append(b, object ? "{" : "[", 1);
		for (c = item->child; c && !rc; c = c->next) {
			if (c != item->child)
				rc = sl_buf_append(b, ",", 1);
			if (!rc && object) {
				rc = sl_buf_json_str(b, c->string,
						     strlen(c->string));
				if (!rc)
					rc = sl_buf_append(b, ":", 1);
			}
			if (!rc)
				rc = put_value(b, c);
		}
		return rc ? rc : sl_buf_append(b, object ? "}" : "]", 1);
	}
	return sl_buf_puts(b, "null");
}

static int put_json(struct sl_buf *b, const char *name, const cJSON *item)
{
	int rc;

	if (!item)
		return 0;
	rc = put_key(b, ",", name, ":");
	return rc ? rc : put_value(b, item);
}

/* ,"name":text, text being JSON already. */
static int put_text(struct sl_buf *b, const char *name, const char *text,
		    size_t len)
{
	int rc = put_key(b, ",", name, ":");

	return rc ? rc : sl_buf_append(b, text, len);
}

/* ,"name":"v" or ,"name":null for a text of the core's own making that
 * needs no check or escape (an address it formatted, hex digits). */
static inline __attribute__((always_inline))
int put_own(struct sl_buf *b, const char *name, const char *v)
{
	if (!v)
		return put_key(b, ",", name, ":null");
	return put_quoted(b, name, v, strlen(v));
}

/* ,"ip":…,"user_agent":…,"request_id":…[,"bot":true,"bot_match":…][,"geo":…] */
static int put_client_fields(struct sl_buf *b, const struct sl_enrichment *en)
{
	int rc = put_own(b, "ip", en->ip);

	if (!rc)
		rc = put_opt(b, "user_agent", en->user_agent);
	if (!rc)
		rc = put_own(b, "request_id", en->request_id);
	if (!rc && en->bot) {
		rc = sl_buf_puts(b, ",\"bot\":true");
		if (!rc)
			rc = put_opt(b, "bot_match", en->bot);
	}
	if (!rc && en->geo)
		rc = sl_buf_append(b, en->geo, en->geo_len);
	return rc;
}

int sl_enrichment_prepare(struct sl_enrichment *en)
{
	int rc;

	en->received_len = sl_format_i64(en->received_at, en->received_text);
	sl_buf_reset(&en->client);
	rc = put_client_fields(&en->client, en);
	/* Empty: each record writes its own. */
	if (rc)
		sl_buf_reset(&en->client);
	return rc;
}

static int put_client(struct sl_buf *b, const struct sl_enrichment *en)
{
	if (en->client.len)
		return sl_buf_append(b, en->client.data, en->client.len);
	return put_client_fields(b, en);
}

static void add_header(struct sl_record *rec, const char *name,
		       const char *value)
{
	if (value && rec->nheaders < SL_MAX_HEADERS) {
		rec->headers[rec->nheaders].name = name;
		rec->headers[rec->nheaders].value = value;
		rec->nheaders++;
	}
}

int sl_record_encode(struct sl_record *rec, const struct sl_event *ev,
		     const struct sl_enrichment *en, const char *default_topic,
		     struct sl_buf *b)
{
	int rc, i;

	/* Field by field: headers past nheaders are never read. */
	rec->key = NULL;
	rec->nheaders = 0;
	memset(&rec->value, 0, sizeof(rec->value));
	rec->received_at[0] = '\0';
	rec->topic = ev->topic ? ev->topic : default_topic;
	for (i = 0; i < SL_ID_COUNT && !rec->key; i++)
		rec->key = ev->ids[i];
	add_header(rec, "protocol", ev->protocol);
	add_header(rec, "source", ev->source);
	add_header(rec, "event_type", ev->event_type);
	add_header(rec, "request_id", en->request_id);
	if (ev->raw) {
		size_t j;

		sl_format_i64(en->received_at, rec->received_at);
		add_header(rec, "event_id", ev->event_id);
		add_header(rec, "received_at", rec->received_at);
		add_header(rec, "ip", en->ip);
		add_header(rec, "user_agent", en->user_agent);
		add_header(rec, "bot", en->bot ? "true" : NULL);
		add_header(rec, "network_id", en->network_id);
		for (j = 0; j < ev->nextra; j++)
			add_header(rec, ev->extra[j].name, ev->extra[j].value);
		return sl_buf_append(b, ev->raw, ev->raw_len);
	}

	rc = sl_buf_puts(b, "{\"v\":1");
	if (!rc)
		rc = put_opt(b, "event_id", ev->event_id);
	if (!rc)
		rc = put_opt(b, "event_type", ev->event_type);
	if (!rc)
		rc = ev->has_event_ts ?
		     put_i64(b, "event_ts", ev->event_ts) :
		     sl_buf_puts(b, ",\"event_ts\":null");
	if (!rc && en->received_len) {
		rc = put_key(b, ",", "received_at", ":");
		if (!rc)
			rc = sl_buf_append(b, en->received_text,
					   en->received_len);
	} else if (!rc) {
		rc = put_i64(b, "received_at", en->received_at);
	}
	if (!rc)
		rc = put_opt(b, "protocol", ev->protocol);
	if (!rc)
		rc = put_opt(b, "source", ev->source);
	for (i = 0; i < SL_ID_COUNT && !rc; i++) {
		rc = sl_buf_append(b, id_keys[i].text, id_keys[i].len);
		if (!rc)
			rc = ev->ids[i] ?
			     sl_buf_json_str(b, ev->ids[i], strlen(ev->ids[i])) :
			     sl_buf_puts(b, "null");
	}
	if (!rc && en->network_id) {
		rc = sl_buf_puts(b, ",\"network\":");
		if (!rc)
			rc = sl_buf_json_str(b, en->network_id,
					     strlen(en->network_id));
	}
	if (!rc)
		rc = sl_buf_puts(b, "}");
	if (!rc)
		rc = put_client(b, en);
	if (!rc)
		rc = ev->meta_text ? put_text(b, "meta", ev->meta_text, ev->meta_len) :
		     put_json(b, "meta", ev->meta);
	if (!rc)
		rc = ev->data_text ? put_text(b, "data", ev->data_text, ev->data_len) :
		     put_json(b, "data", ev->data);
	if (!rc)
		rc = sl_buf_puts(b, "}");
	return rc;
}

int sl_record_encode_bad(struct sl_record *rec, const struct sl_rejection *rj,
			 const struct sl_enrichment *en, const char *bad_topic,
			 struct sl_buf *b)
{
	int rc;

	memset(rec, 0, sizeof(*rec));
	rec->topic = bad_topic;
	add_header(rec, "protocol", rj->protocol);
	add_header(rec, "source", rj->source);
	add_header(rec, "reason", rj->reason);
	add_header(rec, "request_id", en->request_id);

	rc = sl_buf_printf(b, "{\"v\":1,\"status\":%d", rj->status);
	if (!rc)
		rc = put_opt(b, "reason", rj->reason);
	if (!rc)
		rc = put_opt(b, "protocol", rj->protocol);
	if (!rc)
		rc = put_opt(b, "source", rj->source);
	if (!rc)
		rc = put_i64(b, "received_at", en->received_at);
	if (!rc)
		rc = put_client(b, en);
	if (!rc)
		rc = put_opt(b, "method", rj->method);
	if (!rc)
		rc = put_opt(b, "path", rj->path);
	if (!rc)
		rc = put_opt(b, "query", rj->query);
	if (!rc && rj->body) {
		rc = sl_buf_puts(b, ",");
		if (!rc)
			rc = sl_json_put_text(b, "body", rj->body,
					      rj->body_len);
	}
	if (!rc)
		rc = sl_buf_puts(b, "}");
	return rc;
}

/* Append up to the room left of SL_TOPIC_MAX: n bytes of s at out + at.
 * Returns the new length. */
static size_t topic_put(char *out, size_t at, const char *s, size_t n)
{
	if (n > SL_TOPIC_MAX - at)
		n = SL_TOPIC_MAX - at;
	memcpy(out + at, s, n);
	return at + n;
}

/* The bytes Kafka allows in a topic name: [A-Za-z0-9._-]. */
#define TOPIC_OK(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
		     ((c) >= '0' && (c) <= '9') || (c) == '.' || (c) == '_' || \
		     (c) == '-')
#define T4(n) TOPIC_OK(n), TOPIC_OK((n) + 1), TOPIC_OK((n) + 2), \
	TOPIC_OK((n) + 3)
#define T16(n) T4(n), T4((n) + 4), T4((n) + 8), T4((n) + 12)
#define T64(n) T16(n), T16((n) + 16), T16((n) + 32), T16((n) + 48)
static const bool topic_ok[256] = { T64(0), T64(64), T64(128), T64(192) };
#undef T64
#undef T16
#undef T4
#undef TOPIC_OK

void sl_topic_from_pattern(const char *pattern, const char *type,
			   char out[SL_TOPIC_MAX + 1])
{
	const char *mark = strstr(pattern, "%s");
	size_t n, i;

	/* The pattern around its first %s, the type in its place; whole
	 * pieces at a time, cut at SL_TOPIC_MAX. */
	n = topic_put(out, 0, pattern,
		      mark ? (size_t)(mark - pattern) : strlen(pattern));
	if (mark) {
		n = topic_put(out, n, type, strlen(type));
		n = topic_put(out, n, mark + 2, strlen(mark + 2));
	}
	out[n] = '\0';
	for (i = 0; i < n; i++)
		if (!topic_ok[(unsigned char)out[i]])
			out[i] = '_';
	if (n == 0 || (out[0] == '.' && (n == 1 || (n == 2 && out[1] == '.'))))
		strcpy(out, "_");
}

void sl_record_release(struct sl_record *rec)
{
	sl_buf_release(&rec->value);
}
