import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from '../helpers';
import { Tensor, tidy } from '../../src/tensor/tensor';

import { DEFAULT_CONFIG, layersOf, type TrainConfig } from '../../src/nn/config';
import { adamFor, trainStep } from '../../src/nn/train';
import { modelFromSafetensors, modelToSafetensors, nonzeroMasks } from '../../src/nn/checkpoint';
import { seededRandom } from '../../src/nn/random';
import { defaultBackend as backend } from '../../src/gpu/default-backend';
import { modelOfLayers } from '../../src/nn/study-models';
import type { Sequential } from '../../src/nn/modules';

useGpu();

const config: TrainConfig = {
  ...DEFAULT_CONFIG,
  hidden: [48, 24],
  batch: 16,
  iterations: 60,
  evalEvery: 0,
  l2: 1e-3,
  dropout: 0.3,
};
const randomMasks = (net: Sequential, keep: number, seed: number) => {
  const random = seededRandom(seed);
  return net.weights.map((w) => Float32Array.from({ length: w.size }, () => (random() < keep ? 1 : 0)));
};
const batch = () => {
  const random = seededRandom(5);
  const x = Float32Array.from({ length: config.batch * 784 }, () => random());
  const t = new Float32Array(config.batch * 10);
  for (let b = 0; b < config.batch; b++) t[b * 10 + (b % 10)] = 1;
  return { x, t };
};

describe('training under pruning masks', () => {
  it('pruned weights and their Adam moments stay exactly 0 over many steps (L2, dropout); kept ones train', async () => {
    const net = modelOfLayers(layersOf(config), config.dropout, 1);
    const before = await Promise.all(net.weights.map((w) => w.read()));
    const masks = randomMasks(net, 0.2, 9);
    const maskTensors = masks.map((m, i) => Tensor.fromArray(m, [...net.weights[i].shape]).keep());
    const adam = adamFor(net, config);
    const weightIndex = net.params.map((p) => net.weights.indexOf(p.tensor));
    adam.setMasks(weightIndex.map((w) => (w >= 0 ? maskTensors[w] : null)));
    const { x, t } = batch();
    for (let it = 1; it <= 60; it++)
      tidy(() => {
        trainStep(net, adam, config, x, t, it, false);
        backend().runner.flush();
      });
    const after = await Promise.all(net.weights.map((w) => w.read()));
    const state = await adam.save();
    masks.forEach((mask, m) => {
      let moved = 0;
      for (let i = 0; i < mask.length; i++) {
        if (!mask[i]) expect(after[m][i], `weight ${m}[${i}]`).toBe(0);
        else if (after[m][i] !== before[m][i]) moved++;
      }
      expect(moved).toBeGreaterThan(0.9 * mask.reduce((s, v) => s + v, 0));
      const p = weightIndex.indexOf(m);
      for (let i = 0; i < mask.length; i++)
        if (!mask[i]) {
          expect(state.m[p][i]).toBe(0);
          expect(state.v[p][i]).toBe(0);
        }
    });
    adam.dispose();
    net.dispose();
    maskTensors.forEach((k) => k.dispose());
  });

  it('an all-ones mask trains bit for bit as no mask', async () => {
    const runs: Float32Array[][] = [];
    for (const masked of [false, true]) {
      const net = modelOfLayers(layersOf(config), config.dropout, 2);
      const adam = adamFor(net, config);
      const ones = net.params.map((p) => Tensor.full([...p.tensor.shape], 1).keep());
      if (masked) adam.setMasks(ones);
      const { x, t } = batch();
      for (let it = 1; it <= 5; it++)
        tidy(() => {
          trainStep(net, adam, config, x, t, it, false);
          backend().runner.flush();
        });
      runs.push(await Promise.all(net.params.map((p) => p.tensor.read())));
      adam.dispose();
      net.dispose();
      ones.forEach((k) => k.dispose());
    }
    runs[0].forEach((a, i) => expect(new Uint32Array(runs[1][i].buffer)).toEqual(new Uint32Array(a.buffer)));
  });
});

describe('masks as data: plain zeros or torch.nn.utils.prune layout', () => {
  it('both layouts load to the same weights; the torch layout keeps the original weights and gives back the masks; an independent numpy script agrees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'masks-'));
    const net = modelOfLayers(layersOf(config), config.dropout, 3);
    const masks: (Float32Array | null)[] = randomMasks(net, 0.25, 4);
    masks[2] = null; // the output layer unpruned: saved as a plain weight in both layouts
    writeFileSync(join(dir, 'zeros.safetensors'), await modelToSafetensors(net, config, masks, 'zeros'));
    writeFileSync(join(dir, 'torch.safetensors'), await modelToSafetensors(net, config, masks, 'torch-prune'));
    const zeros = modelFromSafetensors(readFileSync(join(dir, 'zeros.safetensors')), 'zeros.safetensors');
    const torch = modelFromSafetensors(readFileSync(join(dir, 'torch.safetensors')), 'torch.safetensors');
    expect(zeros.masks).toBeNull();
    expect(torch.masks!.map((m) => m && Array.from(m))).toEqual(masks.map((m) => m && Array.from(m)));
    for (let i = 0; i < 3; i++)
      expect(await torch.model.weights[i].read()).toEqual(await zeros.model.weights[i].read());
    // nonzeroMasks of the zeros file: the mask wherever the original weight was not itself 0.
    const derived = await nonzeroMasks(zeros.model);
    expect(Array.from(derived[0])).toEqual(Array.from(masks[0]!));

    const py = (...args: string[]) =>
      spawnSync('python3', [join(process.cwd(), 'test/ref/prune_layout.py'), ...args], { encoding: 'utf8' });
    const check = py('check', join(dir, 'zeros.safetensors'), join(dir, 'torch.safetensors'));
    expect(check.status, check.stderr).toBe(0);
    const summary = JSON.parse(check.stdout);
    expect(summary.masked).toEqual(['fc1.weight', 'fc2.weight']);
    expect(summary.others).toEqual(['fc1.bias', 'fc2.bias', 'fc3.bias', 'fc3.weight']);
    expect(summary.kept['fc1.weight']).toBeCloseTo(0.25, 1);
    // A file numpy wrote in the torch layout loads with weight = orig · mask.
    const written = py('write', join(dir, 'zeros.safetensors'), join(dir, 'numpy-torch.safetensors'), '11');
    expect(written.status, written.stderr).toBe(0);
    const fromNumpy = modelFromSafetensors(
      readFileSync(join(dir, 'numpy-torch.safetensors')),
      'numpy-torch.safetensors',
    );
    const w1 = await fromNumpy.model.weights[0].read(),
      z1 = await zeros.model.weights[0].read(),
      k1 = fromNumpy.masks![0]!;
    for (let i = 0; i < w1.length; i++) expect(w1[i]).toBe(k1[i] ? z1[i] : 0);
    expect(fromNumpy.masks![2]).toBeNull();
    [net, zeros.model, torch.model, fromNumpy.model].forEach((m) => m.dispose());
  });

  it('a lone _orig or _mask, or a mask that is not 0/1, is refused naming the tensor', async () => {
    const { encodeSafetensors, decodeSafetensors } = await import('../../src/io/safetensors');
    const net = modelOfLayers(layersOf(config), config.dropout, 3);
    const masks = randomMasks(net, 0.5, 4);
    const good = decodeSafetensors(await modelToSafetensors(net, config, masks, 'torch-prune'), 'x').arrays;
    const without = (name: string) => encodeSafetensors(good.filter((a) => a.name !== name));
    expect(() => modelFromSafetensors(without('fc1.weight_mask'), 'm.safetensors')).toThrow(
      /m\.safetensors: fc1\.weight_orig has no fc1\.weight_mask beside it/,
    );
    expect(() => modelFromSafetensors(without('fc2.weight_orig'), 'm.safetensors')).toThrow(
      /fc2\.weight_mask has no fc2\.weight_orig beside it/,
    );
    const half = good.map((a) =>
      a.name === 'fc1.weight_mask' ? { ...a, data: a.data.map((v, i) => (i === 7 ? 0.5 : v)) } : a,
    );
    expect(() => modelFromSafetensors(encodeSafetensors(half), 'm.safetensors')).toThrow(
      /fc1\.weight_mask\[7\] = 0\.5: a pruning mask holds only 0 and 1/,
    );
    net.dispose();
  });
});
