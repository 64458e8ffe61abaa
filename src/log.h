/* log.h - one line per problem on stderr (the web server's error log) */
#ifndef SL_LOG_H
#define SL_LOG_H

enum sl_log_level {
	SL_LOG_DEBUG,
	SL_LOG_INFO,
	SL_LOG_WARN,
	SL_LOG_ERROR,
};

/* Lines below level are not written. The default is SL_LOG_INFO. */
void sl_log_set_level(enum sl_log_level level);

/* Parse "debug", "info", "warn" or "error". Returns 0 or -EINVAL. */
int sl_log_parse_level(const char *name, enum sl_log_level *level);

/*
 * Write one line:
 *   sluice[PID]: LEVEL req=ID route=NAME MESSAGE
 * request_id and route may be NULL (written as "-"). Control characters
 * in the message (which may quote client input) are replaced by '?', and
 * the line is cut at 1 KiB, so a client cannot forge or flood log lines.
 * The line goes out in one write(2).
 */
void sl_log(enum sl_log_level level, const char *request_id,
	    const char *route, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* SL_LOG_H */
