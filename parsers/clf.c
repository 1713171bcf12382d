/*
 * clf — the combined/common access log format shared by the nginx and
 * apache parsers:
 *
 *   addr ident user [time] "request" status bytes ["referer" "agent" [extra...]]
 *
 * Extra fields after the agent: key=value pairs (nginx.<key> or
 * apache.<key>; rt / request_time give http.duration, urt /
 * upstream_response_time http.upstream_duration), a bare number (the request
 * time: seconds with a fraction, or apache's %D microseconds when
 * integral), quoted strings (the first is http.forwarded_for).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

static void skip_sp(const char *s, size_t n, size_t *p)
{
	while (*p < n && s[*p] == ' ')
		(*p)++;
}

/* A space-delimited token; returns its length (0: none). */
static size_t token(const char *s, size_t n, size_t *p, const char **t)
{
	skip_sp(s, n, p);
	*t = s + *p;
	size_t st = *p;
	while (*p < n && s[*p] != ' ')
		(*p)++;
	return *p - st;
}

/* A "quoted" field (backslash escapes kept as written). Returns 0, or -1
 * when there is none. */
static int quoted(const char *s, size_t n, size_t *p, const char **v, size_t *vl)
{
	skip_sp(s, n, p);
	if (*p >= n || s[*p] != '"')
		return -1;
	size_t st = ++*p;
	for (;;) {
		const char *q = memchr(s + *p, '"', n - *p);
		if (!q)
			return -1;
		*p = (size_t)(q - s);
		size_t bs = 0; /* an odd run of backslashes before it escapes it */
		while (*p - bs > st && s[*p - bs - 1] == '\\')
			bs++;
		if (!(bs & 1))
			break;
		(*p)++;
	}
	*v = s + st;
	*vl = *p - st;
	(*p)++;
	return 0;
}

void sl_http_request_fields(struct sl_event *ev, const char *r, size_t n)
{
	const char *sp1 = memchr(r, ' ', n);
	if (!sp1 || sp1 == r) {
		if (n && !(n == 1 && *r == '-'))
			sl_event_add_str(ev, "http.request", 12, r, n);
		return;
	}
	for (const char *c = r; c < sp1; c++)
		if (*c < 'A' || *c > 'Z') {
			sl_event_add_str(ev, "http.request", 12, r, n);
			return;
		}
	sl_event_add_str(ev, "http.method", 11, r, (size_t)(sp1 - r));
	const char *u = sp1 + 1, *end = r + n;
	const char *sp2 = memchr(u, ' ', (size_t)(end - u));
	const char *ue = sp2 ? sp2 : end;
	const char *q = memchr(u, '?', (size_t)(ue - u));
	sl_event_add_str(ev, "http.path", 9, u, (size_t)((q ? q : ue) - u));
	if (q && ue - q > 1)
		sl_event_add_str(ev, "http.query", 10, q + 1, (size_t)(ue - q - 1));
	if (sp2 && end - sp2 > 1)
		sl_event_add_str(ev, "http.protocol", 13, sp2 + 1, (size_t)(end - sp2 - 1));
}

static int is_key(const char *k, size_t kl, const char *a)
{
	return strlen(a) == kl && !memcmp(k, a, kl);
}

static void duration(struct sl_event *ev, const char *key, const char *v, size_t vl, int micros)
{
	if (!sl_is_json_number(v, vl))
		return;
	if (micros) {
		char b[32];
		long long us = 0;
		for (size_t i = 0; i < vl && i < 18 && v[i] >= '0' && v[i] <= '9'; i++)
			us = us * 10 + (v[i] - '0');
		int k = snprintf(b, sizeof b, "%lld.%06lld", us / 1000000, us % 1000000);
		sl_event_add_raw(ev, key, strlen(key), b, (size_t)k);
	} else {
		sl_event_add_raw(ev, key, strlen(key), v, vl);
	}
}

int sl_clf_parse(const char *s, size_t n, struct sl_event *ev, const char *ns)
{
	size_t p = 0, tl;
	const char *t, *v;
	size_t vl;
	int apache = !strcmp(ns, "apache");
	if (!(tl = token(s, n, &p, &t)))
		return -1;
	const char *addr = t;
	size_t addr_l = tl;
	const char *ident, *user;
	size_t ident_l = token(s, n, &p, &ident), user_l = token(s, n, &p, &user);
	skip_sp(s, n, &p);
	if (!ident_l || !user_l || p >= n || s[p] != '[')
		return -1;
	const char *close = memchr(s + p, ']', n - p);
	if (!close)
		return -1;
	int64_t ts;
	const char *tstart = s + p + 1;
	size_t tlen = (size_t)(close - tstart);
	if (sl_time_scan(tstart, tlen, "%d/%b/%Y:%T%f %z", ev->ref_ns, &ts) != tlen)
		return -1;
	p = (size_t)(close - s) + 1;
	const char *req;
	size_t req_l;
	if (quoted(s, n, &p, &req, &req_l))
		return -1;
	const char *st;
	size_t st_l = token(s, n, &p, &st);
	if (st_l != 3 || st[0] < '1' || st[0] > '9' || st[1] < '0' || st[1] > '9' || st[2] < '0' ||
	    st[2] > '9')
		return -1;
	/* the line is an access log line: from here on everything is optional */
	ev->time_ns = ts;
	if (!(addr_l == 1 && *addr == '-'))
		sl_event_add_str(ev, "client.ip", 9, addr, addr_l);
	if (!(user_l == 1 && *user == '-'))
		sl_event_add_str(ev, "http.user", 9, user, user_l);
	sl_http_request_fields(ev, req, req_l);
	sl_event_add_raw(ev, "http.status", 11, st, 3);
	int status = (st[0] - '0') * 100 + (st[1] - '0') * 10 + (st[2] - '0');
	ev->level = status >= 500 ? SL_LEVEL_ERROR : status >= 400 ? SL_LEVEL_WARN : SL_LEVEL_INFO;
	const char *b;
	size_t b_l = token(s, n, &p, &b);
	if (b_l && sl_is_json_number(b, b_l))
		sl_event_add_raw(ev, "http.bytes", 10, b, b_l);
	if (!quoted(s, n, &p, &v, &vl) && !(vl == 1 && *v == '-'))
		sl_event_add_str(ev, "http.referer", 12, v, vl);
	if (!quoted(s, n, &p, &v, &vl) && !(vl == 1 && *v == '-'))
		sl_event_add_str(ev, "http.user_agent", 15, v, vl);
	int bare = 0, quotes = 0;
	char key[96];
	for (;;) {
		skip_sp(s, n, &p);
		if (p >= n)
			break;
		if (s[p] == '"') {
			if (quoted(s, n, &p, &v, &vl))
				break;
			if (!quotes++ && vl && !(vl == 1 && *v == '-'))
				sl_event_add_str(ev, "http.forwarded_for", 18, v, vl);
			continue;
		}
		tl = token(s, n, &p, &t);
		const char *eq = memchr(t, '=', tl);
		if (eq && eq > t) {
			size_t kl = (size_t)(eq - t);
			v = eq + 1;
			vl = tl - kl - 1;
			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
				v++;
				vl -= 2;
			}
			if (is_key(t, kl, "rt") || is_key(t, kl, "request_time"))
				duration(ev, "http.duration", v, vl, 0);
			else if (is_key(t, kl, "urt") || is_key(t, kl, "upstream_response_time"))
				duration(ev, "http.upstream_duration", v, vl, 0);
			else if (kl < 64) {
				snprintf(key, sizeof key, "%s.%.*s", ns, (int)kl, t);
				if (vl == 1 && *v == '-')
					continue;
				sl_event_add_num(ev, key, v, vl);
			}
		} else if (!bare++ && sl_is_json_number(t, tl)) {
			duration(ev, "http.duration", t, tl, apache && !memchr(t, '.', tl));
		}
	}
	return 0;
}
