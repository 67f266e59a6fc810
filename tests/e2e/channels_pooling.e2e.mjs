// channels_pooling.e2e.mjs — the channels and pooling labs in headless Chromium, embedded: an
// exercise solved right and wrong through cnnlab.command, the events a course page receives,
// one answer typed and checked in the canvas, a real photo's feature map, screenshots.
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('channels-pooling');

// Records the events the lab posts (to cnnlab.on listeners; a parent page gets the same by message).
async function listen(page) {
  await page.evaluate(() => {
    window.received = [];
    cnnlab.on((event) => { if (event !== 'progress') window.received.push(event); });  // progress: mistakes.e2e.mjs
  });
}

test('pooling: the 4x4 example, an exercise right and wrong, a typed answer, a photo', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=pooling&embed=1`);
  await listen(page);
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.lab, s.kind, s.output, s.winners[0][1]], ['pooling', 'max', [[6, 8], [3, 4]], [1, 3]], 'default max pooling');
  expectEqual(s.shift_experiment.pooled_changed_cells, 0, 'a shift by one leaves the pooled output alone');
  await frames(page, 3);
  let stats = await screenshotStats(page, 'pooling.png');  // yellow: the selected window
  expect(stats.colours > 150 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 100, `no yellow window on screen: ${JSON.stringify(stats)}`);

  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 1 }));
  const expected = s.output;  // the engine's pooled grid of the exercise
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), expected);
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 1, correct: 1 }], 'right answer');
  const wrong = expected.map((row) => row.map((v) => v + 1));
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), wrong);
  expectEqual([s.last_answer.correct, s.last_answer.expected, s.score], [false, expected, { answered: 2, correct: 1 }], 'wrong answer');

  // a new exercise answered by typing into the canvas: every cell, then Check
  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 2 }));
  await frames(page, 3);
  for (let r = 0; r < s.output.length; r++)
    for (let c = 0; c < s.output[0].length; c++) {
      await clickRect(page, await anchor(page, `answer/${r},${c}`));
      await page.keyboard.type(String(s.output[r][c]));
    }
  await clickRect(page, await anchor(page, 'check'));
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.last_answer.correct, s.solved, s.score], [true, true, { answered: 3, correct: 2 }], 'typed answer');
  await frames(page, 2);
  expectEqual(await page.evaluate(() => window.received), ['exercise-new', 'answer', 'answer', 'exercise-new', 'answer'], 'events');
  expectEqual(JSON.parse(await page.evaluate(() => localStorage.getItem('cnnlab:progress'))).pooling, { answered: 3, correct: 2 }, 'progress');

  // a real photo: the feature map of Chelsea the cat, 2x2 max pooled
  await page.evaluate(() => cnnlab.command({ photo: 'chelsea', kind: 'max', kernel: 2, stride: 2, padding: 0 }));
  await page.waitForFunction(() => cnnlab.state().photo_loaded === 'chelsea', null, { timeout: 15000 });
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.input_size, s.output_size, s.note], [[32, 32], [16, 16], null], 'photo feature map');
  const winner = s.winners[3][5];
  expectEqual(s.output[3][5], s.input[winner[0]][winner[1]], 'a pooled value is its winner\'s value');
  expect(Math.max(...s.output.flat()) > 0.2, 'the cat has edges');
  await frames(page, 3);
  stats = await screenshotStats(page, 'pooling-photo.png');
  expect(stats.colours > 150 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('channels: shapes and counts, an exercise right and wrong, a typed answer', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=channels&embed=1`);
  await listen(page);
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.lab, s.input_shape, s.weight_shape, s.output_shape, s.params.total], ['channels', [1, 3, 6, 6], [3, 3, 3, 3], [1, 3, 4, 4], 84],
    'default layer');
  expectEqual(s.output[0][0], [0, -3, -3, 0], 'red edges');
  s = await page.evaluate(() => cnnlab.command({ filters: 8 }));
  expect(typeof s.error === 'string' && s.error.includes('"filters" must be between 1 and 4'), JSON.stringify(s));
  await frames(page, 3);
  let stats = await screenshotStats(page, 'channels.png');
  expect(stats.colours > 150 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 30, `no yellow window on screen: ${JSON.stringify(stats)}`);

  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 3 }));
  const x = s.exercise;
  // work it out as a student would
  let params, shape;
  if (x.layer === 'linear') {
    params = x.out_features * x.input_shape[1] + (x.bias ? x.out_features : 0);
    shape = [x.input_shape[0], x.out_features];
  } else {
    params = x.out_channels * x.input_shape[1] * x.kernel * x.kernel + (x.bias ? x.out_channels : 0);
    const side = Math.floor((x.input_shape[2] + 2 * x.padding - x.kernel) / x.stride) + 1;
    shape = [x.input_shape[0], x.out_channels, side, side];
  }
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), { params, output_shape: shape });
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 1, correct: 1 }], 'right answer');
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), { params: params * 2, output_shape: shape });
  expectEqual([s.last_answer.correct, s.last_answer.expected.params, s.score], [false, params, { answered: 2, correct: 1 }], 'wrong answer');

  // typed in the canvas: the parameters and the shape, then Check
  await clickRect(page, await anchor(page, 'answer'));
  await page.keyboard.type(String(params));
  await clickRect(page, await anchor(page, 'answer-shape'));
  await page.keyboard.type(shape.join(', '));
  await clickRect(page, await anchor(page, 'check'));
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.last_answer.correct, s.last_answer.given, s.score], [true, { params, output_shape: shape }, { answered: 3, correct: 2 }],
    'typed answer');
  await frames(page, 3);
  expectEqual(await page.evaluate(() => window.received), ['exercise-new', 'answer', 'answer', 'answer'], 'events');
  stats = await screenshotStats(page, 'channels-exercise.png');
  expect(stats.colours > 150 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

serveAndRun(run);
