// The dev server of the browser example answers malformed URLs with 400 and keeps serving;
// its error bodies never echo the request.
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module without types
import { serve } from '../../examples/browser/serve.mjs';

let dir: string;
let server: import('node:http').Server;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grapheme-serve-'));
  await writeFile(join(dir, 'index.html'), '<p>ok</p>');
  ({ server } = await serve(dir, 0));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  await rm(dir, { recursive: true, force: true });
});

/** A raw GET (the path sent as is, unlike fetch, which would normalise it). */
function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('examples/browser/serve.mjs', () => {
  it('answers malformed URLs with 400 and lives on; nothing of the request is echoed', async () => {
    for (const path of ['/%', '/%c0%ae', '/%E0%A4%A', '/a%00b', '/%1b[31mred']) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body).toMatch(/^bad request: [\w -]+\n$/);
    }
    const missing = await get('/no-such-file-%3Cscript%3E');
    expect(missing).toEqual({ status: 404, body: 'not found\n' });
    expect((await get('/../../etc/passwd')).status).not.toBe(200);
    expect(await get('/')).toEqual({ status: 200, body: '<p>ok</p>' });
  });
});
