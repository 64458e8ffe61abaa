/* conf.h - the INI configuration file (path from SLUICE_CONFIG) */
#ifndef SL_CONF_H
#define SL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "net.h"

/* When a client is answered: see the README, "Delivery". */
enum sl_ack_mode {
	SL_ACK_QUEUE,
	SL_ACK_KAFKA,
	SL_ACK_SPOOL,
};

/* The sections that name who may send, one per allowed id. */
enum sl_section_kind {
	SL_SECTION_APP,		/* [app ID]: a clickstream appId */
	SL_SECTION_SOURCE,	/* [source ID]: a Tracardi source */
	SL_SECTION_DATASOURCE,	/* [datasource ID]: a Reelevant datasource */
	SL_SECTION_WRITEKEY,	/* [writekey KEY]: a Segment write key */
	SL_SECTION_KINDS,
};

/* One [app ID], [source ID] or [datasource ID] section. The keys after
 * topic are [app]'s own (the key table allows them nowhere else). */
struct sl_section {
	char *id;
	char *topic;		/* NULL: kafka.topic */
	char *token;		/* NULL: no token required */
	char *token_cookie;	/* cookie carrying the token */
	bool verify_hash;	/* reject a hashCode that does not match */
	bool topic_by_type;	/* topic from kafka.topic_pattern */
	struct sl_section *next;
};

/* One librdkafka.<prop> = value line, passed through to the producer. */
struct sl_kafka_prop {
	char *name;
	char *value;
	unsigned int lineno;
	struct sl_kafka_prop *next;
};

/* The whole configuration. Every string is owned by the struct. */
struct sl_config {
	char *path;			/* file it was read from */

	/* [spool] */
	char *spool_dir;
	uint64_t spool_rotate_bytes;	/* close a spool file past this size */
	int spool_fsync_ms;		/* -1 never, 0 every append, N: every N ms */
	uint64_t spool_max_bytes;	/* high watermark: 503 past it */
	uint64_t spool_min_free;	/* ... or below this much free disk */

	/* [delivery] */
	enum sl_ack_mode ack;
	unsigned int delivery_wait_ms;	/* ack = kafka: longest wait */
	unsigned int shutdown_flush_ms;	/* flush deadline at SIGTERM */

	/* [kafka] */
	char *kafka_brokers;		/* NULL or "": spool only */
	char *kafka_topic;
	char *kafka_bad_topic;
	char *kafka_topic_pattern;
	struct sl_kafka_prop *kafka_props;
	char *kafka_compression;
	unsigned int kafka_message_timeout_ms;
	unsigned int kafka_queue_max_messages;

	/* [http] */
	size_t max_body;		/* bytes, before and after gunzip */
	unsigned int max_events;	/* events in one request */
	struct sl_cidr_list trusted_proxies;
	char *cors_origins;		/* comma-separated origins or NULL */
	unsigned int cors_max_age;	/* seconds a preflight is cached */
	struct sl_cidr_list status_from;	/* who may read /health, /metrics */
	char *client_ip_header;		/* e.g. CF-Connecting-IP, or NULL */
	bool anonymize_ip;		/* zero the host part before storing */
	enum sl_privacy {
		SL_PRIVACY_RECORD,	/* DNT/GPC change nothing */
		SL_PRIVACY_ANONYMIZE,	/* ... anonymise the address */
		SL_PRIVACY_DROP,	/* ... do not record the events */
	} do_not_track;
	struct sl_cidr_list ignore_from;	/* events not recorded */
	enum sl_bots_mode {
		SL_BOTS_TAG,		/* "bot":true in the envelope */
		SL_BOTS_DROP,		/* not recorded, counted */
		SL_BOTS_OFF,		/* no crawler list */
	} bots;
	char *bots_file;		/* NULL: uap-core's regexes.yaml */

	/* [limits]: events per second and burst, 0: no limit */
	double limit_per_ip;
	double limit_per_source;
	unsigned int limit_burst;	/* 0: the rate of one second */

	/* [geoip] */
	char *geoip_database;		/* NULL: no lookups */

	/* [cookie]: the first-party network id */
	char *cookie_name;		/* NULL: no cookie */
	char *cookie_domain;		/* NULL: the host's own */
	unsigned int cookie_max_age;	/* seconds */

	/* [log] */
	enum sl_log_level log_level;

	/* [routes]: mount paths */
	char *route_beacon_event;
	char *route_beacon_pixel;
	char *route_clickstream;
	char *route_health;		/* NULL: off */
	char *route_metrics;		/* NULL: off */
	char *route_raccoon;
	char *route_tracardi_track;
	char *route_tracardi_collect;	/* two {segments}: type, source */
	char *route_reelevant;		/* one {segment}: datasource */
	char *route_segment;		/* one {segment}: the call type */
	char *route_segment_metrics;	/* analytics.js's usage counters */
	char *route_snowplow_post;	/* tp2 payload_data */
	char *route_snowplow_get;	/* one event in the query */

	/* [raccoon] */
	bool raccoon_envelope;		/* false: raw records (event_bytes) */
	char *raccoon_conn_id_header;	/* e.g. X-User-ID, or NULL */
	char *raccoon_conn_group_header;

	/* [beacon] */
	char *beacon_event_type;
	char *beacon_topic;		/* NULL: kafka.topic */

	struct sl_section *sections[SL_SECTION_KINDS];
};

/*
 * Read the file at path into a new configuration. On failure returns NULL
 * and writes one line to err, "FILE:LINE: what is wrong" (or "FILE: why it
 * cannot be read"). The caller frees the result with sl_config_destroy().
 */
struct sl_config *sl_config_load(const char *path, char *err, size_t errlen);

/* The same from len bytes of text in memory; name stands for the file in
 * messages. For tools and the fuzzer. */
struct sl_config *sl_config_parse(const char *text, size_t len,
				  const char *name, char *err, size_t errlen);

/* A configuration with every default and no apps, for tests and tools. */
struct sl_config *sl_config_new_defaults(void);

/* Free cfg and everything it owns. NULL is allowed. */
void sl_config_destroy(struct sl_config *cfg);

/*
 * The section of kind for the id of len bytes (not NUL-terminated: a
 * path segment will do), or NULL when that id may not send.
 */
const struct sl_section *sl_config_section(const struct sl_config *cfg,
					   enum sl_section_kind kind,
					   const char *id, size_t len);

#endif /* SL_CONF_H */
