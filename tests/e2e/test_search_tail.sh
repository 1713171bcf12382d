#!/usr/bin/env bash
# sluice tail follows new events live; count --every and --by add up; the
# API's limits answer with clear errors.
source "$(dirname "$0")/lib.sh"
setup_pipeline
start_aggregator
start_shipper
printf '%s\n' '{"level":"info","msg":"before the tail"}' >"$T/logs/app.log"
wait_count '*' 1 60
"$CLI" --server "http://127.0.0.1:$API_PORT" tail 'level:error OR boom' --output raw >"$T/tail.out" 2>"$T/tail.err" &
TAIL_PID=$!
PIDS+=("$TAIL_PID")
sleep 1
for i in 1 2 3 4 5 6; do
	printf '{"level":"%s","msg":"live %d"}\n' "$([[ $((i % 2)) == 0 ]] && echo error || echo info)" "$i" >>"$T/logs/app.log"
done
echo 'WARN boom went the tail' >>"$T/logs/app.log"
for _ in $(seq 120); do
	[[ $(wc -l <"$T/tail.out") -ge 4 ]] && break
	sleep 0.25
done
kill -TERM "$TAIL_PID"
wait "$TAIL_PID" 2>/dev/null || true
printf 'live 2\nlive 4\nlive 6\nWARN boom went the tail\n' >"$T/tail.want"
diff -u "$T/tail.want" "$T/tail.out" || fail "tail printed something else: $(cat "$T/tail.out" "$T/tail.err")"

wait_count '*' 8 60
# histograms and top values add up
sum=$(cli count '*' --every 1m --output json | jq '[.buckets[].count] | add')
[[ $sum == 8 ]] || fail "--every buckets add up to $sum"
[[ $(cli count '*' --by level --output json | jq -c '[.top[] | [.value, .count]]') == '[["info",4],["error",3],["warn",1]]' ]] ||
	fail "--by level: $(cli count '*' --by level --output json)"
[[ $(cli count '*' --by level --top 1 | sed -n 2p) == "           4  info" ]] || fail "--by --top 1 table"
# a histogram whose answer is large (3,001 buckets of a second, ~200 KB):
# two events of their own time, 50 minutes apart
printf '%s\n' '{"time":"2026-01-01T00:00:00Z","msg":"early"}' '{"time":"2026-01-01T00:50:00Z","msg":"late"}' >>"$T/logs/app.log"
wait_count '*' 10 60
out=$(cli count '*' --every 1s --from 2026-01-01T00:00:00Z --until 2026-01-01T01:00:00Z --output json |
	jq -c '[(.buckets | length), ([.buckets[].count] | add)]')
[[ $out == "[3001,2]" ]] || fail "--every 1s over 50 minutes: $out"
# -C in JSON: hits and their neighbours
out=$(cli search '"live 4"' -C 1 --output json | jq -r '.kind + " " + .event.message' | tr '\n' '|')
[[ $out == "before live 3|hit live 4|after live 5|" ]] || fail "-C 1: $out"

# request limits
api() { curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$API_PORT$1"; }
[[ $(api '/api/v1/search?limit=x') == 400 ]] || fail "bad limit"
grep -q 'limit: expected a whole number' "$T/body" || fail "bad limit message: $(cat "$T/body")"
long=$(head -c 5000 /dev/zero | tr '\0' a)
[[ $(api "/api/v1/count?q=$long") == 400 ]] || fail "long query"
grep -q 'longer than api.max_query' "$T/body" || fail "long query message: $(cat "$T/body")"
[[ $(api '/api/v1/count?every=0s') == 400 ]] || fail "every=0s"
[[ $(api '/api/v1/count?every=9999999999999d') == 400 ]] || fail "every too long"
[[ $(api '/api/v1/count?since=99999999999d') == 400 ]] || fail "since too long"
[[ $(api '/api/v1/nope') == 404 ]] || fail "404"
[[ $(api '/api/v1/count?q=(a') == 400 ]] || fail "bad query status"
grep -q 'query:1:3: expected' "$T/body" || fail "bad query message: $(cat "$T/body")"
echo ok
