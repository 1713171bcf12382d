/*
 * test_parsers_normalize — the one level table and the timestamp forms
 * every parser reads (normalize.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "parser.h" /* parsers/event.h: aggregator/ has an event.h too */
#include "sl_time.h"

#define REF (1718452800LL * 1000000000LL) /* 2024-06-15T12:00:00Z */

static const char *t(const char *s)
{
	static char buf[SL_TIME_LEN];
	int64_t ns;
	if (sl_time_parse_ref(s, strlen(s), REF, &ns))
		return "invalid";
	sl_time_format(ns, buf);
	return buf;
}

Test(normalize, time_forms)
{
	cr_assert_str_eq(t("2024-01-02T03:04:05.123456789Z"), "2024-01-02T03:04:05.123456789Z");
	cr_assert_str_eq(t("2024-01-02T03:04:05+01:00"), "2024-01-02T02:04:05.000000000Z");
	cr_assert_str_eq(t("2024-01-02 03:04:05,250"), "2024-01-02T03:04:05.250000000Z");
	cr_assert_str_eq(t("2024-01-02T03:04:05"), "2024-01-02T03:04:05.000000000Z");
	cr_assert_str_eq(t("2024-01-02 03:04:05.123 UTC"), "2024-01-02T03:04:05.123000000Z");
	cr_assert_str_eq(t("2024-01-02 03:04:05.123 +03"), "2024-01-02T00:04:05.123000000Z");
	cr_assert_str_eq(t("02/Jan/2024:03:04:05 +0530"), "2024-01-01T21:34:05.000000000Z");
	cr_assert_str_eq(t("2024/01/02 03:04:05"), "2024-01-02T03:04:05.000000000Z");
	cr_assert_str_eq(t("Jan  2 03:04:05"), "2024-01-02T03:04:05.000000000Z");
	cr_assert_str_eq(t("Tue Jan 02 03:04:05.5 2024"), "2024-01-02T03:04:05.500000000Z");
	cr_assert_str_eq(t("02 Jan 2024 03:04:05.123"), "2024-01-02T03:04:05.123000000Z");
	cr_assert_str_eq(t("Tue, 02 Jan 2024 03:04:05 GMT"), "2024-01-02T03:04:05.000000000Z");
	cr_assert_str_eq(t("1704164645"), "2024-01-02T03:04:05.000000000Z");
	cr_assert_str_eq(t("1704164645123"), "2024-01-02T03:04:05.123000000Z");
	cr_assert_str_eq(t("1704164645123456789"), "2024-01-02T03:04:05.123456789Z");
	cr_assert_str_eq(t("yesterday"), "invalid");
	cr_assert_str_eq(t("2024-02-30 00:00:00"), "invalid");
	cr_assert_str_eq(t("0001-01-01T00:00:00Z"), "invalid", "outside the int64 ns range");
	cr_assert_str_eq(t("9999-01-01 00:00:00"), "invalid");
	cr_assert_str_eq(t("9999999998999999998"), "invalid", "19 digits past INT64_MAX");
}

Test(normalize, yearless_takes_the_year_that_is_not_in_the_future)
{
	cr_assert_str_eq(t("Jun 16 11:00:00"), "2024-06-16T11:00:00.000000000Z", "within a day");
	cr_assert_str_eq(t("Jun 17 12:00:00"), "2023-06-17T12:00:00.000000000Z");
	cr_assert_str_eq(t("Dec 31 23:59:59"), "2023-12-31T23:59:59.000000000Z");
}

Test(normalize, scan_prefix)
{
	int64_t ns;
	const char *s = "2024/01/02 03:04:05 [error] x";
	cr_assert_eq(sl_time_scan(s, strlen(s), "%Y/%m/%d %T", REF, &ns), 19);
	cr_assert_eq(sl_time_scan(s, strlen(s), "%d/%b/%Y", REF, &ns), 0);
	s = "1704164645.25 rest";
	cr_assert_eq(sl_time_scan(s, strlen(s), "%s%f", REF, &ns), 13);
	cr_assert_eq(ns, 1704164645250000000LL);
}

static void level_is(const char *word, enum sl_level want)
{
	cr_assert_eq(sl_level_parse(word, strlen(word)), want, "%s", word);
}

Test(normalize, levels)
{
	level_is("TRACE", SL_LEVEL_TRACE);
	level_is("debug3", SL_LEVEL_DEBUG);
	level_is("Note", SL_LEVEL_INFO);
	level_is("System", SL_LEVEL_INFO);
	level_is("NOTICE", SL_LEVEL_INFO);
	level_is("LOG", SL_LEVEL_INFO);
	level_is("Warning", SL_LEVEL_WARN);
	level_is("wrn", SL_LEVEL_WARN);
	level_is("ERR", SL_LEVEL_ERROR);
	level_is("crit", SL_LEVEL_FATAL);
	level_is("PANIC", SL_LEVEL_FATAL);
	level_is("emerg", SL_LEVEL_FATAL);
	level_is("E", SL_LEVEL_ERROR);
	level_is("3", SL_LEVEL_ERROR);
	level_is("7", SL_LEVEL_DEBUG);
	level_is("50", SL_LEVEL_ERROR);
	level_is("loud", SL_LEVEL_NONE);
	level_is("", SL_LEVEL_NONE);
}
