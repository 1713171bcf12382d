/*
 * test_store — the segment store: add, flush, search, reopen, recovery from
 * a torn tail, duplicate ids across restarts, the first-slice import.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fields.h"
#include "query.h"
#include "sl_time.h"
#include "store.h"

static char dir[256];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof dir, "/tmp/sluice-test-store.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

struct keys {
	uint64_t *v;
	size_t n, cap;
};

static void key_add(void *ud, uint64_t h)
{
	struct keys *k = ud;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->v = realloc(k->v, k->cap * sizeof *k->v);
	}
	k->v[k->n++] = h;
}

/* Parses line, takes its index keys and adds it with time t and id. */
static void store_line(struct ag_store *s, const char *line, int64_t t, const uint64_t id[2])
{
	struct ag_event ev = {0};
	cr_assert_eq(ag_event_parse(&ev, line, strlen(line)), 0, "%s", line);
	struct keys k = {0};
	size_t nfield = ag_index_keys(&ev, key_add, &k);
	ag_store_add(s, "default", line, strlen(line), t, id, k.v, k.n, nfield);
	free(k.v);
	ag_event_free(&ev);
}

/* Adds event i (time 2026-11-01 + i seconds) unless seen; returns 1 if added. */
static int add(struct ag_store *s, int i, const char *msg)
{
	char line[512], idhex[40];
	snprintf(idhex, sizeof idhex, "%032x", i + 1);
	long long t = 1793491200LL + i; /* 2026-11-01T00:00:00Z */
	snprintf(line, sizeof line,
	         "{\"time\":\"%lld\",\"id\":\"%s\",\"host\":\"h\",\"path\":\"/p\",\"offset\":%d,"
	         "\"level\":\"%s\",\"n\":%d,\"message\":\"%s %d\"}",
	         t, idhex, i * 10, i % 3 ? "info" : "error", i, msg, i);
	uint64_t id[2];
	ag_id_parse(idhex, id);
	if (ag_store_seen(s, id, t * 1000000000LL))
		return 0;
	store_line(s, line, t * 1000000000LL, id);
	return 1;
}

/* A search and its frames skipped before decoding. */
static long count_skips(struct ag_store *s, const char *q, uint64_t *skipped)
{
	char err[256];
	struct ag_qnode *n = ag_query_parse(q, err, sizeof err);
	cr_assert_not_null(n, "%s", err);
	struct ag_scan sc = {.q = n};
	struct ag_hit *hits;
	long c = ag_store_search(s, &sc, 0, &hits);
	ag_hits_free(hits, c > 0 ? (size_t)c : 0);
	ag_query_free(n);
	*skipped = sc.frames_skipped;
	return c;
}

static long count(struct ag_store *s, const char *q)
{
	uint64_t skipped;
	return count_skips(s, q, &skipped);
}

static struct ag_store_opts small(void)
{
	struct ag_store_opts o;
	ag_store_defaults(&o);
	o.block_size = 4096;
	return o;
}

Test(store, add_flush_search_reopen, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	for (int i = 0; i < 1000; i++)
		cr_assert(add(&s, i, "hello world"));
	cr_assert_eq(count(&s, "*"), 1000); /* pending, searchable */
	cr_assert_eq(ag_store_flush(&s), 0);
	cr_assert_gt(s.nblocks, 10);
	for (int i = 1000; i < 1500; i++)
		cr_assert(add(&s, i, "second batch"));
	cr_assert_eq(count(&s, "*"), 1500);
	cr_assert_eq(count(&s, "hello"), 1000);
	cr_assert_eq(count(&s, "level:error"), 500);
	cr_assert_eq(count(&s, "n>=1490"), 10);
	cr_assert_eq(count(&s, "\"hello world 7\""), 1);
	/* the index skips blocks for a needle */
	char err[256];
	struct ag_qnode *q = ag_query_parse("\"world 500\"", err, sizeof err);
	struct ag_scan sc = {.q = q};
	struct ag_hit *hits;
	cr_assert_eq(ag_store_search(&s, &sc, 0, &hits), 1);
	cr_assert_lt(sc.blocks_read, 3, "read %llu blocks", (unsigned long long)sc.blocks_read);
	cr_assert(strstr(hits[0].line, "\"n\":500,"));
	ag_hits_free(hits, 1);
	ag_query_free(q);
	/* newest first with a limit */
	q = ag_query_parse("*", err, sizeof err);
	struct ag_scan sc2 = {.q = q};
	cr_assert_eq(ag_store_search(&s, &sc2, 3, &hits), 3);
	cr_assert(strstr(hits[0].line, "\"n\":1499,"), "%s", hits[0].line);
	cr_assert(strstr(hits[2].line, "\"n\":1497,"), "%s", hits[2].line);
	ag_hits_free(hits, 3);
	ag_query_free(q);
	ag_store_close(&s); /* flushes and seals */

	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	cr_assert_eq(count(&s, "*"), 1500);
	cr_assert_eq(count(&s, "second"), 500);
	/* every id is known after the restart */
	for (int i = 0; i < 1500; i += 7)
		cr_assert_not(add(&s, i, "again"));
	cr_assert(add(&s, 1500, "new"));
	ag_store_close(&s);
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	cr_assert_eq(count(&s, "*"), 1501);
	ag_store_close(&s);
}

static int count_one(void *ud, uint64_t n, int64_t time_ns, const struct ag_field *by)
{
	*(uint64_t *)ud += n;
	return 0;
}

/* A search or count past its deadline; returns timed_out, *n its events. */
static int late(struct ag_store *s, const char *q, int cnt, uint64_t *n)
{
	char err[256];
	struct ag_qnode *node = ag_query_parse(q, err, sizeof err);
	cr_assert_not_null(node, "%s", err);
	struct ag_scan sc = {.q = node, .deadline_ms = sl_mono_ms() - 1};
	*n = 0;
	if (cnt) {
		cr_assert_eq(ag_store_count(s, &sc, NULL, count_one, n), 0);
	} else {
		struct ag_hit *hits;
		long c = ag_store_search(s, &sc, 0, &hits);
		cr_assert_geq(c, 0);
		ag_hits_free(hits, (size_t)c);
		*n = (uint64_t)c;
	}
	ag_query_free(node);
	return sc.timed_out;
}

Test(store, scans_past_their_deadline_stop_and_say_so, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	for (int i = 0; i < 1000; i++)
		cr_assert(add(&s, i, "hello world"));
	ag_store_close(&s); /* sealed: the filters are read from the index */
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	uint64_t n;
	/* a block that would be read is not: the scan stops there */
	cr_assert(late(&s, "hello", 0, &n));
	cr_assert_lt(n, 1000);
	cr_assert(late(&s, "level:error", 1, &n));
	cr_assert_lt(n, 334);
	/* a search that reads no block (no filter lets the word through) ends
	 * before its deadline matters: an empty answer, not a timeout */
	cr_assert_not(late(&s, "zzqxabsent", 0, &n));
	cr_assert_eq(n, 0);
	ag_store_close(&s);
}

/* The first segment file of dir. */
static void seg_file(char *out, size_t n, const char *ext)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	out[0] = '\0';
	while ((de = readdir(d)))
		if (strstr(de->d_name, ext))
			snprintf(out, n, "%s/%s", dir, de->d_name);
	closedir(d);
	cr_assert(out[0], "no %s file", ext);
}

/* Adds an event whose id is made from k (spread over all 128 bits). */
static void add_spread(struct ag_store *s, uint64_t key, int64_t i)
{
	char line[256];
	uint64_t id[2] = {key * 0x9E3779B97F4A7C15ULL, ~key * 0xC2B2AE3D27D4EB4FULL};
	snprintf(line, sizeof line, "{\"id\":\"%016llx%016llx\",\"message\":\"m %lld\"}",
	         (unsigned long long)id[0], (unsigned long long)id[1], (long long)i);
	store_line(s, line, 1793491200000000000LL + i, id);
}

Test(store, ids_found_after_seal_and_others_not, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	for (int i = 0; i < 3000; i++)
		add_spread(&s, (uint64_t)i * 2, i);
	ag_store_close(&s); /* sealed: the index orders the blocks' id sections */
	char idx[512];
	seg_file(idx, sizeof idx, ".idx");
	FILE *f = fopen(idx, "rb");
	char magic[4];
	cr_assert_eq(fread(magic, 1, 4, f), 4);
	fclose(f);
	cr_assert(!memcmp(magic, "SLX3", 4));
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	for (int i = 0; i < 6000; i++) {
		uint64_t k = (uint64_t)i;
		uint64_t id[2] = {k * 0x9E3779B97F4A7C15ULL, ~k * 0xC2B2AE3D27D4EB4FULL};
		cr_assert_eq(ag_store_seen(&s, id, 0), i % 2 == 0, "id %d", i);
		/* with the event's own time, the same answer; with a time the
		 * segment's events do not span, it is not looked at */
		int64_t t = 1793491200000000000LL + i / 2;
		cr_assert_eq(ag_store_seen(&s, id, t), i % 2 == 0, "id %d at its time", i);
		cr_assert_eq(ag_store_seen(&s, id, 1793491200000000000LL - 1), 0, "id %d", i);
		cr_assert_eq(ag_store_seen(&s, id, 1793491200000000000LL + 3000), 0, "id %d", i);
	}
	/* the "id" of every event comes back from the id section */
	cr_assert_eq(count(&s, "id:0000000000000000ffffffffffffffff"), 0);
	char q[64];
	snprintf(q, sizeof q, "id:%016llx%016llx", (unsigned long long)(4 * 0x9E3779B97F4A7C15ULL),
	         (unsigned long long)(~4ULL * 0xC2B2AE3D27D4EB4FULL));
	cr_assert_eq(count(&s, q), 1);
	ag_store_close(&s);
}

/* Copies the files of tests/unit/fixtures/NAME into dir (the tests run from the
 * source tree). */
static void copy_fixture(const char *name)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "cp tests/unit/fixtures/%s/* %s/", name, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The id the fixture's event i has: md5("old<i>") in hex, as the generator
 * wrote it (python3 hashlib); checked against the events themselves. */
static void old_id(struct ag_store *s, int i, uint64_t id[2])
{
	char q[64], err[256];
	snprintf(q, sizeof q, "\"old event %d\"", i);
	struct ag_qnode *n = ag_query_parse(q, err, sizeof err);
	struct ag_scan sc = {.q = n};
	struct ag_hit *hits;
	cr_assert_eq(ag_store_search(s, &sc, 0, &hits), 1, "%s", q);
	const char *p = strstr(hits[0].line, "\"id\":\"");
	cr_assert_not_null(p);
	char hex[33];
	memcpy(hex, p + 6, 32);
	hex[32] = '\0';
	ag_id_parse(hex, id);
	ag_hits_free(hits, 1);
	ag_query_free(n);
}

Test(store, reads_and_extends_a_store_of_the_previous_format, .init = mkdir_tmp, .fini = rm_tmp)
{
	/* 300 events written by the release before id sections and columnar
	 * frames (blocks SLB2 without ids, index SLX2 with sorted ids) */
	copy_fixture("store-v2");
	struct ag_store s;
	struct ag_store_opts o = small();
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(ag_store_open(&s, dir, &o), 0);
		cr_assert_eq(count(&s, "*"), 300 + 10 * round);
		cr_assert_eq(count(&s, "level:error"), 100 + 3 * round); /* 5001, 5004, 5007 */
		cr_assert_eq(count(&s, "service:svc1 AND old"), 75);
		for (int i = 0; i < 300; i += 13) {
			uint64_t id[2];
			old_id(&s, i, id);
			cr_assert(ag_store_seen(&s, id, 0), "old id %d", i);
		}
		if (round == 0) /* new events go to a new segment of the new format */
			for (int i = 0; i < 10; i++)
				cr_assert(add(&s, 5000 + i, "new"));
		cr_assert_not(add(&s, 5003, "new"));
		ag_store_close(&s);
		/* then the old segment's index is lost: it is rebuilt from the
		 * events' "id", as an SLX2 index */
		if (round == 0) {
			char idx[512];
			snprintf(idx, sizeof idx, "%s/default-20261101-000000.idx", dir);
			cr_assert_eq(unlink(idx), 0);
		}
	}
}

/* Event i of the store-v3 fixture, as its generator wrote it: the same
 * function, with ag_store_add (16 KiB blocks), built at commit 4dd6b03.
 * Returns its time; its id goes to id. */
static int64_t v3_line(int i, char *line, size_t cap, uint64_t id[2])
{
	char ts[SL_TIME_LEN], idhex[40];
	int64_t t = 1793577600000000000LL + (int64_t)i * 1234567891LL; /* 2026-11-02 */
	sl_time_format(t, ts);
	unsigned long long a = (unsigned long long)(i + 1) * 0x9E3779B97F4A7C15ULL;
	unsigned long long b = (unsigned long long)(i + 7) * 0xC2B2AE3D27D4EB4FULL;
	snprintf(idhex, sizeof idhex, "%016llx%016llx", b, a);
	snprintf(line, cap,
	         "{\"time\":\"%s\",\"id\":\"%s\",\"service\":\"svc%d\",\"level\":\"%s\","
	         "\"trace_id\":\"%016llx%016llx\",\"span_id\":\"%016llx\","
	         "\"message\":\"v3 event %d took %dms\",\"n\":%d}",
	         ts, idhex, i % 4, i % 5 ? "info" : "error", a, b, a ^ b, i, i * 7 % 1000, i);
	ag_id_parse(idhex, id);
	return t;
}

Test(store, reads_frames_with_hex_values_inside, .init = mkdir_tmp, .fini = rm_tmp)
{
	/* 400 events written before hex values (trace_id, span_id) were kept
	 * outside the zlib stream: frames FRAME_COLUMNAR, encoding version 1.
	 * Every event comes back byte for byte, and new events (frames of the
	 * new kind) go beside them. */
	copy_fixture("store-v3");
	struct ag_store s;
	struct ag_store_opts o = small();
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(ag_store_open(&s, dir, &o), 0);
		cr_assert_eq(count(&s, "*"), 400);
		cr_assert_eq(count(&s, "level:error"), 80);
		for (int i = 0; i < 400; i += 37) {
			char line[1024], q[128], err[256];
			uint64_t id[2];
			int64_t t = v3_line(i, line, sizeof line, id);
			id[0] ^= (uint64_t)round; /* as stored again below */
			cr_assert(ag_store_seen(&s, id, t), "id of event %d", i);
			const char *tr = strstr(line, "\"trace_id\":\"") + 12;
			snprintf(q, sizeof q, "trace_id:%.32s", tr);
			struct ag_qnode *n = ag_query_parse(q, err, sizeof err);
			struct ag_scan sc = {.q = n};
			struct ag_hit *hits;
			cr_assert_eq(ag_store_search(&s, &sc, 0, &hits), 1, "%s", q);
			cr_assert_str_eq(hits[0].line, line);
			ag_hits_free(hits, 1);
			ag_query_free(n);
		}
		if (round == 0) { /* the same events again, as new frames in a new segment */
			char line[1024];
			uint64_t id[2];
			for (int i = 0; i < 400; i++) {
				int64_t t = v3_line(i, line, sizeof line, id);
				id[0] ^= 1; /* another id: stored again */
				store_line(&s, line, t, id);
			}
			cr_assert_eq(ag_store_flush(&s), 0);
			cr_assert_eq(count(&s, "*"), 800);
			cr_assert_eq(count(&s, "\"v3 event 123\""), 2);
			ag_store_close(&s);
			/* only the new segment: the old one's frames are read above */
			char cmd[600];
			snprintf(cmd, sizeof cmd, "rm %s/default-20261102-000000.*", dir);
			cr_assert_eq(system(cmd), 0);
		} else {
			ag_store_close(&s);
		}
	}
}

Test(store, segments_sealed_when_full_hand_on_their_id_table, .init = mkdir_tmp, .fini = rm_tmp)
{
	/* each full segment's id table is cleared and taken by the next one:
	 * no id may stay behind in it, none may be lost */
	struct ag_store s;
	struct ag_store_opts o = small();
	o.segment_max = 32 << 10; /* ~180 events a segment */
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	for (int i = 0; i < 3000; i++) {
		cr_assert(add(&s, i, "full"), "event %d", i);
		if (i % 50 == 49)
			cr_assert_eq(ag_store_flush(&s), 0);
		/* the open segment's table holds its own ids and no others */
		for (size_t k = 0; k < s.nsegs; k++) {
			const struct ag_idset *t = &s.segs[k]->open_ids;
			size_t used = 0;
			for (size_t j = 0; j < t->cap; j++)
				used += t->v[j][0] || t->v[j][1];
			cr_assert_eq(used, s.segs[k]->sealed ? 0 : t->n, "event %d", i);
		}
	}
	cr_assert_eq(ag_store_flush(&s), 0);
	cr_assert_gt(s.nsegs, 10);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3000; i++)
			cr_assert_not(add(&s, i, "full"), "event %d stored twice", i);
		for (int i = 3000; i < 3100; i++) { /* in no table */
			char idhex[40];
			uint64_t id[2];
			snprintf(idhex, sizeof idhex, "%032x", i + 1);
			ag_id_parse(idhex, id);
			cr_assert_not(ag_store_seen(&s, id, (1793491200LL + i) * 1000000000LL));
		}
		cr_assert_eq(count(&s, "*"), 3000);
		ag_store_close(&s);
		cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	}
	ag_store_close(&s);
}

Test(store, frames_without_a_word_are_not_decoded, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	o.block_size = 64 << 10; /* ~300 events a block: message is no column */
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	for (int i = 0; i < 6000; i++)
		cr_assert(add(&s, i, i == 3777 ? "zebra" : "plain"));
	cr_assert_eq(ag_store_flush(&s), 0);
	uint64_t sk;
	/* a word's prefix in one frame: the filters cannot tell, so every frame
	 * is inflated, but only the one holding it is decoded */
	cr_assert_eq(count_skips(&s, "zeb*", &sk), 1);
	cr_assert_gt(sk, 5);
	cr_assert_eq(count_skips(&s, "message:zeb*", &sk), 1);
	cr_assert_gt(sk, 5);
	cr_assert_eq(count_skips(&s, "zebra", &sk), 1);
	cr_assert_eq(count_skips(&s, "ZEBRA plain", &sk), 0);
	/* words the frames hold outside their text: not judged, or found */
	cr_assert_eq(count_skips(&s, "level:error", &sk), 2000); /* block column values */
	cr_assert_eq(count_skips(&s, "n:3777", &sk), 1);         /* an integer column */
	cr_assert_eq(sk, 0);
	char q[64];
	snprintf(q, sizeof q, "id:%032x", 3778); /* the id section */
	cr_assert_eq(count_skips(&s, q, &sk), 1);
	cr_assert_eq(sk, 0);
	cr_assert_eq(count_skips(&s, "h", &sk), 0); /* a value, not a word of message */
	cr_assert_eq(count_skips(&s, "path:\"/p\" AND zebra", &sk), 1);
	cr_assert_eq(count_skips(&s, "level:/err.*/ AND \"zebra 3777\"", &sk), 1); /* 3777 % 3 */
	cr_assert_eq(count_skips(&s, "level:/inf.*/ AND \"zebra 3777\"", &sk), 0);
	cr_assert_eq(count_skips(&s, "pla* AND NOT zeb*", &sk), 5999);
	cr_assert_eq(count_skips(&s, "lev*", &sk), 0); /* a key, not a word of message */
	ag_store_close(&s);
}

Test(store, frames_with_escapes_are_judged_unless_u, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	o.block_size = 64 << 10;
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	/* stack traces (\n, \t) everywhere; one "zebra" written as \u007aebra */
	for (int i = 0; i < 3000; i++)
		cr_assert(add(&s, i, i == 1234 ? "\\u007aebra" : "plain\\n\\tat trace"));
	cr_assert_eq(ag_store_flush(&s), 0);
	uint64_t sk;
	cr_assert_eq(count_skips(&s, "zebra", &sk), 1);
	/* a prefix: the filters cannot tell, the encodings can ("\n\tat" holds
	 * no word starting "ntat") */
	cr_assert_eq(count_skips(&s, "ntat*", &sk), 0);
	cr_assert_gt(sk, 2);
	cr_assert_eq(count_skips(&s, "zeb*", &sk), 1);
	cr_assert_gt(sk, 2); /* every frame but the one with \u */
	ag_store_close(&s);
}

/* False positives of 300 absent words in s: their total, and the most
 * frames one word passed. */
static void absent_words(struct ag_store *s, uint64_t *total, uint64_t *worst)
{
	*total = *worst = 0;
	for (int w = 0; w < 300; w++) {
		char q[32];
		uint64_t sk;
		snprintf(q, sizeof q, "absent%d", w);
		cr_assert_eq(count_skips(s, q, &sk), 0);
		*total += sk;
		*worst = sk > *worst ? sk : *worst;
	}
}

Test(store, stripes_do_not_share_false_positives, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	o.block_size = 4 << 10; /* ~18 events a frame, a frame a block */
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	/* frames that hold mostly the same words: 20 of a vocabulary of 300 */
	char msg[256];
	for (int i = 0; i < 30000; i++) {
		size_t n = 0;
		for (int j = 0; j < 20; j++)
			n += (size_t)snprintf(msg + n, sizeof msg - n, "%sw%d", j ? " " : "",
			                      (i * 7 + j * 13) % 300);
		cr_assert(add(&s, i, msg));
	}
	cr_assert_eq(ag_store_flush(&s), 0);
	uint64_t frames = s.nblocks, total, worst;
	cr_assert_gt(frames, 3 * 512); /* more than three stripes */
	/* words no event has: the frames of a stripe (512) share a salt, so a
	 * word their filters wrongly let through may pass many of them, but
	 * each stripe errs on its own: not most frames at once. Open (filters
	 * in memory), then sealed (the index's). */
	for (int sealed = 0; sealed < 2; sealed++) {
		if (sealed) {
			ag_store_close(&s);
			cr_assert_eq(ag_store_open(&s, dir, &o), 0);
			cr_assert_not_null(s.segs[0]->fg);
		}
		absent_words(&s, &total, &worst);
		cr_assert_lt(worst, frames / 2, "a word passed %llu of %llu filters",
		             (unsigned long long)worst, (unsigned long long)frames);
		cr_assert_lt(total, 300 * frames / 25, "%llu false positives in %llu probes",
		             (unsigned long long)total, (unsigned long long)(300 * frames));
	}
	ag_store_close(&s);
}

/* The whole of file path (freed by the caller), its length in *n. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	char *p = malloc(*n + 1);
	cr_assert_eq(fread(p, 1, *n, f), *n);
	fclose(f);
	return p;
}

Test(store, recovery_makes_the_same_filters, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	o.block_size = 4 << 10;
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	char msg[64];
	for (int i = 0; i < 20000; i++) { /* past two stripes of frames */
		snprintf(msg, sizeof msg, "word%d other%d", i % 977, i % 13);
		add(&s, i, msg);
	}
	cr_assert_eq(ag_store_flush(&s), 0);
	cr_assert_gt(s.segs[0]->nfr, 512);
	long before = count(&s, "word500"); /* the filters in memory */
	cr_assert_eq(before, (20000 - 500 + 976) / 977);
	ag_store_close(&s);
	/* sealed: the filters laid out in the index; a crash before sealing
	 * loses them, and recovery makes them again from the events: the same
	 * index, byte for byte */
	char idx[512];
	seg_file(idx, sizeof idx, ".idx");
	size_t n1, n2;
	char *sealed = slurp(idx, &n1);
	cr_assert_eq(unlink(idx), 0);
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	cr_assert_not_null(s.segs[0]->fg);
	cr_assert_eq(count(&s, "word500"), before);
	cr_assert_eq(count(&s, "word500 other6"), 2); /* i = 500 + 977k, i % 13 == 6 */
	cr_assert_eq(count(&s, "absentword"), 0);
	ag_store_close(&s);
	char *recovered = slurp(idx, &n2);
	cr_assert_eq(n1, n2);
	cr_assert_eq(memcmp(sealed, recovered, n1), 0, "the index recovery wrote differs");
	free(recovered);
	/* a filter section that does not fit (its number of groups): the index
	 * is made again, the same */
	uint64_t at = 0;
	for (int k = 0; k < 8; k++)
		at |= (uint64_t)(unsigned char)sealed[40 + k] << (8 * k);
	cr_assert(at > 64 && at < n1);
	int fd = open(idx, O_WRONLY);
	cr_assert_eq(pwrite(fd, "\xff\xff\xff\x7f", 4, (off_t)at), 4);
	close(fd);
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	cr_assert_eq(count(&s, "word500"), before);
	ag_store_close(&s);
	recovered = slurp(idx, &n2);
	cr_assert_eq(n1, n2);
	cr_assert_eq(memcmp(sealed, recovered, n1), 0, "the index made again differs");
	free(sealed);
	free(recovered);
}

struct searcher {
	struct ag_store *s;
	int stop; /* atomic */
	long rounds, last;
	int fell; /* a count went down */
};

/* Counts a word over and over while the store's writer adds, flushes and
 * seals: the count never goes down. */
static void *search_loop(void *arg)
{
	struct searcher *x = arg;
	char err[256];
	struct ag_qnode *n = ag_query_parse("word7 OR other3", err, sizeof err);
	while (!__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE)) {
		struct ag_scan sc = {.q = n};
		struct ag_hit *hits;
		long c = ag_store_search(x->s, &sc, 0, &hits);
		ag_hits_free(hits, c > 0 ? (size_t)c : 0);
		x->fell |= c < x->last;
		x->last = c;
		x->rounds++;
	}
	ag_query_free(n);
	return NULL;
}

Test(store, searches_while_segments_seal, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	o.segment_max = 96 << 10; /* a segment sealed every ~600 events */
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	struct searcher x = {.s = &s};
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, search_loop, &x), 0);
	char msg[64];
	long want = 0;
	for (int i = 0; i < 30000; i++) {
		snprintf(msg, sizeof msg, "word%d other%d", i % 11, i % 7);
		want += i % 11 == 7 || i % 7 == 3;
		add(&s, i, msg);
		if (i % 200 == 199) /* blocks, and a seal now and then */
			cr_assert_eq(ag_store_flush(&s), 0);
	}
	cr_assert_eq(ag_store_flush(&s), 0);
	__atomic_store_n(&x.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	cr_assert_gt(s.nsegs, 20);
	cr_assert_gt(x.rounds, 10);
	cr_assert_not(x.fell, "a search found fewer events than the one before");
	cr_assert_eq(count(&s, "word7 OR other3"), want);
	ag_store_close(&s);
}

Test(store, torn_tail_is_cut, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	for (int i = 0; i < 300; i++)
		add(&s, i, "x");
	cr_assert_eq(ag_store_flush(&s), 0);
	ag_store_close(&s);
	/* as if the crash came before sealing, in the middle of a block */
	char seg[512], idx[512];
	seg_file(seg, sizeof seg, ".seg");
	seg_file(idx, sizeof idx, ".idx");
	cr_assert_eq(unlink(idx), 0);
	struct stat st;
	stat(seg, &st);
	int fd = open(seg, O_WRONLY | O_APPEND);
	char junk[3000];
	memset(junk, 'S', sizeof junk);
	memcpy(junk, "SLB1", 4); /* a header that does not check out */
	cr_assert_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	cr_assert_eq(count(&s, "*"), 300);
	for (int i = 0; i < 300; i += 11)
		cr_assert_not(add(&s, i, "dup"));
	ag_store_close(&s);
	struct stat st2;
	stat(seg, &st2);
	cr_assert_eq(st2.st_size, st.st_size);

	/* a damaged last block: cut, the rest kept */
	seg_file(idx, sizeof idx, ".idx");
	cr_assert_eq(unlink(idx), 0);
	fd = open(seg, O_WRONLY);
	cr_assert_eq(pwrite(fd, "XX", 2, st.st_size - 10), 2);
	close(fd);
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	long c = count(&s, "*");
	cr_assert(c > 200 && c < 300, "%ld events after cutting the last block", c);
	ag_store_close(&s);
}

Test(store, imports_first_slice, .init = mkdir_tmp, .fini = rm_tmp)
{
	char path[512];
	snprintf(path, sizeof path, "%s/events.ndjson", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"time\":\"2026-11-01T00:00:00Z\",\"id\":\"a\",\"message\":\"old one\"}\n");
	fprintf(f, "{\"time\":\"2026-11-02T00:00:00Z\",\"id\":\"b\",\"message\":\"old two\"}\n");
	fprintf(f, "{\"time\":\"2026-11-02T00:00:00Z\",\"id\":\"b\",\"message\":\"old two\"}\n");
	fprintf(f, "{\"time\":\"2026-11-02T00:00:00Z\",\"id\":\"c\",\"mess");
	fclose(f);
	struct ag_store s;
	cr_assert_eq(ag_store_open(&s, dir, NULL), 0);
	cr_assert_eq(count(&s, "old"), 2);
	cr_assert_eq(s.nsegs, 2); /* two days */
	ag_store_close(&s);
	cr_assert_eq(access(path, F_OK), -1);
}

static int seen_line(void *ud, const char *line, size_t len, int64_t t, const struct ag_event *e,
                     const struct ag_pos *pos)
{
	(*(int *)ud)++;
	return 0;
}

Test(store, recent_ring, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	o.recent = 16;
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	add(&s, 100, "before anyone follows: not kept");
	ag_store_follow(&s, 1);
	uint64_t cur = UINT64_MAX;
	int n = 0;
	cr_assert_eq(ag_store_recent(&s, &cur, seen_line, &n), 0);
	cr_assert_eq(n, 0);
	for (int i = 0; i < 5; i++)
		add(&s, i, "r");
	cr_assert_eq(ag_store_recent(&s, &cur, seen_line, &n), 0);
	cr_assert_eq(n, 5);
	for (int i = 5; i < 40; i++)
		add(&s, i, "r");
	n = 0;
	cr_assert_eq(ag_store_recent(&s, &cur, seen_line, &n), 19);
	cr_assert_eq(n, 16);
	/* nobody follows: new events are not kept; a new follower starts at
	 * the newest and sees only what comes after */
	ag_store_follow(&s, 0);
	for (int i = 40; i < 45; i++)
		add(&s, i, "unfollowed");
	ag_store_follow(&s, 1);
	cur = UINT64_MAX;
	n = 0;
	cr_assert_eq(ag_store_recent(&s, &cur, seen_line, &n), 0);
	cr_assert_eq(n, 0);
	add(&s, 45, "followed");
	uint64_t old = 0; /* a cursor from before: the unkept events count as missed */
	cr_assert_eq(ag_store_recent(&s, &old, seen_line, &n), 46);
	cr_assert_eq(n, 1);
	ag_store_close(&s);
}

Test(store, damaged_block_in_the_middle_is_skipped, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct ag_store s;
	struct ag_store_opts o = small();
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	for (int i = 0; i < 600; i++)
		add(&s, i, "middle");
	cr_assert_eq(ag_store_flush(&s), 0);
	size_t blocks = s.nblocks;
	cr_assert_gt(blocks, 5);
	ag_store_close(&s);
	char seg[512], idx[512];
	seg_file(seg, sizeof seg, ".seg");
	seg_file(idx, sizeof idx, ".idx");
	cr_assert_eq(unlink(idx), 0);
	struct stat st;
	stat(seg, &st);
	int fd = open(seg, O_WRONLY);
	cr_assert_eq(pwrite(fd, "\xff\xff\xff\xff", 4, st.st_size / 3), 4); /* bit rot */
	close(fd);
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	cr_assert_eq(s.nblocks, blocks - 1, "%zu blocks of %zu", s.nblocks, blocks);
	long c = count(&s, "*");
	cr_assert(c > 500 && c < 600, "%ld events", c);
	cr_assert_eq(count(&s, "n:599"), 1); /* the blocks after it are kept */
	ag_store_close(&s);
	struct stat st2;
	stat(seg, &st2);
	cr_assert_eq(st2.st_size, st.st_size); /* nothing cut */
}

/* The n of each hit, in the order the search gave them. */
static void search_ns(struct ag_store *s, size_t limit, int *out, long *nout)
{
	char err[128];
	struct ag_qnode *q = ag_query_parse("*", err, sizeof err);
	struct ag_scan sc = {.q = q};
	struct ag_hit *h;
	long c = ag_store_search(s, &sc, limit, &h);
	cr_assert_geq(c, 0);
	for (long i = 0; i < c; i++) {
		const char *np = strstr(h[i].line, "\"n\":");
		cr_assert_not_null(np);
		out[i] = atoi(np + 4);
	}
	*nout = c;
	ag_hits_free(h, (size_t)c);
	ag_query_free(q);
}

/* Lines logged in the same second (nginx, syslog) have the same time: newest
 * first must then mean last stored first, in blocks and pending, however
 * many threads read the blocks. */
Test(store, same_time_newest_stored_first, .init = mkdir_tmp, .fini = rm_tmp)
{
	for (size_t threads = 1; threads <= 3; threads++) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", dir);
		cr_assert_eq(system(cmd), 0);
		struct ag_store s;
		struct ag_store_opts o = small();
		o.scan_threads = threads;
		cr_assert_eq(ag_store_open(&s, dir, &o), 0);
		enum { N = 1200, FLUSHED = 1000 };
		for (int i = 0; i < N; i++) {
			char line[256];
			uint64_t id[2] = {7, (uint64_t)i + 1};
			/* the later half's lines sort before the earlier half's */
			snprintf(line, sizeof line,
			         "{\"message\":\"%c line %d\",\"time\":\"2026-11-01T00:00:00Z\","
			         "\"id\":\"%032x\",\"n\":%d}",
			         i < N / 2 ? 'z' : 'a', i, i + 1, i);
			store_line(&s, line, 1793491200000000000LL, id);
			if (i == FLUSHED - 1)
				cr_assert_eq(ag_store_flush(&s), 0);
		}
		cr_assert_geq(s.nblocks, 12, "the blocks are read by several threads");
		int got[N];
		long n;
		search_ns(&s, 0, got, &n);
		cr_assert_eq(n, N);
		for (int i = 0; i < N; i++)
			cr_assert_eq(got[i], N - 1 - i, "%zu threads: hit %d is n=%d", threads, i,
			             got[i]);
		search_ns(&s, 5, got, &n);
		cr_assert_eq(n, 5);
		for (int i = 0; i < 5; i++)
			cr_assert_eq(got[i], N - 1 - i, "limit 5: hit %d is n=%d", i, got[i]);
		/* all flushed: the newest come from the blocks */
		cr_assert_eq(ag_store_flush(&s), 0);
		search_ns(&s, 5, got, &n);
		for (int i = 0; i < 5; i++)
			cr_assert_eq(got[i], N - 1 - i, "flushed, limit 5: hit %d is n=%d", i,
			             got[i]);
		ag_store_close(&s);
	}
}
