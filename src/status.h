/* status.h - the collector's own pages: GET /health and GET /metrics */
#ifndef SL_STATUS_H
#define SL_STATUS_H

#include "response.h"
#include "sink.h"

/*
 * Answer {"status":"ok"|"degraded"|"full","version":…,"kafka":"up"|"down"|
 * "none","spool":{"files":N,"bytes":N}}: 200, or 503 while the spool is
 * over its high watermark. degraded: Kafka is unreachable but the spool
 * takes the records.
 */
void sl_status_health(struct sl_sink *sk, struct sl_response *resp);

/*
 * Answer the deployment's counters in Prometheus text format; route_names
 * (SL_METRICS_ROUTES entries, NULL where none) label the request counters.
 * 503 when there are no shared counters.
 */
void sl_status_metrics(struct sl_sink *sk, const char *const *route_names,
		       struct sl_response *resp);

#endif /* SL_STATUS_H */
