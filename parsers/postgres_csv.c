/*
 * postgres_csv — PostgreSQL's csvlog (log_destination = 'csvlog'): one CSV
 * row per record, quoted fields may hold newlines (the parser's multi-line
 * rule keeps a row together while a quote is open). Columns as of
 * PostgreSQL 13-16; rows with fewer columns (older servers) still parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

#define MAX_COLS 32

struct csv_state {
	struct sl_buf cols[MAX_COLS];
};

/* Field per column: NULL skips; "" is the time; "!" the severity (level);
 * "=" the message. '#' first: a number. */
static const char *const columns[] = {
    "",
    "pg.user",
    "pg.database",
    "#pg.pid",
    "pg.client",
    "pg.session",
    "#pg.line",
    "pg.command",
    "pg.session_start",
    "pg.vxid",
    "#pg.txid",
    "!",
    "pg.sqlstate",
    "=",
    "pg.detail",
    "pg.hint",
    "pg.internal_query",
    "#pg.internal_query_pos",
    "pg.context",
    "pg.statement",
    "#pg.query_pos",
    "pg.location",
    "pg.application",
    "pg.backend_type",
    "#pg.leader_pid",
    "#pg.query_id",
};

/* State: allocated here, freed by csv_destroy. */
static void *csv_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	const char *prefix = NULL; /* accepted: a postgres input may set it for stderr */
	const struct sl_popt tab[] = {{"log_line_prefix", SL_POPT_STR, &prefix}, {0}};
	if (sl_popt_read(opts, "parser_options.", tab, err, errlen))
		return NULL;
	return sl_calloc(1, sizeof(struct csv_state));
}

static void csv_destroy(void *state)
{
	struct csv_state *st = state;
	if (!st)
		return;
	for (int i = 0; i < MAX_COLS; i++)
		sl_buf_free(&st->cols[i]);
	free(st);
}

/* Open quote state after s[0..n), starting from in_quote. */
static int quote_state(const char *s, size_t n, int in_quote)
{
	for (const char *q = s; (q = memchr(q, '"', (size_t)(s + n - q))); q++)
		in_quote = !in_quote;
	return in_quote;
}

enum { CSV_CLOSED = 1, CSV_OPEN };

static int csv_join(void *state, int *ml, const char *s, size_t n)
{
	int cur = *ml;
	int open = quote_state(s, n, cur == CSV_OPEN);
	*ml = open ? CSV_OPEN : CSV_CLOSED;
	return cur == CSV_OPEN;
}

/* Splits rec into st->cols; returns the column count or -1. */
static int split(struct csv_state *st, const char *s, size_t n)
{
	int nc = 0;
	size_t i = 0;
	for (;;) {
		if (nc == MAX_COLS)
			return -1;
		struct sl_buf *b = &st->cols[nc++];
		sl_buf_reset(b);
		sl_buf_putc(b, '\0');
		b->len = 0;
		if (i < n && s[i] == '"') {
			i++;
			for (;;) {
				const char *q = memchr(s + i, '"', n - i);
				if (!q)
					return -1;
				sl_buf_append(b, s + i, (size_t)(q - s - i));
				i = (size_t)(q - s) + 1;
				if (i < n && s[i] == '"') {
					sl_buf_putc(b, '"');
					i++;
					continue;
				}
				break;
			}
		} else {
			const char *c = memchr(s + i, ',', n - i);
			size_t e = c ? (size_t)(c - s) : n;
			sl_buf_append(b, s + i, e - i);
			i = e;
		}
		if (i == n)
			return nc;
		if (s[i] != ',')
			return -1;
		i++;
	}
}

static int csv_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	struct csv_state *st = state;
	int nc = split(st, rec, len);
	if (nc < 14) {
		sl_event_fail(ev, rec, len, "not a PostgreSQL csvlog row");
		return -1;
	}
	int ncol = (int)(sizeof columns / sizeof columns[0]);
	for (int i = 0; i < nc && i < ncol; i++) {
		const char *f = columns[i];
		struct sl_buf *b = &st->cols[i];
		if (*f == '=') {
			sl_event_set_message(ev, b->data, b->len);
			continue;
		}
		if (!b->len)
			continue;
		if (!*f) {
			if (sl_time_parse_ref(b->data, b->len, ev->ref_ns, &ev->time_ns)) {
				ev->time_ns = 0;
				ev->time_note = "unreadable time, ingest time used";
			}
		} else if (*f == '!') {
			ev->level = sl_level_parse(b->data, b->len);
			sl_event_add_str(ev, "pg.severity", 11, b->data, b->len);
		} else if (*f == '#') {
			sl_event_add_num(ev, f + 1, b->data, b->len);
		} else {
			sl_event_add_str(ev, f, strlen(f), b->data, b->len);
		}
	}
	return 0;
}

const struct sl_parser_ops sl_parser_postgres_csv = {
    .name = "postgres_csv",
    .desc = "PostgreSQL csvlog rows (quoted fields with newlines)",
    .create = csv_create,
    .parse = csv_parse,
    .destroy = csv_destroy,
    .join = csv_join,
};
