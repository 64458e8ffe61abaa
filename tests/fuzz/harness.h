/* harness.h - what the libFuzzer targets share: a core whose records are
 * encoded and dropped, and a transport that serves one request from
 * memory */
#ifndef SL_FUZZ_HARNESS_H
#define SL_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

struct sl_core;

/* The sl_core_new() flags fuzz_core() uses: SL_CORE_DISCARD_SPOOL
 * (records and their spool lines encoded, then dropped) unless set
 * before its first call; the core benchmark uses SL_CORE_NULL_SINK. */
extern unsigned int fuzz_core_flags;
/* More configuration lines for fuzz_core() (before its first call). */
extern const char *fuzz_config_extra;

/* A core on a throw-away spool directory, with every route on and the
 * apps, sources and datasources the seed corpora name. Made once per
 * process; exits when it cannot be made. */
struct sl_core *fuzz_core(void);

/* One request. params is NULL-terminated "NAME=value" CGI variables;
 * CONTENT_LENGTH is added from len unless params sets it. */
void fuzz_request(const char *const *params, const uint8_t *body, size_t len);

/* A request as a browser behind a trusted proxy sends it: method, path,
 * query (NULL: none) and Content-Type (NULL: none), body. */
/* The CGI variables fuzz_simple() sends, built once into p for a caller
 * that sends the same request many times (the core benchmark). */
struct fuzz_params {
	char m[64], pa[512], q[4096], ct[256], cl[48];
	const char *list[28];
};
void fuzz_simple_params(struct fuzz_params *p, const char *method,
			const char *path, const char *query,
			const char *content_type);

/* Add CONTENT_LENGTH=len to p's list, which fuzz_request_ready() then
 * takes as it is. */
void fuzz_params_length(struct fuzz_params *p, size_t len);

/* One request whose params are complete (CONTENT_LENGTH included):
 * handed to the core as they are, as libfcgi hands over its envp, with
 * nothing copied per request. */
void fuzz_request_ready(const char *const *params, const uint8_t *body,
			size_t len);

void fuzz_simple(const char *method, const char *path, const char *query,
		 const char *content_type, const uint8_t *body, size_t len);

/*
 * Split data at its first newline: *head (NUL-terminated copy, caller
 * frees) and the rest as *tail, *tail_len. Without a newline the whole
 * input is the head and the tail is empty.
 */
void fuzz_split(const uint8_t *data, size_t size, char **head,
		const uint8_t **tail, size_t *tail_len);

#endif /* SL_FUZZ_HARNESS_H */
