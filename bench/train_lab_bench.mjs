// train_lab_bench.mjs — the training lab in headless Chromium: how long one epoch of Fashion-MNIST
// (60,000 images, the seed net, Adam, batch 32) takes in the page, with the UI drawing meanwhile,
// and the frame rate while it trains; then the same training on the GPU backend. Prints figures; asserts nothing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser } from '../tests/e2e/harness.mjs';

// Frames the page draws per second over 3 seconds (requestAnimationFrame callbacks).
const framesPerSecond = (page) => page.evaluate(() => new Promise((res) => {
  let n = 0; const t = performance.now();
  const f = () => { n++; if (performance.now() - t < 3000) requestAnimationFrame(f); else res(n / 3); };
  requestAnimationFrame(f);
}));

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const server = await startServer(path.join(root, 'build', 'site'));
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const start = Date.now();
  await page.goto(server.url + '?lab=train');
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null && cnnlab.state().data_loaded, null, { timeout: 120000 });
  const loaded = Date.now() - start;
  const idleFps = await framesPerSecond(page);  // drawing alone, nothing training
  await page.evaluate(() => cnnlab.command({ model: 'seed', optimizer: 'adam', lr: 0.002, batch: 32, action: 'reset' }));
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  const t0 = Date.now();
  const fps = await framesPerSecond(page);
  await page.waitForFunction(() => cnnlab.state().epoch >= 1, null, { timeout: 600000 });
  const epochMs = Date.now() - t0;
  const s = await page.evaluate(() => cnnlab.state());
  console.log(`page and Fashion-MNIST loaded in ${loaded} ms; ${idleFps.toFixed(1)} frames/s with nothing training`);
  console.log(`one epoch (60,000 images, seed net, batch 32) in the page: ${(epochMs / 1000).toFixed(1)} s, ` +
              `${s.images_per_second.toFixed(0)} img/s while training, ${fps.toFixed(1)} frames/s; test accuracy after it ${s.test_accuracy}`);
  // The GPU backend (conv layers in WebGL2 shaders, the rest on the CPU): images per second over 2,000 steps' worth of time.
  const gpu = await page.evaluate(() => cnnlab.command({ backend: 'gpu', action: 'reset' }));
  if (gpu.error) {
    console.log(`GPU backend: ${gpu.error}`);
  } else {
    await page.evaluate(() => cnnlab.command({ action: 'start' }));
    const g0 = Date.now();
    const gpuFps = await framesPerSecond(page);
    await page.waitForFunction(() => cnnlab.state().step >= 500, null, { timeout: 600000 });
    const g = await page.evaluate(() => cnnlab.command({ action: 'pause' }));
    const seconds = (Date.now() - g0) / 1000;
    console.log(`GPU backend (${g.backend_note || 'every conv layer on the GPU'}): ${(g.step * 32 / seconds).toFixed(0)} img/s ` +
                `(${g.step} steps of 32 in ${seconds.toFixed(1)} s), ${gpuFps.toFixed(1)} frames/s; the CPU backend above: ${s.images_per_second.toFixed(0)} img/s`);
  }
  // The most accurate preset ("wide", 32 and 64 kernels) on the CPU backend: its speed in the page, and
  // what 8 epochs (the 0.925 run in README) take at that speed.
  await page.evaluate(() => cnnlab.command({ backend: 'cpu', model: 'wide', batch: 32, lr: 0.002, action: 'reset' }));
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  const w0 = Date.now();
  const wideFps = await framesPerSecond(page);
  await page.waitForFunction(() => cnnlab.state().step >= 400, null, { timeout: 600000 });
  const w = await page.evaluate(() => cnnlab.command({ action: 'pause' }));
  const wideRate = w.step * 32 / ((Date.now() - w0) / 1000);
  console.log(`"wide" preset in the page: ${wideRate.toFixed(0)} img/s while training, ${wideFps.toFixed(1)} frames/s; 8 epochs of 60,000 would take ` +
              `${(8 * 60000 / wideRate / 60).toFixed(1)} minutes`);
} finally {
  await browser.close();
  server.stop();
}
