/* response.h - the answer an adapter builds and the entry sends */
#ifndef SL_RESPONSE_H
#define SL_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "request.h"

/* Seconds a client is asked to wait before retrying a 503 (Retry-After),
 * the same for every format and entry. */
#define SL_RETRY_AFTER "30"

/* The transparent 1x1 GIF89a the pixel routes answer with. */
#define SL_PIXEL_GIF_LEN 43
extern const unsigned char sl_pixel_gif[SL_PIXEL_GIF_LEN];

struct sl_response {
	int status;			/* HTTP status, 0 until set */
	const char *content_type;	/* static string or NULL (no body) */
	struct sl_buf headers;		/* extra "Name: value\r\n" lines */
	struct sl_buf body;
	struct sl_buf out;		/* what sl_response_send() writes */
	bool broken;			/* a set or header failed: send 500 */
};

/*
 * Set status, content type (static, may be NULL) and body (copied).
 * Cannot fail as far as the caller is concerned: when the copy cannot be
 * made, the response is marked broken and sl_response_send() answers 500
 * with no body instead. Headers added so far are kept.
 */
void sl_response_set(struct sl_response *resp, int status,
		     const char *content_type, const void *body, size_t len);

/* Answer status with text/plain: reason and a newline (reasons are one
 * line; a longer one is cut at 300 bytes). */
void sl_response_reason_text(struct sl_response *resp, int status,
			     const char *reason);

/* Answer status with application/json: head, reason as a JSON string,
 * tail ({"detail": and }, say). */
void sl_response_reason_json(struct sl_response *resp, int status,
			     const char *head, const char *reason,
			     const char *tail);

/* Add one header line; name is the code's own. A value holding CR or LF
 * (never sent: it would split the header), or no memory, marks the
 * response broken. */
void sl_response_header(struct sl_response *resp, const char *name,
			const char *value);

/* Add header lines of the code's own ("Name: value\r\n"...), taken as
 * they are (a literal's length is known when this is compiled). */
static inline void sl_response_lines(struct sl_response *resp,
				     const char *lines)
{
	if (sl_buf_append(&resp->headers, lines, strlen(lines)))
		resp->broken = true;
}

/*
 * Write the response as a CGI response (Status line, headers, blank line,
 * body) through the transport; a broken one as 500 with no headers or
 * body. Returns 0 or -EIO.
 */
int sl_response_send(struct sl_response *resp,
		     const struct sl_transport *tp, void *io);

/* Ready for the next request: everything forgotten but the buffers'
 * allocations (up to 64 KiB each). */
void sl_response_finish(struct sl_response *resp);

/* Free the buffers. */
void sl_response_release(struct sl_response *resp);

#endif /* SL_RESPONSE_H */
