// embed.e2e.mjs — CNN Lab in a course: a course page on another origin (web/examples/course.html,
// served on another port) drives a lab only by postMessage through cnnlab-embed.js; the lab talks
// only to its parent's origin; links carry every lab's state; progress survives a reload; and the
// single-file build works from file:// with the network off.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual, outDir } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { test, run } = runner('embed');

async function coursePage(browser, url, courseUrl, query = '') {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(`${courseUrl}course.html?app=${encodeURIComponent(url)}${query}`);
  await page.waitForFunction(() => window.course && window.course.lab, null, { timeout: 30000 });
  return page;
}

const labFrame = (page, url) => page.frames().find((f) => f.url().startsWith(url));

test('a course page on another origin drives the lab by postMessage only', async ({ browser, url, courseUrl }) => {
  const page = await coursePage(browser, url, courseUrl);
  const ready = await page.evaluate(() => course.lab.ready);
  expectEqual(ready.lab, 'hand-conv', 'the ready event\'s state');
  // the same-origin policy keeps the page's hands off window.cnnlab: messages are the only way in
  const reach = await page.evaluate(() => { try { return typeof document.querySelector('iframe').contentWindow.cnnlab; } catch (e) { return e.name; } });
  expectEqual(reach, 'SecurityError', 'touching window.cnnlab across origins');
  await page.evaluate(() => course.lab.command({ progress: 'reset' }));
  await page.click('#setup');  // the course page's own button: exercise 7
  await page.waitForFunction(() => course.events.includes('exercise-new'));
  const s = await page.evaluate(() => course.lab.command({}));
  expectEqual([s.mode, s.exercise.seed], ['exercise', 7], 'the exercise the page set up');
  await page.evaluate((v) => course.lab.command({ answer: { position: [0, 0], value: v } }), s.output[0][0]);
  await page.evaluate((v) => course.lab.command({ answer: { position: [0, 1], value: v } }), s.output[0][1] + 1);
  await page.waitForFunction(() => course.answers.length === 2);
  expectEqual(await page.evaluate(() => course.answers), [true, false], 'verdicts in the answer events');
  expectEqual(await page.textContent('#score'), 'Score: 1 right of 2 answers', 'the page\'s score line');
  const progress = await page.evaluate(() => course.lab.progress());
  expectEqual(progress.labs, { 'hand-conv': { answered: 2, correct: 1 } }, 'progress through the API');
  expectEqual(progress.concepts.find((c) => c.id === 'convolution-by-hand'),
    { id: 'convolution-by-hand', lab: 'hand-conv', title: 'Convolution by hand', state: 'practising', right_in_a_row: 0, answered: 2,
      correct: 1, mistakes: { other: 1 } }, 'the concept through the API');
  // a bad command is answered with an error, never silence
  const error = await page.evaluate(() => course.lab.command({ stride: 'two' }).then(() => 'accepted', (e) => e.message));
  expect(error.includes('"stride" must be a whole number'), error);
  // malformed messages: ignored when not meant for the lab, answered with an error when they are
  const replies = await page.evaluate(() => new Promise((resolve) => {
    const frame = document.querySelector('iframe'), origin = new URL(frame.src).origin, got = [];
    window.addEventListener('message', (e) => { if (e.data && typeof e.data.id === 'string') got.push([e.data.id, e.data.event]); });
    for (const m of ['hello', null, 42, [1, 2], { type: 'other', id: 'other' },
                     { type: 'cnnlab', id: 'number', command: 5 }, { type: 'cnnlab', id: 'extra', command: {}, extra: 1 },
                     { type: 'cnnlab', id: 'huge', command: { image: 'x'.repeat(2000000) } },
                     { type: 'cnnlab', id: 'unknown', command: { warp: 9 } }, { type: 'cnnlab', id: 'ok', command: {} }])
      frame.contentWindow.postMessage(m, origin);
    setTimeout(() => resolve(got.sort()), 1500);
  }));
  expectEqual(replies, [['extra', 'error'], ['huge', 'error'], ['number', 'error'], ['ok', 'reply'], ['unknown', 'error']], 'replies to odd messages');
  // typing goes to the lab while it has focus, not to the course page
  const frame = labFrame(page, url);
  await page.evaluate(() => { window.parentKeys = 0; document.addEventListener('keydown', () => window.parentKeys++); });
  const box = await page.evaluate(() => { const r = document.querySelector('iframe').getBoundingClientRect(); return [r.left, r.top]; });
  const answerBox = (await frame.evaluate(() => cnnlab._anchors())).answer;
  expect(answerBox, 'the answer field is on screen in the iframe');
  await page.mouse.click(box[0] + answerBox[0] + answerBox[2] / 2, box[1] + answerBox[1] + answerBox[3] / 2);
  await frames(frame, 2);
  await page.keyboard.type('12');
  await frames(frame, 2);
  expectEqual(await page.evaluate(() => [document.activeElement.tagName, window.parentKeys]), ['IFRAME', 0], 'focus and keys seen by the course page');
  const check = (await frame.evaluate(() => cnnlab._anchors())).check;  // the typed digits reached the lab: Check takes them
  await page.mouse.click(box[0] + check[0] + check[2] / 2, box[1] + check[1] + check[3] / 2);
  await frames(frame, 3);
  const typed = await frame.evaluate(() => cnnlab.state().last_answer);
  expectEqual(typed && typed.given, 12, 'the value typed into the iframe, checked');
  // the lab follows its iframe's size, sharp at the screen's density
  expectEqual(await frame.evaluate(() => [canvas.width, canvas.height]), await page.evaluate(() => {
    const f = document.querySelector('iframe'); return [f.clientWidth, f.clientHeight];
  }), 'canvas size in the iframe');
  await page.evaluate(() => { const lab = document.getElementById('lab'); lab.style.width = '640px'; lab.style.height = '420px'; });
  await frame.waitForFunction(() => canvas.width === 640 && canvas.height === 420, null, { timeout: 10000 });
  await frames(frame, 3);
  const stats = await screenshotStats(page, 'embed-course.png');
  expect(stats.colours > 200, `the course page looks empty: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('the lab talks only to its parent, and only to the origin ?origin= names', async ({ browser, url, courseUrl }) => {
  // The course page says its origin is another site: the lab must neither answer nor send events to this page.
  const page = await browser.newPage();
  await page.goto(`${courseUrl}course.html?app=${encodeURIComponent(url)}`);
  const got = await page.evaluate((labUrl) => new Promise((resolve) => {
    document.body.innerHTML = '';
    const frame = document.createElement('iframe');
    frame.src = `${labUrl}?lab=hand-conv&embed=1&origin=${encodeURIComponent('https://course.example.org')}`;
    document.body.appendChild(frame);
    const got = [];
    // only this frame's messages: the course page's own lab, removed above, may have posted "ready" just before
    window.addEventListener('message', (e) => { if (e.source === frame.contentWindow) got.push(e.data && e.data.event); });
    frame.onload = () => {
      const send = () => frame.contentWindow.postMessage({ type: 'cnnlab', id: 1, command: { stride: 2 } }, new URL(labUrl).origin);
      send(); setTimeout(send, 1500); setTimeout(send, 3000);
    };
    setTimeout(() => resolve(got), 5000);
  }), url);
  expectEqual(got, [], 'messages this page received');
  const stride = await labFrame(page, url).evaluate(() => cnnlab.state().stride);
  expectEqual(stride, 1, 'the command from the wrong origin was not applied');
  await page.close();
  // A page that is not embedded posts nothing and takes no commands by message.
  const top = await openPage(browser, `${url}?lab=hand-conv`);
  const self = await top.evaluate(() => new Promise((resolve) => {
    const got = [];
    window.addEventListener('message', (e) => got.push(e.data));
    window.postMessage({ type: 'cnnlab', id: 1, command: { stride: 2 } }, location.origin);
    setTimeout(() => resolve({ got: got.filter((m) => m.event).length, stride: cnnlab.state().stride }), 800);
  }));
  expectEqual(self, { got: 0, stride: 1 }, 'a top-level page and its own messages');
  await top.close();
});

// A change per lab, so a link has something to carry (labs not listed: their opening state).
const CHANGES = {
  'hand-conv': { stride: 2, padding: 1, mode: 'exercise' },
  'image-kernels': { preset: 'gaussian', sigma: 2, image: 'coffee' },
  train: { lr: 0.01, batch: 64, optimizer: 'sgd' },
};
const VOLATILE = ['frame_ms', 'frame_cpu_ms', 'data_progress', 'data_loaded', 'images_per_second', 'bench', 'note',
                  'sample', 'sample_label', 'sample_probs', 'photo_loaded',  // timings, and pictures still on their way
                  'using', 'result', 'explained', 'layers', 'timings'];  // and what the ready network, still training in the page, gives
const stable = (s) => Object.fromEntries(Object.entries(s).filter(([k]) => !VOLATILE.includes(k)));

test('links: every lab\'s state round-trips through #s=; damaged and outdated links open the defaults', async ({ browser, url }) => {
  // each lab is set up in one page, opened from the list as a student does; its link opens in a new page
  let page = await openPage(browser, url);
  const labs = await page.evaluate(() => cnnlab.labs());
  for (const lab of labs) {
    expect(!(await page.evaluate((id) => cnnlab.command({ lab: id }), lab)).error, `${lab}: opened`);
    await frames(page, 2);  // a lab asks for its photo when it first draws
    const change = CHANGES[lab] || { new_exercise: true, seed: 5 };
    let s = await page.evaluate((c) => cnnlab.command(c), change);
    if (s.error && !CHANGES[lab]) s = await page.evaluate(() => cnnlab.state());  // a lab without exercises: as it opens
    expect(!s.error, `${lab}: ${JSON.stringify(change)} -> ${s.error}`);
    await page.waitForFunction(() => !cnnlab.state().loading, null, { timeout: 20000 });  // a photo on its way
    await frames(page, 2);
    const before = await page.evaluate(() => cnnlab.state());
    const link = await page.evaluate(() => cnnlab.link());
    expect(link.includes('#s=1.') && link.length < 8000, `${lab}: link ${link.length} characters`);
    const again = await openPage(browser, link);
    await again.evaluate(() => cnnlab.ready);
    await frames(again, 2);  // the lab's first frames ask for its photo
    await again.waitForFunction(() => !cnnlab.state().loading, null, { timeout: 20000 });
    await frames(again, 2);
    const after = await again.evaluate(() => cnnlab.state());
    expectEqual(stable(after), stable(before), `${lab}: the state a link opens`);
    expectEqual(again.errors, [], `${lab}: console errors`);
    await again.close();
  }
  expectEqual(page.errors, [], 'console errors in the page the labs were set up in');
  await page.close();
  // the "Copy link" button puts the link in the address bar
  page = await openPage(browser, `${url}?lab=hand-conv`);
  await page.evaluate(() => cnnlab.command({ stride: 2 }));
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'copy-link'));
  await page.waitForFunction(() => location.hash.startsWith('#s=1.'), null, { timeout: 5000 });
  const copied = await page.evaluate(() => location.href);
  await page.close();
  page = await openPage(browser, copied);
  await page.evaluate(() => cnnlab.ready);
  expectEqual((await page.evaluate(() => cnnlab.state())).stride, 2, 'stride from the copied link');
  await page.close();
  // damaged: not base64 deflate at all
  page = await openPage(browser, `${url}#s=1.this-is-not-a-link`);
  await page.evaluate(() => cnnlab.ready);
  await page.waitForFunction(() => document.getElementById('notice').style.display === 'block');
  expect((await page.textContent('#notice')).includes('damaged'), await page.textContent('#notice'));
  expectEqual((await page.evaluate(() => cnnlab.state())).lab, 'hand-conv', 'lab after a damaged link');
  // outdated: a well-made link whose state the lab no longer takes
  const packed = await page.evaluate(async () => {
    const stream = new Blob([JSON.stringify({ lab: 'hand-conv', stride: 2, warp_drive: true })]).stream().pipeThrough(new CompressionStream('deflate-raw'));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    return '1.' + btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  });
  await page.close();
  page = await openPage(browser, `${url}#s=${packed}`);
  await page.evaluate(() => cnnlab.ready);
  await page.waitForFunction(() => document.getElementById('notice').style.display === 'block');
  const notice = await page.textContent('#notice');
  expect(notice.includes('no longer fits') && notice.includes('warp_drive'), notice);
  expectEqual((await page.evaluate(() => cnnlab.state())).stride, 1, 'stride after an outdated link (defaults)');
  await page.close();
});

test('progress is kept per lab and survives a reload', async ({ browser, url }) => {
  const context = await browser.newContext();
  const page = await openPage(context, `${url}?lab=hand-conv`);
  await page.evaluate(() => cnnlab.command({ progress: 'reset', mode: 'exercise' }));
  await page.evaluate(() => cnnlab.command({ answer: { position: [0, 0], value: 3 } }));  // the square under Sobel x: 3
  await page.reload();
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null);
  await page.evaluate(() => cnnlab.ready);
  const p = await page.evaluate(() => cnnlab.progress());
  expectEqual(p.labs, { 'hand-conv': { answered: 1, correct: 1 } }, 'progress after a reload');
  expectEqual(p.concepts[0].right_in_a_row, 1, 'the concept after a reload');
  const reset = (await page.evaluate(() => cnnlab.command({ progress: 'reset' }))).progress;
  expectEqual([reset.labs, reset.concepts[0].state], [{}, 'new'], 'progress after a reset');
  await context.close();
});

test('the single-file build opens from file:// with the network off: the labs work', async ({ browser }) => {
  const dir = path.join(outDir, 'package');
  fs.rmSync(dir, { recursive: true, force: true });
  console.log('  ' + execFileSync(process.execPath, [path.join(root, 'scripts', 'package.mjs'), path.join(root, 'build', 'site'), dir])
    .toString().trim().split('\n').join('\n  '));
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 800 } });
  const requests = [];
  context.on('request', (r) => { if (!/^(file|data|blob):/.test(r.url())) requests.push(r.url()); });
  const page = await openPage(context, 'file://' + path.join(dir, 'cnnlab-offline.html') + '?lab=hand-conv');
  let s = await page.evaluate(() => cnnlab.command({ mode: 'exercise' }));
  s = await page.evaluate(() => cnnlab.command({ answer: { position: [0, 0], value: 3 } }));
  expectEqual(s.correct[0][0], true, 'an answer checked in the offline file');
  s = await page.evaluate(() => cnnlab.command({ lab: 'image-kernels', image: 'chelsea' }));
  await page.waitForFunction(() => !cnnlab.state().loading && cnnlab.state().width > 100, null, { timeout: 20000 });
  await frames(page, 3);
  const stats = await screenshotStats(page, 'offline-image-kernels.png');
  expect(stats.colours > 1000, `the photo does not show offline: ${JSON.stringify(stats)}`);
  expectEqual(requests, [], 'requests to the network');
  expectEqual(page.errors, [], 'console errors');
  await context.close();
});

const site = await startServer();
const course = await startServer(path.join(root, 'web', 'examples'), 'course.html');  // another port: another origin
const browser = await launchBrowser();
let failed = 1;
try {
  failed = await run({ browser, url: site.url, courseUrl: course.url.replace('127.0.0.1', 'localhost') });
} finally {
  await browser.close();
  site.stop();
  course.stop();
}
process.exit(failed ? 1 : 0);
