// The teaching page (GET /) in a real headless browser: Debian's chromium driven by puppeteer-core.
// usage: node browser-test.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]
// Types two sentences, runs them, and asserts that the rendered tokens equal POST /tokenize and the rendered similarity
// equals the cosine of the two POST /embed vectors (computed here); then the "bank" demo of docs/walkthrough.md
// (layer 0, head 4: "bank" attends most to "river", 0.4905) against POST /attention. Screenshots go to ARTIFACT_DIR.
// Exits non-zero on the first failed assertion.
import puppeteer from "puppeteer-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, artifacts, chromium = "/usr/bin/chromium"] = process.argv.slice(2);
if (!base || !artifacts) { console.error("usage: node browser-test.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]"); process.exit(2); }
mkdirSync(artifacts, { recursive: true });

let checks = 0;
function check(condition, message) {
  if (!condition) throw new Error("FAILED: " + message);
  checks++;
}

async function post(path, body) {
  const r = await fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
}

const browser = await puppeteer.launch({
  executablePath: chromium, headless: true,
  // root in CI: chromium's sandbox needs an unprivileged user namespace it may not have.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const pageErrors = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") pageErrors.push(m.text()); });
  page.on("requestfailed", (r) => pageErrors.push(`request failed: ${r.url()}`));
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });

  await page.goto(base + "/", { waitUntil: "load" });
  await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", { timeout: 30000 });

  // --- Two sentences typed in, Run clicked. ---
  const sentences = ["A man is eating food.", "Someone is eating a piece of bread; the café's crêpes cost €5."];
  await page.$eval("#sentences", (e) => { e.value = ""; });
  await page.type("#sentences", sentences.join("\n"));
  await page.$eval("body", (b) => { b.dataset.state = "idle"; });
  await page.click("#run");
  await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", { timeout: 30000 });
  const status = await page.$eval("#status", (e) => e.textContent);
  check(await page.$eval("body", (b) => b.dataset.state) === "ready", `the page ran the sentences (status: ${status})`);

  const rendered = await page.$$eval(".sentence", (divs) => divs.map((d) => [...d.querySelectorAll(".token")].map((t) => ({
    id: Number(t.dataset.id), text: t.dataset.text,
    start: t.dataset.start === "" ? null : Number(t.dataset.start), stop: t.dataset.stop === "" ? null : Number(t.dataset.stop),
    shown: t.querySelector(".t").textContent,
  }))));
  const tokenized = await post("/tokenize", { inputs: sentences });
  check(rendered.length === 2, `two sentences rendered, got ${rendered.length}`);
  for (let s = 0; s < 2; s++) {
    check(rendered[s].length === tokenized[s].length, `sentence ${s}: ${rendered[s].length} tokens rendered, /tokenize has ${tokenized[s].length}`);
    tokenized[s].forEach((t, i) => {
      const r = rendered[s][i];
      check(r.id === t.id && r.text === t.text && r.shown === t.text && r.start === (t.start ?? null) && r.stop === (t.stop ?? null),
        `sentence ${s} token ${i}: rendered ${JSON.stringify(r)}, /tokenize ${JSON.stringify(t)}`);
    });
  }
  const [first, second] = tokenized;
  check(first[0].text === "[CLS]" && first[0].id === 101 && first.at(-1).text === "[SEP]", "the template added [CLS] … [SEP]");

  const vectors = await post("/embed", { inputs: sentences });
  const expected = cosine(vectors[0], vectors[1]);
  const cell = await page.$eval('td.sim[data-i="0"][data-j="1"]', (td) => ({ value: Number(td.dataset.value), text: td.textContent }));
  const mirror = await page.$eval('td.sim[data-i="1"][data-j="0"]', (td) => Number(td.dataset.value));
  const diagonal = await page.$eval('td.sim[data-i="1"][data-j="1"]', (td) => Number(td.dataset.value));
  check(Math.abs(cell.value - expected) <= 1e-6, `similarity on the page ${cell.value} = cosine of the /embed vectors ${expected}`);
  check(cell.text === expected.toFixed(4), `similarity shown as ${cell.text}, expected ${expected.toFixed(4)}`);
  check(Math.abs(mirror - cell.value) <= 1e-7 && Math.abs(diagonal - 1) <= 1e-6, "the matrix is symmetric with 1 on the diagonal");
  console.log(`page: ${first.length} + ${second.length} tokens equal /tokenize; similarity ${cell.text} = cosine(/embed) ${expected.toFixed(6)}`);
  await page.screenshot({ path: join(artifacts, "teaching-page-two-sentences.png"), fullPage: true });

  // --- The "bank" demo: layer 0, head 4, the row of "bank" in "the river flowed over the bank." ---
  await page.$eval("body", (b) => { b.dataset.state = "idle"; });
  await page.click("#bank-demo");
  await page.waitForFunction(() => document.body.dataset.state === "ready"
    && document.querySelector("#row-title").textContent.startsWith("layer 0, head 4"), { timeout: 30000 });
  const river = "the river flowed over the bank.";
  const attention = await post("/attention", { text: river, layer: 0, head: 4 });
  const row = attention.attentions[0][6];
  const bars = await page.$$eval("#bars .bar", (bs) => bs.map((b) => Number(b.dataset.value)));
  const title = await page.$eval("#row-title", (e) => e.textContent);
  check(title.includes('"bank" (token 6)'), `the query is "bank": ${title}`);
  check(bars.length === row.length && bars.every((v, j) => v === row[j]), `bank's row on the page ${bars} = /attention ${row}`);
  const best = row.indexOf(Math.max(...row));
  check(attention.tokens[best] === "river" && Math.abs(row[best] - 0.4905) < 5e-4,
    `layer 0 head 4: bank attends most to ${attention.tokens[best]} (${row[best]}), walkthrough says river 0.4905`);
  const cells = await page.$$eval("#heatmap rect.cell", (rs) => rs.length);
  check(cells === attention.tokens.length ** 2, `heatmap has ${cells} cells for ${attention.tokens.length} tokens`);
  const bankSimilarity = await page.$eval('td.sim[data-i="0"][data-j="1"]', (td) => td.textContent);
  console.log(`bank demo: layer 0 head 4, "bank" -> "river" ${row[best].toFixed(4)}; river/finance sentence similarity ${bankSimilarity}`);
  await page.screenshot({ path: join(artifacts, "teaching-page-bank-demo.png"), fullPage: true });

  check(pageErrors.length === 0, `no page errors: ${pageErrors.join("; ")}`);
  check(external.length === 0, `no request left the server: ${external.join(", ")}`);
  console.log(`browser test passed: ${checks} checks; screenshots in ${artifacts}`);
} catch (e) {
  console.error(e.message);
  if (pageErrors.length) console.error("page errors: " + pageErrors.join("; "));
  process.exitCode = 1;
} finally {
  await browser.close();
}
