// fft.e2e.mjs — the "fft" lab in headless Chromium, embedded: the polynomial example's numbers
// both ways, a click on an example button, both routes timed in the page (the figures printed, not
// asserted), the 2D blur on a photo, one exercise right and one wrong through cnnlab.command, and a
// screenshot measured for the lab's colours (out/e2e/fft.png).
import { serveAndRun, openPage, frames, clickRect, anchor, screenshotStats, runner, expect, expectEqual } from './harness.mjs';

const { test, run } = runner('fft');

test('fft: a polynomial product both ways, the routes timed, a photo blurred, an exercise right and wrong', async ({ browser, url }) => {
  const page = await openPage(browser, `${url}?lab=fft&embed=1`);
  let s = await page.evaluate(() => cnnlab.state());
  // (1 + 2x)(3 + x + x^2) = 3 + 7x + 3x^2 + 2x^3
  expectEqual([s.lab, s.example, s.a, s.b, s.direct, s.length], ['fft', 'polynomials', [[1, 2]], [[3, 1, 1]], [3, 7, 3, 2], 4], 'the default');
  expect(s.fourier.every((v, i) => Math.abs(v - s.direct[i]) < 1e-12), `the Fourier route: ${s.fourier}`);
  // a click on the drawn "Two dice" button: 11 sums, 7 the likeliest (6/36)
  await frames(page, 2);
  await clickRect(page, await anchor(page, 'example-dice'));
  await frames(page, 2);
  s = await page.evaluate(() => cnnlab.state());
  expectEqual([s.example, s.length], ['dice', 11], 'two dice after the click');
  expect(Math.abs(s.direct[5] - 6 / 36) < 1e-6, `P(7) = ${s.direct[5]}`);
  // both routes timed in this browser: printed, not asserted (speed is for benchmarks)
  s = await page.evaluate(() => cnnlab.command({ time_cost: true }));
  const t = s.timings.cost;
  expectEqual(t.map((r) => r.n), s.cost.map((r) => r.n), 'a time for every length counted');
  console.log(`  timed here (us, direct / Fourier): ${t.filter((r) => [16, 128, 1024, 4096].includes(r.n)).map((r) => `n=${r.n}: ${r.direct_us.toFixed(1)} / ${r.fft_us.toFixed(1)}`).join(', ')}; counted crossover n = ${s.crossover}`);
  // the 2D part, on the photo
  await page.waitForFunction(() => cnnlab.state().photo_loaded === 'chelsea', null, { timeout: 20000 });
  s = await page.evaluate(() => cnnlab.command({ blur: 31 }));
  expect(s.blur_difference < 1e-5, `the photo blurred both ways differs by ${s.blur_difference}`);
  console.log(`  31x31 blur of 128x128: direct ${s.timings.blur_direct_ms.toFixed(1)} ms, Fourier ${s.timings.blur_fft_ms.toFixed(1)} ms`);
  // an exercise: find a product one
  let seed = 1;
  for (; seed < 40; seed++) if ((await page.evaluate((x) => cnnlab.command({ new_exercise: true, seed: x }), seed)).exercise.kind === 'product') break;
  s = await page.evaluate(() => cnnlab.state());
  const { a, b } = s.exercise;
  const right = new Array(a.length + b.length - 1).fill(0);
  a.forEach((x, i) => b.forEach((y, j) => { right[i + j] += x * y; }));
  const wrong = right.map((v, i) => (i === 0 ? v + 100 : v));  // no named mistake gives this
  s = await page.evaluate((w) => cnnlab.command({ answer: w }), wrong);
  expectEqual([s.last_answer.correct, s.last_answer.mistake.id], [false, 'other'], 'a wrong answer');
  s = await page.evaluate((r) => cnnlab.command({ answer: r }), right);
  expectEqual([s.last_answer.correct, s.score], [true, { answered: 2, correct: 1 }], 'the right answer and the score');
  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('cnnlab:progress')));
  expectEqual(progress.fft, { answered: 2, correct: 1 }, 'progress kept');
  const bad = await page.evaluate(() => cnnlab.command({ blur: 4 }));
  expect(bad.error && bad.error.includes('must be odd'), JSON.stringify(bad));
  await page.mouse.move(1270, 790);
  await frames(page, 3);
  const stats = await screenshotStats(page, 'fft.png', [40, 165, 140]);  // the output's green
  expect(stats.colours > 100 && stats.drawnFraction > 0.1, `the canvas looks blank: ${JSON.stringify(stats)}`);
  expectEqual(page.errors, [], 'console errors');
  await page.close();
});

serveAndRun(run);
