// npm run pack: the npm package as users get it. Builds the library, stages it in dist/package
// with a package.json that keeps what an installed copy needs (no scripts, no devDependencies)
// and packs that folder. Prints the tgz's path. `--out <dir>` puts the tgz there.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackage } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : root);

await buildPackage();
const stage = join(root, 'dist/package');
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'bin'), { recursive: true });
const dev = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const keep = [
  'name',
  'version',
  'description',
  'type',
  'license',
  'exports',
  'types',
  'bin',
  'engines',
  'dependencies',
];
const published = Object.fromEntries(keep.filter((k) => dev[k] !== undefined).map((k) => [k, dev[k]]));
published.files = ['bin/', 'dist/', 'examples/', 'README.md'];
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
// An installed copy runs the prebuilt CLI; nothing is compiled at run time.
writeFileSync(join(stage, 'bin/sparsegrad.js'), "#!/usr/bin/env node\nimport '../dist/cli/sparsegrad.js';\n", {
  mode: 0o755,
});
for (const d of ['lib', 'browser', 'cli', 'types'])
  cpSync(join(root, 'dist', d), join(stage, 'dist', d), { recursive: true });
cpSync(join(root, 'examples'), join(stage, 'examples'), { recursive: true });
cpSync(join(root, 'README.md'), join(stage, 'README.md'));
mkdirSync(out, { recursive: true });
const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: stage, encoding: 'utf8' })
  .trim()
  .split('\n')
  .pop();
console.log(join(out, tgz));
