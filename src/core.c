/* core.c - the one path every request takes */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "core.h"
#include "cors.h"
#include "enrich.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "sink.h"
#include "status.h"

#ifndef SL_CONFIG_FILE
#define SL_CONFIG_FILE "/etc/sluice.conf"
#endif

struct sl_core {
	struct sl_config *cfg;
	struct sl_routes routes;
	struct sl_sink *sink;
};

/* What the core keeps of one request besides struct sl_ctx. */
struct sl_ctx_private {
	struct sl_core *core;
	char ip[SL_IP_MAX];		/* client address */
	struct sl_enrichment en;	/* shared by all records */
	struct sl_batch batch;		/* records until the commit */
	bool failed;			/* a record could not be added */
	bool ended;			/* sl_ctx_end() ran */
	bool not_tracked;		/* DNT/GPC with do_not_track = drop */
};

const char *sl_core_default_config(void)
{
	return SL_CONFIG_FILE;
}

struct sl_core *sl_core_new(const char *config_path, unsigned int flags,
			    char *err, size_t errlen)
{
	struct sl_core *core = calloc(1, sizeof(*core));
	enum sl_sink_mode mode = SL_SINK_STORE;
	int rc;

	if (!core) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	core->cfg = sl_config_load(config_path ? config_path : SL_CONFIG_FILE,
				   err, errlen);
	if (!core->cfg)
		goto out_free;
	sl_log_set_level(core->cfg->log_level);
	if (sl_routes_build(&core->routes, core->cfg)) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (flags & SL_CORE_NULL_SINK)
		mode = SL_SINK_NULL;
	else if (flags & SL_CORE_DISCARD_SPOOL)
		mode = SL_SINK_DISCARD_SPOOL;
	else if (flags & SL_CORE_ONE_SHOT)
		mode = SL_SINK_SPOOL;
	core->sink = sl_sink_open(core->cfg, mode, err, errlen);
	if (!core->sink)
		goto out_free;
	rc = sl_metrics_open(core->cfg->spool_dir);
	if (rc)
		sl_log(SL_LOG_WARN, NULL, NULL,
		       "no shared counters in %s: %s; /metrics will answer 503",
		       core->cfg->spool_dir, strerror(-rc));
	return core;

out_free:
	sl_core_destroy(core);
	return NULL;
}

void sl_core_destroy(struct sl_core *core)
{
	if (!core)
		return;
	sl_sink_close(core->sink);
	sl_metrics_close();
	sl_routes_release(&core->routes);
	sl_config_destroy(core->cfg);
	free(core);
}

bool sl_ctx_capture(const struct sl_ctx *ctx, size_t i, char *out,
		    size_t size)
{
	if (i >= ctx->ncaps || ctx->caps[i].len >= size)
		return false;
	memcpy(out, ctx->caps[i].start, ctx->caps[i].len);
	out[ctx->caps[i].len] = '\0';
	return true;
}

const char *sl_ctx_header(struct sl_ctx *ctx, const char *name)
{
	return sl_request_header(ctx->req, name);
}

/* Answer status with reason through the adapter, and for a 503 ask the
 * client to come back later. */
static void answer_error(struct sl_ctx *ctx, int status, const char *reason)
{
	if (!ctx->adapter->answer_error)
		return;
	ctx->adapter->answer_error(ctx, status, reason);
	if (status == 503)
		sl_response_header(ctx->resp, "Retry-After", SL_RETRY_AFTER);
}

int sl_ctx_add_event(struct sl_ctx *ctx, struct sl_event *ev)
{
	struct sl_ctx_private *priv = ctx->priv;
	char id[37];
	int rc;

	if (priv->not_tracked) {
		sl_log(SL_LOG_DEBUG, ctx->req->id, ctx->route,
		       "event not recorded: DNT/Sec-GPC and http.do_not_track = drop");
		sl_metrics_add(SL_M_DROPPED, 1);
		return 0;
	}
	if (!ev->event_id) {
		if (sl_uuid4(id)) {
			sl_ctx_fail(ctx, "cannot generate an event id: no randomness");
			return -EIO;
		}
		ev->event_id = id;
	}
	rc = sl_batch_add_event(&priv->batch, ev, &priv->en,
				ctx->cfg->kafka_topic);
	if (ev->event_id == id)
		ev->event_id = NULL;
	if (rc)
		sl_ctx_fail(ctx, "cannot encode a record: out of memory");
	return rc;
}

void sl_ctx_fail(struct sl_ctx *ctx, const char *why)
{
	sl_log(SL_LOG_ERROR, ctx->req->id, ctx->route, "%s", why);
	ctx->priv->failed = true;
}

/* The rejection record, after its log line. */
static void reject(struct sl_ctx *ctx, int status, const char *source,
		   bool with_body, const char *reason)
{
	struct sl_rejection rj = { 0 };
	int rc;

	sl_log(SL_LOG_WARN, ctx->req->id, ctx->route, "status=%d %s", status,
	       reason);
	rj.protocol = ctx->adapter->protocol;
	rj.source = source;
	rj.reason = reason;
	rj.status = status;
	rj.method = ctx->req->method;
	rj.path = ctx->req->path;
	rj.query = ctx->req->query;
	if (with_body && ctx->req->body.data) {
		rj.body = ctx->req->body.data;
		rj.body_len = ctx->req->body.len;
	}
	rc = sl_batch_add_rejection(&ctx->priv->batch, &rj, &ctx->priv->en,
				    ctx->cfg->kafka_bad_topic);
	if (rc)
		sl_log(SL_LOG_ERROR, ctx->req->id, ctx->route,
		       "rejection not recorded: %s", strerror(-rc));
}

/* A reason is one line of at most this many bytes. */
#define REASON_MAX 512

void sl_ctx_reject(struct sl_ctx *ctx, int status, const char *source,
		   bool with_body, const char *fmt, ...)
{
	char reason[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	reject(ctx, status, source, with_body, reason);
}

void sl_ctx_refuse(struct sl_ctx *ctx, int status, const char *source,
		   bool with_body, const char *fmt, ...)
{
	char reason[REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Without an error answer of its own, the adapter's stands: the
	 * record says the status the client really got. */
	sl_ctx_reject(ctx, ctx->adapter->answer_error ? status :
		      ctx->resp->status, source, with_body, "%s", reason);
	answer_error(ctx, status, reason);
}

/* The adapter's status for a body or batch over the limits. */
static int too_large(const struct sl_ctx *ctx)
{
	return ctx->adapter->too_large_status ? ctx->adapter->too_large_status :
	       413;
}

bool sl_ctx_read_body(struct sl_ctx *ctx, const char *source)
{
	int bad = ctx->adapter->malformed_status;

	switch (sl_request_read_body(ctx->req, ctx->cfg->max_body)) {
	case 0:
		return true;
	case -E2BIG:
		sl_ctx_refuse(ctx, too_large(ctx), source, false,
			      "body of %lld bytes is over http.max_body (%zu)",
			      ctx->req->content_length, ctx->cfg->max_body);
		return false;
	case -ENODATA:
		sl_ctx_refuse(ctx, 411, source, false,
			      "Content-Length is required");
		return false;
	case -EINVAL:
		sl_ctx_refuse(ctx, bad, source, false,
			      "Content-Length is not a number");
		return false;
	case -EPIPE:
		sl_ctx_refuse(ctx, bad, source, true,
			      "body ended before Content-Length bytes");
		return false;
	default:
		sl_ctx_refuse(ctx, bad, source, false, "error reading the body");
		return false;
	}
}

bool sl_ctx_events_fit(struct sl_ctx *ctx, size_t n, const char *source)
{
	if (n <= ctx->cfg->max_events)
		return true;
	sl_ctx_refuse(ctx, too_large(ctx), source, true,
		      "more events than http.max_events (%u)",
		      ctx->cfg->max_events);
	return false;
}

/* The one place that says what being over the watermark means. */
static const char over_watermark[] = "spool %s is over its high watermark";

bool sl_ctx_busy(struct sl_ctx *ctx)
{
	char why[300];

	if (!sl_sink_full(ctx->priv->core->sink))
		return false;
	snprintf(why, sizeof(why), over_watermark, ctx->cfg->spool_dir);
	if (ctx->adapter->always_200) {
		sl_log(SL_LOG_ERROR, ctx->req->id, ctx->route,
		       "event dropped: %s", why);
		sl_metrics_add(SL_M_DROPPED, 1);
	} else {
		/* Not a bad request: a record of it would only add to the
		 * spool, so the log line is the trace. */
		sl_log(SL_LOG_WARN, ctx->req->id, ctx->route, "status=503 %s",
		       why);
		answer_error(ctx, 503, "collector is busy, retry later");
	}
	return true;
}

void sl_ctx_end(struct sl_ctx *ctx)
{
	struct sl_ctx_private *priv = ctx->priv;
	unsigned int events = priv->batch.events;
	int rc = -ENOMEM;

	if (priv->ended)
		return;
	priv->ended = true;
	if (priv->failed)
		sl_batch_abort(&priv->batch);
	else
		rc = sl_sink_commit(priv->core->sink, &priv->batch,
				    ctx->req->id, ctx->route);
	if (!rc || (!events && !priv->failed))
		return;
	if (ctx->adapter->always_200) {
		sl_metrics_add(SL_M_DROPPED, events ? events : 1);
		sl_log(SL_LOG_ERROR, ctx->req->id, ctx->route,
		       "%u event(s) answered %d but lost: %s",
		       events ? events : 1, ctx->resp->status, priv->failed ?
		       "they could not be encoded" :
		       "the spool cannot take them");
	} else {
		answer_error(ctx, 503, "events could not be stored, retry later");
	}
}

/* /health and /metrics answer only peers in http.status_from. */
static bool status_allowed(struct sl_ctx *ctx)
{
	if (sl_cidr_list_contains(&ctx->cfg->status_from,
				  ctx->req->remote_addr))
		return true;
	sl_log(SL_LOG_WARN, ctx->req->id, ctx->route,
	       "status=403 %s from %.60s, which is not in http.status_from",
	       ctx->req->path, ctx->req->remote_addr ? ctx->req->remote_addr : "");
	sl_response_set(ctx->resp, 403, "text/plain; charset=utf-8",
			"forbidden\n", 10);
	return false;
}

static void health(struct sl_ctx *ctx)
{
	if (status_allowed(ctx))
		sl_status_health(ctx->priv->core->sink, ctx->resp);
}

static void metrics_page(struct sl_ctx *ctx)
{
	const struct sl_routes *rt = &ctx->priv->core->routes;
	const char *names[SL_METRICS_ROUTES] = { 0 };
	size_t i;

	if (!status_allowed(ctx))
		return;
	for (i = 0; i < rt->nnames && i < SL_METRICS_ROUTE_NONE; i++)
		names[i] = rt->names[i];
	sl_status_metrics(ctx->priv->core->sink, names, ctx->resp);
}

const struct sl_adapter sl_health_adapter = {
	.protocol = "sluice",
	.malformed_status = 400,
	.handle = health,
};

const struct sl_adapter sl_metrics_adapter = {
	.protocol = "sluice",
	.malformed_status = 400,
	.handle = metrics_page,
};

/* No route for the request: 404, 405 with Allow, or a CORS preflight. */
static void no_route(struct sl_core *core, struct sl_request *req,
		     struct sl_response *resp, int status, const char *allow,
		     const char *origin)
{
	if (status == 405 && !strcmp(req->method, "OPTIONS")) {
		if (!sl_cors_preflight(core->cfg, origin, allow,
				       sl_request_param(req,
						"HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
				       resp))
			sl_log(SL_LOG_WARN, req->id, NULL,
			       "preflight for %.200s from origin '%.100s', which is not in http.cors_origins: no CORS headers",
			       req->path, origin ? origin : "");
		return;
	}
	sl_log(SL_LOG_WARN, req->id, NULL, "status=%d %s %.200s", status,
	       req->method, req->path);
	sl_response_set(resp, status, "text/plain; charset=utf-8",
			status == 404 ? "not found\n" : "method not allowed\n",
			status == 404 ? 10 : 19);
	if (allow)
		sl_response_header(resp, "Allow", allow);
}

void sl_core_handle(struct sl_core *core, const struct sl_transport *tp,
		    void *io)
{
	struct sl_request req;
	struct sl_response resp = { 0 };
	struct sl_ctx_private priv = { .core = core };
	struct sl_ctx ctx = { .priv = &priv };
	const struct sl_route *route = NULL;
	const char *allow, *origin;
	int status;

	if (sl_request_init(&req, tp, io)) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "out of memory reading request");
		sl_response_set(&resp, 500, NULL, NULL, 0);
		goto out_send;
	}
	if (sl_random_hex(req.id, 8))
		strcpy(req.id, "0000000000000000");
	req.received_ms = sl_now_ms();

	ctx.cfg = core->cfg;
	ctx.req = &req;
	ctx.resp = &resp;
	sl_client_ip(core->cfg, &req, priv.ip);
	priv.en.received_at = req.received_ms;
	priv.en.ip = priv.ip[0] ? priv.ip : NULL;
	priv.en.user_agent = req.user_agent;
	priv.en.request_id = req.id;
	/* Shared by every record; without memory each writes its own. */
	if (sl_enrichment_prepare(&priv.en))
		sl_buf_release(&priv.en.client);
	priv.not_tracked = core->cfg->do_not_track == SL_PRIVACY_DROP &&
			   sl_privacy_signal(&req);

	route = sl_routes_match(&core->routes, req.method, req.path, ctx.caps,
				&ctx.ncaps, &status, &allow);
	origin = sl_request_param(&req, "HTTP_ORIGIN");
	if (!route) {
		no_route(core, &req, &resp, status, allow, origin);
		goto out_send;
	}
	ctx.route = route->name;
	ctx.adapter = route->adapter;
	route->adapter->handle(&ctx);
	sl_ctx_end(&ctx);
	if (origin && !sl_cors_answer(core->cfg, origin, &resp))
		sl_log(SL_LOG_INFO, req.id, ctx.route,
		       "origin '%.100s' is not in http.cors_origins: no CORS headers",
		       origin);

out_send:
	sl_metrics_request(route ? route->id : SL_METRICS_ROUTE_NONE,
			   resp.broken ? 500 : resp.status);
	if (sl_response_send(&resp, tp, io))
		sl_log(SL_LOG_INFO, req.id, ctx.route,
		       "client went away before the response was written");
	sl_batch_release(&priv.batch);
	sl_buf_release(&priv.en.client);
	sl_response_release(&resp);
	sl_request_release(&req);
}
