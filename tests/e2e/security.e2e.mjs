// security.e2e.mjs — the page under its Content-Security-Policy (sent by scripts/serve.mjs, which
// scripts/run uses): every lab opened and used with no policy violation; no request to anywhere but
// the page's own origin (every other one is failed and counted); no eval and no inline script;
// text from a URL shown as text, never as HTML; storage that refuses is reported once.
import { serveAndRun, openPage, frames, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('security');

// Opens the page with a recorder of policy violations and of requests to other origins (failed).
async function guardedPage(browser, url, query = '') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  const origin = new URL(url).origin, elsewhere = [];
  await context.route('**/*', (route) => {
    const target = route.request().url();
    if (new URL(target).origin === origin || target.startsWith('data:') || target.startsWith('blob:')) return route.continue();
    elsewhere.push(target);
    return route.abort();
  });
  let header = null;
  const p = await context.newPage();
  p.on('response', (r) => { if (r.url() === url + query) header = r.headers()['content-security-policy']; });
  p.errors = [];
  p.on('console', (m) => { if (m.type() === 'error') p.errors.push(m.text()); });
  p.on('pageerror', (e) => p.errors.push(String(e)));
  await p.goto(url + query);
  await p.waitForFunction(() => window.cnnlab && cnnlab.firstFrameMs !== null, null, { timeout: 30000 });
  await p.evaluate(() => cnnlab.ready);
  return { p, context, elsewhere, header: () => header };
}

test('every lab, used, under the policy: no violation, no request elsewhere, no console error', async ({ browser, url }) => {
  const { p, context, elsewhere, header } = await guardedPage(browser, url);
  const policy = header() || '';
  expect(policy.includes("script-src 'self' 'wasm-unsafe-eval'") && policy.includes("default-src 'self'") && !policy.includes('unsafe-inline') &&
         !policy.includes("'unsafe-eval'"), `the page's policy: ${policy}`);
  const labs = await p.evaluate(() => cnnlab.labs());
  for (const lab of labs) {
    const s = await p.evaluate((id) => cnnlab.command({ lab: id }), lab);
    expect(!s.error, `${lab}: ${s.error}`);
    await frames(p, 4);
  }
  // things that fetch: a photo, a dataset (the training lab), a step of training
  await p.evaluate(() => cnnlab.command({ lab: 'image-kernels', image: 'chelsea' }));
  await p.waitForFunction(() => cnnlab.state().image === 'chelsea', null, { timeout: 20000 });
  await p.evaluate(() => cnnlab.command({ lab: 'train', dataset: 'mnist' }));
  await p.waitForFunction(() => cnnlab.state().data_loaded === true, null, { timeout: 60000 });
  expect(!(await p.evaluate(() => cnnlab.command({ lab: 'train', action: 'step' }))).error, 'a training step');
  await frames(p, 4);
  expectEqual(await p.evaluate(() => window.violations), [], 'policy violations');
  expectEqual(elsewhere, [], 'requests to other origins');
  expectEqual(p.errors, [], 'console errors');
  await context.close();
});

test('the policy holds: neither an inline script nor code from a string runs', async ({ browser, url }) => {
  const { p, context } = await guardedPage(browser, url);
  // (code the test itself evaluates is the debugger's, which the policy lets through: so the page is
  // made to compile the strings itself, as an attacker's injected markup would)
  await p.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.injected = 1';
    document.body.appendChild(s);
    setTimeout('window.fromString = 1', 0);  // eval by another name
  });
  await frames(p, 5);
  const result = await p.evaluate(() => [window.injected, window.fromString, window.violations.map((v) => v.split(':')[0]).sort()]);
  // undefined travels as null: neither ran; one violation each
  expectEqual(result, [null, null, ['script-src', 'script-src-elem']], '[inline script, code from a string, violations]');
  await context.close();
});

test('text from a link is shown as text: the notice holds no elements', async ({ browser, url }) => {
  const state = encodeURIComponent(JSON.stringify({ lab: 'hand-conv', '<img src=x onerror=alert(1)>': 1 }));
  const { p, context } = await guardedPage(browser, url, `?state=${state}`);
  await p.waitForFunction(() => document.getElementById('notice').style.display === 'block');
  const notice = await p.evaluate(() => [document.getElementById('notice').textContent, document.querySelectorAll('#notice *').length]);
  expect(notice[0].startsWith('The link\'s state was not applied: unknown field "<img src=x onerror=alert(1)>"'), notice[0]);
  expectEqual(notice[1], 0, 'elements inside the notice');
  await context.close();
});

test('storage that refuses (full, or not allowed): said once, and the lab goes on', async ({ browser, url }) => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Storage.prototype.setItem = function () { throw new DOMException('the quota has been exceeded', 'QuotaExceededError'); };
  });
  const p = await openPage(context, url);
  await p.evaluate(() => cnnlab.ready);
  const warnings = [];
  p.on('console', (m) => { if (m.type() === 'warning' && m.text().includes('localStorage')) warnings.push(m.text()); });
  await p.evaluate(() => {
    cnnlab.command({ lab: 'hand-conv', mode: 'exercise', new_exercise: 3 });
    const s = cnnlab.state();
    cnnlab.command({ answer: { position: [0, 0], value: s.output[0][0] } });  // an answer: the record is stored
    cnnlab.command({ answer: { position: [0, 1], value: s.output[0][1] + 1 } });
  });
  const text = await p.evaluate(() => document.getElementById('notice').textContent);
  expectEqual(text, 'This browser is not keeping your work (its storage is full or not allowed: QuotaExceededError), so it will be lost when the page reloads.',
    'the notice');
  expectEqual(warnings.length, 1, 'warnings in the console (once, though two answers were stored)');
  expectEqual(await p.evaluate(() => cnnlab.progress().labs['hand-conv']), { answered: 2, correct: 1 }, 'the answers, kept in the page');
  await context.close();
});

test('IndexedDB that refuses a large value (a training session): said once, and training goes on', async ({ browser, url }) => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    IDBObjectStore.prototype.put = function () { throw new DOMException('the quota has been exceeded', 'QuotaExceededError'); };
  });
  const p = await openPage(context, url);
  await p.evaluate(() => cnnlab.ready);
  const warnings = [];
  p.on('console', (m) => { if (m.type() === 'warning' && m.text().includes('IndexedDB')) warnings.push(m.text()); });
  await p.evaluate(() => cnnlab.command({ lab: 'train', model: 'seed', backend: 'cpu', seed: 3, action: 'reset' }));
  await p.waitForFunction(() => cnnlab.state().data_loaded, null, { timeout: 60000 });
  for (let i = 0; i < 3; i++) await p.evaluate(() => { cnnlab.command({ action: 'step' }); cnnlab.command({ action: 'pause' }); });  // each pause keeps the session
  const s = await p.evaluate(() => cnnlab.state());
  expectEqual(s.step, 3, 'the steps taken');
  expectEqual(await p.evaluate(() => document.getElementById('notice').textContent),
    'This browser is not keeping your work (its storage is full or not allowed: QuotaExceededError), so it will be lost when the page reloads.', 'the notice');
  expectEqual(warnings.length, 1, 'warnings in the console (once, though the session was kept three times)');
  await context.close();
});

serveAndRun(run);
