/* core-bench.c - the core alone: requests through parse, validate,
 * enrich and encode into a null sink (SL_CORE_NULL_SINK: what a Kafka
 * sink does when Kafka takes every record), in-process, no web server,
 * no Kafka.
 *
 *   core-bench KIND N [spool]
 *        serve N requests of KIND, print
 *        "KIND EVENTS_PER_REQUEST N NS_PER_EVENT"; with "spool", also
 *        encode each record's spool line (the spool sink, CGI's path)
 *   core-bench body KIND
 *        print KIND's request body (to try it on a server)
 *   core-bench bots N
 *        N checks of the benchmark's user agents against the crawler
 *        list (http.bots), cycling through them: "bots 1 N NS_PER_CHECK"
 *
 * CORE_BENCH_CONFIG: more configuration lines (e.g. a [geoip] database).
 * KIND: pixel, event, collect1, collect10, raccoon10, track3,
 * raccoonjson10, segment10, snowplow10, and one event in each other
 * format: raccoon1, raccoonjson1, track1, tracardicollect, segment1,
 * snowplow1, snowplowget, reelevant. N = 0 only
 * sets up, so that a callgrind run of N minus one of 0 is the cost of N
 * requests.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../fuzz/harness.h"
#include "bots.h"
#include "buf.h"
#include "codec.h"
#include "core.h"
#include "proto.h"

/* One clickstream event of about 500 bytes. */
static void click_event(struct sl_buf *b, int i)
{
	sl_buf_printf(b, "{\"event_type\":\"view_item\",\"event_id\":\"bench-%08d\",\"timestamp\":1700000000000,\"app_id\":\"bench\",\"device_id\":\"dev-%d\",\"platform\":\"Web\",\"attributes\":{\"_page_url\":\"https://shop.example.com/items/1234567890\",\"_session_id\":\"sess-1\",\"item\":\"%0280d\",\"price\":12.5}}",
		      i, i, 0);
}

struct kind {
	const char *name;
	const char *base;	/* the body's maker: a name of make_body() */
	const char *method, *path, *query, *type;
	int events;
	struct sl_buf body;
};

static void make_body(struct kind *k)
{
	struct sl_buf ev = { 0 }, msg = { 0 };
	int i, rc = 0;

	if (!strcmp(k->base, "event")) {
		sl_buf_printf(&k->body, "{\"page\":\"/items/1234567890\",\"referrer\":\"https://search.example.com/?q=shoes\",\"screen\":\"1920x1080\",\"lang\":\"en-GB\",\"tv001\":\"111\",\"tv002\":\"123\",\"tv003\":\"web\",\"pad\":\"%0300d\"}", 0);
	} else if (!strcmp(k->base, "collect")) {
		rc |= sl_buf_puts(&k->body, "[");
		for (i = 0; i < k->events; i++) {
			if (i)
				rc |= sl_buf_puts(&k->body, ",");
			click_event(&k->body, i);
		}
		rc |= sl_buf_puts(&k->body, "]");
	} else if (!strcmp(k->base, "raccoon")) {
		sl_pb_put_bytes(&k->body, 1, "bench-guid", 10);
		for (i = 0; i < k->events; i++) {
			sl_buf_reset(&ev);
			click_event(&ev, i);
			sl_buf_reset(&msg);
			sl_pb_put_bytes(&msg, 1, ev.data, ev.len);
			sl_pb_put_bytes(&msg, 2, "view_item", 9);
			sl_pb_put_bytes(&k->body, 3, msg.data, msg.len);
		}
	} else if (!strcmp(k->base, "raccoonjson")) {
		/* The same events as raccoon10, as Raccoon's JSON
		 * SendEventRequest carries them: eventBytes in base64. */
		rc |= sl_buf_puts(&k->body, "{\"req_guid\":\"bench-guid\",\"sent_time\":{\"seconds\":1700000000,\"nanos\":0},\"events\":[");
		for (i = 0; i < k->events; i++) {
			sl_buf_reset(&ev);
			click_event(&ev, i);
			sl_buf_reset(&msg);
			rc |= sl_base64_encode(ev.data, ev.len, &msg);
			sl_buf_printf(&k->body, "%s{\"eventBytes\":\"%s\",\"type\":\"view_item\"}",
				      i ? "," : "", msg.data);
		}
		rc |= sl_buf_puts(&k->body, "]}");
	} else if (!strcmp(k->base, "segment")) {
		/* analytics.js's batch: ten track calls of ~500 bytes. */
		rc |= sl_buf_puts(&k->body, "{\"writeKey\":\"wk\",\"sentAt\":\"2024-05-01T12:00:00.000Z\",\"batch\":[");
		for (i = 0; i < k->events; i++)
			sl_buf_printf(&k->body, "%s{\"type\":\"track\",\"event\":\"Product Viewed\",\"messageId\":\"ajs-next-%08d\",\"anonymousId\":\"anon-1\",\"timestamp\":\"2024-05-01T12:00:00.000Z\",\"context\":{\"page\":{\"url\":\"https://shop.example.com/items/1234567890\"},\"locale\":\"en-GB\"},\"properties\":{\"item\":\"%0200d\",\"price\":12.5}}",
				      i ? "," : "", i, 0);
		rc |= sl_buf_puts(&k->body, "]}");
	} else if (!strcmp(k->base, "snowplow")) {
		/* The JavaScript tracker's POST: ten page pings of ~500 bytes. */
		rc |= sl_buf_puts(&k->body, "{\"schema\":\"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4\",\"data\":[");
		for (i = 0; i < k->events; i++)
			sl_buf_printf(&k->body, "%s{\"e\":\"pv\",\"p\":\"web\",\"tv\":\"js-3.23.0\",\"aid\":\"shop\",\"eid\":\"0b6e9e6c-7a52-4f1e-9f3b-%012d\",\"dtm\":\"1700000000000\",\"stm\":\"1700000000100\",\"duid\":\"d-1\",\"sid\":\"s-1\",\"url\":\"https://shop.example.com/items/1234567890\",\"page\":\"Item\",\"lang\":\"en-GB\",\"res\":\"1920x1080\",\"pad\":\"%0180d\"}",
				      i ? "," : "", i, 0);
		rc |= sl_buf_puts(&k->body, "]}");
	} else if (!strcmp(k->base, "track")) {
		rc |= sl_buf_puts(&k->body, "{\"source\":{\"id\":\"source-id\"},\"session\":{\"id\":\"sess-1\"},\"profile\":{\"id\":\"prof-1\"},\"context\":{\"page\":{\"url\":\"https://shop.example.com/items/1\"}},\"events\":[");
		for (i = 0; i < k->events; i++)
			sl_buf_printf(&k->body, "%s{\"type\":\"page-view\",\"properties\":{\"n\":%d,\"pad\":\"%0300d\"}}",
				      i ? "," : "", i, 0);
		rc |= sl_buf_puts(&k->body, "]}");
	} else if (!strcmp(k->base, "segmenttrack")) {
		/* analytics.js's single call: one track of ~500 bytes. */
		sl_buf_printf(&k->body, "{\"writeKey\":\"wk\",\"sentAt\":\"2024-05-01T12:00:00.000Z\",\"type\":\"track\",\"event\":\"Product Viewed\",\"messageId\":\"ajs-next-%08d\",\"anonymousId\":\"anon-1\",\"timestamp\":\"2024-05-01T12:00:00.000Z\",\"context\":{\"page\":{\"url\":\"https://shop.example.com/items/1234567890\"},\"locale\":\"en-GB\"},\"properties\":{\"item\":\"%0200d\",\"price\":12.5}}",
			      0, 0);
	} else if (!strcmp(k->base, "reelevant")) {
		/* The Reelevant tag's event, padded to ~500 bytes. */
		sl_buf_printf(&k->body, "{\"key\":\"61a095fdd8d2e20011544831\",\"tmpId\":\"ckz2q\",\"eventId\":\"ckz89\",\"name\":\"product_page\",\"url\":\"https://shop.example.com/p/42?utm_source=x\",\"data\":{\"ids\":[\"42\"],\"value\":19.9,\"pad\":\"%0300d\"},\"v\":1,\"timestamp\":1700000000}",
			      0);
	} else if (!strcmp(k->base, "tracardicollect")) {
		/* A Tracardi /collect event: its properties, ~500 bytes. */
		sl_buf_printf(&k->body, "{\"page\":\"/items/1234567890\",\"referrer\":\"https://search.example.com/?q=shoes\",\"voucher\":\"SUMMER-42\",\"pad\":\"%0400d\"}",
			      0);
	}
	sl_buf_release(&ev);
	sl_buf_release(&msg);
	if (rc) {
		fprintf(stderr, "core-bench: out of memory making the bodies\n");
		exit(1);
	}
}

static struct kind kinds[] = {
	{ "pixel", "pixel", "GET", "/pixel",
	  "tv001=111&tv002=123&tv003=mobile&page=%2Fitems%2F1234567890", NULL, 1,
	  { 0 } },
	{ "event", "event", "POST", "/e", NULL, "text/plain;charset=UTF-8", 1,
	  { 0 } },
	{ "collect1", "collect", "POST", "/collect",
	  "appId=test_release&platform=Web", "application/json", 1, { 0 } },
	{ "collect10", "collect", "POST", "/collect",
	  "appId=test_release&platform=Web", "application/json", 10, { 0 } },
	{ "raccoon10", "raccoon", "POST", "/api/v1/events", NULL,
	  "application/protobuf", 10, { 0 } },
	{ "track3", "track", "POST", "/track", NULL, "application/json", 3,
	  { 0 } },
	{ "raccoonjson10", "raccoonjson", "POST", "/api/v1/events", NULL,
	  "application/json", 10, { 0 } },
	{ "segment10", "segment", "POST", "/v1/batch", NULL, "application/json",
	  10, { 0 } },
	{ "snowplow10", "snowplow", "POST",
	  "/com.snowplowanalytics.snowplow/tp2", NULL,
	  "application/json; charset=UTF-8", 10, { 0 } },
	/* One event a request, in each format (the target for a single
	 * event holds for any of them). */
	{ "raccoon1", "raccoon", "POST", "/api/v1/events", NULL,
	  "application/protobuf", 1, { 0 } },
	{ "raccoonjson1", "raccoonjson", "POST", "/api/v1/events", NULL,
	  "application/json", 1, { 0 } },
	{ "track1", "track", "POST", "/track", NULL, "application/json", 1,
	  { 0 } },
	{ "tracardicollect", "tracardicollect", "POST",
	  "/collect/page-view/source-id", NULL, "application/json", 1, { 0 } },
	{ "segment1", "segmenttrack", "POST", "/v1/track", NULL,
	  "application/json", 1, { 0 } },
	{ "snowplow1", "snowplow", "POST",
	  "/com.snowplowanalytics.snowplow/tp2", NULL,
	  "application/json; charset=UTF-8", 1, { 0 } },
	{ "snowplowget", "pixel", "GET", "/i",
	  "e=pv&p=web&tv=js-3.23.0&aid=shop&eid=0b6e9e6c-7a52-4f1e-9f3b-000000000000&dtm=1700000000000&stm=1700000000100&duid=d-1&sid=s-1&url=https%3A%2F%2Fshop.example.com%2Fitems%2F1234567890&page=Item&lang=en-GB&res=1920x1080",
	  NULL, 1, { 0 } },
	{ "reelevant", "reelevant", "POST", "/collect/my-datasource/rlvt", NULL,
	  "application/json", 1, { 0 } },
};

/* The user agents of the benchmark's clients: browsers, a crawler, an
 * SDK, a tool. */
static const char *const user_agents[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"analytics-node-next/latest",
	"curl/7.88.1",
	"Mozilla/5.0 (X11; Linux x86_64)",
};

static int bench_bots(long n)
{
	char err[256], match[64];
	struct sl_bots *b = sl_bots_load(SL_BOTS_DEFAULT_FILE, 0, NULL, err,
					 sizeof(err));
	size_t nua = sizeof(user_agents) / sizeof(user_agents[0]);
	struct timespec t0, t1;
	long i, hits = 0;

	if (!b) {
		fprintf(stderr, "core-bench: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		hits += sl_bots_match(b, user_agents[i % nua], match, sizeof(match));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("bots 1 %ld %.0f\n", n, n ? ((t1.tv_sec - t0.tv_sec) * 1e9 +
		(t1.tv_nsec - t0.tv_nsec)) / (double)n : 0.0);
	/* One crawler in eight user agents. */
	if (n >= (long)nua && hits != n / (long)nua + (n % (long)nua > 4)) {
		fprintf(stderr, "core-bench: %ld crawlers in %ld checks\n", hits, n);
		sl_bots_free(b);
		return 1;
	}
	sl_bots_free(b);
	return 0;
}

int main(int argc, char **argv)
{
	struct kind *k = NULL;
	struct fuzz_params params;
	struct timespec t0, t1;
	long n, i;
	double ns;
	size_t j;

	if (argc == 3 && !strcmp(argv[1], "bots"))
		return bench_bots(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "body")) {
		for (j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
			if (!strcmp(argv[2], kinds[j].name)) {
				make_body(&kinds[j]);
				fwrite(kinds[j].body.data, 1, kinds[j].body.len,
				       stdout);
				sl_buf_release(&kinds[j].body);
				return 0;
			}
		return 2;
	}
	if (getenv("CORE_BENCH_CONFIG"))
		fuzz_config_extra = getenv("CORE_BENCH_CONFIG");
	for (j = 0; (argc == 3 || argc == 4) &&
		    j < sizeof(kinds) / sizeof(kinds[0]); j++)
		if (!strcmp(argv[1], kinds[j].name))
			k = &kinds[j];
	if (!k || (argc == 4 && strcmp(argv[3], "spool"))) {
		fprintf(stderr, "usage: core-bench KIND N [spool] (KIND: pixel, event, collect1, collect10, raccoon10, track3,\n"
				"         raccoonjson10, segment10, snowplow10, raccoon1, raccoonjson1, track1,\n"
				"         tracardicollect, segment1, snowplow1, snowplowget, reelevant)\n"
				"       core-bench body KIND\n"
				"       core-bench bots N\n");
		return 2;
	}
	fuzz_core_flags = argc == 4 ? SL_CORE_DISCARD_SPOOL : SL_CORE_NULL_SINK;
	n = atol(argv[2]);
	make_body(k);
	fuzz_core();
	/* The request's variables are made once, CONTENT_LENGTH included,
	 * and handed over as they are (libfcgi's envp): building them is
	 * the benchmark's work, not the core's. */
	fuzz_simple_params(&params, k->method, k->path, k->query, k->type);
	fuzz_params_length(&params, k->body.len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		fuzz_request_ready(params.list, (const uint8_t *)k->body.data,
				   k->body.len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	printf("%s %d %ld %.0f\n", k->name, k->events, n,
	       n ? ns / ((double)n * k->events) : 0.0);
	sl_buf_release(&k->body);
	return 0;
}
