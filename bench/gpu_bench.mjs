// gpu_bench.mjs — the GPU backend (?bench=gpu, web/gpu_bench.cpp) and TF.js's WebGL backend
// (bench/tfjs_conv.html) doing the same convolutions in the same headless Chromium, one after the
// other; prints a table and the JSON. scripts/bench builds build/bench-site first.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser } from '../tests/e2e/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const browser = await launchBrowser();
let ours, theirs;
try {
  let server = await startServer(path.join(root, 'build', 'site'));
  let page = await browser.newPage();
  await page.goto(server.url + '?bench=gpu');
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null && cnnlab.state().bench, null, { timeout: 300000 });
  ours = (await page.evaluate(() => cnnlab.state())).bench;
  await page.close();
  server.stop();
  server = await startServer(path.join(root, 'build', 'bench-site'), 'tfjs_conv.html');
  page = await browser.newPage();
  await page.goto(server.url + 'tfjs_conv.html');
  await page.waitForFunction(() => window.result, null, { timeout: 300000 });
  theirs = await page.evaluate(() => window.result);
  server.stop();
} finally {
  await browser.close();
}
if (theirs.error) console.log('TF.js failed: ' + theirs.error);
console.log(`GPU: ${ours.renderer}; TF.js ${theirs.version} (${theirs.backend})`);
const ms = (v) => (v == null ? '   -   ' : v.toFixed(2).padStart(8));
console.log(`${'convolution (forward)'.padEnd(54)} ${'ours GPU'.padStart(9)} ${'TF.js GPU'.padStart(9)} ${'ours CPU'.padStart(9)}   TF.js/ours (GPU)`);
for (const c of ours.cases) {
  const t = (theirs.cases || []).find((x) => x.name === c.name);
  const tf = t ? t.tfjs_webgl_ms : null;
  console.log(`${c.name.padEnd(54)} ${ms(c.gpu_ms)} ms ${ms(tf)} ms ${ms(c.cpu_ms)} ms   x${tf && c.gpu_ms ? (tf / c.gpu_ms).toFixed(2) : '-'}`);
}
console.log(JSON.stringify({ ours, tfjs: theirs }));
