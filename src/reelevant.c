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
#include "codec.h"
#include "json.h"
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

/*
 * The fast road (json.h): a body the scanner calls plain, compact, whose
 * fields and labels are all as the schema wants them, is recorded from
 * its text, without a tree: the root's text is the data, its url cut
 * before any query or fragment. Anything else (every error, a label of
 * the wrong type, escapes where a value is read) takes the tree road,
 * which answers as always.
 */

/* The working buffers (ctx->scratch) of the fast road. */
enum { BUF_DATA, BUF_STRS };

/* Every label of data (an object) of the type the schema gives it: ids
 * a list of strings, value a number, the rest strings. */
static bool labels_fit(const struct sl_json *j, const struct sl_jtok *data)
{
	size_t i = (size_t)(data - j->tok) + 1, k, e;

	for (k = 0; k < data->count; k++, i = j->tok[i + 1].next) {
		const struct sl_jtok *name = &j->tok[i], *v = &j->tok[i + 1];
		const char *n = j->text + name->start;

		if (name->len == 3 && !memcmp(n, "ids", 3)) {
			if (v->type != SL_J_ARRAY)
				return false;
			for (e = 0; e < v->count; e++)
				if (v[1 + e].type != SL_J_STRING)
					return false;
		} else if (name->len == 5 && !memcmp(n, "value", 5)) {
			if (v->type != SL_J_NUMBER)
				return false;
		} else if (v->type != SL_J_STRING) {
			return false;
		}
	}
	return true;
}

/* 1 when the request was answered, 0 for the tree road. */
static int collect_plain(struct sl_ctx *ctx, const char *source,
			 const struct sl_section *ds)
{
	const struct sl_buf *body = &ctx->req->body;
	struct sl_buf *data = &ctx->scratch[BUF_DATA];
	struct sl_buf *strs = &ctx->scratch[BUF_STRS];
	enum { M_NAME, M_EVENT_ID, M_KEY, M_V, M_DATA, M_URL, M_TS, M_UA,
	       M_TMP_ID, M_CLIENT_ID, M_COUNT };
	static const struct sl_json_name names[M_COUNT] = {
		SL_JSON_NAME("name"), SL_JSON_NAME("eventId"),
		SL_JSON_NAME("key"), SL_JSON_NAME("v"), SL_JSON_NAME("data"),
		SL_JSON_NAME("url"), SL_JSON_NAME("timestamp"),
		SL_JSON_NAME("ua"), SL_JSON_NAME("tmpId"),
		SL_JSON_NAME("clientId"),
	};
	const struct sl_jtok *m[M_COUNT], *root, *name, *event_id, *key, *v;
	const struct sl_jtok *dt, *url, *ts, *ua, *tmp_id, *client_id;
	struct sl_event ev = { .protocol = "reelevant" };
	struct sl_json j = { 0 };
	size_t at[5], cut = SIZE_MAX, i;
	int64_t t;
	bool bot, failed;
	int rc = 0;

	if (!body->len || !sl_utf8_is_valid(body->data, body->len) ||
	    sl_json_scan(&j, body->data, body->len) != 1 ||
	    j.tok[0].type != SL_J_OBJECT || j.spaced || j.root_spaced)
		goto out;
	root = &j.tok[0];
	sl_json_members(&j, root, names, M_COUNT, m);
	v = m[M_V];
	dt = m[M_DATA];
	url = m[M_URL];
	ts = m[M_TS];
	ua = m[M_UA];
	if (sl_json_plain_field(m[M_NAME], SL_MAX_ID_LEN, &name) != 1 ||
	    sl_json_plain_field(m[M_EVENT_ID], SL_MAX_ID_LEN, &event_id) != 1 ||
	    sl_json_plain_field(m[M_KEY], SL_MAX_ID_LEN, &key) != 1 ||
	    !v || v->type != SL_J_NUMBER || v->len != 1 ||
	    j.text[v->start] != '1' ||
	    (dt && (dt->type != SL_J_OBJECT || !labels_fit(&j, dt))) ||
	    (url && url->type == SL_J_STRING && url->escaped) ||
	    sl_json_plain_field(m[M_TMP_ID], SL_MAX_ID_LEN, &tmp_id) < 0 ||
	    sl_json_plain_field(m[M_CLIENT_ID], SL_MAX_ID_LEN,
				&client_id) < 0 ||
	    (ua && ua->type == SL_J_STRING && ua->escaped))
		goto out;
	ev.event_ts = ctx->req->received_ms;
	if (ts && ts->type != SL_J_NULL) {
		if (!sl_json_int(&j, ts, &t) || t <= 0)
			goto out;
		/* Unix seconds, or milliseconds from Date.now(). */
		ev.event_ts = t < 100000000000LL ? t * 1000 : t;
	}
	ev.has_event_ts = 1;
	/* From here on the tree road would take the request as it is. */
	rc = 1;
	if (url && url->type == SL_J_STRING) {
		const char *u = j.text + url->start;

		for (i = 0; i < url->len && cut == SIZE_MAX; i++)
			if (u[i] == '?' || u[i] == '#')
				cut = i;
	}
	sl_buf_reset(data);
	sl_buf_reset(strs);
	if (cut == SIZE_MAX)
		failed = sl_buf_append(data, j.text + root->start, root->len);
	else	/* up to the cut, then from the url's closing quote on */
		failed = sl_buf_append(data, j.text + root->start,
				       url->start + cut - root->start) ||
			 sl_buf_append(data, j.text + url->start + url->len,
				       root->start + root->len - url->start -
				       url->len);
	if (failed ||
	    sl_json_keep(&j, name, strs, &at[0]) ||
	    sl_json_keep(&j, event_id, strs, &at[1]) ||
	    sl_json_keep(&j, tmp_id, strs, &at[2]) ||
	    sl_json_keep(&j, client_id, strs, &at[3]) ||
	    sl_json_keep(&j, ua && ua->type == SL_J_STRING ? ua : NULL, strs,
			 &at[4])) {
		sl_ctx_fail(ctx, "out of memory for the event");
		goto out;
	}
	/* strs no longer moves: point into it. */
	bot = sl_ctx_bot(ctx, at[4] != SIZE_MAX ? strs->data + at[4] :
			 ctx->req->user_agent);
	ev.source = source;
	ev.topic = ds->topic;
	ev.event_type = strs->data + at[0];
	ev.event_id = strs->data + at[1];
	ev.ids[SL_ID_DEVICE] = at[2] != SIZE_MAX ? strs->data + at[2] : NULL;
	ev.ids[SL_ID_USER] = at[3] != SIZE_MAX ? strs->data + at[3] : NULL;
	ev.data_text = data->data;
	ev.data_len = data->len;
	ev.meta_text = bot ? "{\"bot\":true,\"dropped_labels\":0}" :
			     "{\"bot\":false,\"dropped_labels\":0}";
	ev.meta_len = strlen(ev.meta_text);
	sl_response_set(ctx->resp, bot ? 202 : 200, NULL, NULL, 0);
	/* A failure to store is the core's to log and count as a drop. */
	if (sl_ctx_add_event(ctx, &ev))
		goto out;
out:
	sl_json_release(&j);
	return rc;
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
	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, source) ||
	    collect_plain(ctx, source, ds))
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
