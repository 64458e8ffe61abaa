/* ratelimit.c - token buckets shared through an mmap'ed file */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "ratelimit.h"

#define MAGIC 0x534c4c31u	/* "SLL1": layout version 1 */
/* Slots a key may live in, from its hash on. */
#define NEIGHBOURHOOD 8

struct slot {
	uint32_t lock;		/* 0 free, 1 held */
	uint32_t pad;
	uint64_t hash;		/* 0: empty */
	int64_t last_ms;	/* when tokens was last brought up to date */
	double tokens;
	int64_t logged_ms;	/* when being over was last logged */
};

struct table {
	uint32_t magic;
	uint32_t pad;
	struct slot slots[SL_LIMITS_SLOTS];
};

struct sl_limits {
	struct table *t;
};

struct sl_limits *sl_limits_open(const char *dir)
{
	struct sl_limits *l;
	char path[4096];
	struct stat st;
	void *p;
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, SL_LIMITS_FILE) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	/* All zero is an empty table: growing it may race. Allocated, not
	 * sparse, so that a full disk is an error here, not a SIGBUS. */
	if (fstat(fd, &st))
		rc = errno;
	else if (st.st_size < (off_t)sizeof(struct table))
		rc = posix_fallocate(fd, 0, sizeof(struct table));
	if (rc) {
		close(fd);
		errno = rc;
		return NULL;
	}
	p = mmap(NULL, sizeof(struct table), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	l = malloc(sizeof(*l));
	if (!l) {
		munmap(p, sizeof(struct table));
		errno = ENOMEM;
		return NULL;
	}
	l->t = p;
	if (__atomic_load_n(&l->t->magic, __ATOMIC_RELAXED) != MAGIC) {
		uint32_t zero = 0;

		if (!__atomic_compare_exchange_n(&l->t->magic, &zero, MAGIC, 0,
						 __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED) &&
		    zero != MAGIC) {
			sl_limits_close(l);
			errno = EPROTO;
			return NULL;
		}
	}
	return l;
}

void sl_limits_close(struct sl_limits *l)
{
	if (!l)
		return;
	munmap(l->t, sizeof(struct table));
	free(l);
}

/*
 * The lock is held for a few instructions and no system call, so a
 * holder is only ever preempted, never blocked; one that died holding it
 * (killed between two instructions) is taken over after a long wait.
 */
static void lock(struct slot *s)
{
	unsigned long spins = 0;

	while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE)) {
		if (++spins > 100000)
			break;
		if (spins % 64 == 0)
			sched_yield();
	}
}

static void unlock(struct slot *s)
{
	__atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

static uint64_t hash_key(char kind, const void *key, size_t len)
{
	uint64_t h = sl_fnv1a64(sl_fnv1a64(SL_FNV64_BASIS, &kind, 1), key, len);

	return h ? h : 1;
}

/* Bring s up to now and take a token if there is one (1); else 0, or
 * -1 when it is time to log it again. Locked. */
static int draw(struct slot *s, double rate, double burst, int64_t now_ms)
{
	int64_t elapsed = now_ms - s->last_ms;

	if (elapsed > 0) {
		s->tokens += (double)elapsed * rate / 1000.0;
		if (s->tokens > burst)
			s->tokens = burst;
		s->last_ms = now_ms;
	}
	if (s->tokens < 1.0) {
		if (s->logged_ms && now_ms - s->logged_ms < 10000)
			return 0;
		s->logged_ms = now_ms;
		return -1;
	}
	s->tokens -= 1.0;
	return 1;
}

int sl_limits_take(struct sl_limits *l, char kind, const void *key,
		   size_t len, double rate, double burst, int64_t now_ms)
{
	uint64_t h = hash_key(kind, key, len);
	size_t first = (size_t)(h % SL_LIMITS_SLOTS), i, victim = first;
	int64_t oldest = INT64_MAX;
	struct slot *s;
	int ok;

	for (i = 0; i < NEIGHBOURHOOD; i++) {
		size_t k = (first + i) % SL_LIMITS_SLOTS;
		int64_t last;

		s = &l->t->slots[k];
		if (__atomic_load_n(&s->hash, __ATOMIC_RELAXED) == h) {
			lock(s);
			if (s->hash == h) {
				ok = draw(s, rate, burst, now_ms);
				unlock(s);
				return ok;
			}
			unlock(s);
		}
		last = __atomic_load_n(&s->last_ms, __ATOMIC_RELAXED);
		if (__atomic_load_n(&s->hash, __ATOMIC_RELAXED) == 0)
			last = INT64_MIN;
		if (last < oldest) {
			oldest = last;
			victim = k;
		}
	}
	/* A new key: the emptiest or least recently used slot is its. */
	s = &l->t->slots[victim];
	lock(s);
	__atomic_store_n(&s->hash, h, __ATOMIC_RELAXED);
	s->last_ms = now_ms;
	s->tokens = burst - 1.0;
	s->logged_ms = 0;
	unlock(s);
	return 1;
}
