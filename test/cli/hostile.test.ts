import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNode } from '../../scripts/build.mjs';
import { cliRunner, treeHashes } from './run-cli';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';
import { HOSTILE_SAFETENSORS, file } from '../io/hostile-safetensors';

// Hostile inputs, each made here: every one gets a non-zero exit and one line naming the file,
// key, flag or value, no stack trace, and leaves every file that existed before unchanged.
const { run } = cliRunner('hostile');
const w = mkdtempSync(join(tmpdir(), 'hostile-'));
const at = (...p: string[]) => join(w, ...p);
const hashes = () => treeHashes(w, (f) => f.startsWith('out-'));

/** IDX bytes: unsigned bytes with these dimensions (magic 0x08, ndim). */
function idx(dims: number[], data: Uint8Array, magic = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = magic;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
function mnistDir(name: string, opts: { trainLabels?: number[]; testCount?: number; truncate?: boolean } = {}) {
  const dir = at(name);
  mkdirSync(dir);
  const n = opts.trainLabels?.length ?? 40;
  const labels = opts.trainLabels ?? Array.from({ length: n }, (_, i) => i % 10);
  const images = new Uint8Array(n * 16).map((_, i) => (i * 37) % 256);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([n, 4, 4], opts.truncate ? images.subarray(0, 100) : images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([n], Uint8Array.from(labels)));
  const t = opts.testCount ?? 10;
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([t, 4, 4], new Uint8Array(t * 16)));
  writeFileSync(
    join(dir, 't10k-labels-idx1-ubyte'),
    idx(
      [t],
      Uint8Array.from({ length: t }, (_, i) => i % 10),
    ),
  );
  return dir;
}

type Case = [kind: string, what: string, args: () => string[], message: RegExp];
const cases: Case[] = [];
let model = '';

beforeAll(async () => {
  await buildNode({ sparsegrad: 'src/cli/main.ts' });
  const r = run([
    'train',
    '--hidden',
    '8',
    '--iterations',
    '10',
    '--eval-every',
    '0',
    '--batch',
    '50',
    '--kernels',
    'rules',
    '--out',
    at('model'),
  ]);
  expect(r.status, r.stderr).toBe(0);
  model = at('model', 'model.safetensors');
  const bytes = new Uint8Array(readFileSync(model));
  const { arrays, metadata } = decodeSafetensors(bytes, model);
  const write = (name: string, data: Uint8Array | string) => {
    writeFileSync(at(name), data);
    return at(name);
  };
  const edited = (name: string, change: (a: typeof arrays, m: Record<string, string>) => void) => {
    const a = arrays.map((x) => ({ ...x, shape: [...x.shape], data: x.data.slice() }));
    const m = { ...metadata };
    change(a, m);
    return write(name, encodeSafetensors(a, m));
  };
  const f4 = new Uint8Array(16);
  write('null-header.safetensors', file('null', f4));
  write('list-header.safetensors', file('[1]', f4));
  write('negative.safetensors', file({ 'fc1.weight': { dtype: 'F32', shape: [4], data_offsets: [-16, 0] } }, f4));
  write(
    'overlap.safetensors',
    file(
      {
        'fc1.weight': { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        'fc1.bias': { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
      },
      f4,
    ),
  );
  write('no-offsets.safetensors', file({ 'fc1.weight': { dtype: 'F32', shape: [4] } }, f4));
  write('shape-not-list.safetensors', file({ 'fc1.weight': { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }, f4));
  write('dtype.safetensors', file({ 'fc1.weight': { dtype: 'Q4', shape: [4], data_offsets: [0, 16] } }, f4));
  write('truncated.safetensors', bytes.subarray(0, bytes.length - 100));
  write('empty.safetensors', new Uint8Array(0));
  edited('bad-config.safetensors', (_a, m) => (m.sparsegrad_config = '{"hidden": [8'));
  edited('nan.safetensors', (a) => (a[0].data[3] = Number.NaN));
  edited('inf.safetensors', (a) => (a[2].data[0] = Number.NEGATIVE_INFINITY));
  edited('renamed.safetensors', (a) => (a[0].name = 'layer1.weight'));
  edited(
    'unknown-config-key.safetensors',
    (_a, m) => (m.sparsegrad_config = JSON.stringify({ ...JSON.parse(m.sparsegrad_config), activation: 'tanh' })),
  );
  mkdirSync(at('a-folder.safetensors'));
  write('a-file', 'x');
  write(
    'cfg-unknown-key.json',
    JSON.stringify({
      input: [1, 28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Linear', out: 10, activation: 'tanh' }],
    }),
  );
  write(
    'cfg-zero-width.json',
    JSON.stringify({ input: [1, 28, 28], layers: [{ type: 'Flatten' }, { type: 'Linear', out: 0 }] }),
  );
  write('cfg-type.json', JSON.stringify({ input: [1, 28, 28], layers: [{ type: 'LSTM' }] }));
  write('cfg-not-json.json', '{"input": [1, 28');
  mnistDir('stray-label', { trainLabels: [...Array.from({ length: 39 }, (_, i) => i % 10), 200] });
  mnistDir('truncated-idx', { truncate: true });
  mnistDir('no-test', { testCount: 0 });
  const mismatch = mnistDir('count-mismatch');
  writeFileSync(join(mismatch, 'train-labels-idx1-ubyte'), idx([39], new Uint8Array(39)));
  const magic = mnistDir('bad-magic');
  writeFileSync(join(magic, 'train-images-idx3-ubyte'), idx([40, 4, 4], new Uint8Array(640), 0x0d));
  mkdirSync(at('torn-run'));
  write('torn-run/train.json', '{"tool": "sparsegrad", "status": "runn');
  HOSTILE_SAFETENSORS.forEach(([, bytes], i) => write(`hostile-${i}.safetensors`, bytes));
  for (const [name, layers] of MODEL_CONFIGS) write(`cfg-${name}.json`, JSON.stringify(layers));
  const noise = run([
    'noise',
    '--model',
    model,
    '--target',
    '3',
    '--limit',
    '0.2',
    '--steps',
    '2',
    '--out',
    at('noise'),
  ]);
  expect(noise.status, noise.stderr).toBe(0);
  write(
    'wide-noise.safetensors',
    encodeSafetensors([{ name: 'noise', shape: [1, 5, 5], data: new Float32Array(25) }], { target: '3', limit: '0.2' }),
  );
  write('bench-bad.json', '{"results": ');
  mkdirSync(at('empty-results'));
  cpSync('test/fixtures/study', at('study-copy'), { recursive: true });
}, 120_000);

const M = () => ['eval', '--out', at('out-eval.json'), '--model'];
cases.push(
  [
    'safetensors',
    'a null header',
    () => [...M(), at('null-header.safetensors')],
    /null-header\.safetensors: header is null, not a JSON object/,
  ],
  [
    'safetensors',
    'a list header',
    () => [...M(), at('list-header.safetensors')],
    /list-header\.safetensors: header is a list/,
  ],
  [
    'safetensors',
    'negative offsets',
    () => [...M(), at('negative.safetensors')],
    /negative\.safetensors: tensor "fc1\.weight" has data_offsets \[-16,0\]/,
  ],
  [
    'safetensors',
    'overlapping offsets',
    () => [...M(), at('overlap.safetensors')],
    /overlap\.safetensors: tensor "fc1\.bias" at bytes 8\.\.16 overlaps/,
  ],
  [
    'safetensors',
    'missing data_offsets',
    () => [...M(), at('no-offsets.safetensors')],
    /no-offsets\.safetensors: tensor "fc1\.weight" has data_offsets undefined/,
  ],
  [
    'safetensors',
    'a shape that is not a list',
    () => [...M(), at('shape-not-list.safetensors')],
    /shape-not-list\.safetensors: tensor "fc1\.weight" has shape 4/,
  ],
  [
    'safetensors',
    'an unknown dtype',
    () => [...M(), at('dtype.safetensors')],
    /dtype\.safetensors: tensor "fc1\.weight" has unknown dtype "Q4"/,
  ],
  [
    'safetensors',
    'a truncated file',
    () => [...M(), at('truncated.safetensors')],
    /truncated\.safetensors: tensor ".*" has data_offsets .* past the/,
  ],
  ['safetensors', 'an empty file', () => [...M(), at('empty.safetensors')], /empty\.safetensors: 0 bytes: too short/],
  [
    'checkpoint',
    'bad JSON in the stored config',
    () => [...M(), at('bad-config.safetensors')],
    /bad-config\.safetensors: sparsegrad_config is not valid JSON/,
  ],
  [
    'checkpoint',
    'an unknown key in the stored config',
    () => [...M(), at('unknown-config-key.safetensors')],
    /config: unknown key "activation"/,
  ],
  [
    'checkpoint',
    'NaN weights',
    () => [...M(), at('nan.safetensors')],
    /nan\.safetensors: 1 of \d+ values of fc1\.weight are NaN or ±Inf/,
  ],
  [
    'checkpoint',
    'an infinite bias',
    () => [...M(), at('inf.safetensors')],
    /inf\.safetensors: 1 of \d+ values of fc2\.weight are NaN or ±Inf/,
  ],
  [
    'checkpoint',
    'a tensor named for another architecture',
    () => [...M(), at('renamed.safetensors')],
    /renamed\.safetensors: .*(layer1\.weight|fc1\.weight)/,
  ],
  [
    'checkpoint',
    '--model is a folder',
    () => [...M(), at('a-folder.safetensors')],
    /a-folder\.safetensors: a folder, not a file/,
  ],
  ['checkpoint', '--model does not exist', () => [...M(), at('nope.safetensors')], /nope\.safetensors: no such file/],
  [
    'checkpoint',
    'train --init of NaN weights',
    () => ['train', '--init', at('nan.safetensors'), '--out', at('out-init')],
    /nan\.safetensors: 1 of \d+ values of fc1\.weight are NaN/,
  ],
  [
    'data',
    'a stray label 200',
    () => ['train', '--data', at('stray-label'), '--batch', '10', '--out', at('out-stray')],
    /train-images-idx3-ubyte: labels run 0–200 but 190 of those classes have no training image/,
  ],
  [
    'data',
    'a truncated IDX file',
    () => ['train', '--data', at('truncated-idx'), '--out', at('out-trunc')],
    /train-images-idx3-ubyte: dimensions \[40x4x4\] need 640 data bytes but the file has 100 \(truncated\)/,
  ],
  [
    'data',
    'an empty test set',
    () => ['eval', '--out', at('out-eval2.json'), '--model', model, '--data', at('no-test')],
    /t10k-images-idx3-ubyte: no images to evaluate on|the model takes 1x28x28 images/,
  ],
  [
    'data',
    'labels for another image count',
    () => ['train', '--data', at('count-mismatch'), '--out', at('out-count')],
    /train-labels-idx1-ubyte: 39 labels for 40 images/,
  ],
  [
    'data',
    'a bad IDX magic number',
    () => ['train', '--data', at('bad-magic'), '--out', at('out-magic')],
    /train-images-idx3-ubyte: bad IDX magic number/,
  ],
  [
    'data',
    '--data a folder without MNIST files',
    () => ['train', '--data', w, '--out', at('out-nodata')],
    /missing train-images-idx3-ubyte/,
  ],
  [
    'config',
    'a model config with an unknown key',
    () => ['train', '--model-config', at('cfg-unknown-key.json'), '--out', at('out-c1')],
    /layers\[1\]\.activation: Linear takes no "activation"/,
  ],
  [
    'config',
    'a zero-width layer',
    () => ['train', '--model-config', at('cfg-zero-width.json'), '--out', at('out-c2')],
    /layers\[1\]\.out: 0 is not a valid Linear out/,
  ],
  [
    'config',
    'an unknown layer type',
    () => ['train', '--model-config', at('cfg-type.json'), '--out', at('out-c3')],
    /layers\[0\]\.type: unknown layer type "LSTM"/,
  ],
  [
    'config',
    'a model config that is not JSON',
    () => ['train', '--model-config', at('cfg-not-json.json'), '--out', at('out-c4')],
    /--model-config .*cfg-not-json\.json: .*JSON/,
  ],
  [
    'config',
    'a model config that does not exist',
    () => ['train', '--model-config', at('none.json'), '--out', at('out-c5')],
    /--model-config .*none\.json: .*no such file/,
  ],
  [
    'size',
    '--batch 1000000000',
    () => ['train', '--batch', '1000000000', '--out', at('out-batch')],
    /batch 1000000000 is larger than the \d+ training images of embedded/,
  ],
  ['output', '--out is an existing file', () => ['train', '--out', at('a-file')], /a-file: a file, not a folder/],
  [
    'output',
    '--out under /proc',
    () => ['train', '--out', '/proc/sparsegrad-out'],
    /\/proc\/sparsegrad-out: no such file or folder/,
  ],
  [
    'output',
    '--out below a file',
    () => ['train', '--out', at('a-file', 'run')],
    /a-file\/run: a part of this path is a file, not a folder/,
  ],
  [
    'output',
    'a truncated train.json in --out',
    () => ['train', '--iterations', '5', '--out', at('torn-run')],
    /torn-run\/train\.json: not valid JSON \(a damaged run folder\)/,
  ],
  [
    'output',
    'report on a missing folder',
    () => ['report', at('no-such-results')],
    /no-such-results: no such (folder|file)/,
  ],
);

// Model configs that are refused, each naming the key's path.
const MODEL_CONFIGS: [string, unknown, RegExp][] = [
  [
    'activation',
    { input: [1, 28, 28], layers: [{ type: 'Flatten' }, { type: 'ReLU', activation: 'tanh' }] },
    /layers\[1\]\.activation: ReLU takes no "activation"/,
  ],
  [
    'neg-width',
    { input: [1, 28, 28], layers: [{ type: 'Flatten' }, { type: 'Linear', out: -2 }] },
    /layers\[1\]\.out: -2 is not a valid Linear out/,
  ],
  [
    'frac-kernel',
    { input: [1, 28, 28], layers: [{ type: 'Conv2d', out: 2, kernel: 2.5 }] },
    /layers\[0\]\.kernel: 2\.5 is not a valid Conv2d kernel/,
  ],
  [
    'no-out',
    { input: [1, 28, 28], layers: [{ type: 'Flatten' }, { type: 'Linear' }] },
    /layers\[1\]\.out: Linear needs "out"/,
  ],
  [
    'dropout-1',
    { input: [1, 28, 28], layers: [{ type: 'Dropout', p: 1 }] },
    /layers\[0\]\.p: 1 is not a valid Dropout p/,
  ],
  [
    'nested',
    { input: [1, 28, 28], layers: [{ type: 'Sequential', layers: [{ type: 'Flatten' }, { type: 'Linear', out: 0 }] }] },
    /layers\[0\]\.layers\[1\]\.out: 0 is not a valid Linear out/,
  ],
  ['top-key', { input: [1, 28, 28], layers: [], optimizer: 'sgd' }, /model config: unknown key "optimizer"/],
  ['input-zero', { input: [0, 28, 28], layers: [] }, /model config: input \[0,28,28\] must be whole numbers/],
  ['no-layers', { input: [1, 28, 28] }, /needs "input" .* and "layers"/],
  [
    'bad-name',
    { input: [1, 28, 28], layers: [{ type: 'Flatten', name: 'a b' }] },
    /layers\[0\]\.name: Flatten name "a b"/,
  ],
  [
    'pool-too-big',
    { input: [1, 28, 28], layers: [{ type: 'MaxPool2d', kernel: 40 }] },
    /MaxPool2d: a 40x40 window does not fit the 28x28 input/,
  ],
  [
    'wrong-input',
    { input: [3, 32, 32], layers: [{ type: 'Flatten' }, { type: 'Linear', out: 10 }] },
    /images are 1x28x28, but the model config takes 3x32x32/,
  ],
];
const O = () => ['--out', at(`out-${Math.random().toString(36).slice(2)}`)];
cases.push(
  ...HOSTILE_SAFETENSORS.map(
    ([what, , message], i): Case => [
      'safetensors',
      `eval --model ${what}`,
      () => ['eval', '--out', at(`out-h${i}.json`), '--model', at(`hostile-${i}.safetensors`)],
      new RegExp(`hostile-${i}\\.safetensors: .*${message.source}`),
    ],
  ),
  ...MODEL_CONFIGS.map(
    ([name, , message]): Case => [
      'config',
      `--model-config ${name}`,
      () => ['train', '--model-config', at(`cfg-${name}.json`), ...O()],
      message,
    ],
  ),
  [
    'noise',
    'a target outside the classes',
    () => ['noise', '--model', model, '--target', '12', '--limit', '0.2', ...O()],
    /target.*12/,
  ],
  [
    'noise',
    'a noise file of another image size',
    () => ['eval', '--model', model, '--noise', at('wide-noise.safetensors'), '--out', at('out-wn.json')],
    /wide-noise\.safetensors: .*5x5|\[1,5,5\]|25/,
  ],
  [
    'noise',
    'a model given as a noise file',
    () => ['eval', '--model', model, '--noise', model, '--out', at('out-mn.json')],
    /model\.safetensors: .*noise/,
  ],
  [
    'noise',
    'a noise file that does not exist',
    () => ['eval', '--model', model, '--noise', at('none.safetensors'), '--out', at('out-nn.json')],
    /none\.safetensors: no such file/,
  ],
  [
    'noise',
    'noise --model missing',
    () => ['noise', '--model', at('gone.safetensors'), '--target', '3', '--limit', '0.2', ...O()],
    /gone\.safetensors: no such file/,
  ],
  [
    'prune',
    'prune --scope of a layer the model lacks',
    () => ['prune', '--model', model, '--ratio', '0.5', '--scope', 'layer:9', '--out', at('out-p1.safetensors')],
    /layer:9/,
  ],
  [
    'prune',
    'prune --out not .safetensors',
    () => ['prune', '--model', model, '--ratio', '0.5', '--out', at('out-p2.bin')],
    /--out .*out-p2\.bin: a pruned model is written as \.safetensors/,
  ],
  [
    'prune',
    'prune --model missing',
    () => ['prune', '--model', at('gone.safetensors'), '--ratio', '0.5', '--out', at('out-p3.safetensors')],
    /gone\.safetensors: no such file/,
  ],
  [
    'sweep',
    'sweep --model missing',
    () => ['sweep', '--model', at('gone.safetensors'), '--noise', at('noise', 'noise-t3-l0.2.safetensors'), ...O()],
    /gone\.safetensors: no such file/,
  ],
  [
    'sweep',
    'sweep --noise missing',
    () => ['sweep', '--model', model, '--noise', at('gone-noise.safetensors'), ...O()],
    /gone-noise\.safetensors: no such file/,
  ],
  [
    'sweep',
    'sweep with a hostile model',
    () => ['sweep', '--model', at('nan.safetensors'), '--noise', at('noise', 'noise-t3-l0.2.safetensors'), ...O()],
    /nan\.safetensors: 1 of \d+ values of fc1\.weight are NaN/,
  ],
  [
    'detect',
    'detect --model missing',
    () => ['detect', '--model', at('gone.safetensors'), '--pgd', '0.1', ...O()],
    /gone\.safetensors: no such file/,
  ],
  [
    'detect',
    'detect --validation larger than the test set',
    () => ['detect', '--model', model, '--validation', '999999', ...O()],
    /--validation 999999: the test set has \d+ images/,
  ],
  [
    'imp',
    'imp --scope layer:1',
    () => ['imp', '--scope', 'layer:1', '--iterations', '5', ...O()],
    /imp: --scope is per-matrix or global/,
  ],
  [
    'imp',
    'imp --rewind past the last iteration',
    () => ['imp', '--rewind', '50', '--iterations', '20', '--hidden', '4', ...O()],
    /imp: --rewind 50 must be an iteration before the last \(20\)/,
  ],
  [
    'report',
    'report --bench of bad JSON',
    () => ['report', at('study-copy'), '--bench', at('bench-bad.json')],
    /bench-bad\.json/,
  ],
  [
    'report',
    'report on a folder with no results',
    () => ['report', at('empty-results')],
    /empty-results: no sweep folders/,
  ],
  [
    'train',
    'train --init missing',
    () => ['train', '--init', at('gone.safetensors'), ...O()],
    /gone\.safetensors: no such file/,
  ],
  [
    'train',
    "train --init being the run's own model",
    () => ['train', '--init', model, '--out', at('model')],
    /--out .*model\.safetensors is the input/,
  ],
  [
    'train',
    'train --data missing folder',
    () => ['train', '--data', at('no-such-data'), ...O()],
    /no-such-data: missing train-images-idx3-ubyte/,
  ],
  [
    'train',
    'train of fashion-cnn config on 4x4 images',
    () => ['train', '--data', at('stray-label'), '--model-config', 'examples/fashion-cnn.json', ...O()],
    /stray-label|28x28|4x4|labels run/,
  ],
);
// Usage errors (commander): the reason, then a one-line hint.
const USAGE: [string, string[], RegExp][] = [
  ['an unknown option', ['train', '--bogus'], /unknown option '--bogus'/],
  ['a mistyped command', ['trian'], /unknown command 'trian'/],
  ['--iterations 0', ['train', '--iterations', '0'], /'--iterations <n>' argument '0' is invalid/],
  ['--dropout 1', ['train', '--dropout', '1'], /'--dropout <p>' argument '1' is invalid/],
  ['--keep', ['train', '--keep', '0.7'], /use --dropout 0\.3/],
  ['--hidden 100,x', ['train', '--hidden', '100,x'], /"100,x" is not a comma-separated list/],
  ['--lr 0', ['train', '--lr', '0'], /'--lr <rate>' argument '0' is invalid/],
  ['--batch 0', ['train', '--batch', '0'], /'--batch <n>' argument '0' is invalid/],
  ['--arch rnn', ['train', '--arch', 'rnn'], /Allowed choices are fc, cnn/],
  ['--loss hinge', ['train', '--loss', 'hinge'], /argument 'hinge' is invalid/],
  ['--lr-schedule out of order', ['train', '--lr-schedule', '400:1e-4,300:1e-5'], /iterations must ascend/],
  [
    'noise --limit 0',
    ['noise', '--model', 'm', '--target', '3', '--limit', '0'],
    /'--limit <x>' argument '0' is invalid/,
  ],
  ['noise --vectors 3:-0.1', ['noise', '--model', 'm', '--vectors', '3:-0.1'], /limit must be in \(0, 1\]/],
  [
    'prune --ratio 1.5',
    ['prune', '--model', 'm', '--ratio', '1.5', '--out', 'x.safetensors'],
    /'--ratio <r>' argument '1\.5' is invalid|1\.5/,
  ],
  [
    'prune --method nope',
    ['prune', '--model', 'm', '--ratio', '0.5', '--method', 'nope', '--out', 'x.safetensors'],
    /'nope'/,
  ],
  ['imp --per-round 1', ['imp', '--per-round', '1'], /'--per-round <x>' argument '1' is invalid/],
  [
    'eval --test-images 0',
    ['eval', '--model', 'm', '--test-images', '0'],
    /'--test-images <n>' argument '0' is invalid/,
  ],
  [
    'sweep --shard 3/2',
    [
      'sweep',
      '--model',
      at('model', 'model.safetensors'),
      '--noise',
      at('noise', 'noise-t3-l0.2.safetensors'),
      '--shard',
      '3/2',
      '--out',
      at('out-shard'),
    ],
    /--shard "3\/2"|shard 3\/2|"3\/2"/,
  ],
  ['detect --scores nope', ['detect', '--model', 'm', '--scores', 'nope'], /nope/],
  ['train without a value', ['train', '--out'], /option '--out <dir>' argument missing/],
  ['study --seeds x', ['study', '--seeds', 'x'], /"x"/],
];

describe('usage errors: the reason and a one-line hint, no help dump, no stack trace', () => {
  for (const [what, args, message] of USAGE)
    it(what, () => {
      const before = hashes();
      const r = run(args);
      expect(r.status, r.stderr).not.toBe(0);
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => l && !l.startsWith('Warning:'));
      expect(lines.length, r.stderr).toBeLessThanOrEqual(3); // reason, a suggestion where mistyped, the hint
      expect(r.stderr).toMatch(message);
      expect(lines[lines.length - 1]).toMatch(/\(add --help for the options\)|^sparsegrad: /);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(hashes()).toEqual(before);
    });
});

describe('hostile inputs: one line, no stack trace, no file changed', () => {
  it('has the cases', () => expect(cases.length + USAGE.length).toBeGreaterThanOrEqual(110));
  for (const [kind, what, args, message] of cases)
    it(`${kind}: ${what}`, () => {
      const before = hashes();
      const r = run(args());
      expect(r.status, `${r.stdout}\n${r.stderr}`).not.toBe(0);
      expect(r.status).not.toBeNull(); // not killed by a timeout: no hang
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => l && !l.startsWith('Warning:'));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^sparsegrad: /);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(hashes()).toEqual(before);
    });
});
