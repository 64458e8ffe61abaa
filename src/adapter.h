/* adapter.h - what every wire-format adapter gets and may call */
#ifndef SL_ADAPTER_H
#define SL_ADAPTER_H

#include <stdbool.h>

#include "buf.h"
#include "conf.h"
#include "enrich.h"
#include "kafka.h"
#include "record.h"
#include "request.h"
#include "response.h"

#define SL_MAX_CAPTURES 4

/* A {name} segment of the route pattern, as found in the path. */
struct sl_capture {
	const char *start;	/* into req->path, not NUL-terminated */
	size_t len;
};

/*
 * Everything one request needs on its way through the core. Made by
 * sl_core_handle() for each request and gone when it returns.
 */
struct sl_ctx {
	const struct sl_config *cfg;
	struct sl_request *req;
	struct sl_response *resp;
	const char *route;		/* route name, for logs */
	const char *protocol;		/* adapter name, for records */
	struct sl_capture caps[SL_MAX_CAPTURES];
	size_t ncaps;
	char ip[SL_IP_MAX];		/* client address */
	struct sl_enrichment en;	/* shared by all records */
	struct sl_buf batch;		/* spool lines not yet committed */
	struct sl_kafka_wait wait;	/* ack = kafka: records in flight */
	unsigned int events;		/* good records in batch */
	unsigned int rejected;		/* bad records in batch */
	bool not_tracked;		/* DNT/GPC with do_not_track = drop */
	struct sl_core *core;
};

/* An adapter: decode the request, add its records, set the response. */
typedef void (*sl_adapter_fn)(struct sl_ctx *ctx);

/*
 * Enrich ev (event id when missing, receive time, client address, user
 * agent, request id) and add its record to the request's batch.
 * Returns 0 or -ENOMEM (logged).
 */
int sl_ctx_add_event(struct sl_ctx *ctx, struct sl_event *ev);

/*
 * Record a rejection: one log line (warn) with the reason, and a record
 * for the bad-events topic carrying the reason, the request line and, with
 * with_body, the body as read. status is what the client is answered
 * (200 for the always-200 formats). source may be NULL.
 * Returns 0 or -ENOMEM.
 */
int sl_ctx_reject(struct sl_ctx *ctx, int status, const char *source,
		  bool with_body, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Make the request's records safe as delivery.ack says: with ack = kafka
 * wait for their delivery reports (at most delivery.kafka_wait_ms, then
 * spool what is unconfirmed); then append what must go to the spool in
 * one piece: all of it is stored or none.
 * Returns 0, or a negative errno after logging it (error level); the
 * adapter then answers as its format prescribes for a server failure.
 * The core commits whatever is left when the adapter returns.
 */
int sl_ctx_commit(struct sl_ctx *ctx);

/*
 * True while the spool is over its high watermark ([spool] max_size,
 * min_free): formats that may refuse answer 503 with Retry-After, the
 * always-200 ones drop the event with an error log line.
 */
bool sl_ctx_spool_full(struct sl_ctx *ctx);

/* core.c: GET /health and GET /metrics, the collector's own state,
 * answered to peers in http.status_from only. */
void sl_health(struct sl_ctx *ctx);
void sl_metrics_page(struct sl_ctx *ctx);

/* beacon.c: POST /e and GET /pixel (always 200). */
void sl_beacon_event(struct sl_ctx *ctx);
void sl_beacon_pixel(struct sl_ctx *ctx);

/* clickstream.c: POST /collect?appId=... */
void sl_clickstream_collect(struct sl_ctx *ctx);

/* raccoon.c: POST /api/v1/events, JSON or protobuf SendEventRequest. */
void sl_raccoon_events(struct sl_ctx *ctx);

/* tracardi.c: POST /track and POST /collect/{event-type}/{source-id}. */
void sl_tracardi_track(struct sl_ctx *ctx);
void sl_tracardi_collect(struct sl_ctx *ctx);

/* reelevant.c: POST /collect/{datasource}/rlvt. */
void sl_reelevant_collect(struct sl_ctx *ctx);

/*
 * Read the body bounded by http.max_body. Returns 0, or the HTTP status
 * to answer (413, 411, 400) with *why set to a static reason; nothing is
 * logged or answered yet.
 */
int sl_ctx_read_body(struct sl_ctx *ctx, const char **why);

/* The value of request header name ("X-User-ID"), or NULL. */
const char *sl_ctx_header(struct sl_ctx *ctx, const char *name);

#endif /* SL_ADAPTER_H */
