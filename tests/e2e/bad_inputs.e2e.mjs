// bad_inputs.e2e.mjs — the catalogue's browser half (tests/bad_inputs/ has the rest): what only the
// page sees — JS values that are not JSON, commands before the app is ready, links in the URL,
// picture files through the file picker, a dataset download that is not gzip, messages from a
// parent page. Each case names the input and the exact message; afterwards the lab still answers
// and the student's answers and kernel are as they were.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveAndRun, openPage, frames, runner, expect, expectEqual } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const generated = (name) => path.join(root, 'build', 'bad_inputs', name);
const { test, run } = runner('bad-inputs');

// One page, with the student's work in it: an answer in the hand lab, a kernel of their own.
let shared = null;
async function page(ctx) {
  if (shared) return shared;
  shared = await openPage(ctx.browser, ctx.url + '?lab=image-kernels');
  await shared.evaluate(() => {
    cnnlab.command({ progress: 'reset' });
    cnnlab.command({ lab: 'hand-conv', mode: 'exercise', new_exercise: 7 });
    cnnlab.command({ answer: { position: [0, 0], value: 12345 } });
    cnnlab.command({ lab: 'image-kernels', image: 'square', kernel: [[0, 1, 0], [1, -4, 1], [0, 1, 0]] });
  });
  shared.work = await studentWork(shared);
  return shared;
}
// What the student made, as the page reports it.
const studentWork = (p) => p.evaluate(() => {
  const kernel = cnnlab.command({ lab: 'image-kernels' }).kernel;
  return { kernel, progress: cnnlab.progress().labs };
});
async function unchanged(p) {
  expectEqual(await studentWork(p), p.work, 'the student\'s work afterwards');
  const s = await p.evaluate(() => cnnlab.command({ lab: 'image-kernels', stride: 1 }));  // the lab still answers
  expect(!s.error && s.stride === 1, `the lab afterwards: ${JSON.stringify(s).slice(0, 200)}`);
  expectEqual(p.errors, [], 'console errors');
}

// ---- JS values and commands
const commandCases = [
  ['a string instead of an object', () => cnnlab.command('hand-conv'), 'a command must be an object, like {"stride": 2}'],
  ['an array', () => cnnlab.command([1, 2]), 'a command must be an object, like {"stride": 2}'],
  ['null', () => cnnlab.command(null), 'a command must be an object, like {"stride": 2}'],
  ['an object that refers to itself', () => { const c = { lab: 'hand-conv' }; c.self = c; return cnnlab.command(c); },
    'the command cannot be sent as JSON: Converting circular structure to JSON'],
  ['a BigInt', () => cnnlab.command({ lab: 'hand-conv', stride: 2n }), 'the command cannot be sent as JSON: Do not know how to serialize a BigInt'],
  ['NaN for the stride (JSON.stringify sends null)', () => cnnlab.command({ lab: 'hand-conv', stride: NaN }), '"stride" must be a whole number between -1000 and 1000'],
  ['1e308 for the stride', () => cnnlab.command({ lab: 'hand-conv', stride: 1e308 }), '"stride" must be between -1000 and 1000 (it is 1e+308)'],
  ['Infinity for the bias (sent as null)', () => cnnlab.command({ lab: 'hand-conv', bias: Infinity }), '"bias" must be a number'],
  ['an array of 10^6 numbers as the kernel (2 MB of JSON)', () => cnnlab.command({ lab: 'image-kernels', kernel: [new Array(1e6).fill(1)] }),
    'the command is too large (over 1 MB)'],
  ['a kernel nested 10,000 levels', () => { let v = 1; for (let i = 0; i < 10000; i++) v = [v]; return cnnlab.command({ lab: 'image-kernels', kernel: v }); },
    'the command is nested 10001 levels deep; at most 64 are allowed'],
  ['a 1 MB string as the preset', () => cnnlab.command({ lab: 'image-kernels', preset: 'x'.repeat(1 << 20) }), 'the command is too large (over 1 MB)'],
  ['an unknown field', () => cnnlab.command({ lab: 'hand-conv', colour: 'red' }),
    'unknown field "colour"; this lab\'s commands use: dims, image, kernel, bias, stride, dilation, padding, flip, reset, image_preset, preset, mode, new_exercise, seed, cells, position, step, hint, answer, answers, reveal, show_all, playing, speed'],
  ['a lab id with a script in it', () => cnnlab.command({ lab: '<img src=x onerror=alert(1)>' }),
    'there is no lab called "<img src=x onerror=alert(1)>"; the labs are: hand-conv, arithmetic, matrix, fft, channels, image-kernels, pooling, nonlinearity, receptive-field, backprop, train, normalization, residual, architectures, transfer, adversarial, explain'],
];
for (const [what, command, message] of commandCases) {
  test(`command: ${what}`, async (ctx) => {
    const p = await page(ctx);
    const reply = await p.evaluate(command);
    expectEqual(reply.error, message, what);
    await unchanged(p);
  });
}

test('command: sent while the page is still loading (the WebAssembly held back for a second)', async ({ browser, url }) => {
  const p = await browser.newPage();
  await p.route('**/cnnlab.wasm', async (route) => { await new Promise((r) => setTimeout(r, 1500)); await route.continue(); });
  await p.goto(url);
  await p.waitForFunction(() => window.cnnlab);
  expectEqual(await p.evaluate(() => cnnlab.command({ stride: 2 })), { error: 'CNN Lab is still loading: wait for cnnlab.ready' }, 'the early reply');
  await p.evaluate(() => cnnlab.ready);
  expectEqual(await p.evaluate(() => cnnlab.command({ stride: 2 }).stride), 2, 'the same command once ready');
  await p.close();
});

// ---- Links: ?state=... and #s=... (a copied link), each opening the lab as usual with one line
async function notice(browser, address) {
  const p = await openPage(browser, address);
  await p.evaluate(() => cnnlab.ready);
  await p.waitForFunction(() => document.getElementById('notice').style.display === 'block', null, { timeout: 10000 }).catch(() => {});
  const text = await p.evaluate(() => (document.getElementById('notice').style.display === 'block' ? document.getElementById('notice').textContent : ''));
  const s = await p.evaluate(() => cnnlab.state());
  return { p, text, s };
}
const packed = async (p, state) => p.evaluate(async (st) => {
  const stream = new Blob([JSON.stringify(st)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return '1.' + btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}, state);
const linkCases = [
  ['?state= that is not JSON', () => '?state=%7Bstride%3A2', 'The link\'s state was not applied: it is not valid JSON'],
  ['?state= from an older version (a renamed field)', () => '?state=' + encodeURIComponent('{"lab":"hand-conv","kernel_size":3}'),
    'The link\'s state was not applied: unknown field "kernel_size"; this lab\'s commands use: dims, image, kernel, bias, stride, dilation, padding, flip, reset, image_preset, preset, mode, new_exercise, seed, cells, position, step, hint, answer, answers, reveal, show_all, playing, speed'],
  ['#s= that is not a link', () => '#s=hello', 'This link is damaged, so the lab opened as usual.'],
  ['#s= cut off half way', async (p) => '#s=' + (await packed(p, { lab: 'pooling', kernel: 3 })).slice(0, 12), 'This link is damaged, so the lab opened as usual.'],
  ['#s= of 1.5 MB of junk', () => '#s=1.' + 'A'.repeat(1.5 * (1 << 20)), 'This link is damaged, so the lab opened as usual.'],
  ['#s= from an older version (a field the lab no longer has)', async (p) => '#s=' + await packed(p, { lab: 'pooling', pool_size: 3 }),
    'This link no longer fits the lab (unknown field "pool_size"; this lab\'s commands use: source, photo, grid, kind, kernel, stride, padding, shift, reset, position, new_exercise, seed, hint, answer), so the lab opened with its defaults.'],
];
for (const [what, address, message] of linkCases) {
  test(`link: ${what}`, async (ctx) => {
    const p0 = await page(ctx);
    const { p, text, s } = await notice(ctx.browser, ctx.url + await address(p0)).catch((e) => { throw new Error(String(e.message).slice(0, 300)); });
    expectEqual(text, message, what);
    expect(typeof s.lab === 'string' && !s.error, `the lab opened: ${JSON.stringify(s).slice(0, 100)}`);
    expectEqual(p.errors, [], 'console errors');
    await p.close();
  });
}
test('link: ?lab= with a script in it: named as text, never run', async ({ browser, url }) => {
  const p = await browser.newPage();
  let dialogs = 0;
  p.on('dialog', (d) => { dialogs++; d.dismiss(); });
  await p.goto(url + '?lab=' + encodeURIComponent('<script>alert(1)</script>'));
  await p.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null);
  await frames(p, 5);
  expectEqual(await p.evaluate(() => cnnlab.state().lab), 'hand-conv', 'the lab that opened');
  expectEqual([dialogs, await p.evaluate(() => document.querySelectorAll('script').length)], [0, 2], 'dialogs opened, scripts in the page');
  await p.close();
});

// ---- Picture files through the file picker (dropped on the image-kernel lab)
const pictureCases = [
  ['a text file named .png', 'not-a-picture.png', 'Picture not changed: not-a-picture.png is not a picture the browser can read.'],
  ['a PNG of 0 x 0 pixels', 'zero.png', 'Picture not changed: zero.png is not a picture the browser can read.'],
  ['a 400 KB PNG of 20000 x 20000 pixels', 'huge.png', 'Picture not changed: huge.png is 20000 x 20000 pixels (400 megapixels); a picture may have at most 50 megapixels.'],
  ['a PNG cut off half way', 'truncated.png', 'Picture not changed: truncated.png is not a picture the browser can read.'],
];
for (const [what, file, message] of pictureCases) {
  test(`picture: ${what}`, async (ctx) => {
    const p = await page(ctx);
    const before = await p.evaluate(() => cnnlab.command({ lab: 'image-kernels' }));
    await p.setInputFiles('#cnnlab-open-picture', generated(file));
    await p.waitForFunction((b) => cnnlab.state().note !== b, before.note, { timeout: 10000 });
    const s = await p.evaluate(() => cnnlab.state());
    expectEqual([s.note, s.image], [message, before.image], what);
    await unchanged(p);
  });
}
// Awkward but readable: taken, with their first pixel's colour checked through the lab's state.
const readableCases = [
  ['an animated GIF (red, then blue): its first frame', 'animated.gif', [255, 0, 0]],
  ['a 16-bit greyscale PNG (white left half)', 'grey16.png', [255, 255, 255]],
  ['a CMYK JPEG (red left half)', 'cmyk.jpg', [255, 0, 0]],
];
for (const [what, file, rgb] of readableCases) {
  test(`picture: ${what}`, async (ctx) => {
    const p = await page(ctx);
    await p.setInputFiles('#cnnlab-open-picture', generated(file));
    await p.waitForFunction((f) => cnnlab.state().image === 'file:' + f, file, { timeout: 10000 });
    // a 1x1 kernel of 1 at [0, 0] gives the first pixel's grey (BT.601 luma, 0..1)
    const s = await p.evaluate(() => cnnlab.command({ lab: 'image-kernels', color: false, kernel: [[1]], padding: 'valid', stride: 1, dilation: 1, position: [0, 0] }));
    expectEqual([s.width, s.height], [8, 6], 'its size');
    const luma = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255;
    expect(Math.abs(s.window.value - luma) < 0.03, `the first pixel's grey is ${s.window.value}, expected ${luma.toFixed(3)}`);
    await p.evaluate(() => cnnlab.command({ lab: 'image-kernels', image: 'square', kernel: [[0, 1, 0], [1, -4, 1], [0, 1, 0]] }));
    await unchanged(p);
  });
}

// ---- A dataset download that is not what it should be
test('dataset: the training images answer with HTML instead of gzip', async ({ browser, url }) => {
  const p = await browser.newPage();
  await p.route('**/data/fashion/train-images-idx3-ubyte.gz', (route) => route.fulfill({ status: 200, body: '<html>Not found</html>' }));
  await p.goto(url + '?lab=train');
  await p.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null);
  await p.evaluate(() => cnnlab.ready);
  await p.waitForFunction(() => cnnlab.state().data_error, null, { timeout: 60000 });
  const error = await p.evaluate(() => cnnlab.state().data_error);
  expect(error.startsWith('the fashion dataset could not be loaded: '), error);
  expectEqual(await p.evaluate(() => cnnlab.command({ lab: 'train', action: 'step' }).error), 'the fashion dataset is still loading; try again when data_loaded is true',
    'a step without data');
  await p.close();
});

test('message: a parent page posts a command nested 1,000 levels (10,000 is more than postMessage itself can copy)', async ({ browser, url }) => {
  const p = await browser.newPage();
  await p.goto(url + 'course-page');  // a page of the lab's own origin (a 404 is enough): an opaque origin gets no answer
  await p.setContent(`<iframe src="${url}?lab=hand-conv&embed=1" width="600" height="400"></iframe>`);
  const frame = () => p.frames().find((f) => f.url().startsWith(url));
  await p.waitForFunction(() => true);
  for (let i = 0; i < 100 && !(frame() && await frame().evaluate(() => window.cnnlab && cnnlab.firstFrameMs !== null).catch(() => false)); i++)
    await new Promise((r) => setTimeout(r, 200));
  const reply = await p.evaluate((origin) => new Promise((resolve) => {
    window.addEventListener('message', (e) => { if (e.data && e.data.id === 'deep') resolve(e.data); });
    setTimeout(() => resolve({ event: 'no reply in 10 s' }), 10000);
    let v = 1;
    for (let i = 0; i < 1000; i++) v = [v];
    document.querySelector('iframe').contentWindow.postMessage({ type: 'cnnlab', id: 'deep', command: { stride: v } }, origin);
  }), new URL(url).origin);
  expectEqual([reply.event, reply.error], ['error', 'the command is nested 1001 levels deep; at most 64 are allowed'], 'the reply');
  await p.close();
});

serveAndRun(async (ctx) => {
  const failed = await run(ctx);
  if (shared) await shared.close();
  return failed;
});
