# Shell helpers for the server scripts (tools/server/*.sh, deploy/*.sh); source it, don't run it.
# BERTSHARP_BIN: the `bertsharp` to serve with, a NativeAOT binary or a bertsharp.dll (run with dotnet). Unset = the JIT
# build at tools/bertsharp/bin/Release/net10.0/bertsharp.dll, built first when missing.
# BERTSHARP_SHARED: the shared data folder (default ../shared beside the repository), for models/all-MiniLM-L6-v2.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
shared="${BERTSHARP_SHARED:-$repo_root/../shared}"
model="${BERTSHARP_MODEL:-$shared/models/all-MiniLM-L6-v2}"

# Sets the array BERTSHARP (the command line that runs bertsharp).
resolve_bertsharp() {
  local bin="${BERTSHARP_BIN:-}"
  if [ -z "$bin" ]; then
    bin="$repo_root/tools/bertsharp/bin/Release/net10.0/bertsharp.dll"
    if [ ! -f "$bin" ]; then
      echo "building the JIT bertsharp (tools/bertsharp, Release)" >&2
      dotnet build "$repo_root/tools/bertsharp" -c Release -nologo -v q >&2
    fi
  fi
  case "$bin" in
    *.dll) BERTSHARP=(dotnet "$bin") ;;
    *) BERTSHARP=("$bin") ;;
  esac
  if [ ! -d "$model" ]; then echo "model folder $model not found (set BERTSHARP_SHARED or BERTSHARP_MODEL)" >&2; return 1; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_healthy URL PID: polls URL/health until 200 (60 s at most) while PID is alive.
wait_healthy() {
  python3 - "$1" "$2" <<'PY'
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 60
while time.time() < deadline:
    try:
        urllib.request.urlopen(url + "/health", timeout=1)
        sys.exit(0)
    except Exception:
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit(f"process {pid} exited before {url}/health answered")
        time.sleep(0.1)
sys.exit(f"{url}/health did not answer within 60 s")
PY
}

# stop_server PID: SIGTERM, wait, and fail unless it exits 0.
stop_server() {
  local pid=$1 rc=0
  kill -TERM "$pid" 2>/dev/null || return 0
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then echo "serve (pid $pid) exited $rc after SIGTERM" >&2; return 1; fi
}
