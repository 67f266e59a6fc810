// faults.e2e.mjs — what goes wrong around a lesson, in headless Chromium: the WebGL context lost
// in the middle of training on the GPU backend (training goes on on the CPU from the same weights,
// no step lost or repeated, and returns to the GPU when the context comes back), and a reload in
// the middle of training (the session kept every few seconds comes back at most a few seconds
// behind, at the same step, picture and optimizer state).
import { serveAndRun, openPage, frames, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('faults');
const state = (page) => page.evaluate(() => cnnlab.state());

async function trainingLab(browser, url) {
  const page = await openPage(browser, `${url}?lab=train`);
  await page.evaluate(() => cnnlab.command({ dataset: 'mnist' }));
  await page.waitForFunction(() => cnnlab.state().data_loaded, null, { timeout: 60000 });
  return page;
}

test('the WebGL context lost mid-training: the CPU carries on from the same weights, the GPU comes back', async ({ browser, url }) => {
  const page = await trainingLab(browser, url);
  let s = await page.evaluate(() => cnnlab.command({ model: 'seed', lr: 0.002, seed: 4, backend: 'gpu', action: 'reset' }));
  expectEqual([s.backend, s.backend_note], ['gpu', null], 'training on the GPU');
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  await page.waitForFunction(() => cnnlab.state().step >= 60, null, { timeout: 120000 });
  // pause at a step, note what the weights predict, then lose the context
  await page.evaluate(() => cnnlab.command({ action: 'pause' }));
  await page.waitForFunction(() => cnnlab.state().measuring === null, null, { timeout: 60000 });
  const before = await state(page);
  await page.evaluate(() => {
    window.lose = document.getElementById('canvas').getContext('webgl2').getExtension('WEBGL_lose_context');
    window.lose.loseContext();
  });
  await frames(page, 5);
  s = await state(page);
  // the same weights: what they predict for the sample picture, now computed on the CPU (float rounding apart)
  const drift = Math.max(...s.sample_probs.map((p, i) => Math.abs(p - before.sample_probs[i])));
  expect(s.step === before.step && drift < 1e-5, `step ${before.step} -> ${s.step}; the predictions moved by ${drift}`);
  expect(s.backend_note && s.backend_note.startsWith('The GPU is not available'), `the note: ${s.backend_note}`);
  // training goes on, on the CPU: every step counted once, the loss carrying on where it was
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  await page.waitForFunction((n) => cnnlab.state().step >= n + 40, before.step, { timeout: 120000 });
  await page.evaluate(() => cnnlab.command({ action: 'pause' }));
  await page.waitForFunction(() => cnnlab.state().measuring === null, null, { timeout: 60000 });
  const cpu = await state(page);
  expect(cpu.train_loss < 1.5, `the loss on the CPU after ${cpu.step} steps is ${cpu.train_loss}: it went on from the trained weights (a fresh net's is 2.3)`);
  // the context comes back: the GPU takes the conv layers again
  await page.evaluate(() => window.lose.restoreContext());
  await page.waitForFunction(() => cnnlab.state().backend_note === null, null, { timeout: 30000 });
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  await page.waitForFunction((n) => cnnlab.state().step >= n + 20, cpu.step, { timeout: 120000 });
  await page.evaluate(() => cnnlab.command({ action: 'pause' }));
  s = await state(page);
  expectEqual([s.backend, s.backend_note], ['gpu', null], 'back on the GPU');
  expect(s.train_loss < 1.5, `the loss back on the GPU: ${s.train_loss}`);
  console.log(`  steps: ${before.step} on the GPU, to ${cpu.step} on the CPU after the loss, to ${s.step} on the GPU again; loss ${before.train_loss.toFixed(3)} -> ${cpu.train_loss.toFixed(3)} -> ${s.train_loss.toFixed(3)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

test('a reload mid-training: the session kept every few seconds comes back, at most a few seconds behind', async ({ browser, url }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await trainingLab(context, url);
  await page.evaluate(() => cnnlab.command({ model: 'seed', lr: 0.002, seed: 9, epochs: 100, backend: 'cpu', action: 'reset' }));
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  await page.waitForTimeout(9000);  // nearly two keeps (every 5 s) into the run
  const stepMs = (await state(page)).step_ms;
  // the session's description: the JSON before the first zero byte of the kept bytes
  const kept = await page.evaluate(() => {
    const bytes = cnnlab._keptBytes('cnnlab:train-session');
    return bytes && JSON.parse(new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0))));
  });
  expect(kept && kept.step > 0 && kept.optimizer_t > 0 && kept.weights_bytes > 0 && kept.cursor >= 0, `the kept session: ${JSON.stringify(kept).slice(0, 200)}`);
  // it is kept as bytes in IndexedDB (weights, then Adam's two moments per parameter), nothing in localStorage
  const where = await page.evaluate(() => new Promise((resolve) => {
    const open = indexedDB.open('cnnlab');
    open.onsuccess = () => {
      const get = open.result.transaction('kept').objectStore('kept').get('cnnlab:train-session');
      get.onsuccess = () => resolve({ indexedDB: get.result ? get.result.length : 0, localStorage: localStorage.getItem('cnnlab:train-session') });
    };
  }));
  expect(where.indexedDB > kept.weights_bytes && where.localStorage === null, `the session's bytes in IndexedDB: ${where.indexedDB}; in localStorage: ${where.localStorage && where.localStorage.length}`);
  const atReload = (await state(page)).step;
  await page.reload();
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null, null, { timeout: 30000 });
  await page.evaluate(() => cnnlab.ready);
  const s = await page.evaluate(() => cnnlab.command({ lab: 'train' }));
  // the last keep before the reload: the one read above, or a later one (a keep every 5 s goes on meanwhile)
  expect(s.step >= kept.step, `the step after the reload, ${s.step}, is before the session read at step ${kept.step}`);
  expect(s.note.startsWith(`Restored your last session (step ${s.step})`), s.note);
  const behind = atReload - s.step;
  console.log(`  reloaded at step ${atReload} after 9 s of training; restored at step ${s.step}, the last keep: ${behind} steps behind (about ${(behind * stepMs / 1000).toFixed(1)} s of steps)`);
  // (a keep may land between reading the step and the reload: a few steps ahead at most)
  expect(behind * stepMs > -500 && behind * stepMs < 6000, `restored ${behind} steps of ${stepMs} ms behind the reload`);
  expect(kept.step > 0 && atReload < 25000, `the run was still going at the reload (step ${atReload} of 25000)`);
  // it trains on from there
  await page.waitForFunction(() => cnnlab.state().data_loaded, null, { timeout: 60000 });
  await page.evaluate(() => cnnlab.command({ action: 'step' }));
  expectEqual((await state(page)).step, s.step + 1, 'one more step');
  expect((await state(page)).train_loss < 2.0, 'the loss of the restored weights');
  expectEqual(page.errors, [], 'console errors');
  await context.close();
});

test('a session kept as text by an earlier version (JSON with base64) is restored, then kept as bytes', async ({ browser, url }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await trainingLab(context, url);
  await page.evaluate(() => cnnlab.command({ model: 'seed', lr: 0.002, seed: 5, backend: 'cpu', action: 'reset' }));
  for (let i = 0; i < 7; i++) await page.evaluate(() => cnnlab.command({ action: 'step' }));
  await page.evaluate(() => cnnlab.command({ action: 'pause' }));  // kept as bytes
  const before = await state(page);
  // the same session written the earlier way, and the bytes taken away
  const legacyStep = await page.evaluate(() => new Promise((resolve) => {
    const bytes = cnnlab._keptBytes('cnnlab:train-session');
    const zero = bytes.indexOf(0);
    const about = JSON.parse(new TextDecoder().decode(bytes.subarray(0, zero)));
    const weights = bytes.subarray(zero + 1, zero + 1 + about.weights_bytes), moments = bytes.subarray(zero + 1 + about.weights_bytes);
    const b64 = (b) => { let t = ''; for (const x of b) t += String.fromCharCode(x); return btoa(t); };
    const text = { ...about, weights: b64(weights),
      optimizer_state: { t: about.optimizer_t, m: b64(moments.subarray(0, moments.length / 2)), v: b64(moments.subarray(moments.length / 2)) } };
    delete text.weights_bytes; delete text.optimizer_t;
    localStorage.setItem('cnnlab:train', JSON.stringify(text));
    const open = indexedDB.open('cnnlab');
    open.onsuccess = () => {
      const tx = open.result.transaction('kept', 'readwrite');
      tx.objectStore('kept').delete('cnnlab:train-session');
      tx.oncomplete = () => { open.result.close(); resolve(about.step); };
    };
  }));
  expectEqual(legacyStep, 7, 'the step in the text session');
  await page.reload();
  await page.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null, null, { timeout: 30000 });
  await page.evaluate(() => cnnlab.ready);
  let s = await page.evaluate(() => cnnlab.command({ lab: 'train' }));
  expectEqual(s.step, 7, 'the step restored from the text session');
  expect(s.note.startsWith('Restored your last session (step 7)'), s.note);
  await page.waitForFunction(() => cnnlab.state().data_loaded, null, { timeout: 60000 });
  s = await state(page);
  const drift = Math.max(...s.sample_probs.map((p, i) => Math.abs(p - before.sample_probs[i])));
  expect(drift < 1e-6, `the restored weights predict what they did before the reload (largest difference ${drift})`);
  await page.evaluate(() => { cnnlab.command({ action: 'step' }); cnnlab.command({ action: 'pause' }); });
  const after = await page.evaluate(() => ({ text: localStorage.getItem('cnnlab:train'), bytes: (cnnlab._keptBytes('cnnlab:train-session') || []).length }));
  expect(after.text === '' && after.bytes > 0, `after the next keep: the text session ${after.text && after.text.length} characters, the bytes ${after.bytes}`);
  expectEqual(page.errors, [], 'console errors');
  await context.close();
});

serveAndRun(run);
