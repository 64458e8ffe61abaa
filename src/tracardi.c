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
#include <string.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "codec.h"
#include "enrich.h"
#include "log.h"
#include "validate.h"

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

/* Common start: spool room and the body as JSON. NULL after answering. */
static cJSON *begin(struct sl_ctx *ctx, const char *source)
{
	const char *why;
	cJSON *root;

	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, source))
		return NULL;
	root = sl_json_parse(ctx->req->body.data ? ctx->req->body.data : "",
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
	struct sl_buf b = { 0 };

	if (sl_buf_puts(&b, "{\"profile\":{\"id\":") ||
	    (profile ? sl_buf_json_str(&b, profile, strlen(profile)) :
	     sl_buf_puts(&b, "null")) || sl_buf_puts(&b, "}}"))
		sl_ctx_fail(ctx, "out of memory for the answer");
	else
		sl_response_set(ctx->resp, 200, "application/json", b.data,
				b.len);
	sl_buf_release(&b);
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
	static const char *const optional_objects[] = {
		"context", "properties", "options",
	};
	size_t i;

	root = begin(ctx, NULL);
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

		for (i = 0; !bad && i < 3; i++) {
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
	for (i = 0; meta && i < 3; i++) {
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

static void collect(struct sl_ctx *ctx)
{
	char type[SL_MAX_ID_LEN + 1], source[SL_MAX_SECTION_ID + 1];
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
	root = begin(ctx, source);
	if (!root)
		return;
	if (!cJSON_IsObject(root)) {
		refuse(ctx, 422, source, true,
		       "body must be a JSON object: the event's properties");
	} else {
		struct sl_event ev = {
			.protocol = "tracardi",
			.source = source,
			.event_type = type,
			.topic = src->topic,
			.data = root,
		};

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
