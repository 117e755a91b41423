#!/usr/bin/env node
// An installed package runs its prebuilt CLI (dist/cli, built by `prepare`). In a source
// checkout (src/ beside bin/) the CLI is rebuilt from src/ and shaders/ first (esbuild, ~0.2 s),
// so it always runs the current sources.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, 'src/cli/main.ts')) && existsSync(join(root, 'scripts/build.mjs'))) {
  const { buildNode } = await import(pathToFileURL(join(root, 'scripts/build.mjs')).href);
  await buildNode({ sparsegrad: 'src/cli/main.ts' });
  await import(pathToFileURL(join(root, 'dist/sparsegrad.js')).href);
} else {
  await import(pathToFileURL(join(root, 'dist/cli/sparsegrad.js')).href);
}
