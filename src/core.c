/* core.c - the one path every request takes */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "core.h"
#include "cors.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "spool.h"

#ifndef SL_CONFIG_FILE
#define SL_CONFIG_FILE "/etc/sluice.conf"
#endif

struct sl_core {
	struct sl_config *cfg;
	struct sl_routes routes;
	struct sl_spool *spool;
	struct sl_kafka *kafka;		/* NULL: records go to the spool */
	bool null_sink;			/* SL_CORE_NULL_SINK */
	bool discard;			/* ... or SL_CORE_DISCARD_SPOOL */
};

const char *sl_core_default_config(void)
{
	return SL_CONFIG_FILE;
}

struct sl_core *sl_core_new(const char *config_path, unsigned int flags,
			    char *err, size_t errlen)
{
	struct sl_core *core = calloc(1, sizeof(*core));
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
	rc = sl_spool_open(core->cfg->spool_dir, core->cfg->spool_rotate_bytes,
			   core->cfg->spool_fsync_ms, &core->spool);
	if (rc) {
		snprintf(err, errlen, "cannot use spool directory %s: %s",
			 core->cfg->spool_dir, strerror(-rc));
		goto out_free;
	}
	core->null_sink = flags & SL_CORE_NULL_SINK;
	core->discard = flags & (SL_CORE_NULL_SINK | SL_CORE_DISCARD_SPOOL);
	sl_spool_set_watermark(core->spool, core->cfg->spool_max_bytes,
			       core->cfg->spool_min_free);
	rc = sl_metrics_open(core->cfg->spool_dir);
	if (rc)
		sl_log(SL_LOG_WARN, NULL, NULL,
		       "no shared counters in %s: %s; /metrics will answer 503",
		       core->cfg->spool_dir, strerror(-rc));
	if (core->cfg->kafka_brokers && *core->cfg->kafka_brokers &&
	    core->cfg->ack != SL_ACK_SPOOL &&
	    !(flags & (SL_CORE_ONE_SHOT | SL_CORE_NULL_SINK |
		       SL_CORE_DISCARD_SPOOL))) {
		core->kafka = sl_kafka_new(core->cfg, core->spool, err, errlen);
		if (!core->kafka)
			goto out_free;
	}
	return core;

out_free:
	sl_core_destroy(core);
	return NULL;
}

void sl_core_destroy(struct sl_core *core)
{
	unsigned int spooled;

	if (!core)
		return;
	if (core->kafka) {
		spooled = sl_kafka_close(core->kafka,
					 (int)core->cfg->shutdown_flush_ms);
		if (spooled)
			sl_log(SL_LOG_WARN, NULL, "kafka",
			       "%u record(s) not delivered by shutdown: spooled",
			       spooled);
	}
	sl_spool_close(core->spool);
	sl_metrics_close();
	sl_routes_release(&core->routes);
	sl_config_destroy(core->cfg);
	free(core);
}

const struct sl_config *sl_core_config(const struct sl_core *core)
{
	return core->cfg;
}

/* Say, at most every 10 s per process, that Kafka is not taking
 * records and they go to the spool instead. */
static void note_spooled(struct sl_ctx *ctx, int rc)
{
	static int64_t last_ms;
	static unsigned long since;
	int64_t now = sl_now_ms();

	since++;
	if (last_ms && now - last_ms < 10000)
		return;
	sl_log(SL_LOG_WARN, ctx->req->id, ctx->route,
	       "Kafka did not take %lu record(s) (%s): spooled for the relay",
	       since, rc == -ENOBUFS ? "its queue is full, kafka.queue_max_messages" :
	       rc == -EHOSTDOWN ? "brokers are down" : strerror(-rc));
	last_ms = now;
	since = 0;
}

/* Send rec to Kafka, or queue its line for the spool when there is no
 * producer or it would not take the record. */
static int add_record(struct sl_ctx *ctx, struct sl_record *rec, int rc)
{
	struct sl_core *core = ctx->core;
	int prc = -ENOENT;

	if (!rc && core->kafka) {
		prc = sl_kafka_produce(core->kafka, rec,
				       ctx->cfg->ack == SL_ACK_KAFKA ?
				       &ctx->wait : NULL);
		if (prc)
			note_spooled(ctx, prc);
	}
	if (!rc && prc && !core->null_sink)
		rc = sl_record_to_line(rec, &ctx->batch);
	sl_record_release(rec);
	if (rc)
		sl_log(SL_LOG_ERROR, ctx->req->id, ctx->route,
		       "cannot encode record: %s", strerror(-rc));
	return rc;
}

int sl_ctx_add_event(struct sl_ctx *ctx, struct sl_event *ev)
{
	struct sl_record rec;
	char id[37];
	int rc;

	if (ctx->not_tracked) {
		sl_log(SL_LOG_DEBUG, ctx->req->id, ctx->route,
		       "event not recorded: DNT/Sec-GPC and http.do_not_track = drop");
		sl_metrics_add(SL_M_DROPPED, 1);
		return 0;
	}
	if (!ev->event_id) {
		if (sl_uuid4(id)) {
			sl_log(SL_LOG_ERROR, ctx->req->id, ctx->route,
			       "cannot generate an event id: no randomness");
			return -EIO;
		}
		ev->event_id = id;
	}
	rc = add_record(ctx, &rec,
			sl_record_encode(&rec, ev, &ctx->en,
					 ctx->cfg->kafka_topic));
	if (!rc) {
		ctx->events++;
		sl_metrics_add(SL_M_ACCEPTED, 1);
	}
	if (ev->event_id == id)
		ev->event_id = NULL;
	return rc;
}

int sl_ctx_reject(struct sl_ctx *ctx, int status, const char *source,
		  bool with_body, const char *fmt, ...)
{
	struct sl_rejection rj = { 0 };
	struct sl_record rec;
	char reason[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sl_log(SL_LOG_WARN, ctx->req->id, ctx->route, "status=%d %s", status,
	       reason);
	rj.protocol = ctx->protocol;
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
	rc = add_record(ctx, &rec,
			sl_record_encode_bad(&rec, &rj, &ctx->en,
					     ctx->cfg->kafka_bad_topic));
	if (!rc) {
		ctx->rejected++;
		sl_metrics_add(SL_M_REJECTED, 1);
	}
	return rc;
}

int sl_ctx_read_body(struct sl_ctx *ctx, const char **why)
{
	switch (sl_request_read_body(ctx->req, ctx->cfg->max_body)) {
	case 0:
		return 0;
	case -E2BIG:
		*why = "body is over the size limit";
		return 413;
	case -ENODATA:
		*why = "Content-Length is required";
		return 411;
	case -EINVAL:
		*why = "Content-Length is not a number";
		return 400;
	case -EPIPE:
		*why = "body ended before Content-Length bytes";
		return 400;
	default:
		*why = "error reading the body";
		return 400;
	}
}

const char *sl_ctx_header(struct sl_ctx *ctx, const char *name)
{
	return sl_request_header(ctx->req, name);
}

bool sl_ctx_spool_full(struct sl_ctx *ctx)
{
	return sl_spool_is_full(ctx->core->spool);
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

/*
 * {"status":"ok"|"degraded"|"full","version":…,"kafka":"up"|"down"|"none",
 *  "spool":{"files":N,"bytes":N}}: 200, or 503 while the spool is over its
 * high watermark. degraded: Kafka is unreachable but the spool takes
 * the records.
 */
void sl_health(struct sl_ctx *ctx)
{
	struct sl_core *core = ctx->core;
	struct sl_buf b = { 0 };
	const char *kafka = "none", *status = "ok";
	unsigned long files = 0;
	uint64_t bytes = 0;
	bool full = sl_spool_is_full(core->spool);

	if (!status_allowed(ctx))
		return;
	if (core->kafka)
		kafka = sl_kafka_brokers_down(core->kafka) ? "down" : "up";
	if (full)
		status = "full";
	else if (!strcmp(kafka, "down"))
		status = "degraded";
	sl_spool_stats(core->spool, &files, &bytes);
	if (sl_buf_printf(&b, "{\"status\":\"%s\",\"version\":\"%s\",\"kafka\":\"%s\",\"spool\":{\"files\":%lu,\"bytes\":%" PRIu64 "}}\n",
			  status, PACKAGE_VERSION, kafka, files, bytes))
		sl_response_set(ctx->resp, 500, NULL, NULL, 0);
	else
		sl_response_set(ctx->resp, full ? 503 : 200, "application/json",
				b.data, b.len);
	sl_response_header(ctx->resp, "Cache-Control", "no-store");
	sl_buf_release(&b);
}

/* GET /metrics: the deployment's counters in Prometheus text format. */
void sl_metrics_page(struct sl_ctx *ctx)
{
	struct sl_core *core = ctx->core;
	const char *names[SL_METRICS_ROUTES] = { 0 };
	struct sl_buf b = { 0 };
	unsigned long files = 0;
	uint64_t bytes = 0;
	size_t i;

	if (!status_allowed(ctx))
		return;
	for (i = 0; i < core->routes.count && i < SL_METRICS_ROUTE_NONE; i++)
		names[i] = core->routes.rows[i].name;
	sl_spool_stats(core->spool, &files, &bytes);
	if (sl_metrics_render(&b, names, files, bytes))
		sl_response_set(ctx->resp, 503, "text/plain; charset=utf-8",
				"no shared counters\n", 19);
	else
		sl_response_set(ctx->resp, 200,
				"text/plain; version=0.0.4; charset=utf-8",
				b.data, b.len);
	sl_response_header(ctx->resp, "Cache-Control", "no-store");
	sl_buf_release(&b);
}

int sl_ctx_commit(struct sl_ctx *ctx)
{
	struct sl_core *core = ctx->core;
	unsigned int late;
	int rc;

	if (core->kafka && ctx->wait.pending) {
		late = sl_kafka_wait(core->kafka, &ctx->wait,
				     (int)core->cfg->delivery_wait_ms,
				     &ctx->batch);
		if (late)
			sl_log(SL_LOG_WARN, ctx->req->id, ctx->route,
			       "%u record(s) unconfirmed after %u ms: spooled",
			       late, core->cfg->delivery_wait_ms);
	}
	if (!ctx->batch.len)
		return 0;
	rc = core->discard ? 0 : sl_spool_append(core->spool, ctx->batch.data,
						    ctx->batch.len);
	if (rc)
		sl_log(SL_LOG_ERROR, ctx->req->id, ctx->route,
		       "cannot store %u event(s) and %u rejection(s) in spool %s: %s",
		       ctx->events, ctx->rejected, core->cfg->spool_dir,
		       strerror(-rc));
	sl_buf_reset(&ctx->batch);
	ctx->events = ctx->rejected = 0;
	return rc;
}

void sl_core_handle(struct sl_core *core, const struct sl_transport *tp,
		    void *io)
{
	struct sl_request req;
	struct sl_response resp = { 0 };
	struct sl_ctx ctx = { 0 };
	const struct sl_route *route = NULL;
	const char *allow, *origin;
	unsigned int events;
	int status;

	if (sl_request_init(&req, tp, io)) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "out of memory reading request");
		sl_response_set(&resp, 500, NULL, NULL, 0);
		goto out_send;
	}
	if (sl_random_hex(req.id, 8))
		strcpy(req.id, "0000000000000000");
	req.received_ms = sl_now_ms();

	ctx.core = core;
	ctx.cfg = core->cfg;
	ctx.req = &req;
	ctx.resp = &resp;
	sl_client_ip(core->cfg, &req, ctx.ip);
	ctx.en.received_at = req.received_ms;
	ctx.en.ip = ctx.ip[0] ? ctx.ip : NULL;
	ctx.en.user_agent = req.user_agent;
	ctx.en.request_id = req.id;
	ctx.not_tracked = core->cfg->do_not_track == SL_PRIVACY_DROP &&
			  sl_privacy_signal(&req);

	route = sl_routes_match(&core->routes, req.method, req.path, ctx.caps,
				&ctx.ncaps, &status, &allow);
	origin = sl_request_param(&req, "HTTP_ORIGIN");
	if (!route && status == 405 && !strcmp(req.method, "OPTIONS")) {
		if (!sl_cors_preflight(core->cfg, origin, allow,
				       sl_request_param(&req,
						"HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
				       &resp))
			sl_log(SL_LOG_WARN, req.id, NULL,
			       "preflight for %.200s from origin '%.100s', which is not in http.cors_origins: no CORS headers",
			       req.path, origin ? origin : "");
		goto out_send;
	}
	if (!route) {
		sl_log(SL_LOG_WARN, req.id, NULL, "status=%d %s %.200s", status,
		       req.method, req.path);
		sl_response_set(&resp, status, "text/plain; charset=utf-8",
				status == 404 ? "not found\n" :
				"method not allowed\n",
				status == 404 ? 10 : 19);
		if (allow)
			sl_response_header(&resp, "Allow", allow);
		goto out_send;
	}
	ctx.route = route->name;
	ctx.protocol = route->protocol;
	route->fn(&ctx);
	events = ctx.events;
	if (sl_ctx_commit(&ctx) && events && resp.status / 100 == 2) {
		/* Answered as taken (beacon), but the spool refused it. */
		sl_metrics_add(SL_M_DROPPED, events);
		sl_log(SL_LOG_ERROR, req.id, ctx.route,
		       "%u event(s) answered %d but lost: the spool cannot take them",
		       events, resp.status);
	}
	if (origin && !sl_cors_answer(core->cfg, origin, &resp))
		sl_log(SL_LOG_INFO, req.id, ctx.route,
		       "origin '%.100s' is not in http.cors_origins: no CORS headers",
		       origin);

out_send:
	sl_metrics_request(route ? (unsigned int)(route - core->routes.rows) :
			   SL_METRICS_ROUTE_NONE, resp.status);
	if (sl_response_send(&resp, tp, io))
		sl_log(SL_LOG_INFO, req.id, ctx.route,
		       "client went away before the response was written");
	sl_buf_release(&ctx.batch);
	sl_response_release(&resp);
	sl_request_release(&req);
}
