/* json.h - one strict pass over a JSON text, no tree
 *
 * The scanner checks a JSON text and records where each value lies, as a
 * flat array of tokens: no allocation per value, no copy of any string.
 * It accepts only the plainest JSON, whose bytes can go into a record as
 * they are: the grammar of RFC 8259 and nothing looser, no whitespace but
 * space, tab, CR and LF, no control character in a string, no \u escape
 * of NUL or of a surrogate, no number that is negative zero, has an
 * exponent or more than 15 digits, no object naming a member twice or
 * naming one with an escape, nesting at most SL_MAX_DEPTH deep. Anything
 * else is "not plain", which is not an error: the caller then takes the
 * slow road (sl_json_parse() and a tree), which accepts or refuses it
 * with a reason exactly as before. The text must be valid UTF-8 already.
 */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum sl_jtype {
	SL_J_OBJECT,
	SL_J_ARRAY,
	SL_J_STRING,
	SL_J_NUMBER,
	SL_J_TRUE,
	SL_J_FALSE,
	SL_J_NULL,
};

/* One value (or member name) of the text. */
struct sl_jtok {
	uint8_t type;		/* enum sl_jtype */
	bool escaped;		/* a string holding a backslash */
	uint32_t start;		/* offset: strings after the quote, containers
				 * at the bracket, others at their first byte */
	uint32_t len;		/* bytes: strings without quotes, containers
				 * bracket to bracket */
	uint32_t count;		/* containers: members or elements */
	uint32_t next;		/* the token after this one and its contents */
};

/* The tokens of one text. Zero it before the first scan; it may be
 * scanned into again (the tokens are reused). */
struct sl_json {
	const char *text;
	struct sl_jtok *tok;
	size_t n, cap;
	bool spaced;		/* whitespace between tokens inside an
				 * element of the root */
	bool root_spaced;	/* ... between the root's own elements */
	bool flat_bad;		/* sl_json_flat_*: not a plain object */
};

/*
 * Scan len bytes of text (valid UTF-8) into j. An object's tokens are its
 * members' names each followed by its value; an array's, its elements.
 * Returns 1 when the text is plain JSON (j->tok[0] is the root), 0 when
 * it is not (malformed, or merely not plain: see above), -ENOMEM.
 */
int sl_json_scan(struct sl_json *j, const char *text, size_t len);

/*
 * The tokens sl_json_scan() would make of a flat object of strings that
 * another writer produces (the query as an object: sl_query_json()),
 * without scanning it: _begin, then _member for each member in order
 * (offsets and lengths of the strings' contents in the finished text,
 * and whether each holds an escape), then _end with the text. _end
 * returns 1, or 0 when the object is not plain (a name with an escape,
 * more members than a plain object has); _begin and _member return 0 or
 * -ENOMEM.
 */
int sl_json_flat_begin(struct sl_json *j)
	__attribute__((warn_unused_result));
int sl_json_flat_member(struct sl_json *j, size_t name_at, size_t name_len,
			bool name_escaped, size_t value_at, size_t value_len,
			bool value_escaped)
	__attribute__((warn_unused_result));
int sl_json_flat_end(struct sl_json *j, const char *text, size_t len);

/* The value of member name (a plain name) of object tok, or NULL. */
const struct sl_jtok *sl_json_member(const struct sl_json *j,
				     const struct sl_jtok *obj,
				     const char *name);

/* A member name with its length, for sl_json_members(). */
struct sl_json_name {
	const char *s;
	size_t len;
};
#define SL_JSON_NAME(lit) { lit, sizeof(lit) - 1 }

/* The values of n members of object obj in one walk of it: out[i] that
 * of names[i] (plain, non-empty names), or NULL. */
void sl_json_members(const struct sl_json *j, const struct sl_jtok *obj,
		     const struct sl_json_name *names, size_t n,
		     const struct sl_jtok **out);

/* True when tok is a string without escapes of 1 to max bytes. */
bool sl_json_is_plain_string(const struct sl_jtok *tok, size_t max);

/* A member's value v (NULL: absent) read as a fast road reads an id:
 * 1 when it is such a string (*out = v), 0 when absent or another value
 * (*out = NULL: what the tree road ignores or refuses), -1 for a string
 * with escapes (the tree road's to decode). */
int sl_json_plain_field(const struct sl_jtok *v, size_t max,
			const struct sl_jtok **out);

/*
 * tok as an integer: a number of digits alone (a minus sign allowed),
 * which the scanner keeps to 15 digits, so the value is exact. Returns
 * false for anything else (a fraction, a string).
 */
bool sl_json_int(const struct sl_json *j, const struct sl_jtok *tok,
		 int64_t *out);

/* Append the text of tok (a container or a scalar) to out, without the
 * whitespace between tokens. Returns 0 or -ENOMEM. */
int sl_json_put_compact(const struct sl_json *j, const struct sl_jtok *tok,
			struct sl_buf *out)
	__attribute__((warn_unused_result));

/* Append the text of string tok (NULL: none) and a NUL to strs, its
 * offset in *at (SIZE_MAX for none): a C string that stays put once strs
 * no longer grows. Returns 0 or -ENOMEM. */
int sl_json_keep(const struct sl_json *j, const struct sl_jtok *tok,
		 struct sl_buf *strs, size_t *at)
	__attribute__((warn_unused_result));

/* The value of string tok, its escapes decoded, appended to out. Returns
 * 0 or -ENOMEM. */
int sl_json_string_value(const struct sl_json *j, const struct sl_jtok *tok,
			 struct sl_buf *out)
	__attribute__((warn_unused_result));

/* tok's compact text, for reading only: the text's own bytes when it has
 * no blanks between tokens (no copy), else written into scratch (reset
 * first). Sets *text and *len; returns 0 or -ENOMEM. */
int sl_json_compact(const struct sl_json *j, const struct sl_jtok *tok,
		    struct sl_buf *scratch, const char **text, size_t *len)
	__attribute__((warn_unused_result));

/* Free the tokens. */
void sl_json_release(struct sl_json *j);

#endif /* SL_JSON_H */
