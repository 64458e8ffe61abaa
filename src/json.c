/* json.c - one strict pass over a JSON text, no tree */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "validate.h"

/* Members an object may have for the duplicate check done here; an
 * object with more is not plain (the tree parser checks it). */
#define MAX_PLAIN_MEMBERS 32

/* Digits a plain number may have: up to 15, every integer is exact in a
 * double and every fraction reads back as the same double. */
#define MAX_PLAIN_DIGITS 15

struct scan {
	struct sl_json *j;
	const char *p, *end;
	int depth;
};

enum { NOT_PLAIN = 0, PLAIN = 1 };

static int value(struct scan *s);

/*
 * The token array of the last scan released, kept for the next scan
 * (requests are served one at a time by a thread): a request allocates
 * none. One of over SPARE_MAX tokens is freed instead.
 */
#define SPARE_MAX 65536
static __thread struct sl_jtok *spare;
static __thread size_t spare_cap;

/* Make room for at least want tokens. Returns 0 or -ENOMEM. */
static int grow(struct sl_json *j, size_t want)
{
	size_t cap = j->cap ? j->cap : 64;
	struct sl_jtok *t;

	if (!j->tok && spare) {
		j->tok = spare;
		j->cap = spare_cap;
		spare = NULL;
		if (j->cap >= want)
			return 0;
		cap = j->cap;
	}
	while (cap < want)
		cap *= 2;
	t = realloc(j->tok, cap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	j->tok = t;
	j->cap = cap;
	return 0;
}

/* A new token at index *at. Returns 0 or -ENOMEM. */
static inline int push(struct scan *s, enum sl_jtype type, const char *start,
		       size_t *at)
{
	struct sl_json *j = s->j;
	struct sl_jtok *t;

	if (j->n == j->cap && grow(j, j->n + 1))
		return -ENOMEM;
	*at = j->n++;
	t = &j->tok[*at];
	t->type = (uint8_t)type;
	t->escaped = false;
	t->start = (uint32_t)(start - j->text);
	t->len = 0;
	t->count = 0;
	t->next = (uint32_t)j->n;
	return 0;
}

static void skip_blanks(struct scan *s)
{
	const char *p = s->p;

	while (p < s->end &&
	       (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	if (p != s->p && s->depth >= 2)
		s->j->spaced = true;	/* inside an element of the root */
	else if (p != s->p && s->depth == 1)
		s->j->root_spaced = true;
	s->p = p;
}

/* Most tokens are not followed by a blank: say so without a call. */
static inline void blanks(struct scan *s)
{
	if (s->p < s->end && (unsigned char)*s->p > ' ')
		return;
	skip_blanks(s);
}

static int hex4(const char *p, unsigned int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int string(struct scan *s)
{
	const char *p = s->p + 1;
	unsigned int u;
	size_t at;
	int rc = push(s, SL_J_STRING, p, &at);

	if (rc)
		return rc;
	for (;;) {
		p += sl_json_plain_span_short(p, (size_t)(s->end - p));
		if (p >= s->end || (unsigned char)*p < 0x20)
			return NOT_PLAIN;
		if (*p == '"')
			break;
		/* A backslash. */
		s->j->tok[at].escaped = true;
		if (p + 1 >= s->end)
			return NOT_PLAIN;
		if (strchr("\"\\/bfnrt", p[1]) && p[1]) {
			p += 2;
			continue;
		}
		if (p[1] != 'u' || s->end - p < 6 || hex4(p + 2, &u) ||
		    u == 0 || (u >= 0xd800 && u <= 0xdfff))
			return NOT_PLAIN;
		p += 6;
	}
	s->j->tok[at].len = (uint32_t)(p - (s->j->text + s->j->tok[at].start));
	s->p = p + 1;
	return PLAIN;
}

static int number(struct scan *s)
{
	const char *p = s->p;
	size_t at, digits = 0;
	int rc;

	if (*p == '-') {
		p++;
		if (p < s->end && *p == '0')
			return NOT_PLAIN;	/* negative zero, or -0.5 */
	}
	if (p >= s->end || *p < '0' || *p > '9')
		return NOT_PLAIN;
	if (*p == '0') {
		p++;
		digits++;
	} else {
		while (p < s->end && *p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	if (p < s->end && *p == '.') {
		p++;
		if (p >= s->end || *p < '0' || *p > '9')
			return NOT_PLAIN;
		while (p < s->end && *p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	if (digits > MAX_PLAIN_DIGITS ||
	    (p < s->end && (*p == 'e' || *p == 'E')))
		return NOT_PLAIN;
	rc = push(s, SL_J_NUMBER, s->p, &at);
	if (rc)
		return rc;
	s->j->tok[at].len = (uint32_t)(p - s->p);
	s->p = p;
	return PLAIN;
}

static int literal(struct scan *s, const char *word, enum sl_jtype type)
{
	size_t n = strlen(word), at;
	int rc;

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return NOT_PLAIN;
	rc = push(s, type, s->p, &at);
	if (rc)
		return rc;
	s->j->tok[at].len = (uint32_t)n;
	s->p += n;
	return PLAIN;
}

/* No two members of the object at index obj share a name. A 64-bit
 * mask of the names' lengths and first bytes seen so far spares the
 * compares for a name unlike all before it, as most are. */
static bool names_unique(const struct sl_json *j, size_t obj)
{
	const struct sl_jtok *t = j->tok, *names[MAX_PLAIN_MEMBERS];
	size_t i = obj + 1, k, m;
	uint64_t seen = 0, bit;

	for (k = 0; k < t[obj].count; k++) {
		const char *name = j->text + t[i].start;

		names[k] = &t[i];
		bit = (uint64_t)1 << ((t[i].len * 7 +
				       (t[i].len ? (unsigned char)*name : 0)) & 63);
		if (seen & bit) {
			for (m = 0; m < k; m++)
				if (names[m]->len == t[i].len &&
				    (!t[i].len ||
				     j->text[names[m]->start] == *name) &&
				    !memcmp(j->text + names[m]->start, name,
					    t[i].len))
					return false;
		}
		seen |= bit;
		i = t[i + 1].next;
	}
	return true;
}

/* An object or array; s->p is at its opening bracket. */
static int container(struct scan *s, enum sl_jtype type)
{
	char close = type == SL_J_OBJECT ? '}' : ']';
	size_t at, key;
	int rc;

	if (++s->depth > SL_MAX_DEPTH)
		return NOT_PLAIN;
	rc = push(s, type, s->p, &at);
	if (rc)
		return rc;
	s->p++;
	blanks(s);
	if (s->p < s->end && *s->p == close)
		goto out_close;
	for (;;) {
		if (type == SL_J_OBJECT) {
			if (s->p >= s->end || *s->p != '"')
				return NOT_PLAIN;
			key = s->j->n;
			rc = string(s);
			if (rc != PLAIN)
				return rc;
			if (s->j->tok[key].escaped ||
			    s->j->tok[at].count == MAX_PLAIN_MEMBERS)
				return NOT_PLAIN;
			blanks(s);
			if (s->p >= s->end || *s->p != ':')
				return NOT_PLAIN;
			s->p++;
			blanks(s);
		}
		rc = value(s);
		if (rc != PLAIN)
			return rc;
		s->j->tok[at].count++;
		blanks(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			blanks(s);
			continue;
		}
		if (s->p < s->end && *s->p == close)
			break;
		return NOT_PLAIN;
	}
	if (type == SL_J_OBJECT && !names_unique(s->j, at))
		return NOT_PLAIN;
out_close:
	s->p++;
	s->j->tok[at].len = (uint32_t)(s->p - (s->j->text + s->j->tok[at].start));
	s->j->tok[at].next = (uint32_t)s->j->n;
	s->depth--;
	return PLAIN;
}

static int value(struct scan *s)
{
	if (s->p >= s->end)
		return NOT_PLAIN;
	switch (*s->p) {
	case '{':
		return container(s, SL_J_OBJECT);
	case '[':
		return container(s, SL_J_ARRAY);
	case '"':
		return string(s);
	case 't':
		return literal(s, "true", SL_J_TRUE);
	case 'f':
		return literal(s, "false", SL_J_FALSE);
	case 'n':
		return literal(s, "null", SL_J_NULL);
	default:
		return number(s);
	}
}

int sl_json_scan(struct sl_json *j, const char *text, size_t len)
{
	struct scan s = { .j = j, .p = text, .end = text + len };
	int rc;

	j->text = text;
	j->n = 0;
	j->spaced = j->root_spaced = false;
	if (len >= UINT32_MAX)
		return NOT_PLAIN;
	/* A token takes at least 2 bytes of text, with its comma: room for
	 * a typical body at once (one in 16 bytes), more only if needed. */
	if (j->cap < len / 16 + 16 && grow(j, len / 16 + 16))
		return -ENOMEM;
	blanks(&s);
	rc = value(&s);
	if (rc != PLAIN)
		return rc;
	blanks(&s);
	return s.p == s.end ? PLAIN : NOT_PLAIN;
}

int sl_json_flat_begin(struct sl_json *j)
{
	j->n = 0;
	j->spaced = j->root_spaced = j->flat_bad = false;
	if (!j->cap && grow(j, 64))
		return -ENOMEM;
	/* The object's own token, finished by sl_json_flat_end(). */
	memset(&j->tok[0], 0, sizeof(j->tok[0]));
	j->tok[0].type = SL_J_OBJECT;
	j->n = 1;
	return 0;
}

/* One string token of the flat object. */
static void flat_string(struct sl_json *j, size_t at, size_t len,
			bool escaped)
{
	struct sl_jtok *t = &j->tok[j->n++];

	t->type = SL_J_STRING;
	t->escaped = escaped;
	t->start = (uint32_t)at;
	t->len = (uint32_t)len;
	t->count = 0;
	t->next = (uint32_t)j->n;
}

int sl_json_flat_member(struct sl_json *j, size_t name_at, size_t name_len,
			bool name_escaped, size_t value_at, size_t value_len,
			bool value_escaped)
{
	/* What the scanner calls not plain: the tree road's to read. */
	if (name_escaped || j->tok[0].count == MAX_PLAIN_MEMBERS ||
	    value_at + value_len >= UINT32_MAX)
		j->flat_bad = true;
	if (j->flat_bad)
		return 0;
	if (j->n + 2 > j->cap && grow(j, j->n + 2))
		return -ENOMEM;
	flat_string(j, name_at, name_len, false);
	flat_string(j, value_at, value_len, value_escaped);
	j->tok[0].count++;
	return 0;
}

int sl_json_flat_end(struct sl_json *j, const char *text, size_t len)
{
	j->text = text;
	j->tok[0].len = (uint32_t)len;
	j->tok[0].next = (uint32_t)j->n;
	return !j->flat_bad && len < UINT32_MAX;
}

const struct sl_jtok *sl_json_member(const struct sl_json *j,
				     const struct sl_jtok *obj,
				     const char *name)
{
	size_t n = strlen(name), i = (size_t)(obj - j->tok) + 1, k;

	if (obj->type != SL_J_OBJECT)
		return NULL;
	for (k = 0; k < obj->count; k++) {
		const struct sl_jtok *key = &j->tok[i];

		/* The first byte before a call: names of one length are
		 * common (Snowplow's eid, aid, dtm, sid ...). */
		if (key->len == n &&
		    (!n || j->text[key->start] == *name) &&
		    !memcmp(j->text + key->start, name, n))
			return &j->tok[i + 1];
		i = j->tok[i + 1].next;
	}
	return NULL;
}

void sl_json_members(const struct sl_json *j, const struct sl_jtok *obj,
		     const struct sl_json_name *names, size_t n,
		     const struct sl_jtok **out)
{
	size_t i = (size_t)(obj - j->tok) + 1, k, w;

	for (w = 0; w < n; w++)
		out[w] = NULL;
	if (obj->type != SL_J_OBJECT)
		return;
	for (k = 0; k < obj->count; k++, i = j->tok[i + 1].next) {
		const struct sl_jtok *key = &j->tok[i];
		const char *name = j->text + key->start;

		for (w = 0; w < n; w++)
			if (key->len == names[w].len && *name == names[w].s[0] &&
			    !out[w] && !memcmp(name, names[w].s, key->len)) {
				out[w] = &j->tok[i + 1];
				break;
			}
	}
}

bool sl_json_is_plain_string(const struct sl_jtok *tok, size_t max)
{
	return tok->type == SL_J_STRING && !tok->escaped && tok->len > 0 &&
	       tok->len <= max;
}

int sl_json_plain_field(const struct sl_jtok *v, size_t max,
			const struct sl_jtok **out)
{
	*out = NULL;
	if (v && v->type == SL_J_STRING && v->escaped)
		return -1;
	if (!v || !sl_json_is_plain_string(v, max))
		return 0;
	*out = v;
	return 1;
}

bool sl_json_int(const struct sl_json *j, const struct sl_jtok *tok,
		 int64_t *out)
{
	const char *p = j->text + tok->start, *end = p + tok->len;
	bool minus = false;
	int64_t v = 0;

	if (tok->type != SL_J_NUMBER)
		return false;
	if (*p == '-') {
		minus = true;
		p++;
	}
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;	/* a fraction */
		v = v * 10 + (*p - '0');
	}
	*out = minus ? -v : v;
	return true;
}

/* Whether tok's text has blanks between its tokens: blanks between the
 * root's elements are in the root's text alone. */
static inline bool needs_compacting(const struct sl_json *j,
				    const struct sl_jtok *tok)
{
	return j->spaced || (j->root_spaced && tok == j->tok);
}

int sl_json_put_compact(const struct sl_json *j, const struct sl_jtok *tok,
			struct sl_buf *out)
{
	const char *p = j->text + tok->start, *end, *run;
	bool in_string = false;
	size_t n;
	int rc;

	if (tok->type == SL_J_STRING) {
		p--;	/* the quotes too */
		end = p + tok->len + 2;
	} else {
		end = p + tok->len;
	}
	if (!needs_compacting(j, tok))
		return sl_buf_append(out, p, (size_t)(end - p));
	/* Copy runs of bytes, leaving out blanks between tokens. */
	rc = sl_buf_reserve(out, (size_t)(end - p));
	for (run = p; !rc && p < end; p++) {
		if (in_string) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_string = false;
		} else if (*p == '"') {
			in_string = true;
		} else if (*p == ' ' || *p == '\n' || *p == '\r' ||
			   *p == '\t') {
			n = (size_t)(p - run);
			rc = sl_buf_append(out, run, n);
			run = p + 1;
		}
	}
	return rc ? rc : sl_buf_append(out, run, (size_t)(end - run));
}

int sl_json_keep(const struct sl_json *j, const struct sl_jtok *tok,
		 struct sl_buf *strs, size_t *at)
{
	*at = SIZE_MAX;
	if (!tok)
		return 0;
	*at = strs->len;
	return sl_buf_append(strs, j->text + tok->start, tok->len) ||
	       sl_buf_append(strs, "", 1) ? -ENOMEM : 0;
}

int sl_json_string_value(const struct sl_json *j, const struct sl_jtok *tok,
			 struct sl_buf *out)
{
	const char *p = j->text + tok->start, *end = p + tok->len;
	char *o;

	/* Decoding only shortens: \uXXXX (6 bytes) is at most 3. */
	if (sl_buf_reserve(out, tok->len))
		return -ENOMEM;
	o = out->data + out->len;
	while (p < end) {
		unsigned int u;

		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			/* The scanner let through only non-NUL code points
			 * outside the surrogates: one to three bytes. */
			hex4(p + 2, &u);
			if (u < 0x80) {
				*o++ = (char)u;
			} else if (u < 0x800) {
				*o++ = (char)(0xc0 | u >> 6);
				*o++ = (char)(0x80 | (u & 0x3f));
			} else {
				*o++ = (char)(0xe0 | u >> 12);
				*o++ = (char)(0x80 | (u >> 6 & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			}
			p += 6;
			continue;
		default: *o++ = p[1]; break;	/* " \ / */
		}
		p += 2;
	}
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return 0;
}

int sl_json_compact(const struct sl_json *j, const struct sl_jtok *tok,
		    struct sl_buf *scratch, const char **text, size_t *len)
{
	if (!needs_compacting(j, tok)) {
		*text = j->text + tok->start - (tok->type == SL_J_STRING);
		*len = tok->len + (tok->type == SL_J_STRING ? 2 : 0);
		return 0;
	}
	sl_buf_reset(scratch);
	if (sl_json_put_compact(j, tok, scratch))
		return -ENOMEM;
	*text = scratch->data;
	*len = scratch->len;
	return 0;
}

void sl_json_release(struct sl_json *j)
{
	if (j->tok && !spare && j->cap <= SPARE_MAX) {
		spare = j->tok;
		spare_cap = j->cap;
	} else {
		free(j->tok);
	}
	memset(j, 0, sizeof(*j));
}
