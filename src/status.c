/* status.c - the collector's own pages: GET /health and GET /metrics */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "metrics.h"
#include "status.h"

void sl_status_health(struct sl_sink *sk, struct sl_response *resp)
{
	struct sl_buf b = { 0 };
	const char *kafka = sl_sink_kafka_state(sk), *status = "ok";
	unsigned long files = 0;
	uint64_t bytes = 0;
	bool full = sl_sink_full(sk);

	if (full)
		status = "full";
	else if (!strcmp(kafka, "down"))
		status = "degraded";
	sl_sink_backlog(sk, &files, &bytes);
	if (sl_buf_printf(&b, "{\"status\":\"%s\",\"version\":\"%s\",\"kafka\":\"%s\",\"spool\":{\"files\":%lu,\"bytes\":%" PRIu64 "}}\n",
			  status, PACKAGE_VERSION, kafka, files, bytes))
		resp->broken = true;
	else
		sl_response_set(resp, full ? 503 : 200, "application/json",
				b.data, b.len);
	sl_response_lines(resp, "Cache-Control: no-store\r\n");
	sl_buf_release(&b);
}

void sl_status_metrics(struct sl_sink *sk, const char *const *route_names,
		       struct sl_response *resp)
{
	struct sl_buf b = { 0 };
	unsigned long files = 0;
	uint64_t bytes = 0;

	sl_sink_backlog(sk, &files, &bytes);
	if (sl_metrics_render(&b, route_names, files, bytes))
		sl_response_set(resp, 503, "text/plain; charset=utf-8",
				"no shared counters\n", 19);
	else
		sl_response_set(resp, 200,
				"text/plain; version=0.0.4; charset=utf-8",
				b.data, b.len);
	sl_response_lines(resp, "Cache-Control: no-store\r\n");
	sl_buf_release(&b);
}
