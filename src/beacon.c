/* beacon.c - the Go "Collector" format: POST /e and GET /pixel
 *
 * Both routes answer 200 whatever they are sent: clients must never see an
 * error or retry. Input that is not a flat object of scalars is therefore
 * not refused but recorded on the bad-events topic with its reason.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "codec.h"
#include "json.h"
#include "log.h"
#include "validate.h"

/* Members (or query parameters) in one beacon event. */
#define BEACON_MAX_FIELDS SL_QUERY_MAX_FIELDS


/* Record one event whose fields are the members of data (a tree), or of
 * the object text (len bytes). A failure is the core's to count: the
 * answer stays 200. */
static void add(struct sl_ctx *ctx, const cJSON *data, const char *text,
		size_t len)
{
	struct sl_event ev = {
		.protocol = "beacon",
		.event_type = ctx->cfg->beacon_event_type,
		.topic = ctx->cfg->beacon_topic,
		.data = data,
		.data_text = text,
		.data_len = len,
	};

	if (sl_ctx_add_event(ctx, &ev))
		return;
}

/* Why obj is not a flat object of scalars, or NULL when it is. */
static const char *flat_problem(const cJSON *obj)
{
	const cJSON *item;
	int n = 0;

	if (!cJSON_IsObject(obj))
		return "body is not a JSON object";
	cJSON_ArrayForEach(item, obj) {
		if (cJSON_IsObject(item) || cJSON_IsArray(item))
			return "a value is an object or array, not a string, number, boolean or null";
		if (++n > BEACON_MAX_FIELDS)
			return "more than 500 fields";
	}
	if (n == 0)
		return "no fields";
	return NULL;
}

/*
 * The fast road (json.h): a plain body that is a flat object of scalars
 * goes into the record as it came, without a tree. True when the event
 * was added; false for anything else, which the tree then decides.
 */
static bool event_plain(struct sl_ctx *ctx)
{
	const struct sl_buf *body = &ctx->req->body;
	struct sl_json j = { 0 };
	struct sl_buf *data = &ctx->scratch[0];
	const char *text;
	size_t i, k, len;
	bool flat;

	if (!body->len || !sl_utf8_is_valid(body->data, body->len) ||
	    sl_json_scan(&j, body->data, body->len) != 1 ||
	    j.tok[0].type != SL_J_OBJECT || !j.tok[0].count) {
		sl_json_release(&j);
		return false;
	}
	/* Plain objects have at most 32 members: within the 500 fields. */
	flat = true;
	for (i = 1, k = 0; flat && k < j.tok[0].count; k++, i = j.tok[i + 1].next)
		flat = j.tok[i + 1].type != SL_J_OBJECT &&
		       j.tok[i + 1].type != SL_J_ARRAY;
	if (flat && !sl_json_compact(&j, &j.tok[0], data, &text, &len))
		add(ctx, NULL, text, len);
	else if (flat)
		sl_ctx_fail(ctx, "out of memory for the event");
	sl_json_release(&j);
	return flat;
}

static void beacon_event(struct sl_ctx *ctx)
{
	const char *why;
	cJSON *root;

	sl_response_set(ctx->resp, 200, NULL, NULL, 0);
	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, NULL) ||
	    event_plain(ctx))
		return;
	root = sl_json_parse(ctx->req->body.data, ctx->req->body.len, &why);
	if (root && !(why = flat_problem(root)))
		add(ctx, root, NULL, 0);
	else
		sl_ctx_reject(ctx, 200, NULL, true, "%s", why);
	cJSON_Delete(root);
}

static void beacon_pixel(struct sl_ctx *ctx)
{
	struct sl_buf *data = &ctx->scratch[0];
	const char *why;

	sl_response_set(ctx->resp, 200, "image/gif", sl_pixel_gif,
			SL_PIXEL_GIF_LEN);
	sl_response_lines(ctx->resp,
			  "Cache-Control: no-store, no-cache, must-revalidate\r\n");
	if (sl_ctx_busy(ctx))
		return;
	why = sl_query_json(ctx->req->query, data, &ctx->scratch[1], false,
			    NULL);
	if (!why)
		add(ctx, NULL, data->data, data->len);
	else if (!strcmp(why, "out of memory"))
		sl_ctx_fail(ctx, "out of memory for the event");
	else
		sl_ctx_reject(ctx, 200, NULL, false, "%s", why);
}

/* Both answer 200 whatever happens: no answer_error, so a body the core
 * cannot read is recorded as a rejection answered 200. */
const struct sl_adapter sl_beacon_event_adapter = {
	.protocol = "beacon",
	.always_200 = true,
	.malformed_status = 400,
	.handle = beacon_event,
};

const struct sl_adapter sl_beacon_pixel_adapter = {
	.protocol = "beacon",
	.always_200 = true,
	.malformed_status = 400,
	.handle = beacon_pixel,
};
