/* bare-fcgi.c - the benchmark's ceiling: the least a libfcgi responder
 * can do for GET /pixel. It reads the body, answers the 43-byte GIF and,
 * when the configuration file in SLUICE_CONFIG has a "brokers = ..."
 * line, produces one record (the query string) per request to the topic
 * "events" first. Nothing is parsed, validated or spooled. It ends each
 * request as sluice.fcgi does (fcgi/finish.h), or with libfcgi's own
 * FCGX_Finish_r() when the file has a line "close = libfcgi". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <librdkafka/rdkafka.h>

#include "finish.h"
#include "gif.h"

/* The value of "KEY = X" in the file at path, or NULL. */
static char *setting(const char *path, const char *key)
{
	char line[1024], *v = NULL;
	FILE *fp = path ? fopen(path, "r") : NULL;
	size_t n = strlen(key);

	while (fp && !v && fgets(line, sizeof(line), fp)) {
		char value[1000];
		const char *p = line + strspn(line, " \t");

		if (!strncmp(p, key, n) &&
		    sscanf(p + n, " = %999s", value) == 1)
			v = strdup(value);
	}
	if (fp)
		fclose(fp);
	return v;
}

static rd_kafka_t *producer(const char *brokers)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err,
			      sizeof(err)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "bare-fcgi: %s\n", err);
		exit(1);
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "bare-fcgi: %s\n", err);
		exit(1);
	}
	return rk;
}

int main(void)
{
	const char *conf = getenv("SLUICE_CONFIG");
	char *brokers = setting(conf, "brokers");
	char *closing = setting(conf, "close");
	int libfcgi_close = closing && !strcmp(closing, "libfcgi");
	rd_kafka_t *rk = brokers ? producer(brokers) : NULL;
	FCGX_Request req;
	char buf[8192];

	FCGX_Init();
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		const char *q = FCGX_GetParam("QUERY_STRING", req.envp);

		while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0)
			;
		if (rk) {
			if (!q)
				q = "";
			rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("events"),
					  RD_KAFKA_V_VALUE((void *)q, strlen(q)),
					  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					  RD_KAFKA_V_END);
			rd_kafka_poll(rk, 0);
		}
		FCGX_PutS(BENCH_GIF_HEADERS, req.out);
		FCGX_PutStr((const char *)bench_gif, sizeof(bench_gif), req.out);
		/* The body was read to its end: no count needed. */
		if (libfcgi_close)
			FCGX_Finish_r(&req);
		else
			sl_fcgi_finish(&req, 0);
	}
	if (rk) {
		rd_kafka_flush(rk, 5000);
		rd_kafka_destroy(rk);
	}
	free(brokers);
	free(closing);
	return 0;
}
