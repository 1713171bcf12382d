/*
 * corpus — a deterministic generator of realistic log files for the benchmarks.
 *
 *   corpus --format FMT --size SIZE --out DIR [--seed N] [--needles N]
 *          [--files N] [--needle TOKEN]
 *
 * FMT is one of json, nginx, postgres, docker, cri, syslog. SIZE is bytes,
 * with an optional K, M, G (powers of 1000) or KiB, MiB, GiB suffix; the
 * output stops at the first line that reaches it. With --files 1 (default)
 * the log goes to DIR/FMT.log; with --files N > 1 the lines are dealt round
 * robin into DIR/FMT/NNNN.log. DIR/FMT.manifest describes what was written:
 * lines, records (a multi-line PostgreSQL error is one record), needles,
 * per-level counts for JSON, and the sha256 of every file and of the whole.
 *
 * Everything comes from one seeded PRNG (splitmix64) and a fixed start time,
 * so the same arguments always give the same bytes (checked by
 * tests/e2e/test_benchmarks.sh). The needle token is planted in the message of
 * exactly --needles records (fewer only if the corpus is too small to hold
 * them), spread evenly through the file.
 *
 * Built by benchmarks/run (cc -O2 corpus.c -lcrypto).
 */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---------------------------------------------------------------- PRNG */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* a uniform integer in [0, n) */
static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* picks an index by integer weights */
static int pick(const int *w, int n)
{
	int total = 0;
	for (int i = 0; i < n; i++)
		total += w[i];
	int r = (int)rn((uint64_t)total);
	for (int i = 0; i < n; i++) {
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return n - 1;
}

/* a Zipf-like pick: index i has weight 1/(i+1) */
static int zipf(int n)
{
	static int w[64];
	static int wn;
	if (wn != n) {
		for (int i = 0; i < n; i++)
			w[i] = 100000 / (i + 1);
		wn = n;
	}
	return pick(w, n);
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---------------------------------------------------------------- output */

struct out {
	FILE **fp;
	EVP_MD_CTX **md; /* one per file */
	EVP_MD_CTX *all; /* all bytes, in generation order */
	uint64_t *fbytes, *flines;
	int nfiles, next;
	uint64_t bytes, lines, records, needles;
};

static char line[1 << 20];
static size_t len;

static void put(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line + len, sizeof line - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n < sizeof line - len ? (size_t)n : sizeof line - len - 1;
}

/* JSON-escapes s into the line */
static void put_esc(const char *s)
{
	for (; *s && len + 8 < sizeof line; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			line[len++] = '\\';
			line[len++] = (char)c;
		} else if (c == '\n') {
			line[len++] = '\\';
			line[len++] = 'n';
		} else if (c == '\t') {
			line[len++] = '\\';
			line[len++] = 't';
		} else if (c < 0x20) {
			len += (size_t)snprintf(line + len, 8, "\\u%04x", c);
		} else {
			line[len++] = (char)c;
		}
	}
	line[len] = 0;
}

/* writes the finished line (which must end in '\n') to the next file */
static void emit(struct out *o)
{
	int f = o->next;
	o->next = (o->next + 1) % o->nfiles;
	fwrite(line, 1, len, o->fp[f]);
	EVP_DigestUpdate(o->md[f], line, len);
	EVP_DigestUpdate(o->all, line, len);
	o->fbytes[f] += len;
	o->flines[f]++;
	o->bytes += len;
	o->lines++;
	len = 0;
}

/* ---------------------------------------------------------------- vocabulary */

static const char *const services[] = {"checkout", "payments",  "cart",     "search",
                                       "auth",     "inventory", "shipping", "notifications",
                                       "frontend", "gateway",   "users",    "recommendations"};
static const char *const levels[] = {"trace", "debug", "info", "warn", "error", "fatal"};
static const int level_w[] = {2, 120, 720, 100, 55, 3};
static const char *const words[] = {
    "order",   "payment", "session", "request", "cache",    "token",    "account",
    "invoice", "cart",    "item",    "stock",   "shipment", "customer", "refund",
    "coupon",  "price",   "queue",   "worker",  "retry",    "timeout",  "upstream",
    "replica", "lease",   "batch",   "job",     "webhook",  "profile",  "address"};
static const char *const paths[] = {"/api/v1/orders",
                                    "/api/v1/cart",
                                    "/api/v1/products",
                                    "/api/v1/users",
                                    "/api/v1/search",
                                    "/api/v1/login",
                                    "/static/app.js",
                                    "/static/style.css",
                                    "/healthz",
                                    "/api/v2/payments",
                                    "/",
                                    "/favicon.ico"};
static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
static const int method_w[] = {70, 20, 5, 3, 2};
static const char *const agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "curl/7.88.1",
    "kube-probe/1.28",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Mobile/15E148"};
static const int status_w[] = {820, 40, 30, 60, 20, 15, 10, 5};
static const int statuses[] = {200, 201, 204, 304, 400, 404, 500, 502};
static const char *const exceptions[] = {
    "java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"s\" is null",
    "java.net.SocketTimeoutException: Read timed out",
    "java.lang.IllegalStateException: connection pool exhausted",
    "org.postgresql.util.PSQLException: ERROR: deadlock detected"};
static const char *const frames[] = {
    "com.example.checkout.OrderService.place(OrderService.java:%d)",
    "com.example.payments.Client.charge(Client.java:%d)",
    "com.example.common.http.Retry.call(Retry.java:%d)",
    "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:%d)",
    "jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:%d)",
    "java.base/java.lang.Thread.run(Thread.java:%d)"};
static const char *const hosts[] = {"web-01", "web-02", "db-01", "worker-03", "lb-01"};
static const char *const daemons[] = {"sshd", "cron", "systemd", "kernel", "sudo", "dhclient"};
static const char *const tables[] = {"orders", "users", "payments", "line_items", "sessions"};

/* ---------------------------------------------------------------- time */

static int64_t now_ms = 1793491200000LL; /* 2026-11-01T00:00:00Z */

static void tick(void)
{
	now_ms += (int64_t)rn(20);
}

static struct tm *utc(void)
{
	static struct tm tm;
	time_t t = (time_t)(now_ms / 1000);
	gmtime_r(&t, &tm);
	return &tm;
}

static void put_rfc3339(int nanos)
{
	struct tm *tm = utc();
	if (nanos)
		put("%04d-%02d-%02dT%02d:%02d:%02d.%03d%06dZ", tm->tm_year + 1900, tm->tm_mon + 1,
		    tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, (int)(now_ms % 1000),
		    (int)rn(1000000));
	else
		put("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm->tm_year + 1900, tm->tm_mon + 1,
		    tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, (int)(now_ms % 1000));
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* ---------------------------------------------------------------- messages */

static char msg[8192];

static const char *ipv4(void)
{
	static char b[32];
	snprintf(b, sizeof b, "%d.%d.%d.%d", 10 + (int)rn(180), (int)rn(256), (int)rn(256),
	         1 + (int)rn(254));
	return b;
}

/* a varied human message; the needle is appended when asked */
static void make_message(int level, const char *needle)
{
	const char *w1 = words[zipf(N(words))], *w2 = words[rn(N(words))];
	int t = (int)rn(12);
	if (level >= 4)
		t = 12 + (int)rn(5);
	switch (t) {
	case 0:
		snprintf(msg, sizeof msg, "%s %" PRIu64 " created for user u-%" PRIu64, w1,
		         rn(10000000), rn(500000));
		break;
	case 1:
		snprintf(msg, sizeof msg, "%s %s completed in %" PRIu64 " ms",
		         methods[pick(method_w, 5)], paths[zipf(N(paths))], 1 + rn(900));
		break;
	case 2:
		snprintf(msg, sizeof msg, "cache miss for key %s:%" PRIu64 ", loading from replica",
		         w1, rn(100000));
		break;
	case 3:
		snprintf(msg, sizeof msg, "processed batch of %" PRIu64 " %ss from queue %s-events",
		         1 + rn(500), w2, w1);
		break;
	case 4:
		snprintf(msg, sizeof msg, "user u-%" PRIu64 " logged in from %s", rn(500000),
		         ipv4());
		break;
	case 5:
		snprintf(msg, sizeof msg,
		         "scheduled job %s-sync finished, %" PRIu64 " rows updated", w1, rn(20000));
		break;
	case 6:
		snprintf(msg, sizeof msg, "lease renewed for %s worker %" PRIu64 " (ttl 30s)", w2,
		         rn(64));
		break;
	case 7:
		snprintf(msg, sizeof msg,
		         "feature flag %s_v2 evaluated to %s for tenant t-%" PRIu64, w1,
		         rn(2) ? "true" : "false", rn(3000));
		break;
	case 8:
		snprintf(msg, sizeof msg, "sent %s notification to customer c-%" PRIu64 " via %s",
		         w2, rn(900000), rn(3) ? "email" : "push");
		break;
	case 9:
		snprintf(msg, sizeof msg,
		         "price for item sku-%05" PRIu64 " recomputed: %" PRIu64 ".%02" PRIu64
		         " EUR",
		         rn(99999), rn(500), rn(100));
		break;
	case 10:
		snprintf(msg, sizeof msg,
		         "health check ok (%" PRIu64 " goroutines, heap %" PRIu64 " MiB)",
		         20 + rn(400), 30 + rn(900));
		break;
	case 11:
		snprintf(msg, sizeof msg, "GET %s?page=%" PRIu64 "&size=%d served from cache",
		         paths[zipf(N(paths))], rn(40), 20);
		break;
	case 12:
		snprintf(msg, sizeof msg,
		         "payment declined: insufficient funds (card ending %04" PRIu64 ")",
		         rn(10000));
		break;
	case 13:
		snprintf(msg, sizeof msg, "connection reset by peer %s:%d while calling %s", ipv4(),
		         5432, services[rn(N(services))]);
		break;
	case 14:
		snprintf(msg, sizeof msg,
		         "retrying request to %s (attempt %" PRIu64 "/5): timeout after "
		         "%" PRIu64 " ms",
		         services[rn(N(services))], 1 + rn(5), 1000 + rn(4000));
		break;
	case 15:
		snprintf(msg, sizeof msg, "failed to commit %s %" PRIu64 ": deadlock detected", w1,
		         rn(10000000));
		break;
	default:
		snprintf(msg, sizeof msg, "unhandled exception in %s handler", w2);
		break;
	}
	if (needle) {
		size_t l = strlen(msg);
		snprintf(msg + l, sizeof msg - l, " [marker %s]", needle);
	}
}

static void make_stack(char *b, size_t cap)
{
	size_t l = (size_t)snprintf(b, cap, "%s", exceptions[rn(N(exceptions))]);
	int n = 3 + (int)rn(8);
	for (int i = 0; i < n && l + 200 < cap; i++) {
		l += (size_t)snprintf(b + l, cap - l, "\n\tat ");
		l += (size_t)snprintf(b + l, cap - l, frames[rn(N(frames))], 20 + (int)rn(600));
	}
}

static void put_hex(int n)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < n; i++)
		line[len++] = hx[rn(16)];
	line[len] = 0;
}

/* ---------------------------------------------------------------- formats */

struct state {
	const char *needle;
	uint64_t level_count[6];
	uint64_t filter_count; /* level:error AND service:checkout */
	const char *filter_desc;
};

/* one JSON application log line (without the trailing newline) */
static void json_app(struct state *st, const char *needle)
{
	int lv = pick(level_w, N(level_w));
	int sv = zipf(N(services));
	st->level_count[lv]++;
	if (lv == 4 && sv == 0)
		st->filter_count++;
	make_message(lv, needle);
	put("{\"time\":\"");
	put_rfc3339(1);
	put("\",\"level\":\"%s\",\"service\":\"%s\",\"trace_id\":\"", levels[lv], services[sv]);
	put_hex(32);
	put("\",\"span_id\":\"");
	put_hex(16);
	put("\",\"user_id\":\"u-%" PRIu64 "\",\"msg\":\"", rn(500000));
	put_esc(msg);
	put("\"");
	if (rn(3) == 0)
		put(",\"http\":{\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"duration_ms\":"
		    "%" PRIu64 "}",
		    methods[pick(method_w, 5)], paths[zipf(N(paths))], statuses[pick(status_w, 8)],
		    rn(2000));
	else
		put(",\"duration_ms\":%" PRIu64, rn(300));
	if (lv >= 4 && rn(5) == 0) {
		static char stack[4096];
		make_stack(stack, sizeof stack);
		put(",\"stack\":\"");
		put_esc(stack);
		put("\"");
	}
	put(",\"version\":\"1.%d.%d\"}", (int)rn(3), (int)rn(20));
}

static void gen_json(struct out *o, struct state *st, const char *needle)
{
	tick();
	json_app(st, needle);
	put("\n");
	emit(o);
	o->records++;
}

static void gen_nginx(struct out *o, struct state *st, const char *needle)
{
	(void)st;
	tick();
	struct tm *tm = utc();
	const char *p = paths[zipf(N(paths))];
	put("%s - %s [%02d/%s/%04d:%02d:%02d:%02d +0000] \"%s %s", ipv4(), rn(10) ? "-" : "alice",
	    tm->tm_mday, months[tm->tm_mon], tm->tm_year + 1900, tm->tm_hour, tm->tm_min,
	    tm->tm_sec, methods[pick(method_w, 5)], p);
	if (needle)
		put("?q=%s", needle);
	else if (rn(3) == 0)
		put("?id=%" PRIu64 "&ref=%s", rn(1000000), words[rn(N(words))]);
	put(" HTTP/1.1\" %d %" PRIu64 " \"%s\" \"%s\"\n", statuses[pick(status_w, 8)], rn(60000),
	    rn(4) ? "-" : "https://shop.example.com/", agents[zipf(N(agents))]);
	emit(o);
	o->records++;
}

static void pg_prefix(uint64_t pid)
{
	struct tm *tm = utc();
	put("%04d-%02d-%02d %02d:%02d:%02d.%03d UTC [%" PRIu64 "] ", tm->tm_year + 1900,
	    tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, (int)(now_ms % 1000),
	    pid);
}

static void gen_postgres(struct out *o, struct state *st, const char *needle)
{
	(void)st;
	tick();
	uint64_t pid = 1000 + rn(3000);
	const char *t = tables[rn(N(tables))];
	int kind = (int)rn(100);
	if (needle || kind < 8) {
		/* a multi-line error: ERROR, DETAIL, STATEMENT with a continued line */
		pg_prefix(pid);
		put("ERROR:  duplicate key value violates unique constraint \"%s_pkey\"%s%s\n", t,
		    needle ? " " : "", needle ? needle : "");
		emit(o);
		pg_prefix(pid);
		put("DETAIL:  Key (id)=(%" PRIu64 ") already exists.\n", rn(10000000));
		emit(o);
		pg_prefix(pid);
		put("STATEMENT:  INSERT INTO %s (id, created_at, payload)\n", t);
		emit(o);
		put("\t    VALUES ($1, now(), $2)\n");
		emit(o);
	} else if (kind < 40) {
		/* a slow statement spread over several lines */
		pg_prefix(pid);
		put("LOG:  duration: %" PRIu64 ".%03" PRIu64
		    " ms  statement: SELECT o.id, o.total, "
		    "u.email\n",
		    rn(5000), rn(1000));
		emit(o);
		put("\t  FROM %s o JOIN users u ON u.id = o.user_id\n", t);
		emit(o);
		put("\t  WHERE o.created_at > now() - interval '%" PRIu64 " minutes'\n",
		    1 + rn(120));
		emit(o);
	} else if (kind < 50) {
		pg_prefix(pid);
		put("LOG:  connection authorized: user=app database=shop application_name=%s\n",
		    services[rn(N(services))]);
		emit(o);
	} else if (kind < 55) {
		pg_prefix(pid);
		put("WARNING:  there is no transaction in progress\n");
		emit(o);
	} else if (kind < 60) {
		pg_prefix(pid);
		put("LOG:  checkpoint complete: wrote %" PRIu64
		    " buffers (%.1f%%); 0 WAL file(s) added, "
		    "%" PRIu64 " removed\n",
		    rn(5000), (double)rn(1000) / 10.0, rn(3));
		emit(o);
	} else {
		pg_prefix(pid);
		put("LOG:  duration: %" PRIu64 ".%03" PRIu64 " ms  statement: UPDATE %s SET "
		    "updated_at = now() WHERE id = %" PRIu64 "\n",
		    rn(50), rn(1000), t, rn(10000000));
		emit(o);
	}
	o->records++;
}

/* the app line wrapped by a container runtime: JSON app log or plain text */
static void inner_line(struct state *st, const char *needle)
{
	if (rn(10) < 7) {
		json_app(st, needle);
	} else {
		int lv = pick(level_w, N(level_w));
		make_message(lv, needle);
		struct tm *tm = utc();
		put("%02d:%02d:%02d.%03d %s %s", tm->tm_hour, tm->tm_min, tm->tm_sec,
		    (int)(now_ms % 1000), levels[lv], msg);
	}
}

static void gen_docker(struct out *o, struct state *st, const char *needle)
{
	tick();
	inner_line(st, needle);
	static char inner[1 << 16];
	memcpy(inner, line, len + 1);
	len = 0;
	const char *stream = rn(10) ? "stdout" : "stderr";
	size_t il = strlen(inner);
	/* Docker splits lines over 16 KiB into partial entries; make a few long ones */
	if (rn(2000) == 0) {
		put("{\"log\":\"");
		for (int i = 0; i < 600; i++)
			put("%s ", words[rn(N(words))]);
		put("\",\"stream\":\"%s\",\"time\":\"", stream);
		put_rfc3339(1);
		put("\"}\n");
		emit(o);
	}
	put("{\"log\":\"");
	put_esc(inner);
	(void)il;
	put("\\n\",\"stream\":\"%s\",\"time\":\"", stream);
	put_rfc3339(1);
	put("\"}\n");
	emit(o);
	o->records++;
}

static void gen_cri(struct out *o, struct state *st, const char *needle)
{
	tick();
	inner_line(st, needle);
	static char inner[1 << 16];
	memcpy(inner, line, len + 1);
	len = 0;
	const char *stream = rn(10) ? "stdout" : "stderr";
	if (rn(500) == 0) { /* a partial line, continued by the next */
		put_rfc3339(1);
		put(" %s P ", stream);
		for (int i = 0; i < 40; i++)
			put("%s ", words[rn(N(words))]);
		put("\n");
		emit(o);
	}
	put_rfc3339(1);
	put(" %s F %s\n", stream, inner);
	emit(o);
	o->records++;
}

static void gen_syslog(struct out *o, struct state *st, const char *needle)
{
	(void)st;
	tick();
	struct tm *tm = utc();
	const char *d = daemons[zipf(N(daemons))];
	const char *h = hosts[rn(N(hosts))];
	int lv = pick(level_w, N(level_w));
	make_message(lv, needle);
	if (rn(10) < 7) { /* RFC 3164 as written to /var/log/syslog */
		put("%s %2d %02d:%02d:%02d %s %s[%" PRIu64 "]: ", months[tm->tm_mon], tm->tm_mday,
		    tm->tm_hour, tm->tm_min, tm->tm_sec, h, d, 100 + rn(30000));
		if (!strcmp(d, "sshd") && !needle) {
			put("Accepted publickey for deploy from %s port %" PRIu64
			    " ssh2: ED25519 SHA256:",
			    ipv4(), 1024 + rn(60000));
			put_hex(43);
			put("\n");
		} else {
			put("%s\n", msg);
		}
	} else { /* RFC 5424 with PRI and structured data */
		put("<%d>1 ", 8 * (int)(1 + rn(23)) + (int)rn(8));
		put_rfc3339(0);
		put(" %s %s %" PRIu64 " ID%d [meta sequenceId=\"%" PRIu64 "\"] %s\n", h,
		    services[rn(N(services))], 100 + rn(30000), (int)rn(100), o->lines, msg);
	}
	emit(o);
	o->records++;
}

static const struct fmt {
	const char *name;
	void (*gen)(struct out *, struct state *, const char *);
	int avg_line; /* rough bytes per record, to spread the needles */
} fmts[] = {
    {"json", gen_json, 294},     {"nginx", gen_nginx, 186}, {"postgres", gen_postgres, 165},
    {"docker", gen_docker, 326}, {"cri", gen_cri, 266},     {"syslog", gen_syslog, 122},
};

/* ---------------------------------------------------------------- main */

static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	uint64_t m = 1;
	if (!strcmp(end, "K") || !strcmp(end, "KB"))
		m = 1000;
	else if (!strcmp(end, "M") || !strcmp(end, "MB"))
		m = 1000000;
	else if (!strcmp(end, "G") || !strcmp(end, "GB"))
		m = 1000000000;
	else if (!strcmp(end, "KiB"))
		m = 1024;
	else if (!strcmp(end, "MiB"))
		m = 1024 * 1024;
	else if (!strcmp(end, "GiB"))
		m = 1024 * 1024 * 1024;
	else if (*end) {
		fprintf(stderr, "corpus: bad size %s\n", s);
		exit(2);
	}
	return (uint64_t)(v * (double)m);
}

static void hexdigest(EVP_MD_CTX *md, char *hex)
{
	unsigned char d[32];
	unsigned int n = 0;
	EVP_DigestFinal_ex(md, d, &n);
	for (unsigned i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

static void usage(void)
{
	fprintf(stderr, "usage: corpus --format json|nginx|postgres|docker|cri|syslog --size SIZE "
	                "--out DIR\n"
	                "              [--seed N] [--needles N] [--files N] [--needle TOKEN]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *format = NULL, *dir = NULL, *needle = "zqxneedle7f3a";
	uint64_t size = 0, seed = 1, needles = 100;
	int files = 1;
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--format"))
			format = v;
		else if (!strcmp(a, "--size"))
			size = parse_size(v);
		else if (!strcmp(a, "--out"))
			dir = v;
		else if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--needles"))
			needles = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--files"))
			files = atoi(v);
		else if (!strcmp(a, "--needle"))
			needle = v;
		else
			usage();
	}
	const struct fmt *f = NULL;
	for (int i = 0; format && i < N(fmts); i++)
		if (!strcmp(fmts[i].name, format))
			f = &fmts[i];
	if (!f || !dir || !size || files < 1 || files > 100000)
		usage();
	rng_state = seed * 0x2545f4914f6cdd1dULL + 1;

	struct out o = {.nfiles = files};
	o.fp = calloc((size_t)files, sizeof *o.fp);
	o.md = calloc((size_t)files, sizeof *o.md);
	o.fbytes = calloc((size_t)files, sizeof *o.fbytes);
	o.flines = calloc((size_t)files, sizeof *o.flines);
	char path[4096];
	mkdir(dir, 0755);
	if (files > 1) {
		snprintf(path, sizeof path, "%s/%s", dir, f->name);
		mkdir(path, 0755);
	}
	static char buf[1 << 16];
	for (int i = 0; i < files; i++) {
		if (files > 1)
			snprintf(path, sizeof path, "%s/%s/%04d.log", dir, f->name, i);
		else
			snprintf(path, sizeof path, "%s/%s.log", dir, f->name);
		o.fp[i] = fopen(path, "w");
		if (!o.fp[i]) {
			fprintf(stderr, "corpus: %s: %s\n", path, strerror(errno));
			return 1;
		}
		if (files == 1)
			setvbuf(o.fp[i], buf, _IOFBF, sizeof buf);
		o.md[i] = EVP_MD_CTX_new();
		EVP_DigestInit_ex(o.md[i], EVP_sha256(), NULL);
	}
	o.all = EVP_MD_CTX_new();
	EVP_DigestInit_ex(o.all, EVP_sha256(), NULL);

	struct state st = {0};
	uint64_t est = size / (uint64_t)f->avg_line;
	uint64_t stride = needles ? est * 9 / 10 / needles : 0; /* leaves room for variance */
	if (needles && stride < 1)
		stride = 1;
	uint64_t rec = 0;
	while (o.bytes < size) {
		const char *nd = NULL;
		if (o.needles < needles && rec % stride == stride / 2) {
			nd = needle;
			o.needles++;
		}
		f->gen(&o, &st, nd);
		rec++;
	}
	for (int i = 0; i < files; i++)
		if (fclose(o.fp[i])) {
			fprintf(stderr, "corpus: write failed: %s\n", strerror(errno));
			return 1;
		}

	snprintf(path, sizeof path, "%s/%s.manifest", dir, f->name);
	FILE *m = fopen(path, "w");
	if (!m) {
		fprintf(stderr, "corpus: %s: %s\n", path, strerror(errno));
		return 1;
	}
	char hex[65];
	fprintf(m,
	        "format %s\nseed %" PRIu64 "\nfiles %d\nbytes %" PRIu64 "\nlines %" PRIu64
	        "\nrecords %" PRIu64 "\nneedle %s\nneedles %" PRIu64 "\n",
	        f->name, seed, files, o.bytes, o.lines, o.records, needle, o.needles);
	if (!strcmp(f->name, "json")) {
		for (int i = 0; i < N(levels); i++)
			fprintf(m, "level %s %" PRIu64 "\n", levels[i], st.level_count[i]);
		fprintf(m, "filter level:error service:checkout %" PRIu64 "\n", st.filter_count);
	}
	for (int i = 0; i < files; i++) {
		hexdigest(o.md[i], hex);
		if (files > 1)
			fprintf(m, "file %s/%04d.log %" PRIu64 " %" PRIu64 " %s\n", f->name, i,
			        o.fbytes[i], o.flines[i], hex);
		else
			fprintf(m, "file %s.log %" PRIu64 " %" PRIu64 " %s\n", f->name, o.fbytes[i],
			        o.flines[i], hex);
		EVP_MD_CTX_free(o.md[i]);
	}
	hexdigest(o.all, hex);
	fprintf(m, "sha256 %s\n", hex);
	EVP_MD_CTX_free(o.all);
	if (fclose(m))
		return 1;
	return 0;
}
