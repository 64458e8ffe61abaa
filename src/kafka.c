/* kafka.c - the Kafka sink: one librdkafka producer per process */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "enrich.h"
#include "fault.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "spoolline.h"

/* While every broker is down, let one record through per this many ms to
 * find out whether they are back; the others go straight to the spool. */
#define PROBE_INTERVAL_MS 1000

/* The heap is handed back after a burst (see give_back()) or once no
 * record was reported for this long after at least TRIM_BYTES were. */
#define QUIET_MS 1000
#define TRIM_BYTES (1024 * 1024)

/*
 * One produced record, the opaque of its librdkafka message: a copy of
 * the record in one allocation, whose value librdkafka sends without a
 * copy of its own. Its spool line is written only if Kafka does not take
 * it, so a delivered record never pays for one.
 */
struct sl_kafka_msg {
	struct sl_kafka_msg *next, *prev;	/* in w->pending */
	struct sl_kafka_wait *w;		/* NULL: nobody waits */
	int spilled;				/* the waiter spooled it */
	struct sl_record rec;			/* strings and value in store */
	char store[];
};

struct sl_kafka {
	rd_kafka_t *rk;
	rd_kafka_queue_t *bg;
	struct sl_spool *sp;
	pthread_mutex_t lock;
	pthread_cond_t cond;			/* a report arrived */
	int64_t down_since;	/* ms; 0 while brokers are up (atomic: read
				 * without the lock on every record) */
	int64_t last_probe;			/* ms */
	/* Bytes of records produced and not yet reported, the most there
	 * were since give_back() trimmed, and those reported since
	 * quiet_trim() did (all atomic). */
	size_t held, held_peak, released;
	pthread_t quiet;			/* runs quiet_trim() */
	pthread_cond_t stop;			/* sl_kafka_close() asks it */
	int stopping, has_quiet;
	unsigned long spooled;			/* records sent to the spool */
	unsigned long lost;			/* failed and not spooled */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void unlink_msg(struct sl_kafka_msg *msg)
{
	if (!msg->w)
		return;
	if (msg->prev)
		msg->prev->next = msg->next;
	else
		msg->w->pending = msg->next;
	if (msg->next)
		msg->next->prev = msg->prev;
	msg->w = NULL;
}

/* The bytes a record holds on the heap until its report. */
static size_t msg_bytes(const struct sl_kafka_msg *msg)
{
	return sizeof(*msg) + msg->rec.value.len;
}

/* n more bytes in flight; the peak follows. */
static void hold(struct sl_kafka *k, size_t n)
{
	size_t now = __atomic_add_fetch(&k->held, n, __ATOMIC_RELAXED);
	size_t peak = __atomic_load_n(&k->held_peak, __ATOMIC_RELAXED);

	while (now > peak &&
	       !__atomic_compare_exchange_n(&k->held_peak, &peak, now, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Hand the heap's free pages back to the system. */
static void trim(void)
{
#ifdef M_MMAP_THRESHOLD
	malloc_trim(0);
#endif
}

/*
 * Records in flight live on the heap until their reports, and after a
 * burst glibc keeps the heap's high-water mark resident (measured: 7.8 MB
 * at rest, 17 MB after a saturating run, for good). Once nothing is in
 * flight after at least TRIM_BYTES were at once, hand the free pages back.
 * Only then: a steady load holds a few dozen records at a time and
 * leaves nothing to give back, and malloc_trim() there cost the
 * background thread up to milliseconds a call (and the other threads the
 * page faults of touching the returned pages again) several times a
 * second (measured 2026-12-02: 33 calls in 5 s of GET /pixel at 2
 * processes, 90 ms in all).
 */
static void give_back(struct sl_kafka *k)
{
	if (__atomic_load_n(&k->held, __ATOMIC_RELAXED) == 0 &&
	    __atomic_load_n(&k->held_peak, __ATOMIC_RELAXED) >= TRIM_BYTES) {
		__atomic_store_n(&k->held_peak, 0, __ATOMIC_RELAXED);
		trim();
	}
}

/*
 * A load's end is not a burst: each arena keeps up to the trim threshold
 * free (see sl_kafka_new()) and the peak may never have reached
 * TRIM_BYTES. This thread hands the heap back once a load is over: when
 * a whole QUIET_MS passed without a report, nothing is in flight and at
 * least TRIM_BYTES were reported since it last did. A steady load
 * reports all the time, so it never trims under one.
 */
static void *quiet_trim(void *arg)
{
	struct sl_kafka *k = arg;
	struct timespec at;
	size_t seen = 0, now;

	pthread_mutex_lock(&k->lock);
	while (!k->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += QUIET_MS / 1000;
		if (pthread_cond_timedwait(&k->stop, &k->lock, &at) != ETIMEDOUT)
			continue;
		now = __atomic_load_n(&k->released, __ATOMIC_RELAXED);
		if (now == seen && now >= TRIM_BYTES &&
		    !__atomic_load_n(&k->held, __ATOMIC_RELAXED)) {
			__atomic_sub_fetch(&k->released, now, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&k->lock);
			trim();
			pthread_mutex_lock(&k->lock);
			now = __atomic_load_n(&k->released, __ATOMIC_RELAXED);
		}
		seen = now;
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* Delivery reports, on librdkafka's background thread. */
static void on_reports(struct sl_kafka *k, rd_kafka_event_t *ev)
{
	const rd_kafka_message_t *m;
	struct sl_buf spill = { 0 };
	rd_kafka_resp_err_t last_err = RD_KAFKA_RESP_ERR_NO_ERROR;
	unsigned int ok = 0, failed = 0, unlined = 0;
	size_t freed = 0;
	int rc = 0;

	pthread_mutex_lock(&k->lock);
	while ((m = rd_kafka_event_message_next(ev))) {
		struct sl_kafka_msg *msg = m->_private;

		if (!msg)
			continue;
		if (m->err) {
			last_err = m->err;
			if (msg->spilled)
				;	/* its waiter spooled it */
			else if (sl_record_to_line(&msg->rec, &spill))
				unlined++;
			else
				failed++;
			if (msg->w)
				msg->w->failed++;
		} else {
			ok++;
			if (msg->w)
				msg->w->delivered++;
		}
		unlink_msg(msg);
		freed += msg_bytes(msg);
		free(msg);
	}
	__atomic_sub_fetch(&k->held, freed, __ATOMIC_RELAXED);
	__atomic_add_fetch(&k->released, freed, __ATOMIC_RELAXED);
	if (ok)
		__atomic_store_n(&k->down_since, 0, __ATOMIC_RELAXED);
	if (spill.len)
		rc = sl_spool_append(k->sp, spill.data, spill.len);
	sl_metrics_add(SL_M_DELIVERY_ERRORS, failed + unlined);
	if (rc) {
		k->lost += failed;
	} else {
		k->spooled += failed;
	}
	k->lost += unlined;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	sl_buf_release(&spill);
	give_back(k);
	if (failed && !rc)
		sl_log(SL_LOG_WARN, NULL, "kafka",
		       "%u record(s) not delivered (%s): spooled", failed,
		       rd_kafka_err2str(last_err));
	else if (failed)
		sl_log(SL_LOG_ERROR, NULL, "kafka",
		       "%u record(s) not delivered (%s) and not spooled: %s",
		       failed, rd_kafka_err2str(last_err), strerror(-rc));
	if (unlined)
		sl_log(SL_LOG_ERROR, NULL, "kafka",
		       "%u record(s) not delivered (%s) and lost: out of memory for their spool lines",
		       unlined, rd_kafka_err2str(last_err));
}

static void on_event(rd_kafka_t *rk, rd_kafka_event_t *ev, void *opaque)
{
	struct sl_kafka *k = opaque;
	rd_kafka_resp_err_t err;

	(void)rk;
	switch (rd_kafka_event_type(ev)) {
	case RD_KAFKA_EVENT_DR:
		on_reports(k, ev);
		break;
	case RD_KAFKA_EVENT_ERROR:
		err = rd_kafka_event_error(ev);
		if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
			pthread_mutex_lock(&k->lock);
			if (!k->down_since)
				__atomic_store_n(&k->down_since, mono_ms(),
						 __ATOMIC_RELAXED);
			pthread_mutex_unlock(&k->lock);
		}
		sl_log(rd_kafka_event_error_is_fatal(ev) ? SL_LOG_ERROR :
		       SL_LOG_WARN, NULL, "kafka", "%s",
		       rd_kafka_event_error_string(ev));
		break;
	default:
		break;
	}
	rd_kafka_event_destroy(ev);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	(void)rk;
	sl_log(level <= 3 ? SL_LOG_ERROR : level == 4 ? SL_LOG_WARN :
	       level <= 6 ? SL_LOG_INFO : SL_LOG_DEBUG, NULL, "kafka",
	       "%s: %s", fac, buf);
}

/* Set one property; on failure write "where: why" to err. */
static int set(rd_kafka_conf_t *conf, const char *name, const char *value,
	       const struct sl_config *cfg, unsigned int lineno, char *err,
	       size_t errlen)
{
	char why[256];

	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	if (lineno)
		snprintf(err, errlen, "%s:%u: librdkafka.%s: %s", cfg->path,
			 lineno, name, why);
	else
		snprintf(err, errlen, "kafka: %s = %s: %s", name, value, why);
	return -EINVAL;
}

/* Sluice's defaults, then the configuration's own lines over them. */
static rd_kafka_conf_t *make_conf(const struct sl_config *cfg, char *err,
				  size_t errlen)
{
	const struct sl_kafka_prop *p;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char n[32];
	int rc = 0;

	rc |= set(conf, "bootstrap.servers",
		  cfg->kafka_brokers ? cfg->kafka_brokers : "", cfg, 0, err, errlen);
	rc |= set(conf, "enable.idempotence", "true", cfg, 0, err, errlen);
	rc |= set(conf, "acks", "all", cfg, 0, err, errlen);
	rc |= set(conf, "compression.codec", cfg->kafka_compression, cfg, 0,
		  err, errlen);
	/* With ack = kafka every request waits for its records, and a
	 * process serves one request at a time: lingering would only add
	 * latency. Otherwise let records batch for a moment. */
	rc |= set(conf, "linger.ms", cfg->ack == SL_ACK_KAFKA ? "0" : "5", cfg,
		  0, err, errlen);
	snprintf(n, sizeof(n), "%u", cfg->kafka_message_timeout_ms);
	rc |= set(conf, "message.timeout.ms", n, cfg, 0, err, errlen);
	snprintf(n, sizeof(n), "%u", cfg->kafka_queue_max_messages);
	rc |= set(conf, "queue.buffering.max.messages", n, cfg, 0, err, errlen);
	rc |= set(conf, "queue.buffering.max.kbytes", "65536", cfg, 0, err,
		  errlen);
	for (p = cfg->kafka_props; p && !rc; p = p->next)
		rc = set(conf, p->name, p->value, cfg, p->lineno, err, errlen);
	if (rc) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

int sl_kafka_check_config(const struct sl_config *cfg, char *err,
			  size_t errlen)
{
	rd_kafka_conf_t *conf = make_conf(cfg, err, errlen);

	if (!conf)
		return -EINVAL;
	rd_kafka_conf_destroy(conf);
	return 0;
}

struct sl_kafka *sl_kafka_new(const struct sl_config *cfg,
			      struct sl_spool *sp, char *err, size_t errlen)
{
	struct sl_kafka *k = calloc(1, sizeof(*k));
	rd_kafka_queue_t *mainq;
	pthread_condattr_t ca;
	sigset_t all, old;
	rd_kafka_conf_t *conf;
	char why[512];

	if (!k) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
#ifdef M_MMAP_THRESHOLD
	/* librdkafka allocates and frees a buffer the size of a batch for
	 * each compressed produce request. glibc's sliding mmap threshold
	 * would move such blocks onto the heap after the first free, where
	 * they pin pages; a fixed threshold maps and unmaps them.
	 *
	 * Fixing it also pins the trim threshold at glibc's 128 KiB. The
	 * broker threads free a batch's buffers at once, so nearly every
	 * batch left more than that free at the top of their arena: glibc
	 * handed it back with madvise() (a TLB flush on every core) and the
	 * next batch faulted the pages in again. That was most of the
	 * broker threads' time (measured 2026-12-02, POST /collect with 10
	 * events at 2 processes: 86 µs a request, 23 µs with 1 MiB). Keep
	 * up to 1 MiB free per arena; give_back() and quiet_trim() return
	 * it after a burst and after a load. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
#endif
	k->sp = sp;
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cond, &ca);
	pthread_cond_init(&k->stop, &ca);
	pthread_condattr_destroy(&ca);
	conf = make_conf(cfg, err, errlen);
	if (!conf)
		goto out_free;
	rd_kafka_conf_set_opaque(conf, k);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
	rd_kafka_conf_set_background_event_cb(conf, on_event);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (!k->rk) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "cannot start the Kafka producer: %s", why);
		goto out_free;
	}
	/* Reports and errors are served on the background thread, so a
	 * process idle in accept() still spools failed deliveries. */
	k->bg = rd_kafka_queue_get_background(k->rk);
	mainq = rd_kafka_queue_get_main(k->rk);
	rd_kafka_queue_forward(mainq, k->bg);
	rd_kafka_queue_destroy(mainq);
	/* Signals stay the main thread's (SIGTERM ends the FastCGI loop),
	 * as librdkafka keeps them from its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	k->has_quiet = !pthread_create(&k->quiet, NULL, quiet_trim, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (k->has_quiet)
		pthread_setname_np(k->quiet, "sluice:trim");
	else
		sl_log(SL_LOG_WARN, NULL, "kafka",
		       "cannot start the thread that hands memory back after a load: the heap keeps its peak");
	return k;

out_free:
	pthread_cond_destroy(&k->stop);
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
	free(k);
	return NULL;
}

unsigned long sl_kafka_lost(struct sl_kafka *k)
{
	unsigned long n;

	pthread_mutex_lock(&k->lock);
	n = k->lost;
	pthread_mutex_unlock(&k->lock);
	return n;
}

int sl_kafka_brokers_down(struct sl_kafka *k)
{
	int down;

	pthread_mutex_lock(&k->lock);
	down = k->down_since != 0;
	pthread_mutex_unlock(&k->lock);
	return down;
}

/* False when brokers are down and this is not the moment for a probe. */
static int may_produce(struct sl_kafka *k)
{
	int64_t now;
	int ok = 1;

	/* Up, the usual case: no lock. A read that misses a fresh outage
	 * lets a record through to librdkafka, whose report spools it. */
	if (!__atomic_load_n(&k->down_since, __ATOMIC_RELAXED))
		return 1;
	pthread_mutex_lock(&k->lock);
	if (k->down_since) {
		now = mono_ms();
		if (now - k->last_probe < PROBE_INTERVAL_MS)
			ok = 0;
		else
			k->last_probe = now;
	}
	pthread_mutex_unlock(&k->lock);
	return ok;
}

/* Copy s, NUL included, to *p and move *p past it. */
static const char *stash(char **p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = *p;

	memcpy(copy, s, n);
	*p += n;
	return copy;
}

/* rec, copied into one allocation that owns all of it. */
static struct sl_kafka_msg *msg_new(const struct sl_record *rec)
{
	struct sl_kafka_msg *msg;
	size_t need = rec->value.len + 1 + strlen(rec->topic) + 1, i;
	char *p;

	if (rec->key)
		need += strlen(rec->key) + 1;
	for (i = 0; i < rec->nheaders; i++)
		need += strlen(rec->headers[i].name) + 1 +
			strlen(rec->headers[i].value) + 1;
	msg = malloc(sizeof(*msg) + need);
	if (!msg)
		return NULL;
	memset(msg, 0, sizeof(*msg));
	p = msg->store;
	msg->rec.topic = stash(&p, rec->topic);
	msg->rec.key = rec->key ? stash(&p, rec->key) : NULL;
	for (i = 0; i < rec->nheaders; i++) {
		msg->rec.headers[i].name = stash(&p, rec->headers[i].name);
		msg->rec.headers[i].value = stash(&p, rec->headers[i].value);
	}
	msg->rec.nheaders = rec->nheaders;
	if (rec->value.len)
		memcpy(p, rec->value.data, rec->value.len);
	p[rec->value.len] = '\0';
	/* Borrowed from store: cap 0, never released. */
	msg->rec.value.data = p;
	msg->rec.value.len = rec->value.len;
	return msg;
}

int sl_kafka_produce(struct sl_kafka *k, const struct sl_record *rec,
		     struct sl_kafka_wait *w)
{
	struct sl_kafka_msg *msg;
	rd_kafka_headers_t *hdrs;
	rd_kafka_resp_err_t err;
	size_t i;

	if (sl_fault(SL_FAULT_PRODUCE))
		return -EIO;
	if (!may_produce(k))
		return -EHOSTDOWN;
	msg = msg_new(rec);
	if (!msg)
		return -ENOMEM;
	rec = &msg->rec;
	hdrs = rd_kafka_headers_new(rec->nheaders);
	for (i = 0; i < rec->nheaders; i++)
		rd_kafka_header_add(hdrs, rec->headers[i].name, -1,
				    rec->headers[i].value, -1);
	if (w) {
		pthread_mutex_lock(&k->lock);
		msg->w = w;
		msg->next = w->pending;
		if (w->pending)
			w->pending->prev = msg;
		w->pending = msg;
		pthread_mutex_unlock(&k->lock);
	}
	hold(k, msg_bytes(msg));
	err = rd_kafka_producev(k->rk, RD_KAFKA_V_TOPIC(rec->topic),
				RD_KAFKA_V_KEY(rec->key,
					       rec->key ? strlen(rec->key) : 0),
				/* No copy: msg owns the value until its report. */
				RD_KAFKA_V_VALUE(rec->value.data, rec->value.len),
				RD_KAFKA_V_MSGFLAGS(0),
				RD_KAFKA_V_HEADERS(hdrs),
				RD_KAFKA_V_OPAQUE(msg), RD_KAFKA_V_END);
	if (!err)
		return 0;
	__atomic_sub_fetch(&k->held, msg_bytes(msg), __ATOMIC_RELAXED);
	rd_kafka_headers_destroy(hdrs);
	pthread_mutex_lock(&k->lock);
	unlink_msg(msg);
	pthread_mutex_unlock(&k->lock);
	free(msg);
	return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -ENOBUFS : -EIO;
}

unsigned int sl_kafka_wait(struct sl_kafka *k, struct sl_kafka_wait *w,
			   int timeout_ms, struct sl_buf *spill,
			   unsigned int *kept)
{
	struct timespec deadline;
	struct sl_kafka_msg *msg;
	unsigned int n = 0;

	*kept = 0;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&k->lock);
	while (w->pending &&
	       pthread_cond_timedwait(&k->cond, &k->lock, &deadline) != ETIMEDOUT)
		;
	while ((msg = w->pending)) {
		/* Without its line, the record stays librdkafka's: its report
		 * spools it if it fails. */
		if (sl_record_to_line(&msg->rec, spill)) {
			(*kept)++;
		} else {
			msg->spilled = 1;
			n++;
		}
		unlink_msg(msg);
	}
	pthread_mutex_unlock(&k->lock);
	return n;
}

unsigned int sl_kafka_close(struct sl_kafka *k, int flush_ms)
{
	unsigned long before;
	int left;

	if (!k)
		return 0;
	pthread_mutex_lock(&k->lock);
	before = k->spooled;
	k->stopping = 1;
	pthread_cond_signal(&k->stop);
	pthread_mutex_unlock(&k->lock);
	if (k->has_quiet)
		pthread_join(k->quiet, NULL);
	rd_kafka_flush(k->rk, flush_ms);
	left = rd_kafka_outq_len(k->rk);
	if (left > 0) {
		/* Their reports (ERR__PURGE_*) spool them. */
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
				      RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(k->rk, 2000);
	}
	rd_kafka_queue_destroy(k->bg);
	rd_kafka_destroy(k->rk);
	pthread_cond_destroy(&k->stop);
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
	before = k->spooled - before;
	free(k);
	return (unsigned int)before;
}
