/* sink.c - where records go: Kafka, the spool, or (benchmarks) nowhere */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "fault.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "sink.h"
#include "spool.h"
#include "spoolline.h"

#define NO_KEY SIZE_MAX

struct sl_sink {
	const struct sl_config *cfg;
	enum sl_sink_mode mode;
	struct sl_spool *spool;
	struct sl_kafka *kafka;		/* NULL: records go to the spool */
};

/* A record of the batch; every field an offset into the batch's store,
 * which may move while it grows. */
struct sl_pending {
	size_t topic, key;
	const char *hname[SL_MAX_HEADERS];	/* static: not copied */
	size_t hvalue[SL_MAX_HEADERS];
	size_t nheaders;
	size_t value, value_len;
};

struct sl_sink *sl_sink_open(const struct sl_config *cfg,
			     enum sl_sink_mode mode, char *err, size_t errlen)
{
	struct sl_sink *sk = calloc(1, sizeof(*sk));
	int rc;

	if (!sk) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sk->cfg = cfg;
	sk->mode = mode;
	rc = sl_spool_open(cfg->spool_dir, cfg->spool_rotate_bytes,
			   cfg->spool_fsync_ms, &sk->spool);
	if (rc) {
		snprintf(err, errlen, "cannot use spool directory %s: %s",
			 cfg->spool_dir, strerror(-rc));
		free(sk);
		return NULL;
	}
	sl_spool_set_watermark(sk->spool, cfg->spool_max_bytes,
			       cfg->spool_min_free);
	if (mode == SL_SINK_STORE && cfg->kafka_brokers &&
	    *cfg->kafka_brokers && cfg->ack != SL_ACK_SPOOL) {
		sk->kafka = sl_kafka_new(cfg, sk->spool, err, errlen);
		if (!sk->kafka) {
			sl_spool_close(sk->spool);
			free(sk);
			return NULL;
		}
	}
	return sk;
}

void sl_sink_close(struct sl_sink *sk)
{
	unsigned int spooled;

	if (!sk)
		return;
	if (sk->kafka) {
		spooled = sl_kafka_close(sk->kafka,
					 (int)sk->cfg->shutdown_flush_ms);
		if (spooled)
			sl_log(SL_LOG_WARN, NULL, "kafka",
			       "%u record(s) not delivered by shutdown: spooled",
			       spooled);
	}
	sl_spool_close(sk->spool);
	free(sk);
}

/* Append s with its NUL to the store; its offset in *at. */
static int stash(struct sl_buf *store, const char *s, size_t *at)
{
	*at = store->len;
	return sl_buf_append(store, s, strlen(s) + 1);
}

/* Room for one more pending record, its value to start at the end of
 * the store; NULL without memory. */
static struct sl_pending *next_pending(struct sl_batch *b)
{
	struct sl_pending *p;

	if (sl_fault(SL_FAULT_BATCH_ADD))
		return NULL;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;

		p = realloc(b->recs, cap * sizeof(*p));
		if (!p)
			return NULL;
		b->recs = p;
		b->cap = cap;
	}
	p = &b->recs[b->n];
	p->value = b->store.len;
	return p;
}

/*
 * The value of rec was encoded into the store from offset p->value on,
 * with result rc: end it with a NUL (as a struct sl_buf's data is), copy
 * rec's strings after it and count the record, or on failure take back
 * all it wrote.
 */
static int finish(struct sl_batch *b, struct sl_pending *p,
		  const struct sl_record *rec, int rc, bool bad)
{
	size_t i;

	if (rc)
		goto out_undo;
	p->value_len = b->store.len - p->value;
	p->key = NO_KEY;
	p->nheaders = rec->nheaders;
	if (sl_buf_append(&b->store, "", 1) ||
	    stash(&b->store, rec->topic, &p->topic) ||
	    (rec->key && stash(&b->store, rec->key, &p->key)))
		goto out_undo;
	for (i = 0; i < rec->nheaders; i++)
		if (stash(&b->store, rec->headers[i].value, &p->hvalue[i]))
			goto out_undo;
		else
			p->hname[i] = rec->headers[i].name;
	b->n++;
	if (bad)
		b->rejected++;
	else
		b->events++;
	return 0;

out_undo:
	b->store.len = p->value;
	return -ENOMEM;
}

int sl_batch_add_event(struct sl_batch *b, const struct sl_event *ev,
		       const struct sl_enrichment *en, const char *topic)
{
	struct sl_pending *p = next_pending(b);
	struct sl_record rec;

	return p ? finish(b, p, &rec, sl_record_encode(&rec, ev, en, topic,
						       &b->store), false) :
		   -ENOMEM;
}

int sl_batch_add_rejection(struct sl_batch *b, const struct sl_rejection *rj,
			   const struct sl_enrichment *en, const char *topic)
{
	struct sl_pending *p = next_pending(b);
	struct sl_record rec;

	return p ? finish(b, p, &rec, sl_record_encode_bad(&rec, rj, en, topic,
							   &b->store), true) :
		   -ENOMEM;
}

void sl_batch_abort(struct sl_batch *b)
{
	b->n = 0;
	b->events = b->rejected = 0;
	sl_buf_reset(&b->store);
}

void sl_batch_release(struct sl_batch *b)
{
	free(b->recs);
	sl_buf_release(&b->store);
	memset(b, 0, sizeof(*b));
}

/* The pending record p as a record whose strings point into the store. */
static void view(const struct sl_batch *b, const struct sl_pending *p,
		 struct sl_record *rec)
{
	const char *s = b->store.data;
	size_t i;

	memset(rec, 0, sizeof(*rec));
	rec->topic = s + p->topic;
	rec->key = p->key == NO_KEY ? NULL : s + p->key;
	for (i = 0; i < p->nheaders; i++) {
		rec->headers[i].name = p->hname[i];
		rec->headers[i].value = s + p->hvalue[i];
	}
	rec->nheaders = p->nheaders;
	/* Borrowed (cap 0): never released. */
	rec->value.data = (char *)s + p->value;
	rec->value.len = p->value_len;
}

/* Say, at most every 10 s per process, that Kafka is not taking
 * records and they go to the spool instead. */
static void note_spooled(const char *id, const char *route, int rc)
{
	static int64_t last_ms;
	static unsigned long since;
	int64_t now = sl_now_ms();

	since++;
	if (last_ms && now - last_ms < 10000)
		return;
	sl_log(SL_LOG_WARN, id, route,
	       "Kafka did not take %lu record(s) (%s): spooled for the relay",
	       since, rc == -ENOBUFS ? "its queue is full, kafka.queue_max_messages" :
	       rc == -EHOSTDOWN ? "brokers are down" : strerror(-rc));
	last_ms = now;
	since = 0;
}

/* Produce what Kafka takes; the lines of the rest go to lines. */
static int produce(struct sl_sink *sk, const struct sl_batch *b,
		   struct sl_buf *lines, const char *id, const char *route)
{
	struct sl_kafka_wait w = { 0 };
	bool wait = sk->kafka && sk->cfg->ack == SL_ACK_KAFKA;
	unsigned int late, kept = 0;
	struct sl_record rec;
	size_t i;
	int rc = 0, prc;

	for (i = 0; i < b->n && !rc; i++) {
		view(b, &b->recs[i], &rec);
		prc = sk->kafka ? sl_kafka_produce(sk->kafka, &rec,
						   wait ? &w : NULL) :
		      -ENOENT;
		if (sk->kafka && prc)
			note_spooled(id, route, prc);
		if (prc)
			rc = sl_record_to_line(&rec, lines);
	}
	if (wait && w.pending) {
		late = sl_kafka_wait(sk->kafka, &w,
				     (int)sk->cfg->delivery_wait_ms, lines,
				     &kept);
		if (late)
			sl_log(SL_LOG_WARN, id, route,
			       "%u record(s) unconfirmed after %u ms: spooled",
			       late, sk->cfg->delivery_wait_ms);
		/* Neither confirmed nor spooled: the client may not be told
		 * they are safe. Their reports spool them if they fail. */
		if (kept) {
			sl_log(SL_LOG_ERROR, id, route,
			       "%u record(s) unconfirmed after %u ms and out of memory for their spool lines: left to librdkafka, whose reports spool them if they fail",
			       kept, sk->cfg->delivery_wait_ms);
			return -ENOMEM;
		}
	}
	if (rc)
		sl_log(SL_LOG_ERROR, id, route,
		       "cannot write a spool line: %s", strerror(-rc));
	return rc;
}

int sl_sink_commit(struct sl_sink *sk, struct sl_batch *b, const char *id,
		   const char *route)
{
	struct sl_buf lines = { 0 };
	int rc = 0, arc;

	if (!b->n)
		return 0;
	if (sk->mode != SL_SINK_NULL)
		rc = produce(sk, b, &lines, id, route);
	/* Whatever has a line goes to the spool, even after a failure:
	 * those records are in no one else's hands. */
	if (lines.len &&
	    (sk->mode == SL_SINK_STORE || sk->mode == SL_SINK_SPOOL)) {
		arc = sl_spool_append(sk->spool, lines.data, lines.len);
		if (arc)
			rc = arc;	/* counted by the spool */
	}
	if (rc) {
		sl_log(SL_LOG_ERROR, id, route,
		       "cannot store %u event(s) and %u rejection(s) in spool %s: %s",
		       b->events, b->rejected, sk->cfg->spool_dir,
		       strerror(-rc));
	} else {
		sl_metrics_add(SL_M_ACCEPTED, b->events);
		sl_metrics_add(SL_M_REJECTED, b->rejected);
	}
	sl_buf_release(&lines);
	sl_batch_abort(b);
	return rc;
}

bool sl_sink_full(struct sl_sink *sk)
{
	return sl_spool_is_full(sk->spool);
}

const char *sl_sink_kafka_state(struct sl_sink *sk)
{
	if (!sk->kafka)
		return "none";
	return sl_kafka_brokers_down(sk->kafka) ? "down" : "up";
}

int sl_sink_backlog(struct sl_sink *sk, unsigned long *files,
		    uint64_t *bytes)
{
	return sl_spool_stats(sk->spool, files, bytes);
}
