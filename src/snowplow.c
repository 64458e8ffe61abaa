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
#include "json.h"
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

/*
 * The fast road (json.h): a payload the scanner calls plain whose events
 * are all good is recorded from its text, without a tree; what an event
 * embeds (ue_pr/ue_px, co/cx) is scanned the same way and appended to
 * it, as the tree road adds it. Anything else (every error, an event of
 * over 32 fields, escapes where a value is read) takes the tree road,
 * which answers as always.
 */

/* The working buffers (ctx->scratch) of the fast road. */
enum { BUF_DATA, BUF_OUT, BUF_EMBED, BUF_RAW, BUF_STRS, BUF_QUERY, BUF_NAMES };
_Static_assert(BUF_NAMES < SL_CTX_SCRATCH, "ctx->scratch has room");

/* The fields of an event the fast road reads, found in one walk of its
 * members (ev_fields()). */
enum {
	F_E, F_P, F_TV, F_UE_PR, F_UE_PX, F_CO, F_CX, F_UNSTRUCT, F_CONTEXTS,
	F_EID, F_AID, F_DTM, F_DUID, F_UID, F_SID, F_NUID, F_COUNT
};

/* Which of them the member name (len bytes) is, or -1: by its length,
 * then compares of known sizes (a few instructions, no call). */
static int field_of(const char *n, size_t len)
{
#define IS(s) (!memcmp(n, s, sizeof(s) - 1))
	switch (len) {
	case 1:
		return *n == 'e' ? F_E : *n == 'p' ? F_P : -1;
	case 2:
		return IS("tv") ? F_TV : IS("co") ? F_CO : IS("cx") ? F_CX : -1;
	case 3:
		return IS("eid") ? F_EID : IS("aid") ? F_AID :
		       IS("dtm") ? F_DTM : IS("uid") ? F_UID :
		       IS("sid") ? F_SID : -1;
	case 4:
		return IS("duid") ? F_DUID : IS("nuid") ? F_NUID : -1;
	case 5:
		return IS("ue_pr") ? F_UE_PR : IS("ue_px") ? F_UE_PX : -1;
	case 8:
		return IS("contexts") ? F_CONTEXTS : -1;
	case 14:
		return IS("unstruct_event") ? F_UNSTRUCT : -1;
	default:
		return -1;
	}
#undef IS
}

/* f[F_...] the value of each such member of ev (a plain object: no
 * name twice), or NULL. False when a member is not a string (the tree
 * road refuses the event). */
static bool ev_fields(const struct sl_json *j, const struct sl_jtok *ev,
		      const struct sl_jtok *f[F_COUNT])
{
	size_t i, k;
	int w;

	memset(f, 0, F_COUNT * sizeof(*f));
	for (i = (size_t)(ev - j->tok) + 1, k = 0; k < ev->count;
	     k++, i = j->tok[i + 1].next) {
		if (j->tok[i + 1].type != SL_J_STRING)
			return false;
		w = field_of(j->text + j->tok[i].start, j->tok[i].len);
		if (w >= 0)
			f[w] = &j->tok[i + 1];
	}
	return true;
}

/* What one good event needs for its record. */
struct plain_ev {
	const char *type;			/* static, or type_buf */
	char type_buf[SL_MAX_ID_LEN + 1];
	const struct sl_jtok *ue, *co;		/* their texts, or NULL */
	bool ue_encoded, co_encoded;
	const struct sl_jtok *eid, *aid, *dtm, *duid, *uid, *sid, *nuid;
	size_t data_at, data_len;		/* its data in BUF_OUT */
};

/* The JSON object that tok carries, as text (a string's value) or as
 * base64 of it (encoded, either alphabet), scanned into inner; its
 * compact text into out. False when it is not one (the tree road then
 * says so). */
static bool embedded_plain(struct sl_ctx *ctx, const struct sl_json *j,
			   const struct sl_jtok *tok, bool encoded,
			   struct sl_json *inner, struct sl_buf *out)
{
	struct sl_buf *text = &ctx->scratch[BUF_EMBED];
	struct sl_buf *raw = &ctx->scratch[BUF_RAW];
	const char *t;
	size_t i, len;

	sl_buf_reset(text);
	if (sl_json_string_value(j, tok, text))
		return false;
	if (encoded) {
		for (i = 0; i < text->len; i++)
			text->data[i] = text->data[i] == '-' ? '+' :
					text->data[i] == '_' ? '/' : text->data[i];
		sl_buf_reset(raw);
		if (sl_base64_decode(text->data, text->len, raw) || !raw->len)
			return false;
		t = raw->data;
		len = raw->len;
	} else {
		t = text->data;
		len = text->len;
	}
	return len && sl_utf8_is_valid(t, len) &&
	       sl_json_scan(inner, t, len) == 1 &&
	       inner->tok[0].type == SL_J_OBJECT &&
	       !sl_json_put_compact(inner, &inner->tok[0], out);
}

/* Whether ev is an event the tree road would take as it is. */
static bool plain_ev_check(const struct sl_json *j, const struct sl_jtok *ev,
			   struct plain_ev *f)
{
	const struct sl_jtok *m[F_COUNT], *e, *p, *tv;
	size_t k;

	if (ev->type != SL_J_OBJECT || !ev_fields(j, ev, m))
		return false;
	if (sl_json_plain_field(m[F_E], 8, &e) != 1 ||
	    sl_json_plain_field(m[F_P], SL_MAX_ID_LEN, &p) != 1 ||
	    sl_json_plain_field(m[F_TV], SL_MAX_ID_LEN, &tv) != 1)
		return false;
	f->type = NULL;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strlen(kinds[k].e) == e->len &&
		    !memcmp(kinds[k].e, j->text + e->start, e->len))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return false;
	f->type = kinds[k].type;
	/* The plain form wins over the encoded one, as in the tree road;
	 * an event naming the member its decoding would take is refused
	 * there. */
	f->ue = m[F_UE_PR] ? m[F_UE_PR] : m[F_UE_PX];
	f->ue_encoded = !m[F_UE_PR];
	f->co = m[F_CO] ? m[F_CO] : m[F_CX];
	f->co_encoded = !m[F_CO];
	if ((f->ue && m[F_UNSTRUCT]) || (f->co && m[F_CONTEXTS]) ||
	    (!f->type && !f->ue))
		return false;
	return sl_json_plain_field(m[F_EID], SL_MAX_ID_LEN, &f->eid) >= 0 &&
	       sl_json_plain_field(m[F_AID], SL_MAX_ID_LEN, &f->aid) >= 0 &&
	       sl_json_plain_field(m[F_DTM], 20, &f->dtm) >= 0 &&
	       sl_json_plain_field(m[F_DUID], SL_MAX_ID_LEN, &f->duid) >= 0 &&
	       sl_json_plain_field(m[F_UID], SL_MAX_ID_LEN, &f->uid) >= 0 &&
	       sl_json_plain_field(m[F_SID], SL_MAX_ID_LEN, &f->sid) >= 0 &&
	       sl_json_plain_field(m[F_NUID], SL_MAX_ID_LEN, &f->nuid) >= 0;
}

/* The name in the schema URI of the event an unstruct_event wraps,
 * {"schema":...,"data":{"schema":"iglu:vendor/NAME/format/version",...}},
 * into type (size bytes), as schema_name() reads it. */
static bool ue_type(const struct sl_json *inner, char *type, size_t size)
{
	const struct sl_jtok *data = sl_json_member(inner, &inner->tok[0], "data");
	const struct sl_jtok *schema;
	const char *sp, *a, *b;

	schema = data && data->type == SL_J_OBJECT ?
		 sl_json_member(inner, data, "schema") : NULL;
	if (!schema || schema->type != SL_J_STRING || schema->escaped ||
	    schema->len < 5 || memcmp(inner->text + schema->start, "iglu:", 5))
		return false;
	sp = inner->text + schema->start;
	a = memchr(sp, '/', schema->len);
	b = a ? memchr(a + 1, '/', schema->len - (size_t)(a + 1 - sp)) : NULL;
	if (!b || b == a + 1 || (size_t)(b - a - 1) >= size)
		return false;
	memcpy(type, a + 1, (size_t)(b - a - 1));
	type[b - a - 1] = '\0';
	return true;
}

/* The event's record data appended to out: its own fields, then what it
 * embeds; for e=ue, f->type from the inner event's schema. False when an
 * embedded document is not a plain object, or names no event (the tree
 * road's to refuse). */
static bool plain_ev_data(struct sl_ctx *ctx, const struct sl_json *j,
			  const struct sl_jtok *ev, struct plain_ev *f,
			  struct sl_buf *out)
{
	struct sl_json inner = { 0 };
	const char *text;
	size_t len;
	bool ok;

	f->data_at = out->len;
	if (sl_json_compact(j, ev, &ctx->scratch[BUF_DATA], &text, &len) ||
	    sl_buf_append(out, text, len - 1))		/* without its '}' */
		return false;
	ok = true;
	if (f->ue) {
		ok = !sl_buf_puts(out, ",\"unstruct_event\":") &&
		     embedded_plain(ctx, j, f->ue, f->ue_encoded, &inner, out);
		if (ok && !f->type)
			ok = ue_type(&inner, f->type_buf, sizeof(f->type_buf));
		if (ok && !f->type)
			f->type = f->type_buf;
	}
	if (ok && f->co)
		ok = !sl_buf_puts(out, ",\"contexts\":") &&
		     embedded_plain(ctx, j, f->co, f->co_encoded, &inner, out);
	sl_json_release(&inner);
	ok = ok && !sl_buf_puts(out, "}");
	f->data_len = out->len - f->data_at;
	return ok;
}

/* Record one checked event; 0 or a negative errno (the core answers). */
static int plain_record(struct sl_ctx *ctx, const struct sl_json *j,
			const struct plain_ev *f)
{
	struct sl_buf *strs = &ctx->scratch[BUF_STRS];
	const struct sl_buf *out = &ctx->scratch[BUF_OUT];
	const struct sl_jtok *toks[6] = { f->eid, f->aid, f->duid, f->uid,
					   f->sid, f->nuid };
	size_t at[6], i;
	struct sl_event ev = {
		.protocol = "snowplow",
		.event_type = f->type,
		.data_text = out->data + f->data_at,
		.data_len = f->data_len,
	};
	const char **dest[6] = { &ev.event_id, &ev.source,
				 &ev.ids[SL_ID_DEVICE], &ev.ids[SL_ID_USER],
				 &ev.ids[SL_ID_SESSION], &ev.ids[SL_ID_PROFILE] };

	sl_buf_reset(strs);
	for (i = 0; i < 6; i++)
		if (sl_json_keep(j, toks[i], strs, &at[i])) {
			sl_ctx_fail(ctx, "out of memory for an event");
			return -ENOMEM;
		}
	/* strs no longer moves: point into it. */
	for (i = 0; i < 6; i++)
		if (at[i] != SIZE_MAX)
			*dest[i] = strs->data + at[i];
	if (f->dtm) {
		const char *d = j->text + f->dtm->start;
		char text[21], *end;
		long long ms = 0;

		/* Up to 18 digits cannot overflow: read at once. Anything
		 * else as the tree road reads it (blanks, a sign, past
		 * LLONG_MAX). */
		for (i = 0; i < f->dtm->len && i < 18 &&
			    d[i] >= '0' && d[i] <= '9'; i++)
			ms = ms * 10 + (d[i] - '0');
		if (i < f->dtm->len) {
			memcpy(text, d, f->dtm->len);
			text[f->dtm->len] = '\0';
			ms = strtoll(text, &end, 10);
			if (*end)
				ms = 0;
		}
		if (ms > 0) {
			ev.event_ts = ms;
			ev.has_event_ts = 1;
		}
	}
	return sl_ctx_add_event(ctx, &ev);
}

/* 1 when the request was answered, 0 for the tree road. */
static int post_plain(struct sl_ctx *ctx)
{
	const struct sl_buf *body = &ctx->req->body;
	struct sl_buf *out = &ctx->scratch[BUF_OUT];
	struct sl_json j = { 0 };
	struct plain_ev *fs = NULL;
	const struct sl_jtok *schema, *data, *ev;
	size_t n, k, plen = strlen(PAYLOAD_SCHEMA);
	int rc = 0;

	if (!body->len || !sl_utf8_is_valid(body->data, body->len) ||
	    sl_json_scan(&j, body->data, body->len) != 1 ||
	    j.tok[0].type != SL_J_OBJECT)
		goto out;
	schema = sl_json_member(&j, &j.tok[0], "schema");
	data = sl_json_member(&j, &j.tok[0], "data");
	if (!schema || schema->type != SL_J_STRING || schema->escaped ||
	    schema->len != plen + 1 ||
	    memcmp(j.text + schema->start, PAYLOAD_SCHEMA, plen) ||
	    j.text[schema->start + plen] < '0' ||
	    j.text[schema->start + plen] > '4' ||
	    !data || data->type != SL_J_ARRAY || !data->count ||
	    data->count > ctx->cfg->max_events)
		goto out;
	n = data->count;
	if (!(fs = malloc(n * sizeof(*fs))))
		goto out;
	sl_buf_reset(out);
	for (k = 0, ev = data + 1; k < n; k++, ev = &j.tok[ev->next])
		if (!plain_ev_check(&j, ev, &fs[k]) ||
		    !plain_ev_data(ctx, &j, ev, &fs[k], out))
			goto out;
	rc = 1;
	for (k = 0; k < n; k++)
		if (plain_record(ctx, &j, &fs[k]))
			goto out;	/* the core answers */
	sl_response_set(ctx->resp, 200, "text/plain; charset=utf-8", "ok", 2);
out:
	free(fs);
	sl_json_release(&j);
	return rc;
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

	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, NULL) ||
	    post_plain(ctx))
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

/* Answer GET /i's success: the GIF, never cached. */
static void answer_gif(struct sl_ctx *ctx)
{
	sl_response_set(ctx->resp, 200, "image/gif", sl_pixel_gif,
			SL_PIXEL_GIF_LEN);
	sl_response_lines(ctx->resp,
			  "Cache-Control: no-cache, no-store, must-revalidate\r\n");
}

/* GET /i's fast road: the query written as the event's JSON object in
 * one pass (sl_query_json(), as the pixel's, its tokens made on the way),
 * then the POST's checks and record. 1 when the request was answered, 0
 * for the tree road (every problem included: it answers as always). */
static int get_plain(struct sl_ctx *ctx)
{
	struct sl_buf *text = &ctx->scratch[BUF_QUERY];
	struct sl_buf *out = &ctx->scratch[BUF_OUT];
	struct sl_json j = { 0 };
	struct plain_ev f;
	int rc = 0;

	/* The tokens come with the text: nothing to scan. */
	if (sl_query_json(ctx->req->query, text, &ctx->scratch[BUF_NAMES],
			  true, &j) ||
	    sl_json_flat_end(&j, text->data, text->len) != 1)
		goto out;
	sl_buf_reset(out);
	if (!plain_ev_check(&j, &j.tok[0], &f) ||
	    !plain_ev_data(ctx, &j, &j.tok[0], &f, out))
		goto out;
	rc = 1;
	if (!plain_record(ctx, &j, &f))
		answer_gif(ctx);
out:
	sl_json_release(&j);
	return rc;
}

/* GET /i: the query is the event (the first of a repeated name wins). */
static void get(struct sl_ctx *ctx)
{
	struct sl_buf name = { 0 }, value = { 0 };
	const char *cursor = ctx->req->query;
	cJSON *list = NULL, *item = NULL;
	int rc = 0;

	if (sl_ctx_busy(ctx) || get_plain(ctx))
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
	if (record_all(ctx, list, false))
		answer_gif(ctx);
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
