/* validate.h - limits and types that hold for every wire format */
#ifndef SL_VALIDATE_H
#define SL_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "conf.h"

/* JSON nesting allowed in any body (PROTOCOLS.md: at most 64). */
#define SL_MAX_DEPTH 64

/* Longest event id or event type, in bytes. */
#define SL_MAX_ID_LEN 256

/* Longest id of an [app], [source] or [datasource] section, in bytes. */
#define SL_MAX_SECTION_ID 128

/* Longest legal Kafka topic name. */
#define SL_TOPIC_MAX 249

/* Integers a JSON number carries exactly: within +-2^53. */
#define SL_JSON_MAX_INT 9007199254740992.0

/*
 * True when the len bytes at s are a legal id for a section of kind: 1 to SL_MAX_SECTION_ID bytes of letters, digits,
 * '_' and '-', and for apps and sources also '.' and ':'. Reelevant puts
 * its datasource in the path, where '.' and ':' are not allowed. The
 * configuration and the adapters use this one rule.
 */
bool sl_section_id_is_valid(enum sl_section_kind kind, const char *s,
			    size_t len);

/* Kafka's legal topic names: 1 to SL_TOPIC_MAX of [A-Za-z0-9._-], not "."
 * or "..". */
bool sl_topic_is_legal(const char *t);

/*
 * Parse a JSON document of len bytes (text must be followed by a NUL
 * byte, as struct sl_buf guarantees). Checks before parsing that it is
 * valid UTF-8 with no NUL byte, that no string holds an escaped NUL
 * (\u0000), and that arrays and objects nest at most SL_MAX_DEPTH deep;
 * after parsing that no number overflowed (1e400) and no object names a
 * member twice (which of the two
 * counts would be a guess, and consumers of the record might guess
 * differently).
 * Returns the tree (free with cJSON_Delete) or NULL with *why set to a
 * static one-line reason.
 */
cJSON *sl_json_parse(const char *text, size_t len, const char **why);

/*
 * The string member name of obj. Returns 0 and sets *out (borrowed from
 * obj, NULL when absent and !required); -ENOENT when required and absent;
 * -EINVAL when present but not a string, empty, or longer than max bytes.
 */
int sl_json_get_string(const cJSON *obj, const char *name, bool required,
		       size_t max, const char **out);

/*
 * The member name of obj as an integer: a JSON number with no fraction
 * within +-2^53. Returns 0 with *out set, -ENOENT when absent, -EINVAL
 * otherwise (1e400, 1.5, "12").
 */
int sl_json_get_int(const cJSON *obj, const char *name, int64_t *out);

#endif /* SL_VALIDATE_H */
