/*
 * registry — the table of parsers, by config name.
 */
#include <string.h>

#include "parser.h"

const struct sl_parser_ops *const sl_parsers[] = {
    &sl_parser_auto,
    &sl_parser_plain,
    &sl_parser_json,
    NULL,
};

const struct sl_parser_ops *sl_parser_find(const char *name)
{
	for (int i = 0; sl_parsers[i]; i++)
		if (!strcmp(sl_parsers[i]->name, name))
			return sl_parsers[i];
	return NULL;
}
