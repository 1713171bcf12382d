/*
 * metrics — evhttp server thread for /metrics and /healthz.
 */
#include "metrics.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <stdlib.h>
#include <string.h>

#include "sl_log.h"

static void handle(struct evhttp_request *req, void *arg)
{
	struct sh_metrics *m = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evbuffer *out = evbuffer_new();
	int code = 200;
	const char *type = "text/plain; version=0.0.4";
	pthread_mutex_lock(&m->lock);
	if (path && !strcmp(path, "/metrics")) {
		evbuffer_add(out, m->text.data ? m->text.data : "", m->text.len);
	} else if (path && !strcmp(path, "/healthz")) {
		code = m->healthy ? 200 : 503;
		evbuffer_add_printf(out, "%s\n", m->health);
		type = "text/plain";
	} else {
		code = 404;
		evbuffer_add_printf(out, "not found: try /metrics or /healthz\n");
		type = "text/plain";
	}
	pthread_mutex_unlock(&m->lock);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, code,
	                  code == 200   ? "OK"
	                  : code == 503 ? "Unavailable"
	                                : "Not Found",
	                  out);
	evbuffer_free(out);
}

static void *run(void *arg)
{
	struct sh_metrics *m = arg;
	event_base_dispatch(m->base);
	return NULL;
}

int sh_metrics_start(struct sh_metrics *m, const char *listen)
{
	memset(m, 0, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
	snprintf(m->health, sizeof m->health, "starting");
	const char *colon = strrchr(listen, ':');
	if (!colon) {
		sl_error("metrics.listen %s: expected host:port", listen);
		return -1;
	}
	char host[256];
	size_t hl = (size_t)(colon - listen);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, listen, hl);
	host[hl] = '\0';
	evthread_use_pthreads();
	m->base = event_base_new();
	m->http = evhttp_new(m->base);
	evhttp_set_gencb(m->http, handle, m);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET);
	evhttp_set_timeout(m->http, 10);
	if (evhttp_bind_socket(m->http, host, (ev_uint16_t)atoi(colon + 1))) {
		sl_error("metrics.listen %s: cannot listen", listen);
		return -1;
	}
	if (pthread_create(&m->thread, NULL, run, m)) {
		sl_error("cannot start the metrics thread");
		return -1;
	}
	m->running = 1;
	sl_info("metrics on http://%s/metrics", listen);
	return 0;
}

void sh_metrics_publish(struct sh_metrics *m, const struct sl_buf *text, int healthy,
                        const char *health)
{
	pthread_mutex_lock(&m->lock);
	sl_buf_reset(&m->text);
	sl_buf_append(&m->text, text->data ? text->data : "", text->len);
	m->healthy = healthy;
	snprintf(m->health, sizeof m->health, "%s", health);
	pthread_mutex_unlock(&m->lock);
}

void sh_metrics_stop(struct sh_metrics *m)
{
	if (m->running) {
		event_base_loopbreak(m->base);
		pthread_join(m->thread, NULL);
		m->running = 0;
	}
	if (m->http)
		evhttp_free(m->http);
	if (m->base)
		event_base_free(m->base);
	sl_buf_free(&m->text);
	pthread_mutex_destroy(&m->lock);
	m->http = NULL;
	m->base = NULL;
}
