/*
 * nginx — nginx access logs: the combined format, with optional request time
 * fields after it (see clf.c), or the operator's own `log_format`.
 *
 * Without options the combined reader of clf.c runs. The parser option
 * `log_format` (the string of nginx's log_format directive, its quoted
 * pieces joined; or "combined") is compiled into a PCRE2 pattern, the way the
 * postgres parser compiles log_line_prefix: literals match themselves, each
 * $variable (or ${variable}) becomes a capture group. Known variables map
 * onto the fields the combined reader gives (client.ip, http.method,
 * http.path, http.status, http.bytes, http.duration, the time, ...); any
 * other becomes nginx.<variable>, a number where the value is one. "-" (what
 * nginx writes for an empty value) adds nothing. Level: 5xx error, 4xx warn,
 * else info.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

#define COMBINED                                                                                   \
	"$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "         \
	"\"$http_referer\" \"$http_user_agent\""
#define MAX_VARS   64
#define MATCH_STEP 200000 /* PCRE2 match limit: a line that does not fit fails fast */

enum kind {
	K_STR,        /* a string field */
	K_NUM,        /* a number, or a string when it is not one */
	K_DURATION,   /* seconds: the field when a number, else nginx.<var> */
	K_STATUS,     /* http.status, and the level */
	K_TIME_LOCAL, /* 02/Jan/2006:15:04:05 -0700 */
	K_TIME_ISO,   /* 2006-01-02T15:04:05-07:00 */
	K_MSEC,       /* epoch seconds with milliseconds (wins over the others) */
	K_REQUEST,    /* "GET /p?q HTTP/1.1": method, path, query, protocol */
	K_URI,        /* /p?q: path and query */
	K_SKIP,       /* matched, not shipped (a field already given) */
};

static const struct known {
	const char *name;
	const char *field; /* NULL: nginx.<name> */
	enum kind kind;
	const char *re; /* NULL: by its place (see var_re) */
} known[] = {
    {"remote_addr", "client.ip", K_STR, NULL},
    {"remote_user", "http.user", K_STR, NULL},
    {"time_local", NULL, K_TIME_LOCAL, "\\d\\d/[A-Za-z]{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}"},
    {"time_iso8601", NULL, K_TIME_ISO,
     "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:Z|[+-]\\d\\d:\\d\\d)"},
    {"msec", NULL, K_MSEC, "\\d+\\.\\d+"},
    {"request", NULL, K_REQUEST, NULL},
    {"request_method", "http.method", K_STR, NULL},
    {"request_uri", NULL, K_URI, NULL},
    {"uri", "http.path", K_STR, NULL},
    {"document_uri", "http.path", K_STR, NULL},
    {"args", "http.query", K_STR, NULL},
    {"query_string", "http.query", K_STR, NULL},
    {"server_protocol", "http.protocol", K_STR, NULL},
    {"status", "http.status", K_STATUS, "[1-9]\\d\\d"},
    {"body_bytes_sent", "http.bytes", K_NUM, "\\d+|-"},
    {"http_referer", "http.referer", K_STR, NULL},
    {"http_user_agent", "http.user_agent", K_STR, NULL},
    {"http_x_forwarded_for", "http.forwarded_for", K_STR, NULL},
    {"host", "http.host", K_STR, NULL},
    {"http_host", "http.host", K_STR, NULL},
    {"request_time", "http.duration", K_DURATION, "\\d+(?:\\.\\d+)?|-"},
    {"upstream_response_time", "http.upstream_duration", K_DURATION, NULL},
    {"request_id", NULL, K_STR, NULL},
    {"upstream_addr", NULL, K_STR, NULL},
    {"bytes_sent", NULL, K_NUM, "\\d+|-"},
    {"request_length", NULL, K_NUM, "\\d+|-"},
    {"connection", NULL, K_NUM, "\\d+|-"},
    {"connection_requests", NULL, K_NUM, "\\d+|-"},
    {"pid", NULL, K_NUM, "\\d+|-"},
};

/* The fields each kind gives besides its own field (for the duplicate check). */
static const char *const request_fields[] = {"http.method",   "http.path",    "http.query",
                                             "http.protocol", "http.request", NULL};
static const char *const uri_fields[] = {"http.path", "http.query", NULL};

struct var {
	enum kind kind;
	char *field; /* owned: the event field (K_STR, K_NUM, K_STATUS, K_DURATION) */
	char *other; /* owned: nginx.<name>, for K_DURATION values that are no number */
};

struct nginx_state {
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	struct var vars[MAX_VARS]; /* capture group i+1 */
	int n;
};

static void nginx_destroy(void *state)
{
	struct nginx_state *st = state;
	if (!st)
		return;
	pcre2_code_free(st->re);
	pcre2_match_data_free(st->md);
	pcre2_match_context_free(st->mctx);
	for (int i = 0; i < st->n; i++) {
		free(st->vars[i].field);
		free(st->vars[i].other);
	}
	free(st);
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Whether a field name is given already by one of the variables so far. */
static int taken(const struct nginx_state *st, const char *field)
{
	for (int i = 0; i < st->n; i++) {
		const struct var *v = &st->vars[i];
		const char *const *more = v->kind == K_REQUEST ? request_fields
		                          : v->kind == K_URI   ? uri_fields
		                                               : NULL;
		if ((v->field && !strcmp(v->field, field)) ||
		    (v->other && !strcmp(v->other, field)))
			return 1;
		for (; more && *more; more++)
			if (!strcmp(*more, field))
				return 1;
	}
	return 0;
}

static int any_taken(const struct nginx_state *st, const char *const *fields)
{
	for (; *fields; fields++)
		if (taken(st, *fields))
			return 1;
	return 0;
}

/* Adds variable name[0..nl) as the next group, with its kind and field. A
 * variable whose field an earlier one gives already becomes nginx.<name>
 * (and is not shipped when that is taken too: the same variable twice), so
 * an event never has a key twice. Returns the known entry, or NULL. */
static const struct known *add_var(struct nginx_state *st, const char *name, size_t nl)
{
	const struct known *k = NULL;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i].name) == nl && !memcmp(known[i].name, name, nl))
			k = &known[i];
	char generic[80];
	snprintf(generic, sizeof generic, "nginx.%.*s", (int)nl, name);
	enum kind kind = k ? k->kind : K_NUM;
	const char *field = k && k->field ? k->field : generic;
	int clash;
	switch (kind) {
	case K_REQUEST:
		clash = any_taken(st, request_fields);
		break;
	case K_URI:
		clash = any_taken(st, uri_fields);
		break;
	case K_TIME_LOCAL:
	case K_TIME_ISO:
	case K_MSEC:
		clash = 0; /* the first time read wins */
		break;
	default:
		clash = taken(st, field) || (kind == K_DURATION && taken(st, generic));
	}
	if (clash) {
		kind = taken(st, generic) ? K_SKIP : K_NUM;
		field = generic;
	}
	struct var *v = &st->vars[st->n++];
	v->kind = kind;
	if (kind == K_STR || kind == K_NUM || kind == K_STATUS || kind == K_DURATION)
		v->field = sl_strdup(field);
	if (kind == K_DURATION)
		v->other = sl_strdup(generic);
	return k;
}

/* The pattern of the variable before literal `next` (NULL: the end),
 * inside quotes when the literal before it ends with one and next starts with
 * one (nginx escapes '"' in values as \x22); $upstream_* values are lists. */
static const char *var_re(const struct known *k, int quoted, int upstream, const char *next)
{
	if (k && k->re)
		return k->re;
	if (!next || !*next)
		return ".*";
	if (quoted)
		return "[^\"]*";
	if (upstream) /* one value per upstream tried: "a, b : c" */
		return "[^\\s,]+(?:(?:, | : )[^\\s,]+)*";
	return ".*?";
}

/* Builds the pattern for fmt into re. Returns 0 or -1 with err. */
static int compile_format(struct nginx_state *st, const char *fmt, struct sl_buf *re, char *err,
                          size_t errlen)
{
	if (!*fmt) {
		snprintf(err, errlen, "parser_options.log_format: empty");
		return -1;
	}
	sl_buf_puts(re, "^");
	size_t i = 0;
	char prev = 0; /* the last literal character before the variable */
	while (fmt[i]) {
		if (fmt[i] != '$') {
			char c = fmt[i++];
			if (strchr("\\^$.|?*+()[]{}", c))
				sl_buf_putc(re, '\\');
			sl_buf_putc(re, c);
			prev = c;
			continue;
		}
		size_t at = i++, ns, nl;
		int brace = fmt[i] == '{';
		if (brace)
			i++;
		ns = i;
		while (name_char(fmt[i]))
			i++;
		nl = i - ns;
		if (!nl || (brace && fmt[i] != '}')) {
			snprintf(err, errlen,
			         "parser_options.log_format: invalid variable name at offset %zu",
			         at);
			return -1;
		}
		if (nl > 64) {
			snprintf(err, errlen,
			         "parser_options.log_format: variable name too long at offset %zu",
			         at);
			return -1;
		}
		if (brace)
			i++;
		if (st->n >= MAX_VARS) {
			snprintf(err, errlen, "parser_options.log_format: more than %d variables",
			         MAX_VARS);
			return -1;
		}
		const struct known *k = add_var(st, fmt + ns, nl);
		const char *next = fmt + i;
		int upstream = nl > 9 && !memcmp(fmt + ns, "upstream_", 9);
		sl_buf_printf(re, "(%s)", var_re(k, prev == '"' && *next == '"', upstream, next));
		prev = 0;
	}
	sl_buf_puts(re, "$");
	if (!st->n) {
		snprintf(err, errlen, "parser_options.log_format: no $variable in it");
		return -1;
	}
	return 0;
}

/* State: allocated here, freed by nginx_destroy. Without log_format the
 * state has no pattern and the combined reader runs. */
static void *nginx_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	const char *fmt = NULL;
	const struct sl_popt tab[] = {{"log_format", SL_POPT_STR, &fmt}, {0}};
	struct nginx_state *st = sl_calloc(1, sizeof *st);
	struct sl_buf re = {0};
	if (sl_popt_read(opts, "parser_options.", tab, err, errlen))
		goto fail;
	if (!fmt)
		return st;
	if (!strcmp(fmt, "combined"))
		fmt = COMBINED;
	if (compile_format(st, fmt, &re, err, errlen))
		goto fail;
	st->re = sl_regex_compile(re.data, re.len, "parser_options.log_format", err, errlen);
	if (!st->re)
		goto fail;
	st->md = pcre2_match_data_create_from_pattern(st->re, NULL);
	st->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(st->mctx, MATCH_STEP);
	sl_buf_free(&re);
	return st;
fail:
	sl_buf_free(&re);
	nginx_destroy(st);
	return NULL;
}

/* Epoch seconds with a fraction ("1700000000.123") to ns; -1 if not. */
static int msec_time(const char *v, size_t n, int64_t *ns)
{
	int64_t s = 0, frac = 0, scale = 1000000000;
	size_t i = 0;
	for (; i < n && v[i] >= '0' && v[i] <= '9' && i < 12; i++)
		s = s * 10 + (v[i] - '0');
	if (!i || i >= n || v[i] != '.')
		return -1;
	for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++)
		if (scale > 1) {
			scale /= 10;
			frac += (v[i] - '0') * scale;
		}
	if (i != n)
		return -1;
	*ns = s * 1000000000 + frac;
	return 0;
}

static void set_time(struct sl_event *ev, int ok)
{
	if (!ok) {
		ev->time_ns = 0;
		ev->time_note = "unreadable time, ingest time used";
	}
}

static void add_value(const struct var *var, const char *v, size_t vl, struct sl_event *ev)
{
	switch (var->kind) {
	case K_STR:
		sl_event_add_str(ev, var->field, strlen(var->field), v, vl);
		break;
	case K_NUM:
		sl_event_add_num(ev, var->field, v, vl);
		break;
	case K_DURATION:
		if (sl_is_json_number(v, vl))
			sl_event_add_raw(ev, var->field, strlen(var->field), v, vl);
		else
			sl_event_add_str(ev, var->other, strlen(var->other), v, vl);
		break;
	case K_STATUS: {
		sl_event_add_raw(ev, var->field, strlen(var->field), v, vl);
		int status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
		ev->level = status >= 500   ? SL_LEVEL_ERROR
		            : status >= 400 ? SL_LEVEL_WARN
		                            : SL_LEVEL_INFO;
		break;
	}
	case K_TIME_LOCAL:
		if (!ev->time_ns)
			set_time(ev, sl_time_scan(v, vl, "%d/%b/%Y:%T %z", ev->ref_ns,
			                          &ev->time_ns) == vl);
		break;
	case K_TIME_ISO:
		if (!ev->time_ns)
			set_time(ev, sl_time_parse_any(v, vl, &ev->time_ns) == 0);
		break;
	case K_MSEC: { /* milliseconds: wins over a time in seconds */
		int64_t ns;
		if (msec_time(v, vl, &ns) == 0)
			ev->time_ns = ns;
		else if (!ev->time_ns)
			set_time(ev, 0);
		break;
	}
	case K_REQUEST:
		sl_http_request_fields(ev, v, vl);
		break;
	case K_URI: {
		const char *q = memchr(v, '?', vl);
		size_t pl = q ? (size_t)(q - v) : vl;
		sl_event_add_str(ev, "http.path", 9, v, pl);
		if (q && vl - pl > 1)
			sl_event_add_str(ev, "http.query", 10, q + 1, vl - pl - 1);
		break;
	}
	case K_SKIP:
		break;
	}
}

static int format_parse(struct nginx_state *st, const char *rec, size_t len, struct sl_event *ev)
{
	if (pcre2_match(st->re, (PCRE2_SPTR)rec, len, 0, 0, st->md, st->mctx) < 0) {
		sl_event_fail(ev, rec, len, "line does not match log_format");
		return -1;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
	ev->level = SL_LEVEL_INFO;
	for (int g = 0; g < st->n; g++) {
		if (ov[2 * (g + 1)] == PCRE2_UNSET)
			continue;
		const char *v = rec + ov[2 * (g + 1)];
		size_t vl = ov[2 * (g + 1) + 1] - ov[2 * (g + 1)];
		if (!vl || (vl == 1 && *v == '-'))
			continue;
		add_value(&st->vars[g], v, vl, ev);
	}
	return 0;
}

static int nginx_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	struct nginx_state *st = state;
	sl_event_set_message(ev, rec, len);
	if (st->re)
		return format_parse(st, rec, len, ev);
	if (sl_clf_parse(rec, len, ev, "nginx")) {
		sl_event_fail(ev, rec, len, "not a combined access log line");
		return -1;
	}
	return 0;
}

const struct sl_parser_ops sl_parser_nginx = {
    .name = "nginx",
    .desc = "nginx access log (combined, optional request time fields; option log_format)",
    .create = nginx_create,
    .parse = nginx_parse,
    .destroy = nginx_destroy,
};
