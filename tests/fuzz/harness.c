/* harness.c - a core that drops its records, a request served from memory */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "harness.h"

#define MAX_PARAMS 32

struct fuzz_io {
	const char *const *params;
	int ready;			/* params is the whole list */
	char length_var[40];		/* CONTENT_LENGTH=..., for env */
	const char *length;		/* its value */
	const char *env[MAX_PARAMS + 2];
	const uint8_t *body;
	size_t len, off;
};

static const char config_text[] =
	"[spool]\n"
	"dir = %s\n"
	"fsync = never\n"
	"[http]\n"
	"max_body = 65536\n"
	"max_events = 100\n"
	"trusted_proxies = 127.0.0.0/8, ::1/128\n"
	"status_from = 0.0.0.0/0, ::/0\n"
	"cors_origins = https://shop.example.com\n"
	"[log]\n"
	"level = error\n"
	"[app test_release]\n"
	"[app signed]\n"
	"token = s3cret\n"
	"verify_hash = true\n"
	"[source source-id]\n"
	"[datasource my-datasource]\n"
	"[writekey wk]\n";

unsigned int fuzz_core_flags = SL_CORE_DISCARD_SPOOL;
const char *fuzz_config_extra = "";

static struct sl_core *core;
static char spool_dir[64];

static void cleanup(void)
{
	char cmd[128];

	sl_core_destroy(core);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", spool_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", spool_dir);
}

struct sl_core *fuzz_core(void)
{
	char path[128], err[256];
	FILE *fp;

	if (core)
		return core;
	snprintf(spool_dir, sizeof(spool_dir), "%s/sluice-fuzz-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(spool_dir)) {
		perror("fuzz: mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/sluice.conf", spool_dir);
	fp = fopen(path, "w");
	if (!fp || fprintf(fp, config_text, spool_dir) < 0 ||
	    fputs(fuzz_config_extra, fp) < 0 || fclose(fp)) {
		perror("fuzz: writing the configuration");
		exit(1);
	}
	core = sl_core_new(path, fuzz_core_flags, err, sizeof(err));
	if (!core) {
		fprintf(stderr, "fuzz: %s\n", err);
		exit(1);
	}
	atexit(cleanup);
	return core;
}

static const char *io_param(void *io, const char *name)
{
	struct fuzz_io *f = io;
	size_t n = strlen(name);
	const char *const *p;

	for (p = f->params; *p; p++)
		if (!strncmp(*p, name, n) && (*p)[n] == '=')
			return *p + n + 1;
	return strcmp(name, "CONTENT_LENGTH") ? NULL : f->length;
}

static ssize_t io_read(void *io, void *buf, size_t len)
{
	struct fuzz_io *f = io;

	if (len > f->len - f->off)
		len = f->len - f->off;
	memcpy(buf, f->body + f->off, len);
	f->off += len;
	return (ssize_t)len;
}

/* The answer goes nowhere: the fuzzers look for crashes, not replies. */
static int io_write(void *io, const void *buf, size_t len)
{
	(void)io;
	(void)buf;
	(void)len;
	return 0;
}

/* The variables as a list, CONTENT_LENGTH after the given ones (so one
 * given wins, as with io_param). Past MAX_PARAMS, none: param alone. */
static char *const *io_env(void *io)
{
	struct fuzz_io *f = io;
	size_t n;

	if (f->ready)
		return (char *const *)f->params;
	for (n = 0; f->params[n]; n++)
		if (n == MAX_PARAMS)
			return NULL;
	memcpy(f->env, f->params, n * sizeof(*f->env));
	f->env[n] = f->length_var;
	f->env[n + 1] = NULL;
	return (char *const *)f->env;
}

static const struct sl_transport fuzz_transport = {
	.param = io_param,
	.read = io_read,
	.write = io_write,
	.env = io_env,
};

void fuzz_request(const char *const *params, const uint8_t *body, size_t len)
{
	static const char var[] = "CONTENT_LENGTH=";
	struct fuzz_io io = { .params = params, .body = body, .len = len };

	/* Without printf: the benchmark measures the core through this,
	 * and a transport hands the core its variables ready-made. */
	memcpy(io.length_var, var, sizeof(var) - 1);
	io.length = io.length_var + sizeof(var) - 1;
	sl_format_i64((int64_t)len, io.length_var + sizeof(var) - 1);
	sl_core_handle(fuzz_core(), &fuzz_transport, &io);
}

void fuzz_request_ready(const char *const *params, const uint8_t *body,
			size_t len)
{
	struct fuzz_io io = {
		.params = params, .ready = 1, .body = body, .len = len,
	};

	sl_core_handle(fuzz_core(), &fuzz_transport, &io);
}

void fuzz_params_length(struct fuzz_params *p, size_t len)
{
	size_t n;

	snprintf(p->cl, sizeof(p->cl), "CONTENT_LENGTH=%zu", len);
	for (n = 0; p->list[n]; n++)
		;
	p->list[n] = p->cl;
	p->list[n + 1] = NULL;
}

void fuzz_simple_params(struct fuzz_params *p, const char *method,
			const char *path, const char *query,
			const char *content_type)
{
	/* What lighttpd's mod_fastcgi sends besides (a request carries
	 * some 26 variables: the core's cost of finding its own among them
	 * is part of every request's). */
	const char *fixed[] = {
		"SERVER_SOFTWARE=lighttpd/1.4.69", "SERVER_NAME=127.0.0.1",
		"GATEWAY_INTERFACE=CGI/1.1", "REQUEST_SCHEME=http",
		"SERVER_PORT=8080", "SERVER_ADDR=127.0.0.1", "REMOTE_PORT=53422",
		"SCRIPT_NAME=", "DOCUMENT_ROOT=/var/www", "REDIRECT_STATUS=200",
		"SERVER_PROTOCOL=HTTP/1.1", "HTTP_HOST=collect.example.com",
		"HTTP_ACCEPT=*/*", "HTTP_ACCEPT_LANGUAGE=en-GB,en;q=0.9",
		"HTTP_ACCEPT_ENCODING=gzip, deflate, br",
		"HTTP_REFERER=https://shop.example.com/items/1234567890",
		"HTTP_CONNECTION=keep-alive",
		"REMOTE_ADDR=127.0.0.1",
		"HTTP_USER_AGENT=Mozilla/5.0 (X11; Linux x86_64)",
		"HTTP_X_FORWARDED_FOR=203.0.113.9",
		"HTTP_ORIGIN=https://shop.example.com",
		"HTTP_COOKIE=sluice_token=s3cret",
	};
	size_t i;

	snprintf(p->m, sizeof(p->m), "REQUEST_METHOD=%s", method);
	snprintf(p->pa, sizeof(p->pa), "PATH_INFO=%s", path);
	snprintf(p->q, sizeof(p->q), "QUERY_STRING=%s", query ? query : "");
	snprintf(p->ct, sizeof(p->ct), "%s=%s",
		 content_type ? "CONTENT_TYPE" : "X_NONE",
		 content_type ? content_type : "");
	p->list[0] = p->m;
	p->list[1] = p->pa;
	p->list[2] = p->q;
	p->list[3] = p->ct;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		p->list[4 + i] = fixed[i];
	p->list[4 + i] = NULL;
}

void fuzz_simple(const char *method, const char *path, const char *query,
		 const char *content_type, const uint8_t *body, size_t len)
{
	struct fuzz_params p;

	fuzz_simple_params(&p, method, path, query, content_type);
	fuzz_request(p.list, body, len);
}

void fuzz_split(const uint8_t *data, size_t size, char **head,
		const uint8_t **tail, size_t *tail_len)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;

	*head = malloc(n + 1);
	if (!*head)
		abort();
	memcpy(*head, data, n);
	(*head)[n] = '\0';
	*tail = nl ? nl + 1 : data + size;
	*tail_len = nl ? size - n - 1 : 0;
}
