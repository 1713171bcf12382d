#!/usr/bin/env bash
# A real nginx (Debian's package, installed here if missing) serves a few
# requests on a free loopback port; its access log (combined + request time)
# and error log must parse with the nginx and nginx_error parsers: one event
# per request with the right typed status, method, path, bytes and duration,
# and the errors nginx logged (missing file, upstream refused) found. A
# second access log in a custom log_format must parse with the same format
# string given as the parser's log_format option.
source "$(dirname "$0")/lib.sh"

need_nginx

N=$T/nginx
mkdir -p "$N/html" "$N/tmp" "$N/logs"
chmod 711 "$T"
chmod -R a+rX "$N"
echo hello >"$N/html/index.html"
PORT=$(free_port)
DEAD=$(free_port) # nothing listens there: the proxy gets "connection refused"
# the custom format: nginx.conf gets it verbatim, the parser as log_format
FMT='$remote_addr $host [$time_iso8601] "$request_method $request_uri $server_protocol" $status '
FMT+='$body_bytes_sent $request_length $request_time "$http_user_agent" "$http_referer" '
FMT+='$upstream_addr $upstream_response_time $connection $msec rid=$request_id'
HTTP=$(
	cat <<CONF
  log_format timed '\$remote_addr - \$remote_user [\$time_local] "\$request" '
                   '\$status \$body_bytes_sent "\$http_referer" "\$http_user_agent" '
                   '\$request_time urt=\$upstream_response_time';
  log_format custom '$FMT';
  access_log $N/logs/access.log timed;
  access_log $N/logs/custom.log custom;
  server {
    listen 127.0.0.1:$PORT;
    root $N/html;
    location /api/ { proxy_pass http://127.0.0.1:$DEAD; }
  }
CONF
)
nginx_start "$N" "$HTTP"
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
	sleep 0.1
done
# forget the readiness probe (nginx appends), once nginx has logged it: it
# writes the line after the response, so curl can be back before that
for _ in $(seq 50); do
	[[ -s $N/logs/access.log && -s $N/logs/custom.log ]] && break
	sleep 0.1
done
: >"$N/logs/access.log"
: >"$N/logs/custom.log"
U=http://127.0.0.1:$PORT
# method path expected-status, in order
REQS=("GET / 200" "GET /missing.html 404" "GET /index.html?x=1&y=two 200" "POST /index.html 405"
	"GET /api/orders 502" "HEAD / 200")
for r in "${REQS[@]}"; do
	read -r m p want <<<"$r"
	if [[ $m == HEAD ]]; then
		got=$(curl -s -I -o /dev/null -w '%{http_code}' -A 'sluice-test/1.0' -e 'http://ref.example/' "$U$p")
	else
		got=$(curl -s -o /dev/null -w '%{http_code}' -X "$m" -A 'sluice-test/1.0' -e 'http://ref.example/' "$U$p")
	fi
	[[ $got == "$want" ]] || fail "$m $p: nginx answered $got, want $want"
done
kill -QUIT "$(cat "$N/nginx.pid")"
for _ in $(seq 50); do [[ -f $N/nginx.pid ]] || break; sleep 0.1; done

"$SHIPPER" parse --parser nginx "$N/logs/access.log" >"$T/access.events" || fail "parse access.log"
n=$(wc -l <"$T/access.events")
((n == ${#REQS[@]})) || fail "want ${#REQS[@]} access events, got $n"
i=0
for r in "${REQS[@]}"; do
	read -r m p want <<<"$r"
	path=${p%%\?*}
	jq -e -s --argjson i $i --arg m "$m" --arg p "$path" --argjson s "$want" \
		'.[$i] | .["http.method"] == $m and .["http.path"] == $p and .["http.status"] == $s
		 and (.["http.bytes"] | type == "number") and (.["http.duration"] | type == "number")
		 and .["client.ip"] == "127.0.0.1" and .["http.user_agent"] == "sluice-test/1.0"
		 and .["http.referer"] == "http://ref.example/" and (.parse_error | not)' \
		"$T/access.events" >/dev/null || fail "access event $i ($r): $(sed -n "$((i + 1))p" "$T/access.events")"
	i=$((i + 1))
done
jq -e -s '.[2]["http.query"] == "x=1&y=two" and .[4].level == "error" and .[1].level == "warn"
	and .[0].level == "info" and (.[4]["http.upstream_duration"] | type == "number")' \
	"$T/access.events" >/dev/null || fail "query, levels or upstream time wrong"

# the custom log_format: the same requests, fields from the format's variables
"$SHIPPER" parse --parser nginx --parser-options "{log_format: '$FMT'}" "$N/logs/custom.log" \
	>"$T/custom.events" || fail "parse custom.log"
n=$(wc -l <"$T/custom.events")
((n == ${#REQS[@]})) || fail "want ${#REQS[@]} custom events, got $n"
i=0
for r in "${REQS[@]}"; do
	read -r m p want <<<"$r"
	path=${p%%\?*}
	jq -e -s --argjson i $i --arg m "$m" --arg p "$path" --argjson s "$want" \
		'.[$i] as $e | .[$i] | .["http.method"] == $m and .["http.path"] == $p and .["http.status"] == $s
		 and .["http.protocol"] == "HTTP/1.1" and (.["http.bytes"] | type == "number")
		 and (.["http.duration"] | type == "number") and (.["nginx.request_length"] | type == "number")
		 and (.["nginx.connection"] | type == "number") and (.["nginx.request_id"] | test("^[0-9a-f]{32}$"))
		 and .["client.ip"] == "127.0.0.1" and .["http.host"] == "127.0.0.1"
		 and .["http.user_agent"] == "sluice-test/1.0" and .["http.referer"] == "http://ref.example/"
		 and (.parse_error | not) and (.time_error | not)' \
		"$T/custom.events" >/dev/null || fail "custom event $i ($r): $(sed -n "$((i + 1))p" "$T/custom.events")"
	# the same request in both logs: the same second ($msec there, $time_local here)
	a=$(sed -n "$((i + 1))p" "$T/access.events" | jq -r '.time[0:19]')
	c=$(sed -n "$((i + 1))p" "$T/custom.events" | jq -r '.time[0:19]')
	[[ $a == "$c" ]] || fail "custom event $i: time $c, access log says $a"
	i=$((i + 1))
done
jq -e -s --arg up "127.0.0.1:$DEAD" '.[2]["http.query"] == "x=1&y=two" and .[4].level == "error"
	and .[1].level == "warn" and .[0].level == "info" and .[4]["nginx.upstream_addr"] == $up
	and (.[4]["http.upstream_duration"] | type == "number") and (.[0]["nginx.upstream_addr"] | not)' \
	"$T/custom.events" >/dev/null || fail "custom: query, levels or upstream wrong: $(sed -n 5p "$T/custom.events")"

"$SHIPPER" parse --parser nginx_error "$N/logs/error.log" >"$T/error.events" || fail "parse error.log"
jq -e -s 'all(.[]; .parse_error | not)' "$T/error.events" >/dev/null ||
	fail "error.log lines that did not parse: $(jq -c 'select(.parse_error)' "$T/error.events" | head -3)"
jq -e -s 'any(.[]; .level == "error" and (.message | test("missing.html")) and .["http.path"] == "/missing.html"
	and .["client.ip"] == "127.0.0.1" and (.["nginx.pid"] | type == "number"))' "$T/error.events" >/dev/null ||
	fail "the missing file error is not there"
jq -e -s 'any(.[]; .level == "error" and (.message | test("Connection refused|connect\\(\\) failed"))
	and .["http.path"] == "/api/orders" and (.["nginx.upstream"] | test("127.0.0.1")))' "$T/error.events" >/dev/null ||
	fail "the upstream error is not there"
if [[ -n ${SLUICE_NGINX_SAMPLE_DIR:-} ]]; then cp "$N/logs/"* "$SLUICE_NGINX_SAMPLE_DIR/"; fi
echo ok
