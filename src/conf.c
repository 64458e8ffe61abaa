/* conf.c - the INI configuration file */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "validate.h"

#ifndef SL_SPOOL_DIR
#define SL_SPOOL_DIR "/var/spool/sluice"
#endif

#define MAX_LINE 4096

enum key_type {
	T_STR,		/* any text */
	T_MOUNT,	/* a route path: starts with '/' */
	T_TOPIC,	/* a Kafka topic name */
	T_BYTES64,	/* uint64_t with optional k/m/g suffix */
	T_LIMIT,	/* the same, where 0 means no limit */
	T_FSYNC,	/* never | always | N (ms) */
	T_ORIGINS,	/* comma-separated http(s)://host[:port] */
	T_PRIVACY,	/* record | anonymize | drop */
	T_BYTES,	/* size_t with optional k/m/g suffix, at most 1 GiB */
	T_COUNT,	/* unsigned int, 1 .. 1000000 */
	T_BOOL,		/* true/false/yes/no/on/off/1/0 */
	T_ACK,		/* enum sl_ack_mode */
	T_LEVEL,	/* enum sl_log_level */
	T_CIDRS,	/* struct sl_cidr_list */
	T_BOTS,		/* enum sl_bots_mode */
	T_RATE,		/* N/s, N/m or N/h: a double, per second */
	T_SECONDS,	/* unsigned int, 1 .. 2^31 - 1 */
	T_COOKIE,	/* a cookie name (an HTTP token) */
};

struct key_def {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
};

#define CFG(f) offsetof(struct sl_config, f)
#define SEC(f) offsetof(struct sl_section, f)

static const struct key_def global_keys[] = {
	{ "spool", "dir", T_STR, CFG(spool_dir) },
	{ "spool", "rotate_size", T_BYTES64, CFG(spool_rotate_bytes) },
	{ "spool", "fsync", T_FSYNC, CFG(spool_fsync_ms) },
	{ "spool", "max_size", T_LIMIT, CFG(spool_max_bytes) },
	{ "spool", "min_free", T_LIMIT, CFG(spool_min_free) },
	{ "delivery", "ack", T_ACK, CFG(ack) },
	{ "delivery", "kafka_wait_ms", T_COUNT, CFG(delivery_wait_ms) },
	{ "delivery", "shutdown_flush_ms", T_COUNT, CFG(shutdown_flush_ms) },
	{ "kafka", "brokers", T_STR, CFG(kafka_brokers) },
	{ "kafka", "topic", T_TOPIC, CFG(kafka_topic) },
	{ "kafka", "bad_topic", T_TOPIC, CFG(kafka_bad_topic) },
	{ "kafka", "topic_pattern", T_STR, CFG(kafka_topic_pattern) },
	{ "kafka", "compression", T_STR, CFG(kafka_compression) },
	{ "kafka", "message_timeout_ms", T_COUNT, CFG(kafka_message_timeout_ms) },
	{ "kafka", "queue_max_messages", T_COUNT, CFG(kafka_queue_max_messages) },
	{ "http", "max_body", T_BYTES, CFG(max_body) },
	{ "http", "max_events", T_COUNT, CFG(max_events) },
	{ "http", "trusted_proxies", T_CIDRS, CFG(trusted_proxies) },
	{ "http", "cors_origins", T_ORIGINS, CFG(cors_origins) },
	{ "http", "cors_max_age", T_COUNT, CFG(cors_max_age) },
	{ "http", "client_ip_header", T_STR, CFG(client_ip_header) },
	{ "http", "status_from", T_CIDRS, CFG(status_from) },
	{ "http", "anonymize_ip", T_BOOL, CFG(anonymize_ip) },
	{ "http", "do_not_track", T_PRIVACY, CFG(do_not_track) },
	{ "http", "ignore_from", T_CIDRS, CFG(ignore_from) },
	{ "http", "bots", T_BOTS, CFG(bots) },
	{ "http", "bots_file", T_STR, CFG(bots_file) },
	{ "limits", "per_ip", T_RATE, CFG(limit_per_ip) },
	{ "limits", "per_source", T_RATE, CFG(limit_per_source) },
	{ "limits", "burst", T_COUNT, CFG(limit_burst) },
	{ "geoip", "database", T_STR, CFG(geoip_database) },
	{ "cookie", "name", T_COOKIE, CFG(cookie_name) },
	{ "cookie", "domain", T_STR, CFG(cookie_domain) },
	{ "cookie", "max_age", T_SECONDS, CFG(cookie_max_age) },
	{ "log", "level", T_LEVEL, CFG(log_level) },
	{ "routes", "beacon_event", T_MOUNT, CFG(route_beacon_event) },
	{ "routes", "beacon_pixel", T_MOUNT, CFG(route_beacon_pixel) },
	{ "routes", "clickstream", T_MOUNT, CFG(route_clickstream) },
	{ "routes", "health", T_MOUNT, CFG(route_health) },
	{ "routes", "metrics", T_MOUNT, CFG(route_metrics) },
	{ "routes", "raccoon", T_MOUNT, CFG(route_raccoon) },
	{ "routes", "tracardi_track", T_MOUNT, CFG(route_tracardi_track) },
	{ "routes", "tracardi_collect", T_MOUNT, CFG(route_tracardi_collect) },
	{ "routes", "reelevant", T_MOUNT, CFG(route_reelevant) },
	{ "routes", "segment", T_MOUNT, CFG(route_segment) },
	{ "routes", "segment_metrics", T_MOUNT, CFG(route_segment_metrics) },
	{ "routes", "snowplow_post", T_MOUNT, CFG(route_snowplow_post) },
	{ "routes", "snowplow_get", T_MOUNT, CFG(route_snowplow_get) },
	{ "raccoon", "envelope", T_BOOL, CFG(raccoon_envelope) },
	{ "raccoon", "conn_id_header", T_STR, CFG(raccoon_conn_id_header) },
	{ "raccoon", "conn_group_header", T_STR, CFG(raccoon_conn_group_header) },
	{ "beacon", "event_type", T_STR, CFG(beacon_event_type) },
	{ "beacon", "topic", T_TOPIC, CFG(beacon_topic) },
};

/* Keys of the sections that name who may send (struct sl_section). */
static const struct key_def section_keys[] = {
	{ "app", "token", T_STR, SEC(token) },
	{ "app", "token_cookie", T_STR, SEC(token_cookie) },
	{ "app", "topic", T_TOPIC, SEC(topic) },
	{ "app", "verify_hash", T_BOOL, SEC(verify_hash) },
	{ "app", "topic_by_type", T_BOOL, SEC(topic_by_type) },
	{ "source", "topic", T_TOPIC, SEC(topic) },
	{ "datasource", "topic", T_TOPIC, SEC(topic) },
	{ "writekey", "topic", T_TOPIC, SEC(topic) },
};

/* Section names, by enum sl_section_kind. */
static const char *const section_names[SL_SECTION_KINDS] = {
	[SL_SECTION_APP] = "app", [SL_SECTION_SOURCE] = "source",
	[SL_SECTION_DATASOURCE] = "datasource", [SL_SECTION_WRITEKEY] = "writekey",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parser state: where we are and which struct a key lands in. */
struct parser {
	struct sl_config *cfg;
	const char *file;
	unsigned int lineno;
	char section[16];	/* "" before the first section */
	void *target;		/* struct the current section's keys fill */
	const struct key_def *keys;
	size_t nkeys;
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->file, ps->lineno);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Cut a ';' or '#' comment that starts a line or follows whitespace. */
static void strip_comment(char *s)
{
	char *p;

	for (p = s; *p; p++) {
		if ((*p == ';' || *p == '#') &&
		    (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static int parse_bytes(const char *v, uint64_t *out)
{
	uint64_t n, mult = 1;
	uintmax_t x;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	x = strtoumax(v, &end, 10);
	if (errno)
		return -ERANGE;
	switch (tolower((unsigned char)*end)) {
	case 'k': mult = 1024; end++; break;
	case 'm': mult = 1024 * 1024; end++; break;
	case 'g': mult = 1024 * 1024 * 1024; end++; break;
	}
	if (*end)
		return -EINVAL;
	n = (uint64_t)x;
	if (n > UINT64_MAX / mult)
		return -ERANGE;
	*out = n * mult;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_string(struct parser *ps, char **slot, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		return fail(ps, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

/* Names of enum values, in the enum's order. */
static const char *const ack_names[] = {
	[SL_ACK_QUEUE] = "queue", [SL_ACK_KAFKA] = "kafka",
	[SL_ACK_SPOOL] = "spool",
};
static const char *const privacy_names[] = {
	[SL_PRIVACY_RECORD] = "record", [SL_PRIVACY_ANONYMIZE] = "anonymize",
	[SL_PRIVACY_DROP] = "drop",
};
static const char *const bots_names[] = {
	[SL_BOTS_TAG] = "tag", [SL_BOTS_DROP] = "drop", [SL_BOTS_OFF] = "off",
};

_Static_assert(sizeof(enum sl_ack_mode) == sizeof(int) &&
	       sizeof(enum sl_privacy) == sizeof(int) &&
	       sizeof(enum sl_bots_mode) == sizeof(int), "enums are int-sized");

/* "N/s", "N/m" or "N/h" (N a whole number, 1 to 1000000) as events per
 * second; "off" or "0" as 0. */
static int parse_rate(const char *v, double *out)
{
	unsigned long n;
	char *end;

	if (!strcmp(v, "off") || !strcmp(v, "0")) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || n == 0 || n > 1000000 || end[0] != '/' || !end[1] || end[2])
		return -EINVAL;
	switch (end[1]) {
	case 's': *out = (double)n; return 0;
	case 'm': *out = (double)n / 60; return 0;
	case 'h': *out = (double)n / 3600; return 0;
	}
	return -EINVAL;
}

/* RFC 6265's cookie-name: an HTTP token. */
static bool is_cookie_name(const char *v)
{
	if (!*v || strlen(v) > 64)
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr("!#$%&'*+-.^_`|~", *v))
			return false;
	return true;
}

/* Store in the int-sized enum at slot the index of v in names. */
static int set_enum(struct parser *ps, const struct key_def *def,
		    const char *v, void *slot, const char *const *names,
		    int count, const char *choices)
{
	int i;

	for (i = 0; i < count; i++) {
		if (!strcmp(v, names[i])) {
			*(int *)slot = i;
			return 0;
		}
	}
	return fail(ps, "%s.%s: '%s' is not %s", def->section, def->name, v,
		    choices);
}

static int set_value(struct parser *ps, const struct key_def *def,
		     const char *v)
{
	void *slot = (char *)ps->target + def->offset;
	uint64_t n;
	const char *bad;
	int rc;

	switch (def->type) {
	case T_MOUNT: {
		const char *cursor = v, *item;
		size_t len, paths = 0;

		if (!strcmp(v, "off")) {
			free(*(char **)slot);
			*(char **)slot = NULL;
			return 0;
		}
		/* One path, or several separated by commas. */
		while ((item = sl_list_next(&cursor, &len))) {
			paths++;
			if (item[0] != '/' || strcspn(item, " ?#\t") < len)
				return fail(ps, "%s.%s: '%.*s' is not a path starting with '/' (several are separated by commas)",
					    def->section, def->name, (int)len,
					    item);
		}
		if (!paths)
			return fail(ps, "%s.%s needs a path starting with '/', or off",
				    def->section, def->name);
		return set_string(ps, slot, v);
	}
	case T_TOPIC:
		if (!sl_topic_is_legal(v))
			return fail(ps, "%s.%s: '%s' is not a legal Kafka topic name ([A-Za-z0-9._-], at most %d)",
				    def->section, def->name, v, SL_TOPIC_MAX);
		return set_string(ps, slot, v);
	case T_STR:
		return set_string(ps, slot, v);
	case T_BYTES64:
	case T_BYTES:
		rc = parse_bytes(v, &n);
		if (rc || n == 0 || (def->type == T_BYTES && n > (1u << 30)))
			return fail(ps, "%s.%s: '%s' is not a size (a number with optional k, m or g%s)",
				    def->section, def->name, v,
				    def->type == T_BYTES ? ", 1 to 1g" : ", above 0");
		if (def->type == T_BYTES)
			*(size_t *)slot = (size_t)n;
		else
			*(uint64_t *)slot = n;
		return 0;
	case T_PRIVACY:
		return set_enum(ps, def, v, slot, privacy_names, 3,
				"record, anonymize or drop");
	case T_ORIGINS: {
		const char *cursor = v, *item, *host;
		struct sl_buf list = { 0 };
		size_t len;
		int set;

		/* Kept as "a,b,c": the check of each request's Origin walks
		 * it without trimming blanks. */
		while ((item = sl_list_next(&cursor, &len))) {
			host = !strncmp(item, "https://", 8) ? item + 8 :
			       !strncmp(item, "http://", 7) ? item + 7 : NULL;
			if (!host || host >= item + len ||
			    memchr(host, '/', (size_t)(item + len - host)) ||
			    memchr(item, '*', len)) {
				sl_buf_release(&list);
				return fail(ps, "http.cors_origins: '%.*s' is not an origin like https://shop.example.com (no path, no wildcard: browsers send credentials)",
					    (int)len, item);
			}
			if ((list.len && sl_buf_append(&list, ",", 1)) ||
			    sl_buf_append(&list, item, len)) {
				sl_buf_release(&list);
				return fail(ps, "out of memory");
			}
		}
		set = set_string(ps, slot, list.data ? list.data : "");
		sl_buf_release(&list);
		return set;
	}
	case T_FSYNC:
		if (!strcmp(v, "never") || !strcmp(v, "false"))
			*(int *)slot = -1;
		else if (!strcmp(v, "always") || !strcmp(v, "true"))
			*(int *)slot = 0;
		else if (!parse_bytes(v, &n) && n > 0 && n <= 3600000 &&
			 isdigit((unsigned char)v[strlen(v) - 1]))
			*(int *)slot = (int)n;
		else
			return fail(ps, "spool.fsync: '%s' is not never, always or a number of milliseconds", v);
		return 0;
	case T_LIMIT:
		if (parse_bytes(v, &n))
			return fail(ps, "%s.%s: '%s' is not a size (a number with optional k, m or g; 0 for no limit)",
				    def->section, def->name, v);
		*(uint64_t *)slot = n;
		return 0;
	case T_COUNT:
		if (parse_bytes(v, &n) || n == 0 || n > 1000000 ||
		    !isdigit((unsigned char)v[strlen(v) - 1]))
			return fail(ps, "%s.%s: '%s' is not a count from 1 to 1000000",
				    def->section, def->name, v);
		*(unsigned int *)slot = (unsigned int)n;
		return 0;
	case T_BOOL:
		if (parse_bool(v, slot))
			return fail(ps, "%s.%s: '%s' is not true or false",
				    def->section, def->name, v);
		return 0;
	case T_ACK:
		return set_enum(ps, def, v, slot, ack_names, 3,
				"queue, kafka or spool");
	case T_BOTS:
		return set_enum(ps, def, v, slot, bots_names, 3,
				"tag, drop or off");
	case T_RATE:
		if (parse_rate(v, slot))
			return fail(ps, "%s.%s: '%s' is not a rate like 10/s, 300/m or 1000/h (1 to 1000000 per unit), or off",
				    def->section, def->name, v);
		return 0;
	case T_SECONDS:
		if (parse_bytes(v, &n) || n == 0 || n > INT32_MAX ||
		    !isdigit((unsigned char)v[strlen(v) - 1]))
			return fail(ps, "%s.%s: '%s' is not a number of seconds (1 to 2147483647)",
				    def->section, def->name, v);
		*(unsigned int *)slot = (unsigned int)n;
		return 0;
	case T_COOKIE:
		if (!is_cookie_name(v))
			return fail(ps, "%s.%s: '%s' is not a cookie name (letters, digits and !#$%%&'*+-.^_`|~, at most 64)",
				    def->section, def->name, v);
		return set_string(ps, slot, v);
	case T_LEVEL:
		if (sl_log_parse_level(v, slot))
			return fail(ps, "log.level: '%s' is not debug, info, warn or error", v);
		return 0;
	case T_CIDRS:
		sl_cidr_list_release(slot);
		rc = sl_cidr_list_parse(v, slot, &bad);
		if (rc == -ENOMEM)
			return fail(ps, "out of memory");
		if (rc)
			return fail(ps, "%s.%s: '%s' is not an address or network (a.b.c.d/n or v6/n)",
				    def->section, def->name, bad);
		return 0;
	}
	return fail(ps, "internal error: key type %d", (int)def->type);
}

/* Add an [app ID], [source ID] or [datasource ID] section. */
static int add_section(struct parser *ps, enum sl_section_kind kind,
		       const char *id)
{
	const char *name = section_names[kind];
	struct sl_section *sec;

	if (!sl_section_id_is_valid(kind, id, strlen(id)))
		return fail(ps, "[%s] needs an id of letters, digits, '_', '-'%s (at most %d), e.g. [%s my_id]",
			    name, kind == SL_SECTION_DATASOURCE ? "" :
			    ", '.' or ':'", SL_MAX_SECTION_ID, name);
	if (sl_config_section(ps->cfg, kind, id, strlen(id)))
		return fail(ps, "duplicate section [%s %s]", name, id);
	sec = calloc(1, sizeof(*sec));
	if (!sec || !(sec->id = strdup(id)) ||
	    (kind == SL_SECTION_APP &&
	     !(sec->token_cookie = strdup("sluice_token")))) {
		if (sec)
			free(sec->id);
		free(sec);
		return fail(ps, "out of memory");
	}
	sec->next = ps->cfg->sections[kind];
	ps->cfg->sections[kind] = sec;
	ps->target = sec;
	ps->keys = section_keys;
	ps->nkeys = ARRAY_SIZE(section_keys);
	return 0;
}

static int parse_section(struct parser *ps, char *line)
{
	char *end = strchr(line, ']');
	char *name, *id;
	size_t i;

	if (!end || *trim(end + 1))
		return fail(ps, "section header must look like [name] or [name id]");
	*end = '\0';
	name = trim(line + 1);
	id = name + strcspn(name, " \t");
	if (*id) {
		*id++ = '\0';
		id = trim(id);
	}
	if (strlen(name) >= sizeof(ps->section))
		return fail(ps, "unknown section [%s]", name);
	strcpy(ps->section, name);

	for (i = 0; i < SL_SECTION_KINDS; i++)
		if (!strcmp(name, section_names[i]))
			return add_section(ps, (enum sl_section_kind)i, id);
	if (*id)
		return fail(ps, "section [%s] takes no id", name);
	for (i = 0; i < ARRAY_SIZE(global_keys); i++) {
		if (!strcmp(global_keys[i].section, name)) {
			ps->target = ps->cfg;
			ps->keys = global_keys;
			ps->nkeys = ARRAY_SIZE(global_keys);
			return 0;
		}
	}
	return fail(ps, "unknown section [%s]", name);
}

static int add_kafka_prop(struct parser *ps, const char *name, const char *v)
{
	struct sl_kafka_prop *p, **tail = &ps->cfg->kafka_props;

	if (!*name)
		return fail(ps, "librdkafka. needs a property name");
	while (*tail)
		tail = &(*tail)->next;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->name = strdup(name)) || !(p->value = strdup(v))) {
		if (p)
			free(p->name);
		free(p);
		return fail(ps, "out of memory");
	}
	p->lineno = ps->lineno;
	*tail = p;
	return 0;
}

static int parse_line(struct parser *ps, char *raw)
{
	char *line, *eq, *key, *value;
	size_t i;

	strip_comment(raw);
	line = trim(raw);
	if (!*line)
		return 0;
	if (*line == '[')
		return parse_section(ps, line);
	eq = strchr(line, '=');
	if (!eq)
		return fail(ps, "expected 'key = value', '[section]' or a comment");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (!ps->keys)
		return fail(ps, "key '%s' before any [section]", key);
	if (!strcmp(ps->section, "kafka") && !strncmp(key, "librdkafka.", 11))
		return add_kafka_prop(ps, key + 11, value);
	for (i = 0; i < ps->nkeys; i++) {
		const struct key_def *def = &ps->keys[i];

		if (!strcmp(def->section, ps->section) &&
		    !strcmp(def->name, key))
			return set_value(ps, def, value);
	}
	return fail(ps, "unknown key '%s.%s'", ps->section, key);
}

struct sl_config *sl_config_new_defaults(void)
{
	struct sl_config *cfg = calloc(1, sizeof(*cfg));
	const char *bad;

	if (!cfg)
		return NULL;
	cfg->spool_rotate_bytes = 64u << 20;
	cfg->spool_fsync_ms = -1;
	cfg->spool_max_bytes = 4ull << 30;
	cfg->spool_min_free = 256u << 20;
	cfg->ack = SL_ACK_QUEUE;
	cfg->delivery_wait_ms = 5000;
	cfg->shutdown_flush_ms = 5000;
	cfg->kafka_message_timeout_ms = 30000;
	cfg->kafka_queue_max_messages = 100000;
	cfg->max_body = 1048576;
	cfg->max_events = 1000;
	cfg->cors_max_age = 600;
	cfg->cookie_max_age = 365 * 24 * 3600;
	cfg->log_level = SL_LOG_INFO;
	if (!(cfg->spool_dir = strdup(SL_SPOOL_DIR)) ||
	    !(cfg->kafka_topic = strdup("events")) ||
	    !(cfg->kafka_bad_topic = strdup("events-bad")) ||
	    !(cfg->kafka_topic_pattern = strdup("clickstream-%s-log")) ||
	    !(cfg->kafka_compression = strdup("lz4")) ||
	    !(cfg->route_beacon_event = strdup("/e")) ||
	    !(cfg->route_beacon_pixel = strdup("/pixel")) ||
	    !(cfg->route_clickstream = strdup("/collect")) ||
	    !(cfg->route_health = strdup("/health")) ||
	    !(cfg->route_metrics = strdup("/metrics")) ||
	    !(cfg->route_raccoon = strdup("/api/v1/events")) ||
	    !(cfg->route_tracardi_track = strdup("/track")) ||
	    !(cfg->route_tracardi_collect =
		      strdup("/collect/{event-type}/{source-id}")) ||
	    !(cfg->route_reelevant = strdup("/collect/{datasource}/rlvt")) ||
	    !(cfg->route_segment = strdup("/v1/{type}")) ||
	    !(cfg->route_segment_metrics = strdup("/v1/m")) ||
	    !(cfg->route_snowplow_post =
		      strdup("/com.snowplowanalytics.snowplow/tp2")) ||
	    !(cfg->route_snowplow_get = strdup("/i")) ||
	    !(cfg->raccoon_conn_id_header = strdup("X-User-ID")) ||
	    !(cfg->beacon_event_type = strdup("beacon")) ||
	    sl_cidr_list_parse("127.0.0.1/32, ::1/128", &cfg->trusted_proxies,
			       &bad) ||
	    sl_cidr_list_parse("127.0.0.1/32, ::1/128", &cfg->status_from,
			       &bad)) {
		sl_config_destroy(cfg);
		return NULL;
	}
	return cfg;
}

/* Checks that need the whole file: keys that depend on each other. */
static int check_whole(struct parser *ps)
{
	const char *p = strstr(ps->cfg->kafka_topic_pattern, "%s");

	ps->lineno = 0;
	if (!p || strstr(p + 2, "%") || strchr(ps->cfg->kafka_topic_pattern, '%') != p) {
		snprintf(ps->err, ps->errlen,
			 "%s: kafka.topic_pattern must contain exactly one %%s and no other %%",
			 ps->file);
		return -EINVAL;
	}
	return 0;
}

/* Parse the configuration text in fp; name is what messages call it. */
static struct sl_config *load_stream(FILE *fp, const char *name, char *err,
				     size_t errlen)
{
	struct parser ps = { .file = name, .err = err, .errlen = errlen };
	char line[MAX_LINE + 2];
	int rc = 0;

	ps.cfg = sl_config_new_defaults();
	if (!ps.cfg) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	while (!rc && fgets(line, sizeof(line), fp)) {
		size_t len = strlen(line);

		ps.lineno++;
		if (len > MAX_LINE && line[len - 1] != '\n') {
			rc = fail(&ps, "line longer than %d bytes", MAX_LINE);
			break;
		}
		rc = parse_line(&ps, line);
	}
	if (!rc && ferror(fp)) {
		snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
		rc = -EIO;
	}
	if (!rc)
		rc = check_whole(&ps);
	if (!rc && !(ps.cfg->path = strdup(name)))
		rc = -ENOMEM;
	if (rc) {
		sl_config_destroy(ps.cfg);
		return NULL;
	}
	return ps.cfg;
}

struct sl_config *sl_config_load(const char *path, char *err, size_t errlen)
{
	struct sl_config *cfg;
	FILE *fp = fopen(path, "re");

	if (!fp) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	cfg = load_stream(fp, path, err, errlen);
	fclose(fp);
	return cfg;
}

struct sl_config *sl_config_parse(const char *text, size_t len,
				  const char *name, char *err, size_t errlen)
{
	struct sl_config *cfg;
	FILE *fp;

	if (!len) /* fmemopen() refuses an empty buffer */
		text = "", len = 1;
	fp = fmemopen((void *)text, len, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return NULL;
	}
	cfg = load_stream(fp, name, err, errlen);
	fclose(fp);
	return cfg;
}

/* Free what the key table's strings and lists at base own. */
static void release_keys(void *base, const struct key_def *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		void *slot = (char *)base + keys[i].offset;

		switch (keys[i].type) {
		case T_STR:
		case T_MOUNT:
		case T_TOPIC:
		case T_ORIGINS:
		case T_COOKIE:
			free(*(char **)slot);
			*(char **)slot = NULL;
			break;
		case T_CIDRS:
			sl_cidr_list_release(slot);
			break;
		default:
			break;
		}
	}
}

void sl_config_destroy(struct sl_config *cfg)
{
	struct sl_section *sec;
	struct sl_kafka_prop *prop;
	size_t kind;

	if (!cfg)
		return;
	for (kind = 0; kind < SL_SECTION_KINDS; kind++) {
		while ((sec = cfg->sections[kind])) {
			cfg->sections[kind] = sec->next;
			/* Several rows name the same field (topic): free it
			 * once, through the table, then the id. */
			release_keys(sec, section_keys, ARRAY_SIZE(section_keys));
			free(sec->id);
			free(sec);
		}
	}
	while ((prop = cfg->kafka_props)) {
		cfg->kafka_props = prop->next;
		free(prop->name);
		free(prop->value);
		free(prop);
	}
	release_keys(cfg, global_keys, ARRAY_SIZE(global_keys));
	free(cfg->path);
	free(cfg);
}

const struct sl_section *sl_config_section(const struct sl_config *cfg,
					   enum sl_section_kind kind,
					   const char *id, size_t len)
{
	const struct sl_section *sec;

	if (!id)
		return NULL;
	for (sec = cfg->sections[kind]; sec; sec = sec->next)
		if (strlen(sec->id) == len && !memcmp(sec->id, id, len))
			return sec;
	return NULL;
}
