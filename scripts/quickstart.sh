#!/usr/bin/env bash
# scripts/quickstart.sh — the whole pipeline on this machine, with defaults:
# builds sluice, starts Kafka (scripts/kafka.sh), an aggregator, and a shipper
# tailing sample logs it writes, then runs a search. Everything keeps running
# so you can try more searches; `scripts/quickstart.sh stop` stops it all.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
Q=$ROOT/.run/quickstart
export SLUICE_KAFKA_DIR=$ROOT/.run/kafka

stop_all() {
	for name in shipper aggregator; do
		if [[ -f $Q/$name.pid ]]; then
			kill -TERM "$(cat "$Q/$name.pid")" 2>/dev/null || true
			rm -f "$Q/$name.pid"
		fi
	done
	scripts/kafka.sh stop
}

if [[ ${1:-} == stop ]]; then
	stop_all
	echo "stopped"
	exit 0
fi

scripts/deps.sh
echo "== building (Release) into build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLUICE_TESTS=OFF >/dev/null
ninja -C build >/dev/null
stop_all >/dev/null 2>&1 || true
rm -rf "$Q"
mkdir -p "$Q/logs"

echo "== starting Kafka"
eval "$(scripts/kafka.sh start)"

port=7070
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
export SLUICE_SERVER=http://127.0.0.1:$port

echo "== starting sluice-aggregator on $SLUICE_SERVER"
SLUICE_STORAGE_DIR=$Q/store SLUICE_API_LISTEN=127.0.0.1:$port \
	setsid build/aggregator/sluice-aggregator --config conf/aggregator.yaml >"$Q/aggregator.log" 2>&1 &
echo $! >"$Q/aggregator.pid"

echo "== writing sample logs into $Q/logs and starting sluice-shipper"
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
for i in $(seq 1 50); do
	echo "{\"time\":\"$(now)\",\"level\":\"info\",\"msg\":\"GET /cart/$i 200\",\"http\":{\"status\":200},\"user\":\"u$((i % 7))\"}"
done >"$Q/logs/checkout.log"
echo "{\"time\":\"$(now)\",\"level\":\"error\",\"msg\":\"payment declined for order 4711\",\"http\":{\"status\":502},\"user\":\"u3\"}" >>"$Q/logs/checkout.log"
{
	echo "INFO worker started, 4 threads"
	echo "WARN queue depth 950 above 900"
	echo "ERROR job 17 failed: connection reset by peer"
} >"$Q/logs/worker.log"
HOSTNAME=$(hostname) SLUICE_STATE_DIR=$Q/shipper SLUICE_LOG_GLOB="$Q/logs/*.log" \
	setsid build/shipper/sluice-shipper --config conf/shipper.yaml >"$Q/shipper.log" 2>&1 &
echo $! >"$Q/shipper.pid"

want=54
for _ in $(seq 120); do
	n=$(build/aggregator/cli/sluice count '*' 2>/dev/null || echo 0)
	[[ $n == "$want" ]] && break
	sleep 0.5
done
echo "== $n events stored. sluice search level:error"
build/aggregator/cli/sluice search level:error --output table
cat <<EOM

The pipeline is running (logs in $Q). Try:
  export SLUICE_SERVER=$SLUICE_SERVER PATH=$ROOT/build/aggregator/cli:\$PATH
  sluice search payment
  sluice search 'user:u3' --output json
  sluice count '*' --by level
  sluice search '(level:error OR level:warn) -payment' -C 1
  sluice tail 'level:error'       # in another terminal, then append a line below
  echo 'ERROR disk full' >> $Q/logs/worker.log; sleep 2; sluice search disk
Stop everything with: scripts/quickstart.sh stop
EOM
