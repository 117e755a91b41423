import { describe, it } from 'vitest';
import { compare, randomArray, useGpu } from '../helpers';
import { Adam } from '../../src/nn/adam';
import { Tensor, tidyAsync } from '../../src/tensor/tensor';

useGpu();

describe('adam', () => {
  for (const decay of [0, 0.3])
  it(`three steps of the fused kernel (via the optimiser) match a float64 reference of Kingma & Ba, L2 decay ${decay}`, async () => {
    const n = 1027;
    const [lr, b1, b2, eps] = [1e-2, 0.9, 0.999, 1e-3]; // a large eps so its bias-corrected folding is tested
    const p0 = randomArray(n, 1);
    const grads = [randomArray(n, 2), randomArray(n, 3), randomArray(n, 4)];
    const want = Float64Array.from(p0);
    const m = new Float64Array(n), v = new Float64Array(n);
    grads.forEach((g, s) => {
      const t = s + 1;
      for (let i = 0; i < n; i++) {
        const gi = g[i] + decay * want[i]; // gradient of the penalty decay·½Σp² added
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        const mh = m[i] / (1 - b1 ** t), vh = v[i] / (1 - b2 ** t);
        want[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
    });
    const got = await tidyAsync(async () => {
      const p = Tensor.fromArray(Float32Array.from(p0), [n], true);
      const adam = new Adam([p], { lr, beta1: b1, beta2: b2, eps }, [decay]);
      for (const g of grads) {
        p.grad = Tensor.fromArray(Float32Array.from(g), [n]);
        adam.update();
      }
      const out = await p.read();
      adam.dispose();
      return out;
    });
    compare(`adam p after 3 steps (decay ${decay})`, got, want, 1e-5, 1e-6);
  });
});
