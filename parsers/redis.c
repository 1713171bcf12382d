/*
 * redis — the Redis server log:
 *
 *   1234:M 02 Jan 2024 03:04:05.123 * Ready to accept connections
 *   [1234] 02 Jan 03:04:05 # old (2.x) form, year-less
 *
 * redis.pid, redis.role (master, replica, child, sentinel); the level mark:
 * '.' debug, '-' verbose (debug), '*' notice (info), '#' warning.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "formats.h"

/* Stateless: the returned pointer is a placeholder; nothing to free. */
static void *redis_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	static int dummy;
	if (opts) {
		snprintf(err, errlen, "parser_options: the redis parser takes none");
		return NULL;
	}
	return &dummy;
}

static void redis_destroy(void *state)
{
}

static int redis_parse(void *state, const char *s, size_t n, struct sl_event *ev)
{
	size_t p = 0, pid;
	int old = n && s[0] == '[';
	p += (size_t)old;
	pid = p;
	while (p < n && isdigit((unsigned char)s[p]))
		p++;
	size_t pid_end = p;
	const char *role = NULL;
	if (pid_end == pid)
		goto fail;
	if (old) {
		if (p + 1 >= n || s[p] != ']' || s[p + 1] != ' ')
			goto fail;
		p += 2;
	} else {
		if (p + 2 >= n || s[p] != ':' || s[p + 2] != ' ')
			goto fail;
		switch (s[p + 1]) {
		case 'M':
			role = "master";
			break;
		case 'S':
			role = "replica";
			break;
		case 'C':
			role = "child";
			break;
		case 'X':
			role = "sentinel";
			break;
		default:
			goto fail;
		}
		p += 3;
	}
	int64_t ts;
	size_t used = sl_time_scan(s + p, n - p, "%d %b %Y %T%f", ev->ref_ns, &ts);
	if (!used)
		used = sl_time_scan(s + p, n - p, "%d %b %T%f", ev->ref_ns, &ts);
	if (!used || p + used + 2 >= n || s[p + used] != ' ' || s[p + used + 2] != ' ')
		goto fail;
	p += used + 1;
	switch (s[p]) {
	case '.':
	case '-':
		ev->level = SL_LEVEL_DEBUG;
		break;
	case '*':
		ev->level = SL_LEVEL_INFO;
		break;
	case '#':
		ev->level = SL_LEVEL_WARN;
		break;
	default:
		goto fail;
	}
	ev->time_ns = ts;
	sl_event_add_num(ev, "redis.pid", s + pid, pid_end - pid);
	if (role)
		sl_event_add_cstr(ev, "redis.role", role);
	sl_event_set_message(ev, s + p + 2, n - p - 2);
	return 0;
fail:
	sl_event_fail(ev, s, n, "not a Redis log line");
	return -1;
}

const struct sl_parser_ops sl_parser_redis = {
    .name = "redis",
    .desc = "Redis server log (pid:role time mark message)",
    .create = redis_create,
    .parse = redis_parse,
    .destroy = redis_destroy,
};
