/*
 * normalize — the one level table and the timestamp reader every parser uses.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "sl_time.h"

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "fatal"};

const char *sl_level_name(enum sl_level l)
{
	if (l < SL_LEVEL_TRACE || l > SL_LEVEL_FATAL)
		return "info";
	return level_names[l];
}

static const struct {
	const char *word;
	enum sl_level level;
} level_words[] = {
    {"trace", SL_LEVEL_TRACE},   {"finest", SL_LEVEL_TRACE},     {"finer", SL_LEVEL_TRACE},
    {"verbose", SL_LEVEL_TRACE}, {"debug", SL_LEVEL_DEBUG},      {"dbug", SL_LEVEL_DEBUG},
    {"fine", SL_LEVEL_DEBUG},    {"debug1", SL_LEVEL_DEBUG},     {"debug2", SL_LEVEL_DEBUG},
    {"debug3", SL_LEVEL_DEBUG},  {"debug4", SL_LEVEL_DEBUG},     {"debug5", SL_LEVEL_DEBUG},
    {"info", SL_LEVEL_INFO},     {"information", SL_LEVEL_INFO}, {"informational", SL_LEVEL_INFO},
    {"notice", SL_LEVEL_INFO},   {"log", SL_LEVEL_INFO},         {"statement", SL_LEVEL_INFO},
    {"detail", SL_LEVEL_INFO},   {"hint", SL_LEVEL_INFO},        {"config", SL_LEVEL_INFO},
    {"warn", SL_LEVEL_WARN},     {"warning", SL_LEVEL_WARN},     {"error", SL_LEVEL_ERROR},
    {"err", SL_LEVEL_ERROR},     {"eror", SL_LEVEL_ERROR},       {"severe", SL_LEVEL_ERROR},
    {"fatal", SL_LEVEL_FATAL},   {"crit", SL_LEVEL_FATAL},       {"critical", SL_LEVEL_FATAL},
    {"alert", SL_LEVEL_FATAL},   {"emerg", SL_LEVEL_FATAL},      {"emergency", SL_LEVEL_FATAL},
    {"panic", SL_LEVEL_FATAL},   {"t", SL_LEVEL_TRACE},          {"d", SL_LEVEL_DEBUG},
    {"i", SL_LEVEL_INFO},        {"w", SL_LEVEL_WARN},           {"e", SL_LEVEL_ERROR},
    {"f", SL_LEVEL_FATAL},       {"c", SL_LEVEL_FATAL},
};

enum sl_level sl_level_parse(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n)
		return SL_LEVEL_NONE;
	if (isdigit((unsigned char)s[0])) {
		/* syslog severities 0-7 when one digit; bunyan/pino 10..60 when two */
		int v = 0;
		for (size_t i = 0; i < n && i < 4; i++) {
			if (!isdigit((unsigned char)s[i]))
				return SL_LEVEL_NONE;
			v = v * 10 + (s[i] - '0');
		}
		if (n == 1) {
			static const enum sl_level sev[] = {
			    SL_LEVEL_FATAL, SL_LEVEL_FATAL, SL_LEVEL_FATAL, SL_LEVEL_ERROR,
			    SL_LEVEL_WARN,  SL_LEVEL_INFO,  SL_LEVEL_INFO,  SL_LEVEL_DEBUG};
			return v <= 7 ? sev[v] : SL_LEVEL_NONE;
		}
		if (v >= 60)
			return SL_LEVEL_FATAL;
		if (v >= 50)
			return SL_LEVEL_ERROR;
		if (v >= 40)
			return SL_LEVEL_WARN;
		if (v >= 30)
			return SL_LEVEL_INFO;
		if (v >= 20)
			return SL_LEVEL_DEBUG;
		return SL_LEVEL_TRACE;
	}
	for (size_t i = 0; i < sizeof level_words / sizeof level_words[0]; i++)
		if (strlen(level_words[i].word) == n && !strncasecmp(level_words[i].word, s, n))
			return level_words[i].level;
	return SL_LEVEL_NONE;
}

int sl_time_parse_any(const char *s, size_t n, int64_t *ns)
{
	if (!n)
		return -1;
	size_t digits = 0, dot = 0;
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (s[i] == '.' && !dot)
			dot = i + 1;
		else {
			digits = 0;
			break;
		}
	}
	if (digits && digits <= 19) {
		/* epoch: by magnitude of the integer part, seconds/ms/us/ns */
		size_t ilen = dot ? dot - 1 : n;
		int64_t v = 0;
		for (size_t i = 0; i < ilen; i++)
			v = v * 10 + (s[i] - '0');
		int64_t frac = 0, scale = 1000000000;
		if (dot) {
			for (size_t i = dot; i < n && scale > 1; i++) {
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
		}
		/* past 2262 (INT64_MAX ns) is not a time a log line has */
		if (ilen <= 10) {
			if (v > INT64_MAX / 1000000000 - 1)
				return -1;
			*ns = v * 1000000000 + frac;
		} else if (ilen <= 13) {
			if (v > INT64_MAX / 1000000 - 1)
				return -1;
			*ns = v * 1000000 + frac / 1000;
		} else if (ilen <= 16) {
			if (v > INT64_MAX / 1000)
				return -1;
			*ns = v * 1000;
		} else {
			*ns = v;
		}
		return 0;
	}
	return sl_time_parse(s, n, ns);
}
