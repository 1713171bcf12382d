/*
 * mysql_slow — the MySQL slow query log. One record is a block:
 *
 *   # Time: 2024-01-02T03:04:05.123456Z
 *   # User@Host: app[app] @ localhost [127.0.0.1]  Id:     8
 *   # Query_time: 2.000213  Lock_time: 0.000001 Rows_sent: 1  Rows_examined: 0
 *   use shop;
 *   SET timestamp=1704164645;
 *   SELECT SLEEP(2);
 *
 * joined by the parser's multi-line rule. The statement is the message;
 * mysql.query_time, mysql.lock_time (seconds), mysql.rows_sent,
 * mysql.rows_examined (and any other "Key: value" of the # lines) typed;
 * mysql.user, mysql.host, mysql.client_ip, mysql.thread_id, mysql.database.
 * The server's header lines ("/usr/sbin/mysqld, Version: ...") are a record
 * of their own.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

struct slow_state {
	struct sl_buf stmt, key;
};

/* State: allocated here, freed by ms_destroy. */
static void *ms_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	if (opts) {
		snprintf(err, errlen, "parser_options: the mysql_slow parser takes none");
		return NULL;
	}
	return sl_calloc(1, sizeof(struct slow_state));
}

static void ms_destroy(void *state)
{
	struct slow_state *st = state;
	if (!st)
		return;
	sl_buf_free(&st->stmt);
	sl_buf_free(&st->key);
	free(st);
}

static int starts(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && !memcmp(s, lit, l);
}

enum { S_TEXT = 1, S_TIME, S_HEADERS, S_STMT, S_BANNER };

static int ms_join(void *state, int *ml, const char *s, size_t n)
{
	int cur = *ml;
	if (starts(s, n, "# Time:")) {
		*ml = S_TIME;
		return 0;
	}
	if (starts(s, n, "# User@Host:")) {
		*ml = S_HEADERS;
		return cur == S_TIME;
	}
	if (starts(s, n, "# ")) {
		*ml = S_HEADERS;
		return cur == S_TIME || cur == S_HEADERS;
	}
	if (memmem(s, n, ", Version: ", 11) && memmem(s, n, "started with:", 13)) {
		*ml = S_BANNER;
		return 0;
	}
	if (cur == S_BANNER && (starts(s, n, "Tcp port:") || starts(s, n, "Time ")))
		return 1;
	if (cur == S_TIME || cur == S_HEADERS || cur == S_STMT) {
		*ml = S_STMT;
		return 1;
	}
	*ml = S_TEXT;
	return 0;
}

/* "Key: value  Key2: value2" of a # line, typed, as mysql.<key lowercased>. */
static void pairs(struct slow_state *st, struct sl_event *ev, const char *s, size_t n)
{
	size_t p = 0;
	while (p < n) {
		while (p < n && s[p] == ' ')
			p++;
		size_t k = p;
		while (p < n && s[p] != ':' && s[p] != ' ')
			p++;
		if (p >= n || s[p] != ':' || p == k)
			return;
		size_t kl = p - k;
		p++;
		while (p < n && s[p] == ' ')
			p++;
		size_t v = p;
		while (p < n && s[p] != ' ')
			p++;
		sl_buf_reset(&st->key);
		sl_buf_puts(&st->key, "mysql.");
		for (size_t i = 0; i < kl; i++)
			sl_buf_putc(&st->key, (char)tolower((unsigned char)s[k + i]));
		sl_event_add_num(ev, st->key.data, s + v, p - v);
	}
}

/* "# User@Host: app[app] @ localhost [127.0.0.1]  Id:     8" */
static void user_host(struct sl_event *ev, const char *s, size_t n)
{
	size_t p = 0;
	while (p < n && s[p] == ' ')
		p++;
	size_t u = p;
	while (p < n && s[p] != '[' && s[p] != ' ')
		p++;
	if (p > u)
		sl_event_add_str(ev, "mysql.user", 10, s + u, p - u);
	const char *at = memmem(s + p, n - p, " @ ", 3);
	if (!at)
		return;
	p = (size_t)(at - s) + 3;
	size_t h = p;
	while (p < n && s[p] != ' ' && s[p] != '[')
		p++;
	if (p > h)
		sl_event_add_str(ev, "mysql.host", 10, s + h, p - h);
	while (p < n && s[p] == ' ')
		p++;
	if (p < n && s[p] == '[') {
		const char *e = memchr(s + p, ']', n - p);
		if (e && e > s + p + 1)
			sl_event_add_str(ev, "mysql.client_ip", 15, s + p + 1,
			                 (size_t)(e - s - p - 1));
	}
	const char *id = memmem(s, n, "Id:", 3);
	if (id) {
		const char *v = id + 3, *end = s + n;
		while (v < end && *v == ' ')
			v++;
		const char *ve = v;
		while (ve < end && isdigit((unsigned char)*ve))
			ve++;
		if (ve > v)
			sl_event_add_num(ev, "mysql.thread_id", v, (size_t)(ve - v));
	}
}

static int ms_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	struct slow_state *st = state;
	if (!starts(rec, len, "# ")) {
		/* the server's banner, or a line outside any block */
		sl_event_set_message(ev, rec, len);
		return 0;
	}
	sl_buf_reset(&st->stmt);
	const char *p = rec, *end = rec + len;
	int64_t set_ts = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		if (starts(p, n, "# Time:")) {
			const char *v = p + 7;
			while (v < le && *v == ' ')
				v++;
			if (sl_time_parse_ref(v, (size_t)(le - v), ev->ref_ns, &ev->time_ns)) {
				ev->time_ns = 0;
				ev->time_note = "unreadable time, ingest time used";
			}
		} else if (starts(p, n, "# User@Host:")) {
			user_host(ev, p + 12, n - 12);
		} else if (starts(p, n, "# ")) {
			pairs(st, ev, p + 2, n - 2);
		} else if (!st->stmt.len && n > 5 && !memcmp(p, "use ", 4) && p[n - 1] == ';') {
			sl_event_add_str(ev, "mysql.database", 14, p + 4, n - 5);
		} else if (!st->stmt.len && starts(p, n, "SET timestamp=")) {
			set_ts = 0;
			for (const char *d = p + 14; d < le && d < p + 26 && *d >= '0' && *d <= '9';
			     d++)
				set_ts = set_ts * 10 + (*d - '0');
		} else {
			if (st->stmt.len)
				sl_buf_putc(&st->stmt, '\n');
			sl_buf_append(&st->stmt, p, n);
		}
		p = nl ? nl + 1 : end;
	}
	if (!ev->time_ns && set_ts > 0 && set_ts < 9000000000LL) {
		ev->time_ns = set_ts * 1000000000;
		ev->time_note = NULL;
	}
	sl_event_set_message(ev, st->stmt.data ? st->stmt.data : "", st->stmt.len);
	return 0;
}

const struct sl_parser_ops sl_parser_mysql_slow = {
    .name = "mysql_slow",
    .desc = "MySQL slow query log blocks (# Time: ... to the statement)",
    .create = ms_create,
    .parse = ms_parse,
    .destroy = ms_destroy,
    .join = ms_join,
};
