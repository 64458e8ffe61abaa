/* reelevant.c - Reelevant datasources: POST /collect/{datasource}/rlvt
 *
 * Answers carry no body: 200 accepted, 202 accepted as bot traffic, 400
 * for anything malformed, 404 for a datasource that is not configured.
 * A reserved label of the wrong type is dropped from data (with a log
 * line) and the hit still counts, as in the original.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "log.h"
#include "validate.h"

/* Reelevant's answers carry no body. */
static void answer_error(struct sl_ctx *ctx, int status, const char *reason)
{
	(void)reason;
	sl_response_set(ctx->resp, status, NULL, NULL, 0);
}

static void refuse(struct sl_ctx *ctx, int status, const char *source,
		   bool with_body, const char *reason)
{
	sl_ctx_refuse(ctx, status, source, with_body, "%s", reason);
}

/* Drop labels whose type breaks the schema; returns how many. */
static int clean_labels(struct sl_ctx *ctx, cJSON *data)
{
	cJSON *label = data ? data->child : NULL;
	int dropped = 0;

	while (label) {
		cJSON *next = label->next;
		const char *name = label->string;
		bool ok;

		if (!strcmp(name, "ids")) {
			const cJSON *id;

			ok = cJSON_IsArray(label);
			cJSON_ArrayForEach(id, label)
				ok = ok && cJSON_IsString(id);
		} else if (!strcmp(name, "value")) {
			ok = cJSON_IsNumber(label);
		} else {
			ok = cJSON_IsString(label);	/* transId and the rest */
		}
		if (!ok) {
			sl_log(SL_LOG_WARN, ctx->req->id, ctx->route,
			       "label '%.60s' has the wrong type: dropped",
			       name);
			cJSON_DeleteItemFromObjectCaseSensitive(data, name);
			dropped++;
		}
		label = next;
	}
	return dropped;
}

static void collect(struct sl_ctx *ctx)
{
	char source[SL_MAX_SECTION_ID + 1];
	const struct sl_section *ds;
	const cJSON *v, *url_item, *ts;
	cJSON *root = NULL, *data, *meta = NULL;
	const char *why, *name, *event_id, *key, *s, *ua;
	struct sl_event ev = { .protocol = "reelevant" };
	int dropped;
	bool bot;

	if (!sl_ctx_capture(ctx, 0, source, sizeof(source)) ||
	    !sl_section_id_is_valid(SL_SECTION_DATASOURCE, source,
				    strlen(source))) {
		refuse(ctx, 400, NULL, false, "datasource id is malformed");
		return;
	}
	ds = sl_config_section(ctx->cfg, SL_SECTION_DATASOURCE, source,
			       strlen(source));
	if (!ds) {
		sl_ctx_refuse(ctx, 404, NULL, false,
			      "datasource '%s' is not configured", source);
		return;
	}
	/* Reelevant's clients expect no refusal for back-pressure. */
	sl_response_set(ctx->resp, 200, NULL, NULL, 0);
	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, source))
		return;
	root = sl_json_parse(ctx->req->body.data ? ctx->req->body.data : "",
			     ctx->req->body.len, &why);
	if (!root || !cJSON_IsObject(root)) {
		refuse(ctx, 400, source, true,
		       root ? "body is not a JSON object" : why);
		goto out;
	}
	if (sl_json_get_string(root, "name", true, SL_MAX_ID_LEN, &name) ||
	    sl_json_get_string(root, "eventId", true, SL_MAX_ID_LEN, &event_id) ||
	    sl_json_get_string(root, "key", true, SL_MAX_ID_LEN, &key)) {
		refuse(ctx, 400, source, true,
		       "name, eventId and key must be non-empty strings");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "v");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
		refuse(ctx, 400, source, true, "v must be 1");
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (data && !cJSON_IsObject(data)) {
		refuse(ctx, 400, source, true, "data must be an object of labels");
		goto out;
	}
	dropped = clean_labels(ctx, data);

	/* The url without its query or fragment. */
	url_item = cJSON_GetObjectItemCaseSensitive(root, "url");
	if (cJSON_IsString(url_item) && strpbrk(url_item->valuestring, "?#")) {
		url_item->valuestring[strcspn(url_item->valuestring, "?#")] = '\0';
	}
	ts = cJSON_GetObjectItemCaseSensitive(root, "timestamp");
	if (ts && !cJSON_IsNull(ts) &&
	    (sl_json_get_int(root, "timestamp", &ev.event_ts) ||
	     ev.event_ts <= 0)) {
		refuse(ctx, 400, source, true,
		       "timestamp must be a positive integer (seconds or milliseconds)");
		goto out;
	}
	if (ts && !cJSON_IsNull(ts)) {
		/* Unix seconds, or milliseconds from Date.now(). */
		if (ev.event_ts < 100000000000LL)
			ev.event_ts *= 1000;
	} else {
		ev.event_ts = ctx->req->received_ms;
	}
	ev.has_event_ts = 1;

	ua = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "ua")) ?
	     cJSON_GetObjectItemCaseSensitive(root, "ua")->valuestring :
	     ctx->req->user_agent;
	bot = sl_ctx_bot(ctx, ua);
	meta = cJSON_CreateObject();
	if (!meta || !cJSON_AddBoolToObject(meta, "bot", bot) ||
	    !cJSON_AddNumberToObject(meta, "dropped_labels", dropped)) {
		sl_ctx_fail(ctx, "out of memory for the event's meta");
		goto out;
	}
	ev.source = source;
	ev.event_type = name;
	ev.event_id = event_id;
	ev.topic = ds->topic;
	ev.data = root;
	ev.meta = meta;
	if (!sl_json_get_string(root, "tmpId", false, SL_MAX_ID_LEN, &s))
		ev.ids[SL_ID_DEVICE] = s;
	if (!sl_json_get_string(root, "clientId", false, SL_MAX_ID_LEN, &s))
		ev.ids[SL_ID_USER] = s;
	/* A failure to store is the core's to log and count as a drop; the
	 * client still gets its answer, as for the watermark above. */
	sl_response_set(ctx->resp, bot ? 202 : 200, NULL, NULL, 0);
	if (sl_ctx_add_event(ctx, &ev))
		goto out;
out:
	cJSON_Delete(meta);
	cJSON_Delete(root);
}

/* Malformed requests are refused, back-pressure never is (always_200). */
const struct sl_adapter sl_reelevant_adapter = {
	.protocol = "reelevant",
	.always_200 = true,
	.malformed_status = 400,
	.handle = collect,
	.answer_error = answer_error,
};
