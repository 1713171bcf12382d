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
};

/* The parser registered under name, or NULL. */
const struct sl_parser_ops *sl_parser_find(const char *name);
/* NULL-terminated list of every registered parser. */
extern const struct sl_parser_ops *const sl_parsers[];

extern const struct sl_parser_ops sl_parser_plain;
extern const struct sl_parser_ops sl_parser_json;
extern const struct sl_parser_ops sl_parser_auto;

#endif
