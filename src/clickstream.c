/* clickstream.c - Clickstream Analytics: POST /collect?appId=...
 *
 * The body is a JSON array of events, sent as is, or gzip-compressed with
 * compression=gzip (base64 of gzip from the SDKs, raw gzip from curl).
 * Answers: 200 empty on success, 403 for an app that may not send, 413
 * for a body or batch over the limits, 400 with a one-line reason for
 * anything malformed, 503 when the events cannot be stored.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "codec.h"
#include "json.h"
#include "log.h"
#include "validate.h"

/* Limits of the Clickstream SDKs, enforced per event. */
#define CS_MAX_ITEMS 100
#define CS_MAX_USER_ATTRS 100
#define CS_MAX_ATTRS 500
#define CS_MAX_NAME 50

/* The query parameters the collector reads, found in one walk of the
 * query: appId, then those recorded with every event (in "meta"). */
enum {
	Q_APP_ID, Q_PLATFORM, Q_BUNDLE, Q_HASH, Q_COMPRESSION, Q_UPLOAD,
	Q_COUNT
};
static const char *const query_params[Q_COUNT] = {
	[Q_APP_ID] = "appId", [Q_PLATFORM] = "platform",
	[Q_BUNDLE] = "event_bundle_sequence_id", [Q_HASH] = "hashCode",
	[Q_COMPRESSION] = "compression", [Q_UPLOAD] = "upload_timestamp",
};
#define Q_META Q_PLATFORM	/* the rest, in this order, go in meta */
#define N_META (Q_COUNT - Q_META)
static const char *const *const meta_params = query_params + Q_META;

/* Per-request state. */
struct cs_req {
	struct sl_ctx *ctx;
	struct sl_query_span q[Q_COUNT];	/* each of query_params */
	const struct sl_section *app;
	struct sl_buf json;	/* decompressed body when compressed */
	const char *text;	/* the JSON text: body or json */
	size_t text_len;
	char reason[256];	/* why an event is refused */
};

/* The request's working buffers (ctx->scratch), each for one use. */
enum { BUF_APP_ID, BUF_PARAM, BUF_META, BUF_VALUE, BUF_DATA, BUF_STRS };
_Static_assert(BUF_STRS < SL_CTX_SCRATCH, "ctx->scratch has room");

/* Answer status with the reason as a one-line text body. */
static void answer_error(struct sl_ctx *ctx, int status, const char *reason)
{
	sl_response_reason_text(ctx->resp, status, reason);
}

/* Record the rejection and answer it. */
static void refuse(struct cs_req *cr, int status, bool with_body,
		   const char *reason)
{
	sl_ctx_refuse(cr->ctx, status, cr->app ? cr->app->id : NULL,
		      with_body, "%s", reason);
}

/* Compare without leaking, through timing, how much of the secret matched. */
static bool secret_equal(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), i;
	unsigned char diff = alen != blen;

	for (i = 0; i < alen && i < blen; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* 403 unless the app is configured and, if it has a token, was sent it. */
static bool check_app(struct cs_req *cr, struct sl_buf *app_id)
{
	struct sl_ctx *ctx = cr->ctx;
	const char *tok;
	char reason[200];
	size_t len = 0;
	int rc;

	sl_query_find(ctx->req->query, query_params, Q_COUNT, cr->q);
	rc = sl_query_take(&cr->q[Q_APP_ID], app_id);
	if (rc < 0 || !app_id->len) {
		refuse(cr, rc == -EINVAL ? 400 : 403, false,
		       rc == -EINVAL ? "appId has a bad %-escape" :
		       "appId is missing");
		return false;
	}
	cr->app = sl_config_section(ctx->cfg, SL_SECTION_APP, app_id->data,
				    app_id->len);
	if (!cr->app) {
		snprintf(reason, sizeof(reason), "appId '%.100s' is not allowed",
			 app_id->data);
		refuse(cr, 403, false, reason);
		return false;
	}
	if (!cr->app->token)
		return true;
	tok = sl_request_cookie(ctx->req, cr->app->token_cookie, &len);
	if (!tok || !secret_equal(tok, len, cr->app->token)) {
		snprintf(reason, sizeof(reason),
			 "request does not carry app %.100s's token in cookie %.50s",
			 cr->app->id, cr->app->token_cookie);
		refuse(cr, 403, false, reason);
		return false;
	}
	return true;
}

/* Undo compression=gzip; false after answering. */
static bool decompress(struct cs_req *cr, const char *compression)
{
	struct sl_ctx *ctx = cr->ctx;
	struct sl_buf b64 = { 0 };
	const char *in = cr->text;
	size_t in_len = cr->text_len;
	int rc;

	if (!compression || !*compression)
		return true;
	if (strcmp(compression, "gzip")) {
		refuse(cr, 400, false,
		       "compression must be gzip or absent");
		return false;
	}
	if (!sl_is_gzip(in, in_len)) {
		/* The SDKs send base64(gzip(json)). */
		if (sl_base64_decode(in, in_len, &b64) ||
		    !sl_is_gzip(b64.data, b64.len)) {
			sl_buf_release(&b64);
			refuse(cr, 400, true,
			       "compression=gzip but the body is neither gzip nor base64 of gzip");
			return false;
		}
		in = b64.data;
		in_len = b64.len;
	}
	rc = sl_gunzip(in, in_len, ctx->cfg->max_body, &cr->json);
	sl_buf_release(&b64);
	if (rc == -E2BIG) {
		refuse(cr, 413, false, "body inflates past the limit");
		return false;
	}
	if (rc) {
		refuse(cr, 400, true, "gzip body is corrupt or truncated");
		return false;
	}
	cr->text = cr->json.data ? cr->json.data : "";
	cr->text_len = cr->json.len;
	return true;
}

/* hashCode against the first 8 hex digits of SHA-256 of the body as
 * sent (Android) or of the JSON text (web). */
static bool hash_matches(const struct cs_req *cr, const char *hash)
{
	const struct sl_request *req = cr->ctx->req;
	char hex[65];

	if (strlen(hash) != 8)
		return false;
	if (!sl_sha256_hex(req->body.data, req->body.len, hex) &&
	    !strncasecmp(hex, hash, 8))
		return true;
	return cr->text != req->body.data &&
	       !sl_sha256_hex(cr->text, cr->text_len, hex) &&
	       !strncasecmp(hex, hash, 8);
}

/* An SDK attribute name: a letter or '_' then letters, digits or '_'. */
static bool name_is_valid_n(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n > CS_MAX_NAME ||
	    (!isalpha((unsigned char)name[0]) && name[0] != '_'))
		return false;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return false;
	return true;
}

static bool name_is_valid(const char *name)
{
	return name_is_valid_n(name, strlen(name));
}

static int member_count(const cJSON *obj)
{
	return cJSON_GetArraySize(obj);
}

/* Check one event; false with cr->reason set. */
static bool event_is_valid(struct cs_req *cr, const cJSON *ev, int idx)
{
	static const char *const required[] = {
		"event_type", "event_id", "app_id",
	};
	const cJSON *items, *user, *attrs, *it;
	const char *s;
	int64_t ts;
	size_t i;
	int rc;

#define WHY(...) (snprintf(cr->reason, sizeof(cr->reason), __VA_ARGS__), false)
	if (!cJSON_IsObject(ev))
		return WHY("event %d is not a JSON object", idx);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		rc = sl_json_get_string(ev, required[i], true, SL_MAX_ID_LEN, &s);
		if (rc == -ENOENT)
			return WHY("event %d: missing %s", idx, required[i]);
		if (rc)
			return WHY("event %d: %s must be a non-empty string of at most %d bytes",
				   idx, required[i], SL_MAX_ID_LEN);
	}
	rc = sl_json_get_int(ev, "timestamp", &ts);
	if (rc == -ENOENT)
		return WHY("event %d: missing timestamp", idx);
	if (rc || ts < 0)
		return WHY("event %d: timestamp must be an integer count of milliseconds", idx);

	items = cJSON_GetObjectItemCaseSensitive(ev, "items");
	if (items) {
		if (!cJSON_IsArray(items))
			return WHY("event %d: items must be an array", idx);
		if (member_count(items) > CS_MAX_ITEMS)
			return WHY("event %d: more than %d items", idx, CS_MAX_ITEMS);
		cJSON_ArrayForEach(it, items)
			if (!cJSON_IsObject(it))
				return WHY("event %d: every item must be an object", idx);
	}
	user = cJSON_GetObjectItemCaseSensitive(ev, "user");
	if (user) {
		if (!cJSON_IsObject(user))
			return WHY("event %d: user must be an object", idx);
		if (member_count(user) > CS_MAX_USER_ATTRS)
			return WHY("event %d: more than %d user attributes", idx,
				   CS_MAX_USER_ATTRS);
		cJSON_ArrayForEach(it, user) {
			if (!name_is_valid(it->string))
				return WHY("event %d: user attribute name '%.60s' breaks the naming rules",
					   idx, it->string);
			if (!cJSON_IsObject(it) ||
			    !cJSON_GetObjectItemCaseSensitive(it, "value") ||
			    sl_json_get_int(it, "set_timestamp", &ts))
				return WHY("event %d: user attribute %s must be {\"value\":…, \"set_timestamp\":<ms>}",
					   idx, it->string);
		}
	}
	attrs = cJSON_GetObjectItemCaseSensitive(ev, "attributes");
	if (attrs) {
		if (!cJSON_IsObject(attrs))
			return WHY("event %d: attributes must be an object", idx);
		if (member_count(attrs) > CS_MAX_ATTRS)
			return WHY("event %d: more than %d attributes", idx,
				   CS_MAX_ATTRS);
		cJSON_ArrayForEach(it, attrs)
			if (!name_is_valid(it->string))
				return WHY("event %d: attribute name '%.60s' breaks the naming rules (a letter or _, then letters, digits or _, at most %d)",
					   idx, it->string, CS_MAX_NAME);
	}
#undef WHY
	return true;
}

/* Fill ev from one valid clickstream event; topic is its storage for a
 * per-type topic name. */
static void to_event(struct cs_req *cr, const cJSON *item,
		     const struct sl_buf *meta, struct sl_event *ev,
		     char topic[SL_TOPIC_MAX + 1])
{
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(item, "attributes");
	const char *s;

	memset(ev, 0, sizeof(*ev));
	ev->protocol = "clickstream";
	ev->source = cr->app->id;
	ev->topic = cr->app->topic;
	ev->data = item;
	ev->meta_text = meta->data;
	ev->meta_len = meta->len;
	sl_json_get_string(item, "event_type", true, SL_MAX_ID_LEN, &ev->event_type);
	if (cr->app->topic_by_type) {
		sl_topic_from_pattern(cr->ctx->cfg->kafka_topic_pattern,
				      ev->event_type, topic);
		ev->topic = topic;
	}
	sl_json_get_string(item, "event_id", true, SL_MAX_ID_LEN, &ev->event_id);
	ev->has_event_ts = !sl_json_get_int(item, "timestamp", &ev->event_ts);
	if (!sl_json_get_string(item, "device_id", false, SL_MAX_ID_LEN, &s))
		ev->ids[SL_ID_DEVICE] = s;
	if (!sl_json_get_string(item, "unique_id", false, SL_MAX_ID_LEN, &s))
		ev->ids[SL_ID_USER] = s;
	if (attrs && !sl_json_get_string(attrs, "_session_id", false,
					 SL_MAX_ID_LEN, &s))
		ev->ids[SL_ID_SESSION] = s;
}

/*
 * The fast road. The slow one builds a tree of each body, checks it and
 * writes it back out; a plain body (json.h) of valid events needs none of
 * that: its events' bytes go into their records as they came.
 */

/* Every member name of object obj follows the SDK's rules. */
static bool plain_names_valid(const struct sl_json *j,
			      const struct sl_jtok *obj)
{
	size_t i = (size_t)(obj - j->tok) + 1, k;

	for (k = 0; k < obj->count; k++) {
		if (!name_is_valid_n(j->text + j->tok[i].start, j->tok[i].len))
			return false;
		i = j->tok[i + 1].next;
	}
	return true;
}

/* The members of one event the fast road looks at, found in one walk. */
struct plain_event {
	const struct sl_jtok *event_type, *event_id, *app_id, *timestamp,
			     *items, *user, *attributes, *device_id, *unique_id,
			     *session_id;
	int64_t ts;			/* timestamp, once checked */
};

static void plain_fields(const struct sl_json *j, const struct sl_jtok *ev,
			 struct plain_event *f)
{
	size_t i = (size_t)(ev - j->tok) + 1, k;

	memset(f, 0, sizeof(*f));
	for (k = 0; k < ev->count; k++) {
		const struct sl_jtok *key = &j->tok[i], *value = key + 1;
		const char *name = j->text + key->start;

		/* By length first: most names are then one compare away. */
#define IS(s) (!memcmp(name, s, sizeof(s) - 1))
		switch (key->len) {
		case 4:
			if (IS("user"))
				f->user = value;
			break;
		case 5:
			if (IS("items"))
				f->items = value;
			break;
		case 6:
			if (IS("app_id"))
				f->app_id = value;
			break;
		case 8:
			if (IS("event_id"))
				f->event_id = value;
			break;
		case 9:
			if (IS("timestamp"))
				f->timestamp = value;
			else if (IS("device_id"))
				f->device_id = value;
			else if (IS("unique_id"))
				f->unique_id = value;
			break;
		case 10:
			if (IS("event_type"))
				f->event_type = value;
			else if (IS("attributes"))
				f->attributes = value;
			break;
		}
#undef IS
		i = j->tok[i + 1].next;
	}
	if (f->attributes)
		f->session_id = sl_json_member(j, f->attributes, "_session_id");
}

/* True when the event is valid by event_is_valid()'s rules and plain
 * enough to show it without a tree; false sends the request down the
 * slow road, which says what is wrong, if anything. */
static bool plain_event_is_valid(const struct sl_json *j,
				 const struct sl_jtok *ev,
				 struct plain_event *f)
{
	const struct sl_jtok *t, *user, *u, *v;
	int64_t ts;
	size_t i, k;

	if (ev->type != SL_J_OBJECT ||
	    !f->event_type || !sl_json_is_plain_string(f->event_type, SL_MAX_ID_LEN) ||
	    !f->event_id || !sl_json_is_plain_string(f->event_id, SL_MAX_ID_LEN) ||
	    !f->app_id || !sl_json_is_plain_string(f->app_id, SL_MAX_ID_LEN) ||
	    !f->timestamp || !sl_json_int(j, f->timestamp, &f->ts) ||
	    f->ts < 0)
		return false;
	if ((t = f->items)) {
		if (t->type != SL_J_ARRAY || t->count > CS_MAX_ITEMS)
			return false;
		for (i = (size_t)(t - j->tok) + 1, k = 0; k < t->count;
		     k++, i = j->tok[i].next)
			if (j->tok[i].type != SL_J_OBJECT)
				return false;
	}
	if ((user = f->user)) {
		if (user->type != SL_J_OBJECT || user->count > CS_MAX_USER_ATTRS ||
		    !plain_names_valid(j, user))
			return false;
		for (i = (size_t)(user - j->tok) + 1, k = 0; k < user->count;
		     k++, i = j->tok[i + 1].next) {
			u = &j->tok[i + 1];
			v = sl_json_member(j, u, "set_timestamp");
			if (u->type != SL_J_OBJECT ||
			    !sl_json_member(j, u, "value") || !v ||
			    !sl_json_int(j, v, &ts))
				return false;
		}
	}
	if ((t = f->attributes) &&
	    (t->type != SL_J_OBJECT || t->count > CS_MAX_ATTRS ||
	     !plain_names_valid(j, t)))
		return false;
	/* Identities: kept when plain strings, ignored when not strings,
	 * decoded by the slow road when escaped. */
	return !(f->device_id && f->device_id->type == SL_J_STRING &&
		 f->device_id->escaped) &&
	       !(f->unique_id && f->unique_id->type == SL_J_STRING &&
		 f->unique_id->escaped) &&
	       !(f->session_id && f->session_id->type == SL_J_STRING &&
		 f->session_id->escaped);
}

/* The query parameters worth keeping, as a JSON object's text. */
static int meta_text(const struct cs_req *cr, const char *app_id,
		     struct sl_buf *out)
{
	struct sl_ctx *ctx = cr->ctx;
	struct sl_buf *v = &ctx->scratch[BUF_VALUE];
	const struct sl_query_span *spans = cr->q + Q_META;
	size_t i;
	int rc;

	sl_buf_reset(out);
	rc = sl_buf_puts(out, "{\"appId\":");
	if (!rc)
		rc = sl_buf_json_str(out, app_id, strlen(app_id));
	for (i = 0; !rc && i < N_META; i++) {
		int found = !spans[i].start ? 0 :
			    sl_query_decode(&spans[i], v) ? -1 : 1;

		if (found == 1 && sl_utf8_is_valid(v->data, v->len)) {
			rc = sl_buf_cat(out, ",\"", meta_params[i], "\":",
					(char *)NULL);
			if (!rc)
				rc = sl_buf_json_str(out, v->data, v->len);
		} else if (found) {
			sl_log(SL_LOG_WARN, ctx->req->id, ctx->route,
			       "query parameter %s has a bad %%-escape or is not UTF-8 text: not kept",
			       meta_params[i]);
		}
	}
	if (!rc)
		rc = sl_buf_puts(out, "}");
	return rc;
}

/* The string tok (plain, or NULL) as a C string in strs; its offset in
 * *at, SIZE_MAX for none. */
static int keep_string(const struct sl_json *j, const struct sl_jtok *tok,
		       struct sl_buf *strs, size_t *at)
{
	if (tok && !sl_json_is_plain_string(tok, SL_MAX_ID_LEN))
		tok = NULL;
	return sl_json_keep(j, tok, strs, at);
}

/* Record each event of the plain array j. Returns 0 or -ENOMEM (the core
 * then answers). */
static int add_plain_events(struct cs_req *cr, const struct sl_json *j,
			    const struct plain_event *fields,
			    const char *meta, size_t meta_len)
{
	struct sl_ctx *ctx = cr->ctx;
	struct sl_buf *data = &ctx->scratch[BUF_DATA];
	struct sl_buf *strs = &ctx->scratch[BUF_STRS];
	const struct sl_jtok *root = &j->tok[0], *ev;
	size_t i = 1, k, at[5];
	int rc = 0;

	for (k = 0; !rc && k < root->count; k++, i = j->tok[i].next) {
		char topic[SL_TOPIC_MAX + 1];
		struct sl_event e = {
			.protocol = "clickstream",
			.source = cr->app->id,
			.topic = cr->app->topic,
			.meta_text = meta,
			.meta_len = meta_len,
			.has_event_ts = 1,
		};

		const struct plain_event *f = &fields[k];

		ev = &j->tok[i];
		sl_buf_reset(strs);
		rc = keep_string(j, f->event_type, strs, &at[0]);
		if (!rc)
			rc = keep_string(j, f->event_id, strs, &at[1]);
		if (!rc)
			rc = keep_string(j, f->device_id, strs, &at[2]);
		if (!rc)
			rc = keep_string(j, f->unique_id, strs, &at[3]);
		if (!rc)
			rc = keep_string(j, f->session_id, strs, &at[4]);
		if (!rc)
			rc = sl_json_compact(j, ev, data, &e.data_text,
					     &e.data_len);
		if (rc) {
			sl_ctx_fail(ctx, "out of memory for an event");
			break;
		}
		/* strs no longer moves: point into it. */
		e.event_type = strs->data + at[0];
		e.event_id = strs->data + at[1];
		if (at[2] != SIZE_MAX)
			e.ids[SL_ID_DEVICE] = strs->data + at[2];
		if (at[3] != SIZE_MAX)
			e.ids[SL_ID_USER] = strs->data + at[3];
		if (at[4] != SIZE_MAX)
			e.ids[SL_ID_SESSION] = strs->data + at[4];
		if (cr->app->topic_by_type) {
			sl_topic_from_pattern(ctx->cfg->kafka_topic_pattern,
					      e.event_type, topic);
			e.topic = topic;
		}
		e.event_ts = f->ts;
		rc = sl_ctx_add_event(ctx, &e);
	}
	return rc;
}

/* The fast road for the decoded body: 1 when the request is answered, 0
 * to take the slow road instead. */
static int collect_plain(struct cs_req *cr, const char *app_id)
{
	struct sl_ctx *ctx = cr->ctx;
	struct plain_event *fields = NULL;
	struct sl_json j = { 0 };
	struct sl_buf *meta = &ctx->scratch[BUF_META];
	size_t i, k;
	int rc;

	if (!cr->text_len || !sl_utf8_is_valid(cr->text, cr->text_len))
		return 0;
	rc = sl_json_scan(&j, cr->text, cr->text_len);
	if (rc == 1 && (j.tok[0].type != SL_J_ARRAY || !j.tok[0].count ||
			j.tok[0].count > ctx->cfg->max_events))
		rc = 0;
	if (rc == 1 && !(fields = malloc(j.tok[0].count * sizeof(*fields))))
		rc = -ENOMEM;
	for (i = 1, k = 0; rc == 1 && k < j.tok[0].count; k++, i = j.tok[i].next) {
		plain_fields(&j, &j.tok[i], &fields[k]);
		if (!plain_event_is_valid(&j, &j.tok[i], &fields[k]))
			rc = 0;
	}
	if (rc == 1) {
		if (meta_text(cr, app_id, meta))
			sl_ctx_fail(ctx, "out of memory for the events' meta");
		else if (!add_plain_events(cr, &j, fields, meta->data, meta->len))
			sl_response_set(ctx->resp, 200, NULL, NULL, 0);
	} else if (rc < 0) {
		sl_ctx_fail(ctx, "out of memory reading the events");
		rc = 1;
	}
	free(fields);
	sl_json_release(&j);
	return rc;
}

static void collect(struct sl_ctx *ctx)
{
	struct cs_req cr = { .ctx = ctx };
	struct sl_buf *app_id = &ctx->scratch[BUF_APP_ID];
	struct sl_buf *param = &ctx->scratch[BUF_PARAM];
	struct sl_buf *meta = &ctx->scratch[BUF_META];
	cJSON *root = NULL;
	const cJSON *item;
	const char *why;
	int n, idx = 0;

	if (!check_app(&cr, app_id) || sl_ctx_busy(ctx) ||
	    !sl_ctx_read_body(ctx, cr.app->id))
		goto out;
	cr.text = ctx->req->body.data;
	cr.text_len = ctx->req->body.len;
	if (sl_query_take(&cr.q[Q_COMPRESSION], param) < 0) {
		refuse(&cr, 400, false, "compression has a bad %-escape");
		goto out;
	}
	if (!decompress(&cr, param->data))
		goto out;
	if (cr.app->verify_hash) {
		if (sl_query_take(&cr.q[Q_HASH], param) != 1 ||
		    !hash_matches(&cr, param->data)) {
			refuse(&cr, 400, true,
			       "hashCode is missing or does not match the body");
			goto out;
		}
	}
	if (collect_plain(&cr, app_id->data))
		goto out;
	root = sl_json_parse(cr.text, cr.text_len, &why);
	if (!root) {
		refuse(&cr, 400, true, why);
		goto out;
	}
	if (!cJSON_IsArray(root)) {
		refuse(&cr, 400, true, "body is not a JSON array of events");
		goto out;
	}
	n = cJSON_GetArraySize(root);
	if (n == 0) {
		refuse(&cr, 400, true, "body is an empty array");
		goto out;
	}
	if (!sl_ctx_events_fit(ctx, (size_t)n, cr.app->id))
		goto out;
	cJSON_ArrayForEach(item, root) {
		if (!event_is_valid(&cr, item, idx++)) {
			refuse(&cr, 400, true, cr.reason);
			goto out;
		}
	}
	if (meta_text(&cr, app_id->data, meta)) {
		sl_ctx_fail(ctx, "out of memory for the events' meta");
		goto out;
	}
	cJSON_ArrayForEach(item, root) {
		char topic[SL_TOPIC_MAX + 1];
		struct sl_event ev;

		to_event(&cr, item, meta, &ev, topic);
		if (sl_ctx_add_event(ctx, &ev))
			goto out;	/* the core answers */
	}
	sl_response_set(ctx->resp, 200, NULL, NULL, 0);
out:
	cJSON_Delete(root);
	sl_buf_release(&cr.json);
}

const struct sl_adapter sl_clickstream_adapter = {
	.protocol = "clickstream",
	.malformed_status = 400,
	.handle = collect,
	.answer_error = answer_error,
};
