#!/usr/bin/env bash
# The CLI against a real aggregator: output modes, limits, a bad query
# pointing at its column, an unreachable server.
source "$(dirname "$0")/lib.sh"
setup_pipeline
start_aggregator
printf '%s\n' 'INFO first line' '{"level":"error","msg":"disk full on /var","disk":{"free":0}}' \
	'WARN second "quoted" line' '{"msg":"Payment declined!","user":"Ada Lovelace","http":{"status":502}}' \
	>"$T/logs/app.log"
start_shipper
wait_count '*' 4 60
# the examples of docs/searching.md
[[ $(cli count payment) == 1 ]] || fail "word, any case"
[[ $(cli count payments) == 0 ]] || fail "whole tokens only"
[[ $(cli count 'user:"Ada Lovelace"') == 1 ]] || fail "quoted field value"
[[ $(cli count 'http.status:502') == 1 ]] || fail "nested number"
[[ $(cli count 'http.status:502 AND payment') == 1 ]] || fail "AND"
[[ $(cli count 'level:error payment') == 0 ]] || fail "implicit AND"

[[ $(cli count 'level:error') == 1 ]] || fail "count level:error"
[[ $(cli count 'level:error' --output json) == '{"count": 1}' ]] || fail "count --output json"
[[ $(cli count 'disk.free:0') == 1 ]] || fail "typed nested field"
[[ $(cli search disk --output raw) == "disk full on /var" ]] || fail "search --output raw"
[[ $(cli search '*' --limit 2 --output json | wc -l) == 2 ]] || fail "--limit 2"
[[ $(cli search '*' --limit 0 --output json | wc -l) == 4 ]] || fail "--limit 0"
[[ $(SLUICE_SERVER=http://127.0.0.1:$API_PORT "$CLI" count '"second quoted"') == 1 ]] ||
	fail "SLUICE_SERVER and phrase"
[[ $(cli search '*' --since 1h --output json | wc -l) == 4 ]] || fail "--since 1h"
[[ $(cli search '*' --until 2000-01-01T00:00:00Z --output json | wc -l) == 0 ]] || fail "--until"
cli search '*' --output table | grep -q 'ERROR' || fail "table output"

rc=0
out=$(cli search 'level: x' 2>&1) || rc=$?
((rc == 1)) || fail "bad query exit $rc"
[[ $out == "sluice: query:1:7: expected a value after ':'" ]] || fail "bad query message: $out"
rc=0
out=$(cli search '"open' 2>&1) || rc=$?
[[ $out == "sluice: query:1:1: unterminated quote" ]] || fail "unterminated quote message: $out"
rc=0
out=$("$CLI" --server "http://127.0.0.1:$(free_port)" count '*' 2>&1) || rc=$?
((rc == 2)) || fail "unreachable server exit $rc: $out"
[[ $out == "sluice: cannot reach"* ]] || fail "unreachable message: $out"
curl -fs "http://127.0.0.1:$API_PORT/metrics" | grep -q '^sluice_aggregator_stored_total 4$' || fail "/metrics"
echo ok
