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
#include "log.h"
#include "validate.h"

/* Members (or query parameters) in one beacon event. */
#define BEACON_MAX_FIELDS 500

/* The 43-byte transparent 1x1 GIF89a. */
static const unsigned char gif[43] = {
	/* header, 1x1 screen, 2-colour global table */
	'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x01, 0x00,
	/* palette: black, white */
	0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	/* graphic control: colour 0 is transparent */
	0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
	/* image descriptor: 1x1 at 0,0 */
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	/* LZW data for one pixel, trailer */
	0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

/* Record one event whose fields are the members of data. A failure
 * is the core's to count: the answer stays 200. */
static void add(struct sl_ctx *ctx, const cJSON *data)
{
	struct sl_event ev = {
		.protocol = "beacon",
		.event_type = ctx->cfg->beacon_event_type,
		.topic = ctx->cfg->beacon_topic,
		.data = data,
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

static void beacon_event(struct sl_ctx *ctx)
{
	const char *why;
	cJSON *root;

	sl_response_set(ctx->resp, 200, NULL, NULL, 0);
	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, NULL))
		return;
	root = sl_json_parse(ctx->req->body.data, ctx->req->body.len, &why);
	if (root && !(why = flat_problem(root)))
		add(ctx, root);
	else
		sl_ctx_reject(ctx, 200, NULL, true, "%s", why);
	cJSON_Delete(root);
}

/* The query as an object of strings, or NULL with *why set. */
static cJSON *query_object(const char *query, const char **why)
{
	struct sl_buf name = { 0 }, value = { 0 };
	const char *cursor = query;
	cJSON *obj = cJSON_CreateObject();
	int rc = 0, n = 0;

	*why = NULL;
	while (obj && (rc = sl_query_next(&cursor, &name, &value)) == 1) {
		if (!name.len) {
			*why = "query has a parameter with no name";
		} else if (!sl_utf8_is_valid(name.data, name.len) ||
			   !sl_utf8_is_valid(value.data, value.len)) {
			*why = "query is not valid UTF-8 text once decoded";
		} else if (++n > BEACON_MAX_FIELDS) {
			*why = "more than 500 fields";
		} else if (!cJSON_GetObjectItemCaseSensitive(obj, name.data) &&
			   !cJSON_AddStringToObject(obj, name.data, value.data)) {
			*why = "out of memory";
		}
		if (*why)
			break;
	}
	if (!*why && rc == -EINVAL)
		*why = "query has a bad %-escape";
	else if (!*why && rc < 0)
		*why = "out of memory";
	else if (!*why && n == 0)
		*why = "no fields";
	if (*why || !obj) {
		cJSON_Delete(obj);
		obj = NULL;
		if (!*why)
			*why = "out of memory";
	}
	sl_buf_release(&name);
	sl_buf_release(&value);
	return obj;
}

static void beacon_pixel(struct sl_ctx *ctx)
{
	const char *why;
	cJSON *data;

	sl_response_set(ctx->resp, 200, "image/gif", gif, sizeof(gif));
	sl_response_header(ctx->resp, "Cache-Control",
			   "no-store, no-cache, must-revalidate");
	if (sl_ctx_busy(ctx))
		return;
	data = query_object(ctx->req->query, &why);
	if (data)
		add(ctx, data);
	else
		sl_ctx_reject(ctx, 200, NULL, false, "%s", why);
	cJSON_Delete(data);
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
