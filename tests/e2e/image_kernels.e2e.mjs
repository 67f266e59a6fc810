// image_kernels.e2e.mjs — the image-kernel lab in headless Chromium: a photo convolved on the GPU
// (WebGL2 through SwiftShader) and on the CPU with the same numbers, the backend switch, the
// student's own files (too big, not a picture), and the three ways the GPU can be missing:
// no float render targets, no WebGL2 at all, and a lost (then restored) context.
import fs from 'node:fs';
import path from 'node:path';
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, expectKeptFrameIsWhole, runner, expect, expectEqual, outDir } from './harness.mjs';

const { test, run } = runner('image-kernels');
const state = (page) => page.evaluate(() => cnnlab.state());

async function openLab(browser, url, initScript) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (initScript) await context.addInitScript(initScript);
  const page = await openPage(context, `${url}?lab=image-kernels`);
  await page.waitForFunction(() => cnnlab.state().image === 'chelsea' && !cnnlab.state().loading, null, { timeout: 30000 });
  await frames(page, 4);
  page.closeAll = () => context.close();
  return page;
}

test('a photo through Sobel x on the GPU and on the CPU: the same numbers', async ({ browser, url }) => {
  const page = await openLab(browser, url);
  let s = await state(page);
  expectEqual([s.backend, s.gpu_available, s.width, s.height], ['gpu', true, 451, 300], 'backend and picture');
  let s2 = await page.evaluate(() => cnnlab.command({ position: [120, 200] }));
  await frames(page, 2);
  s = await state(page);
  const gpuValue = s.output_at;
  expect(Math.abs(gpuValue - s.window.value) < 1e-4, `GPU output ${gpuValue} vs the window's sum ${s.window.value}`);
  const stats = await screenshotStats(page, 'image-kernels.png', [214, 61, 51]);  // strong positive edges: red
  expect(stats.colours > 1000 && stats.drawnFraction > 0.2, `blank lab: ${JSON.stringify(stats)}`);
  expect(stats.matching > 50, `no red edges in the result: ${JSON.stringify(stats)}`);
  await clickRect(page, await anchor(page, 'backend-cpu'));  // the switch, clicked
  await frames(page, 2);
  s = await state(page);
  expectEqual(s.backend, 'cpu', 'backend after clicking CPU');
  expect(Math.abs(s.output_at - gpuValue) < 1e-4, `CPU ${s.output_at} vs GPU ${gpuValue}`);
  expect(s.frame_ms > 0, 'frame time measured');
  s2 = await page.evaluate(() => cnnlab.command({ backend: 'gpu', preset: 'gradient-direction', color: true }));
  expectEqual([s2.backend, s2.output_size], ['gpu', [300, 451, 2]], 'gradient on the colour picture');
  await frames(page, 3);
  for (const preset of ['gaussian', 'sharpen', 'emboss', 'laplacian', 'edge', 'box-blur', 'prewitt-x', 'gradient-magnitude', 'identity']) {
    const r = await page.evaluate((p) => cnnlab.command({ preset: p, color: false }), preset);
    expect(!r.error, `${preset}: ${r.error}`);
    await frames(page, 1);
  }
  // The GPU draws the result into the same texture for another kernel: the new result must show.
  await page.evaluate(() => cnnlab.command({ preset: 'sobel-y' }));
  await frames(page, 3);
  await expectKeptFrameIsWhole(page, 'Sobel y after the identity kernel, on the GPU', await anchor(page, 'output-view'));  // (the time per frame changes)
  expectEqual(page.errors, [], 'console errors');
  await page.closeAll();
});

test("the student's own pictures: a big one is scaled down, a non-picture is refused", async ({ browser, url }) => {
  const page = await openLab(browser, url);
  // a 1400x1000 PNG made in the page
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 1400; c.height = 1000;
    const g = c.getContext('2d');
    g.fillStyle = '#000'; g.fillRect(0, 0, 1400, 1000);
    g.fillStyle = '#fff'; g.fillRect(400, 300, 600, 400);
    return c.toDataURL('image/png');
  });
  fs.mkdirSync(outDir, { recursive: true });
  const big = path.join(outDir, 'big-upload.png');
  fs.writeFileSync(big, Buffer.from(dataUrl.split(',')[1], 'base64'));
  await clickRect(page, await anchor(page, 'upload'));  // "Your own...": opens the file picker
  await page.setInputFiles('#cnnlab-open-picture', big);
  await page.waitForFunction(() => cnnlab.state().image === 'file:big-upload.png', null, { timeout: 20000 });
  let s = await state(page);
  expect(s.note.includes('scaled down from 1400x1000'), s.note);
  expect(Math.max(s.width, s.height) <= 512, `size ${s.width}x${s.height}`);
  await page.setInputFiles('#cnnlab-open-picture', path.resolve('README.md'));
  await page.waitForFunction(() => cnnlab.state().note.includes('is not a picture the browser can read'), null, { timeout: 20000 });
  s = await state(page);
  expectEqual(s.image, 'file:big-upload.png', 'picture kept after a refused file');
  expectEqual(page.errors, [], 'console errors');
  await page.closeAll();
});

test('no float render targets: one line says so and the CPU computes', async ({ browser, url }) => {
  const page = await openLab(browser, url, () => {
    const get = WebGL2RenderingContext.prototype.getExtension;
    WebGL2RenderingContext.prototype.getExtension = function (name) { return name === 'EXT_color_buffer_float' ? null : get.call(this, name); };
  });
  const s = await state(page);
  expectEqual([s.gpu_available, s.backend], [false, 'cpu'], 'GPU without float targets');
  expect(s.gpu_note.includes('float textures'), s.gpu_note);
  expect(typeof s.output_at === 'number', `output computed on the CPU: ${s.output_at}`);
  const stats = await screenshotStats(page, 'image-kernels-no-float.png');
  expect(stats.colours > 1000, `blank lab: ${JSON.stringify(stats)}`);
  await page.closeAll();
});

test('no WebGL2 at all: the app draws with WebGL1 and the labs run on the CPU', async ({ browser, url }) => {
  const page = await openLab(browser, url, () => {
    const get = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (kind, options) { return kind === 'webgl2' ? null : get.call(this, kind, options); };
  });
  const s = await state(page);
  expectEqual([s.gpu_available, s.backend], [false, 'cpu'], 'without WebGL2');
  expect(s.gpu_note.includes('WebGL2 is not available'), s.gpu_note);
  expect(typeof s.output_at === 'number', 'output computed on the CPU');
  const stats = await screenshotStats(page, 'image-kernels-webgl1.png');
  expect(stats.colours > 1000 && stats.drawnFraction > 0.2, `blank lab on WebGL1: ${JSON.stringify(stats)}`);
  await page.closeAll();
});

test('a lost GPU context: the CPU takes over, and the GPU comes back when it is restored', async ({ browser, url }) => {
  const page = await openLab(browser, url);
  await page.evaluate(() => {
    window.loseContext = document.getElementById('canvas').getContext('webgl2').getExtension('WEBGL_lose_context');
    window.loseContext.loseContext();
  });
  await page.waitForFunction(() => cnnlab.state().gpu_available === false, null, { timeout: 10000 });
  let s = await state(page);
  expect(s.gpu_note.includes('lost'), s.gpu_note);
  expectEqual(s.backend, 'cpu', 'backend while lost');
  await page.evaluate(() => window.loseContext.restoreContext());
  await page.waitForFunction(() => cnnlab.state().gpu_available === true, null, { timeout: 10000 });
  await frames(page, 4);
  s = await state(page);
  expectEqual(s.backend, 'gpu', 'backend after the restore');
  expect(Math.abs(s.output_at - s.window.value) < 1e-4, `after the restore: ${s.output_at} vs ${s.window.value}`);
  const stats = await screenshotStats(page, 'image-kernels-restored.png');
  expect(stats.colours > 1000 && stats.drawnFraction > 0.2, `blank after the restore: ${JSON.stringify(stats)}`);
  await page.closeAll();
});

await serveAndRun(run);
