/*
 * fuzz_multiline — multi-line assembly: the first byte picks a rule (java,
 * python, go, a start regex, a continue regex, both, the postgres and
 * csvlog and mysql slow log rules) and small caps; the lines go through a
 * file pipe with timer ticks. Checks: records come out in order, their
 * offsets cover the input without overlap, nothing stays after the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "sl_buf.h"
#include "sl_config.h"

static const struct {
	const char *parser, *yaml;
} rules[] = {
    {"plain", "java"},
    {"plain", "python"},
    {"plain", "go"},
    {"plain", "{start: '^\\d{4}-', max_lines: 3}"},
    {"plain", "{continue: '^\\s', max_bytes: 64}"},
    {"plain", "{start: '^\\[', continue: '^  ', flush_timeout: 5ms}"},
    {"postgres", "parser"},
    {"postgres_csv", "parser"},
    {"mysql_slow", "parser"},
    {"mysql_error", "parser"},
};
#define N_RULES (sizeof rules / sizeof rules[0])

static struct sl_cfg cfgs[N_RULES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t k = data[0] % N_RULES;
	if (!cfgs[k].root) {
		char yaml[256];
		snprintf(yaml, sizeof yaml, "v: %s\n", rules[k].yaml);
		if (sl_cfg_load_string(&cfgs[k], "fuzz", yaml, strlen(yaml)))
			abort();
	}
	struct sl_pipe_opts o = {.type = "file",
	                         .parser = rules[k].parser,
	                         .path = "/x.log",
	                         .multiline = sl_cfg_get(cfgs[k].root, "v"),
	                         .max_record = 256,
	                         .flush_ms = 20};
	char err[256];
	struct sl_pipe *p = sl_pipe_new(&o, err, sizeof err);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	const char *s = (const char *)data + 1, *end = (const char *)data + size;
	uint64_t expect = 1; /* the next record starts where the last one ended */
	int64_t now = 0;
	for (;;) {
		int last = s >= end;
		if (!last) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			const char *le = nl ? nl : end;
			size_t n = (size_t)(le - s);
			uint64_t off = (uint64_t)(s - (const char *)data);
			now += (n && *s == '\x01') ? 50 : 1;
			sl_pipe_feed(p, s, n, off, off + n + (nl ? 1 : 0), 0, now);
			sl_pipe_flush(p, now, 0);
			s = nl ? nl + 1 : end;
		} else {
			sl_pipe_flush(p, now, 1);
		}
		struct sl_pipe_rec *r;
		while ((r = sl_pipe_peek(p))) {
			if (r->off != expect || r->end < r->off)
				abort();
			expect = r->end;
			sl_pipe_pop(p);
		}
		if (last)
			break;
	}
	if (sl_pipe_pending(p) || (size > 1 && expect != size))
		abort();
	sl_pipe_free(p);
	return 0;
}
