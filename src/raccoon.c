/* raccoon.c - Raccoon's REST API: POST /api/v1/events
 *
 * A SendEventRequest in JSON or protobuf (by Content-Type) carries
 * events of (event_bytes, type). Each becomes one record on the topic
 * kafka.topic_pattern makes of its type; by default a raw record whose
 * value is event_bytes exactly, so Raccoon's consumers keep working. The
 * answer is a SendEventResponse in the request's encoding.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "codec.h"
#include "json.h"
#include "log.h"
#include "proto.h"
#include "validate.h"

enum { RC_SUCCESS = 1, RC_ERROR = 2 };			/* Status */
enum { RC_OK = 1, RC_BAD_REQUEST = 2, RC_INTERNAL = 3 };	/* Code */

struct rc_event {
	struct sl_buf bytes;	/* event_bytes, decoded */
	char *type;
};

/* One decoded SendEventRequest; everything owned. */
struct rc_request {
	bool proto;		/* the request's (and answer's) encoding */
	char *req_guid;
	struct rc_event *events;
	size_t nevents;
	char reason[200];	/* why it does not decode */
};

static void request_release(struct rc_request *rq)
{
	size_t i;

	for (i = 0; i < rq->nevents; i++) {
		sl_buf_release(&rq->events[i].bytes);
		free(rq->events[i].type);
	}
	free(rq->events);
	free(rq->req_guid);
}

/* Back to no events and no guid, the encoding kept. */
static void request_reset(struct rc_request *rq)
{
	request_release(rq);
	rq->req_guid = NULL;
	rq->events = NULL;
	rq->nevents = 0;
}

static struct rc_event *add_event(struct rc_request *rq)
{
	struct rc_event *ev = realloc(rq->events,
				      (rq->nevents + 1) * sizeof(*ev));

	if (!ev)
		return NULL;
	rq->events = ev;
	ev = &rq->events[rq->nevents++];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

#define WHY(...) (snprintf(rq->reason, sizeof(rq->reason), __VA_ARGS__), -EINVAL)

/* A string field: valid UTF-8 without NUL, copied. */
static int take_string(struct rc_request *rq, const unsigned char *p,
		       size_t len, char **out, const char *what)
{
	if (!sl_utf8_is_valid((const char *)p, len))
		return WHY("%s is not valid UTF-8", what);
	free(*out);
	*out = strndup((const char *)p, len);
	return *out ? 0 : -ENOMEM;
}

static int decode_event_pb(struct rc_request *rq, const unsigned char *p,
			   size_t len)
{
	struct sl_pb_reader r = { p, p + len };
	struct rc_event *ev = add_event(rq);
	const unsigned char *v;
	uint32_t field;
	int wire, rc;

	if (!ev)
		return -ENOMEM;
	while ((rc = sl_pb_next(&r, &field, &wire)) == 1) {
		if ((field == 1 || field == 2) && wire != SL_PB_LEN)
			return WHY("Event field %u has the wrong wire type", field);
		if (field == 1) {
			if (sl_pb_bytes(&r, &v, &len))
				return WHY("Event.event_bytes runs past the message");
			sl_buf_reset(&ev->bytes);
			if (sl_buf_append(&ev->bytes, v, len))
				return -ENOMEM;
		} else if (field == 2) {
			if (sl_pb_bytes(&r, &v, &len))
				return WHY("Event.type runs past the message");
			rc = take_string(rq, v, len, &ev->type, "Event.type");
			if (rc)
				return rc;
		} else if (sl_pb_skip(&r, wire)) {
			return WHY("Event field %u runs past the message", field);
		}
	}
	return rc ? WHY("malformed protobuf in an Event") : 0;
}

static int decode_pb(struct rc_request *rq, const unsigned char *p,
		     size_t len, unsigned int max_events)
{
	struct sl_pb_reader r = { p, p + len };
	const unsigned char *v;
	uint32_t field;
	int wire, rc;

	while ((rc = sl_pb_next(&r, &field, &wire)) == 1) {
		if (field >= 1 && field <= 3 && wire != SL_PB_LEN)
			return WHY("SendEventRequest field %u has the wrong wire type",
				   field);
		if (field >= 1 && field <= 3 && sl_pb_bytes(&r, &v, &len))
			return WHY("SendEventRequest field %u runs past the message",
				   field);
		if (field == 1) {
			rc = take_string(rq, v, len, &rq->req_guid, "req_guid");
		} else if (field == 2) {
			/* Timestamp: checked for shape, not used. */
			struct sl_pb_reader ts = { v, v + len };
			uint32_t f;
			int w, trc;

			while ((trc = sl_pb_next(&ts, &f, &w)) == 1)
				if (sl_pb_skip(&ts, w))
					break;
			rc = trc ? WHY("sent_time is not a Timestamp") : 0;
		} else if (field == 3) {
			if (rq->nevents >= max_events)
				return -E2BIG;
			rc = decode_event_pb(rq, v, len);
		} else if (sl_pb_skip(&r, wire)) {
			rc = WHY("SendEventRequest field %u runs past the message",
				 field);
		}
		if (rc)
			return rc;
	}
	return rc ? WHY("malformed protobuf in SendEventRequest") : 0;
}

/* obj's member by its proto name or its lowerCamel JSON name. */
static const cJSON *member(const cJSON *obj, const char *proto,
			   const char *camel)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, proto);

	return m ? m : cJSON_GetObjectItemCaseSensitive(obj, camel);
}

/* A string token without escapes (its bytes are its value). */
static bool raw_string(const struct sl_jtok *t)
{
	return t->type == SL_J_STRING && !t->escaped;
}

/*
 * The fast road for a JSON SendEventRequest: when the text is plain
 * (json.h) and every part is as it should be, its strings are taken
 * from the text itself, without a tree. Returns 1 when rq holds the
 * request, 0 to take the tree road (which then accepts or refuses as
 * always: nothing of rq was set), -ENOMEM.
 */
static int decode_json_plain(struct rc_request *rq, const char *text,
			     size_t len, unsigned int max_events)
{
	static const struct sl_json_name root_names[5] = {
		SL_JSON_NAME("req_guid"), SL_JSON_NAME("reqGuid"),
		SL_JSON_NAME("sent_time"), SL_JSON_NAME("sentTime"),
		SL_JSON_NAME("events"),
	}, event_names[3] = {
		SL_JSON_NAME("event_bytes"), SL_JSON_NAME("eventBytes"),
		SL_JSON_NAME("type"),
	};
	struct sl_json j = { 0 };
	const struct sl_jtok *root, *guid, *sent, *events, *bytes, *type, *m[5];
	size_t i, k;
	int rc;

	if (!len || !sl_utf8_is_valid(text, len))
		return 0;
	rc = sl_json_scan(&j, text, len);
	if (rc != 1)
		goto out_plain;
	rc = 0;
	root = &j.tok[0];
	if (root->type != SL_J_OBJECT)
		goto out_plain;
	sl_json_members(&j, root, root_names, 5, m);
	guid = m[0] ? m[0] : m[1];	/* the proto name wins */
	sent = m[2] ? m[2] : m[3];
	events = m[4];
	if ((guid && !raw_string(guid)) ||
	    (sent && sent->type != SL_J_OBJECT && sent->type != SL_J_STRING &&
	     sent->type != SL_J_NULL) ||
	    !events || events->type != SL_J_ARRAY || !events->count ||
	    events->count > max_events)
		goto out_plain;
	/* Every event first: the request is taken whole or not at all. */
	for (i = (size_t)(events - j.tok) + 1, k = 0; k < events->count;
	     k++, i = j.tok[i].next) {
		sl_json_members(&j, &j.tok[i], event_names, 3, m);
		bytes = m[0] ? m[0] : m[1];
		type = m[2];
		if (j.tok[i].type != SL_J_OBJECT || (bytes && !raw_string(bytes)) ||
		    !type || !sl_json_is_plain_string(type, SL_MAX_ID_LEN))
			goto out_plain;
	}
	if (guid && !(rq->req_guid = strndup(text + guid->start, guid->len)))
		goto out_nomem;
	for (i = (size_t)(events - j.tok) + 1, k = 0; k < events->count;
	     k++, i = j.tok[i].next) {
		struct rc_event *ev = add_event(rq);

		sl_json_members(&j, &j.tok[i], event_names, 3, m);
		bytes = m[0] ? m[0] : m[1];
		type = m[2];
		if (!ev || !(ev->type = strndup(text + type->start, type->len)))
			goto out_nomem;
		if (bytes && sl_base64_decode(text + bytes->start, bytes->len,
					      &ev->bytes)) {
			/* Not base64: the tree road says so, as always. */
			request_reset(rq);
			goto out_plain;
		}
	}
	rc = 1;
out_plain:
	sl_json_release(&j);
	return rc;
out_nomem:
	sl_json_release(&j);
	return -ENOMEM;
}

static int decode_json(struct rc_request *rq, const char *text, size_t len,
		       unsigned int max_events)
{
	const cJSON *guid, *sent, *events, *item, *bytes, *type;
	const char *why;
	cJSON *root;
	int rc = decode_json_plain(rq, text, len, max_events);

	if (rc)
		return rc < 0 ? rc : 0;
	root = sl_json_parse(text, len, &why);
	if (!root)
		return WHY("%s", why);
	if (!cJSON_IsObject(root)) {
		rc = WHY("body is not a JSON object");
		goto out;
	}
	guid = member(root, "req_guid", "reqGuid");
	sent = member(root, "sent_time", "sentTime");
	events = cJSON_GetObjectItemCaseSensitive(root, "events");
	if (guid && !cJSON_IsString(guid)) {
		rc = WHY("req_guid is not a string");
		goto out;
	}
	if (guid && !(rq->req_guid = strdup(guid->valuestring))) {
		rc = -ENOMEM;
		goto out;
	}
	if (sent && !cJSON_IsObject(sent) && !cJSON_IsString(sent) &&
	    !cJSON_IsNull(sent)) {
		rc = WHY("sent_time is neither {seconds, nanos} nor an RFC 3339 string");
		goto out;
	}
	if (events && !cJSON_IsArray(events)) {
		rc = WHY("events is not an array");
		goto out;
	}
	if ((unsigned int)cJSON_GetArraySize(events) > max_events) {
		rc = -E2BIG;
		goto out;
	}
	cJSON_ArrayForEach(item, events) {
		struct rc_event *ev;

		bytes = member(item, "event_bytes", "eventBytes");
		type = cJSON_GetObjectItemCaseSensitive(item, "type");
		if (!cJSON_IsObject(item) || (bytes && !cJSON_IsString(bytes)) ||
		    (type && !cJSON_IsString(type))) {
			rc = WHY("events[%d] is not {\"event_bytes\": base64, \"type\": string}",
				 (int)rq->nevents);
			goto out;
		}
		ev = add_event(rq);
		if (!ev || (type && !(ev->type = strdup(type->valuestring)))) {
			rc = -ENOMEM;
			goto out;
		}
		if (bytes && sl_base64_decode(bytes->valuestring,
					      strlen(bytes->valuestring),
					      &ev->bytes)) {
			rc = WHY("events[%d].event_bytes is not base64",
				 (int)rq->nevents - 1);
			goto out;
		}
	}
out:
	cJSON_Delete(root);
	return rc;
}

#undef WHY

/* The media type of CONTENT_TYPE, lowercased, without parameters. */
static void media_type(const char *ct, char *out, size_t size)
{
	size_t n = 0;

	while (ct && *ct == ' ')
		ct++;
	/* ASCII case, as tolower(3) in the C locale (none is set). */
	for (; ct && *ct && *ct != ';' && *ct != ' ' && n < size - 1; ct++)
		out[n++] = *ct >= 'A' && *ct <= 'Z' ? (char)(*ct | 0x20) : *ct;
	out[n] = '\0';
}

/* Answer with a SendEventResponse in the request's encoding. */
static void answer(struct sl_ctx *ctx, const struct rc_request *rq,
		   int http, int status, int code, const char *reason)
{
	/* The request's kept buffers: nothing allocated per answer. */
	struct sl_buf *bp = &ctx->scratch[0], *ep = &ctx->scratch[1];
	long long now = (long long)time(NULL);
	const char *guid = rq->req_guid ? rq->req_guid : "";
	int rc = 0;

	sl_buf_reset(bp);
	sl_buf_reset(ep);
	if (rq->proto) {
		rc |= sl_pb_put_varint(bp, 1, (uint64_t)status);
		rc |= sl_pb_put_varint(bp, 2, (uint64_t)code);
		rc |= sl_pb_put_varint(bp, 3, (uint64_t)now);
		if (reason)
			rc |= sl_pb_put_bytes(bp, 4, reason, strlen(reason));
		rc |= sl_pb_put_bytes(ep, 1, "req_guid", 8);
		rc |= sl_pb_put_bytes(ep, 2, guid, strlen(guid));
		rc |= sl_pb_put_bytes(bp, 5, ep->data, ep->len);
	} else {
		/* Without printf: this answers every request. */
		rc |= sl_buf_puts(bp, "{\"status\":");
		rc |= sl_buf_put_i64(bp, status);
		rc |= sl_buf_puts(bp, ",\"code\":");
		rc |= sl_buf_put_i64(bp, code);
		rc |= sl_buf_puts(bp, ",\"sent_time\":");
		rc |= sl_buf_put_i64(bp, now);
		if (reason) {
			rc |= sl_buf_puts(bp, ",\"reason\":");
			rc |= sl_buf_json_str(bp, reason, strlen(reason));
		}
		rc |= sl_buf_puts(bp, ",\"data\":{\"req_guid\":");
		rc |= sl_buf_json_str(bp, guid, strlen(guid));
		rc |= sl_buf_puts(bp, "}}");
	}
	if (rc)
		sl_response_set(ctx->resp, 500, NULL, NULL, 0);
	else
		sl_response_set(ctx->resp, http,
				rq->proto ? "application/proto" :
				"application/json", bp->data, bp->len);
}

/* An ERROR SendEventResponse: INTERNAL_ERROR for the server's failures,
 * BAD_REQUEST for the client's. ctx->state is the request. */
static void answer_error(struct sl_ctx *ctx, int status, const char *reason)
{
	const struct rc_request none = { 0 };
	const struct rc_request *rq = ctx->state ? ctx->state : &none;

	answer(ctx, rq, status, RC_ERROR,
	       status >= 500 ? RC_INTERNAL : RC_BAD_REQUEST, reason);
}

static void refuse(struct sl_ctx *ctx, int http, bool with_body,
		   const char *reason)
{
	sl_ctx_refuse(ctx, http, NULL, with_body, "%s", reason);
}

/* The value of request header name when set, non-empty and UTF-8 text,
 * else NULL. */
static const char *text_header(struct sl_ctx *ctx, const char *name)
{
	const char *v;

	if (!name || !*name || !(v = sl_ctx_header(ctx, name)) || !*v ||
	    !sl_utf8_is_valid(v, strlen(v)))
		return NULL;
	return v;
}

/* Identity headers: "X-User-ID" and the optional group header, looked up
 * once per request. */
static void identity(const char *conn_id, const char *conn_group,
		     struct sl_event *ev)
{
	if (conn_id) {
		ev->ids[SL_ID_USER] = conn_id;
		ev->extra[ev->nextra].name = "conn_id";
		ev->extra[ev->nextra++].value = conn_id;
	}
	if (conn_group) {
		ev->extra[ev->nextra].name = "conn_group";
		ev->extra[ev->nextra++].value = conn_group;
	}
}

/* One record per event; false when the batch could not be made (the
 * core then answers). */
static bool add_events(struct sl_ctx *ctx, const struct rc_request *rq)
{
	const char *conn_id = text_header(ctx, ctx->cfg->raccoon_conn_id_header);
	const char *conn_group = text_header(ctx,
					     ctx->cfg->raccoon_conn_group_header);
	size_t i;

	for (i = 0; i < rq->nevents; i++) {
		const struct rc_event *re = &rq->events[i];
		char topic[SL_TOPIC_MAX + 1];
		struct sl_event ev = {
			.protocol = "raccoon",
			.event_type = re->type,
			.topic = topic,
		};
		cJSON *data = NULL;
		struct sl_buf b64 = { 0 };
		int rc;

		sl_topic_from_pattern(ctx->cfg->kafka_topic_pattern,
				      re->type, topic);
		identity(conn_id, conn_group, &ev);
		if (rq->req_guid && ev.nextra < 4) {
			ev.extra[ev.nextra].name = "req_guid";
			ev.extra[ev.nextra++].value = rq->req_guid;
		}
		if (ctx->cfg->raccoon_envelope) {
			data = cJSON_CreateObject();
			if (!data || sl_base64_encode(re->bytes.data, re->bytes.len, &b64) ||
			    !cJSON_AddStringToObject(data, "type", re->type) ||
			    !cJSON_AddStringToObject(data, "event_bytes",
						     b64.data ? b64.data : "") ||
			    (rq->req_guid && !cJSON_AddStringToObject(data, "req_guid",
								      rq->req_guid))) {
				cJSON_Delete(data);
				sl_buf_release(&b64);
				sl_ctx_fail(ctx, "out of memory for an event's data");
				return false;
			}
			ev.data = data;
		} else {
			ev.raw = re->bytes.data ? re->bytes.data : "";
			ev.raw_len = re->bytes.len;
		}
		rc = sl_ctx_add_event(ctx, &ev);
		cJSON_Delete(data);
		sl_buf_release(&b64);
		if (rc)
			return false;
	}
	return true;
}

static void events(struct sl_ctx *ctx)
{
	struct rc_request rq = { 0 };
	const struct sl_request *req = ctx->req;
	char mt[64];
	size_t i;
	int rc;

	ctx->state = &rq;
	media_type(req->content_type, mt, sizeof(mt));
	if (!strcmp(mt, "application/proto") ||
	    !strcmp(mt, "application/protobuf") ||
	    !strcmp(mt, "application/x-protobuf")) {
		rq.proto = true;
	} else if (strcmp(mt, "application/json")) {
		sl_ctx_refuse(ctx, 400, NULL, false,
			      "unsupported Content-Type '%.60s': use application/json or application/proto",
			      req->content_type ? req->content_type : "");
		goto out;
	}
	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, NULL))
		goto out;
	rc = rq.proto ? decode_pb(&rq, (const unsigned char *)req->body.data,
				  req->body.len, ctx->cfg->max_events) :
	     decode_json(&rq, req->body.data ? req->body.data : "",
			 req->body.len, ctx->cfg->max_events);
	/* The decoders stop at the first event past the limit. */
	if (rc == -E2BIG &&
	    !sl_ctx_events_fit(ctx, (size_t)ctx->cfg->max_events + 1, NULL))
		goto out;
	if (rc == -ENOMEM) {
		sl_ctx_fail(ctx, "out of memory decoding the events");
		goto out;
	}
	for (i = 0; !rc && i < rq.nevents; i++)
		if (!rq.events[i].type || !*rq.events[i].type ||
		    strlen(rq.events[i].type) > SL_MAX_ID_LEN)
			rc = (snprintf(rq.reason, sizeof(rq.reason),
				       "event %zu has no type (or one over %d bytes)",
				       i, SL_MAX_ID_LEN), -EINVAL);
	if (!rc && rq.nevents == 0)
		rc = (snprintf(rq.reason, sizeof(rq.reason), "no events"),
		      -EINVAL);
	if (rc) {
		refuse(ctx, 400, true, rq.reason);
		goto out;
	}
	if (add_events(ctx, &rq))
		answer(ctx, &rq, 200, RC_SUCCESS, RC_OK, NULL);
out:
	sl_ctx_end(ctx);	/* its answer_error reads rq */
	ctx->state = NULL;
	request_release(&rq);
}

const struct sl_adapter sl_raccoon_adapter = {
	.protocol = "raccoon",
	.malformed_status = 400,
	.handle = events,
	.answer_error = answer_error,
};
