/* sluice.c - the sluice command: check-config, --version, --help */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bots.h"
#include "conf.h"
#include "core.h"
#include "geoip.h"
#include "kafka.h"
#include "log.h"
#include "relay.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sluice check-config [FILE]\n"
		"       sluice relay [--once] [FILE]\n"
		"       sluice --version\n"
		"       sluice --help\n"
		"\n"
		"check-config  read FILE (default: $SLUICE_CONFIG, then %s)\n"
		"              and exit 0, or print the line that is wrong and exit 1\n"
		"relay         ship the spool to Kafka: follow it until SIGTERM,\n"
		"              or with --once ship what is there and exit\n"
		"              (status 78 when kafka.brokers is empty: nothing to ship to)\n",
		sl_core_default_config());
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* FILE, else $SLUICE_CONFIG, else the compiled-in path. */
static const char *config_path(const char *path)
{
	if (!path)
		path = getenv("SLUICE_CONFIG");
	if (!path || !*path)
		path = sl_core_default_config();
	return path;
}

static int relay(bool once, const char *path)
{
	struct sl_config *cfg;
	struct sigaction sa;
	char err[512];
	int rc;

	path = config_path(path);
	cfg = sl_config_load(path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sl_log_set_level(cfg->log_level);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	rc = sl_relay_run(cfg, once, &stopping);
	sl_config_destroy(cfg);
	return rc;
}

static int check_config(const char *path)
{
	struct sl_config *cfg;
	char err[512];
	const struct sl_section *app;
	struct sl_bots *bots;
	struct sl_geoip *geoip;
	int apps = 0;

	path = config_path(path);
	cfg = sl_config_load(path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (sl_kafka_check_config(cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		sl_config_destroy(cfg);
		return 1;
	}
	/* The files the edge features read: the crawler list, GeoIP. */
	if (sl_core_open_edge(cfg, 0, &bots, &geoip, NULL, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		sl_config_destroy(cfg);
		return 1;
	}
	sl_bots_free(bots);
	sl_geoip_close(geoip);
	for (app = cfg->sections[SL_SECTION_APP]; app; app = app->next)
		apps++;
	printf("%s: ok (spool %s, %s, %d app(s))\n", path, cfg->spool_dir,
	       cfg->kafka_brokers && *cfg->kafka_brokers ?
	       "kafka brokers set" : "no kafka: spool only", apps);
	sl_config_destroy(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("sluice %s\n", PACKAGE_VERSION);
#ifdef SL_FAULT_INJECTION
		/* Never in a build for production: see src/fault.h. */
		printf("built with fault injection (SLUICE_FAULT)\n");
#endif
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && argc <= 3 && !strcmp(argv[1], "check-config"))
		return check_config(argc == 3 ? argv[2] : NULL);
	if (argc >= 2 && argc <= 4 && !strcmp(argv[1], "relay")) {
		bool once = argc >= 3 && !strcmp(argv[2], "--once");
		int rest = 2 + once;

		if (argc - rest <= 1)
			return relay(once, argc > rest ? argv[rest] : NULL);
	}
	usage(stderr);
	return 2;
}
