/* bots-check.c - the crawler list as Sluice runs it against the rules as
 * uap-core writes them, on uap-core's own device test cases.
 *
 *   bots-check REGEXES.YAML TEST_DEVICE.YAML
 *
 * Sluice searches a rule that starts ^.{0,N} unanchored and skips the
 * long rule when no word of it is in the user agent (src/bots.c). Here
 * every Spider rule is compiled as written and tried in full: the two
 * must agree on every user agent (but the server libraries Sluice
 * exempts), with the list loaded whole, loaded lazily (SL_BOTS_LAZY,
 * as a CGI request loads it) and loaded from the rules file a lazy load
 * keeps. Prints the counts; exits 1 on any disagreement.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcre2.h>

#include "bots.h"

#define MAX_RULES 64

static pcre2_code *rules[MAX_RULES];
static size_t nrules;

/* A single-quoted YAML scalar after the quote, '' for a quote. */
static int unquote(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++) {
		if (*s == '\'') {
			if (s[1] != '\'') {
				out[n] = '\0';
				return 0;
			}
			s++;
		}
		out[n++] = *s;
	}
	return -1;
}

static int load_reference(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[8192], re[8192];
	int in_devices = 0, have = 0, caseless = 0;

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		const char *v;

		if (line[0] != ' ' && line[0] != '#' && line[0] != '\n') {
			in_devices = !strncmp(line, "device_parsers:", 15);
			continue;
		}
		if (!in_devices)
			continue;
		if ((v = strstr(line, "- regex: '"))) {
			have = !unquote(v + 10, re, sizeof(re));
			caseless = 0;
		} else if (strstr(line, "regex_flag: 'i'")) {
			caseless = 1;
		} else if (have && strstr(line, "device_replacement: 'Spider'")) {
			int code;
			PCRE2_SIZE off;

			if (nrules == MAX_RULES)
				return -1;
			rules[nrules] = pcre2_compile((PCRE2_SPTR)re,
						      PCRE2_ZERO_TERMINATED,
						      caseless ? PCRE2_CASELESS : 0,
						      &code, &off, NULL);
			if (!rules[nrules])
				return -1;
			nrules++;
			have = 0;
		}
	}
	fclose(fp);
	return nrules ? 0 : -1;
}

static int reference_match(const char *ua)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	size_t i;
	int hit = 0;

	for (i = 0; i < nrules && !hit; i++)
		hit = pcre2_match(rules[i], (PCRE2_SPTR)ua, strlen(ua), 0, 0,
				  md, NULL) >= 0;
	pcre2_match_data_free(md);
	return hit;
}

int main(int argc, char **argv)
{
	struct sl_bots *b, *lazy, *kept;
	char err[256], line[16384], ua[16384], match[64];
	char dir[] = "/tmp/bots-check.XXXXXX", file[64];
	struct stat st;
	unsigned long cases = 0, crawlers = 0, exempt = 0, differ = 0;
	FILE *fp;

	if (argc != 3) {
		fprintf(stderr, "usage: bots-check REGEXES.YAML TEST_DEVICE.YAML\n");
		return 2;
	}
	b = sl_bots_load(argv[1], 0, NULL, err, sizeof(err));
	lazy = b ? sl_bots_load(argv[1], SL_BOTS_LAZY, NULL, err,
				sizeof(err)) : NULL;
	/* Through a rules file: the first load writes it, the second
	 * reads the rules from it. */
	if (lazy && !mkdtemp(dir)) {
		perror("bots-check: mkdtemp");
		return 1;
	}
	kept = lazy ? sl_bots_load(argv[1], SL_BOTS_LAZY, dir, err,
				   sizeof(err)) : NULL;
	sl_bots_free(kept);
	snprintf(file, sizeof(file), "%s/bots.rules", dir);
	if (kept && stat(file, &st)) {
		fprintf(stderr, "bots-check: %s was not written\n", file);
		return 1;
	}
	kept = kept ? sl_bots_load(argv[1], SL_BOTS_LAZY, dir, err,
				   sizeof(err)) : NULL;
	unlink(file);
	rmdir(dir);
	if (!kept || load_reference(argv[1])) {
		fprintf(stderr, "bots-check: %s\n", kept ? "reference rules" : err);
		return 1;
	}
	fp = fopen(argv[2], "r");
	if (!fp) {
		perror(argv[2]);
		return 1;
	}
	while (fgets(line, sizeof(line), fp)) {
		const char *v = strstr(line, "user_agent_string: '");
		int ours, theirs;

		if (!v || unquote(v + 20, ua, sizeof(ua)))
			continue;
		cases++;
		if (sl_bots_exempt(ua)) {
			exempt++;
			continue;
		}
		ours = sl_bots_match(b, ua, match, sizeof(match));
		theirs = reference_match(ua);
		crawlers += ours;
		if (ours != theirs) {
			differ++;
			printf("differ (sluice %d, rules %d): %s\n", ours, theirs, ua);
		}
		ours = sl_bots_match(lazy, ua, match, sizeof(match));
		if (ours != theirs) {
			differ++;
			printf("differ (sluice lazily %d, rules %d): %s\n", ours,
			       theirs, ua);
		}
		ours = sl_bots_match(kept, ua, match, sizeof(match));
		if (ours != theirs) {
			differ++;
			printf("differ (sluice from bots.rules %d, rules %d): %s\n",
			       ours, theirs, ua);
		}
	}
	fclose(fp);
	printf("%lu user agents: %lu crawlers, %lu server libraries exempt, %lu differ\n",
	       cases, crawlers, exempt, differ);
	sl_bots_free(b);
	sl_bots_free(lazy);
	sl_bots_free(kept);
	return differ || !cases ? 1 : 0;
}
