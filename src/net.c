/* net.c - IP addresses and CIDR lists (trusted proxies) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "net.h"

/*
 * The usual case without a copy or inet_pton(3): exactly four decimal
 * parts of 0..255, no leading zero, nothing else. True when text is such
 * (addr is then its IPv4-mapped form); false for anything else, which
 * sl_ip_parse() then decides as before: this accepts nothing inet_pton
 * would refuse, and reads it as inet_pton does.
 */
static bool dotted_quad(const char *text, size_t len, unsigned char addr[16])
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	unsigned char q[4];
	int part;

	for (part = 0; part < 4; part++) {
		unsigned int v, d;

		if (p == end || (v = (unsigned int)*p - '0') > 9)
			return false;
		p++;
		/* A second and a third digit, unless the first is a 0. */
		if (p < end && (d = (unsigned int)*p - '0') <= 9) {
			if (v == 0)
				return false;
			v = v * 10 + d;
			p++;
			if (p < end && (d = (unsigned int)*p - '0') <= 9) {
				v = v * 10 + d;
				p++;
				if (v > 255)
					return false;
			}
		}
		q[part] = (unsigned char)v;
		if (part < 3 && (p == end || *p++ != '.'))
			return false;
	}
	if (p != end)
		return false;
	memset(addr, 0, 10);
	addr[10] = addr[11] = 0xff;
	memcpy(addr + 12, q, 4);
	return true;
}

int sl_ip_parse(const char *text, size_t len, unsigned char addr[16])
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *colon;

	if (dotted_quad(text, len, addr))
		return 0;
	while (len && (*text == ' ' || *text == '\t')) {
		text++;
		len--;
	}
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len && text[0] == '[') {
		const char *close = memchr(text, ']', len);

		if (!close)
			return -EINVAL;
		len = (size_t)(close - text - 1);
		text++;
	} else if ((colon = memchr(text, ':', len)) &&
		   !memchr(colon + 1, ':', len - (size_t)(colon - text) - 1) &&
		   memchr(text, '.', len)) {
		len = (size_t)(colon - text);	/* a.b.c.d:port */
	}
	if (len == 0 || len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, text, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, addr + 12) == 1) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		return 0;
	}
	return inet_pton(AF_INET6, tmp, addr) == 1 ? 0 : -EINVAL;
}

/* Parse "a.b.c.d[/n]" or "v6[/n]" into net (no prefix: a single host).
 * Returns 0 or -EINVAL. */
static int cidr_parse(const char *text, struct sl_cidr *net)
{
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	bool v4;
	unsigned long bits;
	char *end;

	if (sl_ip_parse(text, len, net->addr))
		return -EINVAL;
	v4 = memchr(text, '.', len) && !memchr(text, ':', len);
	net->bits = 128;
	if (!slash)
		return 0;
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || bits > (v4 ? 32UL : 128UL))
		return -EINVAL;
	net->bits = (unsigned int)(v4 ? bits + 96 : bits);
	return 0;
}

/* The words cidr_contains() compares, from addr and bits. */
static void cidr_words(struct sl_cidr *net)
{
	unsigned char mask[16] = { 0 }, masked[16];
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int have = net->bits > 8 * i ? net->bits - 8 * i : 0;

		mask[i] = have >= 8 ? 0xff : (unsigned char)(0xff << (8 - have));
		masked[i] = net->addr[i] & mask[i];
	}
	memcpy(net->mask, mask, sizeof(mask));
	memcpy(net->net, masked, sizeof(masked));
}

int sl_cidr_list_parse(const char *text, struct sl_cidr_list *list,
		       const char **bad)
{
	const char *cursor = text, *item;
	size_t len;

	while ((item = sl_list_next(&cursor, &len))) {
		struct sl_cidr *nets;
		char buf[80];

		if (len >= sizeof(buf)) {
			*bad = item;
			return -EINVAL;
		}
		memcpy(buf, item, len);
		buf[len] = '\0';
		nets = realloc(list->nets, (list->count + 1) * sizeof(*nets));
		if (!nets)
			return -ENOMEM;
		list->nets = nets;
		if (cidr_parse(buf, &nets[list->count])) {
			*bad = item;
			return -EINVAL;
		}
		cidr_words(&nets[list->count]);
		list->count++;
	}
	return 0;
}

static inline bool cidr_contains(const struct sl_cidr *net,
				 const uint64_t a[2])
{
	return !(((a[0] ^ net->net[0]) & net->mask[0]) |
		 ((a[1] ^ net->net[1]) & net->mask[1]));
}

bool sl_cidr_list_has(const struct sl_cidr_list *list,
		      const unsigned char addr[16])
{
	uint64_t a[2];
	size_t i;

	memcpy(a, addr, sizeof(a));
	for (i = 0; i < list->count; i++)
		if (cidr_contains(&list->nets[i], a))
			return true;
	return false;
}

bool sl_cidr_list_contains(const struct sl_cidr_list *list, const char *addr)
{
	unsigned char a[16];

	return addr && !sl_ip_parse(addr, strlen(addr), a) &&
	       sl_cidr_list_has(list, a);
}

static const unsigned char v4_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

void sl_ip_anonymize(unsigned char addr[16])
{
	if (!memcmp(addr, v4_prefix, 12))
		addr[15] = 0;
	else
		memset(addr + 6, 0, 10);
}

void sl_ip_format(const unsigned char addr[16], char out[SL_IP_MAX])
{
	char *p = out;
	int i;

	if (memcmp(addr, v4_prefix, 12)) {
		if (!inet_ntop(AF_INET6, addr, out, SL_IP_MAX))
			out[0] = '\0';	/* cannot happen: room for any */
		return;
	}
	/* IPv4 without printf: once per request, on every request. */
	for (i = 12; i < 16; i++) {
		unsigned int v = addr[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 15 ? '.' : '\0';
	}
}

void sl_cidr_list_release(struct sl_cidr_list *list)
{
	free(list->nets);
	list->nets = NULL;
	list->count = 0;
}
