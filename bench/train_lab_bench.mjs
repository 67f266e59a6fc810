// train_lab_bench.mjs — the training lab in headless Chromium: how long one epoch of Fashion-MNIST
// (60,000 images, the seed net, Adam, batch 32) takes in the page, with the UI drawing meanwhile,
// and the frame rate while it trains; then the same training on the GPU backend, and the bigger
// presets' speed with their recipes. Prints figures; asserts nothing.
//   node bench/train_lab_bench.mjs [--full [PRESET]] [--seed S] [--only-full]
//   (--full: also PRESET's whole recipe from seed S, minutes; --only-full: that alone)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser } from '../tests/e2e/harness.mjs';

// Frames the page draws per second over 3 seconds (cnnlab.framesDrawn: while training, the page
// draws on every other tick of the display, so requestAnimationFrame's count would be too high).
const framesPerSecond = (page) => page.evaluate(() => new Promise((res) => {
  const n = cnnlab.framesDrawn, t = performance.now();
  setTimeout(() => res((cnnlab.framesDrawn - n) / ((performance.now() - t) / 1000)), 3000);
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
  const onlyFull = process.argv.includes('--only-full');
  const idleFps = await framesPerSecond(page);  // drawing alone, nothing training
  if (!onlyFull) {
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
    // The bigger presets on the CPU backend, each with its recipe (the settings the lab applies when it
    // is chosen): speed and frame rate in the page, and what the recipe's epochs take at that speed.
    for (const model of ['wide', 'deep']) {
      const r = await page.evaluate((m) => cnnlab.command({ backend: 'cpu', model: m, action: 'reset' }), model);
      if (r.error) { console.log(`${model}: ${r.error}`); continue; }
      const recipe = r.recipe;
      await page.evaluate((rec) => cnnlab.command({ ...rec, action: 'reset' }), recipe);
      await page.evaluate(() => cnnlab.command({ action: 'start' }));
      const w0 = Date.now();
      const fps = await framesPerSecond(page);
      await page.waitForFunction((b) => cnnlab.state().step * b >= 16000, recipe.batch, { timeout: 600000 });
      const w = await page.evaluate(() => cnnlab.command({ action: 'pause' }));
      const rate = w.step * recipe.batch / ((Date.now() - w0) / 1000);
      console.log(`"${model}" preset in the page (${JSON.stringify(recipe)}): ${rate.toFixed(0)} img/s while training, ` +
                  `${fps.toFixed(1)} frames/s; its ${recipe.epochs} epochs would take ${(recipe.epochs * 60000 / rate / 60).toFixed(1)} minutes`);
    }
  }
  // --full: the best preset's whole recipe in the page, from a fresh network: the test accuracy after
  // each epoch and the minutes since Start (the page's own measurement, the whole test set).
  if (process.argv.includes('--full') || onlyFull) {
    const at = process.argv.indexOf('--full'), named = at >= 0 ? process.argv[at + 1] : undefined;
    const model = named && !named.startsWith('--') ? named : 'deep';
    const seed = process.argv.includes('--seed') ? Number(process.argv[process.argv.indexOf('--seed') + 1]) : 1;
    const r = await page.evaluate(([m, s]) => cnnlab.command({ backend: 'cpu', model: m, seed: s, action: 'reset' }), [model, seed]);
    await page.evaluate((rec) => cnnlab.command({ ...rec, action: 'reset' }), r.recipe);
    await page.evaluate(() => cnnlab.command({ action: 'start' }));
    const t0 = Date.now();
    let seen = 0;
    while (true) {
      await page.waitForFunction((e) => cnnlab.state().epoch > e || !cnnlab.state().running, seen, { timeout: 1800000 });
      const s = await page.evaluate(() => cnnlab.state());
      if (s.epoch > seen) {
        seen = s.epoch;
        const minutes = (Date.now() - t0) / 60000;
        console.log(`  "${model}", seed ${seed}, ${JSON.stringify(r.recipe)}: epoch ${s.epoch}, test accuracy ${s.test_accuracy.toFixed(4)} after ` +
                    `${minutes.toFixed(2)} minutes (${(s.epoch * 60000 / (minutes * 60)).toFixed(0)} img/s since Start, measuring included)`);
      }
      if (!s.running && s.measuring === null) break;
    }
  }
} finally {
  await browser.close();
  server.stop();
}
