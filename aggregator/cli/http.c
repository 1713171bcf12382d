/*
 * http — a GET over HTTP/1.0, plain or over TLS; see http.h.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define SL_HTTP_HEAD_MAX (64 * 1024) /* status line and headers */

struct conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
};

static void seterr(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

size_t sl_http_escape(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return n;
}

/* Splits url into scheme (*tls), host (brackets of an IPv6 address
 * removed), port (the scheme's by default) and the rest from the path on
 * (*rest: "" or starting with '/' or '?'). Returns 0 or -1. */
static int parse_url(const char *url, int *tls, char *host, size_t hostlen, char *port,
                     size_t portlen, const char **rest)
{
	const char *p, *hs, *he;
	if (!strncasecmp(url, "http://", 7)) {
		*tls = 0;
		p = url + 7;
	} else if (!strncasecmp(url, "https://", 8)) {
		*tls = 1;
		p = url + 8;
	} else {
		return -1;
	}
	if (*p == '[') {
		hs = p + 1;
		if (!(he = strchr(hs, ']')))
			return -1;
		p = he + 1;
	} else {
		hs = p;
		p += strcspn(p, ":/?#@");
		he = p;
	}
	size_t hl = (size_t)(he - hs), pl;
	if (!hl || hl >= hostlen)
		return -1;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (*p == ':') {
		p++;
		pl = strspn(p, "0123456789");
		if (!pl || pl >= portlen)
			return -1;
		memcpy(port, p, pl);
		port[pl] = '\0';
		p += pl;
	} else {
		snprintf(port, portlen, "%s", *tls ? "443" : "80");
	}
	if (*p && *p != '/' && *p != '?')
		return -1; /* user info, a fragment: not for this client */
	*rest = p;
	return 0;
}

/* Waits up to timeout_s for a non-blocking connect to end. Returns 0, or
 * -1 with the reason in *e. */
static int wait_connected(int fd, int timeout_s, int *e)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r, so = 0;
	socklen_t sl = sizeof so;
	do
		r = poll(&p, 1, timeout_s * 1000);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		*e = r ? errno : ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) || so) {
		*e = so ? so : errno;
		return -1;
	}
	return 0;
}

/* A blocking TCP connection to host:port, trying each address. Returns the
 * socket, or -1 with err set. */
static int tcp_connect(const char *host, const char *port, int timeout_s, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *a;
	int r = getaddrinfo(host, port, &hints, &res), fd = -1, e = 0;
	if (r) {
		seterr(err, errlen, "%s: %s", host, gai_strerror(r));
		return -1;
	}
	for (a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		            a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_connected(fd, timeout_s, &e) == 0)) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			break;
		}
		if (errno != EINPROGRESS)
			e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		seterr(err, errlen, "connecting to %s port %s: %s", host, port,
		       e == ETIMEDOUT ? "timed out" : strerror(e));
	return fd;
}

/* Sets the socket's read and write timeouts (0: none). */
static void io_timeout(int fd, int s)
{
	struct timeval tv = {.tv_sec = s};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* TLS over c->fd, checking the server's certificate against cacert (NULL:
 * the system's CAs) and host. Returns 0, or -1 with err set. */
static int tls_start(struct conn *c, const char *host, const char *cacert, char *err, size_t errlen)
{
	unsigned char ip[16];
	int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	if (!(c->ctx = SSL_CTX_new(TLS_client_method())) || !(c->ssl = SSL_new(c->ctx))) {
		seterr(err, errlen, "TLS: out of memory");
		return -1;
	}
	SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* an HTTP/1.0 answer ends when the server closes, with or without
	 * a TLS close_notify */
	SSL_set_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (cacert ? SSL_CTX_load_verify_locations(c->ctx, cacert, NULL) != 1
	           : SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
		seterr(err, errlen, "cannot load CA certificates%s%s: %s", cacert ? " from " : "",
		       cacert ? cacert : "", ERR_reason_error_string(ERR_get_error()));
		return -1;
	}
	int named =
	    is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) == 1
	          : SSL_set_tlsext_host_name(c->ssl, host) == 1 && SSL_set1_host(c->ssl, host) == 1;
	if (!named || SSL_set_fd(c->ssl, c->fd) != 1) {
		seterr(err, errlen, "TLS: cannot set up the connection to %s", host);
		return -1;
	}
	if (SSL_connect(c->ssl) != 1) {
		long v = SSL_get_verify_result(c->ssl);
		unsigned long e = ERR_get_error();
		if (v != X509_V_OK)
			seterr(err, errlen, "TLS: the certificate of %s is not trusted: %s", host,
			       X509_verify_cert_error_string(v));
		else
			seterr(err, errlen, "TLS handshake with %s failed: %s", host,
			       e ? ERR_reason_error_string(e) : "the connection was closed");
		return -1;
	}
	return 0;
}

/* Reads up to n bytes. Returns their number, 0 at the end, -1 on error. */
static long conn_read(struct conn *c, char *b, size_t n)
{
	if (n > INT_MAX)
		n = INT_MAX;
	if (c->ssl) {
		int r = SSL_read(c->ssl, b, (int)n);
		if (r > 0)
			return r;
		return SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
	}
	ssize_t r;
	do
		r = read(c->fd, b, n);
	while (r < 0 && errno == EINTR);
	return (long)r;
}

static int conn_write(struct conn *c, const char *b, size_t n)
{
	while (n) {
		long w;
		if (c->ssl) {
			int r = SSL_write(c->ssl, b, n > INT_MAX ? INT_MAX : (int)n);
			w = r > 0 ? r : -1;
		} else {
			w = (long)send(c->fd, b, n, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
		}
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
}

/* The status of an answer's head h (NUL-terminated), or -1 when it is not
 * HTTP or it comes chunked (not for an HTTP/1.0 request). */
static long head_status(const char *h)
{
	if (strncmp(h, "HTTP/1.", 7) || !h[7] || h[8] != ' ')
		return -1;
	char *end;
	long st = strtol(h + 9, &end, 10);
	if (end != h + 12 || st < 100 || st > 999)
		return -1;
	for (const char *l = strstr(h, "\r\n"); l; l = strstr(l + 2, "\r\n"))
		if (!strncasecmp(l + 2, "transfer-encoding:", 18) && strstr(l + 2, "chunked") &&
		    strstr(l + 2, "chunked") < strstr(l + 2, "\r\n"))
			return -1;
	return st;
}

enum sl_http_rc sl_http_do(const struct sl_http_get *g, char *err, size_t errlen)
{
	char host[256], port[16];
	const char *rest;
	struct conn c = {.fd = -1};
	enum sl_http_rc rc = SL_HTTP_UNREACHABLE;
	char *req = NULL, *head = NULL;
	int tls;
	err[0] = '\0';
	if (parse_url(g->url, &tls, host, sizeof host, port, sizeof port, &rest)) {
		seterr(err, errlen, "not an http:// or https:// URL: %s", g->url);
		return rc;
	}
	size_t rl = strlen(rest) + strlen(host) + (g->token ? strlen(g->token) : 0) + 256;
	req = malloc(rl);
	head = malloc(SL_HTTP_HEAD_MAX + 1);
	if (!req || !head) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	int dflt = !strcmp(port, tls ? "443" : "80"), v6 = strchr(host, ':') != NULL;
	snprintf(req, rl,
	         "GET %s%s HTTP/1.0\r\nHost: %s%s%s%s%s\r\nUser-Agent: sluice/" SLUICE_VERSION
	         "\r\nAccept: application/x-ndjson, application/json\r\n%s%s%s\r\n",
	         *rest == '/' ? "" : "/", rest, v6 ? "[" : "", host, v6 ? "]" : "", dflt ? "" : ":",
	         dflt ? "" : port, g->token ? "Authorization: Bearer " : "",
	         g->token ? g->token : "", g->token ? "\r\n" : "");
	if ((c.fd = tcp_connect(host, port, g->connect_timeout, err, errlen)) < 0)
		goto out;
	io_timeout(c.fd, g->connect_timeout);
	if (tls && tls_start(&c, host, g->cacert, err, errlen))
		goto out;
	if (conn_write(&c, req, strlen(req))) {
		seterr(err, errlen, "sending the request to %s failed: %s", host, strerror(errno));
		goto out;
	}
	io_timeout(c.fd, 0); /* an answer (tail) may take its time */
	/* the head, then the body as it comes */
	size_t hn = 0;
	char *body = NULL;
	for (;;) {
		long r = conn_read(&c, head + hn, SL_HTTP_HEAD_MAX - hn);
		if (r <= 0) {
			if (hn) {
				seterr(err, errlen, "the answer of %s ends in its head", host);
				rc = SL_HTTP_BROKEN;
			} else {
				seterr(err, errlen, "%s closed the connection without an answer",
				       host);
			}
			goto out;
		}
		hn += (size_t)r;
		head[hn] = '\0';
		if ((body = strstr(head, "\r\n\r\n")))
			break;
		if (hn == SL_HTTP_HEAD_MAX) {
			seterr(err, errlen, "the head of the answer of %s is too long", host);
			rc = SL_HTTP_BROKEN;
			goto out;
		}
	}
	*body = '\0';
	body += 4;
	long st = head_status(head);
	rc = SL_HTTP_BROKEN;
	if (st < 0) {
		seterr(err, errlen, "%s did not answer in HTTP/1.0", host);
		goto out;
	}
	rc = SL_HTTP_STOPPED;
	if (g->status(g->ud, st) ||
	    (head + hn > body && g->body(g->ud, body, (size_t)(head + hn - body))))
		goto out;
	for (;;) {
		long r = conn_read(&c, head, SL_HTTP_HEAD_MAX);
		if (r == 0)
			break;
		if (r < 0) {
			seterr(err, errlen, "%s", strerror(errno ? errno : EIO));
			rc = SL_HTTP_BROKEN;
			goto out;
		}
		if (g->body(g->ud, head, (size_t)r))
			goto out;
	}
	rc = SL_HTTP_OK;
out:
	conn_close(&c);
	free(req);
	free(head);
	return rc;
}
