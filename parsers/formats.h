/*
 * formats — helpers the parser files share (not part of the public API):
 * parser option reading, container wrapper decoding, the JSON key-map
 * parser, multi-line rules and redaction.
 */
#ifndef SL_FORMATS_H
#define SL_FORMATS_H

#include <stddef.h>
#include <stdint.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "event.h"
#include "parser.h"
#include "sl_buf.h"
#include "sl_config.h"

/* ---- parser options ---- */

enum sl_popt_type { SL_POPT_END = 0, SL_POPT_STR, SL_POPT_BOOL, SL_POPT_NODE };

struct sl_popt {
	const char *key;
	enum sl_popt_type type;
	void *target; /* STR: const char ** (borrowed from the tree); BOOL: int *;
	               * NODE: const struct sl_cfg_node ** */
};

/* Reads opts (a map, or NULL) into the targets. Unknown keys and wrong
 * shapes fail with "<prefix><key>: what" in err. Returns 0 or -1. */
int sl_popt_read(const struct sl_cfg_node *opts, const char *prefix, const struct sl_popt *tab,
                 char *err, size_t errlen);

/* ---- container wrappers ---- */

struct sl_wrap {
	const char *text; /* the log content, without its trailing newline */
	size_t len;
	int partial; /* the line continues in the next wrapper line */
	char stream[8];
	int64_t time_ns;
	int bad_time; /* the wrapper had a time that could not be read */
};

/* Decodes one Docker json-file line; text may point into scratch. Returns 0,
 * or -1 when the line is not a Docker log object. */
int sl_docker_decode(const char *line, size_t len, struct sl_buf *scratch, struct sl_wrap *w);
/* Decodes one CRI line "<time> <stream> <P|F> <log>"; text points into line. */
int sl_cri_decode(const char *line, size_t len, struct sl_wrap *w);
/* Appends ,"container.id":... (and name, image from config.v2.json where
 * readable) for a Docker json-file path. */
void sl_docker_path_fields(const char *path, struct sl_buf *out);
/* Appends ,"k8s.namespace":... for a /var/log/pods or /var/log/containers path. */
void sl_cri_path_fields(const char *path, struct sl_buf *out);

/* ---- JSON with a key map (postgres_json) ---- */

enum { SL_JM_FIELD, SL_JM_TIME, SL_JM_LEVEL, SL_JM_MESSAGE };

struct sl_json_map {
	const char *key;   /* top-level key in the record */
	const char *field; /* event field (also kept for TIME/LEVEL), NULL: none */
	int role;
};

/* Parses one JSON object with the json parser's state (from
 * sl_parser_json.create): mapped keys go where map says, others to
 * prefix+key. Returns 0, or -1 with the event made a parse failure. */
int sl_json_parse_mapped(void *state, const char *rec, size_t len, struct sl_event *ev,
                         const struct sl_json_map *map, const char *prefix);

/* ---- multi-line rules ---- */

typedef int (*sl_join_fn)(void *ud, int *ml, const char *line, size_t len);

struct sl_ml {
	sl_join_fn join; /* NULL: every line is a record */
	void *ud;
	void (*free)(void *ud);
	int64_t flush_ms; /* -1: the pipe's default */
	size_t max_lines;
	size_t max_bytes; /* 0: the pipe's max_record */
};

/* Sets ml from the input's multiline node (NULL or "parser": the parser's
 * own rule, if it has one). Returns 0, or -1 with "multiline...: why" in err.
 * Release with sl_ml_free(). */
int sl_ml_setup(struct sl_ml *ml, const struct sl_cfg_node *node, const struct sl_parser_ops *ops,
                void *pstate, char *err, size_t errlen);
void sl_ml_free(struct sl_ml *ml);
/* The built-in rules, by name ("java", "python", "go"), or NULL. */
sl_join_fn sl_ml_builtin(const char *name);

/* ---- redaction ---- */

struct sl_redact;
/* Compiles the built-in rules and node's (may be NULL). Returns NULL with
 * "redact...: why" in err. Free with sl_redact_free(). */
struct sl_redact *sl_redact_new(const struct sl_cfg_node *node, char *err, size_t errlen);
void sl_redact_free(struct sl_redact *r);
/* Applies every rule to s[0..n). Returns 1 with the result in out, or 0 when
 * nothing matched (out untouched). */
int sl_redact_apply(struct sl_redact *r, const char *s, size_t n, struct sl_buf *out);

/* ---- access logs (clf.c) ---- */

/* Parses a combined/common access log line into ev; ns names extra
 * key=value fields (ns.<key>). Returns 0, or -1 when it is not one. */
int sl_clf_parse(const char *s, size_t n, struct sl_event *ev, const char *ns);
/* "GET /p?q HTTP/1.1" to http.method, http.path, http.query, http.protocol. */
void sl_http_request_fields(struct sl_event *ev, const char *r, size_t n);

/* ---- small scanners ---- */

/* Compiles pattern (len bytes, or PCRE2_ZERO_TERMINATED) as UTF-8 that
 * tolerates invalid input, with JIT. Returns the code (the caller frees it
 * with pcre2_code_free), or NULL with "<what>: invalid regex at offset N:
 * msg" in err. */
pcre2_code *sl_regex_compile(const char *pattern, size_t len, const char *what, char *err,
                             size_t errlen);

#endif
