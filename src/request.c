/* request.c - one HTTP request as the web server hands it over */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "json.h"
#include "request.h"

/* Index the transport's variables, when it can list them. The first of
 * two with one name wins, as getenv(3) does. */
static void index_params(struct sl_request *req)
{
	char *const *env = req->tp->env ? req->tp->env(req->io) : NULL;
	size_t i;

	if (!env)
		return;
	for (i = 0; env[i]; i++) {
		const char *eq;
		size_t n, k;
		uint32_t h;

		/* Too many to keep probes short: param alone (what was
		 * indexed so far is not looked at). */
		if (i == SL_PARAM_SLOTS * 3 / 4)
			return;
		eq = strchr(env[i], '=');
		/* Longer names than any variable the core asks for. */
		if (!eq || eq - env[i] > UINT16_MAX)
			continue;
		n = (size_t)(eq - env[i]);
		h = sl_request_name_hash(env[i], n);
		k = sl_request_slot(req, env[i], n, h);
		if (!req->params[k]) {
			req->params[k] = env[i];
			req->param_hash[k] = h;
			req->param_len[k] = (uint16_t)n;
		}
	}
	req->indexed = 1;
}

const char *sl_request_param_n(const struct sl_request *req,
				const char *name, size_t n)
{
	return sl_request_param_inline(req, name, n);
}

const char *sl_request_header(const struct sl_request *req, const char *name)
{
	char var[128] = "HTTP_";
	size_t i, n = 5;

	for (i = 0; name[i] && n < sizeof(var) - 1; i++)
		var[n++] = name[i] == '-' ? '_' :
			   name[i] >= 'a' && name[i] <= 'z' ?
			   (char)(name[i] - 'a' + 'A') : name[i];
	var[n] = '\0';
	return sl_request_param(req, var);
}

static long long parse_length(const char *v)
{
	long long n = 0;

	if (!v)
		return -1;
	if (!*v)
		return -2;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -2;
		/* All digits but past any real body: too large, not bad. */
		n = n > (LLONG_MAX - 9) / 10 ? LLONG_MAX : n * 10 + (*v - '0');
	}
	return n;
}

int sl_request_init(struct sl_request *req, const struct sl_transport *tp,
		    void *io)
{
	const char *path, *uri;
	size_t len;

	/* Field by field: the hashes and lengths of the index need no
	 * clearing (a slot is read only when its entry is set). */
	memset(req->params, 0, sizeof(req->params));
	req->indexed = 0;
	req->id[0] = '\0';
	req->received_ms = 0;
	req->path = NULL;
	sl_buf_reset(&req->body);
	sl_buf_reset(&req->path_buf);
	req->tp = tp;
	req->io = io;
	index_params(req);
	req->method = sl_request_param(req, "REQUEST_METHOD");
	if (!req->method || !*req->method)
		req->method = "GET";
	req->query = sl_request_param(req, "QUERY_STRING");
	if (!req->query)
		req->query = "";
	req->content_type = sl_request_param(req, "CONTENT_TYPE");
	req->user_agent = sl_request_param(req, "HTTP_USER_AGENT");
	req->remote_addr = sl_request_param(req, "REMOTE_ADDR");
	req->content_length =
		parse_length(sl_request_param(req, "CONTENT_LENGTH"));

	path = sl_request_param(req, "PATH_INFO");
	if (path && *path) {
		len = strlen(path);
	} else if ((uri = sl_request_param(req, "REQUEST_URI")) && *uri) {
		path = uri;
		len = strcspn(uri, "?#");
	} else {
		path = sl_request_param(req, "SCRIPT_NAME");
		if (!path || !*path)
			path = "/";
		len = strlen(path);
	}
	if (sl_buf_append(&req->path_buf, path, len))
		return -ENOMEM;
	req->path = req->path_buf.data;
	return 0;
}

int sl_request_read_body(struct sl_request *req, size_t max)
{
	size_t want;

	if (req->content_length == -1)
		return -ENODATA;
	if (req->content_length < 0)
		return -EINVAL;
	if ((unsigned long long)req->content_length > max)
		return -E2BIG;
	want = (size_t)req->content_length;
	if (sl_buf_reserve(&req->body, want))
		return -ENOMEM;
	while (req->body.len < want) {
		ssize_t n = req->tp->read(req->io, req->body.data + req->body.len,
					  want - req->body.len);
		if (n < 0)
			return -EIO;
		if (n == 0)
			return -EPIPE;
		req->body.len += (size_t)n;
	}
	req->body.data[req->body.len] = '\0';
	return 0;
}

/* What a kept buffer may hold on to between requests. */
#define KEEP_MAX (64 * 1024)

void sl_request_finish(struct sl_request *req)
{
	sl_buf_recycle(&req->body, KEEP_MAX);
	sl_buf_recycle(&req->path_buf, KEEP_MAX);
}

void sl_request_release(struct sl_request *req)
{
	req->path = NULL;
	sl_buf_release(&req->path_buf);
	sl_buf_release(&req->body);
}

/* Percent-decode s[0..len) into out (appended). */
static int decode_component(const char *s, size_t len, struct sl_buf *out)
{
	const char *end = s + len;
	char *o;

	if (sl_buf_reserve(out, len))
		return -ENOMEM;
	/* Through a local pointer: stores through out->data would make
	 * the compiler reload it for every byte. */
	o = out->data + out->len;
	while (s < end) {
		int c = (unsigned char)*s++;

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			c = sl_percent_byte(s - 1, end);
			if (c < 0)
				return -EINVAL;
			s += 2;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return 0;
}

int sl_query_next(const char **cursor, struct sl_buf *name,
		  struct sl_buf *value)
{
	const char *p = *cursor, *amp, *eq;
	size_t len;
	int rc;

	while (*p == '&')
		p++;
	if (!*p) {
		*cursor = p;
		return 0;
	}
	len = strcspn(p, "&");
	amp = p + len;
	eq = memchr(p, '=', len);
	sl_buf_reset(name);
	sl_buf_reset(value);
	rc = decode_component(p, eq ? (size_t)(eq - p) : len, name);
	if (!rc && eq)
		rc = decode_component(eq + 1, (size_t)(amp - eq - 1), value);
	if (!rc && !value->data)
		rc = sl_buf_append(value, "", 0);
	*cursor = amp;
	return rc ? rc : 1;
}

void sl_query_find(const char *query, const char *const *names, size_t n,
		   struct sl_query_span *spans)
{
	const char *p = query;
	size_t i, left = n;

	for (i = 0; i < n; i++)
		spans[i].start = NULL;
	/* Names are matched undecoded: the parameters Sluice looks up are
	 * plain ASCII, so only the value needs decoding. */
	while (*p && left) {
		size_t nlen = strcspn(p, "&=");
		const char *q = p + nlen;
		const char *end = *q == '=' ? q + strcspn(q, "&") : q;

		/* The first byte before a compare; strncmp stops at the
		 * end of a wanted name shorter than this one. */
		for (i = 0; nlen && i < n; i++)
			if (!spans[i].start && names[i][0] == p[0] &&
			    !strncmp(p, names[i], nlen) && !names[i][nlen]) {
				spans[i].start = q + (*q == '=');
				spans[i].len = (size_t)(end - spans[i].start);
				left--;
				break;
			}
		p = *end == '&' ? end + 1 : end;
	}
}

int sl_query_decode(const struct sl_query_span *span, struct sl_buf *value)
{
	sl_buf_reset(value);
	return decode_component(span->start, span->len, value);
}

int sl_query_take(const struct sl_query_span *span, struct sl_buf *value)
{
	int rc;

	if (!span->start) {
		sl_buf_reset(value);
		return 0;
	}
	rc = sl_query_decode(span, value);
	return rc ? rc : 1;
}

int sl_query_get(const char *query, const char *name, struct sl_buf *value)
{
	struct sl_query_span span;

	sl_query_find(query, &name, 1, &span);
	return sl_query_take(&span, value);
}

const char *sl_request_cookie(const struct sl_request *req, const char *name,
			      size_t *len)
{
	size_t nlen = strlen(name);
	const char *p = sl_request_param(req, "HTTP_COOKIE");

	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, nlen) && p[nlen] == '=') {
			p += nlen + 1;
			*len = strcspn(p, ";");
			return p;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/* Where a kept name lies in the text being written. */
struct span {
	size_t at, len;
};

/* What a query byte is to sl_query_json(): most are copied as they
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

const char *sl_query_json(const char *query, struct sl_buf *out,
			  struct sl_buf *names, bool skip_unnamed,
			  struct sl_json *j)
{
	const char *p = query;
	size_t qlen = strlen(query), n = 0, k, nkept = 0;
	uint64_t seen = 0, bit;
	unsigned char first, last;

	sl_buf_reset(out);
	if (sl_buf_puts(out, "{") || (j && sl_json_flat_begin(j)))
		return "out of memory";
	sl_buf_reset(names);
	for (;;) {
		char *o, *base;
		size_t start = out->len, name_at, name_len, value_at, value_len;
		unsigned int high = 0;
		bool zero = false, in_name = true, esc = false, name_esc = false;
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
			case Q_EQUALS:
				/* The name ends at the first '=', or with the
				 * pair (a name alone has an empty value). */
				if (in_name) {
					name_len = (size_t)(o - base) - name_at;
					memcpy(o, "\":\"", 3);
					o += 3;
					value_at = (size_t)(o - base);
					in_name = false;
					name_esc = esc;
					esc = false;
				} else if (c == '=') {
					*o++ = '=';
				}
				if (c == '=')
					continue;
				break;
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
				esc |= b < 0x20 || b == '"' || b == '\\';
				o = json_byte(o, (unsigned char)b);
				continue;
			case Q_ESCAPE:
				esc = true;
				o = sl_json_escape_byte(o, c);
				continue;
			default:	/* Q_HIGH */
				high |= c;
				*o++ = (char)c;
				continue;
			}
			break;
		}
		value_len = (size_t)(o - base) - value_at;
		if (!name_len && !skip_unnamed)
			return "query has a parameter with no name";
		/* JSON escapes never split a multi-byte sequence (its bytes
		 * are 0x80 and up), so checking the written text is checking
		 * the decoded one; a NUL written as \u0000 is noted above. */
		if (zero || ((high & 0x80) &&
			     (!sl_utf8_is_valid(base + name_at, name_len) ||
			      !sl_utf8_is_valid(base + value_at,
						(size_t)(o - base) - value_at))))
			return "query is not valid UTF-8 text once decoded";
		if (!name_len) {
			out->len = start;	/* skipped */
			continue;
		}
		if (++n > SL_QUERY_MAX_FIELDS)
			return "more than 500 fields";
		*o++ = '"';
		/* Compared with the names before only when one had its
		 * length, first and last bytes (a bit of seen says so):
		 * names that share a start (tv001, tv002; utm_source,
		 * utm_medium) mostly end apart. */
		first = (unsigned char)base[name_at];
		last = (unsigned char)base[name_at + name_len - 1];
		bit = (uint64_t)1 << ((name_len * 7 + first * 5 + last) & 63);
		for (k = 0; (seen & bit) && k < nkept; k++) {
			const struct span *s = (const struct span *)
					       (void *)names->data + k;

			if (s->len == name_len &&
			    (unsigned char)base[s->at] == first &&
			    (unsigned char)base[s->at + name_len - 1] == last &&
			    !memcmp(base + s->at, base + name_at, name_len))
				break;
		}
		if ((seen & bit) && k < nkept) {
			out->len = start;	/* a repeated name: dropped */
			continue;
		}
		seen |= bit;
		name.at = name_at;
		name.len = name_len;
		if (sl_buf_append(names, &name, sizeof(name)) ||
		    (j && sl_json_flat_member(j, name_at, name_len, name_esc,
					      value_at, value_len, esc)))
			return "out of memory";
		nkept++;
		out->len = (size_t)(o - base);
	}
	if (n == 0)
		return "no fields";
	return sl_buf_puts(out, "}") ? "out of memory" : NULL;
}
