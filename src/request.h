/* request.h - one HTTP request as the web server hands it over */
#ifndef SL_REQUEST_H
#define SL_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "buf.h"

/*
 * How the core talks to its transport (CGI stdio, a FastCGI request, a
 * test). The core never calls getenv() or reads stdin itself.
 */
struct sl_transport {
	/* The CGI variable name (REQUEST_METHOD, HTTP_USER_AGENT, ...), or
	 * NULL. The string must stay valid until the request is finished. */
	const char *(*param)(void *io, const char *name);
	/* Read up to len body bytes: the count, 0 at the end, -1 on error. */
	ssize_t (*read)(void *io, void *buf, size_t len);
	/* Write all len bytes of the response: 0, or -1 on error. */
	int (*write)(void *io, const void *buf, size_t len);
	/* Optional: every variable as a "NAME=value" string, NULL at the
	 * end (a CGI's environ, libfcgi's envp), valid as param's are. With
	 * it the core indexes the variables once per request instead of
	 * asking param for each name. NULL: param alone. */
	char *const *(*env)(void *io);
};

/* Slots of a request's variable index (a power of two); a request with
 * more than three quarters as many variables goes without the index. */
#define SL_PARAM_SLOTS 64

/* What the core knows of the request. Borrowed strings live as long as
 * the transport's request; the buffers (path, body) are kept from one
 * request to the next and freed by sl_request_release(). */
struct sl_request {
	const struct sl_transport *tp;
	void *io;
	const char *method;		/* REQUEST_METHOD, "GET" if absent */
	const char *path;		/* route path, in path_buf: see below */
	const char *query;		/* QUERY_STRING, "" if absent */
	const char *content_type;	/* CONTENT_TYPE or NULL */
	const char *user_agent;		/* HTTP_USER_AGENT or NULL */
	const char *remote_addr;	/* REMOTE_ADDR or NULL */
	long long content_length;	/* -1 absent, -2 not a number,
					 * LLONG_MAX past it */
	char id[17];			/* request id, 16 hex digits */
	int64_t received_ms;		/* when the core took it, Unix ms */
	struct sl_buf body;		/* after sl_request_read_body() */
	struct sl_buf path_buf;
	/* The transport's variables by a hash of their names (open
	 * addressing), when it gave them all (tp->env). */
	int indexed;
	const char *params[SL_PARAM_SLOTS];	/* "NAME=value", or NULL */
	uint32_t param_hash[SL_PARAM_SLOTS];	/* of NAME */
	uint16_t param_len[SL_PARAM_SLOTS];	/* of NAME */
};

/*
 * Fill req from the transport's CGI variables. req is zero before its
 * first request; after one, its buffers are reused (sl_request_finish).
 * The route path is
 * PATH_INFO when the server set one (a script mounted under a prefix:
 * /cgi-bin/sluice.cgi/collect), otherwise the path part of REQUEST_URI
 * (a script mounted at the root or reached through a rewrite), otherwise
 * SCRIPT_NAME. Returns 0 or -ENOMEM.
 */
int sl_request_init(struct sl_request *req, const struct sl_transport *tp,
		    void *io);

/*
 * A hash of a variable name of n bytes, from its length and three of its
 * bytes (the last, the middle, three quarters in): the names a server
 * sends differ there (HTTP_ACCEPT and HTTP_ACCEPT_LANGUAGE by length,
 * REMOTE_ADDR and SERVER_ADDR by the middle), and it costs a few
 * instructions where hashing every byte cost some 90 per name. Each slot
 * keeps the hash and length of its name, so a probe that meets another
 * name costs no string compare; a client choosing header names that
 * collide lengthens probes, bounded by the table's size.
 */
static inline __attribute__((always_inline))
uint32_t sl_request_name_hash(const char *name, size_t n)
{
	const unsigned char *b = (const unsigned char *)name;
	uint32_t h;

	if (!n)
		return 0;
	h = ((uint32_t)n | (uint32_t)b[n - 1] << 8 | (uint32_t)b[n / 2] << 16 |
	     (uint32_t)b[n - 1 - n / 4] << 24) * 0x9e3779b1u;
	return h ^ h >> 16;
}

/* The slot of name (n bytes, hash h), or the empty slot where it would
 * go. An entry whose name has the same length and hash is compared with
 * memcmp: it is at least n + 1 bytes long ("NAME=..."). */
static inline __attribute__((always_inline))
size_t sl_request_slot(const struct sl_request *req, const char *name,
		       size_t n, uint32_t h)
{
	size_t k = h & (SL_PARAM_SLOTS - 1);

	while (req->params[k] && (req->param_hash[k] != h ||
				  req->param_len[k] != n ||
				  memcmp(req->params[k], name, n)))
		k = (k + 1) & (SL_PARAM_SLOTS - 1);
	return k;
}

/* The lookup itself, inline so that for a literal name its length, its
 * hash and the compare are settled when this is compiled. */
static inline __attribute__((always_inline))
const char *sl_request_param_inline(const struct sl_request *req,
				    const char *name, size_t n)
{
	size_t k;

	if (!req->indexed)
		return req->tp->param(req->io, name);
	k = sl_request_slot(req, name, n, sl_request_name_hash(name, n));
	return req->params[k] ? req->params[k] + n + 1 : NULL;
}

/* A CGI variable (e.g. "HTTP_COOKIE") whose name has n bytes, or NULL. */
const char *sl_request_param_n(const struct sl_request *req,
			       const char *name, size_t n);

/* The same for a C string: a literal's lookup costs a probe or two. */
static inline __attribute__((always_inline))
const char *sl_request_param(const struct sl_request *req, const char *name)
{
	return sl_request_param_inline(req, name, strlen(name));
}

/* The request header name ("X-User-ID": HTTP_X_USER_ID), or NULL. */
const char *sl_request_header(const struct sl_request *req, const char *name);

/* The value of the cookie called name in the Cookie header (not
 * NUL-terminated: its length in *len), or NULL. */
const char *sl_request_cookie(const struct sl_request *req, const char *name,
			      size_t *len);

/*
 * Read the body into req->body, at most max bytes. Decides from
 * CONTENT_LENGTH before reading anything. Returns 0; -E2BIG when the body
 * is longer than max (nothing or only max bytes read); -ENODATA when
 * CONTENT_LENGTH is absent; -EINVAL when it is not a number; -EPIPE when
 * the body ends before CONTENT_LENGTH bytes; -EIO on a read error.
 */
int sl_request_read_body(struct sl_request *req, size_t max);

/* Done with the request: its buffers are kept for the next one, unless
 * the body's grew past 64 KiB (then it is freed). */
void sl_request_finish(struct sl_request *req);

/* Free what sl_request_init() and sl_request_read_body() allocated. */
void sl_request_release(struct sl_request *req);

/*
 * Walk a query string: on each call decode the next name=value pair
 * (percent-decoding, '+' as space) into name and value (reset first) and
 * advance *cursor. Returns 1 for a pair, 0 at the end, -EINVAL for a bad
 * %-escape, -ENOMEM.
 */
int sl_query_next(const char **cursor, struct sl_buf *name,
		  struct sl_buf *value);

/* The byte a %-escape at p ("%2F") stands for, end bounding the text:
 * 0 to 255, or -1 when it is not one (fewer than two hex digits). */
static inline int sl_percent_byte(const char *p, const char *end)
{
	int v = 0, i;

	if (end - p < 3)
		return -1;
	for (i = 1; i <= 2; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (c | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return v;
}

/* A parameter's value as it is in the query (not NUL-terminated). */
struct sl_query_span {
	const char *start;	/* NULL: no such parameter */
	size_t len;
};

/*
 * Find the first parameter of each of the n names in one walk of query:
 * spans[i] is the undecoded value of names[i]'s, or has a NULL start.
 * Names are matched undecoded (the core's are plain ASCII).
 */
void sl_query_find(const char *query, const char *const *names, size_t n,
		   struct sl_query_span *spans);

/* Percent-decode a found value into value (reset first). Returns 0,
 * -EINVAL for a bad %-escape, -ENOMEM. */
int sl_query_decode(const struct sl_query_span *span, struct sl_buf *value);

/* A found value decoded into value (reset first): 1, 0 when the span is
 * empty (not found), -EINVAL for a bad %-escape, -ENOMEM. */
int sl_query_take(const struct sl_query_span *span, struct sl_buf *value);

/*
 * Find the first parameter called name in query and decode its value into
 * value (reset first). Returns 1 when found, 0 when absent, -EINVAL for a
 * bad %-escape in the query, -ENOMEM.
 */
int sl_query_get(const char *query, const char *name, struct sl_buf *value);

/* Fields a query taken as an object may have. */
#define SL_QUERY_MAX_FIELDS 500

/*
 * The query as the text of a JSON object of strings, written into out
 * (reset first) in one pass: each pair decoded straight into its JSON
 * form, each name once, the first of a repeated one winning (names
 * compare equal in their JSON form exactly when they do decoded). names
 * is working space. A pair without a name is refused, or skipped when
 * skip_unnamed. With j, the object's tokens are made on the way
 * (sl_json_flat_begin() and _member(); the caller ends them with out's
 * text). Returns NULL, or why the query is not such an object: the first
 * problem of the first pair that has one, in the order a bad %-escape,
 * no name, not UTF-8 once decoded, more than SL_QUERY_MAX_FIELDS fields;
 * "no fields"; "out of memory".
 */
struct sl_json;
const char *sl_query_json(const char *query, struct sl_buf *out,
			  struct sl_buf *names, bool skip_unnamed,
			  struct sl_json *j);

#endif /* SL_REQUEST_H */
