/*
 * normalize — the one level table and the timestamp reader every parser uses.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
    {"f", SL_LEVEL_FATAL},       {"c", SL_LEVEL_FATAL},          {"note", SL_LEVEL_INFO},
    {"system", SL_LEVEL_INFO},   {"inf", SL_LEVEL_INFO},         {"dbg", SL_LEVEL_DEBUG},
    {"trc", SL_LEVEL_TRACE},     {"wrn", SL_LEVEL_WARN},         {"ftl", SL_LEVEL_FATAL},
    {"crt", SL_LEVEL_FATAL},     {"informative", SL_LEVEL_INFO}, {"warnings", SL_LEVEL_WARN},
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
	if (n > 13)
		return SL_LEVEL_NONE;
	char low[14];
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	for (size_t i = 0; i < sizeof level_words / sizeof level_words[0]; i++)
		if (level_words[i].word[0] == low[0] && strlen(level_words[i].word) == n &&
		    !memcmp(level_words[i].word, low, n))
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
		uint64_t u = 0; /* 19 digits fit a uint64_t, not always an int64_t */
		for (size_t i = 0; i < ilen; i++)
			u = u * 10 + (uint64_t)(s[i] - '0');
		if (u > INT64_MAX)
			return -1;
		int64_t v = (int64_t)u;
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

/* ---- timestamps in the formats loggers write ---- */

static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

/* Reads 1..max digits. Returns the count read, 0 if none. */
static int num(const char *s, size_t n, size_t *p, int max, int *out)
{
	int v = 0, k = 0;
	while (k < max && *p < n && isdigit((unsigned char)s[*p])) {
		v = v * 10 + (s[(*p)++] - '0');
		k++;
	}
	*out = v;
	return k;
}

size_t sl_time_scan(const char *s, size_t n, const char *fmt, int64_t ref_ns, int64_t *ns)
{
	size_t p = 0;
	int Y = -1, M = 1, D = 1, h = 0, mi = 0, sec = 0;
	int64_t frac = 0, off = 0, epoch = INT64_MIN;
	for (const char *f = fmt; *f; f++) {
		if (*f == ' ') {
			if (p >= n || s[p] != ' ')
				return 0;
			while (p < n && s[p] == ' ')
				p++;
			continue;
		}
		if (*f != '%') {
			if (p >= n || s[p] != *f)
				return 0;
			p++;
			continue;
		}
		switch (*++f) {
		case 'Y':
			if (num(s, n, &p, 4, &Y) != 4)
				return 0;
			break;
		case 'y':
			if (num(s, n, &p, 2, &Y) != 2)
				return 0;
			Y += Y < 70 ? 2000 : 1900;
			break;
		case 'm':
			if (!num(s, n, &p, 2, &M))
				return 0;
			break;
		case 'e':
			if (p < n && s[p] == ' ')
				p++;
			/* fall through */
		case 'd':
			if (!num(s, n, &p, 2, &D))
				return 0;
			break;
		case 'H':
			if (!num(s, n, &p, 2, &h))
				return 0;
			break;
		case 'M':
			if (!num(s, n, &p, 2, &mi))
				return 0;
			break;
		case 'S':
			if (!num(s, n, &p, 2, &sec))
				return 0;
			break;
		case 'T':
			if (!num(s, n, &p, 2, &h) || p >= n || s[p++] != ':' ||
			    !num(s, n, &p, 2, &mi) || p >= n || s[p++] != ':' ||
			    !num(s, n, &p, 2, &sec))
				return 0;
			break;
		case '~': /* the date/time separator of ISO forms */
			if (p >= n || (s[p] != 'T' && s[p] != ' '))
				return 0;
			p++;
			break;
		case 'f': /* optional fraction: '.' or ',' and digits */
			if (p + 1 < n && (s[p] == '.' || s[p] == ',') &&
			    isdigit((unsigned char)s[p + 1])) {
				p++;
				int nd = 0;
				while (p < n && isdigit((unsigned char)s[p])) {
					if (nd < 9) {
						frac = frac * 10 + (s[p] - '0');
						nd++;
					}
					p++;
				}
				for (; nd < 9; nd++)
					frac *= 10;
			}
			break;
		case 'b': {
			if (p + 3 > n)
				return 0;
			char m3[3];
			for (int i = 0; i < 3; i++)
				m3[i] = (char)tolower((unsigned char)s[p + i]);
			const char *hit = NULL;
			for (int i = 0; i < 12 && !hit; i++)
				if (!memcmp(months + 3 * i, m3, 3))
					hit = months + 3 * i;
			if (!hit)
				return 0;
			M = (int)((hit - months) / 3) + 1;
			p += 3;
			while (p < n && isalpha((unsigned char)s[p])) /* full names */
				p++;
			break;
		}
		case 'a':
			if (p >= n || !isalpha((unsigned char)s[p]))
				return 0;
			while (p < n && isalpha((unsigned char)s[p]))
				p++;
			break;
		case 'z': /* optional: Z, +hh:mm, +hhmm, +hh */
			if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
				p++;
			} else if (p + 2 < n && (s[p] == '+' || s[p] == '-') &&
			           isdigit((unsigned char)s[p + 1])) {
				int sign = s[p++] == '-' ? -1 : 1, oh = 0, om = 0;
				if (num(s, n, &p, 2, &oh) != 2)
					return 0;
				if (p < n && s[p] == ':')
					p++;
				if (p < n && isdigit((unsigned char)s[p]) &&
				    num(s, n, &p, 2, &om) != 2)
					return 0;
				if (oh > 23 || om > 59)
					return 0;
				off = sign * (oh * 3600 + om * 60);
			}
			break;
		case 'Z': /* optional zone abbreviation; UTC, GMT or numeric */
			if (p < n && (s[p] == '+' || s[p] == '-')) {
				int sign = s[p++] == '-' ? -1 : 1, oh = 0, om = 0;
				if (!num(s, n, &p, 2, &oh))
					return 0;
				if (p < n && s[p] == ':')
					p++;
				num(s, n, &p, 2, &om);
				off = sign * (oh * 3600 + om * 60);
			} else {
				while (p < n && isalpha((unsigned char)s[p]))
					p++;
			}
			break;
		case 's': {
			int64_t v = 0;
			int k = 0;
			while (p < n && isdigit((unsigned char)s[p]) && k < 12) {
				v = v * 10 + (s[p++] - '0');
				k++;
			}
			if (!k || v > INT64_MAX / 1000000000 - 1)
				return 0;
			epoch = v;
			break;
		}
		case '%':
			if (p >= n || s[p] != '%')
				return 0;
			p++;
			break;
		default:
			return 0;
		}
	}
	if (epoch != INT64_MIN) {
		*ns = epoch * 1000000000 + frac;
		return p ? p : 0;
	}
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || sec > 60)
		return 0;
	int yearless = Y < 0;
	if (yearless) {
		/* syslog's year-less form: the year of the reference time, or the
		 * one before when that would put the record more than a day ahead */
		int64_t ref = ref_ns ? ref_ns : sl_time_now_ns();
		time_t t = (time_t)(ref / 1000000000);
		struct tm tm;
		gmtime_r(&t, &tm);
		Y = tm.tm_year + 1900;
		int64_t secs = sl_days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 +
		               mi * 60 + sec - off;
		if (secs > ref / 1000000000 + 86400)
			Y--;
	}
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return 0;
	if (Y < 1678 || Y > 2261) /* nanoseconds since 1970 must fit an int64_t */
		return 0;
	int64_t secs = sl_days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 +
	               mi * 60 + sec - off;
	*ns = secs * 1000000000 + frac;
	return p;
}

/* The forms sl_time_parse_ref tries after RFC 3339 and epoch digits. */
static const char *const time_forms[] = {
    "%Y-%m-%d%~%T%f%z",   /* ISO without zone, python's comma millis */
    "%Y-%m-%d %T%f %Z",   /* postgres: 2024-01-02 03:04:05.123 UTC */
    "%d/%b/%Y:%T%f %z",   /* common log format */
    "%Y/%m/%d %T%f",      /* nginx error log, Go's log package */
    "%b %e %T%f",         /* syslog RFC 3164, year-less */
    "%b %e %Y %T%f",      /* syslog with a year */
    "%a %b %e %T%f %Y",   /* ctime, apache error log */
    "%d %b %Y %T%f",      /* redis */
    "%d %b %T%f",         /* old redis, year-less */
    "%Y%m%d %T%f",        /* glog-ish */
    "%a, %d %b %Y %T %Z", /* RFC 1123 */
};

int sl_time_parse_ref(const char *s, size_t n, int64_t ref_ns, int64_t *ns)
{
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (sl_time_parse_any(s, n, ns) == 0)
		return 0;
	for (size_t i = 0; i < sizeof time_forms / sizeof time_forms[0]; i++)
		if (sl_time_scan(s, n, time_forms[i], ref_ns, ns) == n)
			return 0;
	return -1;
}
