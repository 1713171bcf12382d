/*
 * cri — the Kubernetes CRI log format: "<RFC 3339 time> <stream> <P|F> <log>".
 * The pipe (type cri) uses sl_cri_decode to join P (partial) pieces up to the
 * F that ends them; as a parser each line is unwrapped and its log parsed as
 * "auto". k8s.* fields come from the path (/var/log/pods/<ns>_<pod>_<uid>/
 * <container>/N.log, or /var/log/containers/<pod>_<ns>_<container>-<id>.log).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "sl_json.h"
#include "sl_time.h"

int sl_cri_decode(const char *s, size_t n, struct sl_wrap *w)
{
	memset(w, 0, sizeof *w);
	const char *sp1 = memchr(s, ' ', n);
	if (!sp1 || sl_time_parse(s, (size_t)(sp1 - s), &w->time_ns))
		return -1;
	const char *st = sp1 + 1, *end = s + n;
	const char *sp2 = memchr(st, ' ', (size_t)(end - st));
	if (!sp2 || sp2 == st || (size_t)(sp2 - st) >= sizeof w->stream)
		return -1;
	memcpy(w->stream, st, (size_t)(sp2 - st));
	const char *tag = sp2 + 1;
	const char *sp3 = memchr(tag, ' ', (size_t)(end - tag));
	const char *tag_end = sp3 ? sp3 : end;
	if (tag_end == tag || (*tag != 'P' && *tag != 'F') || (tag_end - tag > 1 && tag[1] != ':'))
		return -1;
	w->partial = *tag == 'P';
	w->text = sp3 ? sp3 + 1 : end;
	w->len = (size_t)(end - w->text);
	return 0;
}

static void add_static(struct sl_buf *out, const char *k, const char *v, size_t vn)
{
	sl_buf_putc(out, ',');
	sl_json_str(out, k, strlen(k));
	sl_buf_putc(out, ':');
	sl_json_str(out, v, vn);
}

void sl_cri_path_fields(const char *path, struct sl_buf *out)
{
	const char *p;
	if (path && (p = strstr(path, "/pods/"))) {
		/* <ns>_<pod>_<uid>/<container>/N.log */
		const char *d = p + strlen("/pods/");
		const char *slash = strchr(d, '/');
		const char *u1 = slash ? memchr(d, '_', (size_t)(slash - d)) : NULL;
		const char *u2 = u1 ? memchr(u1 + 1, '_', (size_t)(slash - u1 - 1)) : NULL;
		if (!u2)
			return;
		const char *c = slash + 1, *cs = strchr(c, '/');
		add_static(out, "k8s.namespace", d, (size_t)(u1 - d));
		add_static(out, "k8s.pod", u1 + 1, (size_t)(u2 - u1 - 1));
		add_static(out, "k8s.pod_uid", u2 + 1, (size_t)(slash - u2 - 1));
		if (cs && cs > c)
			add_static(out, "k8s.container", c, (size_t)(cs - c));
	} else if (path && (p = strstr(path, "/containers/"))) {
		/* <pod>_<ns>_<container>-<id>.log */
		const char *b = p + strlen("/containers/");
		if (strchr(b, '/'))
			return;
		size_t bl = strlen(b);
		if (bl > 4 && !strcmp(b + bl - 4, ".log"))
			bl -= 4;
		const char *u1 = memchr(b, '_', bl);
		const char *u2 = u1 ? memchr(u1 + 1, '_', bl - (size_t)(u1 + 1 - b)) : NULL;
		if (!u2)
			return;
		const char *dash = NULL;
		for (const char *q = b + bl; q > u2; q--)
			if (*q == '-') {
				dash = q;
				break;
			}
		if (!dash)
			return;
		add_static(out, "k8s.namespace", u1 + 1, (size_t)(u2 - u1 - 1));
		add_static(out, "k8s.pod", b, (size_t)(u1 - b));
		add_static(out, "k8s.container", u2 + 1, (size_t)(dash - u2 - 1));
		add_static(out, "container.id", dash + 1, (size_t)(b + bl - dash - 1));
	}
}

/* ---- as a parser ---- */

/* State: the inner "auto" parser's, freed by cri_destroy. */
static void *cri_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	if (opts) {
		snprintf(err, errlen, "parser_options: the cri parser takes none");
		return NULL;
	}
	return sl_parser_auto.create(NULL, err, errlen);
}

static void cri_destroy(void *state)
{
	sl_parser_auto.destroy(state);
}

static int cri_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	struct sl_wrap w;
	if (sl_cri_decode(rec, len, &w)) {
		sl_event_fail(ev, rec, len, "not a CRI log line");
		return -1;
	}
	int rc = sl_parser_auto.parse(state, w.text, w.len, ev);
	sl_event_add_cstr(ev, "stream", w.stream);
	ev->time_ns = w.time_ns;
	if (w.partial)
		sl_event_add_raw(ev, "partial", 7, "true", 4);
	return rc;
}

const struct sl_parser_ops sl_parser_cri = {
    .name = "cri",
    .desc = "Kubernetes CRI lines: the log unwrapped (parsed as auto), stream and time kept",
    .create = cri_create,
    .parse = cri_parse,
    .destroy = cri_destroy,
};
