/* geoip.h - where a client address is, from MaxMind DB files
 *
 * GeoLite2 (City, Country, ASN), DB-IP Lite and IPinfo files all read:
 * each answer field is taken from the first of its known paths a
 * database has. The address is looked up before it is anonymised, so
 * anonymisation does not cost the location.
 */
#ifndef SL_GEOIP_H
#define SL_GEOIP_H

#include <stddef.h>

#include "buf.h"
#include "request.h"

struct sl_geoip;

/*
 * Open the databases of files, a comma-separated list of .mmdb paths
 * (e.g. a City and an ASN file). On failure NULL, with one line in err
 * naming the file and why (missing, not a MaxMind DB, corrupt).
 */
struct sl_geoip *sl_geoip_open(const char *files, char *err, size_t errlen);

/*
 * Append ,"geo":{...} for the 16-byte address (IPv4-mapped for IPv4):
 * country, region, city, lat, lon, asn, each when the database has it;
 * nothing when it has none of them. Returns 0 or -ENOMEM.
 */
int sl_geoip_put(const struct sl_geoip *g, const unsigned char addr[16],
		 struct sl_buf *out)
	__attribute__((warn_unused_result));

/*
 * The same from the variables lighttpd's mod_maxminddb sets
 * (GEOIP_COUNTRY_CODE, GEOIP_CITY_NAME, ...), when the server set them.
 * Returns 1 when it did (something appended), 0 when not, -ENOMEM.
 */
int sl_geoip_put_from_server(const struct sl_request *req, struct sl_buf *out);

void sl_geoip_close(struct sl_geoip *g);

#endif /* SL_GEOIP_H */
