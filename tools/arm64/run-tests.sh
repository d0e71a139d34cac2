#!/usr/bin/env bash
# ARM64 correctness under emulation (docs/arm64.md): the Tests/ suites listed in tools/arm64/TestRunner run on
# linux-arm64 under qemu-user, with AdvSimd and Dp asserted inside the run; then the NativeAOT linux-arm64 CLI embeds
# under qemu and must equal the x64 CLI. Installs its Debian packages when missing (needs root, as in CI).
#
# Usage: tools/arm64/run-tests.sh [SHARED]        SHARED defaults to ../shared (relative to the repository root)
# Env:   BERTSHARP_CPU_LOCK=/tmp/bertsharp-cpu.lock   run each heavy step under that flock (shared dev machines)
#        ARM64_SKIP_AOT=1                             only the test run
#        ARM64_FILTER="FullyQualifiedName~Gemm"       replaces the default test filter (below)
# Output: artifacts/arm64/ (full test log, embeddings). Exit status non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
shared=$(cd "${1:-../shared}" && pwd)
out=$PWD/artifacts/arm64
rm -rf "$out" && mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 TESTINGPLATFORM_TELEMETRY_OPTOUT=1
sysroot=/usr/aarch64-linux-gnu
# .NET's W^X code-page double mapping does not work under qemu-user: off for the emulated processes only.
emulate=(env DOTNET_EnableWriteXorExecute=0 qemu-aarch64 -L "$sysroot")
heavy() { if [ -n "${BERTSHARP_CPU_LOCK:-}" ]; then flock "$BERTSHARP_CPU_LOCK" "$@"; else "$@"; fi; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

# --- 1. Debian packages: the emulator and the arm64 C runtime; for NativeAOT also clang/lld and the arm64 dev files. ---
missing=()
command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || missing+=(libc6-arm64-cross)
[ -e "$sysroot/lib/libstdc++.so.6" ] || missing+=(libstdc++6-arm64-cross)
if [ -z "${ARM64_SKIP_AOT:-}" ]; then
  command -v clang >/dev/null 2>&1 || missing+=(clang)
  command -v ld.lld >/dev/null 2>&1 || missing+=(lld)
  command -v llvm-objcopy >/dev/null 2>&1 || missing+=(llvm)
  [ -e "$sysroot/lib/crt1.o" ] || missing+=(libc6-dev-arm64-cross)
  ls /usr/lib/gcc-cross/aarch64-linux-gnu/*/crtbegin.o >/dev/null 2>&1 || missing+=(libgcc-12-dev-arm64-cross)
  ls /usr/lib/gcc-cross/aarch64-linux-gnu/*/libstdc++.so >/dev/null 2>&1 || missing+=(libstdc++-12-dev-arm64-cross)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "arm64: installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > "$out/apt.log" \
    || { cat "$out/apt.log"; exit 1; }
fi
echo "arm64: $(qemu-aarch64 --version | head -n 1)"

# --- 2. The test runner, self-contained for linux-arm64 (JIT, as users of the NuGet packages run it). ---
t=$(date +%s)
heavy dotnet publish tools/arm64/TestRunner -c Release -r linux-arm64 --self-contained -p:PublishAot=false \
  -o "$out/tests" > "$out/publish-tests.log" 2>&1 || { tail -n 30 "$out/publish-tests.log"; exit 1; }
echo "arm64: test runner published in $(elapsed "$t")"

# --- 3. Run it under qemu. The runner's SetUpFixture fails every test unless AdvSimd, Dp and 128-bit Vector<T> are on. ---
# Left out by the filter: EngineAllocationTests and Int8RunIntoAllocatesNothingInTheSteadyState (100–200 warm-up forward
# passes of MiniLM per case to prove the steady state allocates nothing: ~5 min each emulated, and allocation does not
# depend on the ISA), and Int8ModelAccuracyTests (fp32 + int8 MiniLM over the 308-text set: many minutes emulated; the
# ArmDot kernel is bit-exact against the integer reference in the kernel suites, and the gate runs on x64).
filter=${ARM64_FILTER:-FullyQualifiedName!~EngineAllocationTests&FullyQualifiedName!~Int8RunIntoAllocatesNothingInTheSteadyState&FullyQualifiedName!~Int8ModelAccuracyTests}
minimum=${ARM64_FILTER:+1}
t=$(date +%s)
set +e
BERTSHARP_SHARED="$shared" BERTSHARP_ARM64_RESULTS="$out/results.jsonl" heavy "${emulate[@]}" "$out/tests/BertSharp.Arm64Tests" \
  --filter "$filter" --minimum-expected-tests "${minimum:-800}" --timeout 30m --output Detailed --show-stdout All --no-ansi \
  --progress off --results-directory "$out/results" > "$out/tests.log" 2>&1
tests_rc=$?
set -e
echo "arm64: tests ran in $(elapsed "$t") under emulation (exit code $tests_rc); full log: artifacts/arm64/tests.log"
python3 tools/arm64/summarize.py ${ARM64_FILTER:+--partial} "$out/results.jsonl" "$out/tests.log" || tests_rc=1
if [ "$tests_rc" -ne 0 ]; then
  echo "arm64: FAILED; the failing tests:" >&2
  # each failed test's block (name, message, stack), the first 300 lines of them; else the log's end (the app crashed)
  if grep -qE "^(failed|error|timed out|canceled) " "$out/tests.log"; then
    awk '/^[^ ]/ { p = ($0 ~ /^(failed|error|timed out|canceled) /) } p' "$out/tests.log" | head -n 300 >&2
  else
    tail -n 60 "$out/tests.log" >&2
  fi
fi

# --- 4. NativeAOT linux-arm64 CLI (clang cross-links against the Debian arm64 sysroot): embed under qemu, equal x64. ---
aot_rc=0
if [ -z "${ARM64_SKIP_AOT:-}" ]; then
  t=$(date +%s)
  model="$shared/models/all-MiniLM-L6-v2"
  texts=("BertSharp runs BERT in pure managed C#." "Dogs bark." "The quick brown fox jumps over the lazy dog, again and again, until the sun sets over the hills.")
  if heavy dotnet publish tools/bertsharp -c Release -r linux-arm64 -o "$out/aot" -warnaserror > "$out/publish-aot.log" 2>&1 \
    && heavy dotnet build tools/bertsharp -c Release > "$out/build-x64.log" 2>&1; then
    # ELF e_machine (bytes 18-19, little-endian) 183 = AArch64
    machine=$(od -An -tu2 -j18 -N2 "$out/aot/bertsharp" | tr -d ' ')
    [ "$machine" = 183 ] || { echo "arm64: NativeAOT output is not an AArch64 ELF (e_machine $machine)" >&2; aot_rc=1; }
    echo "arm64: NativeAOT binary: AArch64 ELF, $(stat -c %s "$out/aot/bertsharp") bytes (built in $(elapsed "$t"))"
    heavy dotnet tools/bertsharp/bin/Release/net10.0/bertsharp.dll embed --model "$model" "${texts[@]}" > "$out/x64.jsonl"
    t=$(date +%s)
    heavy "${emulate[@]}" "$out/aot/bertsharp" embed --model "$model" "${texts[@]}" > "$out/aot-arm64.jsonl" || aot_rc=1
    echo "arm64: NativeAOT embed of ${#texts[@]} texts under qemu: $(elapsed "$t")"
    python3 - "$out/x64.jsonl" "$out/aot-arm64.jsonl" <<'PY' || aot_rc=1
import json, sys
x64 = [json.loads(l)["embedding"] for l in open(sys.argv[1])]
arm = [json.loads(l)["embedding"] for l in open(sys.argv[2])]
assert len(x64) == len(arm) == 3 and all(len(v) == 384 for v in arm), (len(x64), len(arm))
diff = max(abs(a - b) for u, v in zip(x64, arm) for a, b in zip(u, v))
print(f"arm64: NativeAOT linux-arm64 vs x64 (JIT) embeddings, 3 texts x 384: max abs diff {diff:.3g}")
# Equal up to float32 rounding: 4-lane NEON kernels sum in a different order than the x64 AVX-512/AVX2 ones.
assert diff <= 1e-6, f"NativeAOT linux-arm64 output differs from x64: {diff}"
PY
  else
    aot_rc=1
    echo "arm64: NativeAOT linux-arm64 publish FAILED:" >&2
    tail -n 30 "$out/publish-aot.log" "$out/build-x64.log" >&2 || true
  fi
fi

echo "arm64: step took $(elapsed "$started")"
python3 tools/arm64/summarize.py --counts-only "$out/results.jsonl" || true
[ "$tests_rc" -eq 0 ] && [ "$aot_rc" -eq 0 ]
