/*
 * apache — Apache httpd access logs in the combined format, with optional request
 * time fields after it (see clf.c): http.status, http.method, http.path,
 * http.bytes, client.ip, http.duration (seconds; %D microseconds converted) typed. Level: 5xx
 * error, 4xx warn, else info.
 */
#include <stdio.h>

#include "formats.h"

/* Stateless: the returned pointer is a placeholder; nothing to free. */
static void *apache_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	static int dummy;
	if (opts) {
		snprintf(err, errlen, "parser_options: the apache parser takes none");
		return NULL;
	}
	return &dummy;
}

static void apache_destroy(void *state)
{
}

static int apache_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	sl_event_set_message(ev, rec, len);
	if (sl_clf_parse(rec, len, ev, "apache")) {
		sl_event_fail(ev, rec, len, "not a combined access log line");
		return -1;
	}
	return 0;
}

const struct sl_parser_ops sl_parser_apache = {
    .name = "apache",
    .desc = "Apache access log (combined or common; %D or %T after it)",
    .create = apache_create,
    .parse = apache_parse,
    .destroy = apache_destroy,
};
