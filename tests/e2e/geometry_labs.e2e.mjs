// geometry_labs.e2e.mjs — the "arithmetic" and "matrix" labs in headless Chromium, embedded:
// their defaults, one exercise answered right and one wrong through cnnlab.command, the score,
// last_answer, the events and the progress kept in localStorage, a click on a drawn widget, and a
// screenshot measured for the labs' own colours (out/e2e/arithmetic.png, out/e2e/matrix.png).
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('geometry-labs');

// Records cnnlab.on events as [event, lab] in window.events.
async function recordEvents(page) {
  await page.evaluate(() => {
    window.events = [];
    cnnlab.on((event, state) => { if (event !== 'progress') window.events.push([event, state.lab]); });  // progress: mistakes.e2e.mjs
  });
}

test('arithmetic: default, an exercise right and wrong, the transposed picture', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=arithmetic&embed=1`);
  expect((await page.evaluate(() => cnnlab.labs())).includes('arithmetic'), 'labs() lists arithmetic');
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.lab, s.input, s.kernel, s.output_size], ['arithmetic', [5, 5], 3, [3, 3]], 'default lab');
  expectEqual(s.formula.rows, 'floor((5 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 3', 'formula with the numbers');
  expectEqual([s.exercise, s.score, s.last_answer], [null, { answered: 0, correct: 0 }, null], 'exploring at the start');
  await recordEvents(page);

  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 7 }));
  const e = s.exercise;
  expect(e && e.seed === 7 && [1, 2].includes(e.dims), `exercise set-up: ${JSON.stringify(e)}`);
  // the expected shape, worked out here from the set-up with the formulas the lab teaches
  const [H, W] = e.input;
  const size = (n) => (e.kind === 'transposed'
    ? (n - 1) * e.stride - 2 * e.padding + e.dilation * (e.kernel - 1) + 1
    : Math.floor((n + 2 * e.padding - e.dilation * (e.kernel - 1) - 1) / e.stride) + 1);
  const right = e.dims === 1 ? size(W) : [size(H), size(W)];
  const wrong = e.dims === 1 ? size(W) + 50 : [size(H), size(W) + 50];  // no named mistake gives these
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), wrong);
  expectEqual([s.last_answer.correct, s.last_answer.expected, s.last_answer.given], [false, right, wrong], 'wrong answer');
  expect(s.last_answer.feedback.startsWith('Not quite: with '), s.last_answer.feedback);
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), right);
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 2, correct: 1 }], 'right answer and score');
  await frames(page, 2);
  expectEqual(await page.evaluate(() => window.events),
    [['exercise-new', 'arithmetic'], ['answer', 'arithmetic'], ['answer', 'arithmetic']], 'events');
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress')));
  expectEqual(progress.arithmetic, { answered: 2, correct: 1 }, 'progress in localStorage');
  const bad = await page.evaluate(() => cnnlab.command({ stride: 9 }));
  expect(bad.error && bad.error.includes('"stride" must be between 1 and 4'), JSON.stringify(bad));

  // a click on the drawn "Transposed" example button, then the scatter of input cell [1,1]
  await page.evaluate(() => cnnlab.command({ dims: 2 }));  // the example keeps the 1D / 2D choice
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'preset-transposed'));
  s = await page.evaluate(() => cnnlab.command({ position: [1, 1] }));
  expectEqual([s.transposed, s.exercise, s.output_size, s.formula.rows], [true, null, [7, 7], '(3-1)*2 - 2*0 + 1*(3-1) + 1 = 7'],
    'transposed example after the click');
  expectEqual(s.writes, [[2, 2], [2, 3], [2, 4], [3, 2], [3, 3], [3, 4], [4, 2], [4, 3], [4, 4]], 'cells input [1,1] writes');
  await page.mouse.move(1270, 790);  // no tooltip over the picture
  await frames(page, 3);
  const stats = await screenshotStats(page, 'arithmetic.png', [232, 190, 60]);  // the yellow of the current kernel copy
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 2000, `no yellow kernel copy on screen: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('matrix: default C, an exercise right and wrong, the matrix on screen', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=matrix&embed=1`);
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual(s.matrix, [[1, 2, 0, 3, 4, 0, 0, 0, 0], [0, 1, 2, 0, 3, 4, 0, 0, 0], [0, 0, 0, 1, 2, 0, 3, 4, 0], [0, 0, 0, 0, 1, 2, 0, 3, 4]],
    'C of the 2x2 kernel over the 3x3 input');
  expectEqual([s.y, s.matches_conv, s.backward.matches], [[9, 17, 8, 11], true, true], 'y = Cx and C^T dy agree with the engine');
  expectEqual(s.multiplies, { dense: 36, nonzero: 16, window: 16 }, 'multiplies');
  await recordEvents(page);

  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 7 }));
  const row = s.exercise.row;
  const expected = s.matrix[row];
  const wrong = expected.map((v, i) => (i === expected.length - 1 ? v + 2 : v));
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), wrong);
  expectEqual([s.last_answer.correct, s.last_answer.wrong, s.last_answer.expected], [false, [expected.length - 1], expected], 'wrong row');
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), expected);
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 2, correct: 1 }], 'right row and score');
  expect(s.last_answer.feedback.startsWith(`Right: y${row} = `), s.last_answer.feedback);
  await frames(page, 2);
  expectEqual(await page.evaluate(() => window.events), [['exercise-new', 'matrix'], ['answer', 'matrix'], ['answer', 'matrix']], 'events');
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress')));
  expectEqual(progress.matrix, { answered: 2, correct: 1 }, 'progress in localStorage');

  // back to the default problem, the backward view chosen by a click on its radio button
  s = await page.evaluate(() => cnnlab.command({ reset: true }));
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'view-backward'));
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.view, s.backward.dx_matrix], ['backward', [[1, 3, 2], [4, 10, 6], [3, 7, 4]]], 'backward view after the click');
  await page.evaluate(() => cnnlab.command({ view: 'matrix' }));
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'matrix.png', [220, 90, 80]);  // the colour of kernel weight 0 in C
  expect(stats.colours > 100 && stats.drawnFraction > 0.08, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 3000, `no weight-0 cells of C on screen: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

serveAndRun(run);
