import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../gpu/errors';
import { fromIdx, type Dataset, type Split } from './dataset';
import { embeddedSplit } from './embedded';
import { parseIdx } from './idx';

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
    for (const name of [`${stem}.gz`, stem, stem.replace('-idx', '.idx')]) if (existsSync(join(dir, name))) return join(dir, name);
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
  const digits = Array.from({ length: 10 }, (_, c) => (require(`mnist/src/digits/${c}.json`) as { data: number[] }).data);
  return embeddedSplit(digits);
}

/** "embedded" (the default), a folder of IDX files, or explicit file paths. */
export function loadData(spec: string | { trainImages: string; trainLabels: string; testImages: string; testLabels: string }): Split {
  if (typeof spec !== 'string') {
    return { train: loadIdxPair(spec.trainImages, spec.trainLabels), test: loadIdxPair(spec.testImages, spec.testLabels), name: spec.trainImages };
  }
  if (spec === 'embedded') return loadEmbedded();
  return loadMnistDir(spec);
}
