#!/usr/bin/env bash
# 2,000 files tailed at once with max_open_files 200: every line arrives
# exactly once, in two rounds (the second makes closed idle files reopen),
# and the shipper never holds more descriptors than the cap allows.
source "$(dirname "$0")/lib.sh"
setup_pipeline
CAP=200
mkdir -p "$T/logs/d1" "$T/logs/d2"
LOG_GLOB="$T/logs/d*/*.log"
for i in $(seq 1 2000); do
	d=$((i % 2 + 1))
	seq -f "file $i round one line %g" 1 20 >"$T/logs/d$d/f$i.log"
done
start_aggregator
SLUICE_MAX_OPEN_FILES=$CAP start_shipper

max_fds=0
sample_fds() {
	local n
	n=$(ls "/proc/$SHIP_PID/fd" 2>/dev/null | wc -l)
	((n > max_fds)) && max_fds=$n
	return 0
}
for _ in $(seq 240); do
	sample_fds
	[[ $(cli count '*') == 40000 ]] && break
	sleep 0.5
done
wait_count '*' 40000 60
for i in $(seq 1 2000); do
	d=$((i % 2 + 1))
	seq -f "file $i round two line %g" 1 5 >>"$T/logs/d$d/f$i.log"
done
for _ in $(seq 240); do
	sample_fds
	[[ $(cli count '*') == 50000 ]] && break
	sleep 0.5
done
wait_count '*' 50000 60
sleep 2
[[ $(cli count '*') == 50000 ]] || fail "duplicates: $(cli count '*')"
[[ $(cli count 'round two') == 10000 ]] || fail "second round"
[[ $(cli count '"file 1999 round"') == 25 ]] || fail "file 1999"
# the cap, plus what librdkafka, the logs and the process itself hold
echo "most descriptors seen: $max_fds (cap $CAP)"
((max_fds <= CAP + 60)) || fail "held $max_fds descriptors with max_open_files $CAP"
stop_pid "$SHIP_PID"
echo ok
