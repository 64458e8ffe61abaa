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
#include "json.h"
#include "log.h"
#include "validate.h"

/* Members (or query parameters) in one beacon event. */
#define BEACON_MAX_FIELDS 500


/* Record one event whose fields are the members of data (a tree), or of
 * the object text (len bytes). A failure is the core's to count: the
 * answer stays 200. */
static void add(struct sl_ctx *ctx, const cJSON *data, const char *text,
		size_t len)
{
	struct sl_event ev = {
		.protocol = "beacon",
		.event_type = ctx->cfg->beacon_event_type,
		.topic = ctx->cfg->beacon_topic,
		.data = data,
		.data_text = text,
		.data_len = len,
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

/*
 * The fast road (json.h): a plain body that is a flat object of scalars
 * goes into the record as it came, without a tree. True when the event
 * was added; false for anything else, which the tree then decides.
 */
static bool event_plain(struct sl_ctx *ctx)
{
	const struct sl_buf *body = &ctx->req->body;
	struct sl_json j = { 0 };
	struct sl_buf *data = &ctx->scratch[0];
	const char *text;
	size_t i, k, len;
	bool flat;

	if (!body->len || !sl_utf8_is_valid(body->data, body->len) ||
	    sl_json_scan(&j, body->data, body->len) != 1 ||
	    j.tok[0].type != SL_J_OBJECT || !j.tok[0].count) {
		sl_json_release(&j);
		return false;
	}
	/* Plain objects have at most 32 members: within the 500 fields. */
	flat = true;
	for (i = 1, k = 0; flat && k < j.tok[0].count; k++, i = j.tok[i + 1].next)
		flat = j.tok[i + 1].type != SL_J_OBJECT &&
		       j.tok[i + 1].type != SL_J_ARRAY;
	if (flat && !sl_json_compact(&j, &j.tok[0], data, &text, &len))
		add(ctx, NULL, text, len);
	else if (flat)
		sl_ctx_fail(ctx, "out of memory for the event");
	sl_json_release(&j);
	return flat;
}

static void beacon_event(struct sl_ctx *ctx)
{
	const char *why;
	cJSON *root;

	sl_response_set(ctx->resp, 200, NULL, NULL, 0);
	if (sl_ctx_busy(ctx) || !sl_ctx_read_body(ctx, NULL) ||
	    event_plain(ctx))
		return;
	root = sl_json_parse(ctx->req->body.data, ctx->req->body.len, &why);
	if (root && !(why = flat_problem(root)))
		add(ctx, root, NULL, 0);
	else
		sl_ctx_reject(ctx, 200, NULL, true, "%s", why);
	cJSON_Delete(root);
}

/* Where a kept name lies in the text being written. */
struct span {
	size_t at, len;
};

/* What a query byte is to the pixel's writer: most are copied as they
 * are. */
enum {
	Q_PLAIN, Q_END, Q_EQUALS, Q_PLUS, Q_PERCENT, Q_ESCAPE, Q_HIGH,
};

#define Q_RANGE8(a, v) [a] = v, [a + 1] = v, [a + 2] = v, [a + 3] = v, \
	[a + 4] = v, [a + 5] = v, [a + 6] = v, [a + 7] = v
#define Q_RANGE16(a, v) Q_RANGE8(a, v), Q_RANGE8(a + 8, v)

static const unsigned char query_class[256] = {
	[0] = Q_END, [1] = Q_ESCAPE, [2] = Q_ESCAPE, [3] = Q_ESCAPE,
	[4] = Q_ESCAPE, [5] = Q_ESCAPE, [6] = Q_ESCAPE, [7] = Q_ESCAPE,
	Q_RANGE8(0x08, Q_ESCAPE), Q_RANGE16(0x10, Q_ESCAPE),
	['&'] = Q_END, ['='] = Q_EQUALS, ['+'] = Q_PLUS, ['%'] = Q_PERCENT,
	['"'] = Q_ESCAPE, ['\\'] = Q_ESCAPE,
	Q_RANGE16(0x80, Q_HIGH), Q_RANGE16(0x90, Q_HIGH),
	Q_RANGE16(0xa0, Q_HIGH), Q_RANGE16(0xb0, Q_HIGH),
	Q_RANGE16(0xc0, Q_HIGH), Q_RANGE16(0xd0, Q_HIGH),
	Q_RANGE16(0xe0, Q_HIGH), Q_RANGE16(0xf0, Q_HIGH),
};

/* Byte c as it goes into a JSON string, at o; where it ended. */
static inline char *json_byte(char *o, unsigned char c)
{
	if (c >= 0x20 && c != '"' && c != '\\') {
		*o++ = (char)c;
		return o;
	}
	return sl_json_escape_byte(o, c);
}

/*
 * The query as the text of a JSON object of strings, written into out
 * in one pass: each pair decoded straight into its JSON form, each name
 * once, the first of a repeated one winning (names compare equal in
 * their JSON form exactly when they do decoded). names is working space.
 * Returns NULL, or why the query is not an event: the first problem of
 * the first pair that has one, in the order a bad %-escape, no name,
 * not UTF-8 once decoded, too many fields.
 */
static const char *query_text(const char *query, struct sl_buf *out,
			      struct sl_buf *names)
{
	const char *p = query;
	size_t qlen = strlen(query), n = 0, k, nkept = 0;

	if (sl_buf_puts(out, "{"))
		return "out of memory";
	sl_buf_reset(names);
	for (;;) {
		char *o, *base;
		size_t start = out->len, name_at, name_len, value_at;
		unsigned int high = 0;
		bool zero = false, in_name = true;
		struct span name;

		while (*p == '&')
			p++;
		if (!*p)
			break;
		/* A byte of the query becomes at most six ("\u00XX"). */
		if (sl_buf_reserve(out, 6 * (qlen - (size_t)(p - query)) + 8))
			return "out of memory";
		base = out->data;
		o = base + out->len;
		if (out->len > 1)
			*o++ = ',';
		*o++ = '"';
		name_at = (size_t)(o - base);
		name_len = value_at = 0;
		for (;; p++) {
			unsigned char c;
			int b;

			/* Runs of plain bytes in a loop of their own. */
			while (query_class[(unsigned char)*p] == Q_PLAIN)
				*o++ = *p++;
			c = (unsigned char)*p;
			switch (query_class[c]) {
			case Q_END:
				break;
			case Q_EQUALS:
				if (in_name) {
					name_len = (size_t)(o - base) - name_at;
					memcpy(o, "\":\"", 3);
					o += 3;
					value_at = (size_t)(o - base);
					in_name = false;
				} else {
					*o++ = '=';
				}
				continue;
			case Q_PLUS:
				*o++ = ' ';
				continue;
			case Q_PERCENT:
				/* The two digits are read only while they
				 * are hex: never past the pair's '&' or the
				 * query's end. */
				b = sl_percent_byte(p, p + 3);
				if (b < 0)
					return "query has a bad %-escape";
				p += 2;
				high |= (unsigned int)b;
				zero |= b == 0;
				o = json_byte(o, (unsigned char)b);
				continue;
			case Q_ESCAPE:
				o = sl_json_escape_byte(o, c);
				continue;
			default:	/* Q_HIGH */
				high |= c;
				*o++ = (char)c;
				continue;
			}
			break;
		}
		if (in_name) {
			name_len = (size_t)(o - base) - name_at;
			memcpy(o, "\":\"", 3);
			o += 3;
			value_at = (size_t)(o - base);
		}
		if (!name_len)
			return "query has a parameter with no name";
		/* JSON escapes never split a multi-byte sequence (its bytes
		 * are 0x80 and up), so checking the written text is checking
		 * the decoded one; a NUL written as \u0000 is noted above. */
		if (zero || ((high & 0x80) &&
			     (!sl_utf8_is_valid(base + name_at, name_len) ||
			      !sl_utf8_is_valid(base + value_at,
						(size_t)(o - base) - value_at))))
			return "query is not valid UTF-8 text once decoded";
		if (++n > BEACON_MAX_FIELDS)
			return "more than 500 fields";
		*o++ = '"';
		for (k = 0; k < nkept; k++) {
			const struct span *s = (const struct span *)
					       (void *)names->data + k;

			if (s->len == name_len &&
			    !memcmp(base + s->at, base + name_at, name_len))
				break;
		}
		if (k < nkept) {
			out->len = start;	/* a repeated name: dropped */
			continue;
		}
		name.at = name_at;
		name.len = name_len;
		if (sl_buf_append(names, &name, sizeof(name)))
			return "out of memory";
		nkept++;
		out->len = (size_t)(o - base);
	}
	if (n == 0)
		return "no fields";
	return sl_buf_puts(out, "}") ? "out of memory" : NULL;
}

static void beacon_pixel(struct sl_ctx *ctx)
{
	struct sl_buf *data = &ctx->scratch[0];
	const char *why;

	sl_response_set(ctx->resp, 200, "image/gif", sl_pixel_gif,
			SL_PIXEL_GIF_LEN);
	sl_response_lines(ctx->resp,
			  "Cache-Control: no-store, no-cache, must-revalidate\r\n");
	if (sl_ctx_busy(ctx))
		return;
	why = query_text(ctx->req->query, data, &ctx->scratch[1]);
	if (!why)
		add(ctx, NULL, data->data, data->len);
	else if (!strcmp(why, "out of memory"))
		sl_ctx_fail(ctx, "out of memory for the event");
	else
		sl_ctx_reject(ctx, 200, NULL, false, "%s", why);
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
