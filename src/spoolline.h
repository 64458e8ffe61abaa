/* spoolline.h - a record as one line of a spool file, and back
 *
 * The spool's format (the README's "Spool"): one JSON object per line,
 * {"topic":…,"key":…|null,"headers":{…},"value":"…"}, where a header or
 * value that is not UTF-8 text is written as name_b64 in base64.
 */
#ifndef SL_SPOOLLINE_H
#define SL_SPOOLLINE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "record.h"

/*
 * Append rec as one spool line (the README's "Spool"):
 * {"topic":…,"key":…|null,"headers":{…},"value":"…"}\n
 * Returns 0 or -ENOMEM, when line is as it was.
 */
int sl_record_to_line(const struct sl_record *rec, struct sl_buf *line)
	__attribute__((warn_unused_result));

/*
 * The inverse, for the relay: decode the spool line of len bytes (no
 * newline needed) into rec. Its strings point into *tree, which the
 * caller frees with cJSON_Delete() after sl_record_release(), even on
 * failure. Returns 0, -EINVAL for a line that is not a record, -ENOMEM.
 */
int sl_record_from_line(const char *line, size_t len, cJSON **tree,
			struct sl_record *rec)
	__attribute__((warn_unused_result));

#endif /* SL_SPOOLLINE_H */
