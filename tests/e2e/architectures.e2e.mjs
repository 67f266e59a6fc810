// architectures.e2e.mjs — the "architectures" lab in headless Chromium, embedded: a click on a
// network's card, one forward pass of ResNet-18 and of VGG-16 on the photo in the page (VGG-16's
// 528 MB of parameters fit; the times printed, not asserted), EfficientNet at phi 7 refused with the
// memory it would need, an exercise answered right through the drawn fields and wrong through
// cnnlab.command, and a screenshot measured
// for the lab's colours (out/e2e/architectures.png).
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('architectures');

test('architectures: a network picked, ResNet-18 and VGG-16 run in the page, phi 7 refused, an exercise typed', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=architectures&embed=1`);
  let s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.lab, s.network, s.shown.params, s.layers.length], ['architectures', 'resnet18', 11689512, 69], 'the default');
  // a click on VGG-16's card
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'network-vgg16'));
  await frames(page, 2);
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.network, s.shown.params, s.shown.fits, s.shown.trains], ['vgg16', 138357544, true, false], 'VGG-16 after the click');
  // one forward pass each, on the photo, while the page keeps drawing
  await page.waitForFunction(() => cnnlab.state().photo_loaded === 'chelsea', null, { timeout: 20000 });
  for (const network of ['resnet18', 'vgg16']) {
    s = await page.evaluate((n) => cnnlab.command({ network: n, run: true }), network);
    expectEqual(s.forward.state, 'running', `${network} started`);
    await page.waitForFunction(() => cnnlab.state().forward.state !== 'running', null, { timeout: 120000 });
    s = await page.evaluate(() => cnnlab.state());
    expectEqual([s.forward.state, s.forward.input, s.forward.layers_done], ['done', 'chelsea', s.layers.length], `${network} done`);
    const slowest = Math.max(...s.timings.layer_ms);
    console.log(`  ${s.forward.network}: built in ${s.timings.build_ms.toFixed(0)} ms, forward ${s.timings.forward_ms.toFixed(0)} ms (slowest layer ${slowest.toFixed(0)} ms, longest slice between frames ${s.timings.slowest_slice_ms.toFixed(0)} ms; ${s.shown.inference_mb} MB of memory touched in ${s.timings.touch_ms.toFixed(0)} ms)`);
  }
  // too big for the page, even for one picture: refused with its size
  s = await page.evaluate(() => cnnlab.command({ network: 'efficientnet_b0', phi: 7, run: true }));
  expectEqual(s.forward.state, 'refused', 'phi 7');
  expect(/needs \d+ MB/.test(s.forward.message) && s.forward.message.includes('768 MB'), s.forward.message);
  // an exercise, typed into the drawn fields
  s = await page.evaluate(() => cnnlab.command({ phi: 0, new_exercise: true, seed: 4 }));
  const layer = s.layers[s.exercise.index];
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'answer-shape'));
  await page.keyboard.type(layer.shape.join(' '));
  await frames(page, 1);
  await clickRect(page, await anchor(page, 'answer-params'));
  await page.keyboard.type(String(layer.params));
  await frames(page, 1);
  await clickRect(page, await anchor(page, 'check'));
  await frames(page, 2);
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.last_answer && s.last_answer.correct, s.score], [true, { answered: 1, correct: 1 }], 'the typed answer');
  // and one wrong through cnnlab.command: the biases left out (or counted where there are none)
  s = await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 4 }));
  const off = s.exercise.bias ? layer.params - s.exercise.out : layer.params + s.exercise.out;
  s = await page.evaluate((a) => cnnlab.command({ answer: a }), { shape: layer.shape, params: off });
  expectEqual([s.last_answer.correct, s.last_answer.mistake.id, s.score], [false, s.exercise.bias ? 'bias-forgotten' : 'bias-counted',
    { answered: 2, correct: 1 }], 'a wrong answer, its mistake named');
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress')));
  expectEqual(progress.architectures, { answered: 2, correct: 1 }, 'progress kept');
  await page.evaluate(() => cnnlab.command({ network: 'resnet50' }));
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'architectures.png', [232, 150, 40]);  // the shown network's dot
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

serveAndRun(run);
