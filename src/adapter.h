/* adapter.h - what every wire-format adapter gets and may call
 *
 * An adapter decodes one request of its format into events and says what
 * to answer. The core does the rest, the same way for every format:
 *
 *   prologue  sl_ctx_read_body() reads the body within http.max_body and
 *             answers 411/413/400 itself; sl_ctx_busy() applies the
 *             back-pressure policy while the spool is over its high
 *             watermark; sl_ctx_events_fit() applies http.max_events.
 *   events    sl_ctx_add_event() and sl_ctx_refuse()/sl_ctx_reject() add
 *             records to the request's batch; none is stored yet.
 *   epilogue  sl_ctx_end(), when the adapter returns (or before, when
 *             its answer_error needs state that dies with it): the core
 *             commits the batch whole (or, after a failure, aborts it)
 *             and, when it cannot be stored, answers 503 with Retry-After
 *             in the format's own error shape, or for an always-200
 *             format keeps the answer and counts the events dropped.
 *
 * Adapters never see the sink, the batch or the core.
 */
#ifndef SL_ADAPTER_H
#define SL_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "record.h"
#include "request.h"
#include "response.h"

#define SL_MAX_CAPTURES 4

/* A {name} segment of the route pattern, as found in the path. */
struct sl_capture {
	const char *start;	/* into req->path, not NUL-terminated */
	size_t len;
};

struct sl_ctx;

/* One wire format's entry points, as the route table names them. */
struct sl_adapter {
	const char *protocol;		/* for records: "clickstream" */
	/* Never refuses for back-pressure: over the watermark, or when
	 * the batch cannot be stored, it keeps its answer and the events
	 * are dropped, counted and logged (beacon, reelevant). Otherwise
	 * 503 with Retry-After. */
	bool always_200;
	/* The status for a body that cannot be read whole (Content-Length
	 * not a number, the body ends early): 400, or Tracardi's 422. */
	int malformed_status;
	/* The status for a body over http.max_body or a batch over
	 * http.max_events: 0 for 413; 400 for the trackers that retry a 413
	 * (Snowplow's, Segment's) but never a 400. */
	int too_large_status;
	/* Decode the request, add its records, set the success answer. */
	void (*handle)(struct sl_ctx *ctx);
	/* Answer status with reason in the format's own error shape. NULL:
	 * the answer set by handle stands (beacon: always the same). */
	void (*answer_error)(struct sl_ctx *ctx, int status,
			     const char *reason);
};

/* The core's own part of a request; adapters never look inside. */
struct sl_ctx_private;

/*
 * Everything one request needs on its way through the core. Made by
 * sl_core_handle() for each request and gone when it returns.
 */
struct sl_ctx {
	const struct sl_config *cfg;
	struct sl_request *req;
	struct sl_response *resp;
	const char *route;		/* route name, for logs */
	const struct sl_adapter *adapter;
	void *state;			/* the adapter's own, for answer_error */
	struct sl_capture caps[SL_MAX_CAPTURES];
	size_t ncaps;
	/* SL_CTX_SCRATCH buffers, empty when the request starts: the
	 * adapter's working space, kept by the core with its allocation
	 * from one request to the next (nothing to release). */
	struct sl_buf *scratch;
	struct sl_ctx_private *priv;
};

#define SL_CTX_SCRATCH 8

/*
 * Copy capture i (the i-th {segment} of the route's pattern) into out as
 * a C string. Returns false when there is no such capture or it does not
 * fit in size bytes with its NUL.
 */
bool sl_ctx_capture(const struct sl_ctx *ctx, size_t i, char *out,
		    size_t size);

/*
 * Read the body bounded by http.max_body. Returns true, or false after
 * refusing the request (411, 413, or adapter->malformed_status: logged,
 * recorded on the bad-events topic and answered) .
 */
bool sl_ctx_read_body(struct sl_ctx *ctx, const char *source);

/*
 * True while the spool is over its high watermark, after applying the
 * policy: a format that may refuse is answered 503 with Retry-After, an
 * always-200 format's event is dropped and counted (its answer, set
 * before, stands). Logged either way; nothing is recorded.
 */
bool sl_ctx_busy(struct sl_ctx *ctx);

/*
 * False, after refusing the request with 413, when n events are more
 * than http.max_events.
 */
bool sl_ctx_events_fit(struct sl_ctx *ctx, size_t n, const char *source);

/*
 * Enrich ev (event id when missing, receive time, client address, user
 * agent, request id) and add its record to the request's batch. On
 * failure (-ENOMEM, -EIO without randomness; logged) the core answers as
 * for a batch that cannot be stored; the adapter just stops adding.
 */
int sl_ctx_add_event(struct sl_ctx *ctx, struct sl_event *ev)
	__attribute__((warn_unused_result));

/*
 * Give up on the request for a reason of the server's (out of memory, no
 * randomness): logged at error level, and the core answers as for a
 * batch that cannot be stored (nothing of it is kept).
 */
void sl_ctx_fail(struct sl_ctx *ctx, const char *why);

/*
 * Record a rejection: one log line (warn) with the reason, and a record
 * for the bad-events topic carrying the reason, the request line and, with
 * with_body, the body as read. status is what the client is answered
 * (200 for the always-200 formats). source may be NULL. The response is
 * not touched.
 */
void sl_ctx_reject(struct sl_ctx *ctx, int status, const char *source,
		   bool with_body, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* sl_ctx_reject(), then answer status and the reason through the
 * adapter's answer_error; an adapter without one keeps its answer, and
 * the record says that status instead. */
void sl_ctx_refuse(struct sl_ctx *ctx, int status, const char *source,
		   bool with_body, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * The epilogue (see the top of this file). The core calls it after the
 * adapter's handle; an adapter may call it first, while the state its
 * answer_error reads is alive. Runs once; later calls do nothing.
 */
void sl_ctx_end(struct sl_ctx *ctx);

/* The value of request header name ("X-User-ID"), or NULL. */
const char *sl_ctx_header(struct sl_ctx *ctx, const char *name);

/*
 * Whether the request comes from a crawler: its User-Agent or ua (one a
 * format carries in its body, or NULL) matched http.bots's list. A match
 * of ua is treated as the request's own (tagged, or its events dropped).
 * Always false with http.bots = off.
 */
bool sl_ctx_bot(struct sl_ctx *ctx, const char *ua);

/* The adapters, one per route of the table (route.c). */
extern const struct sl_adapter sl_beacon_event_adapter;	/* POST /e */
extern const struct sl_adapter sl_beacon_pixel_adapter;	/* GET /pixel */
extern const struct sl_adapter sl_clickstream_adapter;	/* POST /collect */
extern const struct sl_adapter sl_raccoon_adapter;	/* POST /api/v1/events */
extern const struct sl_adapter sl_tracardi_track_adapter;	/* POST /track */
extern const struct sl_adapter sl_tracardi_collect_adapter;	/* /collect/{t}/{s} */
extern const struct sl_adapter sl_reelevant_adapter;	/* /collect/{d}/rlvt */
extern const struct sl_adapter sl_segment_adapter;	/* POST /v1/{type} */
extern const struct sl_adapter sl_segment_metrics_adapter;	/* POST /v1/m */
extern const struct sl_adapter sl_snowplow_post_adapter;	/* POST tp2 */
extern const struct sl_adapter sl_snowplow_get_adapter;	/* GET /i */
extern const struct sl_adapter sl_health_adapter;	/* GET /health */
extern const struct sl_adapter sl_metrics_adapter;	/* GET /metrics */

#endif /* SL_ADAPTER_H */
