// Offsets (and ids, type ids) of `bertsharp tokenize` against Hugging Face's Rust tokenizers through its official Node
// binding (npm tokenizers 0.23.2; the NuGet FFI wrapper the test suite uses gives ids only).
//
//   (cd tools/unicode && npm ci)    # once: installs tokenizers@0.23.2 with its linux-x64 native binary
//   node tools/unicode/check_offsets.mjs SHARED_DIR BERTSHARP_DLL [records-per-tokenizer]
//
// For the three golden tokenizers and all-MiniLM-L6-v2: every scalar value between two letters (1,024 per line) and a
// seeded corpus of texts and pairs (marks of every combining class, punctuation, CJK, emoji, odd spaces, special-token
// literals, long words). The Node binding reports offsets in chars (code points) of each sequence; they are converted
// to UTF-16 units, which is what BertSharp reports. Lone surrogates are left out (JavaScript strings allow them, Rust
// strings do not; the C# differential test covers them). Exit code 1 on any difference.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('tokenizers');

const [shared, dll, perTokenizerArg] = process.argv.slice(2);
if (!shared || !dll) {
  console.error('usage: node check_offsets.mjs SHARED_DIR BERTSHARP_DLL [records-per-tokenizer]');
  process.exit(2);
}
const perTokenizer = Number(perTokenizerArg ?? 20000);
const tokenizers = ['golden/tokenizer/uncased', 'golden/tokenizer/cased', 'golden/tokenizer/chinese', 'models/all-MiniLM-L6-v2'];

// mulberry32: a small seeded PRNG, so the corpus is the same on every run.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const marks = [0x300, 0x301, 0x302, 0x308, 0x315, 0x321, 0x323, 0x327, 0x328, 0x334, 0x337, 0x345, 0x34f, 0x35f, 0x5ae, 0x5b0,
  0x64b, 0x93c, 0x94d, 0xe48, 0xf71, 0xf72, 0xf74, 0xf80, 0x1ac7, 0x1baa, 0x1df6, 0x20d2, 0x3099, 0xa953, 0xfe20, 0x1d165,
  0x1d16e, 0x1e944, 0x1734, 0x897, 0x8d3, 0x1171e, 0x111c9];
const punct = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'].map(c => c.codePointAt(0)).concat([0xa1, 0xbf, 0x37e, 0x387, 0x61d,
  0x166d, 0x2014, 0x2026, 0x2e43, 0x2e52, 0x3001, 0xff01, 0x111c9, 0x16e97]);
const spaces = [0x20, 0x9, 0xa, 0xd, 0xb, 0xc, 0x85, 0xa0, 0x1680, 0x180e, 0x2009, 0x200b, 0x200d, 0x2028, 0x3000, 0xfeff, 0x0,
  0x7f, 0xad, 0x8e2, 0xfffd, 0xe000, 0xe0041];
const cjk = [0x4e2d, 0x6587, 0x3400, 0xf900, 0x20000, 0x2b820, 0x2b920, 0x2f800, 0x30000, 0xac00, 0xd4db, 0x1100];
const emoji = [0x1f600, 0x1f468, 0x200d, 0x1f3fb, 0x1f1fa, 0xfe0f, 0x20e3];
const letters = [0xc0, 0xc5, 0xe9, 0xdf, 0x130, 0x1c4, 0x3a3, 0x1e9e, 0x212a, 0x1e09, 0x1f82, 0xfb01, 0x10400, 0xa7cb, 0x1c89, 0x0cca, 0x2adc];
const specials = ['[CLS]', '[SEP]', '[MASK]', '[PAD]', '[UNK]', '[mask]', '[MASK', 'MASK]'];

function corpus(seed, words, n) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const cp = (c) => String.fromCodePoint(c);
  const randomCp = () => {
    const k = r();
    if (k < 0.2) return 0x20 + Math.floor(r() * 0x5f);
    if (k < 0.5) { const c = 0x80 + Math.floor(r() * 0xff80); return c >= 0xd800 && c <= 0xdfff ? c - 0x5000 : c; }
    if (k < 0.7) return 0x10000 + Math.floor(r() * 0x30000);
    if (k < 0.8) return 0x40000 + Math.floor(r() * 0xd0000);
    return pick(marks);
  };
  const word = () => { const w = pick(words); const k = r(); return k < 0.15 ? w.toUpperCase() : k < 0.3 ? w[0].toUpperCase() + w.slice(1) : w; };
  const text = () => {
    let s = '';
    const kind = Math.floor(r() * 6);
    const n = 1 + Math.floor(r() * 15);
    for (let i = 0; i < n; i++) {
      if (kind === 0) { s += cp(randomCp()); continue; }
      if (kind === 1) { s += cp(pick([pick(marks), pick(punct), pick(spaces), pick(cjk), pick(emoji), pick(letters), randomCp()])); continue; }
      if (kind === 2) { s += cp(r() < 0.7 ? 0x61 + Math.floor(r() * 26) : pick(letters)); for (let k = Math.floor(r() * 6); k > 0; k--) s += cp(r() < 0.2 ? pick(spaces) : pick(marks)); continue; }
      if (kind === 3 && r() < 0.4) { s += pick(specials); if (r() < 0.3) s += cp(pick(marks)); }
      if (i > 0) s += r() < 0.2 ? cp(pick(spaces)) : ' ';
      const k = r();
      if (k < 0.1) s += cp(pick(cjk));
      else if (k < 0.15) s += cp(pick(emoji));
      else if (k < 0.25) s += cp(pick(punct)) + word();
      else if (kind === 4 && k < 0.35) s += word().repeat(20 + Math.floor(r() * 20));
      else for (const ch of word()) { s += ch; if (r() < 0.15) s += cp(pick(marks)); if (r() < 0.03) s += cp(pick(letters)); }
    }
    return s;
  };
  const records = [];
  for (let i = 0; i < n; i++) records.push({ text: text(), pair: r() < 0.25 ? text() : null });
  return records;
}

function scalarChunks() {
  const records = [];
  for (let first = 0; first < 0x110000; first += 1024) {
    const items = [];
    for (let c = first; c < first + 1024; c++) if (c < 0xd800 || c > 0xdfff) items.push('a' + String.fromCodePoint(c) + 'b');
    if (items.length) records.push({ text: items.join(' '), pair: null, first });
  }
  return records;
}

/** Lone surrogates -> U+FFFD (what BertSharp makes of them too; a Rust string cannot hold them). */
const wellFormed = (s) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** UTF-16 index of each code point boundary of s: result[k] = UTF-16 offset of the k-th code point. */
function utf16Positions(s) {
  const positions = [0];
  for (const ch of s) positions.push(positions[positions.length - 1] + ch.length);
  return positions;
}

let total = 0, differing = 0;
for (const relative of tokenizers) {
  const dir = path.join(shared, relative);
  const tok = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
  tok.disableTruncation();
  tok.disablePadding();
  const vocab = Object.keys(JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).model.vocab)
    .map(w => w.startsWith('##') ? w.slice(2) : w).filter(w => w.length > 0 && !w.startsWith('['));
  const records = [...scalarChunks(), ...corpus(15, vocab, perTokenizer)]
    .map(r => ({ ...r, text: wellFormed(r.text), pair: r.pair === null ? null : wellFormed(r.pair) }))
    // Blank texts are left out: how the CLI treats a blank line is the CLI's business, not the tokenizer's.
    .filter(r => r.text.trim() !== '' && (r.pair === null || r.pair.trim() !== ''));
  const input = records.map(r => JSON.stringify(r.pair === null ? { text: r.text } : { text: r.text, text_pair: r.pair })).join('\n') + '\n';
  const out = execFileSync('dotnet', ['exec', dll, 'tokenize', '--model', dir], { input, maxBuffer: 1 << 30, encoding: 'utf8' })
    .split('\n').filter(l => l.length > 0).map(l => JSON.parse(l));
  if (out.length !== records.length) throw new Error(`${relative}: ${out.length} output lines for ${records.length} records`);
  let bad = 0;
  const examples = [];
  for (let i = 0; i < records.length; i++) {
    const { text, pair } = records[i];
    const e = await tok.encode(text, pair);
    const ids = e.getIds(), typeIds = e.getTypeIds();
    const pos = [utf16Positions(text), pair === null ? null : utf16Positions(pair)];
    const offsets = e.getOffsets().map(([s, t], k) => {
      if (s === 0 && t === 0) return [0, 0];
      const p = pos[typeIds[k]];
      return [p[s], p[t]];
    });
    const ours = out[i];
    const same = JSON.stringify(ours.ids) === JSON.stringify(ids) && JSON.stringify(ours.type_ids) === JSON.stringify(typeIds)
      && JSON.stringify(ours.offsets) === JSON.stringify(offsets);
    if (same) continue;
    bad++;
    if (examples.length < 10) {
      const n = Math.max(ids.length, ours.ids.length);
      let k = 0;
      while (k < n && ours.ids[k] === ids[k] && ours.type_ids[k] === typeIds[k] && JSON.stringify(ours.offsets[k]) === JSON.stringify(offsets[k])) k++;
      examples.push(`  ${JSON.stringify(text.length > 80 ? text.slice(0, 80) + '…' : text)}${pair === null ? '' : ' / ' + JSON.stringify(pair.slice(0, 40))}: ` +
        `first difference at token ${k}: ours ${JSON.stringify(ours.tokens?.[k])} ${JSON.stringify(ours.offsets[k])} ids ${ours.ids[k]}, ` +
        `Rust ${JSON.stringify(e.getTokens()[k])} ${JSON.stringify(offsets[k])} ids ${ids[k]}`);
    }
  }
  console.log(`${relative}: ${records.length} records (${records.filter(r => r.pair !== null).length} pairs), ${bad} differ in ids/type ids/offsets`);
  for (const x of examples) console.log(x);
  total += records.length;
  differing += bad;
}
console.log(`offsets check against the Rust tokenizers' Node binding: ${total} records, ${differing} differ`);
process.exit(differing === 0 ? 0 : 1);
