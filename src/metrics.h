/* metrics.h - counters shared by every process of one deployment
 *
 * The counters live in a small file in the spool directory, mapped
 * shared by each FastCGI, CGI and relay process and bumped with atomic
 * adds, so any process can answer GET /metrics with deployment-wide
 * totals. Process-wide state, like the log level: open once at start.
 */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stdint.h>

#include "buf.h"

/* The file in the spool directory. */
#define SL_METRICS_FILE "metrics.shm"

enum sl_counter {
	SL_M_ACCEPTED,		/* events taken (Kafka or spool) */
	SL_M_REJECTED,		/* bad-event records */
	SL_M_SPOOLED,		/* records appended to the spool */
	SL_M_RELAYED,		/* records the relay delivered */
	SL_M_DROPPED,		/* events dropped: watermark, do_not_track */
	SL_M_DELIVERY_ERRORS,	/* failed Kafka delivery reports */
	SL_M_SPOOL_ERRORS,	/* appends the spool refused */
	/* Added in a later layout: they live after the request counters,
	 * so a file of the first layout only grows. */
	SL_M_BOT,		/* events of crawlers, http.bots = drop */
	SL_M_RATE_LIMITED,	/* events over [limits], always-200 formats */
	SL_M_IGNORED,		/* events from http.ignore_from */
	SL_M_COUNT,
};

/* Route slots for request counters (route table index, or NONE). */
#define SL_METRICS_ROUTES 16
#define SL_METRICS_ROUTE_NONE (SL_METRICS_ROUTES - 1)

/*
 * Map dir/metrics.shm (created 0600). Returns 0 or a negative errno;
 * without it every count below is a no-op.
 */
int sl_metrics_open(const char *dir);

/* Unmap. */
void sl_metrics_close(void);

/* Add n to counter c. Safe from any thread and process. */
void sl_metrics_add(enum sl_counter c, uint64_t n);

/* Count one answered request of route slot route with HTTP status. */
void sl_metrics_request(unsigned int route, int status);

/*
 * Append the Prometheus text exposition of every counter; route_names
 * names the route slots (NULL entries are skipped, slot NONE is "none").
 * spool_files and spool_bytes are gauges measured by the caller.
 * Returns 0 or -ENOMEM, -ENODEV when the file is not mapped.
 */
int sl_metrics_render(struct sl_buf *out, const char *const *route_names,
		      unsigned long spool_files, uint64_t spool_bytes);

#endif /* SL_METRICS_H */
