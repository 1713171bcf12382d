#!/usr/bin/env bash
# kill -9 of the shipper ten times while lines are being written and shipped,
# restarting it each time: no line is lost, and what was re-sent (lines whose
# acknowledgement had not been checkpointed yet) is dropped by id in the
# aggregator, so the store holds every line exactly once. The shipper packs
# each file's events into batched Kafka messages (kafka.batch_bytes), so
# acknowledgements and checkpoints cover many events at a time.
source "$(dirname "$0")/lib.sh"
setup_pipeline
start_aggregator
export SLUICE_BATCH_BYTES=64KiB
start_shipper
N=300000
# two writers, 150,000 lines each, in 100 bursts over ~10-20 s
for f in a b; do
	awk -v f="$f" -v n=$((N / 2)) -v out="$T/logs/$f.log" 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "writer %s line %d\n", f, i >> out
			if (i % 1500 == 0) { close(out); system("sleep 0.1") }
		}
	}' &
	PIDS+=($!)
	eval "writer_$f=$!"
done
kills=0
for k in $(seq 1 10); do
	sleep 1.2
	kill -KILL "$SHIP_PID"
	wait "$SHIP_PID" 2>/dev/null || true
	kills=$((kills + 1))
	start_shipper
done
wait "$writer_a" "$writer_b"
[[ $(cat "$T"/logs/*.log | wc -l) == "$N" ]] || fail "writers wrote $(cat "$T"/logs/*.log | wc -l) lines"
wait_count '*' "$N" 240
sleep 3
got=$(cli count '*')
[[ $got == "$N" ]] || fail "after $kills kills: $got events for $N lines"
[[ $(cli count '"writer b line 150000"') == 1 ]] || fail "last line"
dups=$(curl -fs "http://127.0.0.1:$API_PORT/metrics" | awk '/^sluice_aggregator_duplicates_total/ {print $2}')
echo "$kills kill -9 restarts: $N lines stored once; $dups re-sent lines dropped by id"
stop_pid "$SHIP_PID"
echo ok
