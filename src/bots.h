/* bots.h - crawlers, by the user agents of a maintained list
 *
 * The list is ua-parser's regexes.yaml (Debian's uap-core package): the
 * device rules that class a user agent as "Spider". They are compiled
 * once per process (PCRE2, JIT where the machine has it). A few server
 * libraries that those rules name (Python-urllib, Java/...) send events
 * for real sites, not crawls: their user agents are never bots here.
 */
#ifndef SL_BOTS_H
#define SL_BOTS_H

#include <stddef.h>

/* Where Debian's uap-core puts the list. */
#define SL_BOTS_DEFAULT_FILE "/usr/share/uap-core/regexes.yaml"

struct sl_bots;

/* For a process that checks one user agent (a CGI request): each rule
 * is compiled when a user agent first needs it, and not JIT-compiled.
 * Loading then costs a tenth; a rule that does not compile is found
 * only then, and never matches (sluice check-config compiles them all). */
#define SL_BOTS_LAZY 1u

/*
 * Read and compile the Spider rules of the regexes.yaml at path (flags:
 * 0 or SL_BOTS_LAZY). With SL_BOTS_LAZY and a rules_dir (the spool
 * directory), the rules extracted from the list are kept there in a
 * small file (bots.rules) that the next lazy load reads instead of the
 * list, while the list's device, inode, size and change time stay the
 * same. On failure returns NULL with one line in err naming the file
 * (and the rule, for one that does not compile).
 */
struct sl_bots *sl_bots_load(const char *path, unsigned int flags,
			     const char *rules_dir, char *err, size_t errlen);

/* The number of rules loaded. */
size_t sl_bots_count(const struct sl_bots *bots);

/*
 * When ua is a crawler's, write what matched (the rule's first group or
 * the whole match, at most outlen - 1 bytes) to out and return true. Not
 * thread-safe: one request at a time per list (as the core runs).
 */
_Bool sl_bots_match(struct sl_bots *bots, const char *ua, char *out,
		    size_t outlen);

/* The same, answered from the last user agents seen when ua is one of
 * them (what the core calls for each request). */
_Bool sl_bots_check(struct sl_bots *bots, const char *ua, char *out,
		    size_t outlen);

/* Whether ua is a server library's that is never a crawler here. */
_Bool sl_bots_exempt(const char *ua);

void sl_bots_free(struct sl_bots *bots);

#endif /* SL_BOTS_H */
