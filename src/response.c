/* response.c - the answer an adapter builds and the entry sends */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "response.h"

const unsigned char sl_pixel_gif[SL_PIXEL_GIF_LEN] = {
	/* header, 1x1 screen, 2-colour global table */
	'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x01, 0x00,
	/* palette: black, white */
	0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	/* graphic control: colour 0 is transparent */
	0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
	/* image descriptor: 1x1 at 0,0 */
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	/* LZW data for one pixel, trailer */
	0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

/* The CGI status line of an HTTP status ("Status: 200 OK\r\n"), its
 * length in *len. */
static const char *status_line(int status, size_t *len)
{
#define LINE(s) (*len = sizeof("Status: " s "\r\n") - 1, "Status: " s "\r\n")
	switch (status) {
	case 200: return LINE("200 OK");
	case 202: return LINE("202 Accepted");
	case 204: return LINE("204 No Content");
	case 400: return LINE("400 Bad Request");
	case 401: return LINE("401 Unauthorized");
	case 403: return LINE("403 Forbidden");
	case 404: return LINE("404 Not Found");
	case 405: return LINE("405 Method Not Allowed");
	case 411: return LINE("411 Length Required");
	case 413: return LINE("413 Payload Too Large");
	case 415: return LINE("415 Unsupported Media Type");
	case 422: return LINE("422 Unprocessable Entity");
	case 429: return LINE("429 Too Many Requests");
	case 500: return LINE("500 Internal Server Error");
	case 503: return LINE("503 Service Unavailable");
	default: return NULL;
	}
#undef LINE
}

void sl_response_set(struct sl_response *resp, int status,
		     const char *content_type, const void *body, size_t len)
{
	resp->status = status;
	resp->content_type = content_type;
	sl_buf_reset(&resp->body);
	if (sl_buf_append(&resp->body, body, len))
		resp->broken = true;
}

void sl_response_reason_text(struct sl_response *resp, int status,
			     const char *reason)
{
	char line[300];
	int n = snprintf(line, sizeof(line), "%s\n", reason);

	sl_response_set(resp, status, "text/plain; charset=utf-8", line,
			n < 0 ? 0 : (size_t)n >= sizeof(line) ? sizeof(line) - 1 :
			(size_t)n);
}

void sl_response_reason_json(struct sl_response *resp, int status,
			     const char *head, const char *reason,
			     const char *tail)
{
	struct sl_buf b = { 0 };

	if (sl_buf_puts(&b, head) ||
	    sl_buf_json_str(&b, reason, strlen(reason)) || sl_buf_puts(&b, tail))
		resp->broken = true;
	else
		sl_response_set(resp, status, "application/json", b.data, b.len);
	sl_buf_release(&b);
}

/* Copy n bytes into room reserved before (p may be NULL when n is 0:
 * an empty buffer's data). */
static void put(struct sl_buf *b, const void *p, size_t n)
{
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

#define PUT_LITERAL(b, s) put((b), (s), sizeof(s) - 1)

void sl_response_header(struct sl_response *resp, const char *name,
			const char *value)
{
	struct sl_buf *h = &resp->headers;
	size_t nl = strlen(name), vl = strcspn(value, "\r\n");

	if (value[vl] || sl_buf_reserve(h, nl + vl + 4)) {
		resp->broken = true;
		return;
	}
	put(h, name, nl);
	PUT_LITERAL(h, ": ");
	put(h, value, vl);
	PUT_LITERAL(h, "\r\n");
	h->data[h->len] = '\0';
}

int sl_response_send(struct sl_response *resp, const struct sl_transport *tp,
		     void *io)
{
	static const char broken[] =
		"Status: 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
	struct sl_buf *out = &resp->out;
	int status = resp->status >= 100 && resp->status <= 599 ?
		     resp->status : 500;
	size_t sl, tl = resp->content_type ? strlen(resp->content_type) : 0;
	const char *line = status_line(status, &sl);
	char other[32], digits[24], *o;
	size_t dl = sl_format_i64((int64_t)resp->body.len, digits);

	if (resp->broken)
		return tp->write(io, broken, sizeof(broken) - 1) ? -EIO : 0;
	if (!line) {
		/* A status without a phrase of ours (none is sent today). */
		memcpy(other, "Status: 000 Unknown\r\n", 22);
		other[8] = (char)('0' + status / 100 % 10);
		other[9] = (char)('0' + status / 10 % 10);
		other[10] = (char)('0' + status % 10);
		line = other;
		sl = 21;
	}
	/* The whole answer in one reservation and one write, through a
	 * local pointer (stores through out would reload it each time). */
	sl_buf_reset(out);
	if (sl_buf_reserve(out, 64 + sl + tl + resp->headers.len +
			   resp->body.len))
		return -EIO;
	o = out->data;
	memcpy(o, line, sl);
	o += sl;
	if (resp->content_type) {
		memcpy(o, "Content-Type: ", 14);
		memcpy(o + 14, resp->content_type, tl);
		memcpy(o + 14 + tl, "\r\n", 2);
		o += 16 + tl;
	}
	memcpy(o, "Content-Length: ", 16);
	memcpy(o + 16, digits, dl);
	memcpy(o + 16 + dl, "\r\n", 2);
	o += 18 + dl;
	if (resp->headers.len) {
		memcpy(o, resp->headers.data, resp->headers.len);
		o += resp->headers.len;
	}
	memcpy(o, "\r\n", 2);
	o += 2;
	if (resp->body.len) {
		memcpy(o, resp->body.data, resp->body.len);
		o += resp->body.len;
	}
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return tp->write(io, out->data, out->len) ? -EIO : 0;
}

/* What a kept buffer may hold on to between requests. */
#define KEEP_MAX (64 * 1024)

void sl_response_finish(struct sl_response *resp)
{
	resp->status = 0;
	resp->content_type = NULL;
	resp->broken = false;
	sl_buf_recycle(&resp->headers, KEEP_MAX);
	sl_buf_recycle(&resp->body, KEEP_MAX);
	sl_buf_recycle(&resp->out, KEEP_MAX);
}

void sl_response_release(struct sl_response *resp)
{
	sl_buf_release(&resp->headers);
	sl_buf_release(&resp->body);
	sl_buf_release(&resp->out);
}
