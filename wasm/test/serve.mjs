// A static file server for the demo page (ES modules do not load from file://):
//   node wasm/test/serve.mjs [PORT]   serves wasm/ at http://127.0.0.1:PORT/ (default 8000)
// Prints "serving http://127.0.0.1:PORT/" once listening (PORT 0: a free one).
// GET /hold?ms=N answers after N ms (at most 10 s): a page that fetches it keeps headless
// Chromium's virtual time from running out while real time (and WebSocket events) pass.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/hold') {
    setTimeout(() => res.writeHead(204).end(), Math.min(Number(url.searchParams.get('ms')) || 0, 10000));
    return;
  }
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  try {
    const body = await readFile(join(root, path.endsWith('/') ? join(path, 'index.html') : path));
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
server.listen(Number(process.argv[2] ?? 8000), '127.0.0.1', () => {
  console.log(`serving http://127.0.0.1:${server.address().port}/`);
});
