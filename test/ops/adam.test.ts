import { describe, expect, it } from 'vitest';
import { compare, randomArray, useGpu } from '../helpers';
import { unaryKernel } from '../../src/ops/elementwise';
import { Adam } from '../../src/nn/adam';
import { Tensor, tidyAsync } from '../../src/tensor/tensor';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

describe('adam', () => {
  // 1027 parameters run one per invocation, 1028 four at a time.
  for (const n of [1027, 1028])
    for (const decay of [0, 0.3])
      it(`three steps of the fused kernel (via the optimiser) match a float64 reference of Kingma & Ba, n ${n}, L2 decay ${decay}`, async () => {
        expect(unaryKernel(backend(), n)).toBe(n % 4 ? 'scalar' : 'vec4');
        const [lr, b1, b2, eps] = [1e-2, 0.9, 0.999, 1e-3]; // a large eps so its bias-corrected folding is tested
        const p0 = randomArray(n, 1);
        const grads = [randomArray(n, 2), randomArray(n, 3), randomArray(n, 4)];
        const want = Float64Array.from(p0);
        const m = new Float64Array(n),
          v = new Float64Array(n);
        grads.forEach((g, s) => {
          const t = s + 1;
          for (let i = 0; i < n; i++) {
            const gi = g[i] + decay * want[i]; // gradient of the penalty decay·½Σp² added
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            const mh = m[i] / (1 - b1 ** t),
              vh = v[i] / (1 - b2 ** t);
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

  it('four parameters at a time give the same bits as one at a time', async () => {
    const n = 1028;
    const runs: Uint32Array[] = [];
    for (const scalar of [true, false]) {
      backend().kernels.pin({ elementwise: scalar ? 'scalar' : null });
      expect(unaryKernel(backend(), n)).toBe(scalar ? 'scalar' : 'vec4');
      runs.push(
        await tidyAsync(async () => {
          const p = Tensor.fromArray(Float32Array.from(randomArray(n, 1)), [n], true);
          const adam = new Adam([p], { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, [0.1]);
          for (const seed of [2, 3]) {
            p.grad = Tensor.fromArray(Float32Array.from(randomArray(n, seed)), [n]);
            adam.update();
          }
          const out = new Uint32Array((await p.read()).buffer);
          adam.dispose();
          return out;
        }),
      );
    }
    backend().kernels.pin({ elementwise: null });
    expect(runs[1]).toEqual(runs[0]);
  });
});
