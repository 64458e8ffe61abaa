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

/* The reason phrase for an HTTP status ("OK", "Payload Too Large"). */
static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
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

void sl_response_header(struct sl_response *resp, const char *name,
			const char *value)
{
	if (strpbrk(name, "\r\n") || strpbrk(value, "\r\n") ||
	    sl_buf_cat(&resp->headers, name, ": ", value, "\r\n",
		       (char *)NULL))
		resp->broken = true;
}

int sl_response_send(const struct sl_response *resp,
		     const struct sl_transport *tp, void *io)
{
	static const char broken[] =
		"Status: 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
	struct sl_buf head = { 0 };
	int status = resp->status ? resp->status : 500;
	int rc;

	if (resp->broken)
		return tp->write(io, broken, sizeof(broken) - 1) ? -EIO : 0;

	rc = sl_buf_puts(&head, "Status: ");
	if (!rc)
		rc = sl_buf_put_i64(&head, status);
	if (!rc)
		rc = sl_buf_cat(&head, " ", status_text(status), "\r\n",
				(char *)NULL);
	if (!rc && resp->content_type)
		rc = sl_buf_cat(&head, "Content-Type: ", resp->content_type,
				"\r\n", (char *)NULL);
	if (!rc)
		rc = sl_buf_puts(&head, "Content-Length: ");
	if (!rc)
		rc = sl_buf_put_i64(&head, (int64_t)resp->body.len);
	if (!rc)
		rc = sl_buf_puts(&head, "\r\n");
	if (!rc && resp->headers.len)
		rc = sl_buf_append(&head, resp->headers.data, resp->headers.len);
	if (!rc)
		rc = sl_buf_puts(&head, "\r\n");
	if (!rc && resp->body.len)
		rc = sl_buf_append(&head, resp->body.data, resp->body.len);
	if (!rc && tp->write(io, head.data, head.len))
		rc = -EIO;
	sl_buf_release(&head);
	return rc ? -EIO : 0;
}

void sl_response_release(struct sl_response *resp)
{
	sl_buf_release(&resp->headers);
	sl_buf_release(&resp->body);
}
