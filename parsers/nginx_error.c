/*
 * nginx_error — nginx's error log:
 *
 *   2024/01/02 03:04:05 [error] 1234#5678: *9 message, client: 1.2.3.4,
 *   server: example.com, request: "GET / HTTP/1.1", upstream: "...", host: "..."
 *
 * nginx.pid, nginx.tid, nginx.connection; the trailing context becomes
 * client.ip, nginx.server, http.method/http.path, nginx.upstream, http.host,
 * http.referer, and is cut from the message.
 */
#include <stdio.h>
#include <string.h>

#include "formats.h"

/* Stateless: the returned pointer is a placeholder; nothing to free. */
static void *ne_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	static int dummy;
	if (opts) {
		snprintf(err, errlen, "parser_options: the nginx_error parser takes none");
		return NULL;
	}
	return &dummy;
}

static void ne_destroy(void *state)
{
}

static int digits(const char *s, size_t n, size_t *p)
{
	size_t st = *p;
	while (*p < n && s[*p] >= '0' && s[*p] <= '9')
		(*p)++;
	return *p > st;
}

/* The ", client: ..., server: ..." tail: key: value pairs, values quoted or
 * up to the next ", ". */
static void context(struct sl_event *ev, const char *s, size_t n)
{
	static const struct {
		const char *key, *field;
	} keys[] = {
	    {"client", "client.ip"},
	    {"server", "nginx.server"},
	    {"request", NULL},
	    {"upstream", "nginx.upstream"},
	    {"host", "http.host"},
	    {"referrer", "http.referer"},
	    {"subrequest", "nginx.subrequest"},
	};
	size_t p = 0;
	while (p < n) {
		const char *k = s + p, *colon = memchr(k, ':', n - p);
		if (!colon || colon + 1 >= s + n || colon[1] != ' ')
			return;
		size_t kl = (size_t)(colon - k);
		p = (size_t)(colon - s) + 2;
		const char *v = s + p;
		size_t vl;
		if (p < n && s[p] == '"') {
			const char *q = s + p + 1;
			while (q < s + n && *q != '"') {
				if (*q == '\\' && q + 1 < s + n)
					q++;
				q++;
			}
			if (q >= s + n)
				return;
			v = s + p + 1;
			vl = (size_t)(q - v);
			p = (size_t)(q - s) + 1;
		} else {
			const char *c = memmem(v, n - p, ", ", 2);
			vl = c ? (size_t)(c - v) : n - p;
			p += vl;
		}
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			if (strlen(keys[i].key) != kl || memcmp(keys[i].key, k, kl))
				continue;
			if (keys[i].field)
				sl_event_add_str(ev, keys[i].field, strlen(keys[i].field), v, vl);
			else
				sl_http_request_fields(ev, v, vl);
		}
		if (p + 2 > n || s[p] != ',' || s[p + 1] != ' ')
			return;
		p += 2;
	}
}

static int ne_parse(void *state, const char *s, size_t n, struct sl_event *ev)
{
	int64_t ts;
	size_t p = sl_time_scan(s, n, "%Y/%m/%d %T", ev->ref_ns, &ts);
	if (!p || p + 3 >= n || s[p] != ' ' || s[p + 1] != '[') {
		sl_event_fail(ev, s, n, "not an nginx error log line");
		return -1;
	}
	const char *lv = s + p + 2, *close = memchr(lv, ']', n - p - 2);
	if (!close) {
		sl_event_fail(ev, s, n, "not an nginx error log line");
		return -1;
	}
	ev->time_ns = ts;
	ev->level = sl_level_parse(lv, (size_t)(close - lv));
	p = (size_t)(close - s) + 1;
	if (p < n && s[p] == ' ')
		p++;
	size_t a = p;
	if (digits(s, n, &p) && p < n && s[p] == '#') {
		sl_event_add_num(ev, "nginx.pid", s + a, p - a);
		size_t b = ++p;
		if (digits(s, n, &p))
			sl_event_add_num(ev, "nginx.tid", s + b, p - b);
		if (p < n && s[p] == ':')
			p++;
		if (p < n && s[p] == ' ')
			p++;
		if (p < n && s[p] == '*') {
			size_t c = ++p;
			if (digits(s, n, &p))
				sl_event_add_num(ev, "nginx.connection", s + c, p - c);
			if (p < n && s[p] == ' ')
				p++;
		}
	} else {
		p = a;
	}
	const char *m = s + p;
	size_t ml = n - p;
	const char *ctx = memmem(m, ml, ", client: ", 10);
	if (ctx) {
		context(ev, ctx + 2, (size_t)(s + n - ctx - 2));
		ml = (size_t)(ctx - m);
	}
	sl_event_set_message(ev, m, ml);
	return 0;
}

const struct sl_parser_ops sl_parser_nginx_error = {
    .name = "nginx_error",
    .desc = "nginx error log (time, level, pid#tid, *connection, client/server/request)",
    .create = ne_create,
    .parse = ne_parse,
    .destroy = ne_destroy,
};
