/*
 * sl_time — clocks, RFC 3339, durations and sizes.
 */
#include "sl_time.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

int64_t sl_time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sl_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sl_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after H. Hinnant. */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Writes "YYYY-MM-DDTHH:MM:SS" (19 bytes) for secs since the epoch; the
 * inverse of sl_days_from_civil (after H. Hinnant). */
static void civil(int64_t secs, char *out)
{
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999) {
		memcpy(out, "0000-01-01T00:00:00", 19);
		return;
	}
	unsigned hh = (unsigned)(rem / 3600), mm = (unsigned)(rem / 60 % 60),
	         ss = (unsigned)(rem % 60);
	unsigned v[] = {(unsigned)y / 100, (unsigned)y % 100, m, d, hh, mm, ss};
	static const char sep[] = {0, 0, '-', '-', 'T', ':', ':'};
	char *p = out;
	for (int i = 0; i < 7; i++) {
		if (sep[i])
			*p++ = sep[i];
		*p++ = (char)('0' + v[i] / 10);
		*p++ = (char)('0' + v[i] % 10);
	}
}

size_t sl_time_format(int64_t ns, char *out)
{
	int64_t secs = ns / 1000000000, frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	/* the date and time of day change once a second: keep the last one */
	static _Thread_local int64_t last_secs = INT64_MIN;
	static _Thread_local char last[20];
	if (secs != last_secs) {
		civil(secs, last);
		last_secs = secs;
	}
	memcpy(out, last, 19);
	size_t n = 19;
	out[n++] = '.';
	for (int i = 8; i >= 0; i--) {
		out[n + (size_t)i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	n += 9;
	out[n++] = 'Z';
	out[n] = '\0';
	return n;
}

static int digits(const char *s, size_t n, size_t *pos, int count, int *out)
{
	int v = 0;
	for (int i = 0; i < count; i++) {
		if (*pos >= n || !isdigit((unsigned char)s[*pos]))
			return -1;
		v = v * 10 + (s[(*pos)++] - '0');
	}
	*out = v;
	return 0;
}

static int expect(const char *s, size_t n, size_t *pos, char c)
{
	if (*pos >= n || s[*pos] != c)
		return -1;
	(*pos)++;
	return 0;
}

int sl_time_parse(const char *s, size_t n, int64_t *ns)
{
	size_t p = 0;
	int Y, M, D, h, m, sec;
	if (digits(s, n, &p, 4, &Y) || expect(s, n, &p, '-') || digits(s, n, &p, 2, &M) ||
	    expect(s, n, &p, '-') || digits(s, n, &p, 2, &D))
		return -1;
	if (p >= n || (s[p] != 'T' && s[p] != 't' && s[p] != ' '))
		return -1;
	p++;
	if (digits(s, n, &p, 2, &h) || expect(s, n, &p, ':') || digits(s, n, &p, 2, &m) ||
	    expect(s, n, &p, ':') || digits(s, n, &p, 2, &sec))
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60)
		return -1;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return -1;
	if (Y < 1678 || Y > 2261)
		return -1; /* nanoseconds since 1970 fit an int64_t only in between */
	int64_t frac = 0;
	if (p < n && (s[p] == '.' || s[p] == ',')) {
		p++;
		int nd = 0;
		while (p < n && isdigit((unsigned char)s[p])) {
			if (nd < 9) {
				frac = frac * 10 + (s[p] - '0');
				nd++;
			}
			p++;
		}
		if (!nd)
			return -1;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	int64_t off = 0;
	if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
		p++;
	} else if (p < n && (s[p] == '+' || s[p] == '-')) {
		int sign = s[p++] == '-' ? -1 : 1, oh, om;
		if (digits(s, n, &p, 2, &oh))
			return -1;
		if (p < n && s[p] == ':')
			p++;
		if (digits(s, n, &p, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (p != n)
		return -1;
	int64_t secs =
	    sl_days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec - off;
	*ns = secs * 1000000000 + frac;
	return 0;
}

int sl_duration_parse(const char *s, int64_t *ms)
{
	int64_t total = 0;
	const char *p = s;
	if (!*p)
		return -1;
	while (*p) {
		if (!isdigit((unsigned char)*p))
			return -1;
		int64_t v = 0;
		while (isdigit((unsigned char)*p)) {
			if (v > INT64_MAX / 10 - 10)
				return -1;
			v = v * 10 + (*p++ - '0');
		}
		int64_t unit;
		if (!strncmp(p, "ms", 2)) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else if (*p == 'd') {
			unit = 86400000;
			p++;
		} else if (*p == 'w') {
			unit = 7 * 86400000LL;
			p++;
		} else {
			return -1;
		}
		if (v > INT64_MAX / unit || total > INT64_MAX - v * unit)
			return -1;
		total += v * unit;
	}
	*ms = total;
	return 0;
}

int sl_size_parse(const char *s, int64_t *bytes)
{
	const char *p = s;
	int64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		if (v > INT64_MAX / 10 - 10)
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	while (*p == ' ')
		p++;
	static const struct {
		const char *suffix;
		int64_t mult;
	} units[] = {
	    {"", 1},
	    {"B", 1},
	    {"K", 1000},
	    {"KB", 1000},
	    {"KiB", 1024},
	    {"M", 1000000},
	    {"MB", 1000000},
	    {"MiB", 1048576},
	    {"G", 1000000000},
	    {"GB", 1000000000},
	    {"GiB", 1073741824},
	    {"T", 1000000000000},
	    {"TB", 1000000000000},
	    {"TiB", 1099511627776},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (!strcmp(p, units[i].suffix)) {
			if (v > INT64_MAX / units[i].mult)
				return -1;
			*bytes = v * units[i].mult;
			return 0;
		}
	}
	return -1;
}
