import { Tensor, tidy, backward } from '../src/tensor/tensor';
import { biasReluDropout } from '../src/ops/bias_relu_dropout';
import { add, mul, relu } from '../src/ops/elementwise';
import { dropout } from '../src/ops/composite';
import { sum } from '../src/ops/reduce';
import { median } from '../src/gpu/timing';
import { seededRandom } from '../src/nn/random';
import { printTable } from './common';
import { defaultBackend as backend } from '../src/gpu/default-backend';

/**
 * A hidden layer's epilogue (bias, ReLU, dropout at keep 0.7) as one fused kernel and as the
 * four ops it replaces, on the study's FC layer outputs (batch 250): GPU time from timestamp
 * queries, forward alone and forward + backward, the two alternated, the median of 7 each.
 */
export async function benchEpilogue() {
  const rows: { shape: string; pass: string; fusedMs: number; unfusedMs: number; speedup: number }[] = [];
  const rand = seededRandom(3);
  for (const [n, c] of [
    [250, 1500],
    [250, 1000],
    [250, 800],
  ]) {
    const x = Tensor.fromArray(
      Float32Array.from({ length: n * c }, () => rand() - 0.5),
      [n, c],
      true,
    ).keep();
    const b = Tensor.fromArray(
      Float32Array.from({ length: c }, () => rand() - 0.5),
      [c],
      true,
    ).keep();
    const g = Tensor.fromArray(
      Float32Array.from({ length: n * c }, () => rand() - 0.5),
      [n, c],
    ).keep();
    const step = (fused: boolean, withBackward: boolean) =>
      tidy(() => {
        const y = fused
          ? biasReluDropout(x, b, { keep: 0.7, seed: 1, stream: 2 })
          : dropout(relu(add(x, b)), 0.7, 1, 2);
        if (withBackward) backward(sum(mul(y, g)));
        for (const t of [x, b]) {
          t.grad?.dispose();
          t.grad = null;
        }
      });
    for (const withBackward of [false, true]) {
      const ms = { fused: [] as number[], unfused: [] as number[] };
      for (let rep = 0; rep < 8; rep++)
        for (const fused of [true, false]) {
          const t = await backend().runner.timeGpu(() => step(fused, withBackward));
          if (t === null) return { rows, note: 'no timestamp queries on this adapter' };
          if (rep > 0) ms[fused ? 'fused' : 'unfused'].push(t); // the first of each is a warm-up
        }
      const [f, u] = [median(ms.fused), median(ms.unfused)];
      rows.push({
        shape: `[${n}, ${c}]`,
        pass: withBackward ? 'forward + backward' : 'forward',
        fusedMs: f,
        unfusedMs: u,
        speedup: u / f,
      });
    }
    for (const t of [x, b, g]) t.dispose();
  }
  printTable(
    'Layer epilogue (bias + ReLU + dropout): fused kernel against add → relu → dropout mask → mul, GPU ms',
    ['shape', 'pass', 'fused', 'unfused', 'x'],
    rows.map((r) => [r.shape, r.pass, r.fusedMs, r.unfusedMs, r.speedup]),
  );
  return { rows };
}
