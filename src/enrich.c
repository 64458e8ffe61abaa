/* enrich.c - what the server knows and the client did not send */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "codec.h"
#include "enrich.h"
#include "net.h"

int64_t sl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Random bytes come from a pool of each thread's own, refilled with one
 * getrandom(2) per 4 KiB: an event id costs 16 bytes, so one system call
 * serves 256 of them instead of one. A child of fork() empties its pool
 * first, so that no two processes hand out the same bytes.
 */
#define POOL_SIZE 4096

static __thread unsigned char pool[POOL_SIZE];
static __thread size_t pool_left;

static void forget_pool(void)
{
	explicit_bzero(pool, sizeof(pool));
	pool_left = 0;
}

static void register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, forget_pool);
}

static int fill(unsigned char *p, size_t n)
{
	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static int refill(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_fork_handler);
	if (fill(pool, POOL_SIZE))
		return -EIO;
	pool_left = POOL_SIZE;
	return 0;
}

/* n bytes (at most POOL_SIZE) from the pool. Inline: its callers take
 * 8 or 16, copied and wiped without a call. */
static inline __attribute__((always_inline))
int random_bytes(unsigned char *p, size_t n)
{
	if (pool_left < n && refill())
		return -EIO;
	/* Hand out from the end, and wipe what was handed out (the empty
	 * asm keeps the compiler from dropping the wipe as a dead store). */
	pool_left -= n;
	memcpy(p, pool + pool_left, n);
	memset(pool + pool_left, 0, n);
	__asm__ __volatile__("" : : "r"(pool + pool_left) : "memory");
	return 0;
}

int sl_random_hex(char *out, size_t n)
{
	unsigned char raw[64];

	if (n > sizeof(raw) || random_bytes(raw, n))
		return -EIO;
	sl_hex_encode(raw, n, out);
	return 0;
}

int sl_uuid4(char out[37])
{
	unsigned char u[16];
	char hex[33];

	if (random_bytes(u, sizeof(u)))
		return -EIO;
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	sl_hex_encode(u, sizeof(u), hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
	return 0;
}

/* The address in s[0..len) (brackets and ports allowed), if it parses. */
static int take_addr(const char *s, size_t len, unsigned char out[16])
{
	return len == 0 ? -EINVAL : sl_ip_parse(s, len, out);
}

/* The hop in s[0..len): an X-Forwarded-For entry as it is, or the
 * for= parameter of one Forwarded element (RFC 7239: quotes, [v6]:port). */
static int hop_addr(const char *s, size_t len, bool forwarded,
		    unsigned char out[16])
{
	const char *p, *end = s + len;

	if (!forwarded)
		return take_addr(s, len, out);
	for (p = s; p < end; p++) {
		while (p < end && (*p == ' ' || *p == ';'))
			p++;
		if (end - p > 4 && !strncasecmp(p, "for=", 4)) {
			const char *v = p + 4, *ve = v;

			while (ve < end && *ve != ';')
				ve++;
			if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
				v++;
				ve--;
			}
			return take_addr(v, (size_t)(ve - v), out);
		}
		while (p < end && *p != ';')
			p++;
	}
	return -EINVAL;
}

/* Walk a hop list from the right while the current address is a trusted
 * proxy; stop at anything that is not an address. */
static void walk_hops(const struct sl_config *cfg, const char *list,
		      bool forwarded, unsigned char addr[16])
{
	const char *end = list + strlen(list);

	while (sl_cidr_list_has(&cfg->trusted_proxies, addr) && end > list) {
		const char *start = end;
		unsigned char hop[16];

		while (start > list && start[-1] != ',')
			start--;
		if (hop_addr(start, (size_t)(end - start), forwarded, hop))
			return;
		memcpy(addr, hop, sizeof(hop));
		end = start > list ? start - 1 : list;
	}
}

/* True when the request asks to be anonymous: SP-Anonymous: * (the
 * Snowplow trackers' anonymous tracking). */
static bool anonymous_requested(const struct sl_request *req)
{
	const char *v = sl_request_param(req, "HTTP_SP_ANONYMOUS");

	return v && !strcmp(v, "*");
}

bool sl_privacy_signal(const struct sl_request *req)
{
	const char *dnt = sl_request_param(req, "HTTP_DNT");
	const char *gpc = sl_request_param(req, "HTTP_SEC_GPC");

	return (dnt && !strcmp(dnt, "1")) || (gpc && !strcmp(gpc, "1"));
}

bool sl_anonymity_requested(const struct sl_config *cfg,
			    const struct sl_request *req)
{
	return anonymous_requested(req) ||
	       (cfg->do_not_track != SL_PRIVACY_RECORD && sl_privacy_signal(req));
}

bool sl_client_ip(const struct sl_config *cfg, const struct sl_request *req,
		  char out[SL_IP_MAX], unsigned char raw[16])
{
	unsigned char addr[16], hop[16];
	const char *v;

	out[0] = '\0';
	if (!req->remote_addr ||
	    take_addr(req->remote_addr, strlen(req->remote_addr), addr))
		return false;
	if (sl_cidr_list_has(&cfg->trusted_proxies, addr)) {
		if (cfg->client_ip_header && *cfg->client_ip_header &&
		    (v = sl_request_header(req, cfg->client_ip_header)) &&
		    !take_addr(v, strlen(v), hop))
			memcpy(addr, hop, sizeof(hop));
		else if ((v = sl_request_param(req, "HTTP_FORWARDED")))
			walk_hops(cfg, v, true, addr);
		else if ((v = sl_request_param(req, "HTTP_X_FORWARDED_FOR")))
			walk_hops(cfg, v, false, addr);
	}
	memcpy(raw, addr, sizeof(addr));
	if (cfg->anonymize_ip || sl_anonymity_requested(cfg, req))
		sl_ip_anonymize(addr);
	sl_ip_format(addr, out);
	return true;
}
