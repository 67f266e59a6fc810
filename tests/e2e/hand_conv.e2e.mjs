// hand_conv.e2e.mjs — the hand-convolution lab in headless Chromium: loading, the JS API, an
// exercise answered both through cnnlab.command and by clicking and typing in the canvas, bad
// input, links to a state, embedding in a course page, resizing and high-DPI.
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const SQUARE_SOBEL_X = [[3, 0, -3], [4, 0, -4], [3, 0, -3]];  // tests/engine_conv_test.cpp works it out by hand
const { test, run } = runner('hand-conv');

test('?lab=hand-conv opens the lab with its default problem', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=hand-conv`);
  const labs = await page.evaluate(() => cnnlab.labs());
  expectEqual([labs[0], labs.includes('image-kernels'), labs[labs.length - 1]], ['hand-conv', true, 'explain'], 'labs() in lesson order (Your network last)');
  const s = await page.evaluate(() => cnnlab.state());
  expectEqual(s.lab, 'hand-conv', 'state().lab');
  expectEqual(s.output, SQUARE_SOBEL_X, 'output');
  expectEqual(s.window.expression, '0*-1 + 0*0 + 0*1 + 0*-2 + 1*0 + 1*2 + 0*-1 + 1*0 + 1*1 = 3', 'window at [0,0]');
  const stats = await screenshotStats(page, 'hand-conv.png');
  expect(stats.colours > 200 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 200, `no yellow kernel window on screen: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('an exercise through cnnlab.command: right and wrong answers, events to cnnlab.on listeners', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=hand-conv`);
  await page.evaluate(() => {
    window.received = [];
    cnnlab.on((event, state) => { if (event !== 'progress') window.received.push({ event, state }); });  // progress: mistakes.e2e.mjs
  });
  let s = await page.evaluate(() => cnnlab.command({ mode: 'exercise' }));
  expectEqual([s.exercise_score, s.score], [{ correct: 0, asked: 9, attempts: 0, revealed: 0 }, { answered: 0, correct: 0 }], 'score at the start');
  s = await page.evaluate(() => cnnlab.command({ answer: { position: [0, 0], value: 3 } }));
  expectEqual(s.correct[0][0], true, 'right answer 3 at [0,0]');
  s = await page.evaluate(() => cnnlab.command({ answer: { position: [0, 1], value: 5 } }));
  expectEqual(s.correct[0][1], false, 'wrong answer 5 at [0,1]');
  s = await page.evaluate(() => cnnlab.state());
  expectEqual(s.answers[0], [3, 5, null], 'answers row 0');
  expectEqual([s.exercise_score, s.score], [{ correct: 1, asked: 9, attempts: 2, revealed: 0 }, { answered: 2, correct: 1 }], 'score');
  await frames(page, 2);
  const received = await page.evaluate(() => window.received.map((m) => [m.event, m.state.last_answer.correct]));
  expectEqual(received, [['answer', true], ['answer', false]], 'events to cnnlab.on listeners');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('an exercise by hand: click a cell, type the answer and a product, press Check', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=hand-conv&embed=1`);
  await page.evaluate(() => cnnlab.command({ mode: 'exercise' }));
  await frames(page, 3);
  const grid = await anchor(page, 'output-grid');  // 3 x 3 cells
  await clickRect(page, grid, 0.5 / 3, 1.5 / 3);  // cell [1, 0]
  expectEqual((await page.evaluate(() => cnnlab.state())).position, [1, 0], 'window after clicking cell [1,0]');
  await clickRect(page, await anchor(page, 'answer'));
  await page.keyboard.type('4');
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'check'));
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.answers[1][0], s.correct[1][0]], [4, true], 'typed 4 at [1,0]');

  // [1,2] is -4: type 4, and a wrong product at tap [1,2] (the pixel there is 0, so 0*2 = 0, not 5)
  await clickRect(page, grid, 2.5 / 3, 1.5 / 3);
  await clickRect(page, await anchor(page, 'answer'));
  await page.keyboard.type('4');
  await clickRect(page, await anchor(page, 'product/1,2'));
  await page.keyboard.type('5');
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'check'));
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.answers[1][2], s.correct[1][2]], [4, false], 'typed 4 at [1,2]');
  expectEqual(s.last_answer.products_off, [[1, 2]], 'the product marked off');
  await frames(page, 3);
  const stats = await screenshotStats(page, 'hand-conv-exercise.png', [150, 40, 40]);  // red: the wrong cell and product
  expect(stats.colours > 200 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 50, `no red mark for the wrong answer: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('exploring by hand: the next button moves the window, a click paints the image', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=hand-conv&embed=1`);
  await frames(page, 3);
  await clickRect(page, await anchor(page, 'next'));
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.position, s.window.value], [[0, 1], 0], 'after Next');
  // paint the top-left pixel (black, 0) with the brush (1): window [0,0] now adds 1*-1, so 3 becomes 2
  const input = await anchor(page, 'input-grid');  // 5 x 5, no padding
  await clickRect(page, input, 0.5 / 5, 0.5 / 5);
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.image[0][0], s.output[0][0]], [1, 2], 'pixel [0,0] and output [0,0] after painting');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('bad input gets a message and changes nothing', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=hand-conv`);
  const before = await page.evaluate(() => cnnlab.state());
  const replies = await page.evaluate(() => [
    cnnlab.command({ stride: 'x' }),
    cnnlab.command(null),
    cnnlab.command([1, 2]),
    cnnlab.command({ image: [[1e400]] }),           // Infinity becomes null in JSON
    cnnlab.command({ kernel: [[1, 2], [3]] }),
    cnnlab.command({ lab: 'nope' }),
    cnnlab.command({ image: 'x'.repeat(2 << 20) }),  // 2 MB
    cnnlab.command({ position: [99, 99] }),
  ]);
  for (const r of replies) expect(typeof r.error === 'string' && r.error.length > 10, `expected an error message, got ${JSON.stringify(r).slice(0, 200)}`);
  expect(replies[0].error.includes('"stride" must be a whole number'), replies[0].error);
  expect(replies[4].error.includes('row 2 has 1 numbers but row 1 has 2'), replies[4].error);
  expectEqual(await page.evaluate(() => cnnlab.state()), before, 'state after refused commands');
  // settings without output are not errors: the lab explains them
  const s = await page.evaluate(() => cnnlab.command({ stride: 0 }));
  expectEqual(s.output, null, 'output with stride 0');
  expect(s.message.includes('stride must be at least 1'), s.message);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'hand-conv-no-output.png');
  expect(stats.colours > 100 && stats.drawnFraction > 0.05, `blank canvas with no output: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('an unknown ?lab= shows a notice and opens the first lab', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=%3Cscript%3E`);
  expectEqual((await page.evaluate(() => cnnlab.state())).lab, 'hand-conv', 'lab opened');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('?state= links to a set-up problem; a bad one shows a notice', async ({ browser, url }) => {
  const link = encodeURIComponent(JSON.stringify({ stride: 2, padding: 1, mode: 'exercise' }));
  let page = await openPage(browser, `${url}?lab=hand-conv&state=${link}`);
  await page.waitForFunction(() => cnnlab.state().stride === 2);
  const s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.output, s.mode], [[[1, 0, -1], [4, 0, -4], [1, 0, -1]], 'exercise'], 'linked state');
  await page.close();
  page = await openPage(browser, `${url}?lab=hand-conv&state=${encodeURIComponent('{"stride":"two"}')}`);
  await page.waitForFunction(() => document.getElementById('notice').style.display === 'block');
  const notice = await page.evaluate(() => document.getElementById('notice').textContent);
  expect(notice.includes('"stride" must be a whole number'), notice);
  expectEqual((await page.evaluate(() => cnnlab.state())).stride, 1, 'stride after the bad link');
  await page.close();
});

test('embed=1 hides the lab list (tests/e2e/embed.e2e.mjs: a course page on another origin)', async ({ browser, url }) => {
  let page = await openPage(browser, `${url}?lab=hand-conv`);
  await frames(page, 2);
  expect('lab-list/hand-conv' in await page.evaluate(() => cnnlab._anchors()), 'the lab list is shown without embed');
  await page.close();
  page = await openPage(browser, `${url}?lab=hand-conv&embed=1`);
  await frames(page, 2);
  expect(!('lab-list/hand-conv' in await page.evaluate(() => cnnlab._anchors())), 'the lab list is hidden with embed=1');
  await page.close();

});

test('the canvas follows its container and the screen density', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=hand-conv&embed=1`, { width: 900, height: 620 });
  await frames(page, 3);
  expectEqual(await page.evaluate(() => [canvas.width, canvas.height]), [900, 620], 'canvas size at 900x620');
  await page.setViewportSize({ width: 1100, height: 700 });
  await frames(page, 4);
  expectEqual(await page.evaluate(() => [canvas.width, canvas.height]), [1100, 700], 'canvas size after resizing');
  await page.close();
  const context = await browser.newContext({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 2 });
  const hidpi = await context.newPage();
  hidpi.errors = [];
  await hidpi.goto(`${url}?lab=hand-conv&embed=1`);
  await hidpi.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null);
  await frames(hidpi, 3);
  expectEqual(await hidpi.evaluate(() => [canvas.width, canvas.height]), [1600, 1200], 'canvas pixels at device scale 2');
  const stats = await screenshotStats(hidpi, 'hand-conv-hidpi.png');
  expect(stats.colours > 200 && stats.drawnFraction > 0.1, `blank canvas at device scale 2: ${JSON.stringify(stats)}`);
  await context.close();
});

await serveAndRun(run);
