// gpu.e2e.mjs — the GPU backend's parity tests (tests/gpu_test.cpp) in headless Chromium, on its
// WebGL2 (SwiftShader): the same doctest suite that runs natively on Mesa, built to WebAssembly.
// Each doctest case counts as one test here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const server = await startServer(path.join(root, 'build', 'gpu-site'), 'gpu_tests.html');
const browser = await launchBrowser();
let passed = 0, failed = 1;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + 'gpu_tests.html');
  await page.waitForFunction(() => window.gpuTests && window.gpuTests.done, null, { timeout: 240000 });
  const result = await page.evaluate(() => window.gpuTests);
  const text = result.lines.join('\n');
  console.log(text);
  const m = text.match(/test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed/);
  if (m) { passed = Number(m[2]); failed = Number(m[3]); }
  if (result.exitCode !== 0 && failed === 0) failed = 1;
  if (errors.length) { console.log('page errors: ' + errors.join('; ')); failed++; }
} finally {
  await browser.close();
  server.stop();
}
console.log(`e2e gpu (WebGL2 in Chromium): ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
