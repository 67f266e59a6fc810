// harness.mjs — what the browser end-to-end tests share: serve the built page, drive Debian's
// chromium with playwright-core, wait for frames, check values, measure a screenshot.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const outDir = path.join(root, 'out', 'e2e');

// Chromium flags that work headless here: WebGL2 through SwiftShader, no network chatter.
export const chromiumArgs = ['--no-sandbox', '--headless=new', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist'];

// Serves build/site (or another folder with `index` as its page) on a free port; resolves to {url, stop}.
// The app's site comes with its Content-Security-Policy, as scripts/run serves it; another folder
// (a test's course page, the GPU test page) without.
export function startServer(site = path.join(root, 'build', 'site'), index = 'index.html') {
  return new Promise((resolve, reject) => {
    const csp = path.resolve(site) === path.join(root, 'build', 'site') && !process.env.NO_CSP ? [] : ['--no-csp'];
    const server = spawn(process.execPath, [path.join(root, 'scripts', 'serve.mjs'), site, '--port', '0', '--index', index, ...csp]);
    let output = '';
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const m = output.match(/http:\/\/localhost:(\d+)\//);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}/`, stop: () => server.kill() });
    });
    server.stderr.on('data', (chunk) => { output += chunk; });
    server.on('exit', (code) => reject(new Error(`server exited ${code}: ${output}`)));
  });
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: chromiumArgs });
}

// Opens a page (in a browser or a browser context) and records its console errors and uncaught
// exceptions in page.errors.
export async function openPage(browser, url, viewport = { width: 1280, height: 800 }) {
  const page = browser.newContext ? await browser.newPage({ viewport }) : await browser.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.cnnlab && window.cnnlab.firstFrameMs !== null, null, { timeout: 30000 });
  return page;
}

// Waits until the app has drawn `n` more frames (so a click or a command shows on screen). While a
// lab trains the app draws on every other display tick, so this counts cnnlab.framesDrawn where
// there is one, else display ticks.
export function frames(page, n = 3) {
  return page.evaluate((count) => new Promise((resolve) => {
    const drawn = () => (window.cnnlab && typeof window.cnnlab.framesDrawn === 'number' ? window.cnnlab.framesDrawn : null);
    const start = drawn();
    let ticks = 0;
    const step = () => {
      ticks++;
      const now = drawn();
      if (start === null ? ticks > count : now >= start + count) resolve();
      else requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }), n);
}

// Clicks the middle of a rectangle [x, y, w, h] with a press that lasts a frame, as a person's does.
export async function clickRect(page, rect, fx = 0.5, fy = 0.5) {
  await page.mouse.move(rect[0] + rect[2] * fx, rect[1] + rect[3] * fy);
  await frames(page, 1);
  await page.mouse.down();
  await frames(page, 2);
  await page.mouse.up();
  await frames(page, 2);
}

export async function anchor(page, name) {
  const anchors = await page.evaluate(() => window.cnnlab._anchors());
  if (!anchors[name]) throw new Error(`no widget "${name}" on screen; drawn: ${Object.keys(anchors).join(', ')}`);
  return anchors[name];
}

// Gives the page window.decodePng(base64) -> {width, height, data (RGBA bytes)}, for the helpers
// below that measure screenshots in the page (the browser decodes PNG; node has no decoder).
function addPngDecoder(page) {
  return page.evaluate(() => {
    window.decodePng = window.decodePng || (async (b64) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + b64;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width; canvas.height = img.height;
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0);
      return { width: img.width, height: img.height, data: g.getImageData(0, 0, img.width, img.height).data };
    });
  });
}

// Saves a screenshot under out/e2e/ and measures it in the page: distinct colours, pixels that
// differ from the background, and pixels of a given colour (within a tolerance).
export async function screenshotStats(page, name, colour = [255, 200, 40]) {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, name);
  const png = await page.screenshot({ path: file });
  await addPngDecoder(page);
  const stats = await page.evaluate(async ([b64, target]) => {
    const { width, height, data: d } = await window.decodePng(b64);
    const colours = new Set();
    let drawn = 0, matching = 0;
    for (let i = 0; i < d.length; i += 4) {
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (Math.abs(d[i] - 28) + Math.abs(d[i + 1] - 28) + Math.abs(d[i + 2] - 36) > 30) drawn++;  // the background: (0.11, 0.11, 0.14)
      if (Math.abs(d[i] - target[0]) + Math.abs(d[i + 1] - target[1]) + Math.abs(d[i + 2] - target[2]) < 40) matching++;
    }
    return { width, height, colours: colours.size, drawnFraction: drawn / (width * height), matching };
  }, [png.toString('base64'), colour]);
  return { file, ...stats };
}

// Pixels that differ between two screenshots (PNG buffers of the same size), and the largest
// difference in one colour channel.
export async function screenshotDifference(page, pngA, pngB) {
  await addPngDecoder(page);
  return page.evaluate(async ([a64, b64]) => {
    const a = (await window.decodePng(a64)).data, b = (await window.decodePng(b64)).data;
    if (a.length !== b.length) return { differing: -1, largest: -1 };
    let differing = 0, largest = 0;
    for (let i = 0; i < a.length; i += 4) {
      const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
      if (d > 0) differing++;
      largest = Math.max(largest, d);
    }
    return { differing, largest };
  }, [pngA.toString('base64'), pngB.toString('base64')]);
}

// The page draws only what changed from frame to frame (web/damage.h): what it shows now must be,
// to the pixel, what drawing the whole frame gives; on all the screen, or on `rect` [x, y, w, h]
// where something else on screen changes by itself (a time per frame, say).
export async function expectKeptFrameIsWhole(page, what, rect = null) {
  expect(await page.evaluate(() => cnnlab.keepsFrames) === true, 'the canvas keeps its frames, so frames draw only what changed');
  const options = rect ? { clip: { x: rect[0], y: rect[1], width: rect[2], height: rect[3] } } : {};
  const kept = await page.screenshot(options);
  await page.evaluate(() => cnnlab._redrawAll());
  await frames(page, 3);
  const whole = await page.screenshot(options);
  expectEqual(await screenshotDifference(page, kept, whole), { differing: 0, largest: 0 }, `${what}: the kept frame against the frame drawn whole`);
}

// A tiny test runner: prints PASS/FAIL per test and a summary line "e2e NAME: N passed, N failed".
export function runner(suite) {
  const tests = [];
  return {
    test: (name, fn) => tests.push({ name, fn }),
    async run(context) {
      let passed = 0, failed = 0;
      for (const t of tests) {
        const started = Date.now();
        const seconds = () => `(${((Date.now() - started) / 1000).toFixed(0)} s)`;  // where a suite's time goes
        try {
          await t.fn(context);
          console.log(`PASS ${t.name} ${seconds()}`);
          passed++;
        } catch (e) {
          console.log(`FAIL ${t.name} ${seconds()}\n     ${String(e.message || e).split('\n').join('\n     ')}`);
          failed++;
        }
      }
      console.log(`e2e ${suite}: ${passed} passed, ${failed} failed`);
      return failed;
    },
  };
}

// JSON with object keys sorted, so {a, b} and {b, a} compare equal.
function canonical(value) {
  return JSON.stringify(value, (key, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

export function expectEqual(actual, expected, what) {
  const a = canonical(actual), b = canonical(expected);
  if (a !== b) throw new Error(`${what}: got ${a}, expected ${b}`);
}

export function expect(condition, what) {
  if (!condition) throw new Error(what);
}

// Serves the page, opens Chromium, runs the suite's tests against them and exits with the result.
export async function serveAndRun(run) {
  const server = await startServer();
  const browser = await launchBrowser();
  let failed = 1;
  try {
    failed = await run({ browser, url: server.url });
  } finally {
    await browser.close();
    server.stop();
  }
  process.exit(failed ? 1 : 0);
}
