"""Faults at full scale against a real `bertsharp serve` process (tools/server/fault-test.sh runs it).

usage: python3 fault_test.py MODEL_DIR BERTSHARP [ARGS...]   (e.g. ... /path/model dotnet bertsharp.dll)

1. missing model: `serve --model /nonexistent` exits non-zero with a one-line error naming the folder.
2. 10 MB bodies: with Content-Length, 413 arrives after 64 KB were sent (the rest is never read); chunked, 413 arrives
   after at most a few MB, not 10.
3. disconnects: clients that close mid-body, and clients that send a large batch then close before the answer;
   the process survives and answers correctly.
4. SIGTERM under load: requests in flight when the signal arrives complete with correct vectors, new connections are
   refused, the process exits 0.
Exits non-zero on the first failure.
"""
import json, os, select, signal, socket, subprocess, sys, threading, time, urllib.error, urllib.request

model, command = sys.argv[1], sys.argv[2:]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*extra):
    port = free_port()
    p = subprocess.Popen(command + ["serve", "--model", model, "--host", "127.0.0.1", "--port", str(port), *extra],
                         stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            return p, port, base
        except Exception:
            if p.poll() is not None:
                sys.exit(f"serve exited early ({p.returncode}): {p.stderr.read()}")
            if time.time() > deadline:
                sys.exit("serve did not become healthy in 60 s")
            time.sleep(0.1)


def post(base, path, body, timeout=60):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


def stop(p, what):
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=60)
    if rc != 0:
        sys.exit(f"{what}: exit {rc} after SIGTERM")


def check(condition, message):
    if not condition:
        sys.exit("FAILED: " + message)


def close(a, b):
    return len(a) == len(b) and max(abs(x - y) for x, y in zip(a, b)) <= 1e-5


def read_status(sock, timeout=10):
    """The status code of the HTTP response on sock (reads until the status line)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ")[1]) if data.startswith(b"HTTP/") else None


# --- 1. Missing model ---
t0 = time.time()
r = subprocess.run(command + ["serve", "--model", "/nonexistent/bertsharp-model", "--port", "0"], capture_output=True, text=True, timeout=60)
lines = [l for l in r.stderr.splitlines() if l.strip()]
check(r.returncode != 0, f"missing model: exit {r.returncode}, expected non-zero")
check(len(lines) == 1 and "/nonexistent/bertsharp-model" in lines[0], f"missing model: one clear line naming the folder, got {r.stderr!r}")
print(f"missing model: exit {r.returncode} in {time.time() - t0:.1f} s: {lines[0]}")

server, port, base = start()
texts = ["the river flowed over the bank.", "the bank strongly resisted cutting interest rates."]
reference = post(base, "/embed", {"inputs": texts})

# --- 2. 10 MB bodies ---
ten_mb = 10 * 1024 * 1024
with socket.create_connection(("127.0.0.1", port)) as s:
    s.sendall(f"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {ten_mb}\r\n\r\n".encode())
    s.sendall(b'{"inputs": "' + b"a" * (64 * 1024))
    t0 = time.time()
    status = read_status(s)
check(status == 413, f"10 MB body with Content-Length: status {status}, expected 413")
print(f"10 MB body (Content-Length): 413 after 64 KB of 10 MB sent, in {1000 * (time.time() - t0):.0f} ms")

sent, status = 0, None
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)       # bytes in flight: the server's receive window, not ours
    s.connect(("127.0.0.1", port))
    start = b'{"inputs": "'
    s.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
              + f"{len(start):x}\r\n".encode() + start + b"\r\n")
    chunk = b"a" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    s.settimeout(5)
    try:
        # Stop as soon as the answer is there: the server gave up reading.
        while sent < ten_mb and not select.select([s], [], [], 0)[0]:
            s.sendall(framed)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    try:
        status = read_status(s)
    except (ConnectionResetError, socket.timeout):
        status = None
check(status == 413 and sent < ten_mb, f"10 MB chunked body: status {status} after {sent} bytes sent, expected 413 before all 10 MB")
print(f"10 MB body (chunked): 413 after {sent / 1e6:.1f} MB sent (--payload-limit 2 MB)")

# --- 3. Clients that disconnect mid-request ---
long_batch = {"inputs": [" ".join(["interest rates"] * 120)] * 32, "truncate": True}
body = json.dumps(long_batch).encode()


def half_body():
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        s.sendall(body[: len(body) // 2])


def leave_before_answer():
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(0.05)


threads = [threading.Thread(target=half_body if i % 2 else leave_before_answer) for i in range(40)]
t0 = time.time()
for t in threads: t.start()
for t in threads: t.join()
again = post(base, "/embed", {"inputs": texts}, timeout=120)
check(server.poll() is None, "the server died after clients disconnected")
check(all(close(a, b) for a, b in zip(again, reference)), "answers after the disconnects differ")
print(f"disconnects: 20 clients left mid-body, 20 left before their 32 x 256-token answer; served correctly "
      f"{time.time() - t0:.1f} s later")

# --- 4. SIGTERM under load ---
results, lock = [], threading.Lock()
signalled = threading.Event()
sig_time = [0.0]
# 32 inputs per request (the default --max-client-batch-size) from 24 clients: ~1 s of queued work, so requests sent
# 0.2 s before the signal are still in flight when it arrives (8 inputs per request let a fast binary drain too soon).
batch = {"inputs": texts * 16}


def client():
    while True:
        t0 = time.time()
        if signalled.is_set() and t0 > sig_time[0] + 3:
            return
        try:
            answer, status = post(base, "/embed", batch, timeout=60), 200
        except urllib.error.HTTPError as e:
            answer, status = e.read().decode(errors="replace"), e.code
        except Exception as e:
            answer, status = repr(e), -1
        with lock:
            results.append((t0, time.time(), status, answer))
        if status == -1:
            time.sleep(0.05)


workers = [threading.Thread(target=client) for _ in range(24)]
for w in workers: w.start()
time.sleep(3)
sig_time[0] = time.time()
server.send_signal(signal.SIGTERM)
signalled.set()
try:
    rc = server.wait(timeout=60)
except subprocess.TimeoutExpired:
    server.kill()
    sys.exit("SIGTERM under load: the server did not exit within 60 s")
exit_time = time.time()
for w in workers: w.join()

sig = sig_time[0]
before = [r for r in results if r[0] < sig - 0.2]                 # sent well before the signal: in flight or done
finished_after = [r for r in before if r[1] > sig and r[2] == 200]
draining = [r for r in results if sig + 0.1 < r[0] < exit_time]   # sent while in-flight requests drained
late = [r for r in results if r[0] > exit_time + 0.1]             # sent after the process was gone
bad_before = [r for r in before if r[2] != 200]
wrong = [r for r in results if r[2] == 200 and not all(close(a, b) for a, b in zip(r[3], reference * 16))]
check(rc == 0, f"SIGTERM under load: exit {rc}, expected 0")
check(not bad_before, f"SIGTERM under load: {len(bad_before)} requests sent before the signal failed, first: {bad_before[:1]}")
check(finished_after, "SIGTERM under load: no request was in flight at the signal (nothing drained)")
check(not wrong, f"SIGTERM under load: {len(wrong)} wrong answers")
check(all(r[2] == -1 and "Connection refused" in r[3] for r in draining),
      f"SIGTERM under load: requests sent while draining should be refused, got {[(r[2], r[3][:60]) for r in draining[:3]]}")
check(late and all(r[2] == -1 and "Connection refused" in r[3] for r in late),
      f"SIGTERM under load: new requests after exit should be refused, got {[(r[2], r[3][:60]) for r in late[:3]]}")
print(f"SIGTERM under load: {len(before)} requests sent before the signal all answered correctly, "
      f"{len(finished_after)} of them completed after it; exit 0 {exit_time - sig:.2f} s after the signal; "
      f"{len(draining)} requests sent while draining and {len(late)} after exit refused")
print("fault tests passed")
