/* segment.c - the Segment HTTP API: POST /v1/{type} and POST /v1/m
 *
 * The calls of the Segment spec, as analytics.js, the server libraries
 * and RudderStack's SDKs send them: track, page, screen, identify, group
 * and alias (also by their one-letter paths), and batch or import, whose
 * body holds a list of calls. A write key ([writekey KEY]) comes from
 * Authorization: Basic base64(KEY:) or from the body's writeKey. Answers
 * are {"success":true}, or {"success":false,"message":...} with 400 for
 * anything malformed, 401 for a missing or unknown write key, 503 with
 * Retry-After under back-pressure.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "codec.h"
#include "json.h"
#include "log.h"
#include "validate.h"

/* Segment's own limits. */
#define SEG_MAX_EVENT (32 * 1024)
#define SEG_MAX_BATCH (500 * 1024)
#define SEG_MAX_EVENTS 2500

/* The call types, by path and by a batch item's "type". */
static const struct {
	const char *path, *type;
} calls[] = {
	{ "track", "track" }, { "t", "track" },
	{ "page", "page" }, { "p", "page" },
	{ "screen", "screen" }, { "s", "screen" },
	{ "identify", "identify" }, { "i", "identify" },
	{ "group", "group" }, { "g", "group" },
	{ "alias", "alias" }, { "a", "alias" },
	{ "batch", NULL }, { "b", NULL }, { "import", NULL },
};

#define NCALLS (sizeof(calls) / sizeof(calls[0]))

/* {"success":false,"message":reason} */
static void answer_error(struct sl_ctx *ctx, int status, const char *reason)
{
	sl_response_reason_json(ctx->resp, status,
				"{\"success\":false,\"message\":", reason, "}");
}

static void answer_ok(struct sl_ctx *ctx)
{
	static const char ok[] = "{\"success\":true}";

	sl_response_set(ctx->resp, 200, "application/json", ok, sizeof(ok) - 1);
}

/* The call type for a path segment or an item's type; *known says
 * whether it names a call at all (batch is one, with no type). */
static const char *call_type(const char *name, bool single_only, bool *known)
{
	size_t i;

	*known = false;
	for (i = 0; name && i < NCALLS; i++) {
		if (strcmp(calls[i].path, name))
			continue;
		if (single_only && (!calls[i].type || strlen(name) == 1))
			return NULL;	/* a batch item says "track", not "t" */
		*known = true;
		return calls[i].type;
	}
	return NULL;
}

/*
 * The write key: from Authorization: Basic base64(KEY:) (the server
 * libraries), else the body's writeKey (analytics.js). Copied into key
 * (size bytes); false when there is none.
 */
static bool write_key(struct sl_ctx *ctx, const char *body_key, char *key,
		      size_t size)
{
	const char *auth = sl_request_param(ctx->req, "HTTP_AUTHORIZATION");
	struct sl_buf raw = { 0 };
	size_t n;
	bool found = false;

	if (auth && !strncasecmp(auth, "Basic ", 6) &&
	    !sl_base64_decode(auth + 6, strlen(auth + 6), &raw) && raw.len) {
		n = strcspn(raw.data, ":");
		if (n > 0 && n < size && !memchr(raw.data, '\0', raw.len)) {
			memcpy(key, raw.data, n);
			key[n] = '\0';
			found = true;
		}
	}
	sl_buf_release(&raw);
	if (!found && body_key && body_key[0] && strlen(body_key) < size) {
		strcpy(key, body_key);
		found = true;
	}
	return found;
}

static int days_from_civil(int y, unsigned int m, unsigned int d)
{
	int era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int)doe - 719468;
}

/* Whether s starts as form says: 'd' a digit, anything else itself. */
static bool digits_at(const char *s, const char *form)
{
	for (; *form; s++, form++)
		if (*form == 'd' ? *s < '0' || *s > '9' : *s != *form)
			return false;
	return true;
}

/* The n digits at s as a number. */
static int num(const char *s, int n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* An ISO 8601 date and time ("2024-05-01T12:00:00.123Z", an offset
 * "+02:00" or none meaning UTC) as Unix milliseconds. */
static bool iso8601_ms(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, n = 0, frac = 0, fd = 0, sign, oh, om;
	const char *p;

	/* The usual form read digit by digit; sscanf for the rest (its
	 * %d also takes signs and blanks, which the form does not). */
	if (digits_at(s, "dddd-dd-ddTdd:dd:dd")) {
		y = num(s, 4);
		mo = num(s + 5, 2);
		d = num(s + 8, 2);
		h = num(s + 11, 2);
		mi = num(s + 14, 2);
		sec = num(s + 17, 2);
		n = 19;
	} else if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
			  &sec, &n) != 6) {
		return false;
	}
	if (n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return false;
	p = s + n;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, fd++)
			if (fd < 3)
				frac = frac * 10 + (*p - '0');
		if (!fd)
			return false;
		for (; fd < 3; fd++)
			frac *= 10;
	}
	*ms = ((int64_t)days_from_civil(y, (unsigned int)mo, (unsigned int)d) *
	       86400 + h * 3600 + mi * 60 + sec) * 1000 + frac;
	if (*p == 'Z' && !p[1])
		return true;
	if (!*p)
		return true;
	if (*p != '+' && *p != '-')
		return false;
	if (digits_at(p + 1, "dd:dd")) {
		oh = num(p + 1, 2);
		om = num(p + 4, 2);
		n = 5;
	} else if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2) {
		return false;
	}
	if (p[1 + n] || oh > 23 || om > 59)
		return false;
	sign = *p == '+' ? 1 : -1;
	*ms -= sign * ((int64_t)oh * 3600 + om * 60) * 1000;
	return true;
}

/* The optional string member name of item: 0 with *out NULL when absent
 * or null (analytics.js sends "userId": null before identify), 0 with
 * *out set, or -EINVAL for anything else. */
static int opt_string(const cJSON *item, const char *name, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, name);

	*out = NULL;
	if (cJSON_IsNull(v))
		return 0;
	return sl_json_get_string(item, name, false, SL_MAX_ID_LEN, out);
}

/* Why item (call type, or NULL to take the item's own) is not a call of
 * the spec, or NULL when it is. */
static const char *item_problem(const cJSON *item, const char **type,
				char *why, size_t size, int idx)
{
	const char *user, *anon, *event;
	bool known;

	if (!cJSON_IsObject(item))
		return snprintf(why, size, "call %d is not a JSON object", idx), why;
	if (!*type) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "type");

		*type = cJSON_IsString(t) ?
			call_type(t->valuestring, true, &known) : NULL;
		if (!*type)
			return snprintf(why, size,
					"call %d: type must be track, page, screen, identify, group or alias",
					idx), why;
	}
	if (opt_string(item, "userId", &user) ||
	    opt_string(item, "anonymousId", &anon) || (!user && !anon))
		return snprintf(why, size,
				"call %d: userId or anonymousId is required (a string of at most %d bytes)",
				idx, SL_MAX_ID_LEN), why;
	if (!strcmp(*type, "track") &&
	    sl_json_get_string(item, "event", true, SL_MAX_ID_LEN, &event))
		return snprintf(why, size,
				"call %d: track needs event (a string of at most %d bytes)",
				idx, SL_MAX_ID_LEN), why;
	return NULL;
}

/* True when the item is over Segment's 32 KB for one call. */
static bool item_too_big(const cJSON *item)
{
	char *text = cJSON_PrintUnformatted(item);
	bool big = !text || strlen(text) > SEG_MAX_EVENT;

	cJSON_free(text);
	return big;
}

/*
 * The fast road (json.h): a body the scanner calls plain, whose calls are
 * all good, is recorded from its text without a tree. Anything else (an
 * error to answer, a string with escapes where a value is read, a body
 * over 32 KB, whose calls' sizes only the tree measures) takes the tree
 * road, which answers as always.
 */

/* The working buffers (ctx->scratch) of the fast road. */
enum { BUF_META, BUF_DATA, BUF_STRS };

/* An optional string member as the tree road reads it (opt_string):
 * 0 absent or null, 1 a string (*out), -EINVAL anything else; -EAGAIN for
 * a string with escapes, which only the tree decodes. */
static int plain_opt(const struct sl_json *j, const struct sl_jtok *item,
		     const char *name, const struct sl_jtok **out)
{
	const struct sl_jtok *v = sl_json_member(j, item, name);

	*out = NULL;
	if (!v || v->type == SL_J_NULL)
		return 0;
	if (v->type == SL_J_STRING && v->escaped)
		return -EAGAIN;
	if (!sl_json_is_plain_string(v, SL_MAX_ID_LEN))
		return -EINVAL;
	*out = v;
	return 1;
}

/* The text of string tok as a C string in out (size bytes), or false
 * when it does not fit. */
static bool tok_text(const struct sl_json *j, const struct sl_jtok *tok,
		     char *out, size_t size)
{
	if (tok->len >= size)
		return false;
	memcpy(out, j->text + tok->start, tok->len);
	out[tok->len] = '\0';
	return true;
}

/* The fields of one good call. */
struct plain_call {
	const char *type;		/* static */
	const struct sl_jtok *event, *message_id, *timestamp, *user, *anon;
};

/* Whether item is a call the tree road would take as it is, its fields
 * in *c. */
static bool plain_call(const struct sl_json *j, const struct sl_jtok *item,
		       const char *path_type, struct plain_call *c)
{
	const struct sl_jtok *t;
	char name[16];
	bool known;

	if (item->type != SL_J_OBJECT)
		return false;
	c->type = path_type;
	if (!c->type) {
		t = sl_json_member(j, item, "type");
		if (!t || t->type != SL_J_STRING || t->escaped ||
		    !tok_text(j, t, name, sizeof(name)) ||
		    !(c->type = call_type(name, true, &known)))
			return false;
	}
	if (plain_opt(j, item, "userId", &c->user) < 0 ||
	    plain_opt(j, item, "anonymousId", &c->anon) < 0 ||
	    (!c->user && !c->anon))
		return false;
	c->event = NULL;
	if (!strcmp(c->type, "track") &&
	    plain_opt(j, item, "event", &c->event) != 1)
		return false;
	/* A bad messageId or timestamp is not an error, but an escaped
	 * one is the tree's to read. */
	return plain_opt(j, item, "messageId", &c->message_id) != -EAGAIN &&
	       plain_opt(j, item, "timestamp", &c->timestamp) != -EAGAIN;
}

/* {"context":...,"sentAt":...} of the batch, into meta (left empty when
 * it has neither). */
static int plain_meta(const struct sl_json *j, const struct sl_jtok *ctxt,
		      const struct sl_jtok *sent, struct sl_buf *meta)
{
	int rc = 0;

	if (!ctxt && !sent)
		return 0;
	rc = sl_buf_puts(meta, "{");
	if (!rc && ctxt)
		rc = sl_buf_puts(meta, "\"context\":") ||
		     sl_json_put_compact(j, ctxt, meta) ? -ENOMEM : 0;
	if (!rc && sent)
		rc = sl_buf_puts(meta, ctxt ? ",\"sentAt\":" : "\"sentAt\":") ||
		     sl_json_put_compact(j, sent, meta) ? -ENOMEM : 0;
	return rc ? rc : sl_buf_puts(meta, "}");
}

/* Record the good calls; false after a failure the core answers. */
static bool add_plain_calls(struct sl_ctx *ctx, const struct sl_section *src,
			    const struct sl_json *j,
			    const struct plain_call *pc, size_t n,
			    const struct sl_jtok *first)
{
	struct sl_buf *meta = &ctx->scratch[BUF_META];
	struct sl_buf *data = &ctx->scratch[BUF_DATA];
	struct sl_buf *strs = &ctx->scratch[BUF_STRS];
	const struct sl_jtok *item = first;
	size_t k, at[4];

	for (k = 0; k < n; k++, item = &j->tok[item->next]) {
		const struct plain_call *c = &pc[k];
		char ts[SL_MAX_ID_LEN + 1];
		struct sl_event ev = {
			.protocol = "segment",
			.source = src->id,
			.topic = src->topic,
			.event_type = c->type,
			.meta_text = meta->len ? meta->data : NULL,
			.meta_len = meta->len,
		};

		sl_buf_reset(strs);
		if (sl_json_keep(j, c->event, strs, &at[0]) ||
		    sl_json_keep(j, c->message_id, strs, &at[1]) ||
		    sl_json_keep(j, c->user, strs, &at[2]) ||
		    sl_json_keep(j, c->anon, strs, &at[3]) ||
		    sl_json_compact(j, item, data, &ev.data_text, &ev.data_len)) {
			sl_ctx_fail(ctx, "out of memory for a call");
			return false;
		}
		if (at[0] != SIZE_MAX)
			ev.event_type = strs->data + at[0];
		if (at[1] != SIZE_MAX)
			ev.event_id = strs->data + at[1];
		if (at[2] != SIZE_MAX)
			ev.ids[SL_ID_USER] = strs->data + at[2];
		if (at[3] != SIZE_MAX)
			ev.ids[SL_ID_DEVICE] = strs->data + at[3];
		if (c->timestamp && tok_text(j, c->timestamp, ts, sizeof(ts)))
			ev.has_event_ts = iso8601_ms(ts, &ev.event_ts);
		if (sl_ctx_add_event(ctx, &ev))
			return false;
	}
	return true;
}

/* 1 when the request was answered, 0 for the tree road. */
static int call_plain(struct sl_ctx *ctx, const char *path_type, bool batch)
{
	const struct sl_buf *body = &ctx->req->body;
	struct sl_json j = { 0 };
	struct plain_call *cs = NULL, cs_one;
	const struct sl_jtok *root, *items = NULL, *wk, *item;
	const struct sl_section *src;
	char key[SL_MAX_SECTION_ID + 1], body_key[SL_MAX_SECTION_ID + 1];
	size_t n, k;
	int rc = 0;

	if (!body->len || body->len > SEG_MAX_EVENT ||
	    !sl_utf8_is_valid(body->data, body->len) ||
	    sl_json_scan(&j, body->data, body->len) != 1 ||
	    j.tok[0].type != SL_J_OBJECT)
		goto out;
	root = &j.tok[0];
	wk = sl_json_member(&j, root, "writeKey");
	if (wk && (wk->type != SL_J_STRING || wk->escaped ||
		   !tok_text(&j, wk, body_key, sizeof(body_key))))
		goto out;
	if (!write_key(ctx, wk ? body_key : NULL, key, sizeof(key)) ||
	    !(src = sl_config_section(ctx->cfg, SL_SECTION_WRITEKEY, key,
				      strlen(key))))
		goto out;
	if (batch) {
		items = sl_json_member(&j, root, "batch");
		if (!items || items->type != SL_J_ARRAY || !items->count)
			goto out;
		n = items->count;
		item = items + 1;
	} else {
		n = 1;
		item = root;
	}
	/* One call (the usual single call) without an allocation. */
	if (n > SEG_MAX_EVENTS || n > ctx->cfg->max_events ||
	    !(cs = n == 1 ? &cs_one : malloc(n * sizeof(*cs))))
		goto out;
	for (k = 0; k < n; k++, item = &j.tok[item->next])
		if (!plain_call(&j, item, path_type, &cs[k]))
			goto out;
	rc = 1;
	if (plain_meta(&j, batch ? sl_json_member(&j, root, "context") : NULL,
		       sl_json_member(&j, root, "sentAt"),
		       &ctx->scratch[BUF_META]))
		sl_ctx_fail(ctx, "out of memory for the calls' meta");
	else if (add_plain_calls(ctx, src, &j, cs, n,
				 batch ? items + 1 : root))
		answer_ok(ctx);
out:
	if (cs != &cs_one)
		free(cs);
	sl_json_release(&j);
	return rc;
}

static void call(struct sl_ctx *ctx)
{
	char name[16], key[SL_MAX_SECTION_ID + 1], why[200];
	const struct sl_section *src;
	const cJSON *items, *item, *ctxt, *sent, *wk;
	cJSON *root = NULL, *single = NULL, *meta = NULL;
	const char *path_type, *reason;
	bool known, batch;
	int n, idx;

	if (!sl_ctx_capture(ctx, 0, name, sizeof(name)) ||
	    (path_type = call_type(name, false, &known), !known)) {
		sl_ctx_refuse(ctx, 404, NULL, false, "no such call: /v1/%.20s",
			      ctx->ncaps ? name : "");
		return;
	}
	batch = !path_type;
	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, NULL))
		return;
	if (ctx->req->body.len > SEG_MAX_BATCH) {
		sl_ctx_refuse(ctx, 400, NULL, false,
			      "body of %zu bytes is over 500 KB",
			      ctx->req->body.len);
		return;
	}
	if (call_plain(ctx, path_type, batch))
		return;
	root = sl_json_parse(ctx->req->body.data ? ctx->req->body.data : "",
			     ctx->req->body.len, &reason);
	if (!root || !cJSON_IsObject(root)) {
		sl_ctx_refuse(ctx, 400, NULL, true, "%s",
			      root ? "body is not a JSON object" : reason);
		goto out;
	}
	wk = cJSON_GetObjectItemCaseSensitive(root, "writeKey");
	if (!write_key(ctx, cJSON_IsString(wk) ? wk->valuestring : NULL, key,
		       sizeof(key))) {
		sl_ctx_refuse(ctx, 401, NULL, false,
			      "no write key: send Authorization: Basic base64(KEY:) or writeKey");
		goto out;
	}
	src = sl_config_section(ctx->cfg, SL_SECTION_WRITEKEY, key, strlen(key));
	if (!src) {
		sl_ctx_refuse(ctx, 401, NULL, false,
			      "write key '%.40s' is not allowed", key);
		goto out;
	}
	items = batch ? cJSON_GetObjectItemCaseSensitive(root, "batch") : NULL;
	if (batch && (!cJSON_IsArray(items) || !cJSON_GetArraySize(items))) {
		sl_ctx_refuse(ctx, 400, src->id, true,
			      "batch must be a non-empty list of calls");
		goto out;
	}
	if (!batch) {
		/* One call: the body is the item, in a list of one. */
		single = cJSON_CreateArray();
		if (!single || !cJSON_AddItemReferenceToArray(single, root)) {
			sl_ctx_fail(ctx, "out of memory for the call");
			goto out;
		}
		items = single;
	}
	n = cJSON_GetArraySize(items);
	if (n > SEG_MAX_EVENTS) {
		sl_ctx_refuse(ctx, 400, src->id, true,
			      "%d calls are over 2,500 in one batch", n);
		goto out;
	}
	if (!sl_ctx_events_fit(ctx, (size_t)n, src->id))
		goto out;
	idx = 0;
	cJSON_ArrayForEach(item, items) {
		const char *type = path_type;

		if ((reason = item_problem(item, &type, why, sizeof(why), idx)) ||
		    (ctx->req->body.len > SEG_MAX_EVENT && item_too_big(item) &&
		     (snprintf(why, sizeof(why), "call %d is over 32 KB", idx),
		      (reason = why)))) {
			sl_ctx_refuse(ctx, 400, src->id, true, "%s", reason);
			goto out;
		}
		idx++;
	}
	/* What the batch says for all its calls. */
	ctxt = batch ? cJSON_GetObjectItemCaseSensitive(root, "context") : NULL;
	sent = cJSON_GetObjectItemCaseSensitive(root, "sentAt");
	if (ctxt || sent) {
		meta = cJSON_CreateObject();
		if (!meta || (ctxt && !cJSON_AddItemReferenceToObject(meta, "context",
								   (cJSON *)ctxt)) ||
		    (sent && !cJSON_AddItemReferenceToObject(meta, "sentAt",
							     (cJSON *)sent))) {
			sl_ctx_fail(ctx, "out of memory for the calls' meta");
			goto out;
		}
	}
	cJSON_ArrayForEach(item, items) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "type");
		const char *type = path_type ? path_type :
				   call_type(t->valuestring, true, &known);
		const char *ts, *s;
		struct sl_event ev = {
			.protocol = "segment",
			.source = src->id,
			.topic = src->topic,
			.data = item,
			.meta = meta,
		};

		ev.event_type = type;
		if (!strcmp(type, "track"))
			sl_json_get_string(item, "event", true, SL_MAX_ID_LEN,
					   &ev.event_type);
		if (!opt_string(item, "messageId", &s))
			ev.event_id = s;
		if (!opt_string(item, "timestamp", &ts) && ts)
			ev.has_event_ts = iso8601_ms(ts, &ev.event_ts);
		if (!opt_string(item, "userId", &s))
			ev.ids[SL_ID_USER] = s;
		if (!opt_string(item, "anonymousId", &s))
			ev.ids[SL_ID_DEVICE] = s;
		if (sl_ctx_add_event(ctx, &ev))
			goto out;	/* the core answers */
	}
	answer_ok(ctx);
out:
	cJSON_Delete(meta);
	cJSON_Delete(single);
	cJSON_Delete(root);
}

/* analytics.js posts its own usage counters here: answered, counted in
 * /metrics as this route's requests, not recorded. */
static void usage(struct sl_ctx *ctx)
{
	answer_ok(ctx);
}

const struct sl_adapter sl_segment_adapter = {
	.protocol = "segment",
	.malformed_status = 400,
	.too_large_status = 400,	/* the trackers retry a 413 */
	.handle = call,
	.answer_error = answer_error,
};

const struct sl_adapter sl_segment_metrics_adapter = {
	.protocol = "segment",
	.malformed_status = 400,
	.too_large_status = 400,	/* the trackers retry a 413 */
	.handle = usage,
	.answer_error = answer_error,
};
