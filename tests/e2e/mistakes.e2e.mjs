// mistakes.e2e.mjs — named mistakes, hints and mastery in headless Chromium: a named mistake in
// the arithmetic, pooling and backprop labs (the answer each mistake gives worked out here from the
// exercise), its words on the page and its id in the answer event; three right answers master a
// concept in cnnlab.progress(), which survives a reload; an answer after a hint does not count; the
// progress view opened with the mouse and with the keyboard, in the page and embedded.
// Screenshots: out/e2e/arithmetic-mistake.png, out/e2e/progress.png, out/e2e/progress-embed.png.
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('mistakes');

// Records cnnlab.on events as {event, answer, concept} in window.events.
async function listen(page) {
  await page.evaluate(() => {
    window.events = [];
    cnnlab.on((event, state) => window.events.push({ event, answer: state.answer || null, concept: state.concept || null }));
  });
}

// The output size along an axis, as the lab teaches it.
function outputSize(e, n) {
  return e.kind === 'transposed'
    ? (n - 1) * e.stride - 2 * e.padding + e.dilation * (e.kernel - 1) + 1
    : Math.floor((n + 2 * e.padding - e.dilation * (e.kernel - 1) - 1) / e.stride) + 1;
}
const rightSize = (e) => (e.dims === 1 ? outputSize(e, e.input[1]) : [outputSize(e, e.input[0]), outputSize(e, e.input[1])]);

test('a named mistake in three labs: its id, its words on the page and in the answer event', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=arithmetic`);
  await listen(page);
  // arithmetic: the + 1 left out, in each axis (forgot-plus-one comes first in the lab's list)
  let s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 4 }));
  const right = rightSize(s.exercise);
  const plusOneLeftOut = Array.isArray(right) ? right.map((n) => n - 1) : right - 1;
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), plusOneLeftOut);
  expectEqual([s.last_answer.correct, s.last_answer.mistake.id], [false, 'forgot-plus-one'], 'arithmetic: the mistake named');
  expect(s.last_answer.mistake.text.startsWith('You left out the + 1'), s.last_answer.mistake.text);
  expectEqual(s.last_answer.feedback, s.last_answer.mistake.text, 'the words shown are the mistake\'s');
  expectEqual(s.mistakes, { 'forgot-plus-one': 1 }, 'mistakes counted in the state');
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'arithmetic-mistake.png', [255, 179, 115]);  // the wrong answer's orange words
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 200, `no feedback words on screen: ${JSON.stringify(stats)}`);

  // pooling: each window's average for a max pooling
  s = await page.evaluate(() => cnnlab.command({ lab: 'pooling' }));
  let seed = 1;
  for (; seed < 50; seed++) {
    s = await page.evaluate((n) => cnnlab.command({ new_exercise: true, seed: n }), seed);
    if (s.exercise.kind === 'max') break;
  }
  const { grid, kernel: k, stride } = s.exercise;
  const [OH, OW] = s.exercise.output_size;
  const averages = [];
  for (let r = 0; r < OH; r++) {
    averages.push([]);
    for (let c = 0; c < OW; c++) {
      let sum = 0;
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) sum += grid[r * stride + y][c * stride + x];
      averages[r].push(sum / (k * k));
    }
  }
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), averages);
  expectEqual([s.last_answer.correct, s.last_answer.mistake.id], [false, 'average-instead-of-max'], `pooling seed ${seed}: the mistake named`);

  // backprop: dL/dz taken as t - z, which turns the sign of the gradient
  s = await page.evaluate(() => cnnlab.command({ lab: 'backprop', new_exercise: 7 }));
  const { which, position: [a, b] } = s.exercise;
  let gradient = 0;
  s.dz.forEach((row, i) => row.forEach((g, j) => {
    if (which === 'dw') gradient += g * s.input[i + a][j + b];
    else if (a - i >= 0 && a - i < s.kernel.length && b - j >= 0 && b - j < s.kernel[0].length) gradient += g * s.kernel[a - i][b - j];
  }));
  expect(gradient !== 0, 'the exercise\'s gradient is not 0');
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), -gradient);
  expectEqual([s.last_answer.correct, s.last_answer.mistake.id], [false, 'upstream-sign'], 'backprop: the mistake named');
  expect(s.last_answer.feedback.includes('dL/dz = z - t'), s.last_answer.feedback);

  await frames(page, 2);
  const answers = await page.evaluate(() => window.events.filter((e) => e.event === 'answer').map((e) => [e.answer.lab, e.answer.mistake]));
  expectEqual(answers, [['arithmetic', 'forgot-plus-one'], ['pooling', 'average-instead-of-max'], ['backprop', 'upstream-sign']],
    'the mistake ids in the answer events');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('three right answers master a concept, kept across a reload; an answer after a hint does not count', async ({ browser, url }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await openPage(context, `${url}?lab=arithmetic`);
  await page.evaluate(() => cnnlab.command({ progress: 'reset' }));
  await listen(page);
  const concept = () => page.evaluate(() => cnnlab.progress().concepts.find((c) => c.id === 'output-size'));
  expectEqual((await concept()).state, 'new', 'before any answer');

  // a hint, then the right answer: counted, but not toward mastery
  let s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 1 }));
  s = await page.evaluate(() => cnnlab.command({ hint: true }));
  expectEqual([s.hints_used, s.hints.length], [1, 1], 'one hint');
  expect(s.hints[0].includes('floor((I + 2p - d(k-1) - 1)/s) + 1') || s.hints[0].includes('(I-1)s - 2p + d(k-1) + 1'), s.hints[0]);
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), rightSize(s.exercise));
  expectEqual([s.last_answer.correct, s.last_answer.hints_used], [true, 1], 'right, after a hint');
  let c = await concept();
  expectEqual([c.state, c.right_in_a_row, c.answered], ['practising', 0, 1], 'a hinted answer does not count toward mastery');

  for (const seed of [2, 3, 4]) {
    s = await page.evaluate((n) => cnnlab.command({ new_exercise: true, seed: n }), seed);
    s = await page.evaluate((a) => cnnlab.command({ answer: a }), rightSize(s.exercise));
    expect(s.last_answer.correct, `seed ${seed}: ${s.last_answer.feedback}`);
  }
  c = await concept();
  expectEqual([c.state, c.right_in_a_row, c.answered, c.correct], ['mastered', 3, 4, 4], 'mastered after three right in a row');
  await frames(page, 2);
  const changes = await page.evaluate(() => window.events.filter((e) => e.event === 'progress').map((e) => [e.concept.id, e.concept.state]));
  expectEqual(changes, [['output-size', 'practising'], ['output-size', 'mastered']], 'progress events');

  await page.reload();
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null);
  await page.evaluate(() => cnnlab.ready);
  c = await concept();
  expectEqual([c.state, c.right_in_a_row], ['mastered', 3], 'still mastered after a reload');

  // a wrong answer with a named mistake: back to practising, the mistake counted for the progress view
  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 5 }));
  const right = rightSize(s.exercise);
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), Array.isArray(right) ? right.map((n) => n - 1) : right - 1);
  c = await concept();
  expectEqual([c.state, c.mistakes], ['practising', { 'forgot-plus-one': 1 }], 'a wrong answer');
  s = await page.evaluate(() => cnnlab.command({ hint: true }));
  await frames(page, 3);
  expect((await page.evaluate(() => cnnlab._anchors())).hint, 'a Hint button after a wrong answer');

  // the progress view, from the lab list
  await clickRect(page, await anchor(page, 'lab-list/progress'));
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'progress.png', [102, 217, 128]);  // "mastered" green
  expect(stats.colours > 20 && stats.drawnFraction > 0.05, `the canvas looks blank: ${JSON.stringify(stats)}`);
  // its Practise button opens the concept's lab
  await clickRect(page, await anchor(page, 'progress/open/pooling'));
  expectEqual((await page.evaluate(() => cnnlab.state())).lab, 'pooling', 'Practise opened the pooling lab');
  expectEqual(page.errors, [], 'console errors');
  await context.close();
});

// Presses a key for one frame: the app reads keys as held at the start of a frame. Held longer, a
// slow frame (the machine busy) can pass ImGui's key-repeat delay (0.275 s) and move twice.
async function pressKey(page, key) {
  await page.keyboard.down(key);
  await frames(page, 1);
  await page.keyboard.up(key);
  await frames(page, 2);
}

test('the progress view by keyboard alone, and embedded', async ({ browser, url }) => {
  let page = await openPage(browser, `${url}?lab=channels`);
  await page.evaluate(() => cnnlab.command({ progress: 'reset' }));
  await frames(page, 2);
  const viewOpen = async () => (await page.evaluate(() => cnnlab._anchors()))['progress/open/hand-conv'] !== undefined;
  // Down: the lab list; Space: into it, on "Copy link"; Down: "Your progress"; Enter: open it
  for (const key of ['ArrowDown', 'Space', 'ArrowDown', 'Enter']) await pressKey(page, key);
  expect(await viewOpen(), 'the progress view opened by keyboard');
  // Escape: out of the list; Right: the view; Space: into it (the table's header); Down: the first Practise; Enter: press it
  for (const key of ['Escape', 'ArrowRight', 'Space', 'ArrowDown', 'Enter']) await pressKey(page, key);
  expect(!(await viewOpen()), 'the progress view closed');
  expectEqual((await page.evaluate(() => cnnlab.state())).lab, 'hand-conv', 'Practise opened the first concept\'s lab by keyboard');
  expectEqual(page.errors, [], 'console errors');
  await page.close();

  page = await openPage(browser, `${url}?lab=pooling&embed=1`);
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'embed/progress'));
  await page.mouse.move(630, 790);
  await frames(page, 3);
  const anchors = await page.evaluate(() => cnnlab._anchors());
  expect(anchors['progress/open/pooling'], 'the progress view embedded');
  const stats = await screenshotStats(page, 'progress-embed.png');
  expect(stats.colours > 20 && stats.drawnFraction > 0.03, `the canvas looks blank: ${JSON.stringify(stats)}`);
  await clickRect(page, await anchor(page, 'embed/progress'));  // back to the lab
  expect((await page.evaluate(() => cnnlab._anchors()))['new-exercise'], 'back to the lab');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

serveAndRun(run);
