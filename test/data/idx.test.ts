import { describe, expect, it } from 'vitest';
import { gzipSync, gunzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIdx } from '../../src/data/idx';
import { loadIdxPair, loadMnistDir, loadEmbedded, loadData, loadFashionMnist } from '../../src/data/node-loader';
import { DataError } from '../../src/util/errors';
import { classCount, splitClasses, take } from '../../src/data/dataset';

const gunzip = (b: Uint8Array) => new Uint8Array(gunzipSync(b));

function idx(dims: number[], data: number[], magicType = 0x08): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint8(2, magicType);
  head.setUint8(3, dims.length);
  dims.forEach((d, i) => head.setUint32(4 + 4 * i, d));
  return new Uint8Array([...new Uint8Array(head.buffer), ...data]);
}

describe('IDX reader', () => {
  it('reads raw and gzip files alike', () => {
    const file = idx([2, 3], [1, 2, 3, 4, 5, 6]);
    for (const bytes of [file, new Uint8Array(gzipSync(file))]) {
      const got = parseIdx(bytes, 'x', gunzip);
      expect(got.dims).toEqual([2, 3]);
      expect([...got.data]).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });
  it('wrong magic number names the file and the number', () => {
    expect(() => parseIdx(idx([2], [1, 2], 0x0d), 'bad.idx', gunzip)).toThrow(DataError);
    expect(() => parseIdx(idx([2], [1, 2], 0x0d), 'bad.idx', gunzip)).toThrow(
      /bad.idx: bad IDX magic number 0x00000d01/,
    );
  });
  it('truncated data says how many bytes are missing', () => {
    expect(() => parseIdx(idx([10, 28, 28], new Array(100).fill(0)), 'short.idx', gunzip)).toThrow(
      /short.idx: dimensions \[10x28x28\] need 7840 data bytes but the file has 100 \(truncated\)/,
    );
  });
  it('truncated gzip is reported as such', () => {
    const gz = new Uint8Array(gzipSync(idx([100], new Array(100).fill(7))));
    expect(() => parseIdx(gz.subarray(0, gz.length - 10), 'cut.gz', gunzip)).toThrow(
      /cut.gz: gzip data is corrupt or truncated/,
    );
  });
  it('mismatched image and label counts name both files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idx-'));
    writeFileSync(join(dir, 'img'), idx([3, 28, 28], new Array(3 * 784).fill(0)));
    writeFileSync(join(dir, 'lab'), idx([2], [1, 2]));
    expect(() => loadIdxPair(join(dir, 'img'), join(dir, 'lab'))).toThrow(/lab: 2 labels for 3 images in .*img/);
    writeFileSync(join(dir, 'lab2'), idx([3], [1, 2, 12]));
    // Labels are class numbers of any count: 0–12 here; a model with fewer outputs refuses them (cli loadModel).
    const wide = loadIdxPair(join(dir, 'img'), join(dir, 'lab2'));
    expect([classCount(wide), wide.shape]).toEqual([13, [1, 28, 28]]);
    expect(() => splitClasses({ train: take(wide, 2), test: wide })).toThrow(
      /label 12, but the training labels are 0–2/,
    );
    expect(() => loadIdxPair(join(dir, 'nope'), join(dir, 'lab'))).toThrow(/nope: no such file/);
  });
  it('an MNIST folder of gzipped IDX files (made here, named as MNIST names them) loads with its counts and range', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnist-gz-'));
    const idx = (dims: number[], data: Uint8Array) => {
      const out = new Uint8Array(4 + 4 * dims.length + data.length);
      out[2] = 0x08;
      out[3] = dims.length;
      dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d));
      out.set(data, 4 + 4 * dims.length);
      return gzipSync(out);
    };
    const pixels = (n: number) => Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idx([60, 28, 28], pixels(60)));
    writeFileSync(
      join(dir, 'train-labels-idx1-ubyte.gz'),
      idx(
        [60],
        Uint8Array.from({ length: 60 }, (_, i) => i % 10),
      ),
    );
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idx([10, 28, 28], pixels(10)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), idx([10], Uint8Array.of(7, 2, 1, 0, 4, 1, 4, 9, 5, 9)));
    const m = loadMnistDir(dir);
    expect([m.train.count, m.test.count, m.train.pixels]).toEqual([60, 10, 784]);
    expect(m.test.labels[0]).toBe(7);
    expect(Math.max(...m.test.images.subarray(0, 784))).toBe(1); // 255 → 1
    expect(Math.min(...m.test.images.subarray(0, 784))).toBe(0);
  });
  it('embedded split: 7,996 / 2,004 real digits in [0,1], interleaved by class', () => {
    const e = loadEmbedded();
    expect([e.train.count, e.test.count]).toEqual([7996, 2004]);
    expect([...e.train.labels.subarray(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(e.train.images.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe("Fashion-MNIST from Debian's dataset-fashion-mnist", () => {
  it('--data fashion-mnist reads /usr/share/datasets/fashion-mnist: 60,000 + 10,000 28×28 images, 6,000 / 1,000 of each of 10 classes', () => {
    const d = loadData('fashion-mnist');
    expect(d.name).toBe('fashion-mnist');
    expect([d.train.count, d.test.count, d.train.pixels]).toEqual([60000, 10000, 784]);
    const perClass = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);
    expect(perClass(d.train.labels)).toEqual(new Array(10).fill(6000));
    expect(perClass(d.test.labels)).toEqual(new Array(10).fill(1000));
    // Not the digits: the mean image differs from MNIST's (clothes fill far more of the frame).
    const mean = d.train.images.reduce((s, v) => s + v, 0) / d.train.images.length;
    expect(mean).toBeGreaterThan(0.25);
  });
  it('missing, it says how to install it', () => {
    expect(() => loadFashionMnist('/nonexistent/fashion')).toThrow(
      /Fashion-MNIST is not installed \(no IDX files in \/nonexistent\/fashion\): on Debian\/Ubuntu run `sudo apt-get install dataset-fashion-mnist`/,
    );
  });
});
