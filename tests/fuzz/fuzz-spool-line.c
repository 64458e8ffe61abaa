/* fuzz-spool-line.c - the relay's reading of spool lines
 *
 * Any line is either refused or decoded into a record; a decoded record
 * encoded again must decode to the same topic, key, headers and value,
 * so that a record survives any number of trips through the spool.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "spoolline.h"

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_record rec, again;
	struct sl_buf line = { 0 };
	cJSON *tree = NULL, *tree2 = NULL;

	if (sl_record_from_line((const char *)data, size, &tree, &rec) == 0 &&
	    sl_record_to_line(&rec, &line) == 0) {
		if (sl_record_from_line(line.data, line.len, &tree2, &again))
			abort();	/* our own line does not read back */
		if (!same(rec.topic, again.topic) || !same(rec.key, again.key) ||
		    rec.nheaders != again.nheaders ||
		    rec.value.len != again.value.len ||
		    (rec.value.len && memcmp(rec.value.data, again.value.data,
					     rec.value.len)))
			abort();	/* the trip changed the record */
		for (size_t i = 0; i < rec.nheaders; i++)
			if (!same(rec.headers[i].name, again.headers[i].name) ||
			    !same(rec.headers[i].value, again.headers[i].value))
				abort();	/* ... or a header */
		sl_record_release(&again);
	}
	sl_record_release(&rec);
	cJSON_Delete(tree);
	cJSON_Delete(tree2);
	sl_buf_release(&line);
	return 0;
}
