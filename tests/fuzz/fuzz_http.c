/*
 * fuzz_http — libFuzzer target for the aggregator's HTTP request path: the
 * input is sent as raw bytes over a loopback connection to the real API
 * (evhttp and ag_api's handlers) over a small store, and the answer is read
 * until the server closes or goes quiet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "api.h"
#include "fields.h"
#include "ingest.h"
#include "query.h"
#include "sl_log.h"
#include "store.h"

static struct event_base *base;
static struct ag_api api;
static struct ag_config cfg;
static struct ag_store store;
static struct ag_ingest ingest;
static int port;

static void key_add(void *ud, uint64_t h)
{
	(void)ud;
	(void)h;
}

static void setup(void)
{
	static char dir[] = "/tmp/sluice-fuzz-http.XXXXXX", listen_at[64];
	sl_log_init("fuzz_http", SL_LOG_ERROR);
	if (!mkdtemp(dir))
		abort();
	if (ag_store_open(&store, dir, NULL))
		abort();
	const char *lines[] = {
	    "{\"time\":\"2026-11-29T10:00:00Z\",\"id\":\"1\",\"host\":\"h\",\"path\":\"/p\","
	    "\"offset\":0,\"level\":\"error\",\"service\":\"a\",\"message\":\"disk full\"}",
	    "{\"time\":\"2026-11-29T10:00:01Z\",\"id\":\"2\",\"host\":\"h\",\"path\":\"/p\","
	    "\"offset\":10,\"level\":\"info\",\"http\":{\"status\":200},\"message\":\"ok\"}",
	};
	struct ag_event ev = {0};
	for (size_t i = 0; i < 2; i++) {
		uint64_t id[2] = {0, i + 1};
		ag_event_parse(&ev, lines[i], strlen(lines[i]));
		ag_store_add(&store, "default", lines[i], strlen(lines[i]),
		             1795860000000000000LL + (int64_t)i, id, NULL, 0, 0);
	}
	ag_event_free(&ev);
	(void)key_add;
	/* a free port */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl))
		abort();
	port = ntohs(sa.sin_port);
	close(s);
	snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", port);
	cfg.api.listen = listen_at;
	cfg.api.max_query = 4096;
	cfg.api.max_results = 1000;
	cfg.api.timeout = 1000;
	cfg.api.max_tails = 4;
	cfg.api.workers = 2;
	evthread_use_pthreads();
	base = event_base_new();
	if (ag_api_start(&api, base, &cfg, &store, &ingest))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base)
		setup();
	if (size > 65536)
		return 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	size_t off = 0;
	char buf[65536];
	int quiet = 0;
	while (quiet < 256) { /* a worker may take a moment to answer */
		if (off < size) {
			ssize_t w = write(fd, data + off, size - off);
			if (w > 0)
				off += (size_t)w;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		ssize_t r = read(fd, buf, sizeof buf);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			break; /* the server closed */
		quiet = r > 0 ? 0 : quiet + 1;
	}
	close(fd);
	for (int i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}
