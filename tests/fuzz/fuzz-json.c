/* fuzz-json.c - the single-pass scanner against the tree parser
 *
 * Input: any bytes. Whatever json.c calls plain must be accepted by
 * sl_json_parse() (the slow road, which checks the same limits), and the
 * compact text the fast road writes into records must parse to the same
 * tree: a plain body never changes meaning on the fast road.
 */
#include "config.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "codec.h"
#include "json.h"
#include "validate.h"

/* libFuzzer calls this; declared here, as no header of ours does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_buf text = { 0 }, out = { 0 };
	struct sl_json j = { 0 };
	cJSON *tree = NULL, *again = NULL;
	const char *why;

	/* The slow road wants a NUL after the text, as a body has. */
	if (sl_buf_append(&text, data, size))
		goto out;
	if (!size || !sl_utf8_is_valid(text.data, size) ||
	    sl_json_scan(&j, text.data, size) != 1)
		goto out;
	tree = sl_json_parse(text.data, size, &why);
	if (!tree)
		abort();	/* plain, yet the tree parser refuses it */
	if (sl_json_put_compact(&j, &j.tok[0], &out))
		goto out;
	again = cJSON_ParseWithLength(out.data, out.len);
	if (!again || !cJSON_Compare(tree, again, 1))
		abort();	/* the record's copy means something else */
out:
	cJSON_Delete(tree);
	cJSON_Delete(again);
	sl_json_release(&j);
	sl_buf_release(&text);
	sl_buf_release(&out);
	return 0;
}
