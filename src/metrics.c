/* metrics.c - counters shared by every process of one deployment */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"

/* HTTP statuses with a slot of their own; the last slot is "other". */
static const int statuses[] = {
	200, 202, 204, 400, 401, 403, 404, 405, 411, 413, 415, 422, 500,
	503, 0,
};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

#define MAGIC 0x534c4d31u	/* "SLM1": layout version 1 */

/* The counters of the first layout, then the request counters, then
 * those added since (appended: an older process maps a prefix of the
 * file, which stays the same). */
#define FIRST_COUNTERS (SL_M_SPOOL_ERRORS + 1)

struct shared {
	uint32_t magic;
	uint32_t pad;
	uint64_t counters[FIRST_COUNTERS];
	uint64_t requests[SL_METRICS_ROUTES][NSTATUS];
	uint64_t later[SL_M_COUNT - FIRST_COUNTERS];
};

static struct shared *shm;

static uint64_t *counter(enum sl_counter c)
{
	return c < FIRST_COUNTERS ? &shm->counters[c] :
	       &shm->later[c - FIRST_COUNTERS];
}


int sl_metrics_open(const char *dir)
{
	char path[4096];
	struct stat st;
	void *p;
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, SL_METRICS_FILE) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* Growing a zero-filled file is safe to race: all zero is empty.
	 * The blocks are allocated, not left sparse: a counter bumped into
	 * a hole on a full disk would be a SIGBUS, not an error. */
	if (fstat(fd, &st))
		rc = -errno;
	else if (st.st_size < (off_t)sizeof(struct shared))
		rc = -posix_fallocate(fd, 0, sizeof(struct shared));
	if (rc) {
		close(fd);
		return rc;
	}
	p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	shm = p;
	if (__atomic_load_n(&shm->magic, __ATOMIC_RELAXED) != MAGIC) {
		uint32_t zero = 0;

		/* A new file (all zero) gets its magic; a file of some other
		 * layout is not ours to count into. */
		if (!__atomic_compare_exchange_n(&shm->magic, &zero, MAGIC, 0,
						 __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED) &&
		    zero != MAGIC) {
			sl_metrics_close();
			return -EPROTO;
		}
	}
	return 0;
}

void sl_metrics_close(void)
{
	if (shm)
		munmap(shm, sizeof(*shm));
	shm = NULL;
}

void sl_metrics_add(enum sl_counter c, uint64_t n)
{
	if (shm && n)
		__atomic_fetch_add(counter(c), n, __ATOMIC_RELAXED);
}

void sl_metrics_request(unsigned int route, int status)
{
	size_t i;

	if (!shm)
		return;
	if (route >= SL_METRICS_ROUTES)
		route = SL_METRICS_ROUTE_NONE;
	for (i = 0; i < NSTATUS - 1 && statuses[i] != status; i++)
		;
	__atomic_fetch_add(&shm->requests[route][i], 1, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

int sl_metrics_render(struct sl_buf *out, const char *const *route_names,
		      unsigned long spool_files, uint64_t spool_bytes)
{
	static const char *const outcomes[] = {
		[SL_M_ACCEPTED] = "accepted", [SL_M_REJECTED] = "rejected",
		[SL_M_SPOOLED] = "spooled", [SL_M_RELAYED] = "relayed",
		[SL_M_DROPPED] = "dropped", [SL_M_BOT] = "bot",
		[SL_M_RATE_LIMITED] = "rate_limited", [SL_M_IGNORED] = "ignored",
	};
	unsigned int r;
	size_t i;
	int rc = 0;

	if (!shm)
		return -ENODEV;
	rc |= sl_buf_puts(out,
		"# HELP sluice_requests_total Requests answered, by route and HTTP status.\n"
		"# TYPE sluice_requests_total counter\n");
	for (r = 0; r < SL_METRICS_ROUTES; r++) {
		const char *name = r == SL_METRICS_ROUTE_NONE ? "none" :
				   route_names[r];

		for (i = 0; name && i < NSTATUS; i++) {
			uint64_t n = get(&shm->requests[r][i]);
			char st[8];

			if (!n)
				continue;
			if (statuses[i])
				snprintf(st, sizeof(st), "%d", statuses[i]);
			else
				strcpy(st, "other");
			rc |= sl_buf_printf(out,
				"sluice_requests_total{route=\"%s\",status=\"%s\"} %" PRIu64 "\n",
				name, st, n);
		}
	}
	rc |= sl_buf_puts(out,
		"# HELP sluice_events_total Events by what became of them.\n"
		"# TYPE sluice_events_total counter\n");
	for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (outcomes[i])
			rc |= sl_buf_printf(out,
				"sluice_events_total{outcome=\"%s\"} %" PRIu64 "\n",
				outcomes[i], get(counter((enum sl_counter)i)));
	rc |= sl_buf_printf(out,
		"# HELP sluice_kafka_delivery_errors_total Records Kafka did not confirm (then spooled).\n"
		"# TYPE sluice_kafka_delivery_errors_total counter\n"
		"sluice_kafka_delivery_errors_total %" PRIu64 "\n"
		"# HELP sluice_spool_errors_total Appends the spool refused (disk full, unwritable).\n"
		"# TYPE sluice_spool_errors_total counter\n"
		"sluice_spool_errors_total %" PRIu64 "\n"
		"# HELP sluice_spool_files Spool files waiting to be shipped.\n"
		"# TYPE sluice_spool_files gauge\n"
		"sluice_spool_files %lu\n"
		"# HELP sluice_spool_bytes Bytes in spool files waiting to be shipped.\n"
		"# TYPE sluice_spool_bytes gauge\n"
		"sluice_spool_bytes %" PRIu64 "\n",
		get(counter(SL_M_DELIVERY_ERRORS)),
		get(counter(SL_M_SPOOL_ERRORS)), spool_files,
		spool_bytes);
	return rc ? -ENOMEM : 0;
}
