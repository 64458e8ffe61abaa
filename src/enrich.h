/* enrich.h - what the server knows and the client did not send */
#ifndef SL_ENRICH_H
#define SL_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "request.h"

/* Current wall-clock time in Unix milliseconds. */
int64_t sl_now_ms(void);

/*
 * Fill out with a random id: a version-4 UUID in its 36-character form
 * (out needs 37 bytes). Returns 0 or -EIO when no randomness is at hand.
 */
int sl_uuid4(char out[37]);

/* Fill out with n random bytes as 2n hex digits plus NUL. Returns 0/-EIO. */
int sl_random_hex(char *out, size_t n);

/* True when the request carries DNT: 1 or Sec-GPC: 1. */
bool sl_privacy_signal(const struct sl_request *req);

/*
 * True when the client asked not to be followed and the configuration
 * honours it: SP-Anonymous: * (the Snowplow trackers' anonymous
 * tracking), or DNT/GPC with http.do_not_track other than record. Its
 * address is then anonymised and it gets no first-party cookie.
 */
bool sl_anonymity_requested(const struct sl_config *cfg,
			    const struct sl_request *req);

/*
 * The client's address: REMOTE_ADDR, unless that peer is one of
 * http.trusted_proxies. From a trusted peer, http.client_ip_header (e.g.
 * CF-Connecting-IP) when set and present; else RFC 7239 Forwarded, else
 * X-Forwarded-For, walked from the right: the first hop that is not a
 * trusted proxy wins, and anything that does not parse as an address
 * stops the walk. Then anonymised (last IPv4 octet, last 80 IPv6 bits)
 * with http.anonymize_ip, for SP-Anonymous: * requests, or for DNT/GPC
 * requests with do_not_track = anonymize. Writes to out (SL_IP_MAX bytes); an empty string when the
 * server gave no address. raw gets the address before anonymisation
 * (for http.ignore_from and GeoIP, never written anywhere). Returns
 * false when there was no address.
 */
bool sl_client_ip(const struct sl_config *cfg, const struct sl_request *req,
		  char out[SL_IP_MAX], unsigned char raw[16]);

#endif /* SL_ENRICH_H */
