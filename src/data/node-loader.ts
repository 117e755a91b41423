import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../util/errors.js';
import { fromIdx, type Dataset, type Split } from './dataset.js';
import { embeddedSplit } from './embedded.js';
import { parseIdx } from './idx.js';

function readIdx(file: string) {
  if (!existsSync(file)) throw new DataError(`${file}: no such file`);
  return parseIdx(new Uint8Array(readFileSync(file)), file, (b) => new Uint8Array(gunzipSync(b)));
}

export function loadIdxPair(imageFile: string, labelFile: string): Dataset {
  return fromIdx(readIdx(imageFile), readIdx(labelFile), imageFile, labelFile);
}

/** A folder with the four canonical MNIST files, gzipped or not. */
export function loadMnistDir(dir: string): Split {
  const find = (stem: string): string => {
    for (const name of [`${stem}.gz`, stem, stem.replace('-idx', '.idx')])
      if (existsSync(join(dir, name))) return join(dir, name);
    throw new DataError(`${dir}: missing ${stem}(.gz)`);
  };
  return {
    train: loadIdxPair(find('train-images-idx3-ubyte'), find('train-labels-idx1-ubyte')),
    test: loadIdxPair(find('t10k-images-idx3-ubyte'), find('t10k-labels-idx1-ubyte')),
    name: dir,
  };
}

export function loadEmbedded(): Split {
  const require = createRequire(import.meta.url);
  const digits = Array.from(
    { length: 10 },
    (_, c) => (require(`mnist/src/digits/${c}.json`) as { data: number[] }).data,
  );
  return embeddedSplit(digits);
}

/** Where Debian's dataset-fashion-mnist package puts Zalando's Fashion-MNIST (IDX, gzip). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST from Debian's package (60,000 / 10,000 images of 10 kinds of clothing, 28×28). */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): Split {
  if (!existsSync(join(dir, 'train-images-idx3-ubyte.gz')) && !existsSync(join(dir, 'train-images-idx3-ubyte'))) {
    throw new DataError(
      `Fashion-MNIST is not installed (no IDX files in ${dir}): on Debian/Ubuntu run \`sudo apt-get install dataset-fashion-mnist\`, or pass --data <folder> with its four IDX files`,
    );
  }
  return { ...loadMnistDir(dir), name: 'fashion-mnist' };
}

/** "embedded" (the default), "fashion-mnist", a folder of IDX files, or explicit file paths. */
export function loadData(
  spec: string | { trainImages: string; trainLabels: string; testImages: string; testLabels: string },
): Split {
  if (typeof spec !== 'string') {
    return {
      train: loadIdxPair(spec.trainImages, spec.trainLabels),
      test: loadIdxPair(spec.testImages, spec.testLabels),
      name: spec.trainImages,
    };
  }
  if (spec === 'embedded') return loadEmbedded();
  if (spec === 'fashion-mnist') return loadFashionMnist();
  return loadMnistDir(spec);
}
