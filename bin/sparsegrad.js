#!/usr/bin/env node
// An installed package runs its prebuilt CLI (dist/cli). In a source checkout (src/ beside bin/)
// the CLI is rebuilt from src/ and shaders/ (esbuild, ~0.2 s) when a source is newer than the
// build, so it always runs the current sources; a read-only checkout runs the build it has.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { runFiltered } from './driver-warnings.js';

if (runFiltered(fileURLToPath(import.meta.url))) await new Promise(() => {}); // the child runs the CLI; this one exits with it

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist/sparsegrad.js');

/** Newest modification time of the files under these folders. */
const newest = (dirs) =>
  Math.max(
    0,
    ...dirs.flatMap((d) =>
      readdirSync(d, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile())
        .map((e) => statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs),
    ),
  );

if (existsSync(join(root, 'src/cli/main.ts')) && existsSync(join(root, 'scripts/build.mjs'))) {
  const sources = [join(root, 'src'), join(root, 'shaders')];
  if (!existsSync(built) || statSync(built).mtimeMs < newest(sources)) {
    const { buildNode } = await import(pathToFileURL(join(root, 'scripts/build.mjs')).href);
    try {
      await buildNode({ sparsegrad: 'src/cli/main.ts' }, { quiet: true });
    } catch (e) {
      const first = e?.errors?.[0];
      const why = first ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}` : e.message;
      const unwritable = /Failed to write|read-only|EROFS|EACCES|EPERM|permission denied/i.test(why);
      if (!unwritable) {
        console.error(`sparsegrad: the CLI does not build: ${why}`);
        process.exit(2);
      }
      if (!existsSync(built)) {
        console.error(
          `sparsegrad: cannot build the CLI into ${join(root, 'dist')} (${why}); run \`npm run build\` where the checkout can be written`,
        );
        process.exit(2);
      }
      console.error(`sparsegrad: note: ${join(root, 'dist')} cannot be rebuilt (read-only); running the build it holds`);
    }
  }
  await import(pathToFileURL(built).href);
} else {
  await import(pathToFileURL(join(root, 'dist/cli/sparsegrad.js')).href);
}
