// rf_backprop.e2e.mjs — the two concept labs in headless Chromium, embedded as a course page would:
// "backprop" (a gradient entry's sum, the engine and the finite difference agree; an exercise answered
// wrong and right) and "receptive-field" (3 -> 5 -> 7; an exercise answered wrong and right; the
// seed net trained in the page and its effective field measured). Screenshots: out/e2e/backprop.png,
// out/e2e/receptive-field.png.
import { serveAndRun, openPage, frames, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('rf-backprop');

// Records the events the app posts (to cnnlab.on listeners; a parent page gets the same by message).
async function listen(page) {
  await page.evaluate(() => {
    window.received = [];
    cnnlab.on((event) => { if (event !== 'progress') window.received.push(event); });  // progress: mistakes.e2e.mjs
  });
}
const received = async (page) => { await frames(page, 2); return page.evaluate(() => window.received); };

test('backprop: the sums, an exercise right and wrong, the grids on screen', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=backprop&embed=1`);
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.lab, s.output, s.dz], ['backprop', [[3, 5], [0, 3]], [[1, -2], [-1, 1]]], 'the worked example');
  // dL/dw[0,0] = 1*1 + -2*2 + -1*0 + 1*1 = -2, from the terms, the engine and a finite difference
  expectEqual([s.expression, s.engine_value], ['1*1 + -2*2 + -1*0 + 1*1 = -2', -2], 'dL/dw[0,0]');
  expect(Math.abs(s.finite_difference + 2) < 1e-3, `finite difference ${s.finite_difference}`);
  await listen(page);
  s = await page.evaluate(() => cnnlab.command({ new_exercise: 7 }));
  const { which, position: [r, c] } = s.exercise;
  // the answer worked out here from the numbers in the state
  let expected = 0;
  s.dz.forEach((row, i) => row.forEach((dz, j) => {
    if (which === 'dw') expected += dz * s.input[i + r][j + c];
    else if (r - i >= 0 && r - i < s.kernel.length && c - j >= 0 && c - j < s.kernel[0].length) expected += dz * s.kernel[r - i][c - j];
  }));
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), expected + 3);
  expectEqual([s.last_answer.correct, s.last_answer.expected, s.last_answer.given], [false, expected, expected + 3], 'a wrong answer');
  s = await page.evaluate(([w, p, v]) => cnnlab.command({ answer: { which: w, position: p, value: v } }), [which, [r, c], expected]);
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 2, correct: 1 }], 'a right answer');
  expectEqual(await received(page), ['exercise-new', 'answer', 'answer'], 'events posted');
  const refused = await page.evaluate(() => cnnlab.command({ kernel: [[1, 2, 3, 4, 5]] }));
  expect(refused.error && refused.error.includes('kernel'), JSON.stringify(refused));
  // back to the example, pointing at a pixel's gradient with one product highlighted
  s = await page.evaluate(() => cnnlab.command({ reset: true, focus: { which: 'dx', position: [1, 1] }, term: 2 }));
  expectEqual([s.engine_value, s.sum, s.terms.length, s.score.answered], [-2, -2, 4, 2], 'dL/dx[1,1] after reset');
  await frames(page, 3);
  const stats = await screenshotStats(page, 'backprop.png');  // yellow: the cells of the sum's products
  expect(stats.colours > 200 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 200, `no yellow highlight on screen: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('receptive-field: 3 -> 5 -> 7, an exercise right and wrong, the trained seed net', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=receptive-field&embed=1`);
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual(s.fields.map((f) => f.size), [3, 5, 7], 'three 3x3 convolutions');
  expectEqual(s.fields[1].r_formula, 'r2 = 3 + (3-1)*1*1 = 5', 'the recurrence with its numbers');
  s = await page.evaluate(() => cnnlab.command({ preset: 'pool' }));
  expectEqual([s.receptive_field, s.jump], [10, 4], 'conv, pool, conv, pool');
  await listen(page);
  s = await page.evaluate(() => cnnlab.command({ new_exercise: 11 }));
  let r = 1, j = 1;
  for (const L of s.exercise.layers) { r += (L.kernel - 1) * (L.dilation || 1) * j; j *= L.stride; }
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), r - 1);
  expectEqual([s.last_answer.correct, s.last_answer.expected], [false, r], 'a wrong answer');
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), r);
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 2, correct: 1 }], 'a right answer');
  expectEqual(await received(page), ['exercise-new', 'answer', 'answer'], 'events posted');
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress') || '{}'));
  expectEqual(progress['receptive-field'], { answered: 2, correct: 1 }, 'progress kept in storage');
  // the seed net: random at once, trained in the page (Fashion-MNIST fetched, 400 steps in the frame loop)
  const started = Date.now();
  s = await page.evaluate(() => cnnlab.command({ train: true }));
  expectEqual([s.net, s.erf.net, s.erf.outside], ['seed-trained', 'seed-random', 0], 'the random start while training');
  await page.waitForFunction(() => cnnlab.state().training.state === 'trained', null, { timeout: 60000 });
  s = await page.evaluate(() => cnnlab.state());
  console.log(`     fetched Fashion-MNIST and trained 400 steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  expect(s.training.test_accuracy > 0.6, `test accuracy ${s.training.test_accuracy}`);
  expectEqual([s.erf.net, s.erf.inputs, s.erf.field.size, s.erf.outside], ['seed-trained', 'test pictures', 10, 0], 'the trained effective field');
  expect(s.erf.middle.share > s.erf.middle.even_share, `the middle holds ${s.erf.middle.share}, evenly ${s.erf.middle.even_share}`);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'receptive-field.png');  // yellow: the fields' outlines
  expect(stats.colours > 200 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 200, `no yellow field outline on screen: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

serveAndRun(run);
