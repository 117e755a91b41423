#!/usr/bin/env node
// Rebuilds the bundle from src/ and shaders/ (esbuild, ~0.2 s) so the CLI always runs the
// current sources, then runs it.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { buildNode } = await import(pathToFileURL(join(root, 'scripts/build.mjs')).href);
await buildNode({ sparsegrad: 'src/cli/main.ts' });
await import(pathToFileURL(join(root, 'dist/sparsegrad.js')).href);
