/*
 * sluice-store-bench — measures the aggregator's store on generated events,
 * without Kafka: ingest (flatten, index keys, id check, pending, blocks,
 * zlib, fdatasync) in MB of raw JSON per CPU-second, bytes per event on
 * disk, and a few searches with the blocks they read and skip.
 *
 *   sluice-store-bench DIR EVENTS [ZLIB-LEVEL]     (EVENTS 0: search DIR only)
 *   sluice-store-bench DIR 0 QUERY [TIMES]         (one search, TIMES times: for perf)
 *   sluice-store-bench DIR 0 QUERY TIMES count [BY] (ag_store_count instead)
 *
 * The events look like the shipper's (~285 bytes): RFC 3339 time, 32-hex id,
 * host, path, offset, service, level, a 7-word message from a 20-word
 * vocabulary, http.status and user.id; one in a million carries the word
 * "needlexyz". They span a week (one every 6 ms for 10M events).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fields.h"
#include "query.h"
#include "sl_id.h"
#include "sl_log.h"
#include "sl_time.h"
#include "store.h"

static double wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct keys {
	uint64_t *v;
	size_t n, cap;
};

/* Appends h (grows k->v; main frees it). */
static void key_add(void *ud, uint64_t h)
{
	struct keys *k = ud;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->v = sl_realloc(k->v, k->cap * sizeof *k->v);
	}
	k->v[k->n++] = h;
}

static const char *const words[] = {
    "order",      "payment", "user",    "processed", "failed",  "retry", "cache",
    "db",         "query",   "slow",    "request",   "GET",     "POST",  "timeout",
    "connection", "reset",   "session", "token",     "expired", "ok",
};

static unsigned rnd(unsigned *r)
{
	*r = *r * 1103515245u + 12345u;
	return *r >> 16;
}

/* Writes event i into line; returns its length. */
static int make_event(long i, unsigned *r, char *line, size_t size)
{
	char ts[SL_TIME_LEN], id[SL_ID_HEX], src[32];
	int64_t t = 1793491200LL * 1000000000LL + (int64_t)i * 6000000LL;
	unsigned a = rnd(r), b = rnd(r);
	sl_time_format(t, ts);
	snprintf(src, sizeof src, "f%ld", i / 100000);
	sl_id_make("host1", src, (uint64_t)i * 300, id);
	return snprintf(line, size,
	                "{\"time\":\"%s\",\"id\":\"%s\",\"host\":\"host%u\",\"source\":\"file\","
	                "\"path\":\"/var/log/app/app.log\",\"offset\":%ld,\"service\":\"svc%u\","
	                "\"level\":\"%s\",\"message\":\"%s %s for %s %u took %ums %s\","
	                "\"http.status\":%u,\"user.id\":%u}",
	                ts, id, a % 8, i * 300, b % 12, (a % 10) ? "info" : "error", words[a % 20],
	                words[b % 20], words[(a >> 5) % 20], b % 100000, a % 5000,
	                (i % 1000000 == 777) ? "needlexyz" : words[(b >> 7) % 20],
	                200 + (b % 5) * 100, a % 10000);
}

/* Adds a count of ag_store_count to *ud (a uint64_t). */
static int count_add(void *ud, uint64_t n, int64_t time_ns, const struct ag_field *by)
{
	(void)time_ns;
	(void)by;
	*(uint64_t *)ud += n;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s DIR EVENTS [ZLIB-LEVEL]\n", argv[0]);
		return 2;
	}
	sl_log_init("store-bench", SL_LOG_WARN);
	long n = atol(argv[2]);
	struct ag_store s;
	struct ag_store_opts o;
	ag_store_defaults(&o);
	if (argc > 3 && n)
		o.level = atoi(argv[3]);
	if (ag_store_open(&s, argv[1], &o))
		return 1;
	struct ag_event ev = {0};
	struct keys k = {0};
	char line[1024];
	double raw = 0, gen = 0, w0 = wall(), c0 = cpu();
	unsigned r = 1;
	for (long i = 0; i < n; i++) {
		double g0 = cpu();
		int len = make_event(i, &r, line, sizeof line);
		gen += cpu() - g0;
		raw += len;
		uint64_t id[2];
		if (ag_event_parse(&ev, line, (size_t)len))
			return 1;
		ag_id_parse(ag_event_get(&ev, "id")->val, id);
		int64_t t;
		sl_time_parse(ag_event_get(&ev, "time")->val, 30, &t);
		ag_store_prefetch(&s, id); /* as the ingest does */
		k.n = 0;
		size_t nfield = ag_index_keys(&ev, key_add, &k);
		if (ag_store_seen(&s, id, t))
			continue;
		ag_store_add(&s, "default", line, (size_t)len, t, id, k.v, k.n, nfield);
		if (s.pending_bytes >= 8u << 20 && ag_store_flush(&s))
			return 1;
	}
	if (n) {
		if (ag_store_flush(&s))
			return 1;
		double dc = cpu() - c0 - gen, dw = wall() - w0;
		printf("ingest: %ld events, %.0f MB raw: %.1f MB per CPU-second (%.2f s CPU, "
		       "%.2f s wall)\n",
		       n, raw / 1e6, raw / 1e6 / dc, dc, dw);
	}
	/* seal, so the index counts too */
	ag_store_close(&s);
	if (ag_store_open(&s, argv[1], &o))
		return 1;
	printf("disk: %.1f bytes per event (blocks and indexes), %llu blocks\n",
	       (double)s.disk_bytes / (double)(s.events ? s.events : 1),
	       (unsigned long long)s.nblocks);
	static const char *const all[] = {"needlexyz",          "level:error service:svc3",
	                                  "\"payment failed\"", "http.status>=500",
	                                  "user.id:4242",       "*"};
	const char *one[64];
	const char *const *qs = all;
	size_t nq = sizeof all / sizeof *all;
	if (!n && argc > 3) {
		nq = argc > 4 ? (size_t)atoi(argv[4]) : 1;
		nq = nq < 1 ? 1 : nq > 64 ? 64 : nq;
		for (size_t i = 0; i < nq; i++)
			one[i] = argv[3];
		qs = one;
	}
	/* sluice-store-bench DIR 0 QUERY TIMES count: ag_store_count instead */
	int count = !n && argc > 5 && !strcmp(argv[5], "count");
	for (size_t qi = 0; qi < nq && count; qi++) {
		char err[256];
		struct ag_qnode *q = ag_query_parse(qs[qi], err, sizeof err);
		struct ag_scan sc = {.q = q};
		uint64_t total = 0;
		double t0 = wall();
		ag_store_count(&s, &sc, argc > 6 ? argv[6] : NULL, count_add, &total);
		printf("count %-26s %8llu events %8.3f s, blocks read %6llu, skipped %6llu, "
		       "from columns %llu\n",
		       qs[qi], (unsigned long long)total, wall() - t0,
		       (unsigned long long)sc.blocks_read, (unsigned long long)sc.blocks_skipped,
		       (unsigned long long)sc.blocks_columns);
		ag_query_free(q);
	}
	for (size_t qi = 0; qi < nq && !count; qi++) {
		char err[256];
		struct ag_qnode *q = ag_query_parse(qs[qi], err, sizeof err);
		for (int lim = 0; lim < 2; lim++) {
			if (!lim && !strcmp(qs[qi], "*"))
				continue;
			struct ag_scan sc = {.q = q};
			struct ag_hit *h;
			double t0 = wall();
			long c = ag_store_search(&s, &sc, lim ? 100 : 0, &h);
			printf("search %-26s --limit %-3s %8ld hits %8.3f s, blocks read %6llu, "
			       "skipped %6llu, frames inflated only %llu\n",
			       qs[qi], lim ? "100" : "0", c, wall() - t0,
			       (unsigned long long)sc.blocks_read,
			       (unsigned long long)sc.blocks_skipped,
			       (unsigned long long)sc.frames_skipped);
			ag_hits_free(h, c > 0 ? (size_t)c : 0);
		}
		ag_query_free(q);
	}
	free(k.v);
	ag_event_free(&ev);
	ag_store_close(&s);
	return 0;
}
