#!/usr/bin/env bash
# The NuGet packages work for a consumer: pack every packable project of BertSharp.sln into a temporary local feed,
# check each package's contents, publish samples/EmbedSample from that feed (PackageReference only) with NativeAOT and
# -warnaserror, run the native sample on all-MiniLM-L6-v2 and check its output against the bertsharp CLI.
# usage: tools/pack-and-sample.sh [SHARED_DIR]   (default: ../shared beside the repository)
#
# Stale-cache trap: the global NuGet cache keeps a package id+version forever, so re-packing 0.1.0 would silently give
# the sample the old bits. Each run packs a unique prerelease version (0.1.0-ci.<time>.<pid>) and deletes it from the
# cache afterwards.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "${1:-$repo/../shared}" && pwd)
model=$shared/models/all-MiniLM-L6-v2
[ -f "$model/config.json" ] || { echo "pack-and-sample: no model at $model (pass the shared folder)" >&2; exit 1; }
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

prefix=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
version=$prefix-ci.$(date +%s).$$
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
tmp=$(mktemp -d)
cleanup() {
  rm -rf "$tmp"
  for d in "$cache"/bertsharp*/"$version"; do
    [ -d "$d" ] && rm -rf "$d" && rmdir --ignore-fail-on-non-empty "$(dirname "$d")"
  done
  return 0
}
trap cleanup EXIT
case $(uname -m) in x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; *) echo "unsupported machine $(uname -m)" >&2; exit 1 ;; esac
seconds() { echo "$(( ($(date +%s%N) - $1) / 1000000 ))ms"; }
started=$(date +%s%N)

# --- pack: every packable project (IsPackable=false marks the rest), built apart from bin/ and obj/ ---
t=$(date +%s%N)
dotnet pack BertSharp.sln -c Release -o "$tmp/feed" --artifacts-path "$tmp/pack-build" -warnaserror \
  -p:Version="$version" -p:ContinuousIntegrationBuild=true > "$tmp/pack.log" 2>&1 || { cat "$tmp/pack.log"; exit 1; }
echo "packed $version in $(seconds "$t"):"
for p in BertSharp BertSharp.Weights BertSharp.Tokenization BertSharp.Extensions.AI; do
  [ -f "$tmp/feed/$p.$version.nupkg" ] || { echo "missing package $p" >&2; ls "$tmp/feed" >&2; exit 1; }
done
for nupkg in "$tmp/feed"/*.nupkg; do
  id=$(basename "$nupkg" ".$version.nupkg")
  files=$(unzip -Z1 "$nupkg")
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  for want in 'lib/net10.0/[^/]*\.dll' 'lib/net10.0/[^/]*\.xml' 'README\.md'; do
    grep -qx "$want" <<<"$files" || { echo "$id: no $want in the package" >&2; echo "$files" >&2; exit 1; }
  done
  for want in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<description>'; do
    grep -qF "$want" <<<"$nuspec" || { echo "$id: nuspec lacks $want" >&2; echo "$nuspec" >&2; exit 1; }
  done
  deps=$(grep -o '<dependency id="[^"]*" version="[^"]*"' <<<"$nuspec" | cut -d'"' -f2,4 | tr '"\n' ' ,' || true)
  deps=${deps%,}
  echo "  $id $(stat -c %s "$nupkg") bytes; dependencies: ${deps:-none}"
done
# (listings are read whole before grep -q: an early grep exit would SIGPIPE unzip and fail the pipeline under pipefail)
grep -qx 'buildTransitive/BertSharp.targets' <<<"$(unzip -Z1 "$tmp/feed/BertSharp.$version.nupkg")" \
  || { echo "BertSharp lacks buildTransitive/BertSharp.targets (the NativeAOT instruction-set warning)" >&2; exit 1; }
for dep in BertSharp.Weights BertSharp.Tokenization; do
  grep -qF "<dependency id=\"$dep\" version=\"$version\"" <<<"$(unzip -p "$tmp/feed/BertSharp.$version.nupkg" BertSharp.nuspec)" \
    || { echo "BertSharp does not depend on $dep $version" >&2; exit 1; }
done
grep -qF "<dependency id=\"BertSharp\" version=\"$version\"" <<<"$(unzip -p "$tmp/feed/BertSharp.Extensions.AI.$version.nupkg" BertSharp.Extensions.AI.nuspec)" \
  || { echo "BertSharp.Extensions.AI does not depend on BertSharp $version" >&2; exit 1; }

# --- the sample, restored from the feed (samples/EmbedSample/nuget.config reads BERTSHARP_FEED) and published AOT ---
t=$(date +%s%N)
BERTSHARP_FEED="$tmp/feed" dotnet publish samples/EmbedSample -c Release -r "$rid" -o "$tmp/app" \
  --artifacts-path "$tmp/sample-build" -warnaserror -p:BertSharpVersion="$version" > "$tmp/publish.log" 2>&1 \
  || { cat "$tmp/publish.log"; exit 1; }
grep -q "Generating native code" "$tmp/publish.log" || { cat "$tmp/publish.log"; echo "no NativeAOT compilation" >&2; exit 1; }
echo "sample published with NativeAOT from the feed in $(seconds "$t"): $(stat -c %s "$tmp/app/EmbedSample") bytes"

# --- run it: bad arguments fail clearly; the embeddings are right ---
if "$tmp/app/EmbedSample" 2> "$tmp/usage.txt"; then echo "EmbedSample without arguments succeeded" >&2; exit 1; fi
grep -q "usage:" "$tmp/usage.txt" || { echo "EmbedSample without arguments printed no usage" >&2; exit 1; }
if "$tmp/app/EmbedSample" "$tmp/no-such-model" x y 2> "$tmp/bad-model.txt"; then echo "EmbedSample on a missing model succeeded" >&2; exit 1; fi
grep -q "cannot load model" "$tmp/bad-model.txt" || { echo "EmbedSample on a missing model: unclear error" >&2; cat "$tmp/bad-model.txt" >&2; exit 1; }
a="A man is eating food." b="A man is eating a piece of bread." c="The stock market fell sharply today."
t=$(date +%s%N)
"$tmp/app/EmbedSample" "$model" "$a" "$b" "$c" > "$tmp/sample.txt"
echo "native sample run (load + 3 sentences): $(seconds "$t")"
dotnet build tools/bertsharp -c Release > "$tmp/cli-build.log" 2>&1 || { cat "$tmp/cli-build.log"; exit 1; }
dotnet tools/bertsharp/bin/Release/net10.0/bertsharp.dll embed --model "$model" "$a" "$b" "$c" > "$tmp/cli.jsonl"
python3 - "$tmp/sample.txt" "$tmp/cli.jsonl" <<'PY'
import json, math, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == "dimension: 384", lines[0]
printed = float(lines[1].removeprefix("similarity: "))
# the IEmbeddingGenerator (BertSharp.Extensions.AI through DI) must give the very same vectors
assert lines[2].startswith("generator: 3 embeddings from all-MiniLM-L6-v2,") and lines[2].endswith("max |diff| 0"), lines[2]
rows = [json.loads(l) for l in lines[3:]]
vecs = [r["embedding"] for r in rows]
assert len(vecs) == 3 and all(len(v) == 384 for v in vecs), [len(v) for v in vecs]
cos = lambda u, v: sum(x * y for x, y in zip(u, v)) / math.sqrt(sum(x * x for x in u) * sum(y * y for y in v))
similar, unrelated = cos(vecs[0], vecs[1]), cos(vecs[0], vecs[2])
assert abs(printed - similar) <= 1e-5, (printed, similar)
assert similar > unrelated, (similar, unrelated)
cli = [json.loads(l)["embedding"] for l in open(sys.argv[2])]
diff = max(abs(x - y) for u, v in zip(vecs, cli) for x, y in zip(u, v))
# Equal up to float32 rounding: the native sample targets x86-64-v3, the CLI's JIT may use wider vectors.
assert len(cli) == 3 and diff <= 1e-6, f"sample differs from the CLI: {diff}"
print(f"sample output ok: dimension 384, similarity(similar) {similar:.4f} > similarity(unrelated) {unrelated:.4f}, "
      f"max |sample - CLI| {diff:.3g}")
PY
echo "pack-and-sample: all checks passed in $(seconds "$started")"
