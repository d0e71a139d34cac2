#!/bin/bash
# Regenerates bertsharp.order: the managed methods a `--help` run, an int8 `embed` run and an fp32 `embed` run execute,
# in first-run order.
# NativeAOT places them first in the code section (IlcOrderFile, bertsharp.csproj), so a run faults in ~1.3 MB of code
# instead of ~4.9 MB scattered over the 6.7 MB section. Names ILC no longer emits are ignored and unlisted methods
# follow in default order, so a stale file only costs memory, never correctness.
# Needs valgrind, elfutils (eu-unstrip), python3; run under the CPU lock (about 7 minutes on 2 cores):
#   flock /tmp/bertsharp-cpu.lock tools/bertsharp/layout/make-order-file.sh /work/shared/models/all-MiniLM-L6-v2
set -euo pipefail
MODEL=${1:?usage: make-order-file.sh MODEL_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
dotnet publish "$HERE/.." -c Release -r linux-x64 -o "$WORK/pub" -p:IlcOrderFile= >/dev/null
# valgrind cannot read the DWARF in bertsharp.dbg: give it a binary that carries the symbol table only.
eu-unstrip "$WORK/pub/bertsharp" "$WORK/pub/bertsharp.dbg" -o "$WORK/full"
objcopy --strip-debug --remove-section=.gnu_debuglink "$WORK/full" "$WORK/bertsharp"
nm -n "$WORK/bertsharp" > "$WORK/nm.txt"
readelf -SW "$WORK/bertsharp" | awk '$2=="__managedcode"{print $4, $6}' > "$WORK/managedcode.txt"
valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$WORK/help.cg" "$WORK/bertsharp" --help >/dev/null 2>&1
valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$WORK/int8.cg" "$WORK/bertsharp" embed --model "$MODEL" \
  --quantize int8 "The quick brown fox jumps over the lazy dog." >/dev/null 2>&1
valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$WORK/fp32.cg" "$WORK/bertsharp" embed --model "$MODEL" \
  "The quick brown fox jumps over the lazy dog." >/dev/null 2>&1
python3 - "$WORK" > "$HERE/bertsharp.order" <<'PY'
import bisect, re, sys
work = sys.argv[1]
start, size = (int(x, 16) for x in open(f"{work}/managedcode.txt").read().split())
syms = sorted((int(p[0], 16), p[2]) for p in (l.split() for l in open(f"{work}/nm.txt")) if len(p) == 3 and p[1] in "tT")
syms = [(a, n) for a, n in syms if start <= a < start + size]
starts = [a for a, _ in syms]
# valgrind maps a PIE at 0x108000; it reports the managed code section under an unnamed object with absolute addresses.
BASE = 0x108000
seen, hits = set(), 0
for cg in ("help.cg", "int8.cg", "fp32.cg"):
    obs, ob, last = {}, "", 0
    for line in open(f"{work}/{cg}"):
        m = re.match(r"^(c?ob)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if m:
            if m.group(3) is not None: obs[m.group(2)] = m.group(3)
            if m.group(1) == "ob": ob = obs.get(m.group(2), "")
            continue
        if not line or line[0] not in "0123456789+-*": continue
        tok = line.split()[0]
        if tok == "*": a = last
        elif tok[0] in "+-":
            d = int(tok[1:], 16) if tok[1:].startswith("0x") else int(tok[1:])
            a = last + d if tok[0] == "+" else last - d
        else: a = int(tok, 16) if tok.startswith("0x") else int(tok)
        last = a
        if ob == "???": a -= BASE
        elif "bertsharp" not in ob: continue
        if not (start <= a < start + size): continue
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0 and syms[i][1] not in seen:
            seen.add(syms[i][1]); hits += 1; print(syms[i][1])
if hits < 500: sys.exit(f"only {hits} managed methods found: is BASE still where valgrind maps the binary?")
PY
rm -rf "$WORK"
wc -l "$HERE/bertsharp.order"
