/*
 * fuzz_query — libFuzzer target for the query parser: parse the input; when
 * it parses, match it against a few events, check the raw-text prefilter
 * never rejects a match, and ask the index whether a block could match.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "query.h"

static const char *const events[] = {
    ("{\"time\":\"2026-11-29T10:00:00Z\",\"level\":\"error\",\"message\":\"Payment declined "
     "for order 17\",\"http\":{\"status\":502},\"tags\":[\"a\",1,null],\"ok\":true}"),
    "{\"message\":\"\",\"n\":-1.5e3,\"user\":\"Ada Lovelace\"}",
    "{}",
};

static int any_key(void *ud, uint64_t h, int word)
{
	return (int)((h ^ (uint64_t)word) & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	char *q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	struct ag_qnode *n = ag_query_parse(q, err, sizeof err);
	if (n) {
		struct ag_event ev = {0};
		struct ag_prefilter pf;
		ag_prefilter_build(n, &pf);
		for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
			if (ag_event_parse(&ev, events[i], strlen(events[i])) != 0)
				abort();
			int m = ag_query_match_event(n, &ev);
			/* the raw-text prefilter never rejects a match */
			if (m && !ag_prefilter_pass(&pf, events[i], strlen(events[i])))
				abort();
		}
		ag_prefilter_free(&pf);
		(void)ag_query_may_match(n, any_key, NULL);
		(void)ag_query_is_all(n);
		ag_event_free(&ev);
		ag_query_free(n);
	} else if (!err[0] || strncmp(err, "query:", 6) != 0) {
		abort(); /* every failure names its line and column */
	}
	free(q);
	return 0;
}
