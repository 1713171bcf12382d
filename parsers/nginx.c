/*
 * nginx — nginx access logs in the combined format, with optional request
 * time fields after it (see clf.c): http.status, http.method, http.path,
 * http.bytes, client.ip, http.duration (seconds) typed. Level: 5xx error,
 * 4xx warn, else info.
 */
#include <stdio.h>

#include "formats.h"

/* Stateless: the returned pointer is a placeholder; nothing to free. */
static void *nginx_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	static int dummy;
	if (opts) {
		snprintf(err, errlen, "parser_options: the nginx parser takes none");
		return NULL;
	}
	return &dummy;
}

static void nginx_destroy(void *state)
{
}

static int nginx_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	sl_event_set_message(ev, rec, len);
	if (sl_clf_parse(rec, len, ev, "nginx")) {
		sl_event_fail(ev, rec, len, "not a combined access log line");
		return -1;
	}
	return 0;
}

const struct sl_parser_ops sl_parser_nginx = {
    .name = "nginx",
    .desc = "nginx access log (combined, optional request time fields)",
    .create = nginx_create,
    .parse = nginx_parse,
    .destroy = nginx_destroy,
};
