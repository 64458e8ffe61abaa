/* finish.c - ending a FastCGI request without waiting on the web server */
#include "finish.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* The web server has sent all of the request's input. */
static bool input_ended(FCGX_Request *rq, unsigned long long got)
{
	const char *cl;
	unsigned long long want = 0;
	char *end, c;

	if (FCGX_HasSeenEOF(rq->in))
		return true;
	cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
	if (cl && *cl) {
		if (*cl < '0' || *cl > '9')
			return false;
		errno = 0;
		want = strtoull(cl, &end, 10);
		if (*end || errno)
			return false;
	}
	/* Part of the body unread: libfcgi's close reads it away. */
	if (got != want)
		return false;
	/* All that can follow is the empty record that ends stdin; the
	 * server sends it with (or right after) the body. Anything else
	 * leaves the decision to libfcgi. */
	return FCGX_GetStr(&c, 1, rq->in) == 0 && FCGX_HasSeenEOF(rq->in);
}

void sl_fcgi_finish(FCGX_Request *rq, unsigned long long got)
{
	if (rq->keepConnection || !input_ended(rq, got)) {
		FCGX_Finish_r(rq);
		return;
	}
	/* Flushed and ended by libfcgi, the descriptor left to us (on a
	 * write error libfcgi closes it itself and sets ipcFd to -1). */
	rq->keepConnection = 1;
	FCGX_Finish_r(rq);
	rq->keepConnection = 0;
	if (rq->ipcFd >= 0) {
		close(rq->ipcFd);
		rq->ipcFd = -1;
	}
}
