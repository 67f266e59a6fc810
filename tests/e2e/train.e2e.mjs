// train.e2e.mjs — the training lab in headless Chromium: Fashion-MNIST fetched and unpacked in the
// page, the seed net trained through cnnlab.command until the loss fell and accuracy is well above
// chance, an impossible network and a diverging run explained, a saved model reloaded with the
// same predictions, and the session restored after a reload.
import path from 'node:path';
import { serveAndRun, openPage, frames, screenshotStats, expectKeptFrameIsWhole, runner, expect, expectEqual, outDir } from './harness.mjs';

const { test, run } = runner('train');
const state = (page) => page.evaluate(() => cnnlab.state());

async function openLab(browser, url, context) {
  const page = await openPage(context || browser, `${url}?lab=train`);
  await page.waitForFunction(() => cnnlab.state().data_loaded, null, { timeout: 60000 });
  return page;
}

test('training the seed net: the loss falls and test accuracy beats chance', async ({ browser, url }) => {
  const page = await openLab(browser, url);
  let s = await page.evaluate(() => cnnlab.command({ model: 'seed', lr: 0.002, action: 'reset' }));
  expectEqual([s.params, s.step, s.test_accuracy], [13242, 0, null], 'a fresh seed net');
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  await page.waitForFunction(() => cnnlab.state().step >= 600, null, { timeout: 120000 });
  await page.evaluate(() => cnnlab.command({ action: 'pause' }));
  await page.waitForFunction(() => cnnlab.state().measuring === null, null, { timeout: 60000 });  // a measurement under way ends in frames
  s = await state(page);
  expect(s.loss_curve[0] > 1.0 && s.train_loss < 0.9 * s.loss_curve[0], `loss ${s.loss_curve[0]} -> ${s.train_loss}`);
  expect(s.test_accuracy > 0.6, `test accuracy ${s.test_accuracy} (chance: 0.1)`);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'train.png');
  expect(stats.colours > 1000 && stats.drawnFraction > 0.15, `blank lab: ${JSON.stringify(stats)}`);
  await expectKeptFrameIsWhole(page, 'after hundreds of frames of training');  // (drawn only where they changed)
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('the GPU backend: conv layers in WebGL2 shaders, the same learning', async ({ browser, url }) => {
  const page = await openLab(browser, url);
  let s = await page.evaluate(() => cnnlab.command({ model: 'seed', lr: 0.002, backend: 'gpu', action: 'reset' }));
  expectEqual([s.backend, s.backend_note, s.step], ['gpu', null, 0], 'backend after choosing the GPU');
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  await page.waitForFunction(() => cnnlab.state().step >= 300, null, { timeout: 120000 });
  await page.evaluate(() => cnnlab.command({ action: 'pause' }));
  await page.waitForFunction(() => cnnlab.state().measuring === null, null, { timeout: 60000 });
  s = await state(page);
  expectEqual([s.backend, s.backend_note], ['gpu', null], 'every conv layer ran on the GPU');
  expect(s.loss_curve[0] > 1.0 && s.train_loss < 0.9 * s.loss_curve[0], `loss ${s.loss_curve[0]} -> ${s.train_loss}`);
  expect(s.test_accuracy > 0.5, `test accuracy ${s.test_accuracy} after 300 steps (chance: 0.1)`);
  console.log(`  GPU backend: ${s.images_per_second.toFixed(0)} images/s while training in the lab`);
  s = await page.evaluate(() => cnnlab.command({ backend: 'cpu' }));
  expectEqual(s.backend, 'cpu', 'back to the CPU');
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('an impossible network and a diverging run are explained', async ({ browser, url }) => {
  const page = await openLab(browser, url);
  let s = await page.evaluate(() => cnnlab.command({ model: { layers: [{ type: 'linear', out: 10 }] } }));
  expect(s.params === null && s.message.includes('put a flatten layer before it'), s.message);
  const refused = await page.evaluate(() => cnnlab.command({ action: 'start' }));
  expect(refused.error && refused.error.includes('cannot be built'), JSON.stringify(refused));
  await page.evaluate(() => cnnlab.command({ model: 'seed', optimizer: 'sgd', lr: 100000, action: 'reset' }));
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  await page.waitForFunction(() => cnnlab.state().message !== null, null, { timeout: 30000 });
  s = await state(page);
  expect(s.message.includes('the loss became') && !s.running, s.message);
  s = await page.evaluate(() => cnnlab.command({ optimizer: 'adam', lr: 0.002, action: 'reset' }));
  expectEqual([s.message, s.step], [null, 0], 'after reset');
  await page.close();
});

test('a saved model loads back with the same predictions; the session survives a reload', async ({ browser, url }) => {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  const page = await openLab(browser, url, context);
  await page.evaluate(() => cnnlab.command({ model: 'seed', lr: 0.002, action: 'reset' }));
  for (let i = 0; i < 30; i++) await page.evaluate(() => cnnlab.command({ action: 'step' }));
  const trained = (await state(page)).sample_probs;
  const [download] = await Promise.all([page.waitForEvent('download'), page.evaluate(() => cnnlab.command({ action: 'save' }))]);
  const file = path.join(outDir, 'trained.safetensors');
  await download.saveAs(file);
  await page.evaluate(() => cnnlab.command({ action: 'reset' }));
  expect(JSON.stringify((await state(page)).sample_probs) !== JSON.stringify(trained), 'reset changed the weights');
  await page.evaluate(() => cnnlab.command({ action: 'load' }));
  await page.setInputFiles('#cnnlab-open-file', file);
  await page.waitForFunction(() => cnnlab.state().note.startsWith('Loaded'), null, { timeout: 20000 });
  expectEqual((await state(page)).sample_probs, trained, 'predictions after loading the saved model');
  // a file that does not fit: refused
  await page.evaluate(() => cnnlab.command({ model: 'mlp' }));
  await page.evaluate(() => cnnlab.command({ action: 'load' }));
  await page.setInputFiles('#cnnlab-open-file', file);
  await page.waitForFunction(() => cnnlab.state().note.includes('does not fit'), null, { timeout: 20000 });
  // the session: kept on pause, restored on reload
  await page.evaluate(() => cnnlab.command({ model: 'seed', lr: 0.002, label_smoothing: 0.1, action: 'reset' }));
  for (let i = 0; i < 5; i++) await page.evaluate(() => cnnlab.command({ action: 'step' }));
  await page.evaluate(() => cnnlab.command({ action: 'pause' }));
  const kept = await state(page);
  await page.reload();
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null && cnnlab.state().data_loaded, null, { timeout: 60000 });
  await frames(page, 2);
  const back = await state(page);
  expect(back.note.startsWith('Restored'), back.note);
  expectEqual([back.step, back.sample_probs, back.label_smoothing], [kept.step, kept.sample_probs, kept.label_smoothing], 'the restored session');
  expect(Math.abs(back.label_smoothing - 0.1) < 1e-6, `label smoothing restored as ${back.label_smoothing}`);
  expectEqual(page.errors, [], 'console errors');
  await context.close();
});

await serveAndRun(run);
