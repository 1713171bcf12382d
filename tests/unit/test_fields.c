/*
 * test_fields — flattening events and the canonical text of numbers (the
 * index keys of numbers are made of it, so it must never change).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void canon_is_printf(double v)
{
	char got[32], want[32];
	size_t n = ag_num_canon(v, got);
	snprintf(want, sizeof want, "%.17g", v == 0 ? 0 : v);
	cr_assert_str_eq(got, want);
	cr_assert_eq(n, strlen(want), "%s", want);
}

/* integers take a short cut past snprintf: the same text */
Test(fields, num_canon_is_printf_17g)
{
	const double fixed[] = {0,
	                        -0.0,
	                        1,
	                        -1,
	                        0.5,
	                        -2.25,
	                        1e15 + 1,
	                        9007199254740991.0,
	                        9007199254740992.0,
	                        -9007199254740992.0,
	                        9007199254740994.0,
	                        1e16,
	                        1e17,
	                        123456789012345678.0,
	                        -1e300,
	                        4294967296.0};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		canon_is_printf(fixed[i]);
	for (int i = 0; i < 1000000; i++) {
		int64_t r = (int64_t)(rnd() >> (rnd() % 64));
		double v = (double)(rnd() & 1 ? -r : r);
		canon_is_printf(rnd() % 4 ? v : v / 8);
	}
}

Test(fields, get_by_name)
{
	struct ag_event ev = {0};
	const char *j = "{\"id\":\"x\",\"http\":{\"status\":502},\"i\":1,\"idx\":2}";
	cr_assert_eq(ag_event_parse(&ev, j, strlen(j)), 0);
	cr_assert_str_eq(ag_event_get(&ev, "http.status")->val, "502");
	cr_assert_str_eq(ag_event_get(&ev, "id")->val, "x");
	cr_assert_str_eq(ag_event_get(&ev, "i")->val, "1");
	cr_assert_null(ag_event_get(&ev, "http"));
	cr_assert_null(ag_event_get(&ev, "i2"));
	ag_event_free(&ev);
}
