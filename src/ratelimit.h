/* ratelimit.h - rate limits shared by every process of one deployment
 *
 * Token buckets in a fixed table mapped from a file in the spool
 * directory (like the metrics), so every FastCGI and CGI process of the
 * deployment draws from the same buckets. A bucket is keyed by a hash of
 * its kind and key (a client address, an app id); the table never grows:
 * a key not in it takes the least recently used slot of its
 * neighbourhood, so a flood of distinct addresses evicts old keys and
 * costs no memory.
 */
#ifndef SL_RATELIMIT_H
#define SL_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The file in the spool directory. */
#define SL_LIMITS_FILE "limits.shm"
/* Slots in the table. */
#define SL_LIMITS_SLOTS 8192

struct sl_limits;

/* Map dir/limits.shm (created 0600). NULL with errno set on failure. */
struct sl_limits *sl_limits_open(const char *dir);

void sl_limits_close(struct sl_limits *l);

/*
 * Take one token from the bucket of (kind, key) filling at rate per
 * second up to burst (now_ms: CLOCK_MONOTONIC). Returns 1 when taken, 0
 * when the bucket is empty (over the limit), -1 when it is empty and no
 * process said so for this key in the last 10 s: the caller logs it.
 */
int sl_limits_take(struct sl_limits *l, char kind, const void *key,
		   size_t len, double rate, double burst, int64_t now_ms);

#endif /* SL_RATELIMIT_H */
