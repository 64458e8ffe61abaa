/* snowplow.c - the Snowplow tracker protocol: POST tp2 and GET /i
 *
 * POST /com.snowplowanalytics.snowplow/tp2 takes a payload_data
 * document, {"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/
 * jsonschema/1-0-N","data":[{...},...]}, each item one event of string
 * fields, and answers "ok". GET /i takes one event as its query and
 * answers the 43-byte GIF. The trackers retry every status but 400, 401,
 * 403, 410 and 422: what must not come again (malformed, too large, too
 * many events) is 400 with a one-line reason, back-pressure 503 with
 * Retry-After.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "codec.h"
#include "log.h"
#include "validate.h"

#define PAYLOAD_SCHEMA \
	"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-"

/* Event kinds (e=) and the event_type each is recorded with; ue takes
 * the name from its own schema. */
static const struct {
	const char *e, *type;
} kinds[] = {
	{ "pv", "page_view" }, { "pp", "page_ping" }, { "se", "struct" },
	{ "ue", NULL }, { "tr", "transaction" }, { "ti", "transaction_item" },
};


/* A one-line text answer: the reason. */
static void answer_error(struct sl_ctx *ctx, int status, const char *reason)
{
	sl_response_reason_text(ctx->resp, status, reason);
}

/*
 * JSON text (plain) or base64 of it (encoded: the standard or URL-safe
 * alphabet, padded or not) as a tree, or NULL.
 */
static cJSON *embedded_json(const char *s, bool encoded)
{
	struct sl_buf raw = { 0 };
	const char *why;
	cJSON *tree = NULL;
	size_t i, n = strlen(s);
	char *copy;

	if (!encoded)
		return sl_json_parse(s, n, &why);
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (i = 0; i < n; i++)
		copy[i] = copy[i] == '-' ? '+' : copy[i] == '_' ? '/' : copy[i];
	if (!sl_base64_decode(copy, n, &raw) && raw.len)
		tree = sl_json_parse(raw.data, raw.len, &why);
	free(copy);
	sl_buf_release(&raw);
	return tree;
}

/* The name in a schema URI: iglu:vendor/NAME/format/version. */
static bool schema_name(const cJSON *sd, char *out, size_t size)
{
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(sd, "schema");
	const char *p, *end;

	if (!cJSON_IsString(schema) || strncmp(schema->valuestring, "iglu:", 5))
		return false;
	p = strchr(schema->valuestring, '/');
	if (!p)
		return false;
	end = strchr(++p, '/');
	if (!end || end == p || (size_t)(end - p) >= size)
		return false;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return true;
}

/*
 * Decode the self-describing JSON item carries as text (plain) or
 * base64 (encoded) and add it to item as name. Returns 0 (also when item
 * has neither), -EINVAL (not JSON, or item has a field of that name
 * already) or -ENOMEM.
 */
static int add_decoded(cJSON *item, const char *plain, const char *encoded,
		       const char *name)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(item, plain);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(item, encoded);
	cJSON *tree;

	if (!p && !e)
		return 0;
	if (cJSON_GetObjectItemCaseSensitive(item, name))
		return -EINVAL;	/* the name its decoding would take */
	tree = embedded_json(p ? p->valuestring : e->valuestring, !p);
	if (!tree || !cJSON_IsObject(tree)) {
		cJSON_Delete(tree);
		return -EINVAL;
	}
	if (!cJSON_AddItemToObject(item, name, tree)) {
		cJSON_Delete(tree);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Check one event (an object of strings) and decode what it embeds into
 * it; its event_type into type (size bytes). Returns NULL, or why the
 * event is refused (into why); *oom when memory ran out.
 */
static const char *check_event(cJSON *item, int idx, char *why, size_t size,
			       char *type, size_t tsize, bool *oom)
{
	const cJSON *ue, *inner, *v;
	const char *e, *s;
	size_t i;
	int rc;

	*oom = false;
	cJSON_ArrayForEach(v, item)
		if (!cJSON_IsString(v))
			return snprintf(why, size, "event %d: %.40s is not a string",
					idx, v->string), why;
	if (sl_json_get_string(item, "e", true, 8, &e) ||
	    sl_json_get_string(item, "p", true, SL_MAX_ID_LEN, &s) ||
	    sl_json_get_string(item, "tv", true, SL_MAX_ID_LEN, &s))
		return snprintf(why, size, "event %d: e, p and tv are required",
				idx), why;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].e, e))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return snprintf(why, size,
				"event %d: e must be pv, pp, se, ue, tr or ti", idx),
		       why;
	rc = add_decoded(item, "ue_pr", "ue_px", "unstruct_event");
	if (!rc)
		rc = add_decoded(item, "co", "cx", "contexts");
	if (rc == -ENOMEM) {
		*oom = true;
		return "out of memory decoding an event";
	}
	if (rc)
		return snprintf(why, size,
				"event %d: ue_pr/ue_px or co/cx is not (base64 of) a JSON object",
				idx), why;
	if (kinds[i].type) {
		snprintf(type, tsize, "%s", kinds[i].type);
		return NULL;
	}
	/* {"schema":".../unstruct_event/...","data":{"schema":
	 * "iglu:com.acme/link_click/jsonschema/1-0-0","data":{}}} */
	ue = cJSON_GetObjectItemCaseSensitive(item, "unstruct_event");
	inner = ue ? cJSON_GetObjectItemCaseSensitive(ue, "data") : NULL;
	if (!inner || !schema_name(inner, type, tsize))
		return snprintf(why, size,
				"event %d: e=ue needs ue_pr or ue_px with an event whose schema names it",
				idx), why;
	return NULL;
}

/* Add the record of a checked event. Returns 0 or a negative errno (the
 * core then answers). */
static int record_event(struct sl_ctx *ctx, const cJSON *item,
			const char *type)
{
	struct sl_event ev = {
		.protocol = "snowplow",
		.event_type = type,
		.data = item,
	};
	const char *s;

	if (!sl_json_get_string(item, "eid", false, SL_MAX_ID_LEN, &s))
		ev.event_id = s;
	if (!sl_json_get_string(item, "aid", false, SL_MAX_ID_LEN, &s))
		ev.source = s;
	if (!sl_json_get_string(item, "dtm", false, 20, &s) && s) {
		char *end;
		long long ms = strtoll(s, &end, 10);

		if (!*end && ms > 0) {
			ev.event_ts = ms;
			ev.has_event_ts = 1;
		}
	}
	if (!sl_json_get_string(item, "duid", false, SL_MAX_ID_LEN, &s))
		ev.ids[SL_ID_DEVICE] = s;
	if (!sl_json_get_string(item, "uid", false, SL_MAX_ID_LEN, &s))
		ev.ids[SL_ID_USER] = s;
	if (!sl_json_get_string(item, "sid", false, SL_MAX_ID_LEN, &s))
		ev.ids[SL_ID_SESSION] = s;
	if (!sl_json_get_string(item, "nuid", false, SL_MAX_ID_LEN, &s))
		ev.ids[SL_ID_PROFILE] = s;
	return sl_ctx_add_event(ctx, &ev);
}

/* Check every event, then record them all: a batch is kept whole or not
 * at all. False after refusing (or failing). */
static bool record_all(struct sl_ctx *ctx, cJSON *list, bool with_body)
{
	char why[200], (*types)[SL_MAX_ID_LEN + 1];
	const char *problem = NULL;
	size_t n = (size_t)cJSON_GetArraySize(list), k = 0;
	cJSON *item;
	bool oom = false;

	types = calloc(n, sizeof(*types));
	if (!types) {
		sl_ctx_fail(ctx, "out of memory for the events");
		return false;
	}
	cJSON_ArrayForEach(item, list) {
		problem = cJSON_IsObject(item) ?
			  check_event(item, (int)k, why, sizeof(why), types[k],
				      sizeof(types[k]), &oom) :
			  (snprintf(why, sizeof(why), "event %d is not a JSON object",
				    (int)k), why);
		if (problem)
			break;
		k++;
	}
	if (oom)
		sl_ctx_fail(ctx, problem);
	else if (problem)
		sl_ctx_refuse(ctx, 400, NULL, with_body, "%s", problem);
	k = 0;
	cJSON_ArrayForEach(item, list) {
		if (problem || record_event(ctx, item, types[k++]))
			break;
	}
	free(types);
	return !problem && !item;
}

static void post(struct sl_ctx *ctx)
{
	const cJSON *schema;
	cJSON *root, *data;
	const char *why, *v;

	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, NULL))
		return;
	root = sl_json_parse(ctx->req->body.data ? ctx->req->body.data : "",
			     ctx->req->body.len, &why);
	if (!root || !cJSON_IsObject(root)) {
		sl_ctx_refuse(ctx, 400, NULL, true, "%s",
			      root ? "body is not a JSON object" : why);
		goto out;
	}
	schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
	v = cJSON_IsString(schema) ? schema->valuestring : "";
	if (strncmp(v, PAYLOAD_SCHEMA, strlen(PAYLOAD_SCHEMA)) ||
	    strlen(v) != strlen(PAYLOAD_SCHEMA) + 1 ||
	    v[strlen(PAYLOAD_SCHEMA)] < '0' || v[strlen(PAYLOAD_SCHEMA)] > '4') {
		sl_ctx_refuse(ctx, 400, NULL, true,
			      "schema must be payload_data 1-0-0 to 1-0-4");
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (!cJSON_IsArray(data) || !cJSON_GetArraySize(data)) {
		sl_ctx_refuse(ctx, 400, NULL, true,
			      "data must be a non-empty list of events");
		goto out;
	}
	if (sl_ctx_events_fit(ctx, (size_t)cJSON_GetArraySize(data), NULL) &&
	    record_all(ctx, data, true))
		sl_response_set(ctx->resp, 200, "text/plain; charset=utf-8",
				"ok", 2);
out:
	cJSON_Delete(root);
}

/* GET /i: the query is the event (the first of a repeated name wins). */
static void get(struct sl_ctx *ctx)
{
	struct sl_buf name = { 0 }, value = { 0 };
	const char *cursor = ctx->req->query;
	cJSON *list = NULL, *item = NULL;
	int rc = 0;

	if (sl_ctx_busy(ctx))
		return;
	list = cJSON_CreateArray();
	item = cJSON_CreateObject();
	if (!list || !item || !cJSON_AddItemToArray(list, item)) {
		cJSON_Delete(item);
		sl_ctx_fail(ctx, "out of memory reading the query");
		goto out;
	}
	while ((rc = sl_query_next(&cursor, &name, &value)) == 1) {
		if (!sl_utf8_is_valid(name.data, name.len) ||
		    !sl_utf8_is_valid(value.data, value.len)) {
			sl_ctx_refuse(ctx, 400, NULL, false,
				      "query is not valid UTF-8 text once decoded");
			goto out;
		}
		if (name.len && !cJSON_GetObjectItemCaseSensitive(item, name.data) &&
		    !cJSON_AddStringToObject(item, name.data, value.data)) {
			sl_ctx_fail(ctx, "out of memory reading the query");
			goto out;
		}
	}
	if (rc < 0) {
		sl_ctx_refuse(ctx, 400, NULL, false, "query has a bad %%-escape");
		goto out;
	}
	if (record_all(ctx, list, false)) {
		sl_response_set(ctx->resp, 200, "image/gif", sl_pixel_gif,
				SL_PIXEL_GIF_LEN);
		sl_response_header(ctx->resp, "Cache-Control",
				   "no-cache, no-store, must-revalidate");
	}
out:
	cJSON_Delete(list);
	sl_buf_release(&name);
	sl_buf_release(&value);
}

const struct sl_adapter sl_snowplow_post_adapter = {
	.protocol = "snowplow",
	.malformed_status = 400,
	.too_large_status = 400,	/* the trackers retry a 413 */
	.handle = post,
	.answer_error = answer_error,
};

const struct sl_adapter sl_snowplow_get_adapter = {
	.protocol = "snowplow",
	.malformed_status = 400,
	.too_large_status = 400,	/* the trackers retry a 413 */
	.handle = get,
	.answer_error = answer_error,
};
