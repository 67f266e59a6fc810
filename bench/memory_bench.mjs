// memory_bench.mjs — the page's WebAssembly memory as a student goes through every lab: each lab
// opened (an exercise set up where it has one), then the receptive-field lab's seed net trained,
// then one epoch of Fashion-MNIST in the training lab, then the deep preset for 600 steps. WebAssembly memory only grows, so each
// figure is the high-water mark so far. Prints figures; asserts nothing.
//   node bench/memory_bench.mjs [SITE_DIR]   (default build/site)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, openPage, frames } from '../tests/e2e/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const server = await startServer(process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, 'build', 'site'));
const browser = await launchBrowser();
const megabytes = (page) => page.evaluate(() => Module.HEAPU8.length / (1 << 20));
try {
  const page = await openPage(browser, server.url);
  console.log(`opened: ${(await megabytes(page)).toFixed(0)} MB`);
  const labs = await page.evaluate(() => cnnlab.labs());
  for (const lab of labs) {
    await page.evaluate((id) => cnnlab.command({ lab: id }), lab);
    await page.evaluate(() => cnnlab.command({ new_exercise: true, seed: 5 }));  // refused where a lab has none
    await frames(page, 3);
  }
  console.log(`every lab opened, an exercise in each: ${(await megabytes(page)).toFixed(0)} MB`);
  await page.evaluate(() => cnnlab.command({ lab: 'receptive-field', train: true }));
  await page.waitForFunction(() => cnnlab.state().training.state === 'trained', null, { timeout: 300000 });
  console.log(`the receptive-field lab's seed net trained on Fashion-MNIST: ${(await megabytes(page)).toFixed(0)} MB`);
  await page.evaluate(() => cnnlab.command({ lab: 'train' }));
  await page.waitForFunction(() => cnnlab.state().data_loaded, null, { timeout: 120000 });
  await page.evaluate(() => cnnlab.command({ model: 'seed', action: 'start' }));
  await page.waitForFunction(() => cnnlab.state().epoch >= 1, null, { timeout: 600000 });
  await page.evaluate(() => cnnlab.command({ action: 'pause' }));
  await frames(page, 3);
  console.log(`and one epoch of the seed net in the training lab: ${(await megabytes(page)).toFixed(0)} MB`);
  await page.evaluate(() => cnnlab.command({ model: 'deep', action: 'reset' }));
  await page.evaluate(() => cnnlab.command({ action: 'start' }));
  await page.waitForFunction(() => cnnlab.state().step >= 600, null, { timeout: 600000 });
  await page.evaluate(() => cnnlab.command({ action: 'pause', epochs: 6 }));  // pausing finishes a measurement under way
  await page.evaluate(() => cnnlab.command({ action: 'evaluate' }));           // the whole test set, as at an epoch's end
  await frames(page, 3);
  console.log(`and the deep preset, 600 steps and a measurement on the test set: ${(await megabytes(page)).toFixed(0)} MB (the most it reached)`);
  if (page.errors.length) console.log(`console errors: ${page.errors.join('; ')}`);
} finally {
  await browser.close();
  server.stop();
}
