/* record.h - events and the Kafka records they become */
#ifndef SL_RECORD_H
#define SL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "validate.h"

#define SL_MAX_HEADERS 16

struct sl_header {
	const char *name;		/* in the core's records a string
				 * literal, which a batch keeps as it is */
	const char *value;		/* borrowed, NUL-terminated */
};

/* The identities an event may carry, in key-preference order. */
enum sl_id {
	SL_ID_DEVICE,
	SL_ID_USER,
	SL_ID_PROFILE,
	SL_ID_SESSION,
	SL_ID_COUNT,
};

/*
 * One decoded event, as an adapter hands it to the core. Every pointer is
 * borrowed and must live until the event has been encoded.
 */
struct sl_event {
	const char *protocol;		/* "beacon", "clickstream", ... */
	const char *source;		/* app/datasource/source id or NULL */
	const char *event_type;
	const char *event_id;		/* NULL: the core generates one */
	int64_t event_ts;		/* client time, Unix ms */
	int has_event_ts;		/* 0: event_ts is null */
	const char *ids[SL_ID_COUNT];	/* NULL where the format has none */
	const char *topic;		/* NULL: kafka.topic */
	const cJSON *data;		/* the event as sent */
	const cJSON *meta;		/* request-level extras or NULL */
	/* Instead of data and meta: the same as compact JSON text, written
	 * into the record as it is (a decoder that keeps the event's bytes
	 * has checked them; see json.h). */
	const char *data_text;
	size_t data_len;
	const char *meta_text;
	size_t meta_len;
	const void *raw;		/* non-NULL: a raw record, see below */
	size_t raw_len;
	struct sl_header extra[4];	/* raw records: more headers */
	size_t nextra;
};

/* What the core adds to every record: see enrich.h. */
struct sl_enrichment {
	int64_t received_at;		/* Unix ms */
	const char *ip;			/* client address or NULL (the core's
					 * text: written without a check) */
	const char *user_agent;		/* or NULL */
	const char *request_id;		/* hex digits, likewise */
	const char *bot;		/* what matched a crawler rule, or NULL */
	const char *geo;		/* ,"geo":{...} as written, or NULL */
	size_t geo_len;
	const char *network_id;		/* the first-party cookie, or NULL */
	struct sl_buf client;		/* ip to geo above as the envelope
					 * writes them, once per request */
	char received_text[24];		/* received_at in decimal, and its */
	size_t received_len;		/* length (0: not written yet) */
};

/*
 * Write en's client part (ip, user_agent, request_id, bot, geo) once, for every
 * record of the request to copy, into en->client (reset first; left empty
 * on failure), and received_at as text. Optional: without it each record writes its own. Returns 0
 * or -ENOMEM. The caller releases en->client.
 */
int sl_enrichment_prepare(struct sl_enrichment *en);

/* One Kafka record. Strings are borrowed from the event it was made of;
 * value is owned and freed by sl_record_release(), or borrowed (cap 0)
 * where the comment says so. */
struct sl_record {
	const char *topic;
	const char *key;		/* NULL: no key (any partition) */
	struct sl_header headers[SL_MAX_HEADERS];
	size_t nheaders;
	struct sl_buf value;
	char received_at[24];		/* storage for that header */
};

/*
 * Encode ev. With ev->raw set, a raw record: the value is those bytes
 * exactly (what the client sent for the event, e.g. Raccoon's
 * event_bytes) and the enrichment travels in headers (protocol, source,
 * event_type, request_id, event_id, received_at, ip, user_agent, then
 * ev->extra). Otherwise the canonical envelope (the README's "The Kafka
 * record"):
 * value {"v":1,"event_id",...,"data":{...}}, key the first identity the
 * event carries, headers protocol/source/event_type/request_id, topic
 * ev->topic or default_topic. event_id must be set by now. The value is
 * appended to value (rec->value stays empty), so the caller chooses
 * where it lives. Returns 0 or -ENOMEM (value then holds part of it).
 */
int sl_record_encode(struct sl_record *rec, const struct sl_event *ev,
		     const struct sl_enrichment *en, const char *default_topic,
		     struct sl_buf *value)
	__attribute__((warn_unused_result));

/* What the core knows of a rejected request or event. */
struct sl_rejection {
	const char *protocol;
	const char *source;		/* NULL when not known */
	const char *reason;		/* one line */
	int status;			/* HTTP status the client got */
	const char *method;
	const char *path;
	const char *query;
	const void *body;		/* NULL when not read */
	size_t body_len;
};

/*
 * Encode a rejection for the bad-events topic: value {"v":1,"reason",
 * "status",...,"body":"text"} (or "body_b64" when the body is not UTF-8
 * text), header "reason" besides the usual ones. The value is appended
 * to value, as by sl_record_encode(). Returns 0 or -ENOMEM.
 */
int sl_record_encode_bad(struct sl_record *rec, const struct sl_rejection *rj,
			 const struct sl_enrichment *en, const char *bad_topic,
			 struct sl_buf *value)
	__attribute__((warn_unused_result));

/*
 * The topic for an event of type type under pattern (one %s, checked by
 * the config): every character of the result outside Kafka's legal set
 * [A-Za-z0-9._-] becomes '_', it is cut at SL_TOPIC_MAX, and the names "."
 * and ".." become "_", so no client-chosen type can make an illegal or
 * path-like topic. out needs SL_TOPIC_MAX + 1 bytes.
 */
void sl_topic_from_pattern(const char *pattern, const char *type,
			   char out[SL_TOPIC_MAX + 1]);

/* Free the value. */
void sl_record_release(struct sl_record *rec);

/*
 * Append "name":<s as a JSON string> when s is valid UTF-8, otherwise
 * "name_b64":<base64 of s>, so that no client byte is lost or turns the
 * record into invalid JSON. Returns 0 or -ENOMEM.
 */
int sl_json_put_text(struct sl_buf *b, const char *name, const void *s,
		     size_t len);

#endif /* SL_RECORD_H */
