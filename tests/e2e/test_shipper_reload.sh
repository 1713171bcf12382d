#!/usr/bin/env bash
# SIGHUP reloads the config: an unchanged input keeps its files and offsets
# (nothing re-sent, nothing skipped), a new input starts, a removed input
# stops, and a config with a mistake is refused while shipping goes on.
source "$(dirname "$0")/lib.sh"
setup_pipeline
mkdir -p "$T/a" "$T/b"
conf() { # inputs...
	cat <<EOC
node: reload-host
state_dir: $SHIP_STATE
inputs:
$(for i in "$@"; do printf '  - {paths: ["%s/%s/*.log"], service: svc-%s}\n' "$T" "$i" "$i"; done)
kafka:
  brokers: ["$SLUICE_BROKERS"]
  topic: $TOPIC
  tls: {ca: "$SLUICE_TLS_CA"}
EOC
}
conf a >"$T/shipper.yaml"
start_aggregator
"$SHIPPER" --config "$T/shipper.yaml" >>"$T/shipper.log" 2>&1 &
SHIP_PID=$!
PIDS+=("$SHIP_PID")
seq -f 'a line %g' 1 1000 >"$T/a/x.log"
wait_count 'service:svc-a' 1000 60

# add input b, keep a
conf a b >"$T/shipper.yaml"
kill -HUP "$SHIP_PID"
seq -f 'b line %g' 1 500 >"$T/b/y.log"
seq -f 'a more %g' 1 300 >>"$T/a/x.log"
wait_count 'service:svc-b' 500 60
wait_count 'service:svc-a' 1300 60

# a broken config is refused; the shipper goes on
printf 'inputs:\n  - paths: ["x"]\n    parser: nosuch\n' >"$T/shipper.yaml"
kill -HUP "$SHIP_PID"
for _ in $(seq 50); do grep -q 'reload refused' "$T/shipper.log" && break; sleep 0.1; done
grep -q "reload refused, still running the previous config: $T/shipper.yaml:3: inputs\[0\].parser: unknown parser" \
	"$T/shipper.log" || fail "refused reload not reported with file:line:key"
seq -f 'a after refusal %g' 1 200 >>"$T/a/x.log"
wait_count 'service:svc-a' 1500 60
kill -0 "$SHIP_PID" || fail "shipper died on a bad reload"

# drop input a: its new lines are no longer shipped; b goes on
conf b >"$T/shipper.yaml"
kill -HUP "$SHIP_PID"
for _ in $(seq 50); do grep -q 'configuration reloaded: 1 inputs' "$T/shipper.log" && break; sleep 0.1; done
seq -f 'a after removal %g' 1 100 >>"$T/a/x.log"
seq -f 'b more %g' 1 100 >>"$T/b/y.log"
wait_count 'service:svc-b' 600 60
sleep 2
[[ $(cli count 'service:svc-a') == 1500 ]] || fail "removed input still shipped: $(cli count 'service:svc-a')"
[[ $(cli count '*') == 2100 ]] || fail "total $(cli count '*')"
dups=$(curl -fs "http://127.0.0.1:$API_PORT/metrics" | awk '/^sluice_aggregator_duplicates_total/ {print $2}')
[[ $dups == 0 ]] || fail "an unchanged input re-sent $dups lines after reload"
stop_pid "$SHIP_PID"
echo ok
