/* enrich.c - what the server knows and the client did not send */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "enrich.h"
#include "net.h"

int64_t sl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int random_bytes(unsigned char *p, size_t n)
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

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 15];
	}
	*out = '\0';
}

int sl_random_hex(char *out, size_t n)
{
	unsigned char raw[64];

	if (n > sizeof(raw) || random_bytes(raw, n))
		return -EIO;
	to_hex(raw, n, out);
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
	to_hex(u, sizeof(u), hex);
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

/* Copy the address text s[0..len), trimmed, into out if it parses. */
static int take_addr(const char *s, size_t len, char out[SL_IP_MAX])
{
	unsigned char raw[16];

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= SL_IP_MAX || sl_ip_parse(s, len, raw))
		return -EINVAL;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

void sl_client_ip(const struct sl_config *cfg, const struct sl_request *req,
		  char out[SL_IP_MAX])
{
	const char *xff, *end;

	out[0] = '\0';
	if (!req->remote_addr ||
	    take_addr(req->remote_addr, strlen(req->remote_addr), out))
		return;
	xff = sl_request_param(req, "HTTP_X_FORWARDED_FOR");
	if (!xff)
		return;
	end = xff + strlen(xff);
	while (sl_cidr_list_contains(&cfg->trusted_proxies, out) && end > xff) {
		const char *start = end;
		char hop[SL_IP_MAX];

		while (start > xff && start[-1] != ',')
			start--;
		if (take_addr(start, (size_t)(end - start), hop))
			return;
		memcpy(out, hop, sizeof(hop));
		end = start > xff ? start - 1 : xff;
	}
}
