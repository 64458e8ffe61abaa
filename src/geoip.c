/* geoip.c - where a client address is, from MaxMind DB files */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <maxminddb.h>

#include "codec.h"
#include "geoip.h"

#define MAX_DBS 4

struct sl_geoip {
	MMDB_s db[MAX_DBS];
	size_t n;
};

/* Where each answer field is (a path of at most four keys: the fifth
 * slot stays NULL, the end MMDB_aget_value looks for), in the layouts of GeoLite2 / DB-IP Lite
 * (nested, first) and IPinfo (flat). */
static const char *const country_paths[][5] = {
	{ "country", "iso_code", NULL }, { "country_code", NULL },
	{ "country", NULL },
};
static const char *const region_paths[][5] = {
	{ "subdivisions", "0", "iso_code", NULL },
	{ "subdivisions", "0", "names", "en" }, { "region", NULL },
};
static const char *const city_paths[][5] = {
	{ "city", "names", "en", NULL }, { "city", NULL },
};
static const char *const lat_paths[][5] = {
	{ "location", "latitude", NULL }, { "latitude", NULL }, { "lat", NULL },
};
static const char *const lon_paths[][5] = {
	{ "location", "longitude", NULL }, { "longitude", NULL }, { "lng", NULL },
};
static const char *const asn_paths[][5] = {
	{ "autonomous_system_number", NULL }, { "asn", NULL },
};

#define NPATHS(a) (sizeof(a) / sizeof((a)[0]))

struct sl_geoip *sl_geoip_open(const char *files, char *err, size_t errlen)
{
	struct sl_geoip *g = calloc(1, sizeof(*g));
	const char *cursor = files, *item;
	size_t len;

	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while ((item = sl_list_next(&cursor, &len))) {
		char path[4096];
		int rc;

		if (g->n == MAX_DBS || len >= sizeof(path)) {
			snprintf(err, errlen, "geoip.database: at most %d files",
				 MAX_DBS);
			goto fail;
		}
		memcpy(path, item, len);
		path[len] = '\0';
		rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db[g->n]);
		if (rc != MMDB_SUCCESS) {
			snprintf(err, errlen, "%s: %s%s%s", path,
				 MMDB_strerror(rc),
				 rc == MMDB_IO_ERROR ? ": " : "",
				 rc == MMDB_IO_ERROR ? strerror(errno) : "");
			goto fail;
		}
		g->n++;
	}
	if (!g->n) {
		snprintf(err, errlen, "geoip.database names no file");
		goto fail;
	}
	return g;
fail:
	sl_geoip_close(g);
	return NULL;
}

void sl_geoip_close(struct sl_geoip *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++)
		MMDB_close(&g->db[i]);
	free(g);
}

/* The first of paths an entry has, as data. */
static bool lookup(MMDB_entry_s *e, const char *const (*paths)[5],
		   size_t npaths, MMDB_entry_data_s *out)
{
	size_t i;

	for (i = 0; i < npaths; i++) {
		MMDB_entry_s start = *e;

		if (MMDB_aget_value(&start, out, paths[i]) == MMDB_SUCCESS &&
		    out->has_data)
			return true;
	}
	return false;
}

struct fields {
	char country[8], region[64], city[128];
	double lat, lon;
	unsigned long asn;
	bool has_lat, has_lon;
};

/* A database string (not NUL-terminated) into out, cut to fit. */
static void copy_string(const MMDB_entry_data_s *d, char *out, size_t size)
{
	size_t n = d->data_size < size - 1 ? d->data_size : size - 1;

	memcpy(out, d->utf8_string, n);
	out[n] = '\0';
}

/* Only a coordinate is written: never nan or inf, which are not JSON. */
static bool is_coordinate(double v)
{
	return isfinite(v) && fabs(v) <= 180;
}

/* An AS number, from IPinfo's "AS15169" or a plain "15169". */
static unsigned long parse_asn(const char *s)
{
	return strtoul(s + (!strncmp(s, "AS", 2) ? 2 : 0), NULL, 10);
}

static void take_text(const MMDB_entry_data_s *d, char *out, size_t size)
{
	if (!out[0] && d->type == MMDB_DATA_TYPE_UTF8_STRING)
		copy_string(d, out, size);
}

static void take_number(const MMDB_entry_data_s *d, double *out, bool *has)
{
	char tmp[32];

	if (*has)
		return;
	switch (d->type) {
	case MMDB_DATA_TYPE_DOUBLE: *out = d->double_value; break;
	case MMDB_DATA_TYPE_FLOAT: *out = d->float_value; break;
	case MMDB_DATA_TYPE_UTF8_STRING:
		copy_string(d, tmp, sizeof(tmp));
		*out = strtod(tmp, NULL);
		break;
	default:
		return;
	}
	*has = is_coordinate(*out);
}

static void take_asn(const MMDB_entry_data_s *d, unsigned long *out)
{
	char tmp[32];

	if (*out)
		return;
	switch (d->type) {
	case MMDB_DATA_TYPE_UINT32: *out = d->uint32; break;
	case MMDB_DATA_TYPE_UINT16: *out = d->uint16; break;
	case MMDB_DATA_TYPE_UINT64: *out = (unsigned long)d->uint64; break;
	case MMDB_DATA_TYPE_UTF8_STRING:
		copy_string(d, tmp, sizeof(tmp));
		*out = parse_asn(tmp);
		break;
	default:
		break;
	}
}

/* Database strings are UTF-8 but not checked by the library, nor the
 * server's variables: a field that is not (or was cut inside a
 * character) is left out rather than written into the record. */
static void keep_if_utf8(char *s)
{
	if (!sl_utf8_is_valid(s, strlen(s)))
		s[0] = '\0';
}

/* ,"geo":{...} from the fields found (text fields that are not UTF-8
 * left out); nothing when none was. */
static int put_fields(struct fields *f, struct sl_buf *out)
{
	const char *sep = "";
	int rc = 0;

	keep_if_utf8(f->country);
	keep_if_utf8(f->region);
	keep_if_utf8(f->city);
	if (!f->country[0] && !f->region[0] && !f->city[0] && !f->has_lat &&
	    !f->has_lon && !f->asn)
		return 0;
	rc = sl_buf_puts(out, ",\"geo\":{");
#define TEXT(name, v) \
	if (!rc && (v)[0]) { \
		rc = sl_buf_printf(out, "%s\"%s\":", sep, name); \
		if (!rc) \
			rc = sl_buf_json_str(out, v, strlen(v)); \
		sep = ","; \
	}
	TEXT("country", f->country)
	TEXT("region", f->region)
	TEXT("city", f->city)
#undef TEXT
	if (!rc && f->has_lat) {
		rc = sl_buf_printf(out, "%s\"lat\":%.4f", sep, f->lat);
		sep = ",";
	}
	if (!rc && f->has_lon) {
		rc = sl_buf_printf(out, "%s\"lon\":%.4f", sep, f->lon);
		sep = ",";
	}
	if (!rc && f->asn)
		rc = sl_buf_printf(out, "%s\"asn\":%lu", sep, f->asn);
	if (!rc)
		rc = sl_buf_puts(out, "}");
	return rc;
}

int sl_geoip_put(const struct sl_geoip *g, const unsigned char addr[16],
		 struct sl_buf *out)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
						    0, 0, 0xff, 0xff };
	struct fields f = { 0 };
	struct sockaddr_storage ss = { 0 };
	size_t i;

	if (!memcmp(addr, v4mapped, sizeof(v4mapped))) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr + 12, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
	}
	for (i = 0; i < g->n; i++) {
		MMDB_lookup_result_s r;
		MMDB_entry_data_s d;
		int rc;

		r = MMDB_lookup_sockaddr(&g->db[i], (struct sockaddr *)&ss, &rc);
		if (rc != MMDB_SUCCESS || !r.found_entry)
			continue;
		if (lookup(&r.entry, country_paths, NPATHS(country_paths), &d))
			take_text(&d, f.country, sizeof(f.country));
		if (lookup(&r.entry, region_paths, NPATHS(region_paths), &d))
			take_text(&d, f.region, sizeof(f.region));
		if (lookup(&r.entry, city_paths, NPATHS(city_paths), &d))
			take_text(&d, f.city, sizeof(f.city));
		if (lookup(&r.entry, lat_paths, NPATHS(lat_paths), &d))
			take_number(&d, &f.lat, &f.has_lat);
		if (lookup(&r.entry, lon_paths, NPATHS(lon_paths), &d))
			take_number(&d, &f.lon, &f.has_lon);
		if (lookup(&r.entry, asn_paths, NPATHS(asn_paths), &d))
			take_asn(&d, &f.asn);
	}
	return put_fields(&f, out);
}

int sl_geoip_put_from_server(const struct sl_request *req, struct sl_buf *out)
{
	const char *v = sl_request_param(req, "GEOIP_COUNTRY_CODE");
	struct fields f;

	/* Asked on every request: nothing cleared when the server set none. */
	if (!v || !*v)
		return 0;
	memset(&f, 0, sizeof(f));
	snprintf(f.country, sizeof(f.country), "%s", v);
	if ((v = sl_request_param(req, "GEOIP_REGION_CODE")) ||
	    (v = sl_request_param(req, "GEOIP_REGION")))
		snprintf(f.region, sizeof(f.region), "%s", v);
	if ((v = sl_request_param(req, "GEOIP_CITY_NAME")))
		snprintf(f.city, sizeof(f.city), "%s", v);
	if ((v = sl_request_param(req, "GEOIP_CITY_LATITUDE")) && *v) {
		f.lat = strtod(v, NULL);
		f.has_lat = is_coordinate(f.lat);
	}
	if ((v = sl_request_param(req, "GEOIP_CITY_LONGITUDE")) && *v) {
		f.lon = strtod(v, NULL);
		f.has_lon = is_coordinate(f.lon);
	}
	if ((v = sl_request_param(req, "GEOIP_ASN")))
		f.asn = parse_asn(v);
	return put_fields(&f, out) ? -ENOMEM : 1;
}
