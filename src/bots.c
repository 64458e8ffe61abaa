/* bots.c - crawlers, by the Spider rules of uap-core's regexes.yaml */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcre2.h>

#include "bots.h"
#include "buf.h"
#include "codec.h"

/*
 * Server libraries, not crawlers, though some Spider rules name them
 * (Python-urllib, ^Java/): user agents starting with these are kept.
 * Segment's libraries send analytics-<language>, Snowplow's
 * snowplow-<tracker>; the rest are the HTTP clients server SDKs use.
 */
static const char *const not_bots[] = {
	"python-requests/", "Python-urllib/", "okhttp/", "Go-http-client/",
	"node-fetch", "Java/", "analytics-", "snowplow", "axios/",
	"undici", "got (",
};

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* Buckets of the literal prefilter, by a hash of two lowercase bytes. */
#define BUCKETS 256

struct literal {
	const char *text;	/* lowercase */
	size_t len;
};

struct rule {
	pcre2_code *re;		/* NULL until compiled (SL_BOTS_LAZY) */
	char *body;		/* the pattern, for a lazy compile */
	uint32_t options;
	bool broken;		/* a lazy compile failed: never matches */
	size_t max_start;	/* a match must start at or before this */
	/*
	 * For a rule that is one group of alternatives each starting with a
	 * literal word (the long Spider rule): one of those words must be
	 * in the user agent for the rule to match, so the rule only runs
	 * when one is. nlits 0: the rule always runs.
	 */
	struct literal *lits;	/* sorted by bucket */
	size_t nlits;
	uint16_t start[BUCKETS + 1];	/* lits of bucket b: start[b] .. [b+1] */
	char *text;		/* the literals' storage */
};

static unsigned int bucket(char a, char b)
{
	return ((unsigned int)tolower((unsigned char)a) * 31u +
		(unsigned int)tolower((unsigned char)b)) % BUCKETS;
}

/* The literal an alternative s..e must contain: the bytes before its
 * first regex operator (after a leading ^), less one before a
 * quantifier that may drop it; 0 when that is under two bytes. */
static size_t alternative_literal(const char *s, const char *e,
				  const char **lit)
{
	const char *p;

	if (s < e && *s == '^')
		s++;
	for (p = s; p < e && !strchr("\\^$.|?*+()[]{}", *p); p++)
		;
	if (p < e && strchr("?*{", *p) && p > s)
		p--;
	*lit = s;
	return p - s >= 2 ? (size_t)(p - s) : 0;
}

/* The end of the alternative that starts at q inside a group ending at
 * end: its '|' at depth 0, or end; NULL when the group closes before end
 * or a character class is not closed. */
static const char *alternative_end(const char *q, const char *end)
{
	unsigned int depth = 0;

	for (; q < end; q++) {
		if (*q == '\\' && q + 1 < end) {
			q++;
		} else if (*q == '[') {
			while (q < end && *q != ']')
				q += *q == '\\' ? 2 : 1;
			if (q >= end)
				return NULL;
		} else if (*q == '(') {
			depth++;
		} else if (*q == ')') {
			if (!depth)
				return NULL;
			depth--;
		} else if (*q == '|' && !depth) {
			return q;
		}
	}
	return depth ? NULL : end;
}

/* Build r's prefilter from body when it is "(alt|alt|...)" with a
 * literal in each alternative; otherwise leave the rule to always run. */
static int build_prefilter(struct rule *r, const char *body)
{
	const char *p, *end, *alt, *e, *lit;
	size_t n = strlen(body), count, total = 0, len, i, j;
	unsigned int b;
	struct literal *lits;
	char *text;

	if (n < 3 || body[0] != '(' || body[n - 1] != ')')
		return 0;
	p = body + 1;
	end = body + n - 1;
	if (p[0] == '?' && p[1] == ':')
		p += 2;
	else if (p[0] == '?')
		return 0;
	/* Count the alternatives, and check the group ends at the end. */
	for (count = 1, alt = p; (e = alternative_end(alt, end)) != end;
	     count++, alt = e + 1)
		if (!e)
			return 0;
	lits = calloc(count, sizeof(*lits));
	text = malloc(n + count);
	if (!lits || !text) {
		free(lits);
		free(text);
		return -ENOMEM;
	}
	/* Each alternative's literal, lowercased. */
	for (i = 0, alt = p; i < count; i++, alt = e + 1) {
		e = alternative_end(alt, end);
		len = alternative_literal(alt, e, &lit);
		if (!len) {
			free(lits);
			free(text);
			return 0;
		}
		for (j = 0; j < len; j++)
			text[total + j] = (char)tolower((unsigned char)lit[j]);
		text[total + len] = '\0';
		lits[i].len = len;
		lits[i].text = text + total;
		total += len + 1;
	}
	/* Sort by bucket (counting sort) into r->lits. */
	r->lits = calloc(count, sizeof(*r->lits));
	if (!r->lits) {
		free(lits);
		free(text);
		return -ENOMEM;
	}
	memset(r->start, 0, sizeof(r->start));
	for (i = 0; i < count; i++)
		r->start[bucket(lits[i].text[0], lits[i].text[1]) + 1]++;
	for (b = 0; b < BUCKETS; b++)
		r->start[b + 1] += r->start[b];
	{
		uint16_t fill[BUCKETS];

		memcpy(fill, r->start, sizeof(fill));
		for (i = 0; i < count; i++)
			r->lits[fill[bucket(lits[i].text[0], lits[i].text[1])]++] =
				lits[i];
	}
	free(lits);
	r->nlits = count;
	r->text = text;
	return 0;
}

/* Whether ua (len bytes) contains one of r's literals, any case. */
static bool prefilter_hit(const struct rule *r, const char *ua, size_t len)
{
	size_t i, k;

	for (i = 0; i + 1 < len; i++) {
		unsigned int b = bucket(ua[i], ua[i + 1]);

		for (k = r->start[b]; k < r->start[b + 1]; k++)
			if (r->lits[k].len <= len - i &&
			    !strncasecmp(ua + i, r->lits[k].text, r->lits[k].len))
				return true;
	}
	return false;
}

/* The answers for the user agents seen last: a site's traffic comes
 * from a few browsers' user agents, over and over. Direct-mapped by a
 * hash; the user agent is kept whole, so an entry answers only for the
 * very same bytes. Longer user agents are not kept. */
#define CACHE_SLOTS 64
#define CACHE_UA 256

struct cached {
	uint64_t hash;
	size_t len;		/* 0: empty */
	bool bot;
	char ua[CACHE_UA];
	char match[64];
};

struct sl_bots {
	struct rule *rules;
	size_t n;
	bool lazy;			/* SL_BOTS_LAZY */
	pcre2_match_data *md;
	struct cached cache[CACHE_SLOTS];
};

/* A YAML single-quoted scalar starting at s (after the quote), with ''
 * for a quote, into a new string; NULL when it does not end. */
static char *yaml_quoted(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == '\'') {
			if (s[1] != '\'') {
				*o = '\0';
				return out;
			}
			s++;
		}
		*o++ = *s;
	}
	free(out);
	return NULL;
}

/*
 * JIT-compiled code reads past what it was given, a word at a time,
 * which valgrind's memcheck reports as uninitialised reads in code it has
 * no name for: under memcheck (its preload library is in LD_PRELOAD) the
 * interpreter runs instead, so that a real report is not lost among them.
 */
static bool jit_wanted(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return !preload || !strstr(preload, "vgpreload_memcheck");
}

/*
 * Compile one rule. A rule that starts "^.{0,N}" (most of the list) is
 * searched for unanchored, its match required to start at or before N:
 * the same user agents, without trying every start in turn.
 */
/* Compile rule r; jit as well when wanted. Returns 0, or a PCRE2 error
 * code with its offset in *off. */
static int compile_rule(struct rule *r, bool jit, PCRE2_SIZE *off)
{
	int code;

	r->re = pcre2_compile((PCRE2_SPTR)r->body, PCRE2_ZERO_TERMINATED,
			      r->options, &code, off, NULL);
	if (!r->re)
		return code;
	/* Without JIT (some machines), the interpreter does the same. */
	if (jit && jit_wanted())
		pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	return 0;
}

/* The line number of at in text (split into lines already: the NUL that
 * ended each line counts as its newline). */
static unsigned int line_of(const char *text, const char *at)
{
	unsigned int n = 1;

	if (!text)
		return 0;	/* from the rules file: compiled lazily only */
	for (; text < at; text++)
		n += *text == '\n' || *text == '\0';
	return n;
}

/* Add the rule regex (its text at `at` of the file's text, for the line
 * an error names). */
static int add_rule(struct sl_bots *b, const char *regex, bool caseless,
		    char *err, size_t errlen, const char *path,
		    const char *text, const char *at)
{
	struct rule *r;
	const char *body = regex;
	size_t max_start = (size_t)-1;
	unsigned long n;
	char *end;
	int code;
	PCRE2_SIZE off;

	if (!strncmp(regex, "^.{0,", 5)) {
		n = strtoul(regex + 5, &end, 10);
		if (*end == '}') {
			body = end + 1;
			if (*body == '?')
				body++;
			max_start = n;
		}
	}
	r = realloc(b->rules, (b->n + 1) * sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	b->rules = r;
	r = &b->rules[b->n];
	memset(r, 0, sizeof(*r));
	r->max_start = max_start;
	r->options = caseless ? PCRE2_CASELESS : 0;
	r->body = strdup(body);
	if (!r->body) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	b->n++;
	if (!b->lazy && (code = compile_rule(r, true, &off))) {
		PCRE2_UCHAR msg[120];

		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "%s:%u: the rule does not compile: %s",
			 path, line_of(text, at), (const char *)msg);
		return -EINVAL;
	}
	if (build_prefilter(r, r->body)) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	return 0;
}

bool sl_bots_exempt(const char *ua)
{
	size_t i;

	for (i = 0; i < sizeof(not_bots) / sizeof(not_bots[0]); i++)
		if (!strncasecmp(ua, not_bots[i], strlen(not_bots[i])))
			return true;
	return false;
}

/* Whether text (after a line's indentation) starts with key. */
#define STARTS(text, key) (!strncmp((text), (key), sizeof(key) - 1))

/*
 * Walk the list's text (modified: its lines are split) for the Spider
 * rules of device_parsers and add each; when extracted is given, append
 * each rule to it as a line of the rules file (see below). Returns 0 or
 * a negative errno with err set.
 */
static int parse_list(struct sl_bots *b, const char *path, struct sl_buf *text,
		      struct sl_buf *extracted, char *err, size_t errlen)
{
	const char *regex = NULL, *v;
	char *line, *next, *quoted;
	bool in_devices = false, caseless = false;
	int rc = 0;

	/* Entries of device_parsers: "  - regex: '...'", then optional
	 * "    regex_flag: 'i'" and "    device_replacement: 'Spider'".
	 * Nothing before the section's first line can be one: the walk
	 * starts there. */
	line = text->data;
	if ((next = memmem(text->data, text->len, "\ndevice_parsers:", 16)))
		line = next + 1;
	for (; !rc && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* A blank line (empty once split) is not a new section. */
		if (line[0] && line[0] != ' ' && line[0] != '#' &&
		    !isspace((unsigned char)line[0])) {
			in_devices = !strncmp(line, "device_parsers:", 15);
			continue;
		}
		if (!in_devices)
			continue;
		/* Most entries are not crawlers: a regex is unquoted only
		 * once its entry says Spider (the text stays until then). */
		for (v = line; *v == ' '; v++)
			;
		if (*v == '-' && STARTS(v, "- regex: '")) {
			regex = v + 10;
			caseless = false;
		} else if (*v == 'r' && STARTS(v, "regex_flag: 'i'")) {
			caseless = true;
		} else if (regex && *v == 'd' &&
			   STARTS(v, "device_replacement: 'Spider'")) {
			quoted = yaml_quoted(regex);
			rc = quoted ? add_rule(b, quoted, caseless, err, errlen,
					       path, text->data, regex) : 0;
			if (!rc && quoted && extracted &&
			    (sl_buf_puts(extracted, caseless ? "i " : "- ") ||
			     sl_buf_puts(extracted, quoted) ||
			     sl_buf_puts(extracted, "\n")))
				rc = -ENOMEM;
			free(quoted);
			regex = NULL;
		}
	}
	return rc;
}

/*
 * The rules file: for the processes that load the list lazily (a CGI
 * request each), the Spider rules extracted from it, kept in a
 * directory of Sluice's (the spool's) so that the next one reads a few
 * lines instead of the whole list. Its first line names the file
 * format, its second the list's identity (device, inode, size, change
 * time, path): a list replaced or edited is read again. Then one rule a
 * line, "i " (caseless) or "- ", and the pattern as the list has it.
 */
#define RULES_FILE "bots.rules"
#define RULES_FORMAT "sluice bots.rules 1\n"

/* The list's identity line, into out (size bytes); false when it does
 * not fit. */
static bool list_identity(const struct stat *st, const char *path, char *out,
			  size_t size)
{
	int n = snprintf(out, size, "%ju %ju %jd %jd %ld %s\n",
			 (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
			 (intmax_t)st->st_size, (intmax_t)st->st_mtim.tv_sec,
			 (long)st->st_mtim.tv_nsec, path);

	return n > 0 && (size_t)n < size;
}

/* The rules from dir's rules file when it is the list's (identity id):
 * 0, or -1 (b holds no rule then) to read the list. */
static int rules_file_load(struct sl_bots *b, const char *dir, const char *id,
			   const char *path)
{
	struct sl_buf text = { 0 };
	char file[4096], err[8];
	char *line, *next;
	size_t idlen = strlen(id);
	int rc = -1;

	if (snprintf(file, sizeof(file), "%s/%s", dir, RULES_FILE) >=
	    (int)sizeof(file) || sl_buf_read_file(&text, file) ||
	    text.len < sizeof(RULES_FORMAT) - 1 + idlen ||
	    memcmp(text.data, RULES_FORMAT, sizeof(RULES_FORMAT) - 1) ||
	    memcmp(text.data + sizeof(RULES_FORMAT) - 1, id, idlen))
		goto out;
	rc = 0;
	for (line = text.data + sizeof(RULES_FORMAT) - 1 + idlen;
	     !rc && *line; line = next) {
		next = strchr(line, '\n');
		if (!next || (line[0] != 'i' && line[0] != '-') ||
		    line[1] != ' ') {
			rc = -1;	/* cut short or not ours: read the list */
			break;
		}
		*next++ = '\0';
		rc = add_rule(b, line + 2, line[0] == 'i', err, sizeof(err),
			      path, NULL, NULL) ? -1 : 0;
	}
	if (!rc && !b->n)
		rc = -1;
out:
	if (rc) {
		while (b->n) {
			b->n--;
			free(b->rules[b->n].body);
			free(b->rules[b->n].lits);
			free(b->rules[b->n].text);
		}
	}
	sl_buf_release(&text);
	return rc;
}

/* Write dir's rules file (a new file, renamed over the old): best
 * effort, the list stays the truth. */
static void rules_file_write(const char *dir, const char *id,
			     const struct sl_buf *rules)
{
	char tmp[4096], file[4096];
	int fd, ok;

	if (snprintf(file, sizeof(file), "%s/%s", dir, RULES_FILE) >=
	    (int)sizeof(file) ||
	    snprintf(tmp, sizeof(tmp), "%s/%s.%ld", dir, RULES_FILE,
		     (long)getpid()) >= (int)sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	ok = write(fd, RULES_FORMAT, sizeof(RULES_FORMAT) - 1) ==
	     (ssize_t)(sizeof(RULES_FORMAT) - 1) &&
	     write(fd, id, strlen(id)) == (ssize_t)strlen(id) &&
	     write(fd, rules->data, rules->len) == (ssize_t)rules->len;
	if (close(fd) || !ok || rename(tmp, file))
		unlink(tmp);
}

struct sl_bots *sl_bots_load(const char *path, unsigned int flags,
			     const char *rules_dir, char *err, size_t errlen)
{
	struct sl_bots *b = calloc(1, sizeof(*b));
	struct sl_buf text = { 0 }, extracted = { 0 };
	char id[4096];
	struct stat st;
	bool keep;
	int rc = 0;

	if (!b) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	b->lazy = flags & SL_BOTS_LAZY;
	/* Lazily, from the rules file when it is this list's. */
	keep = b->lazy && rules_dir && !stat(path, &st) &&
	       list_identity(&st, path, id, sizeof(id));
	if (keep && !rules_file_load(b, rules_dir, id, path))
		goto out_ready;
	/* The whole file at once: line by line through stdio cost more
	 * than compiling the rules. */
	rc = sl_buf_read_file(&text, path);
	if (rc) {
		snprintf(err, errlen, "%s: cannot open the crawler list: %s",
			 path, strerror(-rc));
		goto fail;
	}
	rc = parse_list(b, path, &text, keep ? &extracted : NULL, err, errlen);
	sl_buf_release(&text);
	if (rc)
		goto fail;
	if (!b->n) {
		snprintf(err, errlen, "%s: no Spider rules in device_parsers (not uap-core's regexes.yaml?)",
			 path);
		goto fail;
	}
	if (keep)
		rules_file_write(rules_dir, id, &extracted);
out_ready:
	sl_buf_release(&extracted);
	b->md = pcre2_match_data_create(4, NULL);
	if (!b->md) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	return b;
fail:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	sl_buf_release(&text);
	sl_buf_release(&extracted);
	sl_bots_free(b);
	return NULL;
}

size_t sl_bots_count(const struct sl_bots *bots)
{
	return bots->n;
}

bool sl_bots_match(struct sl_bots *b, const char *ua, char *out,
		   size_t outlen)
{
	size_t len, i;

	if (!ua || !*ua || sl_bots_exempt(ua))
		return false;
	len = strlen(ua);
	for (i = 0; i < b->n; i++) {
		PCRE2_SIZE *ov, from, to;
		int rc;

		if (b->rules[i].nlits && !prefilter_hit(&b->rules[i], ua, len))
			continue;
		if (!b->rules[i].re && (b->rules[i].broken ||
					compile_rule(&b->rules[i], false, &from))) {
			b->rules[i].broken = true;
			continue;
		}
		rc = pcre2_match(b->rules[i].re, (PCRE2_SPTR)ua, len, 0, 0,
				 b->md, NULL);
		if (rc <= 0)
			continue;
		ov = pcre2_get_ovector_pointer(b->md);
		if (ov[0] > b->rules[i].max_start)
			continue;
		from = ov[0];
		to = ov[1];
		if (rc > 1 && ov[2] != PCRE2_UNSET) {
			from = ov[2];
			to = ov[3];
		}
		/* The whole word around a keyword: Googlebot, not bot. */
		while (from > 0 && is_word(ua[from - 1]))
			from--;
		while (to < len && is_word(ua[to]))
			to++;
		if (to - from >= outlen)
			to = from + outlen - 1;
		memcpy(out, ua + from, to - from);
		out[to - from] = '\0';
		return true;
	}
	return false;
}

bool sl_bots_check(struct sl_bots *b, const char *ua, char *out,
		   size_t outlen)
{
	struct cached *c;
	uint64_t h;
	size_t len;

	if (!ua || !*ua)
		return false;
	len = strlen(ua);
	if (len >= CACHE_UA)
		return sl_bots_match(b, ua, out, outlen);
	h = sl_hash_words(ua, len);
	c = &b->cache[h % CACHE_SLOTS];
	if (c->len != len || c->hash != h || memcmp(c->ua, ua, len)) {
		c->bot = sl_bots_match(b, ua, c->match, sizeof(c->match));
		c->hash = h;
		c->len = len;
		memcpy(c->ua, ua, len);
	}
	if (c->bot)
		snprintf(out, outlen, "%s", c->match);
	return c->bot;
}

void sl_bots_free(struct sl_bots *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		pcre2_code_free(b->rules[i].re);
		free(b->rules[i].body);
		free(b->rules[i].lits);
		free(b->rules[i].text);
	}
	free(b->rules);
	pcre2_match_data_free(b->md);
	free(b);
}
