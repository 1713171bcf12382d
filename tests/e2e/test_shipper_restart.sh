#!/usr/bin/env bash
# The shipper resumes from its checkpoint: after SIGTERM nothing is re-sent;
# after SIGKILL lines whose ack was not yet checkpointed are re-sent with the
# same ids and the aggregator drops them. A partial last line waits for its
# newline. read_from: tail skips what was there before the first start.
source "$(dirname "$0")/lib.sh"
setup_pipeline
start_aggregator
export SLUICE_PARTIAL_TIMEOUT=1h
start_shipper
seq -f 'first batch %g' 1 5000 >"$T/logs/a.log"
printf 'partial line without' >>"$T/logs/a.log"
wait_count '*' 5000 60
stop_pid "$SHIP_PID"
grep -q "$T/logs/a.log" "$SHIP_STATE/checkpoints" || fail "no checkpoint written"
printf ' its end\n' >>"$T/logs/a.log"
seq -f 'second batch %g' 1 5000 >>"$T/logs/a.log"
start_shipper
wait_count '*' 10001 60
[[ $(cli count '"partial line without its end"') == 1 ]] || fail "partial line not joined"
# kill -9 mid-stream, restart: no loss, no duplicate stored
seq -f 'third batch %g' 1 50000 >>"$T/logs/a.log" &
writer=$!
sleep 0.3
kill -KILL "$SHIP_PID"
wait "$writer"
start_shipper
wait_count '*' 60001 90
sleep 2
[[ $(cli count '*') == 60001 ]] || fail "after kill -9: $(cli count '*') events for 60001 lines"
# a line whose newline never comes ships after partial_timeout
stop_pid "$SHIP_PID"
SLUICE_PARTIAL_TIMEOUT=1s start_shipper
printf 'no newline yet' >>"$T/logs/a.log"
wait_count '"no newline yet"' 1 30
printf ' and then more\n' >>"$T/logs/a.log"
wait_count '"and then more"' 1 30
[[ $(cli count '*') == 60003 ]] || fail "partial timeout: $(cli count '*') events"
dups=$(curl -fs "http://127.0.0.1:$API_PORT/metrics" | awk '/^sluice_aggregator_duplicates_total/ {print $2}')
echo "re-sent after kill -9 and dropped by id: $dups"
stop_pid "$SHIP_PID"
echo ok
