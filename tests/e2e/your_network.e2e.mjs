// your_network.e2e.mjs — the labs on the student's own network, in headless Chromium, embedded:
// "transfer" with the ready network trained on MNIST reused for Fashion-MNIST three ways (its time
// printed); "adversarial" with the ready network trained in the page, PGD chosen by a click, the accuracy
// against eps on 1,000 test pictures (its time printed); "explain" with its four explanations and a
// drawing chosen by a click; in each, one exercise answered right and one wrong through
// cnnlab.command, with the events and the stored progress; screenshots measured
// (out/e2e/transfer.png, out/e2e/adversarial*.png, out/e2e/explain*.png).
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('your-network');

// Opens a lab embedded and waits for the ready network (trained in the page) to be in use.
async function openWithReadyNetwork(browser, url, lab, ready) {
  const page = await openPage(browser, `${url}?lab=${lab}&embed=1`);
  const started = Date.now();
  await page.evaluate(() => cnnlab.command({ network: 'ready', dataset: 'fashion' }));
  await page.waitForFunction(ready, null, { timeout: 120000 });
  const s = await page.evaluate(() => cnnlab.state());
  console.log(`     ${lab}: Fashion-MNIST fetched and the ready network trained in ${((Date.now() - started) / 1000).toFixed(1)} s: ${s.using.about}`);
  return page;
}

async function exerciseRightAndWrong(page, lab, seed, wrong, right, mistake) {
  await page.evaluate(() => {
    window.received = [];
    cnnlab.on((event) => { if (event !== 'progress') window.received.push(event); });
  });
  let s = await page.evaluate((seed) => cnnlab.command({ new_exercise: true, seed }), seed);
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), wrong(s.exercise));
  expectEqual([s.last_answer.correct, s.last_answer.mistake.id], [false, mistake], `${lab}: a wrong answer named`);
  s = await page.evaluate((v) => cnnlab.command({ answer: v }), right(s.exercise));
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 2, correct: 1 }], `${lab}: the right answer`);
  await frames(page, 2);
  expectEqual(await page.evaluate(() => window.received), ['exercise-new', 'answer', 'answer'], `${lab}: events`);
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress')));
  expectEqual(progress[lab], { answered: 2, correct: 1 }, `${lab}: progress in localStorage`);
}

test('adversarial: FGSM and PGD on the ready network; an exercise right and wrong', async ({ browser, url }) => {
  const page = await openWithReadyNetwork(browser, url, 'adversarial', () => cnnlab.state().result !== null);
  let s = await page.evaluate(() => cnnlab.command({ picture: 0, epsilon: 0.05 }));
  expectEqual([s.using.source, s.attack, s.result.label_name], ['ready', 'fgsm', 'Ankle boot'], 'FGSM on test picture 0');
  expect(s.result.largest_change <= 0.05 + 1e-6 && s.result.after.probabilities[s.result.label] < s.result.before.probabilities[s.result.label],
    `FGSM 0.05: ${JSON.stringify(s.result.before.probabilities)} -> ${JSON.stringify(s.result.after.probabilities)}`);
  await clickRect(page, await anchor(page, 'attack-pgd'));
  s = await page.evaluate(() => cnnlab.state());
  expectEqual(s.attack, 'pgd', 'PGD chosen by a click');
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'adversarial.png');
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  const step = (e, direction, useSign, clip) => e.pixels.map((x, i) => {
    const g = e.gradient[i], sign = g > 0 ? 1 : g < 0 ? -1 : 0;
    const v = x + direction * e.epsilon * (useSign ? sign : g);
    return Math.round((clip ? Math.min(1, Math.max(0, v)) : v) * 1000) / 1000;
  });
  await exerciseRightAndWrong(page, 'adversarial', 5, (e) => step(e, -1, true, true), (e) => step(e, 1, true, true), 'wrong-direction');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('adversarial: accuracy against eps on 1,000 test pictures (the time is printed, not asserted)', async ({ browser, url }) => {
  const page = await openWithReadyNetwork(browser, url, 'adversarial', () => cnnlab.state().result !== null);
  const started = Date.now();
  await clickRect(page, await anchor(page, 'curve'));
  await page.waitForFunction(() => cnnlab.state().robustness.state === 'done', null, { timeout: 300000 });
  const s = await page.evaluate(() => cnnlab.state());
  const lines = Object.fromEntries(s.robustness.lines.map((l) => [l.name, l.accuracy.map((a) => Math.round(a * 1000) / 1000)]));
  console.log(`     accuracy against eps ${JSON.stringify(s.robustness.epsilons)} on ${s.robustness.pictures} pictures in ` +
              `${((Date.now() - started) / 1000).toFixed(1)} s (with the second network and the adversarial training):`);
  for (const [name, accuracy] of Object.entries(lines)) console.log(`       ${name}: ${JSON.stringify(accuracy)}`);
  expect(lines.fgsm[2] < lines.fgsm[0] - 0.3 && lines.pgd[2] <= lines.fgsm[2], 'FGSM and PGD at eps 0.1 hurt, PGD more');
  expect(lines['fgsm-from-another-network'][2] > lines.fgsm[2], 'an attack made on another network hurts less');
  expect(lines['pgd-after-adversarial-training'][2] > lines.pgd[2], 'adversarial training holds up better');
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'adversarial-curve.png');
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('explain: four explanations of a test picture and of a drawing; an exercise right and wrong', async ({ browser, url }) => {
  const page = await openWithReadyNetwork(browser, url, 'explain', () => cnnlab.state().explained !== null);
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.explained.grad_cam.map.length, s.explained.occlusion.rows, s.explained.features.channels.length], [14, 12, 4],
    'Grad-CAM at conv2 (14x14), 12x12 occlusion places, conv1\'s 4 filters');
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  let stats = await screenshotStats(page, 'explain.png');
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  await clickRect(page, await anchor(page, 'source-drawing'));
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.source, s.explained.label], ['drawing', null], 'the drawing chosen by a click');
  const input = await anchor(page, 'input');  // paint a bar down the middle of the drawing
  await page.mouse.move(input[0] + input[2] * 0.5, input[1] + input[3] * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) {
    await page.mouse.move(input[0] + input[2] * 0.5, input[1] + input[3] * (0.15 + 0.06 * i));
    await frames(page, 1);
  }
  await page.mouse.up();
  s = await page.evaluate(() => cnnlab.state());
  const painted = s.drawing.flat().filter((v) => v > 0).length;
  expect(painted > 20, `only ${painted} pixels painted`);
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  stats = await screenshotStats(page, 'explain-drawing.png');
  expect(stats.colours > 100, `the canvas looks blank: ${JSON.stringify(stats)}`);
  const cam = (e, sum) => {
    const alpha = e.gradients.map((g) => g.reduce((a, b) => a + b, 0) / (sum ? 1 : 4));
    const c = e.cell[0] * 2 + e.cell[1];
    return [alpha[0], alpha[1], Math.max(0, alpha[0] * e.activations[0][c] + alpha[1] * e.activations[1][c])];
  };
  await exerciseRightAndWrong(page, 'explain', 3, (e) => cam(e, true), (e) => cam(e, false), 'sum-not-mean');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('transfer: three ways to learn Fashion-MNIST from the MNIST network, side by side (the time is printed, not asserted)', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=transfer&embed=1`);
  const started = Date.now();
  await page.evaluate(() => cnnlab.command({ network: 'ready', source: 'mnist', per_class: 100, steps: 600 }));
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'train'));
  await page.waitForFunction(() => cnnlab.state().race.state === 'done', null, { timeout: 300000 });
  let s = await page.evaluate(() => cnnlab.state());
  const accuracy = Object.fromEntries(s.race.contenders.map((c) => [c.name, c.test_accuracy]));
  const trainable = Object.fromEntries(s.race.contenders.map((c) => [c.name, c.trainable]));
  console.log(`     MNIST and Fashion-MNIST fetched, the ready network trained on MNIST, then 3 x ${s.race.steps} steps on ` +
              `${s.race.pictures} Fashion-MNIST pictures in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
              `(the race ${s.race.seconds.toFixed(1)} s): ${JSON.stringify(accuracy)}`);
  expectEqual(trainable, { scratch: 13242, 'feature-extraction': 330, 'fine-tuning': 13242 }, 'parameters trained');
  expect(Object.values(accuracy).every((a) => a > 0.5), `test accuracies ${JSON.stringify(accuracy)}`);
  await clickRect(page, await anchor(page, 'sweep'));  // then with 0, 1, 2 and 3 layers frozen
  await page.waitForFunction(() => cnnlab.state().freezing.state === 'done', null, { timeout: 300000 });
  s = await page.evaluate(() => cnnlab.state());
  console.log(`     layers frozen one by one (${s.freezing.seconds.toFixed(1)} s): ` +
              JSON.stringify(s.freezing.contenders.map((c) => [c.name, c.trainable, c.test_accuracy])));
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'transfer.png');  // lines and bars on the dark background: less of it drawn
  expect(stats.colours > 100 && stats.drawnFraction > 0.05, `the canvas looks blank: ${JSON.stringify(stats)}`);
  const count = (e, from, bias) => e.layers.slice(from).reduce((n, L) => n + L.out * L.in * (L.kind === 'conv' ? L.kernel * L.kernel : 1) + (bias ? L.out : 0), 0);
  await exerciseRightAndWrong(page, 'transfer', 4, (e) => count(e, e.frozen, false), (e) => count(e, e.frozen, true), 'bias-forgotten');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

serveAndRun(run);
