/*
 * syslog — RFC 3164 ("<34>Oct 11 22:14:15 host su[123]: msg", also without
 * the <PRI> as syslog daemons write files, and with an RFC 3339 time as
 * rsyslog's file format does) and RFC 5424 ("<165>1 2003-10-11T22:14:15.003Z
 * host app procid msgid [sd@1 k="v"] msg"), structured data kept as
 * syslog.sd.<id>.<param>. The facility is named (syslog.facility) and the
 * severity sets the level. A year-less time takes the year that puts it
 * not more than a day in the future.
 */
#include <stdio.h>
#include <string.h>

#include "formats.h"
#include "sl_time.h"

static const char *const facilities[] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
};

/* Stateless: the returned pointer is a placeholder; nothing to free. */
static void *syslog_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	static int dummy;
	if (opts) {
		snprintf(err, errlen, "parser_options: the syslog parser takes none");
		return NULL;
	}
	return &dummy;
}

static void syslog_destroy(void *state)
{
}

/* A space-delimited token at s[*p]; returns its length. */
static size_t token(const char *s, size_t n, size_t *p, const char **t)
{
	*t = s + *p;
	size_t st = *p;
	while (*p < n && s[*p] != ' ')
		(*p)++;
	size_t l = *p - st;
	if (*p < n)
		(*p)++;
	return l;
}

static int nil(const char *t, size_t l)
{
	return l == 1 && *t == '-';
}

/* [id k="v" k2="v2"][id2 ...]: returns bytes read, 0 if malformed. */
static size_t structured(struct sl_event *ev, const char *s, size_t n, struct sl_buf *key,
                         struct sl_buf *val)
{
	size_t p = 0;
	while (p < n && s[p] == '[') {
		size_t id = ++p;
		while (p < n && s[p] != ' ' && s[p] != ']')
			p++;
		if (p >= n)
			return 0;
		size_t idl = p - id;
		while (p < n && s[p] == ' ') {
			p++;
			size_t k = p;
			while (p < n && s[p] != '=' && s[p] != ' ' && s[p] != ']')
				p++;
			if (p + 1 >= n || s[p] != '=' || s[p + 1] != '"')
				return 0;
			size_t kl = p - k;
			p += 2;
			sl_buf_reset(val);
			sl_buf_putc(val, '\0');
			val->len = 0;
			while (p < n && s[p] != '"') {
				if (s[p] == '\\' && p + 1 < n &&
				    (s[p + 1] == '"' || s[p + 1] == '\\' || s[p + 1] == ']'))
					p++;
				sl_buf_putc(val, s[p++]);
			}
			if (p >= n)
				return 0;
			p++;
			sl_buf_reset(key);
			sl_buf_printf(key, "syslog.sd.%.*s.%.*s", (int)idl, s + id, (int)kl, s + k);
			sl_event_add_str(ev, key->data, key->len, val->data, val->len);
		}
		if (p >= n || s[p] != ']')
			return 0;
		p++;
	}
	return p;
}

static int parse5424(const char *s, size_t n, size_t p, struct sl_event *ev)
{
	const char *t;
	size_t l = token(s, n, &p, &t);
	if (!nil(t, l)) {
		if (sl_time_parse(t, l, &ev->time_ns)) {
			ev->time_ns = 0;
			ev->time_note = "unreadable time, ingest time used";
		}
	}
	static const char *const names[] = {"syslog.hostname", "syslog.appname", "syslog.procid",
	                                    "syslog.msgid"};
	for (int i = 0; i < 4; i++) {
		l = token(s, n, &p, &t);
		if (!l)
			return -1;
		if (nil(t, l))
			continue;
		if (i == 2)
			sl_event_add_num(ev, names[i], t, l);
		else
			sl_event_add_str(ev, names[i], strlen(names[i]), t, l);
	}
	if (p < n && s[p] == '[') {
		struct sl_buf key = {0}, val = {0};
		size_t used = structured(ev, s + p, n - p, &key, &val);
		sl_buf_free(&key);
		sl_buf_free(&val);
		if (!used)
			return -1;
		p += used;
		if (p < n && s[p] == ' ')
			p++;
	} else if (p < n && s[p] == '-') {
		p++;
		if (p < n && s[p] == ' ')
			p++;
	} else if (p < n) {
		return -1;
	}
	if (n - p >= 3 && !memcmp(s + p, "\xEF\xBB\xBF", 3))
		p += 3;
	sl_event_set_message(ev, s + p, n - p);
	return 0;
}

static const char *const time_forms[] = {"%b %e %T%f", "%b %e %Y %T%f", "%Y-%m-%d%~%T%f%z"};

static int parse3164(const char *s, size_t n, size_t p, struct sl_event *ev)
{
	size_t used = 0;
	for (size_t i = 0; i < 3 && !used; i++)
		used = sl_time_scan(s + p, n - p, time_forms[i], ev->ref_ns, &ev->time_ns);
	if (!used || p + used >= n || s[p + used] != ' ') {
		ev->time_ns = 0;
		return -1;
	}
	p += used + 1;
	/* HOSTNAME, unless the next word is already the tag ("su[12]:", "cron:") */
	const char *t = s + p;
	size_t save = p, l = token(s, n, &p, &t);
	if (!l || t[l - 1] == ':' || memchr(t, '[', l))
		p = save;
	else
		sl_event_add_str(ev, "syslog.hostname", 15, t, l);
	/* TAG[pid]: */
	size_t tag = p;
	while (p < n && s[p] != ' ' && s[p] != '[' && s[p] != ':')
		p++;
	if (p < n && p > tag && (s[p] == '[' || s[p] == ':')) {
		sl_event_add_str(ev, "syslog.appname", 14, s + tag, p - tag);
		if (s[p] == '[') {
			const char *e = memchr(s + p, ']', n - p);
			if (e) {
				sl_event_add_num(ev, "syslog.procid", s + p + 1,
				                 (size_t)(e - s - p - 1));
				p = (size_t)(e - s) + 1;
			}
		}
		if (p < n && s[p] == ':')
			p++;
		if (p < n && s[p] == ' ')
			p++;
	} else {
		p = tag;
	}
	sl_event_set_message(ev, s + p, n - p);
	return 0;
}

static int syslog_parse(void *state, const char *s, size_t n, struct sl_event *ev)
{
	size_t p = 0;
	int pri = -1;
	if (n > 2 && s[0] == '<') {
		int v = 0, k = 1;
		while (k < 5 && (size_t)k < n && s[k] >= '0' && s[k] <= '9')
			v = v * 10 + (s[k++] - '0');
		if ((size_t)k < n && s[k] == '>' && k > 1 && v < 192) {
			pri = v;
			p = (size_t)k + 1;
		}
	}
	if (pri >= 0) {
		char sev = (char)('0' + pri % 8);
		ev->level = sl_level_parse(&sev, 1);
		sl_event_add_cstr(ev, "syslog.facility", facilities[pri / 8]);
	}
	int rc;
	if (p + 2 < n && s[p] == '1' && s[p + 1] == ' ')
		rc = parse5424(s, n, p + 2, ev);
	else
		rc = parse3164(s, n, p, ev);
	if (rc) {
		sl_event_fail(ev, s, n, "not a syslog line");
		return -1;
	}
	return 0;
}

const struct sl_parser_ops sl_parser_syslog = {
    .name = "syslog",
    .desc = "syslog files and messages, RFC 3164 and RFC 5424 (structured data kept)",
    .create = syslog_create,
    .parse = syslog_parse,
    .destroy = syslog_destroy,
};
