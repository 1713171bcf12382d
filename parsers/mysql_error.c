/*
 * mysql_error — the MySQL 8.x error log (also 5.7's form without the code
 * and subsystem):
 *
 *   2024-01-02T03:04:05.123456Z 0 [System] [MY-010116] [Server] message
 *
 * mysql.thread, mysql.code, mysql.subsystem; [System]/[Note] -> info,
 * [Warning] -> warn, [ERROR] -> error. Lines that do not start with a time
 * (stack traces, InnoDB dumps) join the entry before them.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "formats.h"

/* Stateless: the returned pointer is a placeholder; nothing to free. */
static void *me_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	static int dummy;
	if (opts) {
		snprintf(err, errlen, "parser_options: the mysql_error parser takes none");
		return NULL;
	}
	return &dummy;
}

static void me_destroy(void *state)
{
}

static int starts_with_date(const char *s, size_t n)
{
	return n >= 10 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[3]) &&
	       s[4] == '-' && s[7] == '-';
}

static int me_join(void *state, int *ml, const char *s, size_t n)
{
	int cur = *ml;
	*ml = 1;
	return cur && !starts_with_date(s, n);
}

/* "[x]" at s[*p]: sets *v, *vl and moves past it and one space. */
static int bracket(const char *s, size_t n, size_t *p, const char **v, size_t *vl)
{
	if (*p >= n || s[*p] != '[')
		return 0;
	const char *e = memchr(s + *p, ']', n - *p);
	if (!e)
		return 0;
	*v = s + *p + 1;
	*vl = (size_t)(e - *v);
	*p = (size_t)(e - s) + 1;
	if (*p < n && s[*p] == ' ')
		(*p)++;
	return 1;
}

static int me_parse(void *state, const char *s, size_t n, struct sl_event *ev)
{
	const char *sp = memchr(s, ' ', n);
	if (!starts_with_date(s, n) || !sp ||
	    sl_time_parse_ref(s, (size_t)(sp - s), ev->ref_ns, &ev->time_ns)) {
		ev->time_ns = 0;
		sl_event_fail(ev, s, n, "not a MySQL error log line");
		return -1;
	}
	size_t p = (size_t)(sp - s) + 1, t = p;
	while (p < n && isdigit((unsigned char)s[p]))
		p++;
	if (p > t) {
		sl_event_add_num(ev, "mysql.thread", s + t, p - t);
		if (p < n && s[p] == ' ')
			p++;
	}
	const char *v;
	size_t vl;
	if (bracket(s, n, &p, &v, &vl)) {
		ev->level = sl_level_parse(v, vl);
		if (ev->level == SL_LEVEL_NONE)
			sl_event_add_str(ev, "orig.level", 10, v, vl);
		size_t save = p;
		if (bracket(s, n, &p, &v, &vl) && vl > 3 && !memcmp(v, "MY-", 3)) {
			sl_event_add_str(ev, "mysql.code", 10, v, vl);
			save = p;
			if (bracket(s, n, &p, &v, &vl))
				sl_event_add_str(ev, "mysql.subsystem", 15, v, vl);
			else
				p = save;
		} else {
			p = save;
		}
	}
	sl_event_set_message(ev, s + p, n - p);
	return 0;
}

const struct sl_parser_ops sl_parser_mysql_error = {
    .name = "mysql_error",
    .desc = "MySQL 8.x (and 5.7) error log",
    .create = me_create,
    .parse = me_parse,
    .destroy = me_destroy,
    .join = me_join,
};
