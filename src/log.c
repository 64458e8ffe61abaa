/* log.c - one line per problem on stderr */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static enum sl_log_level min_level = SL_LOG_INFO;

static const char *const level_names[] = {
	[SL_LOG_DEBUG] = "debug",
	[SL_LOG_INFO] = "info",
	[SL_LOG_WARN] = "warn",
	[SL_LOG_ERROR] = "error",
};

void sl_log_set_level(enum sl_log_level level)
{
	min_level = level;
}

int sl_log_parse_level(const char *name, enum sl_log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(name, level_names[i])) {
			*level = (enum sl_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void sl_log(enum sl_log_level level, const char *request_id,
	    const char *route, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int head, n;
	size_t len, i;

	if (level < min_level)
		return;
	head = snprintf(line, sizeof(line), "sluice[%ld]: %s req=%s route=%s ",
			(long)getpid(), level_names[level],
			request_id ? request_id : "-", route ? route : "-");
	if (head < 0 || (size_t)head >= sizeof(line))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + head, sizeof(line) - (size_t)head - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = strlen(line);
	for (i = (size_t)head; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* Nowhere left to report it. */
	}
}
