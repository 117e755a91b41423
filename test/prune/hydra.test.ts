import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { smallNet } from '../adversarial/small-net';
import { Tensor, backward, tidy } from '../../src/tensor/tensor';
import { hydraMasks, straightThroughMasked } from '../../src/prune/hydra';
import { quadraticLoss } from '../../src/ops/composite';
import { matmul } from '../../src/ops/matmul';
import { DEFAULT_CONFIG } from '../../src/nn/config';
import { parseAdversarial } from '../../src/cli/options';
import { rng } from '../helpers';
import type { Dataset } from '../../src/data/dataset';

useGpu();

const P = 12;
function dataset(n: number, seed: number): Dataset {
  const r = rng(seed);
  return {
    images: Float32Array.from({ length: n * P }, () => r()),
    labels: Uint8Array.from({ length: n }, () => Math.floor(r() * 10)),
    count: n,
    pixels: P,
    shape: [1, 3, 4],
    source: 'random',
  } as unknown as Dataset;
}

describe('HYDRA-style scores', () => {
  it('the masked weight sends its gradient straight through to the scores: d/ds = d/d(w·mask) · w', async () => {
    const r = rng(4);
    const w = Tensor.fromArray(
      Float32Array.from({ length: 30 }, () => r() - 0.5),
      [5, 6],
    );
    const s = Tensor.fromArray(
      Float32Array.from({ length: 30 }, () => r()),
      [5, 6],
      true,
    ).keep();
    const mask = Float32Array.from({ length: 30 }, (_, i) => (i % 3 ? 1 : 0));
    const x = Tensor.fromArray(
      Float32Array.from({ length: 12 }, () => r()),
      [2, 6],
    );
    const targets = [1, 3];
    const [gotT, effT] = tidy(() => {
      const eff = straightThroughMasked(w, s, mask);
      backward(quadraticLoss(matmul(x, eff, { transB: true }), targets));
      return [s.grad!.keep(), eff.detach().keep()];
    });
    const [got, effective] = await Promise.all([gotT.read(), effT.read()]);
    // The same loss with w·mask as a leaf: its gradient times w.
    const leaf = Tensor.fromArray(effective, [5, 6], true).keep();
    const g = await tidy(() => {
      backward(quadraticLoss(matmul(x, leaf, { transB: true }), targets));
      return leaf.grad!.keep();
    }).read();
    const wv = await w.read();
    effective.forEach((v, i) => expect(v).toBe(Math.fround(wv[i] * mask[i])));
    got.forEach((v, i) => expect(v).toBeCloseTo(g[i] * wv[i], 6));
  });

  it('with 0 steps the masks are magnitude pruning per matrix; with steps, exactly (1 − ratio) of each matrix is kept', async () => {
    const { net } = smallNet(9, [12, 20, 16, 10]);
    net.params.forEach((p, i) => (p.tensor.requiresGrad = i % 2 === 0));
    const train = dataset(64, 2);
    const spec = { ratio: 0.7, steps: 0, lr: 0.01, adversarial: null, batch: 16, seed: 1 };
    const magnitude = await hydraMasks(net, DEFAULT_CONFIG, train, spec);
    const weights = await Promise.all(net.weights.map((t) => t.read()));
    weights.forEach((w, i) => {
      const keep = Math.round(0.3 * w.length);
      const order = [...w.keys()].sort((a, b) => Math.abs(w[b]) - Math.abs(w[a]));
      const want = new Float32Array(w.length);
      for (const j of order.slice(0, keep)) want[j] = 1;
      expect([...magnitude[i]]).toEqual([...want]);
    });
    const learned = await hydraMasks(net, DEFAULT_CONFIG, train, {
      ...spec,
      steps: 20,
      lr: 0.05,
      adversarial: parseAdversarial('fgsm-rs:0.1'),
    });
    learned.forEach((m, i) => expect(m.reduce((a, b) => a + b, 0)).toBe(Math.round(0.3 * weights[i].length)));
    expect(learned.some((m, i) => m.some((k, j) => k !== magnitude[i][j]))).toBe(true); // the scores moved the mask
    // The model's parameters are as they were (frozen only while the scores trained).
    expect(net.params.map((p) => p.tensor.requiresGrad)).toEqual(net.params.map((_, i) => i % 2 === 0));
    net.dispose();
  });
});
