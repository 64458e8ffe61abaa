/* sluice-fcgi.c - sluice.fcgi: the FastCGI responder loop
 *
 * Started by mod_fcgid, lighttpd (bin-path) or spawn-fcgi with the
 * listening socket on fd 0. Each accepted request goes through the core;
 * SIGTERM or SIGUSR1 (how those servers stop a process) ends the loop
 * after the request in hand.
 *
 * Started by systemd (sluice-fcgi.socket), the socket comes as fd 3 with
 * LISTEN_FDS=1 and is moved to fd 0; `--processes N` then keeps a pool of
 * N such loops on it (`auto`: one per CPU it may run on), restarting one
 * that dies, and passes SIGTERM on.
 */
#include "config.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "core.h"
#include "finish.h"
#include "log.h"

static volatile sig_atomic_t stopping;

/* A request in hand, and how much of its body the core has read. */
struct fcgi_io {
	FCGX_Request rq;
	unsigned long long got;
};

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static const char *fcgi_param(void *io, const char *name)
{
	struct fcgi_io *f = io;

	return FCGX_GetParam(name, f->rq.envp);
}

static ssize_t fcgi_read(void *io, void *buf, size_t len)
{
	struct fcgi_io *f = io;
	int n;

	if (len > (size_t)INT32_MAX)
		len = INT32_MAX;
	n = FCGX_GetStr(buf, (int)len, f->rq.in);
	if (n == 0 && FCGX_GetError(f->rq.in))
		return -1;
	f->got += (unsigned long long)n;
	return n;
}

static int fcgi_write(void *io, const void *buf, size_t len)
{
	struct fcgi_io *f = io;
	const char *p = buf;

	while (len) {
		int chunk = len > 65536 ? 65536 : (int)len;

		if (FCGX_PutStr(p, chunk, f->rq.out) != chunk)
			return -1;
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

/* Every variable of the request, for the core to index once. */
static char *const *fcgi_env(void *io)
{
	struct fcgi_io *f = io;

	return f->rq.envp;
}

static const struct sl_transport fcgi_transport = {
	.param = fcgi_param,
	.read = fcgi_read,
	.write = fcgi_write,
	.env = fcgi_env,
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

/* One responder loop on fd 0 until SIGTERM; the process's exit status. */
static int serve(void)
{
	struct sl_core *core;
	struct fcgi_io f;
	char err[512];
	unsigned long served = 0;

	install_signals();
	core = sl_core_new(getenv("SLUICE_CONFIG"), 0, err, sizeof(err));
	if (!core) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "cannot start: %s", err);
		return 1;
	}
	if (FCGX_Init() || FCGX_InitRequest(&f.rq, 0, FCGI_FAIL_ACCEPT_ON_INTR)) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "cannot start: FastCGI setup failed");
		sl_core_destroy(core);
		return 1;
	}
	while (!stopping && FCGX_Accept_r(&f.rq) >= 0) {
		f.got = 0;
		sl_core_handle(core, &fcgi_transport, &f);
		sl_fcgi_finish(&f.rq, f.got);
		served++;
	}
	FCGX_Free(&f.rq, 1);
	sl_log(SL_LOG_INFO, NULL, NULL, "stopping after %lu request(s)", served);
	sl_core_destroy(core);
	return 0;
}

/*
 * systemd's socket activation: the socket is fd 3 and LISTEN_PID names
 * this process. libfcgi accepts on fd 0, so it moves there. Returns -1
 * (logged) when systemd passed something this program cannot use.
 */
static int take_activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (!pid || !fds || strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	if (strcmp(fds, "1")) {
		sl_log(SL_LOG_ERROR, NULL, NULL,
		       "cannot start: systemd passed %s sockets, one expected "
		       "(ListenStream= once in sluice-fcgi.socket)", fds);
		return -1;
	}
	if (dup2(3, 0) < 0) {
		sl_log(SL_LOG_ERROR, NULL, NULL,
		       "cannot start: moving the socket to fd 0: %s",
		       strerror(errno));
		return -1;
	}
	close(3);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 0;
}

#define SL_POOL_MAX 256

struct worker {
	pid_t pid;
	time_t started;
};

/* Start the loop in a child; its pid, or -1 (logged). */
static pid_t spawn(const sigset_t *mask)
{
	pid_t pid = fork();

	if (pid < 0) {
		sl_log(SL_LOG_ERROR, NULL, NULL, "cannot fork a worker: %s",
		       strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* A pool whose supervisor is killed outright stops too. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		sigprocmask(SIG_SETMASK, mask, NULL);
		_exit(serve());
	}
	return pid;
}

/*
 * Keep n loops running on fd 0. SIGTERM, SIGINT or SIGUSR1 is passed to
 * each and the supervisor exits when all have. A worker that dies is
 * restarted, unless it failed at once (exit status not 0 within a second
 * of its start: the configuration is wrong), which stops the pool with
 * status 1 so that systemd's Restart= and its rate limit take over.
 */
static int supervise(int n)
{
	struct worker pool[SL_POOL_MAX];
	sigset_t watched, old;
	int live = 0, rc = 0, i, sig;
	bool ending = false;

	sigemptyset(&watched);
	sigaddset(&watched, SIGTERM);
	sigaddset(&watched, SIGINT);
	sigaddset(&watched, SIGUSR1);
	sigaddset(&watched, SIGCHLD);
	sigprocmask(SIG_BLOCK, &watched, &old);
	for (i = 0; i < n; i++) {
		pool[i].pid = spawn(&old);
		pool[i].started = time(NULL);
		if (pool[i].pid < 0) {
			ending = true;
			rc = 1;
			break;
		}
		live++;
	}
	n = i;
	if (!ending)
		sl_log(SL_LOG_INFO, NULL, NULL, "pool of %d process(es) started", n);
	while (live > 0) {
		if (ending) {
			for (i = 0; i < n; i++)
				if (pool[i].pid > 0)
					kill(pool[i].pid, SIGTERM);
		}
		if (sigwait(&watched, &sig))
			continue;
		if (sig != SIGCHLD) {
			ending = true;
			continue;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);

			if (pid <= 0)
				break;
			for (i = 0; i < n && pool[i].pid != pid; i++)
				;
			if (i == n)
				continue;
			live--;
			pool[i].pid = 0;
			if (ending)
				continue;
			if (WIFEXITED(status) && WEXITSTATUS(status) &&
			    time(NULL) - pool[i].started < 2) {
				sl_log(SL_LOG_ERROR, NULL, NULL,
				       "worker %ld failed at start (status %d): "
				       "stopping the pool", (long)pid,
				       WEXITSTATUS(status));
				ending = true;
				rc = 1;
				continue;
			}
			if (WIFSIGNALED(status))
				sl_log(SL_LOG_ERROR, NULL, NULL,
				       "worker %ld killed by signal %d: restarting it",
				       (long)pid, WTERMSIG(status));
			else
				sl_log(SL_LOG_WARN, NULL, NULL,
				       "worker %ld exited (status %d): restarting it",
				       (long)pid, WEXITSTATUS(status));
			pool[i].pid = spawn(&old);
			pool[i].started = time(NULL);
			if (pool[i].pid > 0)
				live++;
		}
	}
	sl_log(SL_LOG_INFO, NULL, NULL, "pool stopped");
	return rc;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: sluice.fcgi [--processes N|auto]\n"
		"  FastCGI responder on the listening socket of fd 0 (or of\n"
		"  systemd's socket activation); with --processes, a pool of N\n"
		"  (1-%d) responders on it, or with auto one per CPU this\n"
		"  process may run on. Configuration: $SLUICE_CONFIG.\n",
		SL_POOL_MAX);
	return 2;
}

/* The CPUs this process may run on (its affinity, which systemd's
 * CPUAffinity= and taskset narrow), at least 1 and at most the pool's
 * limit. With ack = queue a responder never waits on Kafka, so more
 * processes than CPUs only add context switches (README, "Deploying"). */
static long cpus(void)
{
	cpu_set_t set;
	long n;

	if (!sched_getaffinity(0, sizeof(set), &set))
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > SL_POOL_MAX ? SL_POOL_MAX : n;
}

int main(int argc, char **argv)
{
	long n = 0;

	if (argc == 3 && !strcmp(argv[1], "--processes")) {
		char *end;

		if (!strcmp(argv[2], "auto")) {
			n = cpus();
		} else {
			n = strtol(argv[2], &end, 10);
			if (*end || end == argv[2] || n < 1 ||
			    n > SL_POOL_MAX)
				return usage();
		}
	} else if (argc != 1) {
		return usage();
	}
	if (take_activated_socket())
		return 1;
	return n ? supervise((int)n) : serve();
}
