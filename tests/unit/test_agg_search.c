/*
 * test_agg_search — property test of the query language through the store:
 * random events go into a store (many small blocks, some events still
 * pending), random queries are rendered as text and answered by the store;
 * a brute-force evaluator over the generating structs must give the same
 * events, and the same counts (totals, by a field, per 6 hours; some queries in
 * a time window). Small blocks make every field a column (even message:
 * words are then answered from the columns); larger ones leave message and
 * latency out (words are read from the events, the rest from columns); the
 * largest is one block of two frames.
 * Runs a fixed seed and a random one (printed on failure; set SLUICE_SEED
 * to replay one).
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fields.h"
#include "query.h"
#include "sl_time.h"
#include "store.h"

#define NEV     2000
#define NQUERY  2000
#define NWORDS  14
#define NLEVELS 5
#define NSERV   4

static const char *words[NWORDS] = {"alpha", "beta",    "gamma", "delta",  "error",
                                    "disk",  "full",    "user",  "login",  "retry",
                                    "ok",    "foo_bar", "x1",    "payment"};
static const char *levels[NLEVELS] = {"trace", "debug", "info", "warn", "error"};
static const char *services[NSERV] = {"api", "auth", "billing", "apigw"};
static const int statuses[] = {200, 201, 404, 500, 502, 503};

struct gev {
	int toks[10], ntok;
	char msg[200];
	int level, service, status, lat100, uid, has_uid, tags[3], ntags, opt, has_opt;
	int64_t t;
};

static struct gev evs[NEV];
static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 16) % n);
}

static void gen_events(void)
{
	static const char *seps[] = {" ", ", ", "-", ": ", " (", ") "};
	for (int i = 0; i < NEV; i++) {
		struct gev *e = &evs[i];
		memset(e, 0, sizeof *e);
		e->ntok = 1 + (int)rnd(8);
		char *p = e->msg;
		for (int k = 0; k < e->ntok; k++) {
			e->toks[k] = (int)rnd(NWORDS);
			if (k)
				p += sprintf(p, "%s", seps[rnd(6)]);
			const char *w = words[e->toks[k]];
			int cap = rnd(5) == 0;
			for (size_t j = 0; w[j]; j++)
				*p++ = (char)(j == 0 && cap ? toupper((unsigned char)w[j]) : w[j]);
		}
		*p = '\0';
		/* escapes in the JSON text: the raw-text prefilter must step aside */
		if (rnd(4) == 0) {
			int w = (int)rnd(2);
			strcat(e->msg, w ? " \\\"alpha\\\"" : "\\nbeta");
			e->toks[e->ntok++] = w ? 0 : 1;
		}
		e->level = (int)rnd(NLEVELS);
		e->service = (int)rnd(NSERV);
		e->status = statuses[rnd(6)];
		e->lat100 = (int)rnd(1000);
		e->has_uid = rnd(2);
		e->uid = (int)rnd(20);
		e->ntags = (int)rnd(4);
		for (int k = 0; k < e->ntags; k++)
			e->tags[k] = (int)rnd(NWORDS);
		e->has_opt = rnd(3) == 0;
		e->opt = (int)rnd(5);
		/* unique times over five days, in random order */
		e->t = (1793491200LL + (int64_t)rnd(5 * 86400)) * 1000000000LL + i;
	}
}

static size_t render_event(int i, char *out)
{
	const struct gev *e = &evs[i];
	char ts[SL_TIME_LEN];
	sl_time_format(e->t, ts);
	char *p = out;
	p += sprintf(
	    p,
	    "{\"time\":\"%s\",\"id\":\"%032x\",\"n\":%d,\"level\":\"%s\",\"service\":\"%s\","
	    "\"status\":%d,\"latency\":%d.%02d",
	    ts, i + 1, i, levels[e->level], services[e->service], e->status, e->lat100 / 100,
	    e->lat100 % 100);
	if (e->has_uid)
		p += sprintf(p, ",\"user\":{\"id\":%d}", e->uid);
	if (e->ntags) {
		p += sprintf(p, ",\"tags\":[");
		for (int k = 0; k < e->ntags; k++)
			p += sprintf(p, "%s\"%s\"", k ? "," : "", words[e->tags[k]]);
		p += sprintf(p, "]");
	}
	if (e->has_opt)
		p += sprintf(p, ",\"opt\":\"o%d\"", e->opt);
	p += sprintf(p, ",\"message\":\"%s\"}", e->msg);
	return (size_t)(p - out);
}

/* ---- queries ---- */

enum gk {
	G_WORD,
	G_PHRASE,
	G_WPREFIX,
	G_LEVEL,
	G_SERVICE,
	G_SPREFIX,
	G_STATUS,
	G_SCMP,
	G_LAT,
	G_UID,
	G_TAG,
	G_EXISTS_UID,
	G_EXISTS_OPT,
	G_OPT,
	G_REGEX,
	G_ALL,
	G_LEAVES,
	G_AND = G_LEAVES,
	G_OR,
	G_NOT,
};

struct gq {
	enum gk k;
	int a, b, c, d;
	struct gq *kid[2];
};

static struct gq *gen_query(int depth)
{
	struct gq *q = calloc(1, sizeof *q);
	int r = (int)rnd(depth > 3 ? G_LEAVES : G_LEAVES + 6);
	q->k = r >= G_LEAVES ? (enum gk)(G_AND + (r - G_LEAVES) % 3) : (enum gk)r;
	if (q->k == G_ALL && rnd(4))
		q->k = G_WORD; /* keep '*' rare */
	q->a = (int)rnd(1000);
	q->b = (int)rnd(1000);
	q->c = (int)rnd(2);
	q->d = (int)rnd(2);
	if (q->k >= G_AND) {
		q->kid[0] = gen_query(depth + 1);
		if (q->k != G_NOT)
			q->kid[1] = gen_query(depth + 1);
	}
	return q;
}

static void free_query(struct gq *q)
{
	if (!q)
		return;
	free_query(q->kid[0]);
	free_query(q->kid[1]);
	free(q);
}

static const char *regexes[] = {"^e", "rr", "^(info|warn)$", "g$"};

static int regex_level(int i, const char *l)
{
	switch (i) {
	case 0:
		return l[0] == 'e';
	case 1:
		return strstr(l, "rr") != NULL;
	case 2:
		return !strcmp(l, "info") || !strcmp(l, "warn");
	default:
		return l[strlen(l) - 1] == 'g';
	}
}

static void put_word(char **p, const char *w, int upper)
{
	for (size_t j = 0; w[j]; j++)
		*(*p)++ = (char)(upper ? toupper((unsigned char)w[j]) : w[j]);
	**p = '\0';
}

static void render(const struct gq *q, char **p, int parent)
{
	static const char *ops[] = {">", ">=", "<", "<="};
	int paren;
	switch (q->k) {
	case G_WORD:
		put_word(p, words[q->a % NWORDS], q->c && q->d);
		break;
	case G_PHRASE:
		*p += sprintf(*p, "\"%s %s\"", words[q->a % NWORDS], words[q->b % NWORDS]);
		break;
	case G_WPREFIX: {
		const char *w = words[q->a % NWORDS];
		size_t l = 1 + (size_t)q->b % strlen(w);
		*p += sprintf(*p, "%.*s*", (int)l, w);
		break;
	}
	case G_LEVEL:
		*p += sprintf(*p, "level:%s", levels[q->a % NLEVELS]);
		break;
	case G_SERVICE:
		*p += sprintf(*p, q->c ? "service:\"%s\"" : "service:%s", services[q->a % NSERV]);
		break;
	case G_SPREFIX:
		*p += sprintf(*p, "service:%.*s*", 1 + q->b % 3, services[q->a % NSERV]);
		break;
	case G_STATUS:
		*p += sprintf(*p, q->c ? "status:%d.0" : "status:%d", statuses[q->a % 6]);
		break;
	case G_SCMP:
		*p += sprintf(*p, "status%s%d", ops[q->b % 4], statuses[q->a % 6]);
		break;
	case G_LAT:
		*p += sprintf(*p, "latency:%c%d.%02d TO %d.%02d%c", q->c ? '[' : '{',
		              (q->a % 1000) / 100, q->a % 100, (q->a % 1000 + q->b % 400) / 100,
		              (q->a + q->b % 400) % 100, q->d ? ']' : '}');
		break;
	case G_UID:
		*p += sprintf(*p, "user.id:%d", q->a % 20);
		break;
	case G_TAG: /* tags has several values: never a column */
		if (q->c && q->d)
			*p += sprintf(*p, "_exists_:tags");
		else
			*p += sprintf(*p, "tags:%s", words[q->a % NWORDS]);
		break;
	case G_EXISTS_UID:
		*p += sprintf(*p, q->c ? "_exists_:user" : "_exists_:user.id");
		break;
	case G_EXISTS_OPT:
		*p += sprintf(*p, q->c ? "_exists_:opt" : "opt:*");
		break;
	case G_OPT:
		*p += sprintf(*p, "opt:o%d", q->a % 5);
		break;
	case G_REGEX:
		*p += sprintf(*p, "level:/%s/", regexes[q->a % 4]);
		break;
	case G_ALL:
		*p += sprintf(*p, "*");
		break;
	case G_AND:
	case G_OR:
		paren = (q->k == G_OR && parent != G_OR) || (q->k == G_AND && parent == G_NOT);
		if (paren)
			*(*p)++ = '(';
		render(q->kid[0], p, q->k);
		*p += sprintf(*p, q->k == G_OR ? " OR " : q->c ? " AND " : " ");
		render(q->kid[1], p, q->k);
		if (paren)
			*(*p)++ = ')';
		**p = '\0';
		break;
	case G_NOT:
		*p += sprintf(*p, q->c ? "NOT " : "-");
		render(q->kid[0], p, G_NOT);
		break;
	}
}

static int has_tok(const struct gev *e, int w)
{
	for (int k = 0; k < e->ntok; k++)
		if (e->toks[k] == w)
			return 1;
	return 0;
}

static int brute(const struct gq *q, const struct gev *e)
{
	int v;
	switch (q->k) {
	case G_WORD:
		return has_tok(e, q->a % NWORDS);
	case G_PHRASE:
		for (int k = 0; k + 1 < e->ntok; k++)
			if (e->toks[k] == q->a % NWORDS && e->toks[k + 1] == q->b % NWORDS)
				return 1;
		return 0;
	case G_WPREFIX: {
		const char *w = words[q->a % NWORDS];
		size_t l = 1 + (size_t)q->b % strlen(w);
		for (int k = 0; k < e->ntok; k++)
			if (!strncmp(words[e->toks[k]], w, l))
				return 1;
		return 0;
	}
	case G_LEVEL:
		return e->level == q->a % NLEVELS;
	case G_SERVICE:
		return e->service == q->a % NSERV;
	case G_SPREFIX:
		return !strncmp(services[e->service], services[q->a % NSERV],
		                (size_t)(1 + q->b % 3));
	case G_STATUS:
		return e->status == statuses[q->a % 6];
	case G_SCMP:
		v = statuses[q->a % 6];
		switch (q->b % 4) {
		case 0:
			return e->status > v;
		case 1:
			return e->status >= v;
		case 2:
			return e->status < v;
		default:
			return e->status <= v;
		}
	case G_LAT: {
		int lo = q->a % 1000, hi = q->a % 1000 + q->b % 400;
		return (q->c ? e->lat100 >= lo : e->lat100 > lo) &&
		       (q->d ? e->lat100 <= hi : e->lat100 < hi);
	}
	case G_UID:
		return e->has_uid && e->uid == q->a % 20;
	case G_TAG:
		if (q->c && q->d)
			return e->ntags > 0;
		for (int k = 0; k < e->ntags; k++)
			if (e->tags[k] == q->a % NWORDS)
				return 1;
		return 0;
	case G_EXISTS_UID:
		return e->has_uid;
	case G_EXISTS_OPT:
		return e->has_opt;
	case G_OPT:
		return e->has_opt && e->opt == q->a % 5;
	case G_REGEX:
		return regex_level(q->a % 4, levels[e->level]);
	case G_ALL:
		return 1;
	case G_AND:
		return brute(q->kid[0], e) && brute(q->kid[1], e);
	case G_OR:
		return brute(q->kid[0], e) || brute(q->kid[1], e);
	case G_NOT:
		return !brute(q->kid[0], e);
	}
	return 0;
}

/* ---- the run ---- */

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

static int newest_first(const void *a, const void *b)
{
	int64_t x = evs[*(const int *)a].t, y = evs[*(const int *)b].t;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* ---- counts ---- */

#define NBY 8 /* distinct values a count by a field can see: up to 20 + null */

#define QUARTER_NS (6 * 3600LL * 1000000000LL)

struct tally {
	char key[NBY * 4][16];
	uint64_t n[NBY * 4];
	size_t nk;
	uint64_t total, quarter[24]; /* events per 6 hours, from t0 */
	int64_t t0;
};

static void tally_add(struct tally *t, const char *k, uint64_t n, int64_t time_ns, int with_time)
{
	size_t i = 0;
	while (i < t->nk && strcmp(t->key[i], k))
		i++;
	cr_assert_lt(i, NBY * 4);
	if (i == t->nk)
		snprintf(t->key[t->nk++], sizeof t->key[0], "%s", k);
	t->n[i] += n;
	t->total += n;
	if (with_time) {
		int64_t d = (time_ns - t->t0) / QUARTER_NS;
		cr_assert(d >= 0 && d < 24, "time %lld out of the days", (long long)time_ns);
		t->quarter[d] += n;
	}
}

static uint64_t tally_of(const struct tally *t, const char *k)
{
	for (size_t i = 0; i < t->nk; i++)
		if (!strcmp(t->key[i], k))
			return t->n[i];
	return 0;
}

struct count_ud {
	struct tally *t;
	int with_time;
};

static int count_cb(void *ud, uint64_t n, int64_t time_ns, const struct ag_field *by)
{
	struct count_ud *c = ud;
	char k[16];
	if (by)
		snprintf(k, sizeof k, "%d%.*s", (int)by->type, (int)by->vlen, by->val);
	else
		snprintf(k, sizeof k, "null");
	tally_add(c->t, k, n, time_ns, c->with_time);
	return 0;
}

static const char *const bys[] = {NULL, "level", "user.id", "tags", "opt"};

/* The value brute force expects a count by bys[b] to see for event e. */
static void brute_by(int b, const struct gev *e, char k[16])
{
	if (b == 1)
		snprintf(k, 16, "%d%s", AG_F_STR, levels[e->level]);
	else if (b == 2 && e->has_uid)
		snprintf(k, 16, "%d%d", AG_F_NUM, e->uid);
	else if (b == 3 && e->ntags)
		snprintf(k, 16, "%d%s", AG_F_STR, words[e->tags[0]]);
	else if (b == 4 && e->has_opt)
		snprintf(k, 16, "%do%d", AG_F_STR, e->opt);
	else
		snprintf(k, 16, "null");
}

/* threads: of each scan (the blocks are read in parallel, 1: serially);
 * sealed: the store is closed and opened again before the queries, so the
 * frames' filters are read from the segments' indexes (else some events
 * are pending, and the blocks' filters are in memory) */
static void run_seed(uint64_t seed, size_t block_size, size_t threads, int sealed)
{
	char dir[] = "/tmp/sluice-test-agg.XXXXXX", line[1024], q[4096], err[256];
	cr_assert_not_null(mkdtemp(dir));
	rng = seed ? seed : 1;
	gen_events();
	struct ag_store s;
	struct ag_store_opts o;
	ag_store_defaults(&o);
	o.block_size = block_size;
	o.scan_threads = threads;
	cr_assert_eq(ag_store_open(&s, dir, &o), 0);
	struct ag_event ev = {0};
	struct keys k = {0};
	for (int i = 0; i < NEV; i++) {
		size_t n = render_event(i, line);
		cr_assert_eq(ag_event_parse(&ev, line, n), 0, "%s", line);
		k.n = 0;
		size_t nfield = ag_index_keys(&ev, key_add, &k);
		uint64_t id[2] = {0, (uint64_t)i + 1};
		if (block_size == 64 << 10) /* the store parses the line itself */
			ag_store_add(&s, "default", line, n, evs[i].t, id, k.v, k.n, nfield);
		else
			ag_store_add_event(&s, "default", line, n, evs[i].t, id, k.v, k.n, nfield,
			                   &ev);
		if (i == NEV * 2 / 3)
			cr_assert_eq(ag_store_flush(&s), 0);
	}
	if (sealed) {
		ag_store_close(&s);
		cr_assert_eq(ag_store_open(&s, dir, &o), 0);
		cr_assert_gt(s.nsegs, 1);
		for (size_t i = 0; i < s.nsegs; i++)
			cr_assert_not_null(s.segs[i]->fg);
	}
	static unsigned char want[NEV], got[NEV];
	int order[NEV], from_columns = 0, partly = 0;
	for (int qi = 0; qi < NQUERY; qi++) {
		struct gq *g = gen_query(0);
		char *p = q;
		render(g, &p, -1);
		struct ag_qnode *n = ag_query_parse(q, err, sizeof err);
		cr_assert_not_null(n, "seed %llu: query \"%s\" does not parse: %s",
		                   (unsigned long long)seed, q, err);
		/* a third of the queries in a time window */
		int64_t from = 0, until = 0, t0 = 1793491200LL * 1000000000LL;
		if (qi % 3 == 1) {
			from = t0 + (int64_t)rnd(5 * 86400) * 1000000000LL;
			until = from + (int64_t)rnd(2 * 86400) * 1000000000LL;
		}
		int nwant = 0, by = (int)rnd(5), with_time = (int)rnd(2);
		struct tally tw = {.t0 = t0}, tg = {.t0 = t0};
		for (int i = 0; i < NEV; i++) {
			want[i] =
			    (unsigned char)(brute(g, &evs[i]) &&
			                    (!from || (evs[i].t >= from && evs[i].t <= until)));
			if (want[i]) {
				char bk[16];
				order[nwant++] = i;
				brute_by(by, &evs[i], bk);
				tally_add(&tw, bk, 1, evs[i].t, with_time);
			}
		}
		/* half of them as a histogram of 6 hours would ask: a block within
		 * one such step may then be counted at its oldest time (a block is
		 * never over two days: segments are days) */
		struct ag_scan cs = {.q = n,
		                     .from = from,
		                     .until = until,
		                     .need_time = with_time,
		                     .time_step = with_time && qi % 2 ? QUARTER_NS : 0};
		struct count_ud cu = {&tg, with_time};
		cr_assert_eq(ag_store_count(&s, &cs, bys[by], count_cb, &cu), 0);
		from_columns += cs.blocks_columns && !cs.blocks_read;
		partly += cs.blocks_columns && cs.blocks_read;
		cr_assert_eq(tg.total, (uint64_t)nwant,
		             "seed %llu, blocks of %zu: count \"%s\" gave %llu, brute force %d",
		             (unsigned long long)seed, block_size, q, (unsigned long long)tg.total,
		             nwant);
		for (size_t v = 0; v < tw.nk; v++)
			cr_assert_eq(tally_of(&tg, tw.key[v]), tw.n[v],
			             "seed %llu, blocks of %zu: count \"%s\" by %s: %s",
			             (unsigned long long)seed, block_size, q, bys[by], tw.key[v]);
		cr_assert_eq(tg.nk, tw.nk, "seed %llu: count \"%s\" by %s: other values",
		             (unsigned long long)seed, q, bys[by]);
		cr_assert_eq(memcmp(tg.quarter, tw.quarter, sizeof tw.quarter), 0,
		             "seed %llu, blocks of %zu: count \"%s\": other times",
		             (unsigned long long)seed, block_size, q);
		struct ag_scan sc = {.q = n, .from = from, .until = until};
		struct ag_hit *hits;
		size_t limit = qi % 4 == 0 ? 5 : 0;
		long c = ag_store_search(&s, &sc, limit, &hits);
		cr_assert_geq(c, 0);
		memset(got, 0, sizeof got);
		for (long h = 0; h < c; h++) {
			const char *np = strstr(hits[h].line, "\"n\":");
			cr_assert_not_null(np);
			got[atoi(np + 4)] = 1;
		}
		if (limit) {
			qsort(order, (size_t)nwant, sizeof *order, newest_first);
			long expect = nwant < (int)limit ? nwant : (long)limit;
			cr_assert_eq(c, expect, "seed %llu: \"%s\" gave %ld hits, want %ld",
			             (unsigned long long)seed, q, c, expect);
			for (long h = 0; h < c; h++) {
				const char *np = strstr(hits[h].line, "\"n\":");
				cr_assert_eq(atoi(np + 4), order[h],
				             "seed %llu: \"%s\" hit %ld is n=%d, want n=%d",
				             (unsigned long long)seed, q, h, atoi(np + 4),
				             order[h]);
			}
		} else {
			cr_assert_eq(c, nwant, "seed %llu: \"%s\" gave %ld events, brute force %d",
			             (unsigned long long)seed, q, c, nwant);
			cr_assert_eq(memcmp(want, got, sizeof got), 0,
			             "seed %llu: \"%s\": other events than brute force",
			             (unsigned long long)seed, q);
		}
		ag_hits_free(hits, (size_t)c);
		ag_query_free(n);
		free_query(g);
	}
	/* both paths ran: counts answered from columns alone, and counts that
	 * had to read some blocks */
	cr_assert_gt(from_columns, NQUERY / 10, "%d", from_columns);
	cr_assert_gt(partly, NQUERY / 10, "%d", partly);
	free(k.v);
	ag_event_free(&ev);
	ag_store_close(&s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(agg_search, fixed_seed, .timeout = 240)
{
	run_seed(12345, 2048, 3, 0);
	run_seed(12345, 2048, 1, 1);
	run_seed(12345, 64 << 10, 2, 0);
	run_seed(12345, 1 << 20, 2, 1); /* one block of two frames */
}

Test(agg_search, random_seed, .timeout = 240)
{
	const char *env = getenv("SLUICE_SEED");
	uint64_t seed =
	    env ? strtoull(env, NULL, 10) : ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	fprintf(stderr, "agg_search: random seed %llu (replay with SLUICE_SEED)\n",
	        (unsigned long long)seed);
	run_seed(seed, 2048, 3, 1);
	run_seed(seed, 64 << 10, 2, 0);
	run_seed(seed, 1 << 20, 1, 0);
}
