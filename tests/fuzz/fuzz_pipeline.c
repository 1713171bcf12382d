/*
 * fuzz_pipeline — whole inputs through sl_pipe: the first byte picks the
 * input type, the rest is split into lines and fed with flushes in between
 * (a line starting with \x01 is a flush timer tick, \x02 a forced flush).
 * Checks: every event is one valid JSON object, offsets never go back,
 * every record's end is past its offset, nothing is left after a forced
 * flush.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "pipeline.h"
#include "sl_buf.h"

static const char *const types[] = {"file",  "docker", "cri",   "postgres",
                                    "mysql", "redis",  "syslog"};
static const char *const paths[] = {"/var/log/app.log",
                                    "/var/lib/docker/containers/abc/abc-json.log",
                                    "/var/log/pods/ns_pod_uid/c/0.log",
                                    "/var/log/postgresql/postgresql.log",
                                    "/var/log/mysql/error.log",
                                    "/var/log/redis/redis.log",
                                    "/var/log/syslog"};

static uint64_t last_off;

static void drain(struct sl_pipe *p, struct sl_buf *out)
{
	static const struct sl_event_ctx ctx = {
	    .host = "h", .source = "file", .path = "/p", .identity = "1:2:3"};
	struct sl_pipe_rec *r;
	while ((r = sl_pipe_peek(p))) {
		if (r->end <= r->off || r->off < last_off)
			abort();
		last_off = r->off;
		sl_buf_reset(out);
		sl_event_write(&r->ev, &ctx, r->off, 1, out);
		yajl_val v = yajl_tree_parse(out->data, NULL, 0);
		if (!v || !YAJL_IS_OBJECT(v)) {
			fprintf(stderr, "invalid event JSON: %s\n", out->data);
			abort();
		}
		yajl_tree_free(v);
		sl_pipe_pop(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t t = data[0] % (sizeof types / sizeof types[0]);
	struct sl_pipe_opts o = {.type = types[t],
	                         .path = paths[t],
	                         .max_record = 64 + (data[0] >> 3) * 16,
	                         .flush_ms = 10,
	                         .ref_ns = 1700000000LL * 1000000000LL};
	char err[256];
	struct sl_pipe *p = sl_pipe_new(&o, err, sizeof err);
	if (!p)
		abort();
	struct sl_buf out = {0};
	last_off = 0;
	const char *s = (const char *)data + 1, *end = (const char *)data + size;
	int64_t now = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - s);
		uint64_t off = (uint64_t)(s - (const char *)data);
		now += 3;
		if (n && *s == '\x01')
			sl_pipe_flush(p, now + 100, 0);
		else if (n && *s == '\x02')
			sl_pipe_flush(p, now, 1);
		else
			sl_pipe_feed(p, s, n > o.max_record ? o.max_record : n, off, off + n + 1,
			             n > o.max_record, now);
		drain(p, &out);
		s = nl ? nl + 1 : end;
	}
	sl_pipe_flush(p, now, 1);
	drain(p, &out);
	if (sl_pipe_pending(p))
		abort();
	sl_pipe_free(p);
	sl_buf_free(&out);
	return 0;
}
