#!/usr/bin/env bash
# The record path inside the running shipper (output: stdout, no Kafka): a
# java stack trace still being assembled is emitted by the flush timeout while
# the file is idle, a Docker line split in two pieces becomes one event with
# container.id from the path, and a CRI partial joins its final piece.
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/app" "$T/docker/containers/c0ffee" "$T/pods/shop_web-1_u1/app"
DOCKER=$T/docker/containers/c0ffee/c0ffee-json.log
CRI=$T/pods/shop_web-1_u1/app/0.log
: >"$T/app/app.log"
: >"$DOCKER"
: >"$CRI"
cat >"$T/shipper.yaml" <<CONF
node: e2e
state_dir: $T/state
output: stdout
inputs:
  - paths: ["$T/app/*.log"]
    multiline: {rule: java, flush_timeout: 300ms}
  - type: docker
    paths: ["$T/docker/containers/*/*-json.log"]
  - type: cri
    paths: ["$T/pods/*/*/*.log"]
kafka: {brokers: ["127.0.0.1:1"]}
tuning: {scan_interval: 100ms}
CONF
# line-buffered (the stdout output is a FILE stream); stdbuf preloads a
# library, which ASan builds must be told is fine
ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 stdbuf -oL "$SHIPPER" --config "$T/shipper.yaml" >"$T/events.json" 2>"$T/shipper.log" &
SPID=$!
PIDS+=("$SPID")
sleep 0.5

# wait_events N: until the shipper printed N events
wait_events() {
	for _ in $(seq 100); do
		(($(wc -l <"$T/events.json") >= $1)) && return 0
		sleep 0.1
	done
	fail "want $1 events, have $(wc -l <"$T/events.json"): $(cat "$T/events.json")"
}

printf 'ERROR failed\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)\n' >>"$T/app/app.log"
wait_events 1 # by the flush timeout: no further line comes
jq -e -s '.[0].message == "ERROR failed\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)" and .[0].level == "error"' \
	"$T/events.json" >/dev/null || fail "stack trace event: $(cat "$T/events.json")"

printf '{"log":"first half ","stream":"stdout","time":"2024-01-02T03:04:05Z"}\n' >>"$DOCKER"
sleep 0.2
printf '{"log":"second half\\n","stream":"stdout","time":"2024-01-02T03:04:06Z"}\n' >>"$DOCKER"
wait_events 2
jq -e -s '.[1].message == "first half second half" and .[1]["container.id"] == "c0ffee" and .[1].stream == "stdout"
	and .[1].time == "2024-01-02T03:04:05.000000000Z"' "$T/events.json" >/dev/null ||
	fail "docker event: $(sed -n 2p "$T/events.json")"

printf '2024-01-02T03:04:05Z stderr P {"level":"warn",\n2024-01-02T03:04:05Z stderr F "msg":"joined"}\n' >>"$CRI"
wait_events 3
jq -e -s '.[2].message == "joined" and .[2].level == "warn" and .[2]["k8s.namespace"] == "shop"
	and .[2]["k8s.pod"] == "web-1" and .[2]["k8s.container"] == "app"' "$T/events.json" >/dev/null ||
	fail "cri event: $(sed -n 3p "$T/events.json")"
stop_pid "$SPID"
echo ok
