#!/usr/bin/env bash
# The shipper's /metrics and /healthz: counts of lines read, events produced
# and acknowledged, per-file lag (0 once everything is acknowledged),
# checkpoint age and Kafka state, in Prometheus text format.
source "$(dirname "$0")/lib.sh"
setup_pipeline
MPORT=$(free_port)
start_aggregator
seq -f 'metrics line %g' 1 1234 >"$T/logs/m.log"
SLUICE_SHIPPER_METRICS=127.0.0.1:$MPORT start_shipper
wait_count '*' 1234 60
metric() { curl -fs "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
for _ in $(seq 40); do
	[[ $(metric sluice_shipper_events_acked_total) == 1234 ]] && break
	sleep 0.25
done
[[ $(metric sluice_shipper_lines_read_total) == 1234 ]] || fail "lines_read_total $(metric sluice_shipper_lines_read_total)"
[[ $(metric sluice_shipper_events_produced_total) == 1234 ]] || fail "events_produced_total"
[[ $(metric sluice_shipper_events_acked_total) == 1234 ]] || fail "events_acked_total"
[[ $(metric sluice_shipper_events_failed_total) == 0 ]] || fail "events_failed_total"
[[ $(metric sluice_shipper_files_watched) == 1 ]] || fail "files_watched"
[[ $(metric sluice_shipper_kafka_up) == 1 ]] || fail "kafka_up"
[[ $(metric "sluice_shipper_file_lag_bytes{path=\"$T/logs/m.log\"}") == 0 ]] || fail "file lag"
[[ $(metric sluice_shipper_bytes_read_total) == $(stat -c %s "$T/logs/m.log") ]] || fail "bytes_read_total"
age=$(metric sluice_shipper_checkpoint_age_seconds)
awk -v a="$age" 'BEGIN {exit !(a >= 0 && a < 10)}' || fail "checkpoint age $age"
[[ $(curl -fs "http://127.0.0.1:$MPORT/healthz") == ok ]] || fail "healthz"
rc=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nope")
[[ $rc == 404 ]] || fail "unknown path answered $rc"
stop_pid "$SHIP_PID"
echo ok
