/* core.c - the one path every request takes */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "adapter.h"
#include "bots.h"
#include "core.h"
#include "cors.h"
#include "enrich.h"
#include "geoip.h"
#include "ratelimit.h"
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
	struct sl_bots *bots;		/* NULL: http.bots = off, or no list */
	struct sl_geoip *geoip;		/* NULL: no geoip.database */
	struct sl_limits *limits;	/* NULL: no [limits] */
	/* One request at a time: what it needs is kept here and reused by
	 * the next (buffers keep their allocations, up to KEEP_MAX), so a
	 * request usually allocates nothing of its own. */
	struct sl_request req;
	struct sl_response resp;
	struct sl_batch batch;
	struct sl_buf client, geo;
	struct sl_buf scratch[SL_CTX_SCRATCH];
};

/* What a kept buffer may hold on to between requests. */
#define KEEP_MAX (64 * 1024)

/* Why a request's events are not recorded (its answer is unchanged). */
enum skip {
	SKIP_NONE,
	SKIP_NOT_TRACKED,	/* DNT/GPC with do_not_track = drop */
	SKIP_IGNORED,		/* from http.ignore_from */
	SKIP_BOT,		/* a crawler, http.bots = drop */
	SKIP_RATE_LIMITED,	/* over [limits], an always-200 format */
};

static const struct {
	enum sl_counter counter;
	const char *why;
} skips[] = {
	[SKIP_NOT_TRACKED] = { SL_M_DROPPED,
		"DNT/Sec-GPC and http.do_not_track = drop" },
	[SKIP_IGNORED] = { SL_M_IGNORED, "the client is in http.ignore_from" },
	[SKIP_BOT] = { SL_M_BOT, "a crawler's user agent and http.bots = drop" },
	[SKIP_RATE_LIMITED] = { SL_M_RATE_LIMITED, "over the rate limit" },
};

/* What the core keeps of one request besides struct sl_ctx. */
struct sl_ctx_private {
	struct sl_core *core;
	char ip[SL_IP_MAX];		/* client address */
	unsigned char raw_ip[16];	/* ... before anonymisation */
	bool ip_known;
	struct sl_enrichment en;	/* shared by all records */
	struct sl_batch batch;		/* records until the commit */
	bool failed;			/* a record could not be added */
	bool ended;			/* sl_ctx_end() ran */
	enum skip skip;			/* events not recorded, and why */
	const char *limited;		/* over this limit: the answer is 429 */
	bool source_checked;		/* [limits] per_source looked at */
	char bot[64];			/* what matched a crawler rule */
	char network_id[37];		/* the first-party cookie's id */
	struct sl_buf geo;		/* ,"geo":{...} */
};

const char *sl_core_default_config(void)
{
	return SL_CONFIG_FILE;
}

int sl_core_open_edge(const struct sl_config *cfg, unsigned int bots_flags,
		      struct sl_bots **bots, struct sl_geoip **geoip,
		      struct sl_limits **limits, char *err, size_t errlen)
{
	*bots = NULL;
	*geoip = NULL;
	if (limits)
		*limits = NULL;
	if (cfg->bots != SL_BOTS_OFF) {
		*bots = sl_bots_load(cfg->bots_file ? cfg->bots_file :
				     SL_BOTS_DEFAULT_FILE, bots_flags,
				     bots_flags & SL_BOTS_LAZY ?
				     cfg->spool_dir : NULL, err, errlen);
		/* A list named in the file must be there; the default one
		 * (a package) may be missing, which costs only the tags. */
		if (!*bots && cfg->bots_file)
			goto fail;
		if (!*bots)
			sl_log(SL_LOG_WARN, NULL, NULL,
			       "crawlers are not detected: %s (Debian: uap-core; or http.bots = off)",
			       err);
	}
	if (cfg->geoip_database) {
		*geoip = sl_geoip_open(cfg->geoip_database, err, errlen);
		if (!*geoip)
			goto fail;
	}
	if (limits && (cfg->limit_per_ip > 0 || cfg->limit_per_source > 0)) {
		*limits = sl_limits_open(cfg->spool_dir);
		if (!*limits) {
			snprintf(err, errlen, "%s/%s: cannot map the rate limits: %s",
				 cfg->spool_dir, SL_LIMITS_FILE, strerror(errno));
			goto fail;
		}
	}
	return 0;
fail:
	sl_bots_free(*bots);
	sl_geoip_close(*geoip);
	*bots = NULL;
	*geoip = NULL;
	return -1;
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
	/* One request per process: the crawler rules it needs, when it
	 * needs them. */
	if (sl_core_open_edge(core->cfg,
			      flags & SL_CORE_ONE_SHOT ? SL_BOTS_LAZY : 0,
			      &core->bots, &core->geoip, &core->limits, err,
			      errlen))
		goto out_free;
	return core;

out_free:
	sl_core_destroy(core);
	return NULL;
}

void sl_core_destroy(struct sl_core *core)
{
	size_t i;

	if (!core)
		return;
	sl_sink_close(core->sink);
	sl_metrics_close();
	sl_bots_free(core->bots);
	sl_geoip_close(core->geoip);
	sl_limits_close(core->limits);
	sl_routes_release(&core->routes);
	sl_config_destroy(core->cfg);
	sl_request_release(&core->req);
	sl_response_release(&core->resp);
	sl_batch_release(&core->batch);
	sl_buf_release(&core->client);
	sl_buf_release(&core->geo);
	for (i = 0; i < SL_CTX_SCRATCH; i++)
		sl_buf_release(&core->scratch[i]);
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
	else if (status == 429)
		sl_response_header(ctx->resp, "Retry-After", "1");
}

/* CLOCK_MONOTONIC in ms: the same clock in every process. */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether key (shown in the log as shown) is over the limit of rate. */
static bool over_limit(struct sl_ctx *ctx, char kind, const void *key,
		       size_t len, double rate, const char *what,
		       const char *shown)
{
	const struct sl_config *cfg = ctx->cfg;
	double burst = cfg->limit_burst ? cfg->limit_burst : fmax(1, ceil(rate));
	int r = sl_limits_take(ctx->priv->core->limits, kind, key, len, rate,
			       burst, mono_ms());

	if (r > 0)
		return false;
	if (r < 0)
		sl_log(SL_LOG_WARN, ctx->req->id, ctx->route,
		       "%.100s is over %s (%g/s, burst %g): %s (logged once per 10 s)",
		       shown, what, rate, burst, ctx->adapter->always_200 ?
		       "its events are dropped" : "answered 429");
	return true;
}

/* Over a limit: the formats that may refuse answer 429 (at the end, so
 * the whole batch goes); the others drop, counted. */
static void limit_reached(struct sl_ctx *ctx, const char *what)
{
	if (ctx->adapter->always_200)
		ctx->priv->skip = SKIP_RATE_LIMITED;
	else
		ctx->priv->limited = what;
}

/* limits.per_source, at the first event that names its source. */
static void check_source_limit(struct sl_ctx *ctx, const char *source)
{
	struct sl_ctx_private *priv = ctx->priv;

	priv->source_checked = true;
	if (priv->core->limits && ctx->cfg->limit_per_source > 0 &&
	    over_limit(ctx, 's', source, strlen(source),
		       ctx->cfg->limit_per_source, "limits.per_source", source))
		limit_reached(ctx, "limits.per_source");
}

/* A crawler: tagged, or not recorded. */
static void mark_bot(struct sl_ctx *ctx)
{
	struct sl_ctx_private *priv = ctx->priv;

	if (ctx->cfg->bots == SL_BOTS_DROP) {
		if (!priv->skip)
			priv->skip = SKIP_BOT;
	} else {
		priv->en.bot = priv->bot;
	}
}

bool sl_ctx_bot(struct sl_ctx *ctx, const char *ua)
{
	struct sl_ctx_private *priv = ctx->priv;

	if (priv->bot[0])
		return true;
	if (!priv->core->bots || !ua ||
	    !sl_bots_check(priv->core->bots, ua, priv->bot, sizeof(priv->bot)))
		return false;
	mark_bot(ctx);
	/* The shared part of the records now says so too (on failure
	 * each record writes its own). */
	if (priv->en.bot)
		(void)sl_enrichment_prepare(&priv->en);
	return true;
}

/* A first-party id: the one the client has back, or a new one. */
static void take_network_id(struct sl_ctx *ctx)
{
	struct sl_ctx_private *priv = ctx->priv;
	size_t len = 0, i;
	const char *v = sl_request_cookie(ctx->req, ctx->cfg->cookie_name, &len);
	bool ok = v && len == 36;

	for (i = 0; ok && i < len; i++)
		ok = (i == 8 || i == 13 || i == 18 || i == 23) ? v[i] == '-' :
		     (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f');
	if (ok) {
		memcpy(priv->network_id, v, 36);
		priv->network_id[36] = '\0';
	} else if (sl_uuid4(priv->network_id)) {
		priv->network_id[0] = '\0';
		return;
	}
	priv->en.network_id = priv->network_id;
}

/* Set-Cookie for the id, renewed with each answer. */
static void set_network_cookie(struct sl_ctx *ctx)
{
	const struct sl_config *cfg = ctx->cfg;
	const char *https = sl_request_param(ctx->req, "HTTPS");
	bool secure = https && (!strcasecmp(https, "on") || !strcmp(https, "1"));
	char v[512];
	int n;

	n = snprintf(v, sizeof(v), "%s=%s; Path=/; Max-Age=%u%s%s; HttpOnly; %s",
		     cfg->cookie_name, ctx->priv->network_id, cfg->cookie_max_age,
		     cfg->cookie_domain ? "; Domain=" : "",
		     cfg->cookie_domain ? cfg->cookie_domain : "",
		     secure ? "SameSite=None; Secure" : "SameSite=Lax");
	if (n > 0 && (size_t)n < sizeof(v))
		sl_response_header(ctx->resp, "Set-Cookie", v);
}

/*
 * What the edge decides before the adapter runs: internal traffic,
 * crawlers, the per-address limit, where the client is, its first-party
 * id. Then the part of the records every event shares is written once.
 */
static void edge(struct sl_ctx *ctx)
{
	struct sl_ctx_private *priv = ctx->priv;
	struct sl_core *core = priv->core;
	const struct sl_config *cfg = ctx->cfg;
	int rc;

	if (priv->ip_known && cfg->ignore_from.count &&
	    sl_cidr_list_has(&cfg->ignore_from, priv->raw_ip))
		priv->skip = SKIP_IGNORED;
	if (core->bots && sl_bots_check(core->bots, ctx->req->user_agent,
					priv->bot, sizeof(priv->bot)))
		mark_bot(ctx);
	if (!priv->skip && core->limits && cfg->limit_per_ip > 0 &&
	    priv->ip_known &&
	    over_limit(ctx, 'i', priv->raw_ip, sizeof(priv->raw_ip),
		       cfg->limit_per_ip, "limits.per_ip", priv->ip))
		limit_reached(ctx, "limits.per_ip");
	if (!priv->skip && !priv->limited) {
		rc = sl_geoip_put_from_server(ctx->req, &priv->geo);
		if (!rc && core->geoip && priv->ip_known)
			rc = sl_geoip_put(core->geoip, priv->raw_ip, &priv->geo);
		if (rc < 0)
			sl_log(SL_LOG_ERROR, ctx->req->id, ctx->route,
			       "no geo in the records: out of memory");
		else if (priv->geo.len) {
			priv->en.geo = priv->geo.data;
			priv->en.geo_len = priv->geo.len;
		}
	}
	if (cfg->cookie_name && !sl_anonymity_requested(cfg, ctx->req))
		take_network_id(ctx);
}

static bool is_status_page(const struct sl_adapter *adapter);

int sl_ctx_add_event(struct sl_ctx *ctx, struct sl_event *ev)
{
	struct sl_ctx_private *priv = ctx->priv;
	char id[37];
	int rc;

	if (!priv->source_checked && ev->source && !priv->skip)
		check_source_limit(ctx, ev->source);
	if (priv->skip) {
		sl_log(SL_LOG_DEBUG, ctx->req->id, ctx->route,
		       "event not recorded: %s", skips[priv->skip].why);
		sl_metrics_add(skips[priv->skip].counter, 1);
		return 0;
	}
	/* Refused at the end (429): nothing of the batch is kept. */
	if (priv->limited)
		return 0;
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
	if (priv->limited) {
		char why[100];

		sl_batch_abort(&priv->batch);
		snprintf(why, sizeof(why), "over %s, retry later", priv->limited);
		answer_error(ctx, 429, why);
		return;
	}
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

static bool is_status_page(const struct sl_adapter *adapter)
{
	return adapter == &sl_health_adapter || adapter == &sl_metrics_adapter;
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
	struct sl_request *req = &core->req;
	struct sl_response *resp = &core->resp;
	struct sl_ctx_private priv = {
		.core = core,
		.batch = core->batch,
		.en.client = core->client,
		.geo = core->geo,
	};
	struct sl_ctx ctx = { .priv = &priv, .scratch = core->scratch };
	const struct sl_route *route = NULL;
	const char *allow, *origin;
	int status;
	size_t i;

	if (sl_request_init(req, tp, io)) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "out of memory reading request");
		sl_response_set(resp, 500, NULL, NULL, 0);
		goto out_send;
	}
	if (sl_random_hex(req->id, 8))
		strcpy(req->id, "0000000000000000");
	req->received_ms = sl_now_ms();

	ctx.cfg = core->cfg;
	ctx.req = req;
	ctx.resp = resp;
	priv.ip_known = sl_client_ip(core->cfg, req, priv.ip, priv.raw_ip);
	priv.en.received_at = req->received_ms;
	priv.en.ip = priv.ip[0] ? priv.ip : NULL;
	priv.en.user_agent = req->user_agent;
	priv.en.request_id = req->id;
	if (core->cfg->do_not_track == SL_PRIVACY_DROP && sl_privacy_signal(req))
		priv.skip = SKIP_NOT_TRACKED;

	route = sl_routes_match(&core->routes, req->method, req->path, ctx.caps,
				&ctx.ncaps, &status, &allow);
	origin = sl_request_param(req, "HTTP_ORIGIN");
	if (!route) {
		no_route(core, req, resp, status, allow, origin);
		goto out_send;
	}
	ctx.route = route->name;
	ctx.adapter = route->adapter;
	if (!is_status_page(ctx.adapter))
		edge(&ctx);
	/* Shared by every record; without memory each writes its own. */
	(void)sl_enrichment_prepare(&priv.en);
	/* Over the per-address limit, a format that may refuse does at
	 * once, without reading the body. */
	if (!priv.limited)
		route->adapter->handle(&ctx);
	sl_ctx_end(&ctx);
	if (priv.network_id[0])
		set_network_cookie(&ctx);
	if (origin && !sl_cors_answer(core->cfg, origin, resp))
		sl_log(SL_LOG_INFO, req->id, ctx.route,
		       "origin '%.100s' is not in http.cors_origins: no CORS headers",
		       origin);

out_send:
	sl_metrics_request(route ? route->id : SL_METRICS_ROUTE_NONE,
			   resp->broken ? 500 : resp->status);
	if (sl_response_send(resp, tp, io))
		sl_log(SL_LOG_INFO, req->id, ctx.route,
		       "client went away before the response was written");
	/* Committed or aborted by sl_ctx_end(), unless no route ran. */
	sl_batch_abort(&priv.batch);
	core->batch = priv.batch;
	core->client = priv.en.client;
	core->geo = priv.geo;
	sl_buf_recycle(&core->batch.store, KEEP_MAX);
	sl_buf_recycle(&core->client, KEEP_MAX);
	sl_buf_recycle(&core->geo, KEEP_MAX);
	for (i = 0; i < SL_CTX_SCRATCH; i++)
		sl_buf_recycle(&core->scratch[i], KEEP_MAX);
	sl_response_finish(resp);
	sl_request_finish(req);
}
