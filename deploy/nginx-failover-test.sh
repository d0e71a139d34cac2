#!/usr/bin/env bash
# Scale-out on one machine: two `bertsharp serve` replicas on 127.0.0.1 behind Debian's nginx (installed when missing)
# with proxy_next_upstream. 16 clients POST /embed through nginx for LOAD_SECONDS (default 12); replica A is killed
# (SIGKILL: a crash, connections reset) a third of the way in. Asserts: every request answered 200 with the vector the
# CLI's `embed` gives for its text (≤ 1e-5), both replicas served before the kill, only the survivor after it, and the
# survivor still healthy at the end and exits 0 on SIGTERM. Env: BERTSHARP_BIN, BERTSHARP_SHARED (tools/server/common.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../tools/server/common.sh"

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
resolve_bertsharp

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Expected vectors: the CLI's own `embed`, one line per text.
python3 - "$work/texts.txt" "$work/texts.jsonl" <<'PY'
import json, sys
subjects = ["the dog", "a woman", "the committee", "my neighbour"]
verbs = ["crossed", "studied", "painted", "visited"]
objects = ["the bridge", "a report", "the river bank", "the museum"]
texts = [f"{subjects[i % 4]} {verbs[(i // 4) % 4]} {objects[(i // 16 + i) % 4]} (#{i})." for i in range(32)]
open(sys.argv[1], "w").write("".join(t + "\n" for t in texts))
open(sys.argv[2], "w").write("".join(json.dumps({"text": t}) + "\n" for t in texts))
PY
"${BERTSHARP[@]}" embed --model "$model" < "$work/texts.jsonl" > "$work/expected.jsonl"

port_a=$(free_port); port_b=$(free_port); port_lb=$(free_port)
"${BERTSHARP[@]}" serve --model "$model" --host 127.0.0.1 --port "$port_a" --threads 1 2>"$work/a.log" &
pid_a=$!; pids+=("$pid_a")
disown "$pid_a"    # it is killed on purpose: no "Killed" job notice
"${BERTSHARP[@]}" serve --model "$model" --host 127.0.0.1 --port "$port_b" --threads 1 2>"$work/b.log" &
pid_b=$!; pids+=("$pid_b")
wait_healthy "http://127.0.0.1:$port_a" "$pid_a" || { cat "$work/a.log" >&2; exit 1; }
wait_healthy "http://127.0.0.1:$port_b" "$pid_b" || { cat "$work/b.log" >&2; exit 1; }

mkdir -p "$work/tmp"
cat > "$work/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  upstream bertsharp {
    server 127.0.0.1:$port_a max_fails=1 fail_timeout=30s;
    server 127.0.0.1:$port_b max_fails=1 fail_timeout=30s;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:$port_lb;
    location / {
      proxy_pass http://bertsharp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Embed requests are idempotent: a POST whose replica died mid-request is safe to send to the next one
      # (nginx retries POST only with non_idempotent).
      proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 1s;
      proxy_read_timeout 60s;
      add_header X-Upstream \$upstream_addr always;
    }
  }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -p "$work"
wait_healthy "http://127.0.0.1:$port_lb" "$(cat "$work/nginx.pid")"

python3 - "$port_lb" "$port_a" "$port_b" "$pid_a" "$work/texts.txt" "$work/expected.jsonl" "${LOAD_SECONDS:-12}" <<'PY'
import json, os, signal, sys, threading, time, urllib.request
port_lb, port_a, port_b, pid_a = (int(x) for x in sys.argv[1:5])
texts = [l.rstrip("\n") for l in open(sys.argv[5])]
expected = [json.loads(l)["embedding"] for l in open(sys.argv[6])]
seconds = float(sys.argv[7])
assert len(texts) == len(expected) == 32
url = f"http://127.0.0.1:{port_lb}/embed"
results, lock = [], threading.Lock()
start = time.time()
kill_at = start + seconds / 3
killed = threading.Event()

def client(c):
    i = c
    while time.time() < start + seconds:
        k = i % len(texts); i += 7
        body = json.dumps({"inputs": texts[k]}).encode()
        t0 = time.time()
        try:
            req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as r:
                status, upstream, answer = r.status, r.headers.get("X-Upstream", ""), json.load(r)
        except urllib.error.HTTPError as e:
            status, upstream, answer = e.code, e.headers.get("X-Upstream", ""), e.read().decode(errors="replace")
        except Exception as e:
            status, upstream, answer = -1, "", repr(e)
        with lock:
            results.append((t0, time.time(), k, status, upstream, answer, killed.is_set()))

def killer():
    time.sleep(max(0, kill_at - time.time()))
    os.kill(pid_a, signal.SIGKILL)
    killed.set()

threads = [threading.Thread(target=client, args=(c,)) for c in range(16)] + [threading.Thread(target=killer)]
for t in threads: t.start()
for t in threads: t.join()

bad, worst = [], 0.0
served = {"before": set(), "after": set()}
after_kill = 0
for t0, t1, k, status, upstream, answer, after in results:
    if status != 200:
        bad.append(f"text {k}: HTTP {status} via {upstream!r}: {str(answer)[:200]}")
        continue
    diff = max(abs(a - b) for a, b in zip(answer[0], expected[k]))
    worst = max(worst, diff)
    if len(answer) != 1 or len(answer[0]) != len(expected[k]) or diff > 1e-5:
        bad.append(f"text {k}: wrong vector via {upstream} (max diff {diff:.3g})")
    # The last upstream nginx tried is the one that answered ("A, B" after a retry).
    last = upstream.split(",")[-1].strip()
    if after and t0 >= kill_at:
        served["after"].add(last); after_kill += 1
    elif t1 < kill_at:
        served["before"].add(last)
retried = sum(1 for r in results if "," in r[4])
print(f"nginx failover: {len(results)} requests in {seconds:.0f} s through nginx, 16 clients; replica A killed at "
      f"{kill_at - start:.1f} s; {after_kill} requests sent after the kill; {retried} retried by nginx on the other replica; "
      f"max |diff| vs CLI embed {worst:.3g}")
a, b = f"127.0.0.1:{port_a}", f"127.0.0.1:{port_b}"
if bad:
    print(f"{len(bad)} bad answers, first: " + "; ".join(bad[:5]), file=sys.stderr); sys.exit(1)
if served["before"] != {a, b}:
    sys.exit(f"before the kill both replicas should serve, served by {sorted(served['before'])}")
if after_kill == 0 or served["after"] != {b}:
    sys.exit(f"after the kill only the survivor {b} should serve, served by {sorted(served['after'])} ({after_kill} requests)")
urllib.request.urlopen(f"http://127.0.0.1:{port_b}/health", timeout=5)
print("nginx failover: every request answered correctly; the survivor kept serving and is healthy")
PY
stop_server "$pid_b"
pids=()
echo "nginx failover: survivor exited 0 on SIGTERM"
