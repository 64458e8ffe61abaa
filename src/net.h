/* net.h - IP addresses and CIDR lists (trusted proxies) */
#ifndef SL_NET_H
#define SL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for any textual IPv4 or IPv6 address. */
#define SL_IP_MAX 46

/* One network: an IPv4 address is held as ::ffff:a.b.c.d. */
struct sl_cidr {
	unsigned char addr[16];
	unsigned int bits;	/* prefix length over the 128-bit form */
	/* For the test of each request's addresses: the prefix's bits as a
	 * mask, and addr under it, each as two words of the 16 bytes. */
	uint64_t mask[2], net[2];
};

/* A list of networks, owned by whoever holds it. */
struct sl_cidr_list {
	struct sl_cidr *nets;
	size_t count;
};

/*
 * Parse a comma-separated list of networks into list (appended).
 * On -EINVAL, *bad points at the first entry that is not a network.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int sl_cidr_list_parse(const char *text, struct sl_cidr_list *list,
		       const char **bad);

/* True when the textual address addr lies in one of the list's networks. */
bool sl_cidr_list_contains(const struct sl_cidr_list *list, const char *addr);

/* The same for an address in its 16-byte form. */
bool sl_cidr_list_has(const struct sl_cidr_list *list,
		      const unsigned char addr[16]);

/* Free the list's storage. */
void sl_cidr_list_release(struct sl_cidr_list *list);

/*
 * Parse an IPv4 or IPv6 address (no prefix, optionally in [brackets] for
 * v6, optionally with a :port after a v4 address or brackets) into its
 * 16-byte form. Returns 0 or -EINVAL.
 */
int sl_ip_parse(const char *text, size_t len, unsigned char addr[16]);

/* Anonymise addr in place: the last IPv4 octet, or the last 80 bits of
 * an IPv6 address, set to zero. */
void sl_ip_anonymize(unsigned char addr[16]);

/* Write addr in its plain textual form ("192.0.2.1", "2001:db8::9"). */
void sl_ip_format(const unsigned char addr[16], char out[SL_IP_MAX]);

#endif /* SL_NET_H */
