/* sink.h - where records go: Kafka, the spool, or (benchmarks) nowhere
 *
 * A request's records wait in a batch until the request is over; then the
 * core commits the batch, whole, or aborts it. Nothing reaches Kafka or
 * the spool before the commit, so a batch that cannot be encoded whole
 * leaves nothing behind for the client's retry to duplicate.
 */
#ifndef SL_SINK_H
#define SL_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "record.h"

struct sl_sink;

/* What sl_sink_open() opens. */
enum sl_sink_mode {
	SL_SINK_STORE,		/* Kafka when configured, else the spool */
	SL_SINK_SPOOL,		/* the spool only (CGI: one request per
				 * process, `sluice relay` ships it) */
	SL_SINK_NULL,		/* encode, then discard (benchmark) */
	SL_SINK_DISCARD_SPOOL,	/* ... and their spool lines (fuzzers) */
};

/* One record waiting for the commit: offsets into the batch's store. */
struct sl_pending;

/* The records of one request. Zero it before the first add. */
struct sl_batch {
	struct sl_pending *recs;
	size_t n, cap;
	struct sl_buf store;		/* every record's strings and value */
	unsigned int events;		/* records of good events */
	unsigned int rejected;		/* records for the bad-events topic */
};

/*
 * Open the spool (always: its watermark answers for back-pressure) and,
 * in SL_SINK_STORE mode with brokers configured and ack not spool, a
 * Kafka producer. Returns NULL with a one-line reason in err.
 */
struct sl_sink *sl_sink_open(const struct sl_config *cfg,
			     enum sl_sink_mode mode, char *err, size_t errlen);

/* Flush Kafka (bounded by delivery.shutdown_flush_ms), spool what it did
 * not confirm, close the spool. NULL is allowed. */
void sl_sink_close(struct sl_sink *sk);

/*
 * Encode ev, with en, into b: its value straight into the batch's store,
 * its topic (ev->topic or topic), key and headers after it. Returns 0 or
 * -ENOMEM (b as it was).
 */
int sl_batch_add_event(struct sl_batch *b, const struct sl_event *ev,
		       const struct sl_enrichment *en, const char *topic)
	__attribute__((warn_unused_result));

/* The same for a rejection, on the bad-events topic. */
int sl_batch_add_rejection(struct sl_batch *b, const struct sl_rejection *rj,
			   const struct sl_enrichment *en, const char *topic)
	__attribute__((warn_unused_result));

/* Forget every record of b (nothing was stored); b stays usable. */
void sl_batch_abort(struct sl_batch *b);

/* Free b. */
void sl_batch_release(struct sl_batch *b);

/*
 * Store b as delivery.ack says: produce every record (ack = kafka: and
 * wait for their reports, at most delivery.kafka_wait_ms), and append
 * what Kafka did not take, or everything when there is no producer, to
 * the spool in one piece. Counts the accepted and rejected records in
 * the metrics when stored; logs (id and route name the request) and
 * returns a negative errno when the spool refused them. b is empty
 * afterwards either way.
 */
int sl_sink_commit(struct sl_sink *sk, struct sl_batch *b, const char *id,
		   const char *route)
	__attribute__((warn_unused_result));

/* True while the spool is over its high watermark ([spool] max_size,
 * min_free). */
bool sl_sink_full(struct sl_sink *sk);

/* "up" or "down" (librdkafka sees every broker down), or "none" where no
 * producer runs. */
const char *sl_sink_kafka_state(struct sl_sink *sk);

/* The spool's backlog: see sl_spool_stats(). */
int sl_sink_backlog(struct sl_sink *sk, unsigned long *files,
		    uint64_t *bytes);

#endif /* SL_SINK_H */
