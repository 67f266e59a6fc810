// first_frame.mjs — the size of what a visitor downloads and how long until the lab is on screen.
//   node bench/first_frame.mjs [runs]    (scripts/bench builds the page first)
// Bundle: cnnlab.wasm + cnnlab.js + the page's own files, gzip -9 (what a server sends compressed).
// First frame: milliseconds from navigation start to the first frame the app draws (cnnlab.firstFrameMs),
// headless Chromium (SwiftShader WebGL2, no GPU) on a local server, each run in a fresh browser context.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser } from '../tests/e2e/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const site = path.join(root, 'build', 'site');
const runs = Number(process.argv[2] ?? 7);

const kb = (n) => (n / 1024).toFixed(1) + ' KB';
let raw = 0, gz = 0;
console.log('bundle (build/site):');
for (const name of fs.readdirSync(site).sort()) {
  if (fs.statSync(path.join(site, name)).isDirectory()) continue;  // photos/: fetched when a lab shows one
  const data = fs.readFileSync(path.join(site, name));
  const packed = zlib.gzipSync(data, { level: 9 }).length;
  raw += data.length; gz += packed;
  console.log(`  ${name.padEnd(18)} ${kb(data.length).padStart(10)}  gzip ${kb(packed).padStart(9)}`);
}
console.log(`  ${'total'.padEnd(18)} ${kb(raw).padStart(10)}  gzip ${kb(gz).padStart(9)}   (target: under 1024 KB gzipped)`);
const photos = fs.readdirSync(path.join(site, 'photos')).reduce((sum, f) => sum + fs.statSync(path.join(site, 'photos', f)).size, 0);
console.log(`  (photos/, loaded only when the image-kernel lab shows one: ${kb(photos)} of PNG)`);

const server = await startServer(site);
const browser = await launchBrowser();
const times = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.url}?lab=hand-conv`);
    await page.waitForFunction(() => window.cnnlab && window.cnnlab.firstFrameMs !== null, null, { timeout: 60000 });
    times.push(await page.evaluate(() => window.cnnlab.firstFrameMs));
    await context.close();
  }
} finally {
  await browser.close();
  server.stop();
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`first frame over ${runs} loads (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`);
console.log(`first frame: median ${sorted[Math.floor(runs / 2)].toFixed(0)} ms, best ${sorted[0].toFixed(0)} ms, worst ${sorted[runs - 1].toFixed(0)} ms   (target: under 1000 ms)`);
