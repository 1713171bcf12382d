/*
 * registry — the table of parsers, by config name.
 */
#include <string.h>

#include "parser.h"

const struct sl_parser_ops *const sl_parsers[] = {
    &sl_parser_auto,
    &sl_parser_plain,
    &sl_parser_json,
    &sl_parser_docker,
    &sl_parser_cri,
    &sl_parser_postgres,
    &sl_parser_postgres_csv,
    &sl_parser_postgres_json,
    &sl_parser_nginx,
    &sl_parser_nginx_error,
    &sl_parser_apache,
    &sl_parser_apache_error,
    &sl_parser_syslog,
    &sl_parser_logfmt,
    &sl_parser_regex,
    &sl_parser_mysql_error,
    &sl_parser_mysql_slow,
    &sl_parser_redis,
    NULL,
};

const struct sl_parser_ops *sl_parser_find(const char *name)
{
	for (int i = 0; sl_parsers[i]; i++)
		if (!strcmp(sl_parsers[i]->name, name))
			return sl_parsers[i];
	return NULL;
}
