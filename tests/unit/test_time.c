/*
 * test_time — sl_time: RFC 3339 formatting and parsing, durations, sizes.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sl_time.h"

#define NS 1000000000LL
#define T0 1700000000LL /* 2023-11-14T22:13:20Z */

static int64_t parse_ok(const char *s)
{
	int64_t ns = -12345;
	cr_assert_eq(sl_time_parse(s, strlen(s), &ns), 0, "\"%s\" should parse", s);
	return ns;
}

static void parse_bad(const char *s)
{
	int64_t ns = -12345;
	cr_assert_eq(sl_time_parse(s, strlen(s), &ns), -1, "\"%s\" should be rejected", s);
	cr_assert_eq(ns, -12345, "\"%s\": *ns written on failure", s);
}

/* ---- format ---- */

Test(time, format_epoch)
{
	char out[SL_TIME_LEN];
	cr_assert_eq(sl_time_format(0, out), 30);
	cr_assert_str_eq(out, "1970-01-01T00:00:00.000000000Z");
}

Test(time, format_values)
{
	char out[SL_TIME_LEN];
	cr_assert_eq(sl_time_format(T0 * NS + 123456789, out), 30);
	cr_assert_str_eq(out, "2023-11-14T22:13:20.123456789Z");
	sl_time_format(T0 * NS + 1, out);
	cr_assert_str_eq(out, "2023-11-14T22:13:20.000000001Z");
	sl_time_format(951782400LL * NS, out); /* leap day 2000 */
	cr_assert_str_eq(out, "2000-02-29T00:00:00.000000000Z");
	sl_time_format(-1, out);
	cr_assert_str_eq(out, "1969-12-31T23:59:59.999999999Z");
	sl_time_format(-NS, out);
	cr_assert_str_eq(out, "1969-12-31T23:59:59.000000000Z");
	sl_time_format(INT64_MAX, out);
	cr_assert_str_eq(out, "2262-04-11T23:47:16.854775807Z");
}

Test(time, round_trip)
{
	static const int64_t v[] = {
	    0,
	    1,
	    -1,
	    T0 * NS,
	    T0 * NS + 999999999,
	    951782400 * NS,
	    4102444800LL * NS,
	    -86400LL * NS,
	    1234567890123456789LL,
	};
	char out[SL_TIME_LEN];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = sl_time_format(v[i], out);
		int64_t back = 0;
		cr_assert_eq(sl_time_parse(out, n, &back), 0, "%s", out);
		cr_assert_eq(back, v[i], "%s", out);
	}
	/* a spread of values */
	for (int64_t x = -5000000000000000000LL; x < 5000000000000000000LL;
	     x += 77777777777777777LL) {
		size_t n = sl_time_format(x, out);
		int64_t back = 0;
		cr_assert_eq(sl_time_parse(out, n, &back), 0, "%s", out);
		cr_assert_eq(back, x, "%s", out);
	}
}

/* ---- parse ---- */

Test(time, parse_utc)
{
	cr_assert_eq(parse_ok("2023-11-14T22:13:20Z"), T0 * NS);
	cr_assert_eq(parse_ok("2023-11-14t22:13:20z"), T0 * NS);
	cr_assert_eq(parse_ok("2023-11-14 22:13:20Z"), T0 * NS);
	cr_assert_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(parse_ok("2000-02-29T00:00:00Z"), 951782400LL * NS);
	cr_assert_eq(parse_ok("1969-12-31T23:59:59Z"), -NS);
}

Test(time, parse_offsets)
{
	cr_assert_eq(parse_ok("2023-11-15T00:13:20+02:00"), T0 * NS);
	cr_assert_eq(parse_ok("2023-11-15T00:13:20+0200"), T0 * NS);
	cr_assert_eq(parse_ok("2023-11-14T16:43:20-05:30"), T0 * NS);
	cr_assert_eq(parse_ok("2023-11-14T16:43:20-0530"), T0 * NS);
	cr_assert_eq(parse_ok("2023-11-14T22:13:20+00:00"), T0 * NS);
	cr_assert_eq(parse_ok("2023-11-14T22:13:20-00:00"), T0 * NS);
	/* crossing a day and a year boundary */
	cr_assert_eq(parse_ok("2024-01-01T01:00:00+02:00"), parse_ok("2023-12-31T23:00:00Z"));
	cr_assert_eq(parse_ok("2023-12-31T20:00:00-05:00"), parse_ok("2024-01-01T01:00:00Z"));
}

Test(time, parse_fractions)
{
	static const struct {
		const char *s;
		int64_t frac;
	} c[] = {
	    {"2023-11-14T22:13:20.1Z", 100000000},
	    {"2023-11-14T22:13:20.12Z", 120000000},
	    {"2023-11-14T22:13:20.123Z", 123000000},
	    {"2023-11-14T22:13:20.1234Z", 123400000},
	    {"2023-11-14T22:13:20.12345Z", 123450000},
	    {"2023-11-14T22:13:20.123456Z", 123456000},
	    {"2023-11-14T22:13:20.1234567Z", 123456700},
	    {"2023-11-14T22:13:20.12345678Z", 123456780},
	    {"2023-11-14T22:13:20.123456789Z", 123456789},
	    {"2023-11-14T22:13:20.000000001Z", 1},
	    {"2023-11-14T22:13:20,5Z", 500000000},
	    {"2023-11-15T00:13:20.250+02:00", 250000000},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		cr_assert_eq(parse_ok(c[i].s), T0 * NS + c[i].frac, "%s", c[i].s);
}

Test(time, parse_uses_length)
{
	const char *s = "2023-11-14T22:13:20Zgarbage";
	int64_t ns = 0;
	cr_assert_eq(sl_time_parse(s, 20, &ns), 0);
	cr_assert_eq(ns, T0 * NS);
	cr_assert_eq(sl_time_parse(s, 19, &ns), -1);
	cr_assert_eq(sl_time_parse(s, strlen(s), &ns), -1);
}

Test(time, parse_invalid)
{
	static const char *const bad[] = {
	    "",
	    "2023",
	    "2023-11-14",
	    "2023-11-14T22:13:20",        /* no zone */
	    "2023-11-14T22:13Z",          /* no seconds */
	    "2023-11-14X22:13:20Z",       /* bad separator */
	    "2023/11/14T22:13:20Z",       /* bad separator */
	    "23-11-14T22:13:20Z",         /* 2-digit year */
	    "2023-1-14T22:13:20Z",        /* 1-digit month */
	    "2023-11-14T2:13:20Z",        /* 1-digit hour */
	    "2023-00-14T22:13:20Z",       /* month 0 */
	    "2023-13-14T22:13:20Z",       /* month 13 */
	    "2023-11-00T22:13:20Z",       /* day 0 */
	    "2023-11-32T22:13:20Z",       /* day 32 */
	    "2023-11-14T24:13:20Z",       /* hour 24 */
	    "2023-11-14T22:60:20Z",       /* minute 60 */
	    "2023-11-14T22:13:61Z",       /* second 61 */
	    "2023-11-14T22:13:20.Z",      /* empty fraction */
	    "2023-11-14T22:13:20.123",    /* fraction, no zone */
	    "2023-11-14T22:13:20+02",     /* offset without minutes */
	    "2023-11-14T22:13:20+2:00",   /* 1-digit offset hour */
	    "2023-11-14T22:13:20+02:0",   /* 1-digit offset minute */
	    "2023-11-14T22:13:20 +02:00", /* space before the offset */
	    "2023-11-14T22:13:20ZZ",      /* trailing junk */
	    "2023-11-14T22:13:20Z ",      /* trailing space */
	    " 2023-11-14T22:13:20Z",      /* leading space */
	    "2023-11-14T22:13:20UTC",     /* zone name */
	    "abcd-ef-ghTij:kl:mnZ",
	    "1700000000",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		parse_bad(bad[i]);
}

Test(time, clocks)
{
	int64_t now = sl_time_now_ns();
	cr_assert_gt(now, T0 * NS, "the clock is before 2023?");
	int64_t a = sl_mono_ms(), b = sl_mono_ms();
	cr_assert_geq(b, a);
}

/* ---- durations ---- */

static int64_t dur_ok(const char *s)
{
	int64_t ms = -7;
	cr_assert_eq(sl_duration_parse(s, &ms), 0, "\"%s\" should parse", s);
	return ms;
}

Test(time, duration_good)
{
	cr_assert_eq(dur_ok("500ms"), 500);
	cr_assert_eq(dur_ok("30s"), 30000);
	cr_assert_eq(dur_ok("15m"), 900000);
	cr_assert_eq(dur_ok("2h"), 7200000);
	cr_assert_eq(dur_ok("7d"), 604800000);
	cr_assert_eq(dur_ok("1h30m"), 5400000);
	cr_assert_eq(dur_ok("1m30s"), 90000);
	cr_assert_eq(dur_ok("1s500ms"), 1500);
	cr_assert_eq(dur_ok("0s"), 0);
	cr_assert_eq(dur_ok("0ms"), 0);
	cr_assert_eq(dur_ok("1d2h3m4s5ms"), 86400000 + 7200000 + 180000 + 4000 + 5);
	cr_assert_eq(dur_ok("1000000ms"), 1000000);
}

Test(time, duration_bad)
{
	static const char *const bad[] = {
	    "",   "5",   "5x",   "-1s", "1.5h", " 5s", "5s ",  "s",  "ms",
	    "5S", "5 s", "1h30", "h1",  "5sec", "+5s", "5mss", "1y", "99999999999999999999s",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ms = -7;
		cr_assert_eq(sl_duration_parse(bad[i], &ms), -1, "\"%s\" should be rejected",
		             bad[i]);
		cr_assert_eq(ms, -7);
	}
}

Test(time, duration_large_term)
{
	int64_t ms = -7;
	cr_assert_eq(sl_duration_parse("106751991167d", &ms), 0);
	cr_assert_eq(ms, 106751991167LL * 86400000);
	cr_assert_eq(sl_duration_parse("106751991168d", &ms), -1);
}

/* Regression: each term is range-checked but the running sum is not,
 * common/sl_time.c:170 (total += v * unit), so this wraps to a negative value
 * (signed overflow, UB). */
Test(time, duration_sum_overflow)
{
	int64_t ms = -7;
	cr_assert_eq(sl_duration_parse("106751991167d106751991167d", &ms), -1,
	             "sum overflow accepted, gave %lld", (long long)ms);
}

/* Regression: impossible dates and offsets are accepted: the day
 * is only checked against 31 and the offset not at all, common/sl_time.c:90
 * and :119. */
Test(time, parse_rejects_impossible_dates)
{
	parse_bad("2023-02-30T00:00:00Z");
	parse_bad("2023-04-31T00:00:00Z");
	parse_bad("2023-02-29T00:00:00Z");
	parse_bad("2023-11-14T22:13:20+99:99");
}

/* ---- sizes ---- */

static int64_t size_ok(const char *s)
{
	int64_t v = -7;
	cr_assert_eq(sl_size_parse(s, &v), 0, "\"%s\" should parse", s);
	return v;
}

Test(time, size_good)
{
	cr_assert_eq(size_ok("64KiB"), 65536);
	cr_assert_eq(size_ok("10GiB"), 10LL << 30);
	cr_assert_eq(size_ok("5MB"), 5000000);
	cr_assert_eq(size_ok("100"), 100);
	cr_assert_eq(size_ok("0"), 0);
	cr_assert_eq(size_ok("100B"), 100);
	cr_assert_eq(size_ok("2K"), 2000);
	cr_assert_eq(size_ok("2KB"), 2000);
	cr_assert_eq(size_ok("512KiB"), 524288);
	cr_assert_eq(size_ok("64MiB"), 64LL << 20);
	cr_assert_eq(size_ok("3G"), 3000000000LL);
	cr_assert_eq(size_ok("1TB"), 1000000000000LL);
	cr_assert_eq(size_ok("1TiB"), 1LL << 40);
	cr_assert_eq(size_ok("4 KiB"), 4096);
}

Test(time, size_bad)
{
	static const char *const bad[] = {
	    "",
	    "KiB",
	    "-1",
	    "5XB",
	    "5kib",
	    "1.5MiB",
	    "5 KiB x",
	    "5KIB",
	    "5Ki",
	    " 5",
	    "5PiB",
	    "0x10",
	    "ten",
	    "99999999999999999999",
	    "9999999999TiB",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t v = -7;
		cr_assert_eq(sl_size_parse(bad[i], &v), -1, "\"%s\" should be rejected", bad[i]);
		cr_assert_eq(v, -7);
	}
}
