#!/usr/bin/env bash
# A real PostgreSQL 15 (Debian's postgresql-15, installed here if missing)
# writes stderr, csvlog and jsonlog files; `sluice-shipper parse --type
# postgres` must find every statement that errored, with its text, its
# SQLSTATE and its DETAIL/HINT, in each of the three formats.
source "$(dirname "$0")/lib.sh"

PGBIN=/usr/lib/postgresql/15/bin
if [[ ! -x $PGBIN/postgres ]]; then
	if [[ $(id -u) == 0 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 >"$T/apt.log" 2>&1 ||
			fail "apt-get install postgresql-15 failed"
	else
		fail "postgresql-15 is not installed (scripts/deps.sh installs it)"
	fi
fi

# postgres refuses to run as root: run it as nobody, in a directory it owns
AS=()
if [[ $(id -u) == 0 ]]; then
	AS=(runuser -u nobody --)
	chmod 711 "$T"
fi
PG=$T/pg
mkdir -p "$PG/sock" "$PG/log"
[[ $(id -u) == 0 ]] && chown -R nobody "$PG"
PORT=$(free_port)
"${AS[@]}" "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust --no-sync -E UTF8 --locale=C \
	>"$T/initdb.log" 2>&1 || fail "initdb failed"
cat >>"$PG/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PG/sock'
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '$PG/log'
log_filename = 'postgresql.log'
log_line_prefix = '%m [%p] %q%u@%d %a '
log_timezone = 'UTC'
lc_messages = 'C'
log_min_duration_statement = 0
fsync = off
CONF
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 start >/dev/null ||
	fail "postgres did not start"
PIDS+=("$(head -1 "$PG/data/postmaster.pid")")

# has FILE JQ-CONDITION: some event in FILE satisfies the condition
has() {
	jq -e -s "any(.[]; $2)" "$1" >/dev/null
}

psql() {
	"${AS[@]}" /usr/bin/psql -X -q -v ON_ERROR_STOP=1 -h "$PG/sock" -p "$PORT" -U postgres -d postgres "$@"
}
# Each failing statement, exactly as sent (one per file, run with -f).
mkdir -p "$T/sql"
printf '%s' 'SELECT 1/0;' >"$T/sql/1.sql"
printf '%s' 'INSERT INTO t VALUES (1);' >"$T/sql/2.sql"
printf '%s' $'SELECT *\n  FROM no_such_table\n WHERE id = 1;' >"$T/sql/3.sql"
printf '%s' 'SELEC 1;' >"$T/sql/4.sql"
printf '%s' $'DO $$ BEGIN RAISE EXCEPTION \'custom failure\' USING HINT = \'try again\'; END $$;' >"$T/sql/5.sql"
printf '%s' $'SELECT \'a,"b"\'::int;' >"$T/sql/6.sql"
chmod -R a+r "$T/sql"
chmod a+x "$T/sql"
psql -c 'CREATE TABLE t (id int PRIMARY KEY);' -c 'INSERT INTO t VALUES (1);' ||
	fail "setup statements failed"
for i in 1 2 3 4 5 6; do
	psql -f "$T/sql/$i.sql" >/dev/null 2>&1 && fail "statement $i did not fail"
done
psql -c 'SELECT 42;' >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PG/data" -w -t 60 -m fast stop >/dev/null || fail "pg_ctl stop"

for f in postgresql.log postgresql.csv postgresql.json; do
	[[ -s $PG/log/$f ]] || fail "postgres wrote no $f"
	"$SHIPPER" parse --type postgres --parser-options '{log_line_prefix: "%m [%p] %q%u@%d %a "}' \
		"$PG/log/$f" >"$T/$f.events" ||
		fail "parse $f failed"
	jq -e . "$T/$f.events" >/dev/null || fail "$f: output is not JSON"
	n=$(jq -s '[.[] | select(.parse_error)] | length' "$T/$f.events")
	((n == 0)) || fail "$f: $n events with parse_error: $(jq -c 'select(.parse_error)' "$T/$f.events" | head -3)"
	for i in 1 2 3 4 5 6; do
		stmt=$(cat "$T/sql/$i.sql")
		got=$(jq -c --arg s "$stmt" 'select(.level == "error" and .["pg.statement"] == $s)' "$T/$f.events")
		[[ -n $got ]] || fail "$f: no error event with statement $i: $stmt"
	done
	E=$T/$f.events
	has "$E" '.message == "duplicate key value violates unique constraint \"t_pkey\"" and .["pg.detail"] == "Key (id)=(1) already exists."' ||
		fail "$f: unique violation DETAIL missing"
	has "$E" '.message == "custom failure" and .["pg.hint"] == "try again" and (.["pg.context"] | test("RAISE"))' ||
		fail "$f: HINT/CONTEXT of the RAISE missing"
	has "$E" '.message == "division by zero" and .level == "error"' || fail "$f: division by zero missing"
	[[ $f != postgresql.log ]] || has "$E" '.["pg.duration_ms"] | type == "number"' ||
		fail "$f: no typed pg.duration_ms"
	[[ $f == postgresql.log ]] || has "$E" '.["pg.sqlstate"] == "22012"' || fail "$f: no SQLSTATE"
	has "$E" '.time_error' && fail "$f: unreadable times"
	has "$E" '.level == "fatal" or .level == "warn"' && fail "$f: unexpected levels"
	echo "$f: $(wc -l <"$T/$f.events") events"
done
# keep a copy for the golden cases when asked
if [[ -n ${SLUICE_PG_SAMPLE_DIR:-} ]]; then cp "$PG/log/"* "$SLUICE_PG_SAMPLE_DIR/"; fi
echo ok
