#!/usr/bin/env bash
# The CLI over https: a real nginx terminates TLS in front of the
# aggregator's API (a throwaway CA made with openssl). The CLI trusts the
# server with --cacert, checks the name or address it was given against the
# certificate, and refuses a server it cannot trust with a clear error.
source "$(dirname "$0")/lib.sh"
need_nginx
setup_pipeline
start_aggregator
printf '%s\n' 'INFO over tls one' 'WARN over tls two' '{"level":"error","msg":"over tls three"}' \
	>"$T/logs/app.log"
start_shipper
wait_count '*' 3 60

# a CA, a certificate for 127.0.0.1 and localhost, one for another name
C=$T/certs
mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sluice-test-ca \
	-keyout "$C/ca.key" -out "$C/ca.crt" >"$T/openssl.log" 2>&1
cert() { # NAME SAN
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$C/$1.key" -out "$C/$1.csr" \
		>>"$T/openssl.log" 2>&1
	printf 'subjectAltName=%s\n' "$2" >"$C/$1.ext"
	openssl x509 -req -in "$C/$1.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial \
		-days 2 -extfile "$C/$1.ext" -out "$C/$1.crt" >>"$T/openssl.log" 2>&1
}
cert server "IP:127.0.0.1,DNS:localhost"
cert other "DNS:other.example"

N=$T/nginx
PORT=$(free_port)
OTHER=$(free_port)
chmod 711 "$T"
chmod -R a+rX "$C"
nginx_start "$N" "
  access_log $N/logs/access.log;
  server {
    listen 127.0.0.1:$PORT ssl;
    ssl_certificate $C/server.crt;
    ssl_certificate_key $C/server.key;
    location / { proxy_pass http://127.0.0.1:$API_PORT; proxy_buffering off; }
  }
  server {
    listen 127.0.0.1:$OTHER ssl;
    ssl_certificate $C/other.crt;
    ssl_certificate_key $C/other.key;
    location / { proxy_pass http://127.0.0.1:$API_PORT; }
  }"
for _ in $(seq 50); do
	curl -s -o /dev/null --cacert "$C/ca.crt" "https://127.0.0.1:$PORT/healthz" && break
	sleep 0.1
done

https() { "$CLI" --server "https://$1" --cacert "$C/ca.crt" "${@:2}"; }
[[ $(https "127.0.0.1:$PORT" count '*') == 3 ]] || fail "count over https"
[[ $(https "localhost:$PORT" count 'level:error') == 1 ]] || fail "count over https, by name"
[[ $(https "127.0.0.1:$PORT/" search '*' --limit 0 --output json | wc -l) == 3 ]] ||
	fail "search over https"
[[ $(https "127.0.0.1:$PORT" search tls --output raw | sort | head -1) == "INFO over tls one" ]] ||
	fail "search over https: raw"
[[ $(SLUICE_CACERT=$C/ca.crt "$CLI" --server "https://127.0.0.1:$PORT" count two) == 1 ]] ||
	fail "SLUICE_CACERT"
# tail streams through the proxy (proxy_buffering off, as docs/searching.md
# shows): lines written after it started arrive while it runs
https "127.0.0.1:$PORT" tail 'level:error' --output raw >"$T/tail.out" 2>"$T/tail.err" &
TAIL_PID=$!
PIDS+=("$TAIL_PID")
sleep 1
printf '%s
' 'INFO not for the tail' 'ERROR tailed over tls one' 'ERROR tailed over tls two' \
	>>"$T/logs/app.log"
for _ in $(seq 120); do
	[[ $(wc -l <"$T/tail.out") -ge 2 ]] && break
	sleep 0.25
done
kill -0 "$TAIL_PID" || fail "tail over https ended early: $(cat "$T/tail.err")"
kill -TERM "$TAIL_PID"
wait "$TAIL_PID" 2>/dev/null || true
printf 'ERROR tailed over tls one\nERROR tailed over tls two\n' >"$T/tail.want"
diff -u "$T/tail.want" "$T/tail.out" ||
	fail "tail over https printed something else: $(cat "$T/tail.out" "$T/tail.err")"
rc=0
out=$("$CLI" --server "https://127.0.0.1:$PORT" count '*' 2>&1) || rc=$?
((rc == 2)) || fail "untrusted CA: exit $rc: $out"
[[ $out == "sluice: cannot reach https://127.0.0.1:$PORT: TLS: the certificate of 127.0.0.1 is not trusted: "* ]] ||
	fail "untrusted CA message: $out"
rc=0
out=$(https "127.0.0.1:$OTHER" count '*' 2>&1) || rc=$?
((rc == 2)) || fail "wrong name: exit $rc: $out"
[[ $out == *"is not trusted: IP address mismatch" ]] || fail "wrong name message: $out"
rc=0
out=$(https "127.0.0.1:$API_PORT" count '*' 2>&1) || rc=$?
((rc == 2)) || fail "https to a plain server: exit $rc: $out"
[[ $out == "sluice: cannot reach https://127.0.0.1:$API_PORT: TLS handshake with 127.0.0.1 failed"* ]] ||
	fail "https to a plain server message: $out"
echo ok
