#!/usr/bin/env bash
# The broker is stopped for 30 s while lines keep coming: the shipper pauses
# reading (the files are the buffer) with flat memory, and when the broker is
# back every line arrives exactly once.
source "$(dirname "$0")/lib.sh"
setup_pipeline
start_aggregator
SLUICE_MAX_INFLIGHT=8MiB start_shipper
pad=$(printf 'x%.0s' $(seq 1000))
seq -f "before the outage %g $pad" 1 20000 >"$T/logs/a.log"
wait_count '*' 20000 60
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SHIP_PID/status"; }
rss0=$(rss)
"$ROOT/scripts/kafka.sh" stop
t0=$(date +%s)
# ~120 MB while the broker is away, 15x max_inflight
for b in $(seq 1 12); do
	seq -f "during the outage $b.%g $pad" 1 10000 >>"$T/logs/a.log"
	sleep 1
done
peak=$rss0
while (($(date +%s) - t0 < 30)); do
	r=$(rss)
	((r > peak)) && peak=$r
	sleep 1
done
kill -0 "$SHIP_PID" || fail "shipper died while the broker was down"
"$ROOT/scripts/kafka.sh" resume
seq -f "after the outage %g" 1 1000 >>"$T/logs/a.log"
wait_count '*' 141000 240
sleep 3
[[ $(cli count '*') == 141000 ]] || fail "after the outage: $(cli count '*') events for 141000 lines"
[[ $(cli count outage) == 141000 ]] || fail "outage count"
growth=$(((peak - rss0) / 1024))
echo "shipper RSS before the outage $((rss0 / 1024)) MiB, peak while down $((peak / 1024)) MiB (+$growth MiB for ~120 MB written)"
((growth < 48)) || fail "shipper memory grew by $growth MiB while the broker was down"
stop_pid "$SHIP_PID"
echo ok
