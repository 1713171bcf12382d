/*
 * postgres_json — PostgreSQL 15+ jsonlog: one JSON object per record. Keys
 * map onto the event (timestamp, error_severity, message) and pg.* fields
 * named as for the stderr and csv parsers.
 */
#include <stdio.h>

#include "formats.h"

static const struct sl_json_map pg_map[] = {
    {"timestamp", NULL, SL_JM_TIME},
    {"error_severity", "pg.severity", SL_JM_LEVEL},
    {"message", NULL, SL_JM_MESSAGE},
    {"user", "pg.user", SL_JM_FIELD},
    {"dbname", "pg.database", SL_JM_FIELD},
    {"pid", "pg.pid", SL_JM_FIELD},
    {"remote_host", "pg.client", SL_JM_FIELD},
    {"remote_port", "pg.client_port", SL_JM_FIELD},
    {"session_id", "pg.session", SL_JM_FIELD},
    {"line_num", "pg.line", SL_JM_FIELD},
    {"ps", "pg.command", SL_JM_FIELD},
    {"session_start", "pg.session_start", SL_JM_FIELD},
    {"vxid", "pg.vxid", SL_JM_FIELD},
    {"txid", "pg.txid", SL_JM_FIELD},
    {"state_code", "pg.sqlstate", SL_JM_FIELD},
    {"detail", "pg.detail", SL_JM_FIELD},
    {"hint", "pg.hint", SL_JM_FIELD},
    {"internal_query", "pg.internal_query", SL_JM_FIELD},
    {"internal_position", "pg.internal_query_pos", SL_JM_FIELD},
    {"context", "pg.context", SL_JM_FIELD},
    {"statement", "pg.statement", SL_JM_FIELD},
    {"cursor_position", "pg.query_pos", SL_JM_FIELD},
    {"func_name", "pg.func", SL_JM_FIELD},
    {"file_name", "pg.file", SL_JM_FIELD},
    {"file_line_num", "pg.file_line", SL_JM_FIELD},
    {"application_name", "pg.application", SL_JM_FIELD},
    {"backend_type", "pg.backend_type", SL_JM_FIELD},
    {"leader_pid", "pg.leader_pid", SL_JM_FIELD},
    {"query_id", "pg.query_id", SL_JM_FIELD},
    {NULL, NULL, 0},
};

/* State: the json parser's, freed by pgj_destroy. */
static void *pgj_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	const char *prefix = NULL; /* accepted: a postgres input may set it for stderr */
	const struct sl_popt tab[] = {{"log_line_prefix", SL_POPT_STR, &prefix}, {0}};
	if (sl_popt_read(opts, "parser_options.", tab, err, errlen))
		return NULL;
	return sl_parser_json.create(NULL, err, errlen);
}

static void pgj_destroy(void *state)
{
	sl_parser_json.destroy(state);
}

static int pgj_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	return sl_json_parse_mapped(state, rec, len, ev, pg_map, "pg.");
}

const struct sl_parser_ops sl_parser_postgres_json = {
    .name = "postgres_json",
    .desc = "PostgreSQL 15+ jsonlog",
    .create = pgj_create,
    .parse = pgj_parse,
    .destroy = pgj_destroy,
};
