#!/usr/bin/env bash
# kill -9 during ingest, again and again: the aggregator writes small blocks
# often (16 KiB blocks, a 100 ms flush interval) while 60,000 lines arrive,
# and is killed with SIGKILL eight times, each a random moment after events
# of the newest part have started to arrive; after some kills random bytes
# are appended to the newest segment file, as a torn write leaves them.
# Afterwards every line is stored exactly once, searches agree with the
# files, torn tails were cut, and a clean stop leaves every segment sealed
# with its index.
source "$(dirname "$0")/lib.sh"
setup_pipeline
N=${E2E_CRASH_LINES:-30000} # per file
KILLS=${E2E_CRASH_KILLS:-8}
cat >"$T/agg.yaml" <<YAML
kafka:
  brokers: ["\${SLUICE_BROKERS}"]
  topic: \${SLUICE_TOPIC}
  group: \${SLUICE_GROUP}
  tls: {ca: "\${SLUICE_TLS_CA}"}
storage:
  dir: \${SLUICE_STORAGE_DIR}
  block_size: 16KiB
  segment_max: 2MiB
api:
  listen: \${SLUICE_API_LISTEN}
tuning:
  batch_max: 700
  batch_wait: 50ms
  flush_interval: 100ms
YAML
AGG_CONF=$T/agg.yaml
start_aggregator
start_shipper
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"level\":\"%s\",\"msg\":\"crash line %d tok%d\",\"n\":%d}\n", (i % 5 ? "info" : "error"), i, i % 100, i }' >"$T/a.tmp"
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "plain crash line %d from b\n", i }' >"$T/b.tmp"
split -n l/$((KILLS + 2)) -d "$T/a.tmp" "$T/a.part."
split -n l/$((KILLS + 2)) -d "$T/b.tmp" "$T/b.part."
k=0
last=0
torn=0
for part in "$T"/a.part.*; do
	cat "$part" >>"$T/logs/a.log"
	cat "${part/a.part/b.part}" >>"$T/logs/b.log"
	if ((k < KILLS)); then
		# kill while events flow: once this part has started to arrive
		for _ in $(seq 240); do
			now=$(cli count '*' 2>/dev/null || echo 0)
			((now > last)) && break
			sleep 0.25
		done
		last=$now
		sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
		kill -KILL "$AGG_PID"
		wait "$AGG_PID" 2>/dev/null || true
		if ((k % 3 == 1)); then
			# as if the kill had come in the middle of writing a block
			# (only an open segment is written to: a sealed one has its
			# index, and bytes after its last block are never read)
			seg=$(ls -t "$STORE"/*.seg 2>/dev/null | head -1)
			if [[ -n $seg && ! -f ${seg%.seg}.idx ]]; then
				head -c $((RANDOM % 3000 + 1)) /dev/urandom >>"$seg"
				torn=$((torn + 1))
			fi
		fi
		start_aggregator
	fi
	k=$((k + 1))
done
total=$((2 * N))
[[ $(cat "$T"/logs/*.log | wc -l) == "$total" ]] || fail "writer wrote the wrong number of lines"
wait_count '*' "$total" 240
sleep 3
[[ $(cli count '*') == "$total" ]] || fail "stored $(cli count '*') events for $total lines"
cli search '*' --limit 0 --output json >"$T/all.json"
dups=$(jq -r .id "$T/all.json" | sort | uniq -d | wc -l)
[[ $dups == 0 ]] || fail "$dups duplicate ids"
[[ $(cli count 'level:error') == $((N / 5)) ]] || fail "level:error: $(cli count level:error)"
[[ $(cli count 'tok7 crash') == $((N / 100)) ]] || fail "tok7: $(cli count 'tok7 crash')"
[[ $(cli count 'n>=1000 n<2000') == 1000 ]] || fail "range: $(cli count 'n>=1000 n<2000')"
stop_pid "$AGG_PID"
for f in "$STORE"/*.seg; do
	[[ -f ${f%.seg}.idx ]] || fail "$(basename "$f") has no index after a clean stop"
done
# recovery after a restart that finds everything sealed: same answers
start_aggregator
[[ $(cli count '*') == "$total" ]] || fail "after a clean restart: $(cli count '*')"
grep -c 'cutting' "$T/aggregator.log" >"$T/cuts" || true
((torn == 0 || $(cat "$T/cuts") >= 1)) || fail "$torn torn tails made, none was cut"
echo "ok: $total lines exactly once through $KILLS kill -9s ($(cat "$T/cuts") torn tails cut)"
