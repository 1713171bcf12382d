#!/usr/bin/env bash
# Runs every example of docs/searching.md against a real aggregator fed the
# page's sample through the shipper: each row of the query table must give
# its count, each `console` block must print exactly what the page shows,
# each `sh` block must succeed (tail is stopped after a few seconds).
source "$(dirname "$0")/lib.sh"
setup_pipeline
start_aggregator
DOC=$ROOT/docs/searching.md
python3 - "$DOC" "$T/logs/app.log" <<'PY'
import re, sys
doc = open(sys.argv[1]).read()
m = re.search(r"```ndjson\n(.*?)```", doc, re.S)
open(sys.argv[2], "w").write(m.group(1))
PY
want=$(grep -c . "$T/logs/app.log")
start_shipper
wait_count '*' "$want" 60
python3 - "$DOC" "$CLI" "http://127.0.0.1:$API_PORT" <<'PY'
import re, shlex, subprocess, sys
doc, cli, server = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
failed = []
def run(args, timeout=30):
    try:
        p = subprocess.run([cli, "--server", server] + args, capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out
rows = 0
for q, count in re.findall(r"^\| `(.+?)` \| .*? \| (\d+) \|$", doc, re.M):
    q = q.replace("\\|", "|")
    rows += 1
    rc, out = run(["count", q])
    if rc != 0 or out.strip() != count:
        failed.append(f"table: count {q!r}: want {count}, got rc={rc} {out.strip()!r}")
if rows < 20:
    failed.append(f"only {rows} rows found in the query table")
blocks = 0
for kind, body in re.findall(r"```(console|sh)\n(.*?)```", doc, re.S):
    if kind == "console":
        cmds = re.split(r"^\$ ", body, flags=re.M)[1:]
        for c in cmds:
            line, _, expect = c.partition("\n")
            args = shlex.split(line)
            assert args[0] == "sluice", line
            blocks += 1
            rc, out = run(args[1:])
            if out != expect:
                failed.append(f"console: {line}\n--- want\n{expect}--- got (rc={rc})\n{out}")
    else:
        for line in body.splitlines():
            if not line.startswith("sluice "):
                continue
            blocks += 1
            args = shlex.split(line)[1:]
            tail = args[0] == "tail"
            rc, out = run(args, timeout=3 if tail else 30)
            if rc != (124 if tail else 0):
                failed.append(f"sh: {line}: rc={rc}: {out}")
if blocks < 8:
    failed.append(f"only {blocks} commands found")
for f in failed:
    print("FAIL:", f)
sys.exit(1 if failed else 0)
PY
echo ok
