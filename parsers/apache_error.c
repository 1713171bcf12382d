/*
 * apache_error — Apache httpd's error log (2.4 and 2.2 forms):
 *
 *   [Tue Jan 02 03:04:05.123456 2024] [core:error] [pid 123:tid 456]
 *   [client 1.2.3.4:5678] AH00124: message, referer: http://x/
 *
 * apache.module, apache.pid, apache.tid, client.ip, client.port,
 * apache.code (AHnnnnn), http.referer.
 */
#include <stdio.h>
#include <string.h>

#include "formats.h"

/* Stateless: the returned pointer is a placeholder; nothing to free. */
static void *ae_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	static int dummy;
	if (opts) {
		snprintf(err, errlen, "parser_options: the apache_error parser takes none");
		return NULL;
	}
	return &dummy;
}

static void ae_destroy(void *state)
{
}

static int starts(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && !memcmp(s, lit, l);
}

/* One "[...]" group after the time. */
static void group(struct sl_event *ev, const char *g, size_t n)
{
	if (starts(g, n, "pid ")) {
		const char *tid = memmem(g, n, ":tid ", 5);
		size_t pe = tid ? (size_t)(tid - g) : n;
		sl_event_add_num(ev, "apache.pid", g + 4, pe - 4);
		if (tid)
			sl_event_add_num(ev, "apache.tid", tid + 5, (size_t)(g + n - tid - 5));
	} else if (starts(g, n, "client ") || starts(g, n, "remote ")) {
		const char *a = g + 7, *colon = NULL;
		size_t al = n - 7;
		for (const char *c = a + al; c > a; c--)
			if (c[-1] == ':') {
				colon = c - 1;
				break;
			}
		if (al > 2 && *a == '[') {
			const char *rb = memchr(a, ']', al);
			if (rb) {
				sl_event_add_str(ev, "client.ip", 9, a + 1, (size_t)(rb - a - 1));
				if (rb + 1 < a + al && rb[1] == ':')
					sl_event_add_num(ev, "client.port", rb + 2,
					                 (size_t)(a + al - rb - 2));
				return;
			}
		}
		/* a bare ipv6 address has colons too: a port only after an ipv4 one */
		if (colon && memchr(a, '.', al) && colon > a) {
			sl_event_add_str(ev, "client.ip", 9, a, (size_t)(colon - a));
			sl_event_add_num(ev, "client.port", colon + 1,
			                 (size_t)(a + al - colon - 1));
		} else {
			sl_event_add_str(ev, "client.ip", 9, a, al);
		}
	} else {
		/* [module:level] (2.4) or [level] (2.2) */
		const char *colon = memchr(g, ':', n);
		const char *lv = colon ? colon + 1 : g;
		size_t ll = (size_t)(g + n - lv);
		if (colon)
			sl_event_add_str(ev, "apache.module", 13, g, (size_t)(colon - g));
		enum sl_level l = sl_level_parse(lv, ll);
		if (l == SL_LEVEL_NONE && ll > 5 && starts(lv, ll, "trace"))
			l = SL_LEVEL_TRACE;
		if (l != SL_LEVEL_NONE)
			ev->level = l;
	}
}

static int ae_parse(void *state, const char *s, size_t n, struct sl_event *ev)
{
	const char *close = n && *s == '[' ? memchr(s, ']', n) : NULL;
	int64_t ts;
	if (!close || sl_time_scan(s + 1, (size_t)(close - s - 1), "%a %b %e %T%f %Y", ev->ref_ns,
	                           &ts) != (size_t)(close - s - 1)) {
		sl_event_fail(ev, s, n, "not an apache error log line");
		return -1;
	}
	ev->time_ns = ts;
	size_t p = (size_t)(close - s) + 1;
	while (p + 1 < n && s[p] == ' ' && s[p + 1] == '[') {
		const char *g = s + p + 2, *e = memchr(g, ']', n - p - 2);
		if (!e)
			break;
		/* [client [2001:db8::1]:4444]: the address has brackets of its own */
		if ((starts(g, (size_t)(s + n - g), "client [") ||
		     starts(g, (size_t)(s + n - g), "remote [")) &&
		    e + 1 < s + n)
			e = memchr(e + 1, ']', (size_t)(s + n - e - 1));
		if (!e)
			break;
		group(ev, g, (size_t)(e - g));
		p = (size_t)(e - s) + 1;
	}
	while (p < n && s[p] == ' ')
		p++;
	const char *m = s + p;
	size_t ml = n - p;
	if (ml > 9 && m[0] == 'A' && m[1] == 'H' && m[7] == ':' && m[8] == ' ') {
		sl_event_add_str(ev, "apache.code", 11, m, 7);
		m += 9;
		ml -= 9;
	}
	const char *ref = NULL;
	for (const char *c = m; (c = memmem(c, (size_t)(m + ml - c), ", referer: ", 11)); c++)
		ref = c;
	if (ref) {
		sl_event_add_str(ev, "http.referer", 12, ref + 11, (size_t)(m + ml - ref - 11));
		ml = (size_t)(ref - m);
	}
	sl_event_set_message(ev, m, ml);
	return 0;
}

const struct sl_parser_ops sl_parser_apache_error = {
    .name = "apache_error",
    .desc = "Apache httpd error log (2.2 and 2.4)",
    .create = ae_create,
    .parse = ae_parse,
    .destroy = ae_destroy,
};
