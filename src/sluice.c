/* sluice.c - the sluice command: check-config, --version, --help */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "core.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sluice check-config [FILE]\n"
		"       sluice --version\n"
		"       sluice --help\n"
		"\n"
		"check-config  read FILE (default: $SLUICE_CONFIG, then %s)\n"
		"              and exit 0, or print the line that is wrong and exit 1\n",
		sl_core_default_config());
}

static int check_config(const char *path)
{
	struct sl_config *cfg;
	char err[512];
	const struct sl_app *app;
	int apps = 0;

	if (!path)
		path = getenv("SLUICE_CONFIG");
	if (!path || !*path)
		path = sl_core_default_config();
	cfg = sl_config_load(path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (app = cfg->apps; app; app = app->next)
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
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && argc <= 3 && !strcmp(argv[1], "check-config"))
		return check_config(argc == 3 ? argv[2] : NULL);
	usage(stderr);
	return 2;
}
