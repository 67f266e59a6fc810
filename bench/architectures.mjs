// architectures.mjs — one forward pass of each of the architectures lab's seven networks, in the
// page (headless Chromium, one core, the WebAssembly build), as a student's "Run once" does it: the
// memory made ready, the network built with random weights, the layers run between frames. Prints
// a table (the figures README reports); asserts nothing (a benchmark, not a test).
//   node bench/architectures.mjs [ROUNDS]   (each network run ROUNDS times, the fastest kept; default 2)
import { startServer, launchBrowser } from '../tests/e2e/harness.mjs';

const rounds = Number(process.argv[2] || 2);
const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.url}?lab=architectures&embed=1`);
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null, null, { timeout: 60000 });
  await page.evaluate(() => cnnlab.ready);
  await page.waitForFunction(() => cnnlab.state().photo_loaded === 'chelsea', null, { timeout: 20000 });
  const networks = (await page.evaluate(() => cnnlab.state())).networks;
  console.log('| network | input | multiply-adds | memory | made ready | built | forward | slowest layer | longest wait between frames |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const n of networks) {
    let best = null;
    for (let r = 0; r < rounds; r++) {
      await page.evaluate((key) => cnnlab.command({ network: key, run: true }), n.key);
      await page.waitForFunction(() => cnnlab.state().forward.state !== 'running', null, { timeout: 300000 });
      const s = await page.evaluate(() => cnnlab.state());
      if (s.forward.state !== 'done') throw new Error(`${n.name}: ${s.forward.message}`);
      const t = { ...s.timings, input: s.shown.input, mb: s.shown.inference_mb };
      if (!best || t.forward_ms < best.forward_ms) best = t;
    }
    const slowest = Math.max(...best.layer_ms);
    console.log(`| ${n.name} | ${best.input.join('x')} | ${(n.macs / 1e9).toFixed(2)} G | ${best.mb} MB | ${best.touch_ms.toFixed(0)} ms | ` +
      `${best.build_ms.toFixed(0)} ms | ${best.forward_ms.toFixed(0)} ms | ${slowest.toFixed(0)} ms | ${best.slowest_slice_ms.toFixed(0)} ms |`);
  }
  await page.close();
} finally {
  await browser.close();
  server.stop();
}
