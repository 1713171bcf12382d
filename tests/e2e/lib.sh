#!/usr/bin/env bash
# tests/e2e/lib.sh — helpers for the process-level tests. Sourced by each
# tests/e2e/test_*.sh, which scripts/test.sh runs one process per test with
# SLUICE_BIN (the build's binaries) and the broker's SLUICE_* variables set.
#
# Every process a test starts is recorded and stopped by its PID when the test
# exits, pass or fail; servers listen on 127.0.0.1, on free ports.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${SLUICE_BIN:?SLUICE_BIN must point at the build directory}"
: "${SLUICE_BROKERS:?run through scripts/test.sh, which starts Kafka}"
SHIPPER=$SLUICE_BIN/shipper/sluice-shipper
AGGREGATOR=$SLUICE_BIN/aggregator/sluice-aggregator
CLI=$SLUICE_BIN/aggregator/cli/sluice
T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX")
PIDS=()
TEST_NAME=$(basename "$0" .sh)

cleanup() {
	local rc=$?
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	if ((rc != 0)); then
		echo "--- $TEST_NAME failed (rc=$rc); logs in $T:" >&2
		for f in "$T"/*.log; do
			[[ -f $f ]] || continue
			echo "--- $f (last 30 lines)" >&2
			tail -30 "$f" >&2
		done
	else
		[[ -n ${KEEP_T:-} ]] || rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# new_topic NAME: a topic of our own, so tests do not see each other's events
new_topic() {
	"$ROOT/scripts/kafka.sh" topic "$1" "${2:-4}" >/dev/null
}

# start_aggregator: uses $AGG_CONF (default conf/aggregator.yaml) with TOPIC,
# GROUP, STORE, API_PORT
start_aggregator() {
	SLUICE_TOPIC=$TOPIC SLUICE_GROUP=$GROUP SLUICE_STORAGE_DIR=$STORE \
		SLUICE_API_LISTEN=127.0.0.1:$API_PORT \
		"$AGGREGATOR" --config "${AGG_CONF:-$ROOT/conf/aggregator.yaml}" >>"$T/aggregator.log" 2>&1 &
	AGG_PID=$!
	PIDS+=("$AGG_PID")
	for _ in $(seq 100); do
		if curl -fs "http://127.0.0.1:$API_PORT/healthz" >/dev/null 2>&1; then return 0; fi
		kill -0 "$AGG_PID" 2>/dev/null || fail "aggregator exited at start-up"
		sleep 0.1
	done
	fail "aggregator did not answer /healthz"
}

# start_shipper: uses conf/shipper.yaml with TOPIC, LOG_GLOB, SHIP_STATE
start_shipper() {
	HOSTNAME=${SHIP_HOST:-e2e-host} SLUICE_TOPIC=$TOPIC SLUICE_LOG_GLOB=$LOG_GLOB \
		SLUICE_STATE_DIR=$SHIP_STATE \
		"$SHIPPER" --config "$ROOT/conf/shipper.yaml" >>"$T/shipper.log" 2>&1 &
	SHIP_PID=$!
	PIDS+=("$SHIP_PID")
}

# stop_pid PID: SIGTERM, wait, and check it exited 0
stop_pid() {
	local pid=$1 rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	((rc == 0)) || fail "process $pid exited $rc after SIGTERM"
}

cli() {
	"$CLI" --server "http://127.0.0.1:$API_PORT" "$@"
}

# wait_count QUERY N [SECONDS]: until `sluice count QUERY` is N
wait_count() {
	local q=$1 want=$2 secs=${3:-120} got=
	for _ in $(seq $((secs * 4))); do
		got=$(cli count "$q" 2>/dev/null || true)
		if [[ $got == "$want" ]]; then return 0; fi
		sleep 0.25
	done
	fail "count '$q': want $want, got '$got' after ${secs}s"
}

setup_pipeline() {
	TOPIC=e2e-$TEST_NAME-$$-$RANDOM
	GROUP=g-$TOPIC
	STORE=$T/store
	SHIP_STATE=$T/shipper-state
	API_PORT=$(free_port)
	mkdir -p "$T/logs"
	LOG_GLOB="$T/logs/*.log"
	new_topic "$TOPIC"
}

# need_nginx: sets NGINX to Debian's nginx, installing it as root if missing
need_nginx() {
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	[[ -x $NGINX ]] && return 0
	if [[ $(id -u) == 0 ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx >"$T/apt.log" 2>&1 ||
			fail "apt-get install nginx failed"
		NGINX=/usr/sbin/nginx
	else
		fail "nginx is not installed (scripts/deps.sh installs it)"
	fi
}

# nginx_start DIR HTTP: writes DIR/nginx.conf (a foreground nginx whose pid,
# logs and temp files stay in DIR, as nobody when root) with HTTP inside its
# http block, and starts it, recorded for cleanup
nginx_start() {
	local n=$1 user=""
	[[ $(id -u) == 0 ]] && user="user nobody nogroup;"
	mkdir -p "$n/tmp" "$n/logs"
	cat >"$n/nginx.conf" <<CONF
$user
worker_processes 1;
pid $n/nginx.pid;
error_log $n/logs/error.log info;
events { worker_connections 64; }
http {
  client_body_temp_path $n/tmp/body;
  proxy_temp_path $n/tmp/proxy;
  fastcgi_temp_path $n/tmp/fastcgi;
  uwsgi_temp_path $n/tmp/uwsgi;
  scgi_temp_path $n/tmp/scgi;
$2
}
CONF
	"$NGINX" -p "$n" -c "$n/nginx.conf" -g 'daemon off;' >"$T/nginx.log" 2>&1 &
	PIDS+=($!)
}
