#!/usr/bin/env bash
# `sluice-shipper parse` and the config check agree on the record path's
# options: a bad multiline rule, parser option or redaction pattern names the
# key inside the input, both in `--check` (file:line: inputs[N]: ...) and in
# `parse`; the input types reach the pipe (docker, cri, postgres, ...).
source "$(dirname "$0")/lib.sh"

# expect_check CONFIG-TAIL EXPECTED-MESSAGE (the input starts on line 2)
expect_check() {
	local rc=0
	printf 'inputs:\n  - paths: ["/tmp/x"]\n%s\nkafka: {brokers: [a:1]}\n' "$1" >"$T/c.yaml"
	out=$("$SHIPPER" --config "$T/c.yaml" --check 2>&1) || rc=$?
	((rc == 1)) || fail "--check exited $rc: $out"
	[[ $out == "$T/c.yaml:2: inputs[0]: $2" ]] || fail "want '$T/c.yaml:2: inputs[0]: $2', got '$out'"
}

expect_check '    type: dockr' 'type: unknown input type "dockr" (file, docker, cri, postgres, mysql, redis, syslog)'
expect_check '    multiline: {start: "a(b"}' 'multiline.start: invalid regex at offset 3: missing closing parenthesis'
expect_check '    multiline: {start: x, contine: y}' 'multiline.contine: unknown key'
expect_check '    multiline: kotlin' 'multiline: unknown rule "kotlin" (java, python, go, parser, none)'
expect_check '    parser: regex' 'parser_options.pattern: is required by the regex parser'
expect_check '    parser: regex
    parser_options: {pattern: "(?<a>x"}' 'parser_options.pattern: invalid regex at offset 6: missing closing parenthesis'
expect_check '    type: postgres
    parser_options: {log_line_prefix: "%m [%p] %Y "}' 'parser_options.log_line_prefix: unknown escape %Y at offset 8'
expect_check '    parser: nginx
    parser_options: {log_format: "$remote_addr [$time_local] $"}' 'parser_options.log_format: invalid variable name at offset 27'
expect_check '    parser: nginx
    parser_options: {log_fromat: combined}' 'parser_options.log_fromat: unknown key'
expect_check '    redact: {rules: [{pattern: "("}]}' 'redact.rules[0].pattern: invalid regex at offset 1: missing closing parenthesis'
expect_check '    redact: {builtin: maybe}' 'redact.builtin: expected true, false or a list of url_password, bearer, aws_key'

# valid inputs of every type pass the check
for t in file docker cri postgres mysql redis syslog; do
	printf 'inputs:\n  - paths: ["/tmp/x"]\n    type: %s\nkafka: {brokers: [a:1]}\n' "$t" >"$T/c.yaml"
	"$SHIPPER" --config "$T/c.yaml" --check >/dev/null 2>&1 || fail "type $t fails --check"
done

# parse gives the same messages, exit status 1
out=$(echo x | "$SHIPPER" parse --multiline '{start: "a(b"}' 2>&1) && fail "bad rule accepted"
[[ $out == "sluice-shipper parse: multiline.start: invalid regex at offset 3: missing closing parenthesis" ]] ||
	fail "parse message: $out"
out=$("$SHIPPER" parse --now tomorrow </dev/null 2>&1) && fail "bad --now accepted"
[[ $out == *"--now: expected RFC 3339"* ]] || fail "--now message: $out"
"$SHIPPER" parse --help | grep -q -- '--multiline' || fail "parse --help"

# stdin, --now, --host, a docker line, a multi-line record at the end of input
got=$(printf '{"log":"a\\n","stream":"stdout","time":"2024-01-02T03:04:05Z"}\n' |
	"$SHIPPER" parse --type docker --host h1 --now 2024-06-15T12:00:00Z | jq -c '[.message,.stream,.host,.source,.time]')
[[ $got == '["a","stdout","h1","docker","2024-01-02T03:04:05.000000000Z"]' ]] || fail "docker via stdin: $got"
got=$(printf 'E boom\n\tat x\n\tat y' | "$SHIPPER" parse --multiline java | jq -s 'length')
[[ $got == 1 ]] || fail "java trace at the end of input: $got events"
got=$(printf 'db postgres://u:secret@h/x\n' | "$SHIPPER" parse | jq -r .message)
[[ $got == 'db postgres://u:[REDACTED]@h/x' ]] || fail "built-in redaction: $got"
# the nginx log_format example of docs/parsers.md: its format, its line, its output
DOC=$ROOT/docs/parsers.md
fmt=$(awk '/^### nginx `log_format`/ { on = 1 } on && /^      log_format: '"'"'/ { print; exit }' "$DOC" |
	sed -e "s/^      log_format: '//" -e "s/'\$//")
[[ $fmt == '$remote_addr '* ]] || fail "no log_format in the docs example: '$fmt'"
# the fenced blocks after the marker: 1 the line, 2 the JSON
doc_block() {
	awk -v want="$1" '/test_parse_cli.sh runs this example/ { on = 1; next }
		on && /^```/ { if (inb) { inb = 0; if (++k == want) exit } else inb = 1; next }
		on && inb && k + 1 == want { print }' "$DOC"
}
line=$(doc_block 1)
want=$(doc_block 2)
[[ -n $line && -n $want ]] || fail "the docs example has no line or no JSON"
got=$(printf '%s\n' "$line" | "$SHIPPER" parse --now 2024-06-15T12:00:00Z --parser nginx \
	--parser-options "{log_format: '$fmt'}" | jq -S 'del(.id, .host, .source, .path, .offset, .message)')
want=$(jq -S . <<<"$want")
[[ $got == "$want" ]] || fail "docs/parsers.md nginx example: got $got"
echo ok
