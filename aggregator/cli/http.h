/*
 * http — the one request the sluice CLI makes: a GET over HTTP/1.0, plain
 * or over TLS (OpenSSL), whose answer ends when the server closes the
 * connection (so it is never chunked), streamed to a callback.
 *
 * It is this small on purpose: the CLI starts for every search, and
 * loading libcurl with its dependencies took about 4 ms of each run, most
 * of a typical search's latency.
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <stddef.h>

struct sl_http_get {
	const char *url;     /* http://host[:port]/path?query or https://...; host may be [v6] */
	const char *token;   /* sent as "Authorization: Bearer TOKEN"; NULL: none */
	const char *cacert;  /* https: CA file to trust (NULL: the system's) */
	int connect_timeout; /* seconds, for the connection and the TLS handshake */
	/* called with the status before any body, then with the body in
	 * pieces (n > 0); nonzero stops the transfer */
	int (*status)(void *ud, long status);
	int (*body)(void *ud, const char *p, size_t n);
	void *ud;
};

enum sl_http_rc {
	SL_HTTP_OK = 0,      /* the whole answer was read */
	SL_HTTP_STOPPED,     /* a callback returned nonzero */
	SL_HTTP_UNREACHABLE, /* no answer: err says why (address, connect, TLS) */
	SL_HTTP_BROKEN,      /* the answer started but could not be read to its end */
};

/* Does the request. err (errlen bytes, NUL-terminated) gets the reason of
 * a failure. */
enum sl_http_rc sl_http_do(const struct sl_http_get *g, char *err, size_t errlen);

/* Appends s percent-encoded (all but A-Z a-z 0-9 - . _ ~) to out, which
 * has room for 3 * strlen(s) + 1 bytes. Returns the bytes written. */
size_t sl_http_escape(const char *s, char *out);

#endif
