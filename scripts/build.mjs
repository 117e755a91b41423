// Bundles the CLI and the benchmark for Node with esbuild; .wgsl files load as text.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export async function buildNode(entries = { sparsegrad: 'src/cli/main.ts', bench: 'bench/main.ts' }) {
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
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv[2];
  await buildNode(only ? { [only.replace(/\W.*$/, '')]: process.argv[3] } : undefined);
}
