/* core.h - the one path every request takes, as the entries see it */
#ifndef SL_CORE_H
#define SL_CORE_H

#include <stddef.h>

#include "conf.h"
#include "request.h"

struct sl_core;

/* sl_core_new() flags. */
enum {
	/* One request per process (CGI): starting a Kafka producer for
	 * each would cost more than the request, so records go to the
	 * spool and `sluice relay` ships them. */
	SL_CORE_ONE_SHOT = 1,
	/* Encode every record, then discard it, as if Kafka took them
	 * all: no producer, no spool lines, nothing appended to the spool
	 * (still opened, for its watermark). For the core micro-benchmark;
	 * never in a server. */
	SL_CORE_NULL_SINK = 2,
	/* Encode every record and its spool line, then discard them: the
	 * spool sink without the write. For the fuzzers, so that the
	 * spool-line writer is fuzzed too; never in a server. */
	SL_CORE_DISCARD_SPOOL = 4,
};

/*
 * Load the configuration at config_path (NULL: the compiled-in default,
 * $(sysconfdir)/sluice.conf), set the log level, build the route table
 * and open the sinks: the spool always, a Kafka producer when brokers are
 * configured, ack is not spool and flags lack SL_CORE_ONE_SHOT. Returns
 * NULL with a one-line reason in err when any of that fails; the entry
 * then logs it and stops.
 */
struct sl_core *sl_core_new(const char *config_path, unsigned int flags,
			    char *err, size_t errlen);

/* Flush Kafka (bounded by delivery.shutdown_flush_ms), spool what it did
 * not confirm, close the sinks and free everything. NULL is allowed. */
void sl_core_destroy(struct sl_core *core);

/*
 * Serve one request from the transport: read it, route it, run its
 * adapter, store its records and write the response. Every failure is
 * turned into a status and a log line; nothing outlives the call.
 */
void sl_core_handle(struct sl_core *core, const struct sl_transport *tp,
		    void *io);

/* The compiled-in configuration path. */
const char *sl_core_default_config(void);

struct sl_bots;
struct sl_geoip;
struct sl_limits;

/*
 * Open what cfg's edge features need: the crawler list (http.bots, loaded
 * with bots_flags of bots.h; the default list missing is only a warning),
 * the GeoIP databases and the
 * shared rate-limit table (not when limits is NULL: sluice check-config
 * makes no file). Each is NULL when not configured. Returns 0,
 * or -1 with a line naming the file in err. sluice check-config calls it
 * too, so a missing or corrupt file is found before a request is.
 */
int sl_core_open_edge(const struct sl_config *cfg, unsigned int bots_flags,
		      struct sl_bots **bots, struct sl_geoip **geoip,
		      struct sl_limits **limits, char *err, size_t errlen);

#endif /* SL_CORE_H */
