/*
 * fuzz_cli_http — libFuzzer target for the CLI's side of HTTP
 * (aggregator/cli/http.c): the input is the answer a server on loopback
 * sends to the CLI's GET, read by sl_http_do to its end; its first line is
 * also parsed as a URL.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../aggregator/cli/http.c"

static int lfd = -1;
static char url[64];

struct answer {
	const uint8_t *p;
	size_t n;
};

/* Accepts one connection, reads the request's head, sends the answer. */
static void *serve(void *arg)
{
	const struct answer *a = arg;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	char req[4096];
	size_t got = 0;
	while (got < sizeof req - 1) {
		ssize_t r = read(fd, req + got, sizeof req - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	for (size_t off = 0; off < a->n;) {
		ssize_t w = send(fd, a->p + off, a->n - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
	return NULL;
}

static int on_status(void *ud, long st)
{
	(void)ud;
	return st == 999; /* stopping is a path too */
}

static int on_body(void *ud, const char *p, size_t n)
{
	size_t *total = ud;
	*total += n;
	return n && p[0] == '!';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (lfd < 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
		                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t sl = sizeof sa;
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 4) ||
		    getsockname(lfd, (struct sockaddr *)&sa, &sl))
			abort();
		snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/count?q=%%2A",
		         (unsigned)ntohs(sa.sin_port));
	}
	/* the first line as a URL */
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ul = nl ? (size_t)(nl - data) : size;
	char *u = malloc(ul + 1), host[256], port[16];
	memcpy(u, data, ul);
	u[ul] = '\0';
	const char *rest;
	int tls;
	if (!parse_url(u, &tls, host, sizeof host, port, sizeof port, &rest) &&
	    (strlen(host) >= sizeof host || strlen(port) >= sizeof port || rest < u ||
	     rest > u + ul))
		abort();
	char *esc = malloc(3 * ul + 1);
	if (sl_http_escape(u, esc) > 3 * ul)
		abort();
	free(esc);
	free(u);
	/* the whole input as an answer */
	struct answer a = {data, size};
	pthread_t t;
	if (pthread_create(&t, NULL, serve, &a))
		abort();
	size_t total = 0;
	char err[256];
	struct sl_http_get g = {.url = url,
	                        .token = "tok",
	                        .connect_timeout = 5,
	                        .status = on_status,
	                        .body = on_body,
	                        .ud = &total};
	enum sl_http_rc rc = sl_http_do(&g, err, sizeof err);
	pthread_join(t, NULL);
	if (rc == SL_HTTP_OK && total > size)
		abort();
	return 0;
}
