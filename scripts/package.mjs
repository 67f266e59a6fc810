// scripts/package.mjs SITE DIR [--with-data] — the offline web build (scripts/run --package DIR calls it):
//   DIR/                    the whole site (html, js, wasm, photos, datasets): works from any static host
//   DIR/cnnlab-offline.html one file with the app, its WebAssembly and the photos inside: opens from
//                           file:// with no server and no network. --with-data puts the two datasets in
//                           too (about 45 MB more), so the training lab works offline from the file.
// Prints what it wrote and the sizes.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const withData = args.includes('--with-data');
const [site, out] = args.filter((a) => !a.startsWith('--'));
if (!site || !out) {
  console.error('usage: node scripts/package.mjs SITE DIR [--with-data]');
  process.exit(2);
}
for (const needed of ['index.html', 'cnnlab.css', 'cnnlab-api.js', 'cnnlab.js', 'cnnlab.wasm']) {
  if (!fs.existsSync(path.join(site, needed))) {
    console.error(`package: ${site}/${needed} is missing; build the page first (scripts/build wasm)`);
    process.exit(2);
  }
}
if (path.resolve(out) === path.resolve(site)) {
  console.error('package: DIR must not be the built site itself');
  process.exit(2);
}

// 1. The site as it is served.
fs.mkdirSync(out, { recursive: true });
fs.cpSync(site, out, { recursive: true, filter: (f) => path.basename(f) !== 'cnnlab-offline.html' });

// 2. One file. Everything the page would fetch is in window.CNNLAB_INLINE (base64), which
//    web/shell/cnnlab-api.js reads instead of fetching: the WebAssembly and the assets by path.
const base64 = (file) => fs.readFileSync(file).toString('base64');
const assets = {};
const addFolder = (folder) => {
  const dir = path.join(site, folder);
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir).sort()) {
    const rel = `${folder}/${name}`;
    if (fs.statSync(path.join(site, rel)).isDirectory()) addFolder(rel);
    else assets[rel] = base64(path.join(site, rel));
  }
};
addFolder('photos');
if (withData) addFolder('data');
// Inline scripts end at the first "</script", wherever it is: written "<\/script" it means the same in JS.
const inlineScript = (code) => `<script>${code.replace(/<\/script/gi, '<\\/script')}</script>`;
const inline = { wasm: base64(path.join(site, 'cnnlab.wasm')), assets };
let html = fs.readFileSync(path.join(site, 'index.html'), 'utf8');
const apiTag = '<script src="cnnlab-api.js"></script>', appTag = '<script async src="cnnlab.js"></script>';
const cssTag = '<link rel="stylesheet" href="cnnlab.css">';
if (!html.includes(apiTag) || !html.includes(appTag)) {
  console.error('package: index.html does not load cnnlab-api.js and cnnlab.js as expected');
  process.exit(1);
}
html = html
  .replace(cssTag, () => `<style>${fs.readFileSync(path.join(site, 'cnnlab.css'), 'utf8')}</style>`)
  .replace(apiTag, () => inlineScript(`window.CNNLAB_INLINE = ${JSON.stringify(inline)};`) + '\n' +
                         inlineScript(fs.readFileSync(path.join(site, 'cnnlab-api.js'), 'utf8')))
  .replace(appTag, () => inlineScript(fs.readFileSync(path.join(site, 'cnnlab.js'), 'utf8')));
const single = path.join(out, 'cnnlab-offline.html');
fs.writeFileSync(single, html);

const folderSize = (dir) => fs.readdirSync(dir).reduce((sum, name) => {
  const f = path.join(dir, name);
  return sum + (fs.statSync(f).isDirectory() ? folderSize(f) : fs.statSync(f).size);
}, 0);
const mb = (bytes) => (bytes / 1e6).toFixed(1) + ' MB';
const singleSize = fs.statSync(single).size;
console.log(`package: ${out}/ — the site for any static host: ${mb(folderSize(out) - singleSize)}`);
console.log(`package: ${single} — one file for file:// (photos${withData ? ' and datasets' : ''} inside): ${mb(singleSize)}`);
