/*
 * logfmt — key=value pairs (Heroku/Go style): values bare or "quoted" with
 * backslash escapes, a bare key is true. Keys map onto the event as in the
 * json parser (time/ts/timestamp/@timestamp/t, level/lvl/severity,
 * msg/message/@message, service); numbers and true/false stay typed. A line
 * without any key=value is shipped as text with parse_error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

struct logfmt_state {
	struct sl_buf val; /* unescaped value */
};

/* State: allocated here, freed by logfmt_destroy. */
static void *logfmt_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	if (opts) {
		snprintf(err, errlen, "parser_options: the logfmt parser takes none");
		return NULL;
	}
	return sl_calloc(1, sizeof(struct logfmt_state));
}

static void logfmt_destroy(void *state)
{
	struct logfmt_state *st = state;
	if (!st)
		return;
	sl_buf_free(&st->val);
	free(st);
}

static int is(const char *k, size_t kl, const char *a)
{
	return strlen(a) == kl && !memcmp(k, a, kl);
}

static void field(struct sl_event *ev, const char *k, size_t kl, const char *v, size_t vl,
                  int quoted)
{
	if (is(k, kl, "msg") || is(k, kl, "message") || is(k, kl, "@message")) {
		if (!ev->has_message) {
			sl_event_set_message(ev, v, vl);
			return;
		}
	} else if (is(k, kl, "time") || is(k, kl, "ts") || is(k, kl, "timestamp") ||
	           is(k, kl, "@timestamp") || is(k, kl, "t")) {
		if (!ev->time_ns) {
			if (!sl_time_parse_ref(v, vl, ev->ref_ns, &ev->time_ns))
				return;
			ev->time_ns = 0;
			ev->time_note = "unreadable time, ingest time used";
		}
	} else if (is(k, kl, "level") || is(k, kl, "lvl") || is(k, kl, "severity") ||
	           is(k, kl, "log.level")) {
		if (ev->level == SL_LEVEL_NONE &&
		    (ev->level = sl_level_parse(v, vl)) != SL_LEVEL_NONE)
			return;
	} else if (is(k, kl, "service") && !ev->service.len) {
		sl_buf_append(&ev->service, v, vl);
		return;
	}
	if (!quoted && (sl_is_json_number(v, vl) || is(v, vl, "true") || is(v, vl, "false")))
		sl_event_add_raw(ev, k, kl, v, vl);
	else
		sl_event_add_str(ev, k, kl, v, vl);
}

static int logfmt_parse(void *state, const char *s, size_t n, struct sl_event *ev)
{
	struct logfmt_state *st = state;
	size_t p = 0;
	int pairs = 0;
	while (p < n) {
		while (p < n && (s[p] == ' ' || s[p] == '\t'))
			p++;
		if (p >= n)
			break;
		size_t k = p;
		while (p < n && s[p] != '=' && s[p] != ' ' && s[p] != '\t' && s[p] != '"')
			p++;
		size_t kl = p - k;
		if (p < n && s[p] == '"') {
			sl_event_fail(ev, s, n, "not logfmt");
			return -1;
		}
		if (p >= n || s[p] != '=') {
			if (kl)
				sl_event_add_raw(ev, s + k, kl, "true", 4);
			continue;
		}
		p++;
		if (!kl) {
			sl_event_fail(ev, s, n, "not logfmt");
			return -1;
		}
		pairs++;
		if (p < n && s[p] == '"') {
			p++;
			sl_buf_reset(&st->val);
			sl_buf_putc(&st->val, '\0');
			st->val.len = 0;
			while (p < n && s[p] != '"') {
				if (s[p] == '\\' && p + 1 < n) {
					p++;
					char c = s[p++];
					if (c == 'n') {
						sl_buf_putc(&st->val, '\n');
					} else if (c == 't') {
						sl_buf_putc(&st->val, '\t');
					} else if (c == 'r') {
						sl_buf_putc(&st->val, '\r');
					} else if (c == '"' || c == '\\') {
						sl_buf_putc(&st->val, c);
					} else { /* kept as written: \u00e9, \x41 */
						sl_buf_putc(&st->val, '\\');
						sl_buf_putc(&st->val, c);
					}
					continue;
				}
				sl_buf_putc(&st->val, s[p++]);
			}
			if (p >= n) {
				sl_event_fail(ev, s, n, "not logfmt (unterminated quote)");
				return -1;
			}
			p++;
			field(ev, s + k, kl, st->val.data, st->val.len, 1);
		} else {
			size_t v = p;
			while (p < n && s[p] != ' ' && s[p] != '\t')
				p++;
			field(ev, s + k, kl, s + v, p - v, 0);
		}
	}
	if (!pairs) {
		sl_event_fail(ev, s, n, "not logfmt");
		return -1;
	}
	return 0;
}

const struct sl_parser_ops sl_parser_logfmt = {
    .name = "logfmt",
    .desc = "key=value pairs; time, level, msg keys as for json",
    .create = logfmt_create,
    .parse = logfmt_parse,
    .destroy = logfmt_destroy,
};
