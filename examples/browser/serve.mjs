// A tiny static server for the built page (npm run serve:browser; test/browser/run.mjs uses
// serve() too). Serves examples/browser/dist on 127.0.0.1 only, .wasm as application/wasm
// (WebAssembly.compileStreaming insists on it), with the cross-origin-isolation headers
// (COOP same-origin, COEP require-corp) that give the page SharedArrayBuffer: the training
// worker's replicas share memory with it (data-parallel training).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.json': 'application/json',
};

/** cross-origin isolation: SharedArrayBuffer for the page and its workers */
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

export const DIST = fileURLToPath(new URL('./dist', import.meta.url));

/**
 * Serves `dir` on 127.0.0.1:`port` (0: any free port); resolves to the server and its base URL.
 * `isolation: false` leaves out the cross-origin-isolation headers (no SharedArrayBuffer: the
 * trainer's workers then transfer buffers by message), as a plain static host would.
 */
export function serve(dir = DIST, port = 0, { isolation = true } = {}) {
  const server = createServer(async (req, res) => {
    // a malformed request is answered, never thrown: one bad URL must not stop the server
    const fail = (status, text) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      fail(400, 'bad request: the path is not a valid percent-encoded URL'); // '%', '%c0%ae', ...
      return;
    }
    // the decoded path is never echoed: it may hold NUL or terminal escapes
    if (/[\u0000-\u001f\u007f]/.test(path)) {
      fail(400, 'bad request: control characters in the path');
      return;
    }
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (file !== dir && !file.startsWith(dir + sep)) {
      fail(403, 'forbidden');
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...(isolation ? ISOLATION : {}) }).end(body);
    } catch {
      fail(404, 'not found');
    }
  });
  // a client that sends garbage gets 400 from Node, and the server lives on
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 8080);
  const { url } = await serve(DIST, port);
  console.log(`serving ${DIST} at ${url} (Ctrl-C stops)`);
}
