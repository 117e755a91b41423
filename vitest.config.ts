import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default defineConfig({
  plugins: [
    {
      name: 'wgsl-as-text', // the same `import x from '*.wgsl'` esbuild's text loader serves
      load(id) {
        if (id.endsWith('.wgsl')) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    // The garbage-collection safety net is tested by forcing collections.
    execArgv: ['--expose-gc'],
    testTimeout: 120_000,
    // Kernel tuning results of test runs stay out of the user's ~/.cache/sparsegrad.
    env: { SPARSEGRAD_CACHE: join(tmpdir(), `sparsegrad-test-tuning-${process.pid}`) },
    hookTimeout: 120_000,
  },
});
