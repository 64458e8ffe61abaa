/* kafka.h - the Kafka sink: one librdkafka producer per process
 *
 * Every record is produced with a copy of itself attached. Whatever Kafka
 * does not confirm - a failed or timed-out delivery, a full queue, a
 * purge at shutdown, all brokers down - is written as a spool line then
 * and appended to the spool instead,
 * so a record is in Kafka or in the spool, never nowhere. Delivery reports
 * are served by librdkafka's background thread, also while the process
 * sits idle in accept().
 */
#ifndef SL_KAFKA_H
#define SL_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "record.h"
#include "spool.h"

struct sl_kafka;

/*
 * Records one caller waits for (ack = kafka, the relay). Zero it before
 * the first produce; it must stay put until sl_kafka_wait() returns.
 */
struct sl_kafka_wait {
	struct sl_kafka_msg *pending;	/* not yet reported */
	unsigned int delivered;
	unsigned int failed;		/* reported failed (now spooled) */
};

/*
 * Start a producer for cfg's brokers. Failed records go to sp, which must
 * outlive the producer. Returns NULL with a reason in err (a librdkafka
 * property that is refused names its line).
 */
struct sl_kafka *sl_kafka_new(const struct sl_config *cfg,
			      struct sl_spool *sp, char *err, size_t errlen);

/*
 * Check cfg's librdkafka.* lines without starting anything. Returns 0, or
 * -EINVAL with "FILE:LINE: librdkafka.NAME: why" in err.
 */
int sl_kafka_check_config(const struct sl_config *cfg, char *err,
			  size_t errlen);

/*
 * Queue rec (copied) for delivery. With w, the record joins w's pending
 * set. Returns 0 when queued, or a negative errno when it was not
 * (-ENOBUFS queue full, -EHOSTDOWN brokers down, ...): the caller then
 * spools it itself.
 */
int sl_kafka_produce(struct sl_kafka *k, const struct sl_record *rec,
		     struct sl_kafka_wait *w)
	__attribute__((warn_unused_result));

/*
 * Wait until every record of w is reported or timeout_ms passes. Lines of
 * records still unreported at the deadline are appended to spill (to be
 * spooled by the caller); their later reports then only free them. A
 * record whose line cannot be written (out of memory) is counted in
 * *kept and left to librdkafka: its report spools it if it fails.
 * Either way w is empty afterwards. Returns the number spilled.
 */
unsigned int sl_kafka_wait(struct sl_kafka *k, struct sl_kafka_wait *w,
			   int timeout_ms, struct sl_buf *spill,
			   unsigned int *kept);

/* Records whose delivery failed and that the spool would not take either
 * (each was logged at error level). */
unsigned long sl_kafka_lost(struct sl_kafka *k);

/* True while librdkafka reports every broker down. */
int sl_kafka_brokers_down(struct sl_kafka *k);

/*
 * Flush for at most flush_ms, purge what is left (its reports spool it),
 * and destroy the producer. Returns how many records went to the spool
 * at shutdown. NULL is allowed.
 */
unsigned int sl_kafka_close(struct sl_kafka *k, int flush_ms);

#endif /* SL_KAFKA_H */
