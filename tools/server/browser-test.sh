#!/usr/bin/env bash
# The teaching page (GET /) of `bertsharp serve` in headless chromium (tools/server/browser-test.mjs): rendered tokens
# equal /tokenize, the rendered similarity equals the cosine of the /embed vectors, the walkthrough's "bank" demo shows
# river 0.4905. Installs Debian's chromium (apt) and npm puppeteer-core (tools/server/node_modules) when missing.
# Screenshots: tools/server/artifacts/ (gitignored). Env: BERTSHARP_BIN, BERTSHARP_SHARED (tools/server/common.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"

if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

resolve_bertsharp
port=$(free_port)
log=$(mktemp)
"${BERTSHARP[@]}" serve --model "$model" --host 127.0.0.1 --port "$port" 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; rm -f "$log"' EXIT
wait_healthy "http://127.0.0.1:$port" "$pid" || { cat "$log" >&2; exit 1; }
node "$here/browser-test.mjs" "http://127.0.0.1:$port" "$here/artifacts" "$(command -v chromium)"
stop_server "$pid"
trap 'rm -f "$log"' EXIT
