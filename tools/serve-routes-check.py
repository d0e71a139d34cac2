#!/usr/bin/env python3
"""The NativeAOT `bertsharp serve` answers every route as the JIT build does (numbers within 1e-6: the AOT binary
targets x86-64-v3, the JIT may use AVX-512), on the tiny shared checkpoints (sequence classifier, masked LM): TEI's
/predict, /embed (text and token ids, left truncation), /v1/embeddings (ids, base64), /embed_all, /embed_sparse,
/decode, /info, BertSharp's /fill_mask, the 424s of routes a checkpoint cannot serve, and /metrics; SIGTERM exits 0.
Usage: serve-routes-check.py AOT_BINARY JIT_DLL SHARED_TINY_DIR"""
import base64, json, os, shutil, socket, struct, subprocess, sys, tempfile, time, urllib.error, urllib.request

aot, jit_dll, tiny = sys.argv[1:4]

def folder(name, work):
    """A model folder: the tiny checkpoint with the shared vocab.txt and tokenizer_config.json beside it."""
    d = os.path.join(work, name)
    os.makedirs(d)
    for f in ("config.json", "model.safetensors"): shutil.copy(os.path.join(tiny, name, f), d)
    for f in ("vocab.txt", "tokenizer_config.json"): shutil.copy(os.path.join(tiny, f), d)
    return d

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def start(cmd, model):
    port = free_port()
    proc = subprocess.Popen(cmd + ["serve", "--model", model, "--host", "127.0.0.1", "--port", str(port)], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/health", timeout=1); return proc, base
        except Exception:
            if proc.poll() is not None: sys.exit(f"serve exited early with {proc.returncode}")
            time.sleep(0.1)
    sys.exit("serve did not start")

def call(base, path, body):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r: return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def floats(b64):
    raw = base64.b64decode(b64)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))

def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool): return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)): return abs(a - b) <= 1e-6
    if isinstance(a, list): return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            same(floats(a[k]), floats(b[k])) if k == "embedding" and isinstance(a[k], str) else same(a[k], b[k]) for k in a)
    return a == b

CHECKS = {
    "seq-cls": [
        ("/predict", {"inputs": "the movie was great"}, 200),
        ("/predict", {"inputs": [["bad"], ["good", "fine"]], "raw_scores": True}, 200),
        ("/embed", {"inputs": [[101, 2023, 102], "hello world"]}, 200),
        ("/embed", {"inputs": " ".join(["word"] * 100), "truncate": True, "truncation_direction": "Left"}, 200),
        ("/v1/embeddings", {"input": [[101, 2023, 102], [2023]], "encoding_format": "base64"}, 200),
        ("/embed_all", {"inputs": ["hello world", "a"], "layer": 1}, 200),
        ("/embed_all", {"inputs": "hello", "output_hidden_states": True}, 200),
        ("/decode", {"ids": [[101, 2023, 102], [2023]], "skip_special_tokens": False}, 200),
        ("/info", None, 200),
        ("/rerank", {"query": "a", "texts": ["b"]}, 424),
        ("/fill_mask", {"inputs": "a [MASK]"}, 424),
        ("/embed", {"inputs": " ".join(["word"] * 100)}, 422),
        ("/embed", {"inputs": []}, 400),
    ],
    "masked-lm": [
        ("/embed_sparse", {"inputs": ["hello world", "the cat"]}, 200),
        ("/fill_mask", {"inputs": ["the [MASK] sat on the mat", "[MASK] [MASK]"], "top_k": 3}, 200),
        ("/predict", {"inputs": "a"}, 424),
    ],
}

work = tempfile.mkdtemp()
failures = 0
try:
    for name, checks in CHECKS.items():
        model = folder(name, work)
        pa, a = start([aot], model)
        pj, j = start(["dotnet", jit_dll], model)
        try:
            for path, body, status in checks:
                (sa, ta), (sj, tj) = call(a, path, body), call(j, path, body)
                ok = sa == sj == status and same(json.loads(ta), json.loads(tj))
                failures += not ok
                print(f"NativeAOT serve {name} {path}: {sa} {'= JIT' if ok else f'!= JIT ({sj}) or expected {status}'}")
            metrics = call(a, "/metrics", None)[1]
            ok = 'te_request_count{route="/predict"' in metrics or 'te_request_count{route="/embed_sparse"' in metrics
            failures += not ok
            print(f"NativeAOT serve {name} /metrics: {'has' if ok else 'LACKS'} te_request_count by route")
        finally:
            for p in (pa, pj): p.terminate()
            codes = [p.wait(timeout=30) for p in (pa, pj)]
        failures += codes != [0, 0]
        print(f"NativeAOT serve {name}: SIGTERM -> exit {codes[0]} (JIT {codes[1]})")
finally:
    shutil.rmtree(work)
sys.exit(1 if failures else 0)
