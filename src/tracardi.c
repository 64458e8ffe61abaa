/* tracardi.c - Tracardi: POST /track and POST /collect/{type}/{source}
 *
 * /track takes a tracker payload: source, session, profile, context,
 * properties, options and a list of events; each event becomes a record
 * carrying the source, session, profile and context. The answer is
 * {"profile":{"id":…}}. Errors use FastAPI's shape, {"detail": "…"}:
 * 422 for a body that does not decode or lacks a field, 401 for a source
 * that is not configured.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "codec.h"
#include "enrich.h"
#include "json.h"
#include "log.h"
#include "validate.h"

/* The working buffers (ctx->scratch): the fast roads', the answer. */
enum { BUF_META, BUF_DATA, BUF_STRS, BUF_ANSWER };
_Static_assert(BUF_ANSWER < SL_CTX_SCRATCH, "ctx->scratch has room");

/* Answer status with {"detail": reason}. */
static void detail(struct sl_ctx *ctx, int status, const char *reason)
{
	sl_response_reason_json(ctx->resp, status, "{\"detail\":", reason, "}");
}

static void refuse(struct sl_ctx *ctx, int status, const char *source,
		   bool with_body, const char *reason)
{
	sl_ctx_refuse(ctx, status, source, with_body, "%s", reason);
}

/* The body as JSON, read already. NULL after answering. */
static cJSON *parse(struct sl_ctx *ctx, const char *source)
{
	const char *why;
	cJSON *root = sl_json_parse(ctx->req->body.data ?
				    ctx->req->body.data : "",
				    ctx->req->body.len, &why);

	if (!root)
		refuse(ctx, 422, source, true, why);
	return root;
}

/* 401 unless id (len bytes) names a [source ID] section. */
static const struct sl_section *source_allowed(struct sl_ctx *ctx,
					       const char *id, size_t len)
{
	const struct sl_section *src;

	src = sl_config_section(ctx->cfg, SL_SECTION_SOURCE, id, len);
	if (!src)
		sl_ctx_refuse(ctx, 401, NULL, false,
			      "source '%.*s' is not allowed",
			      (int)(len > 100 ? 100 : len), id);
	return src;
}

/* Answer {"profile":{"id":…}}; the core stores the batch. */
static void finish(struct sl_ctx *ctx, const char *profile)
{
	static const char none[] = "{\"profile\":{\"id\":null}}";
	struct sl_buf *b = &ctx->scratch[BUF_ANSWER];

	if (!profile) {
		sl_response_set(ctx->resp, 200, "application/json", none,
				sizeof(none) - 1);
		return;
	}
	sl_buf_reset(b);
	if (sl_buf_puts(b, "{\"profile\":{\"id\":") ||
	    sl_buf_json_str(b, profile, strlen(profile)) ||
	    sl_buf_puts(b, "}}"))
		sl_ctx_fail(ctx, "out of memory for the answer");
	else
		sl_response_set(ctx->resp, 200, "application/json", b->data,
				b->len);
}

/* {"id": "..."} member name of root: *id set, or NULL when absent. */
static int object_id(const cJSON *root, const char *name, const char **id)
{
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, name);

	*id = NULL;
	if (!obj || cJSON_IsNull(obj))
		return -ENOENT;
	if (!cJSON_IsObject(obj))
		return -EINVAL;
	return sl_json_get_string(obj, "id", true, SL_MAX_ID_LEN, id);
}

/*
 * The fast road (json.h): a /track payload the scanner calls plain, all
 * of it good, is recorded from its text without a tree. Anything else
 * (every error, an escaped id or type, an unknown source) takes the tree
 * road, which answers as always.
 */

/* The payload's optional objects, kept in the meta of every event. */
static const char *const optional_objects[] = {
	"context", "properties", "options",
};

#define NOPTIONAL (sizeof(optional_objects) / sizeof(optional_objects[0]))

/* The members of a /track payload the fast road reads, in one walk;
 * the optional objects first, as in optional_objects. */
enum { R_CONTEXT, R_PROPERTIES, R_OPTIONS, R_SOURCE, R_SESSION, R_PROFILE,
       R_EVENTS, R_COUNT };
static const struct sl_json_name root_members[R_COUNT] = {
	SL_JSON_NAME("context"), SL_JSON_NAME("properties"),
	SL_JSON_NAME("options"), SL_JSON_NAME("source"),
	SL_JSON_NAME("session"), SL_JSON_NAME("profile"),
	SL_JSON_NAME("events"),
};
_Static_assert(R_CONTEXT == 0 && R_OPTIONS + 1 == NOPTIONAL,
	       "the optional objects lead root_members");

/* The same for each event: its optional objects, then its type. */
static const struct sl_json_name event_members[NOPTIONAL + 1] = {
	SL_JSON_NAME("context"), SL_JSON_NAME("properties"),
	SL_JSON_NAME("options"), SL_JSON_NAME("type"),
};

/* {"id": "..."} member m (NULL: absent) of a plain object into out (size
 * bytes): 1 found, 0 absent or null, -1 anything else (the tree's to
 * decide). */
static int plain_id(const struct sl_json *j, const struct sl_jtok *m,
		    char *out, size_t size)
{
	const struct sl_jtok *id;

	if (!m || m->type == SL_J_NULL)
		return 0;
	if (m->type != SL_J_OBJECT)
		return -1;
	id = sl_json_member(j, m, "id");
	if (!id || !sl_json_is_plain_string(id, SL_MAX_ID_LEN) ||
	    id->len >= size)
		return -1;
	memcpy(out, j->text + id->start, id->len);
	out[id->len] = '\0';
	return 1;
}

/* Every optional object found (m, NOPTIONAL of them) is absent, null
 * or an object. */
static bool optionals_fit(const struct sl_jtok *const *m)
{
	size_t i;

	for (i = 0; i < NOPTIONAL; i++)
		if (m[i] && m[i]->type != SL_J_OBJECT &&
		    m[i]->type != SL_J_NULL)
			return false;
	return true;
}

/* 1 when the request was answered, 0 for the tree road. */
static int track_plain(struct sl_ctx *ctx)
{
	const struct sl_buf *body = &ctx->req->body;
	struct sl_buf *meta = &ctx->scratch[BUF_META];
	struct sl_buf *strs = &ctx->scratch[BUF_STRS];
	struct sl_buf *v = &ctx->scratch[BUF_DATA];
	char source[SL_MAX_ID_LEN + 1], session[SL_MAX_ID_LEN + 1];
	char profile[SL_MAX_ID_LEN + 1];
	const struct sl_section *src;
	const struct sl_jtok *root, *events, *ev, *type;
	const struct sl_jtok *r[R_COUNT], *em[NOPTIONAL + 1];
	struct sl_json j = { 0 };
	size_t i, k, *at = NULL, at_few[16];
	bool profile_less;
	int rc = 0, has_session, has_profile;

	if (!body->len || !sl_utf8_is_valid(body->data, body->len) ||
	    sl_json_scan(&j, body->data, body->len) != 1 ||
	    j.tok[0].type != SL_J_OBJECT)
		goto out;
	root = &j.tok[0];
	sl_json_members(&j, root, root_members, R_COUNT, r);
	if (plain_id(&j, r[R_SOURCE], source, sizeof(source)) != 1 ||
	    !(src = sl_config_section(ctx->cfg, SL_SECTION_SOURCE, source,
				      strlen(source))) ||
	    (has_session = plain_id(&j, r[R_SESSION], session,
				    sizeof(session))) < 0 ||
	    (has_profile = plain_id(&j, r[R_PROFILE], profile,
				    sizeof(profile))) < 0 ||
	    !optionals_fit(r))
		goto out;
	events = r[R_EVENTS];
	if (!events || events->type != SL_J_ARRAY || !events->count ||
	    events->count > ctx->cfg->max_events)
		goto out;
	/* Per event, its type: the token's index while the events are
	 * checked, then where its copy is in strs. On the stack for the
	 * usual few events; without it, out of memory once the request is
	 * the fast road's. */
	at = events->count <= sizeof(at_few) / sizeof(at_few[0]) ? at_few :
	     malloc(events->count * sizeof(*at));
	for (k = 0, ev = events + 1; k < events->count; k++, ev = &j.tok[ev->next]) {
		if (ev->type != SL_J_OBJECT)
			goto out;
		sl_json_members(&j, ev, event_members, NOPTIONAL + 1, em);
		type = em[NOPTIONAL];
		if (!optionals_fit(em) || !type ||
		    !sl_json_is_plain_string(type, SL_MAX_ID_LEN))
			goto out;
		if (at)
			at[k] = (size_t)(type - j.tok);
	}
	/* From here on the tree road would take the request as it is. */
	rc = 1;
	profile_less = sl_query_get(ctx->req->query, "profile_less", v) == 1 &&
		       !strcmp(v->data, "true");
	if ((!has_session && sl_uuid4(session)) ||
	    (!has_profile && !profile_less && sl_uuid4(profile))) {
		sl_ctx_fail(ctx, "no randomness for a session or profile id");
		goto out;
	}
	/* {"context":…,"properties":…,"options":…,"profile_less":…}, with
	 * those the payload has (null ones too). */
	sl_buf_reset(meta);
	rc = sl_buf_puts(meta, "{") ? -1 : 1;
	for (i = 0; rc > 0 && i < NOPTIONAL; i++)
		if (r[i] &&
		    ((meta->len > 1 && sl_buf_append(meta, ",", 1)) ||
		     sl_buf_append(meta, "\"", 1) ||
		     sl_buf_append(meta, root_members[i].s,
				   root_members[i].len) ||
		     sl_buf_append(meta, "\":", 2) ||
		     sl_json_put_compact(&j, r[i], meta)))
			rc = -1;
	if (rc > 0 && (sl_buf_puts(meta, meta->len > 1 ? "," : "") ||
		       sl_buf_puts(meta, profile_less ?
				   "\"profile_less\":true}" :
				   "\"profile_less\":false}")))
		rc = -1;
	sl_buf_reset(strs);
	for (k = 0; rc > 0 && at && k < events->count; k++)
		if (sl_json_keep(&j, &j.tok[at[k]], strs, &at[k]))
			rc = -1;
	if (rc < 0 || !at) {
		rc = 1;
		sl_ctx_fail(ctx, "out of memory for the events");
		goto out;
	}
	for (k = 0, ev = events + 1; k < events->count; k++, ev = &j.tok[ev->next]) {
		struct sl_event e = {
			.protocol = "tracardi",
			.source = source,
			.topic = src->topic,
			.event_type = strs->data + at[k],
			.meta_text = meta->data,
			.meta_len = meta->len,
		};

		e.ids[SL_ID_PROFILE] = profile_less ? NULL : profile;
		e.ids[SL_ID_SESSION] = session;
		if (sl_json_compact(&j, ev, v, &e.data_text, &e.data_len)) {
			sl_ctx_fail(ctx, "out of memory for an event");
			goto out;
		}
		if (sl_ctx_add_event(ctx, &e))
			goto out;	/* the core answers */
	}
	finish(ctx, profile_less ? NULL : profile);
out:
	if (at != at_few)
		free(at);
	sl_json_release(&j);
	return rc != 0;
}

static void track(struct sl_ctx *ctx)
{
	const cJSON *events, *item, *member;
	cJSON *root, *meta = NULL;
	const struct sl_section *src;
	const char *source, *session, *profile, *type;
	char session_buf[37], profile_buf[37], reason[200];
	struct sl_buf v = { 0 };
	bool profile_less;
	int rc, idx = 0;
	size_t i;

	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, NULL) ||
	    track_plain(ctx))
		return;
	root = parse(ctx, NULL);
	if (!root)
		return;
	if (!cJSON_IsObject(root)) {
		refuse(ctx, 422, NULL, true, "body is not a JSON object");
		goto out;
	}
	rc = object_id(root, "source", &source);
	if (rc) {
		refuse(ctx, 422, NULL, true, rc == -ENOENT ?
		       "field required: source.id" :
		       "source.id must be a non-empty string");
		goto out;
	}
	src = source_allowed(ctx, source, strlen(source));
	if (!src)
		goto out;
	rc = object_id(root, "session", &session);
	if (rc == -EINVAL) {
		refuse(ctx, 422, source, true, "session.id must be a non-empty string");
		goto out;
	}
	profile_less = sl_query_get(ctx->req->query, "profile_less", &v) == 1 &&
		       !strcmp(v.data, "true");
	rc = object_id(root, "profile", &profile);
	if (rc == -EINVAL) {
		refuse(ctx, 422, source, true, "profile.id must be a non-empty string");
		goto out;
	}
	for (i = 0; i < sizeof(optional_objects) / sizeof(optional_objects[0]); i++) {
		member = cJSON_GetObjectItemCaseSensitive(root, optional_objects[i]);
		if (member && !cJSON_IsObject(member) && !cJSON_IsNull(member)) {
			snprintf(reason, sizeof(reason), "%s must be an object",
				 optional_objects[i]);
			refuse(ctx, 422, source, true, reason);
			goto out;
		}
	}
	events = cJSON_GetObjectItemCaseSensitive(root, "events");
	if (!cJSON_IsArray(events) || cJSON_GetArraySize(events) == 0) {
		refuse(ctx, 422, source, true, events ?
		       "events must be a non-empty list" : "field required: events");
		goto out;
	}
	if (!sl_ctx_events_fit(ctx, (size_t)cJSON_GetArraySize(events),
			       source))
		goto out;
	cJSON_ArrayForEach(item, events) {
		bool bad = !cJSON_IsObject(item);

		for (i = 0; !bad && i < NOPTIONAL; i++) {
			member = cJSON_GetObjectItemCaseSensitive(item,
								  optional_objects[i]);
			bad = member && !cJSON_IsObject(member) &&
			      !cJSON_IsNull(member);
		}
		rc = bad ? -EINVAL :
		     sl_json_get_string(item, "type", true, SL_MAX_ID_LEN, &type);
		if (rc) {
			snprintf(reason, sizeof(reason), rc == -ENOENT ?
				 "field required: events[%d].type" :
				 "events[%d] must be {type, properties?, context?, options?}",
				 idx);
			refuse(ctx, 422, source, true, reason);
			goto out;
		}
		idx++;
	}
	if ((!session && sl_uuid4(session_buf)) ||
	    (!profile && !profile_less && sl_uuid4(profile_buf))) {
		sl_ctx_fail(ctx, "no randomness for a session or profile id");
		goto out;
	}
	if (!session)
		session = session_buf;
	if (profile_less)
		profile = NULL;
	else if (!profile)
		profile = profile_buf;

	/* What the whole payload says, kept with every event. */
	meta = cJSON_CreateObject();
	for (i = 0; meta && i < NOPTIONAL; i++) {
		member = cJSON_GetObjectItemCaseSensitive(root, optional_objects[i]);
		if (member && !cJSON_AddItemReferenceToObject(meta,
				optional_objects[i], (cJSON *)member))
			break;
	}
	if (!meta || !cJSON_AddBoolToObject(meta, "profile_less", profile_less)) {
		sl_ctx_fail(ctx, "out of memory for the events' meta");
		goto out;
	}
	cJSON_ArrayForEach(item, events) {
		struct sl_event ev = {
			.protocol = "tracardi",
			.source = source,
			.topic = src->topic,
			.data = item,
			.meta = meta,
		};

		sl_json_get_string(item, "type", true, SL_MAX_ID_LEN,
				   &ev.event_type);
		ev.ids[SL_ID_PROFILE] = profile;
		ev.ids[SL_ID_SESSION] = session;
		if (sl_ctx_add_event(ctx, &ev))
			goto out;	/* the core answers */
	}
	finish(ctx, profile);
out:
	cJSON_Delete(meta);
	cJSON_Delete(root);
	sl_buf_release(&v);
}

/* /collect's fast road: a body the scanner calls plain and that is an
 * object is the event's data as it is. 1 when the request was answered,
 * 0 for the tree road (which answers every problem as always). */
static int collect_plain(struct sl_ctx *ctx, struct sl_event *ev)
{
	const struct sl_buf *body = &ctx->req->body;
	struct sl_json j = { 0 };
	int rc = 0;

	if (body->len && sl_utf8_is_valid(body->data, body->len) &&
	    sl_json_scan(&j, body->data, body->len) == 1 &&
	    j.tok[0].type == SL_J_OBJECT) {
		rc = 1;
		if (sl_json_compact(&j, &j.tok[0], &ctx->scratch[BUF_DATA],
				    &ev->data_text, &ev->data_len))
			sl_ctx_fail(ctx, "out of memory for the event");
		else if (!sl_ctx_add_event(ctx, ev))
			finish(ctx, NULL);
	}
	sl_json_release(&j);
	return rc;
}

static void collect(struct sl_ctx *ctx)
{
	char type[SL_MAX_ID_LEN + 1], source[SL_MAX_SECTION_ID + 1];
	struct sl_event ev = { .protocol = "tracardi" };
	const struct sl_section *src;
	cJSON *root;

	/* The pattern's two segments, as the route table found them. */
	if (!sl_ctx_capture(ctx, 0, type, sizeof(type)) ||
	    !sl_utf8_is_valid(type, strlen(type)) ||
	    !sl_ctx_capture(ctx, 1, source, sizeof(source))) {
		refuse(ctx, 422, NULL, false,
		       "event type or source id in the path is malformed");
		return;
	}
	src = source_allowed(ctx, source, strlen(source));
	if (!src)
		return;
	ev.source = source;
	ev.event_type = type;
	ev.topic = src->topic;
	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, source) ||
	    collect_plain(ctx, &ev))
		return;
	root = parse(ctx, source);
	if (!root)
		return;
	if (!cJSON_IsObject(root)) {
		refuse(ctx, 422, source, true,
		       "body must be a JSON object: the event's properties");
	} else {
		ev.data = root;
		if (!sl_ctx_add_event(ctx, &ev))
			finish(ctx, NULL);
	}
	cJSON_Delete(root);
}

/* FastAPI's error shape: {"detail": reason}. */
const struct sl_adapter sl_tracardi_track_adapter = {
	.protocol = "tracardi",
	.malformed_status = 422,
	.handle = track,
	.answer_error = detail,
};

const struct sl_adapter sl_tracardi_collect_adapter = {
	.protocol = "tracardi",
	.malformed_status = 422,
	.handle = collect,
	.answer_error = detail,
};
