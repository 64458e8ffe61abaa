/* sluice-fcgi.c - sluice.fcgi: the FastCGI responder loop
 *
 * Started by mod_fcgid, lighttpd (bin-path) or spawn-fcgi with the
 * listening socket on fd 0. Each accepted request goes through the core;
 * SIGTERM or SIGUSR1 (how those servers stop a process) ends the loop
 * after the request in hand.
 */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <fcgiapp.h>

#include "core.h"
#include "log.h"

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static const char *fcgi_param(void *io, const char *name)
{
	FCGX_Request *rq = io;

	return FCGX_GetParam(name, rq->envp);
}

static ssize_t fcgi_read(void *io, void *buf, size_t len)
{
	FCGX_Request *rq = io;
	int n;

	if (len > (size_t)INT32_MAX)
		len = INT32_MAX;
	n = FCGX_GetStr(buf, (int)len, rq->in);
	if (n == 0 && FCGX_GetError(rq->in))
		return -1;
	return n;
}

static int fcgi_write(void *io, const void *buf, size_t len)
{
	FCGX_Request *rq = io;
	const char *p = buf;

	while (len) {
		int chunk = len > 65536 ? 65536 : (int)len;

		if (FCGX_PutStr(p, chunk, rq->out) != chunk)
			return -1;
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

static const struct sl_transport fcgi_transport = {
	.param = fcgi_param,
	.read = fcgi_read,
	.write = fcgi_write,
};

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked accept returns and the loop ends. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

int main(void)
{
	struct sl_core *core;
	FCGX_Request rq;
	char err[512];
	unsigned long served = 0;

	install_signals();
	core = sl_core_new(getenv("SLUICE_CONFIG"), 0, err, sizeof(err));
	if (!core) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "cannot start: %s", err);
		return 1;
	}
	if (FCGX_Init() || FCGX_InitRequest(&rq, 0, FCGI_FAIL_ACCEPT_ON_INTR)) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "cannot start: FastCGI setup failed");
		sl_core_destroy(core);
		return 1;
	}
	while (!stopping && FCGX_Accept_r(&rq) >= 0) {
		sl_core_handle(core, &fcgi_transport, &rq);
		FCGX_Finish_r(&rq);
		served++;
	}
	FCGX_Free(&rq, 1);
	sl_log(SL_LOG_INFO, NULL, NULL, "stopping after %lu request(s)", served);
	sl_core_destroy(core);
	return 0;
}
