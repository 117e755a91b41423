// Rebuilds an artefact listed in results/MANIFEST.tsv and compares it with what was committed:
//   node scripts/rebuild-artefact.mjs <path>
// The command runs from the repository root with its --out moved to a scratch folder (nothing
// in results/ is touched). Prints the sha256 of the file and, for safetensors, of its tensors
// alone (names, shapes, values): metadata such as a config's key names can change between
// versions while the numbers stay bit for bit the same.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const [path] = process.argv.slice(2);
const manifest = readFileSync('results/MANIFEST.tsv', 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .slice(1);
const line = manifest.map((l) => l.split('\t')).find(([p]) => p === path);
if (!line) {
  console.error(`rebuild: ${path} is not in results/MANIFEST.tsv (${manifest.length} artefacts listed)`);
  process.exit(2);
}
const [, bytes, sha256, tensorsSha256, command] = line;
const out = /--out (\S+)/.exec(command)?.[1];
if (!out) {
  console.error(`rebuild: the command for ${path} has no --out to redirect`);
  process.exit(2);
}
const scratch = join(mkdtempSync(join(tmpdir(), 'rebuild-')), 'out');
const target = join(scratch, relative(out, path));
const run = command.replace(/#.*$/, '').replaceAll(`--out ${out}`, `--out ${scratch}`);
console.log(`rebuild: ${run}`);
const t0 = performance.now();
execSync(run, { stdio: 'inherit' });
const seconds = (performance.now() - t0) / 1000;
if (!existsSync(target)) {
  console.error(`rebuild: the command did not write ${target}`);
  process.exit(1);
}
const file = readFileSync(target);
const hash = (b) => createHash('sha256').update(b).digest('hex');
/** sha256 over each tensor's name, shape and bytes, in name order (the file's header aside). */
const tensorHash = (b) => {
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
  const h = createHash('sha256');
  for (const name of Object.keys(header)
    .filter((k) => k !== '__metadata__')
    .sort()) {
    const {
      shape,
      data_offsets: [s, e],
    } = header[name];
    h.update(`${name}${JSON.stringify(shape)}`).update(b.subarray(8 + n + s, 8 + n + e));
  }
  return h.digest('hex');
};
const result = {
  path,
  seconds: Math.round(seconds),
  bytes: { committed: Number(bytes), rebuilt: file.length },
  sha256: { committed: sha256, rebuilt: hash(file), same: hash(file) === sha256 },
  ...(path.endsWith('.safetensors') && {
    tensors: { committed: tensorsSha256, rebuilt: tensorHash(file), same: tensorHash(file) === tensorsSha256 },
  }),
};
console.log(JSON.stringify(result, null, 2));
process.exit(result.sha256.same || result.tensors?.same ? 0 : 1);
