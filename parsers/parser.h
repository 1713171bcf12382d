/*
 * sl_parser — the one interface every log format implements.
 *
 * Each parsers/<fmt>.c exports one const struct sl_parser_ops; registry.c
 * lists them by name. create() gets the input's parser options (may be NULL)
 * and returns the parser's state (owned by the caller, freed with destroy());
 * parse() gets one complete record (no trailing newline) and fills the event.
 * A record that does not parse returns -1 with ev->parse_error set and the
 * raw record as the message: it is shipped, never dropped.
 */
#ifndef SL_PARSER_H
#define SL_PARSER_H

#include <stddef.h>

#include "event.h"
#include "sl_config.h"

struct sl_parser_ops {
	const char *name;
	const char *desc;
	void *(*create)(const struct sl_cfg_node *opts, char *err, size_t errlen);
	int (*parse)(void *state, const char *rec, size_t len, struct sl_event *ev);
	void (*destroy)(void *state);
	/* Optional: the format's own multi-line rule, used when the input sets
	 * none. Called for each line in order; *ml is 0 when no record is being
	 * assembled. Returns 1 when the line belongs to the record being
	 * assembled, 0 when it starts a new one, and sets *ml (non-zero) to the
	 * rule's state after the line. */
	int (*join)(void *state, int *ml, const char *line, size_t len);
};

/* The parser registered under name, or NULL. */
const struct sl_parser_ops *sl_parser_find(const char *name);
/* NULL-terminated list of every registered parser. */
extern const struct sl_parser_ops *const sl_parsers[];

extern const struct sl_parser_ops sl_parser_plain;
extern const struct sl_parser_ops sl_parser_json;
extern const struct sl_parser_ops sl_parser_auto;
extern const struct sl_parser_ops sl_parser_logfmt;
extern const struct sl_parser_ops sl_parser_regex;
extern const struct sl_parser_ops sl_parser_nginx;
extern const struct sl_parser_ops sl_parser_nginx_error;
extern const struct sl_parser_ops sl_parser_apache;
extern const struct sl_parser_ops sl_parser_apache_error;
extern const struct sl_parser_ops sl_parser_syslog;
extern const struct sl_parser_ops sl_parser_postgres;
extern const struct sl_parser_ops sl_parser_postgres_csv;
extern const struct sl_parser_ops sl_parser_postgres_json;
extern const struct sl_parser_ops sl_parser_mysql_error;
extern const struct sl_parser_ops sl_parser_mysql_slow;
extern const struct sl_parser_ops sl_parser_redis;
extern const struct sl_parser_ops sl_parser_docker;
extern const struct sl_parser_ops sl_parser_cri;

#endif
