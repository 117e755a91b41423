import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { servedFile, startDemoServer } from '../../scripts/demo.mjs';

// The demo server serves the page and the digits, results and fixtures folders, nothing else.
let url = '';
let close = () => {};
const probe = join(process.cwd(), 'results/.server-probe');
beforeAll(async () => {
  mkdirSync(probe, { recursive: true });
  writeFileSync(join(probe, 'ok.json'), '{}');
  symlinkSync('/etc', join(probe, 'out'));
  const s = await startDemoServer(0);
  url = s.url;
  close = () => s.server.close();
});
afterAll(() => {
  close();
  rmSync(probe, { recursive: true, force: true });
});

/** GET with the path sent exactly as written (no client-side normalisation of .. or escapes). */
const get = (path: string) =>
  new Promise<number>((done, fail) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    })
      .on('error', fail)
      .end();
  });

describe('the demo server', () => {
  it('serves the page, the digits and files in results/', async () => {
    expect(await get('/')).toBe(200);
    expect(await get('/digits/0.json')).toBe(200);
    expect(await get('/results/.server-probe/ok.json')).toBe(200);
  });

  for (const path of [
    '/results/..%2F.git/config',
    '/results/..%2f..%2fpackage.json',
    '/results/%2e%2e/package.json',
    '/results/%2e%2e%2fpackage.json',
    '/results/%252e%252e%252fpackage.json',
    '/results/../package.json',
    '/fixtures/%2e%2e/%2e%2e/.git/HEAD',
    '/digits/..%2F..%2F..%2Fpackage.json',
    '/results/.server-probe/out/passwd',
    '/package.json',
    '/src/index.ts',
    '/results%2F..%2Fpackage.json',
    '/results/%E0%A4%A',
  ])
    it(`refuses ${path} with 404`, async () => {
      expect(await get(path)).toBe(404);
    });

  it('a sibling folder whose name starts with an allowed one is not inside it', () => {
    expect(servedFile('/results-evil/x')).toBeNull();
    expect(servedFile('/resultsx/../results/x')).toBeNull();
  });
});
