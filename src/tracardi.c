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
#include "log.h"
#include "validate.h"

/* Answer status with {"detail": reason}. */
static void detail(struct sl_ctx *ctx, int status, const char *reason)
{
	struct sl_buf b = { 0 };

	if (sl_buf_puts(&b, "{\"detail\":") ||
	    sl_buf_json_str(&b, reason, strlen(reason)) || sl_buf_puts(&b, "}"))
		sl_response_set(ctx->resp, 500, NULL, NULL, 0);
	else
		sl_response_set(ctx->resp, status, "application/json", b.data,
				b.len);
	sl_buf_release(&b);
}

static void refuse(struct sl_ctx *ctx, int status, const char *source,
		   bool with_body, const char *reason)
{
	sl_ctx_reject(ctx, status, source, with_body, "%s", reason);
	detail(ctx, status, reason);
}

/* Common start: spool room and the body as JSON. NULL after answering. */
static cJSON *begin(struct sl_ctx *ctx)
{
	const char *why;
	cJSON *root;
	int status;

	if (sl_ctx_spool_full(ctx)) {
		sl_log(SL_LOG_WARN, ctx->req->id, ctx->route,
		       "status=503 spool %s is over its high watermark",
		       ctx->cfg->spool_dir);
		detail(ctx, 503, "collector is busy, retry later");
		sl_response_header(ctx->resp, "Retry-After", "30");
		return NULL;
	}
	status = sl_ctx_read_body(ctx, &why);
	if (status) {
		refuse(ctx, status == 400 ? 422 : status, NULL, status == 400, why);
		return NULL;
	}
	root = sl_json_parse(ctx->req->body.data ? ctx->req->body.data : "",
			     ctx->req->body.len, &why);
	if (!root)
		refuse(ctx, 422, NULL, true, why);
	return root;
}

/* 401 unless id names a [source ID] section. */
static bool source_allowed(struct sl_ctx *ctx, const char *id,
			   const struct sl_named **src)
{
	char reason[200];

	for (*src = ctx->cfg->sources; *src; *src = (*src)->next)
		if (!strcmp((*src)->id, id))
			return true;
	snprintf(reason, sizeof(reason), "source '%.100s' is not allowed", id);
	refuse(ctx, 401, NULL, false, reason);
	return false;
}

/* Store the batch and answer {"profile":{"id":…}}. */
static void finish(struct sl_ctx *ctx, const char *profile)
{
	struct sl_buf b = { 0 };

	if (sl_ctx_commit(ctx)) {
		detail(ctx, 503, "events could not be stored, retry later");
		sl_response_header(ctx->resp, "Retry-After", "30");
		return;
	}
	if (sl_buf_puts(&b, "{\"profile\":{\"id\":") ||
	    (profile ? sl_buf_json_str(&b, profile, strlen(profile)) :
	     sl_buf_puts(&b, "null")) || sl_buf_puts(&b, "}}"))
		sl_response_set(ctx->resp, 500, NULL, NULL, 0);
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

void sl_tracardi_track(struct sl_ctx *ctx)
{
	const cJSON *events, *item, *member;
	cJSON *root, *meta = NULL;
	const struct sl_named *src;
	const char *source, *session, *profile, *type;
	char session_buf[37], profile_buf[37], reason[200];
	struct sl_buf v = { 0 };
	bool profile_less;
	int rc, idx = 0;
	static const char *const optional_objects[] = {
		"context", "properties", "options",
	};
	size_t i;

	root = begin(ctx);
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
	if (!source_allowed(ctx, source, &src))
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
	if ((unsigned int)cJSON_GetArraySize(events) > ctx->cfg->max_events) {
		snprintf(reason, sizeof(reason),
			 "more events than http.max_events (%u)",
			 ctx->cfg->max_events);
		refuse(ctx, 413, source, true, reason);
		goto out;
	}
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
		detail(ctx, 500, "no randomness for ids");
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
		detail(ctx, 500, "out of memory");
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
		if (sl_ctx_add_event(ctx, &ev)) {
			sl_buf_reset(&ctx->batch);
			detail(ctx, 503, "events could not be stored, retry later");
			goto out;
		}
	}
	finish(ctx, profile);
out:
	cJSON_Delete(meta);
	cJSON_Delete(root);
	sl_buf_release(&v);
}

void sl_tracardi_collect(struct sl_ctx *ctx)
{
	char type[SL_MAX_ID_LEN + 1], source[129];
	const struct sl_named *src;
	cJSON *root;

	/* The pattern's two segments, as the route table found them. */
	if (ctx->ncaps != 2 || ctx->caps[0].len > SL_MAX_ID_LEN ||
	    ctx->caps[1].len >= sizeof(source) ||
	    !sl_utf8_is_valid(ctx->caps[0].start, ctx->caps[0].len)) {
		refuse(ctx, 422, NULL, false,
		       "event type or source id in the path is malformed");
		return;
	}
	memcpy(type, ctx->caps[0].start, ctx->caps[0].len);
	type[ctx->caps[0].len] = '\0';
	memcpy(source, ctx->caps[1].start, ctx->caps[1].len);
	source[ctx->caps[1].len] = '\0';
	if (!source_allowed(ctx, source, &src))
		return;
	root = begin(ctx);
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

		if (sl_ctx_add_event(ctx, &ev)) {
			sl_buf_reset(&ctx->batch);
			detail(ctx, 503, "events could not be stored, retry later");
		} else {
			finish(ctx, NULL);
		}
	}
	cJSON_Delete(root);
}
