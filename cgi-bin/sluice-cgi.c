/* sluice-cgi.c - sluice.cgi: one request per process (CGI/1.1)
 *
 * The web server passes the request in the environment and on stdin and
 * reads the response from stdout; everything else is the core's.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "log.h"
#include "response.h"

static const char *cgi_param(void *io, const char *name)
{
	(void)io;
	return getenv(name);
}

static ssize_t cgi_read(void *io, void *buf, size_t len)
{
	ssize_t n;

	(void)io;
	do
		n = read(STDIN_FILENO, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

static int cgi_write(void *io, const void *buf, size_t len)
{
	const char *p = buf;

	(void)io;
	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Largest unread body thrown away after answering (see main). */
#define DRAIN_MAX (64L << 20)

/*
 * Read and discard what is left of the request body. The core may answer
 * without reading a body (413 decided from CONTENT_LENGTH); Apache's
 * mod_cgid then drops the connection, answer and all, if the program
 * exits with its input unread. Past DRAIN_MAX the client is on its own.
 */
static void drain_stdin(void)
{
	const char *cl = getenv("CONTENT_LENGTH");
	char buf[65536];
	long left = cl ? strtol(cl, NULL, 10) : 0;

	if (left <= 0 || left > DRAIN_MAX)
		return;
	while (left > 0) {
		ssize_t n = cgi_read(NULL, buf, sizeof(buf));

		if (n <= 0)
			return;
		left -= n;
	}
}

/* The whole environment, for the core to index once. */
static char *const *cgi_env(void *io)
{
	(void)io;
	return environ;
}

static const struct sl_transport cgi_transport = {
	.param = cgi_param,
	.read = cgi_read,
	.write = cgi_write,
	.env = cgi_env,
};

int main(void)
{
	static const char unavailable[] =
		"Status: 503 Service Unavailable\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Retry-After: " SL_RETRY_AFTER "\r\n\r\n"
		"collector is not configured correctly\n";
	struct sl_core *core;
	char err[512];

	/* A full disk or file size limit must fail a write, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	core = sl_core_new(getenv("SLUICE_CONFIG"), SL_CORE_ONE_SHOT, err,
			   sizeof(err));
	if (!core) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "cannot start: %s", err);
		cgi_write(NULL, unavailable, sizeof(unavailable) - 1);
		return 1;
	}
	sl_core_handle(core, &cgi_transport, NULL);
	drain_stdin();
	sl_core_destroy(core);
	return 0;
}
