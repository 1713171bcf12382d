/*
 * sl_log — stderr diagnostics with a time stamp, program name and level.
 */
#include "sl_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sl_time.h"

static const char *log_prog = "sluice";
static enum sl_log_level log_min = SL_LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void sl_log_init(const char *prog, enum sl_log_level min)
{
	log_prog = prog;
	log_min = min;
}

int sl_log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

void sl_log(enum sl_log_level level, const char *fmt, ...)
{
	if (level < log_min)
		return;
	char ts[SL_TIME_LEN], line[2048];
	sl_time_format(sl_time_now_ns(), ts);
	/* milliseconds are enough in diagnostics */
	memcpy(ts + 23, "Z", 2);
	int n = snprintf(line, sizeof line, "%s %s[%d] %s: ", ts, log_prog, (int)getpid(),
	                 names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, len);
}
