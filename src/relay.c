/* relay.c - ship the spool to Kafka */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "codec.h"
#include "fault.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "relay.h"
#include "spool.h"
#include "spoolline.h"

struct relay {
	const struct sl_config *cfg;
	struct sl_spool *sp;
	struct sl_kafka *k;
	unsigned long records;		/* produced and confirmed */
	unsigned long respooled;	/* failed, back in the spool */
	unsigned long unparsed;		/* lines that were not records */
	int status;			/* 1 once anything could not ship */
};

/* "%s/%s" into out; false when it does not fit. */
static bool join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n > 0 && (size_t)n < size;
}

static int read_file(const char *path, struct sl_buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (sl_buf_append(out, chunk, (size_t)n)) {
			n = -1;
			errno = ENOMEM;
			break;
		}
	if (n < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

/* The spool-*.jsonl name inside a claimed relay-PID-spool-*.jsonl. */
static const char *unclaimed(const char *name)
{
	const char *p = strchr(name, '-');

	p = p ? strchr(p + 1, '-') : NULL;
	return p ? p + 1 : name;
}

/*
 * The lines of a claimed file that are not records go, alone, to
 * bad-<spool name> for a human; everything else in the file was shipped or
 * put back in the spool, so the file itself goes. When they cannot be
 * written, or lines is NULL (they did not fit in memory), the whole file
 * is kept under that name.
 */
static void put_aside(struct relay *r, const char *path, const char *name,
		      const struct sl_buf *lines, unsigned int n)
{
	char bad[NAME_MAX + 1], kept[PATH_MAX];
	int rc = -ENAMETOOLONG;

	if (snprintf(bad, sizeof(bad), "bad-%s", unclaimed(name)) <
	    (int)sizeof(bad)) {
		rc = lines ? sl_spool_put_aside(r->sp, bad, lines->data,
						lines->len) : -ENOMEM;
		if (!rc) {
			unlink(path);
			sl_log(SL_LOG_WARN, NULL, "relay",
			       "%u line(s) of %s are not records; kept alone in %s/%s",
			       n, path, r->cfg->spool_dir, bad);
			return;
		}
		if (join(kept, sizeof(kept), r->cfg->spool_dir, bad) &&
		    rename(path, kept) == 0) {
			sl_log(SL_LOG_WARN, NULL, "relay",
			       "%u line(s) of %s are not records, and cannot be set apart (%s): the whole file is kept as %s",
			       n, path, strerror(-rc), kept);
			return;
		}
	}
	sl_log(SL_LOG_ERROR, NULL, "relay",
	       "%u line(s) of %s are not records, and the file cannot be set aside: it stays as it is",
	       n, path);
}

/* Keep a line Kafka did not take, for the spool. Returns 0 or -ENOMEM
 * (spill as it was). */
static int keep_line(struct sl_buf *spill, const char *line, size_t len)
{
	size_t mark = spill->len;

	if (!sl_fault(SL_FAULT_RELAY_SPILL) && !sl_buf_append(spill, line, len) &&
	    !sl_buf_append(spill, "\n", 1))
		return 0;
	spill->len = mark;
	return -ENOMEM;
}

/* Produce every line of a claimed file; delete it when all is safe. */
static void ship(struct relay *r, const char *path, const char *name)
{
	struct sl_kafka_wait w = { 0 };
	struct sl_buf data = { 0 }, spill = { 0 }, bad = { 0 };
	unsigned long lost = sl_kafka_lost(r->k);
	unsigned int unparsed = 0, produced = 0, spilled, kept, unkept = 0;
	bool bad_whole = true;	/* bad holds every unparsed line */
	char *p, *end, *nl;
	int rc;

	rc = read_file(path, &data);
	if (rc) {
		sl_log(SL_LOG_ERROR, NULL, "relay", "cannot read %s: %s", path,
		       strerror(-rc));
		r->status = 1;
		return;
	}
	p = data.data;
	end = p ? p + data.len : NULL;
	for (; p && p < end; p = nl + 1) {
		struct sl_record rec;
		cJSON *tree;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl == p)
			continue;
		rc = sl_record_from_line(p, (size_t)(nl - p), &tree, &rec);
		if (rc) {
			unparsed++;
			if (sl_buf_append(&bad, p, (size_t)(nl - p)) ||
			    sl_buf_append(&bad, "\n", 1))
				bad_whole = false;
		} else {
			while ((rc = sl_kafka_produce(r->k, &rec, &w)) ==
			       -ENOBUFS)
				usleep(10000);	/* queue full: let it drain */
			if (rc && keep_line(&spill, p, (size_t)(nl - p)))
				unkept++;	/* neither queued nor kept */
			else if (!rc)
				produced++;
		}
		sl_record_release(&rec);
		cJSON_Delete(tree);
	}
	spilled = sl_kafka_wait(r->k, &w, (int)r->cfg->kafka_message_timeout_ms +
				5000, &spill, &kept);
	rc = spill.len ? sl_spool_append(r->sp, spill.data, spill.len) : 0;
	if (rc)
		sl_log(SL_LOG_ERROR, NULL, "relay",
		       "cannot put %u unshipped record(s) of %s back in the spool: %s",
		       spilled, path, strerror(-rc));
	r->records += w.delivered;
	sl_metrics_add(SL_M_RELAYED, w.delivered);
	r->respooled += w.failed + spilled;
	r->unparsed += unparsed;
	lost = sl_kafka_lost(r->k) - lost;
	if (rc || lost || unkept || kept) {
		/* The file still holds them: ship it again next time (a
		 * later relay takes the claim back once this one is gone). */
		r->status = 1;
		sl_log(SL_LOG_ERROR, NULL, "relay",
		       "keeping %s: not every record is in Kafka or back in the spool (%lu failed and not spooled, %u not produced and out of memory to keep, %u unconfirmed and out of memory for their lines)",
		       path, lost, unkept, kept);
	} else if (unparsed) {
		r->status = 1;
		put_aside(r, path, name, bad_whole ? &bad : NULL, unparsed);
	} else {
		unlink(path);
	}
	fprintf(stderr, "relay: %s: %u record(s) produced, %u delivered, %u back in the spool, %u unparsable\n",
		name, produced, w.delivered, w.failed + spilled, unparsed);
	sl_buf_release(&data);
	sl_buf_release(&spill);
	sl_buf_release(&bad);
}

/* A claim left by a relay that is gone goes back to spool-*. */
static void recover(struct relay *r, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX], rest[NAME_MAX + 1];
	long pid;

	if (sscanf(name, "relay-%ld-%255s", &pid, rest) != 2)
		return;
	if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return;
	if (join(from, sizeof(from), r->cfg->spool_dir, name) &&
	    join(to, sizeof(to), r->cfg->spool_dir, rest) &&
	    rename(from, to) == 0)
		fprintf(stderr, "relay: took back %s from relay %ld, which is gone\n",
			rest, pid);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One pass over the directory: recover, then claim and ship each closed
 * file, oldest first. */
static void pass(struct relay *r)
{
	char **names = NULL, from[PATH_MAX], to[PATH_MAX], claimed[NAME_MAX + 1];
	size_t n = 0, i;
	struct dirent *de;
	DIR *dir = opendir(r->cfg->spool_dir);

	if (!dir) {
		sl_log(SL_LOG_ERROR, NULL, "relay", "cannot open %s: %s",
		       r->cfg->spool_dir, strerror(errno));
		r->status = 1;
		return;
	}
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "relay-", 6))
			recover(r, de->d_name);
	rewinddir(dir);
	while ((de = readdir(dir))) {
		char **grown;

		if (strncmp(de->d_name, "spool-", 6))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(de->d_name))) {
			names = grown ? grown : names;
			break;
		}
		names = grown;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		snprintf(claimed, sizeof(claimed), "relay-%ld-%s",
			 (long)getpid(), names[i]);
		if (join(from, sizeof(from), r->cfg->spool_dir, names[i]) &&
		    join(to, sizeof(to), r->cfg->spool_dir, claimed) &&
		    rename(from, to) == 0)
			ship(r, to, claimed);
		free(names[i]);
	}
	free(names);
}

int sl_relay_run(const struct sl_config *cfg, bool once,
		 volatile sig_atomic_t *stop)
{
	struct relay r = { .cfg = cfg };
	char err[512];
	int rc, ino = -1;

	if (!cfg->kafka_brokers || !*cfg->kafka_brokers) {
		fprintf(stderr, "relay: kafka.brokers is not set in %s: nothing to ship to\n",
			cfg->path);
		return SL_RELAY_NO_BROKERS;
	}
	rc = sl_spool_open(cfg->spool_dir, cfg->spool_rotate_bytes,
			   cfg->spool_fsync_ms, &r.sp);
	if (rc) {
		fprintf(stderr, "relay: cannot use spool directory %s: %s\n",
			cfg->spool_dir, strerror(-rc));
		return 1;
	}
	if (sl_metrics_open(cfg->spool_dir))
		fprintf(stderr, "relay: no shared counters in %s: relayed records are not counted\n",
			cfg->spool_dir);
	r.k = sl_kafka_new(cfg, r.sp, err, sizeof(err));
	if (!r.k) {
		fprintf(stderr, "relay: %s\n", err);
		sl_spool_close(r.sp);
		return 1;
	}
	if (!once) {
		ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ino < 0 || inotify_add_watch(ino, cfg->spool_dir,
						 IN_MODIFY | IN_CLOSE_WRITE |
						 IN_MOVED_TO | IN_CREATE) < 0) {
			fprintf(stderr, "relay: cannot watch %s: %s\n",
				cfg->spool_dir, strerror(errno));
			r.status = 1;
			once = true;
		}
	}
	do {
		struct pollfd pfd = { .fd = ino, .events = POLLIN };
		unsigned long delivered = r.records, respooled = r.respooled;
		char events[4096];

		sl_spool_seal(r.sp);
		pass(&r);
		if (once || *stop)
			break;
		/* Nothing got through (brokers down?): what failed is back in
		 * the spool, so do not spin on it. */
		if (r.records == delivered && r.respooled != respooled)
			sleep(1);
		/* Sleep until the spool changes (or a second passes, to take
		 * back claims of relays that died meanwhile), then let a
		 * burst of appends settle for a moment. */
		if (poll(&pfd, 1, 1000) > 0) {
			while (read(ino, events, sizeof(events)) > 0)
				;
			usleep(20000);
		}
	} while (!*stop);
	if (ino >= 0)
		close(ino);
	if (sl_kafka_close(r.k, (int)cfg->shutdown_flush_ms))
		r.status = 1;
	sl_spool_close(r.sp);
	sl_metrics_close();
	fprintf(stderr, "relay: done: %lu record(s) delivered, %lu back in the spool, %lu unparsable line(s)\n",
		r.records, r.respooled, r.unparsed);
	return r.status;
}
