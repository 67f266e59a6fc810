// deeper_labs.e2e.mjs — the labs on what makes deep networks work, in headless Chromium, embedded:
// "nonlinearity" with its photo, two layers against one, the ReLU chosen by a click, the three
// networks trained side by side; "normalization" on Fashion-MNIST activations, layer norm chosen by
// a click; in each, one exercise answered right and one wrong through cnnlab.command with the events
// and the stored progress; the lab list's chapters; screenshots measured (out/e2e/nonlinearity*.png,
// out/e2e/normalization.png, out/e2e/lab-list.png).
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('deeper-labs');

test('nonlinearity: two layers are one without a ReLU, not with one; an exercise right and wrong', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=nonlinearity&embed=1`);
  await page.waitForFunction(() => cnnlab.state().picture === 'chelsea', null, { timeout: 15000 });
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.lab, s.between, s.note, s.composed.length, s.composed[0][0], s.composed[2][2]], ['nonlinearity', 'nothing', null, 5, 1, 0],
    'Sobel x then Sobel y on the photo: one 5x5 kernel');
  expect(s.one_layer.largest_difference < 1e-4, `two layers and one differ by ${s.one_layer.largest_difference}`);
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  let stats = await screenshotStats(page, 'nonlinearity.png', [102, 217, 128]);  // the green "rounding" line
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);

  await clickRect(page, await anchor(page, 'between-relu'));
  s = await page.evaluate(() => cnnlab.state());
  expectEqual(s.between, 'relu', 'the ReLU chosen by a click');
  expect(s.one_layer.relative_error > 0.1, `the best single kernel misses only ${s.one_layer.relative_error}`);
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  stats = await screenshotStats(page, 'nonlinearity-relu.png', [255, 179, 115]);  // the orange error line
  expect(stats.matching > 100, `no error line on screen: ${JSON.stringify(stats)}`);

  await page.evaluate(() => {
    window.received = [];
    cnnlab.on((event) => { if (event !== 'progress') window.received.push(event); });
  });
  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 4 }));
  const [a, b] = [s.exercise.kernel1, s.exercise.kernel2];
  const k = new Array(a.length + b.length - 1).fill(0);  // polynomial multiplication
  a.forEach((x, i) => b.forEach((y, j) => { k[i + j] += x * y; }));
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), k.slice(0, -1));
  expectEqual([s.last_answer.correct, s.last_answer.mistake.id], [false, 'too-few-taps'], 'a kernel one tap short');
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), k);
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 2, correct: 1 }], 'the right kernel');
  await frames(page, 2);
  expectEqual(await page.evaluate(() => window.received), ['exercise-new', 'answer', 'answer'], 'events');
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress')));
  expectEqual(progress.nonlinearity, { answered: 2, correct: 1 }, 'progress in localStorage');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('nonlinearity: three networks trained side by side in the page (the time is printed, not asserted)', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=nonlinearity&embed=1`);
  await frames(page, 2);
  const started = Date.now();
  await clickRect(page, await anchor(page, 'train'));  // fetches Fashion-MNIST, then trains 3000 steps of each
  await page.waitForFunction(() => cnnlab.state().training.state === 'done', null, { timeout: 180000 });
  const seconds = (Date.now() - started) / 1000;
  const s = await page.evaluate(() => cnnlab.state());
  const accuracy = Object.fromEntries(s.training.contenders.map((c) => [c.name, c.test_accuracy]));
  console.log(`     fetched Fashion-MNIST and trained 3 x ${s.training.steps} steps in ${seconds.toFixed(1)} s ` +
              `(training ${s.training.seconds.toFixed(1)} s): ${JSON.stringify(accuracy)}`);
  // as natively (0.837, 0.824, 0.872; the fast convolution paths round differently in WebAssembly):
  // four layers with nothing between them learn no more than one linear layer; with ReLUs they do
  expect(Math.abs(accuracy['deep-linear'] - accuracy.linear) < 0.03 && accuracy['deep-relu'] > accuracy['deep-linear'] + 0.03,
    `test accuracies ${JSON.stringify(accuracy)}`);
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'nonlinearity-trained.png');
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('normalization: real activations, layer norm chosen by a click, an exercise right and wrong', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=normalization&embed=1`);
  await page.waitForFunction(() => cnnlab.state().source === 'Fashion-MNIST test pictures', null, { timeout: 30000 });
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.lab, s.norm, s.shape, s.statistics.count, s.note], ['normalization', 'batch', [8, 4, 28, 28], 4, null], 'batch norm on 8 pictures');
  // the element's normalization, worked out here from the numbers in the state
  const e = s.normalized;
  const y = (e.value - e.mean) / Math.sqrt(e.variance + 1e-5) * e.gamma + e.beta;
  expect(Math.abs(y - e.output) < 1e-3, `y = ${y}, the lab: ${e.output}`);
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'norm-layer'));
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.norm, s.statistics.count, s.statistics.axes], ['layer', 8, ['C', 'H', 'W']], 'layer norm after the click');
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'normalization.png');  // yellow: the outlined planes
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expect(stats.matching > 200, `no outlined planes on screen: ${JSON.stringify(stats)}`);

  await page.evaluate(() => {
    window.received = [];
    cnnlab.on((event) => { if (event !== 'progress') window.received.push(event); });
  });
  let seed = 1;
  for (; seed < 40; seed++) {
    s = await page.evaluate((n) => cnnlab.command({ new_exercise: true, seed: n }), seed);
    if (s.exercise.kind === 'normalize') break;
  }
  await frames(page, 1);
  await page.evaluate(() => { window.received = []; });  // the exercises tried on the way are not this one
  const x = s.exercise;
  const right = (x.value - x.mean) / Math.sqrt(x.variance + x.eps) * x.gamma + x.beta;
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), (x.value - x.mean) / Math.sqrt(x.variance + x.eps));
  expect(!s.last_answer.correct && ['gamma-beta-left-out', 'variance-not-rooted', 'shift-before-scale', 'mean-not-subtracted'].includes(s.last_answer.mistake.id),
    `the normalized value without gamma and beta: ${JSON.stringify(s.last_answer)}`);
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), right);
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 2, correct: 1 }], 'the right value');
  await frames(page, 2);
  expectEqual(await page.evaluate(() => window.received), ['answer', 'answer'], 'events');
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress')));
  expectEqual(progress.normalization, { answered: 2, correct: 1 }, 'progress in localStorage');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('normalization: the seed net without and with batch norm at four learning rates (the time is printed)', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=normalization&embed=1`, { width: 1280, height: 1500 });
  await page.waitForFunction(() => cnnlab.state().source === 'Fashion-MNIST test pictures', null, { timeout: 30000 });
  const started = Date.now();
  let s = await page.evaluate(() => cnnlab.command({ race: true }));
  expectEqual(s.rate_race.state, 'training', 'the race started');
  await page.waitForFunction(() => cnnlab.state().rate_race.state === 'done', null, { timeout: 120000 });
  s = await page.evaluate(() => cnnlab.state());
  const result = Object.fromEntries(s.rate_race.contenders.map((c) => [c.name, c.diverged ? 'diverged' : c.test_accuracy]));
  console.log(`     8 x ${s.rate_race.steps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(result)}`);
  // natively: without batch norm stuck at chance from 0.4, with it still learning at 0.6
  expect(s.rate_race.largest_rate.plain < s.rate_race.largest_rate.batchnorm, `largest rates ${JSON.stringify(s.rate_race.largest_rate)}`);
  await page.mouse.move(1270, 1490);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'normalization-race.png');
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('residual: the gradient at each layer, the two stacks trained side by side, an exercise right and wrong', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=residual&embed=1`, { width: 1280, height: 1400 });
  await page.waitForFunction(() => cnnlab.state().source === 'Fashion-MNIST test pictures', null, { timeout: 30000 });
  let s = await page.evaluate(() => cnnlab.command({ blocks: 10 }));
  expectEqual([s.gradient_norms.plain.length, s.gradient_norms.residual.length], [21, 21], 'a norm per convolution');
  expect(s.ratio.plain < 1e-6 && s.ratio.residual > 0.1, `first / last layer's gradient: ${JSON.stringify(s.ratio)}`);
  expectEqual(s.dense_layers.map((l) => l.in_channels), [16, 28, 40, 52, 64, 76], 'k0 + (l-1)·g channels into each dense layer');
  await page.evaluate(() => cnnlab.command({ blocks: 6 }));
  const started = Date.now();
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'train'));
  await page.waitForFunction(() => cnnlab.state().training.state === 'done', null, { timeout: 120000 });
  s = await page.evaluate(() => cnnlab.state());
  const accuracy = Object.fromEntries(s.training.contenders.map((c) => [c.name, c.test_accuracy]));
  console.log(`     plain and residual, 2 x ${s.training.steps} steps in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(accuracy)}`);
  expect(accuracy.residual > accuracy.plain + 0.3, `test accuracies ${JSON.stringify(accuracy)}`);
  await page.evaluate(() => {
    window.received = [];
    cnnlab.on((event) => { if (event !== 'progress') window.received.push(event); });
  });
  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 3 }));
  const x = s.exercise;
  const conv = (ci, co, k) => co * ci * k * k + co;
  const right = x.kind === 'dense' ? x.k0 + x.layers * x.growth
    : x.kind === 'params' ? conv(x.in_channels, x.out_channels, 3) + conv(x.out_channels, x.out_channels, 3) + (x.projection ? conv(x.in_channels, x.out_channels, 1) : 0)
      : Math.max(0, x.w2 * Math.max(0, x.w1 * x.x) + x.x);
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), right + 1000);
  expectEqual([s.last_answer.correct, s.last_answer.mistake.id], [false, 'other'], 'a far-off answer');
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), right);
  expectEqual([s.last_answer.correct, s.score.correct], [true, 1], 'the right answer');
  await frames(page, 2);
  expectEqual(await page.evaluate(() => window.received), ['exercise-new', 'answer', 'answer'], 'events');
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress')));
  expectEqual(progress.residual, { answered: 2, correct: 1 }, 'progress in localStorage');
  await page.mouse.move(1270, 1390);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'residual.png');
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('the lab list in chapters, a dot on the labs answered', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=nonlinearity`);
  await page.evaluate(() => cnnlab.command({ progress: 'reset' }));
  await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 2 }));
  await page.evaluate(() => cnnlab.command({ answer: [0] }));  // wrong: practising
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const list = await anchor(page, 'lab-list/nonlinearity');
  const stats = await screenshotStats(page, 'lab-list.png', [255, 190, 90]);  // the orange dot
  expect(stats.matching > 10, `no dot on screen: ${JSON.stringify(stats)}`);
  expect(list[1] > (await anchor(page, 'lab-list/pooling'))[1], 'nonlinearity after pooling');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

serveAndRun(run);
