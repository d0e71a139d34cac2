#!/usr/bin/env bash
# Faults against a real `bertsharp serve` process (tools/server/fault_test.py): missing model, 10 MB bodies, clients
# that disconnect mid-request, SIGTERM under load. Env: BERTSHARP_BIN, BERTSHARP_SHARED (tools/server/common.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
resolve_bertsharp
python3 "$here/fault_test.py" "$model" "${BERTSHARP[@]}"
