// soak.mjs — the deep preset trained in the page for a long time (default 30 minutes) in headless
// Chromium: every minute, the WebAssembly memory, the JS heap (after a garbage collection), the
// frames drawn, the display ticks' slowest interval, 99th percentile and share later than 34 and
// 50 ms, the step and the epoch. After the first epoch the memory
// should stay flat, frames keep coming under 33 ms, and the console stay quiet. Prints the figures
// and a summary; asserts nothing (a benchmark, not a test).
//   node bench/soak.mjs [MINUTES]
import { startServer, launchBrowser, chromiumArgs } from '../tests/e2e/harness.mjs';
import { chromium } from 'playwright-core';

const minutes = Number(process.argv[2] || 30);
const server = await startServer();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [...chromiumArgs, '--enable-precise-memory-info', '--js-flags=--expose-gc'] });
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + '?lab=train');
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null, null, { timeout: 60000 });
  await page.evaluate(() => cnnlab.ready);
  await page.waitForFunction(() => cnnlab.state().data_loaded, null, { timeout: 120000 });
  await page.evaluate(() => cnnlab.command({ model: 'deep', epochs: 100, action: 'reset' }));
  // frame intervals, measured in the page: the longest since the last sample
  await page.evaluate(() => {
    window.soak = { longest: 0, frames: 0, last: performance.now(), start: performance.now(), slow: [], over100: 0, intervals: [], all: [] };
    const tick = (t) => {
      const d = t - window.soak.last;
      window.soak.last = t; window.soak.frames++;
      window.soak.intervals.push(d);
      if (d > window.soak.longest) window.soak.longest = d;
      if (d > 100) {  // a slow frame: counted, and the ten slowest kept with what the lab was doing
        window.soak.over100++;
        const s = cnnlab.state();
        window.soak.slow.push({ ms: Math.round(d), step: s.step, epoch: s.epoch, measuring: s.measuring, at: Math.round((t - window.soak.start) / 1000) });
        window.soak.slow.sort((a, b) => b.ms - a.ms);
        window.soak.slow.length = Math.min(window.soak.slow.length, 10);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    cnnlab.command({ action: 'start' });
  });
  const rows = [];
  const started = Date.now();
  console.log('minute  step  epoch  wasm MB  JS heap MB  frames/s  longest frame ms  drawn frames  p99 ms  over 34 ms  over 50 ms');
  for (let m = 1; m <= minutes; m++) {
    await page.waitForTimeout(Math.max(0, started + m * 60000 - Date.now()));
    const r = await page.evaluate(() => {
      if (window.gc) window.gc();
      const s = cnnlab.state();
      const row = { step: s.step, epoch: s.epoch, wasm: Module.HEAPU8.length / (1 << 20), heap: performance.memory.usedJSHeapSize / (1 << 20),
                    rafs: window.soak.frames, longest: window.soak.longest, drawn: cnnlab.framesDrawn };
      // the display ticks of this minute: the 99th percentile, and the share later than 34 ms (a
      // 30-per-second frame is two ticks of a 60 Hz display, 33.3 ms) and than 50 ms
      const d = window.soak.intervals.sort((a, b) => a - b);
      row.p99 = d[Math.floor(d.length * 0.99)] || 0;
      row.over34 = d.filter((x) => x > 34).length / Math.max(d.length, 1);
      row.over50 = d.filter((x) => x > 50).length / Math.max(d.length, 1);
      window.soak.all.push(...d);
      window.soak.frames = 0; window.soak.longest = 0; window.soak.intervals = [];
      return row;
    });
    rows.push(r);
    const prev = rows.length > 1 ? rows[rows.length - 2].drawn : 0;
    console.log(`${String(m).padStart(6)}  ${String(r.step).padStart(5)}  ${String(r.epoch).padStart(5)}  ${r.wasm.toFixed(0).padStart(7)}  ` +
                `${r.heap.toFixed(1).padStart(10)}  ${(r.rafs / 60).toFixed(1).padStart(8)}  ${r.longest.toFixed(0).padStart(16)}  ${String(r.drawn - prev).padStart(12)}  ` +
                `${r.p99.toFixed(0).padStart(6)}  ${(100 * r.over34).toFixed(1).padStart(9)}%  ${(100 * r.over50).toFixed(1).padStart(9)}%`);
  }
  const afterFirstEpoch = rows.filter((r) => r.epoch >= 1);
  if (afterFirstEpoch.length) {
    const span = (key) => `${Math.min(...afterFirstEpoch.map((r) => r[key])).toFixed(1)} to ${Math.max(...afterFirstEpoch.map((r) => r[key])).toFixed(1)}`;
    console.log(`after the first epoch (${afterFirstEpoch.length} samples): WebAssembly memory ${span('wasm')} MB, JS heap ${span('heap')} MB, ` +
                `longest frame interval per minute ${span('longest')} ms`);
  }
  const { slow, over100, whole } = await page.evaluate(() => {
    const d = window.soak.all.sort((a, b) => a - b), at = (q) => d[Math.floor(d.length * q)] || 0;
    return { ...window.soak, all: null, whole: { n: d.length, p50: at(0.5), p99: at(0.99), p999: at(0.999),
      over34: d.filter((x) => x > 34).length / d.length, over50: d.filter((x) => x > 50).length / d.length } };
  });
  console.log(`display ticks in all: ${whole.n}; interval median ${whole.p50.toFixed(1)} ms, 99th percentile ${whole.p99.toFixed(1)} ms, ` +
              `99.9th ${whole.p999.toFixed(1)} ms; later than 34 ms: ${(100 * whole.over34).toFixed(2)}%, than 50 ms: ${(100 * whole.over50).toFixed(2)}%`);
  console.log(`frame intervals over 100 ms: ${over100}; the slowest: ${slow.map((f) => `${f.ms} ms at ${f.at} s (step ${f.step}, epoch ${f.epoch}${f.measuring ? ', measuring' : ''})`).join('; ') || 'none'}`);
  console.log(`console errors: ${errors.length ? errors.join('; ') : 'none'}`);
} finally {
  await browser.close();
  server.stop();
}
