// scripts/serve.mjs DIR [--port N] [--host H] [--no-csp] — serves the built page (build/site) over HTTP.
// Node's standard library only; nothing is fetched from the internet at run time. Every answer
// carries the page's Content-Security-Policy (README: "Security"): scripts only from this origin
// (WebAssembly compiled, never eval), no inline script or style, requests only to this origin.
// --no-csp serves pages that are not the app (the test's course page, the GPU test page) as they are.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const root = path.resolve(args[0] ?? 'build/site');
const option = (name, fallback) => { const i = args.indexOf(name); return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback; };
const port = Number(option('--port', '8080'));
const host = option('--host', '127.0.0.1');
const index = option('--index', 'index.html');  // the page a folder's address serves
const csp = args.includes('--no-csp') ? null : [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "img-src 'self' data: blob:",
  "connect-src 'self'", "media-src 'self' blob: mediastream:", "worker-src 'self' blob:", "object-src 'none'", "base-uri 'none'",
  "form-action 'none'"].join('; ');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: --port must be a whole number from 1 to 65535 (0: any free port) (got ${option('--port')})`);
  process.exit(2);
}
if (!fs.existsSync(path.join(root, index))) {
  console.error(`serve: ${root}/${index} is missing; build the page first (scripts/build wasm)`);
  process.exit(2);
}
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
                '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.gz': 'application/gzip' };

const server = http.createServer((req, res) => {
  let name;
  try { name = decodeURIComponent(new URL(req.url, 'http://x').pathname); } catch { name = '/'; }
  if (name.endsWith('/')) name += index;
  const file = path.join(root, path.normalize(name));
  if (!file.startsWith(root + path.sep)) { res.writeHead(403).end('forbidden'); return; }
  fs.readFile(file, (err, data) => {
    if (err) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    const headers = { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache',
                      'content-length': data.length, 'x-content-type-options': 'nosniff' };
    if (csp) headers['content-security-policy'] = csp;
    res.writeHead(200, headers);
    res.end(data);
  });
});
server.on('error', (e) => {
  console.error(e.code === 'EADDRINUSE' ? `serve: port ${port} is in use; pick another with --port` : `serve: ${e.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`CNN Lab is running: open http://localhost:${server.address().port}/ (Ctrl+C stops it)`);
});
