/* kafka-none.c - the Kafka sink as sluice.cgi sees it: absent.
 *
 * A CGI process serves one request and never starts a producer (its
 * records go to the spool for `sluice relay`), so it is linked with these
 * stand-ins instead of src/kafka.c: the dynamic loader then has no
 * librdkafka, libssl, libsasl2, liblz4 or libzstd to map for each request.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "kafka.h"

struct sl_kafka *sl_kafka_new(const struct sl_config *cfg,
			      struct sl_spool *sp, char *err, size_t errlen)
{
	(void)cfg;
	(void)sp;
	snprintf(err, errlen, "this program is built without Kafka");
	return NULL;
}

int sl_kafka_check_config(const struct sl_config *cfg, char *err,
			  size_t errlen)
{
	(void)cfg;
	(void)err;
	(void)errlen;
	return 0;
}

int sl_kafka_produce(struct sl_kafka *k, const struct sl_record *rec,
		     struct sl_kafka_wait *w)
{
	(void)k;
	(void)rec;
	(void)w;
	return -ENOTSUP;
}

unsigned int sl_kafka_wait(struct sl_kafka *k, struct sl_kafka_wait *w,
			   int timeout_ms, struct sl_buf *spill,
			   unsigned int *kept)
{
	(void)k;
	(void)w;
	(void)timeout_ms;
	(void)spill;
	*kept = 0;
	return 0;
}

unsigned long sl_kafka_lost(struct sl_kafka *k)
{
	(void)k;
	return 0;
}

int sl_kafka_brokers_down(struct sl_kafka *k)
{
	(void)k;
	return 0;
}

unsigned int sl_kafka_close(struct sl_kafka *k, int flush_ms)
{
	(void)k;
	(void)flush_ms;
	return 0;
}
