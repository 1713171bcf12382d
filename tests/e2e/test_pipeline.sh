#!/usr/bin/env bash
# End to end over TLS: 200,000 lines (plain text and JSON, some with planted
# tokens) written into two files while the shipper runs; the aggregator is
# stopped (SIGTERM) and killed (SIGKILL) mid-way and restarted. Afterwards
# the store holds every line exactly once, and a search for the planted
# token returns exactly the planted lines.
source "$(dirname "$0")/lib.sh"
setup_pipeline
N=${E2E_LINES:-100000} # per file
BURSTS=20
start_aggregator
start_shipper

write_burst() { # file-tag from to
	awk -v tag="$1" -v from="$2" -v to="$3" 'BEGIN {
		for (i = from; i <= to; i++) {
			plant = (i % 1000 == 7) ? " plantedneedle pn" tag i : ""
			if (i % 3 == 0) {
				lvl = (i % 10 == 0) ? "error" : "info"
				printf "{\"time\":\"2026-11-%02dT10:%02d:%02d.%03dZ\",\"level\":\"%s\",\"msg\":\"order %d processed%s\",\"user\":{\"id\":%d},\"file\":\"%s\"}\n", 1 + i % 28, i % 60, (i / 60) % 60, i % 1000, lvl, i, plant, i % 97, tag
			} else {
				printf "%s plain line %d from %s with some words%s\n", (i % 7 == 0) ? "WARN" : "INFO", i, tag, plant
			}
		}
	}' >>"$T/logs/$1.log"
}

per=$((N / BURSTS))
for ((b = 0; b < BURSTS; b++)); do
	from=$((b * per + 1))
	to=$(((b + 1) * per))
	write_burst a $from $to
	write_burst b $from $to
	sleep 0.2
	if ((b == 6)); then
		stop_pid "$AGG_PID"
		start_aggregator
	fi
	if ((b == 13)); then
		kill -KILL "$AGG_PID"
		wait "$AGG_PID" 2>/dev/null || true
		start_aggregator
	fi
done

total=$(cat "$T"/logs/*.log | wc -l)
[[ $total == $((2 * N)) ]] || fail "writer wrote $total lines, not $((2 * N))"
wait_count '*' "$total" 180
sleep 3 # anything doubled would arrive by now
got=$(cli count '*')
[[ $got == "$total" ]] || fail "stored $got events for $total lines"

# every event once: unique ids and unique (path, offset)
cli search '*' --limit 0 --output json >"$T/all.json"
[[ $(wc -l <"$T/all.json") == "$total" ]] || fail "search returned $(wc -l <"$T/all.json") events"
dups=$(jq -r .id "$T/all.json" | sort | uniq -d | wc -l)
[[ $dups == 0 ]] || fail "$dups duplicate ids"
pos=$(jq -r '"\(.path) \(.offset)"' "$T/all.json" | sort -u | wc -l)
[[ $pos == "$total" ]] || fail "$pos distinct (path, offset) pairs for $total lines"

# the planted lines, exactly
grep -h plantedneedle "$T"/logs/*.log | jq -R -r '(fromjson? // .) | if type == "object" then .msg else . end' | sort >"$T/want"
cli search plantedneedle --limit 0 --output json | jq -r .message | sort >"$T/got"
[[ $(wc -l <"$T/want") == 200 ]] || fail "expected 200 planted lines, wrote $(wc -l <"$T/want")"
diff -u "$T/want" "$T/got" >"$T/planted.diff" || fail "planted lines differ: $(head -20 "$T/planted.diff")"
# one planted line by its unique token
[[ $(cli count pnb1007) == 1 ]] || fail "pnb1007 not found exactly once"

# JSON lines were parsed: levels and nested fields kept
want_err=$(grep -h -c '"level":"error"' "$T"/logs/*.log | awk '{s += $1} END {print s}')
[[ $(cli count level:error) == "$want_err" ]] || fail "level:error count differs from $want_err"
want_u=$(grep -h '"user":{"id":42}' "$T"/logs/*.log | wc -l)
[[ $(cli count user.id:42) == "$want_u" ]] || fail "user.id:42 count differs from $want_u"
[[ $(cli count 'level:warn service:app') == $(grep -h -c '^WARN' "$T"/logs/*.log | awk '{s += $1} END {print s}') ]] ||
	fail "WARN plain lines not counted as level:warn"

# the JSON time is the event time
t=$(cli search '"order 3 processed" file:a' --output json | jq -r .time)
[[ $t == 2026-11-04T10:03:00.003000000Z ]] || fail "JSON line's time not kept: '$t'"
stop_pid "$SHIP_PID"
stop_pid "$AGG_PID"
echo "ok: $total lines stored exactly once across two aggregator restarts"
