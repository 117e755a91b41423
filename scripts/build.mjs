// Bundles the CLI and the benchmark for Node with esbuild; .wgsl files load as text.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The CLI's --version. */
const define = { SPARSEGRAD_VERSION: JSON.stringify(version) };
export async function buildNode(
  entries = { sparsegrad: 'src/cli/main.ts', bench: 'bench/main.ts' },
  { quiet = false } = {},
) {
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(root, v)])),
    outdir: join(root, 'dist'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    loader: { '.wgsl': 'text' },
    // tfjs (the benchmark's peer) is bundled: its gradient registrations are extensionless ESM
    // imports that Node cannot resolve, and bundling keeps one copy of its engine.
    external: ['webgpu', 'mnist', 'commander', 'cli-progress', 'pngjs', 'uplot'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: quiet ? 'silent' : 'warning',
    define,
  });
}

/**
 * What the npm package ships (run by `prepare`, so `npm pack` and an install from git get it):
 * the library for Node (dist/lib/node.js) and for bundlers (dist/lib/index.js), a browser ESM
 * bundle with everything in it (dist/browser/sparsegrad.js), the CLI (dist/cli/sparsegrad.js)
 * and type declarations (dist/types). Nothing is compiled at run time from an installed copy.
 */
export async function buildPackage() {
  const common = { bundle: true, format: 'esm', sourcemap: 'linked', loader: { '.wgsl': 'text' }, logLevel: 'warning' };
  const nodeDeps = ['webgpu', 'mnist', 'commander', 'cli-progress', 'pngjs'];
  const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };
  // One build of every library entry with shared chunks: `sparsegrad`, `sparsegrad/research`
  // and `sparsegrad/internals` imported together share one engine (one Tensor class, one
  // default backend). Only the Node entry imports 'webgpu' (dawn.node) and node: modules.
  await build({
    ...common,
    entryPoints: Object.fromEntries(
      ['index', 'node', 'research', 'internals'].map((e) => [e, join(root, `src/${e}.ts`)]),
    ),
    outdir: join(root, 'dist/lib'),
    platform: 'neutral',
    target: 'es2022',
    splitting: true,
    external: ['webgpu', 'node:*', ...nodeDeps],
  });
  // A single file for a page without a bundler (<script type="module">): the engine and research.
  // Nothing is external, so a stray import of 'webgpu' or a node: module fails the build here.
  await build({
    ...common,
    entryPoints: { sparsegrad: join(root, 'src/browser.ts') },
    outdir: join(root, 'dist/browser'),
    platform: 'browser',
    target: 'es2022',
  });
  await build({
    ...common,
    entryPoints: { sparsegrad: join(root, 'src/cli/main.ts') },
    outdir: join(root, 'dist/cli'),
    define,
    platform: 'node',
    target: 'node20',
    external: nodeDeps,
    banner,
  });
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.types.json')],
    { stdio: 'inherit' },
  );
  // TypeScript's DOM library declares WebGPU from 6.0 on, and the declarations reference it.
  // Before 6.0 (the "types@<6.0" export condition) these entries bring @webgpu/types instead.
  mkdirSync(join(root, 'dist/types/legacy'), { recursive: true });
  for (const entry of ['index', 'node', 'research', 'internals', 'browser'])
    writeFileSync(
      join(root, `dist/types/legacy/${entry}.d.ts`),
      `/// <reference types="@webgpu/types" />\nexport * from '../${entry}.js';\n`,
    );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv[2];
  if (only === '--package') await buildPackage();
  else await buildNode(only ? { [only.replace(/\W.*$/, '')]: process.argv[3] } : undefined);
}
