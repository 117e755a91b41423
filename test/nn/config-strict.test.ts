import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { Sequential } from '../../src/nn/modules';
import { DEFAULT_CONFIG, validateConfig, migrateConfig, type TrainConfig } from '../../src/nn/config';
import { splitClasses } from '../../src/data/dataset';
import { fitToData } from '../../src/nn/train';
import { ConfigError, DataError } from '../../src/util/errors';

useGpu();

const fc = (layers: unknown[]) => () => Sequential.fromJson({ input: [1, 4, 4], layers } as never);

describe('model configs are read strictly, naming the key', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'an unknown key',
      fc([{ type: 'Flatten' }, { type: 'ReLU', activation: 'tanh' }]),
      /^layers\[1\]\.activation: ReLU takes no "activation" \(its keys: type, name\)$/,
    ],
    [
      'a zero-width layer',
      fc([{ type: 'Flatten' }, { type: 'Linear', out: 0 }]),
      /^layers\[1\]\.out: 0 is not a valid Linear out$/,
    ],
    [
      'a fractional kernel',
      fc([{ type: 'Conv2d', out: 2, kernel: 2.5 }]),
      /^layers\[0\]\.kernel: 2.5 is not a valid Conv2d kernel$/,
    ],
    ['a missing size', fc([{ type: 'Flatten' }, { type: 'Linear' }]), /^layers\[1\]\.out: Linear needs "out"$/],
    ['an unknown type', fc([{ type: 'Tanh' }]), /^layers\[0\]\.type: unknown layer type "Tanh"/],
    ['a dropout of 1', fc([{ type: 'Dropout', p: 1 }]), /^layers\[0\]\.p: 1 is not a valid Dropout p$/],
    [
      'a bad key deep in a nested model',
      fc([{ type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Linear', out: -3 }] }]),
      /^layers\[0\]\.layers\[1\]\.out: -3 is not a valid Linear out$/,
    ],
    [
      'an unknown top-level key',
      () => Sequential.fromJson({ input: [4], layers: [], extra: 1 } as never),
      /^model config: unknown key "extra"/,
    ],
    [
      'a zero in the input shape',
      () => Sequential.fromJson({ input: [0, 4], layers: [] }),
      /^model config: input \[0,4\] must be whole numbers ≥ 1/,
    ],
    [
      'a layer name that is not an identifier',
      fc([{ type: 'Flatten', name: 'a.b' }]),
      /^layers\[0\]\.name: Flatten name "a.b"/,
    ],
  ];
  for (const [what, make, message] of cases)
    it(`refuses ${what}`, () => {
      expect(make).toThrow(ConfigError);
      expect(make).toThrow(message);
    });

  it('a training config with an unknown key is refused; an old keep is migrated, keep and dropout together refused', () => {
    expect(() => validateConfig({ ...DEFAULT_CONFIG, activation: 'tanh' } as TrainConfig)).toThrow(
      /config: unknown key "activation"/,
    );
    expect(migrateConfig({ hidden: [3], keep: 0.7 })).toEqual({ hidden: [3], dropout: 0.3 });
    expect(() => migrateConfig({ keep: 0.7, dropout: 0.3 }, 'x.json')).toThrow(
      /x.json: has both keep \(0.7\) and dropout/,
    );
    expect(() => validateConfig({ ...DEFAULT_CONFIG, keep: 0.7 } as TrainConfig)).toThrow(
      /keep = 0.7: is the old keep probability/,
    );
  });
});

describe('labels and sizes are checked against the data', () => {
  const data = (labels: number[]) => ({
    images: new Float32Array(labels.length * 4),
    labels: Uint8Array.from(labels),
    count: labels.length,
    pixels: 4,
    shape: [1, 2, 2],
    source: 'digits.idx',
  });
  it('one stray label does not make a model of 201 classes: refused unless the class count is stated', () => {
    const labels = [...Array.from({ length: 30 }, (_, i) => i % 10), 200];
    const split = { train: data(labels), test: data([1, 2]), name: 'x' };
    expect(() => splitClasses(split)).toThrow(DataError);
    expect(() => splitClasses(split)).toThrow(
      /digits.idx: labels run 0–200 but 190 of those classes have no training image \(10, 11, 12, …, 199\): a stray label\?/,
    );
    expect(splitClasses(split, 201)).toBe(201);
    expect(() => splitClasses(split, 10)).toThrow(/label 200, but the model has 10 classes/);
  });
  it('a batch larger than the training set is refused before any work', () => {
    const split = { train: data([0, 1, 0, 1]), test: data([0, 1]), name: 'tiny' };
    expect(() => fitToData({ ...DEFAULT_CONFIG, batch: 1_000_000_000 }, split)).toThrow(
      /batch 1000000000 is larger than the 4 training images of tiny/,
    );
  });
});
