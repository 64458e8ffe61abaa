/* fault.c - failures on demand (./configure --enable-fault-injection) */
#include "config.h"

#include "fault.h"

#ifdef SL_FAULT_INJECTION
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const site_names[SL_FAULT_SITES] = {
	[SL_FAULT_BATCH_ADD] = "batch_add",
	[SL_FAULT_SPOOL_LINE] = "spool_line",
	[SL_FAULT_PRODUCE] = "produce",
	[SL_FAULT_RELAY_SPILL] = "relay_spill",
};

/* The call at each site that fails (0: none), and the calls so far. */
static unsigned long armed[SL_FAULT_SITES];
static unsigned long calls[SL_FAULT_SITES];

/* Read SLUICE_FAULT once: "site:N[,site:N...]". Unknown names are
 * ignored, so a test cannot arm a site this build does not have. */
static void arm(void)
{
	const char *p = getenv("SLUICE_FAULT");
	size_t i;

	while (p && *p) {
		const char *colon = strchr(p, ':');

		if (!colon)
			break;
		for (i = 0; i < SL_FAULT_SITES; i++)
			if (strlen(site_names[i]) == (size_t)(colon - p) &&
			    !strncmp(p, site_names[i], (size_t)(colon - p)))
				armed[i] = strtoul(colon + 1, NULL, 10);
		p = strchr(colon, ',');
		p = p ? p + 1 : NULL;
	}
}

bool sl_fault(enum sl_fault_site site)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, arm);
	return armed[site] &&
	       __atomic_add_fetch(&calls[site], 1, __ATOMIC_RELAXED) ==
	       armed[site];
}
#endif
