/* fuzz-config.c - the INI configuration parser
 *
 * Any text either loads, and then builds a route table, or is refused
 * with a message that names the file.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "route.h"

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_config *cfg;
	struct sl_routes rt;
	char err[512] = "";

	cfg = sl_config_parse((const char *)data, size, "fuzz.conf", err,
			      sizeof(err));
	if (!cfg) {
		if (strncmp(err, "fuzz.conf", 9) != 0)
			abort();	/* a refusal that does not say where */
		return 0;
	}
	if (sl_routes_build(&rt, cfg) == 0)
		sl_routes_release(&rt);
	sl_config_destroy(cfg);
	return 0;
}
