/*
 * postgres — PostgreSQL's stderr log with a configurable log_line_prefix.
 *
 * The prefix (parser option `log_line_prefix`; the default "%m [%p] %q%u@%d "
 * reads both PostgreSQL's default "%m [%p] " and Debian's) is compiled into a PCRE2 pattern: each
 * escape becomes a named group (%m %t %n %s times, %p %P %l %x %Q numbers, %u %d %a %h %r %b %i
 * text, %c %e %v ids), literals match themselves, %q makes the rest
 * optional (background processes stop the prefix there), and "SEVERITY:  "
 * follows. A record is a primary line (LOG, ERROR, FATAL, PANIC, ...) with
 * its DETAIL, HINT, CONTEXT, QUERY, LOCATION and STATEMENT lines and any
 * tab-continued lines (multi-line statements): the parser's own multi-line
 * rule joins them into one event.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

#define DEFAULT_PREFIX "%m [%p] %q%u@%d " /* PostgreSQL's default, and Debian's */

static const struct escape {
	char c;
	const char *re;    /* the group's pattern */
	const char *field; /* event field, NULL: the record's time */
	int number;
} escapes[] = {
    {'a', ".*?", "pg.application", 0},
    {'u', "\\S*?", "pg.user", 0},
    {'d', "\\S*?", "pg.database", 0},
    {'r', "\\S*?", "pg.client", 0},
    {'h', "\\S*?", "pg.client", 0},
    {'b', ".*?", "pg.backend_type", 0},
    {'p', "\\d+", "pg.pid", 1},
    {'P', "\\d*", "pg.leader_pid", 1},
    {'t', "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?: [A-Za-z0-9+:-]+)?", NULL, 0},
    {'m', "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+(?: [A-Za-z0-9+:-]+)?", NULL, 0},
    {'n', "\\d+\\.\\d+", NULL, 0},
    {'i', ".*?", "pg.command", 0},
    {'e', "[0-9A-Z]{5}", "pg.sqlstate", 0},
    {'c', "[0-9a-f]+\\.[0-9a-f]+", "pg.session", 0},
    {'l', "\\d+", "pg.line", 1},
    {'s', "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?: [A-Za-z0-9+:-]+)?", "pg.session_start", 0},
    {'v', "\\d+/\\d+|", "pg.vxid", 0},
    {'x', "\\d+", "pg.txid", 1},
    {'Q', "-?\\d+", "pg.query_id", 1},
};

#define MAX_GROUPS 32

/* Sections of a record that come on their own lines. */
static const char *const sections[] = {"DETAIL", "HINT",     "CONTEXT",
                                       "QUERY",  "LOCATION", "STATEMENT"};
#define N_SECTIONS 6

struct pg_state {
	pcre2_code *re;
	pcre2_match_data *md;
	const struct escape *groups[MAX_GROUPS]; /* capture group i+1 */
	int n_groups, sev_group, msg_group;
	struct sl_buf sec[N_SECTIONS + 1]; /* [0]: the message */
};

static void pg_destroy(void *state)
{
	struct pg_state *st = state;
	if (!st)
		return;
	pcre2_code_free(st->re);
	pcre2_match_data_free(st->md);
	for (int i = 0; i <= N_SECTIONS; i++)
		sl_buf_free(&st->sec[i]);
	free(st);
}

/* Builds the pattern for prefix into re. Returns 0 or -1 with err. */
static int compile_prefix(struct pg_state *st, const char *prefix, struct sl_buf *re, char *err,
                          size_t errlen)
{
	int optional = 0;
	sl_buf_puts(re, "^");
	for (size_t i = 0; prefix[i]; i++) {
		char c = prefix[i];
		if (c != '%') {
			if (strchr("\\^$.|?*+()[]{}", c))
				sl_buf_putc(re, '\\');
			sl_buf_putc(re, c);
			continue;
		}
		size_t at = i;
		int pad = 0;
		if (prefix[i + 1] == '-')
			i++;
		while (isdigit((unsigned char)prefix[i + 1])) {
			i++;
			pad = 1;
		}
		c = prefix[++i];
		if (c == '%') {
			sl_buf_putc(re, '%');
			continue;
		}
		if (c == 'q') {
			if (!optional)
				sl_buf_puts(re, "(?:");
			optional = 1;
			continue;
		}
		const struct escape *e = NULL;
		for (size_t k = 0; k < sizeof escapes / sizeof escapes[0]; k++)
			if (escapes[k].c == c)
				e = &escapes[k];
		if (!e) {
			if (!c)
				snprintf(err, errlen,
				         "parser_options.log_line_prefix: \"%%\" at the end "
				         "(offset %zu)",
				         at);
			else
				snprintf(err, errlen,
				         "parser_options.log_line_prefix: unknown escape %%%c at "
				         "offset %zu",
				         c, at);
			return -1;
		}
		if (st->n_groups >= MAX_GROUPS - 2) {
			snprintf(err, errlen, "parser_options.log_line_prefix: too many escapes");
			return -1;
		}
		st->groups[st->n_groups++] = e;
		sl_buf_printf(re, "%s(%s)%s", pad ? " *" : "", e->re, pad ? " *" : "");
	}
	if (optional)
		sl_buf_puts(re, ")?");
	sl_buf_puts(re, "([A-Z]+[1-5]?):  ");
	st->sev_group = ++st->n_groups;
	st->msg_group = st->sev_group + 1;
	return 0;
}

/* State: allocated here, freed by pg_destroy. */
static void *pg_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	const char *prefix = DEFAULT_PREFIX;
	const struct sl_popt tab[] = {{"log_line_prefix", SL_POPT_STR, &prefix}, {0}};
	struct pg_state *st = sl_calloc(1, sizeof *st);
	struct sl_buf re = {0};
	if (sl_popt_read(opts, "parser_options.", tab, err, errlen))
		goto fail;
	if (compile_prefix(st, prefix, &re, err, errlen))
		goto fail;
	st->re = sl_regex_compile(re.data, re.len, "parser_options.log_line_prefix", err, errlen);
	if (!st->re)
		goto fail;
	st->md = pcre2_match_data_create_from_pattern(st->re, NULL);
	sl_buf_free(&re);
	return st;
fail:
	sl_buf_free(&re);
	pg_destroy(st);
	return NULL;
}

/* Matches one line; returns the severity's index in sections (0..5), -1 for
 * a primary severity, or -2 when the line has no prefix. */
static int match_line(struct pg_state *st, const char *s, size_t n)
{
	if (pcre2_match(st->re, (PCRE2_SPTR)s, n, 0, 0, st->md, NULL) < 0)
		return -2;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
	const char *sev = s + ov[2 * st->sev_group];
	size_t sl = ov[2 * st->sev_group + 1] - ov[2 * st->sev_group];
	for (int i = 0; i < N_SECTIONS; i++)
		if (strlen(sections[i]) == sl && !memcmp(sections[i], sev, sl))
			return i;
	return -1;
}

static int pg_join(void *state, int *ml, const char *s, size_t n)
{
	int cur = *ml;
	*ml = 1;
	if (!cur)
		return 0;
	return match_line(state, s, n) != -1;
}

/* "duration: 1.5 ms  statement: ..." and "statement: ..." in LOG lines. */
static void message_extras(struct sl_event *ev, const char *m, size_t n, int have_statement)
{
	if (n > 10 && !memcmp(m, "duration: ", 10)) {
		const char *num = m + 10, *sp = memchr(num, ' ', n - 10);
		if (sp && (size_t)(m + n - sp) >= 3 && !memcmp(sp, " ms", 3))
			sl_event_add_num(ev, "pg.duration_ms", num, (size_t)(sp - num));
		const char *stmt =
		    sp ? memmem(sp, (size_t)(m + n - sp), "  statement: ", 13) : NULL;
		if (!stmt && sp)
			stmt = memmem(sp, (size_t)(m + n - sp), "  execute ", 10);
		if (stmt && !have_statement) {
			const char *colon = memchr(stmt + 2, ':', (size_t)(m + n - stmt - 2));
			if (colon && colon + 2 <= m + n)
				sl_event_add_str(ev, "pg.statement", 12, colon + 2,
				                 (size_t)(m + n - colon - 2));
		}
	} else if (n > 11 && !memcmp(m, "statement: ", 11) && !have_statement) {
		sl_event_add_str(ev, "pg.statement", 12, m + 11, n - 11);
	}
}

static int pg_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	struct pg_state *st = state;
	for (int i = 0; i <= N_SECTIONS; i++)
		sl_buf_reset(&st->sec[i]);
	int have[N_SECTIONS + 1] = {0};
	const char *p = rec, *end = rec + len;
	int cur = -1, first = 1;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		int sec = match_line(st, p, n);
		if (first) {
			if (sec == -2) {
				sl_event_fail(ev, rec, len, "line does not match log_line_prefix");
				return -1;
			}
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
			for (int g = 0; g < st->sev_group - 1; g++) {
				const struct escape *e = st->groups[g];
				if (ov[2 * (g + 1)] == PCRE2_UNSET)
					continue;
				const char *v = p + ov[2 * (g + 1)];
				size_t vl = ov[2 * (g + 1) + 1] - ov[2 * (g + 1)];
				if (!e->field) {
					if (!ev->time_ns &&
					    sl_time_parse_ref(v, vl, ev->ref_ns, &ev->time_ns))
						ev->time_note = "unreadable time, ingest time used";
					continue;
				}
				if (!vl)
					continue;
				if (e->number)
					sl_event_add_num(ev, e->field, v, vl);
				else
					sl_event_add_str(ev, e->field, strlen(e->field), v, vl);
			}
			const char *sv = p + ov[2 * st->sev_group];
			size_t svl = ov[2 * st->sev_group + 1] - ov[2 * st->sev_group];
			sl_event_add_str(ev, "pg.severity", 11, sv, svl);
			ev->level = sl_level_parse(sv, svl);
			size_t mo = ov[2 * st->sev_group + 1] + 3;
			sl_buf_append(&st->sec[0], p + mo, n - mo);
			have[0] = 1;
			cur = 0;
			first = 0;
		} else if (sec >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
			size_t mo = ov[2 * st->sev_group + 1] + 3;
			cur = sec + 1;
			if (have[cur])
				sl_buf_putc(&st->sec[cur], '\n');
			sl_buf_append(&st->sec[cur], p + mo, n - mo);
			have[cur] = 1;
		} else {
			/* a continuation line: tab-indented statement text, or anything
			 * the prefix does not match */
			const char *t = p;
			size_t tn = n;
			if (tn && *t == '\t') {
				t++;
				tn--;
			}
			sl_buf_putc(&st->sec[cur], '\n');
			sl_buf_append(&st->sec[cur], t, tn);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	static const char *const names[] = {"pg.detail", "pg.hint",     "pg.context",
	                                    "pg.query",  "pg.location", "pg.statement"};
	sl_event_set_message(ev, st->sec[0].data ? st->sec[0].data : "", st->sec[0].len);
	for (int i = 1; i <= N_SECTIONS; i++)
		if (have[i])
			sl_event_add_str(ev, names[i - 1], strlen(names[i - 1]), st->sec[i].data,
			                 st->sec[i].len);
	message_extras(ev, st->sec[0].data ? st->sec[0].data : "", st->sec[0].len, have[6]);
	return 0;
}

const struct sl_parser_ops sl_parser_postgres = {
    .name = "postgres",
    .desc = "PostgreSQL stderr log; option log_line_prefix (default \"%m [%p] %q%u@%d \")",
    .create = pg_create,
    .parse = pg_parse,
    .destroy = pg_destroy,
    .join = pg_join,
};
