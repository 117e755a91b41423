// The core kernel checks, run in the browser against the same float64 references as the Node tests.
import { adapterName } from '../src/gpu/device';
import { initGpu } from '../src/gpu/init';
import { Tensor, tidyAsync, backward } from '../src/tensor/tensor';
import { matmul } from '../src/ops/matmul';
import { add, relu, exp } from '../src/ops/elementwise';
import { sum } from '../src/ops/reduce';
import { softmaxCrossEntropy } from '../src/ops/composite';
import { refMatmul, refBinary, refUnary, refReduce, refSoftmaxCE } from '../test/ref/ref';
import { seededRandom } from '../src/nn/random';
import { defaultBackend as backend } from '../src/gpu/default-backend';

interface Result {
  name: string;
  ok: boolean;
  detail: string;
}
const results: Result[] = [];
(window as unknown as { sparsegradKernels: { done: boolean; results: Result[]; adapter: string } }).sparsegradKernels =
  { done: false, results, adapter: '' };

const rand = (n: number, seed: number) => {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n }, () => 2 * r() - 1);
};

function check(name: string, got: Float32Array, want: Float64Array, rtol = 1e-4, atol = 1e-5): void {
  let worst = 0,
    at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    if (!(e <= worst)) {
      worst = e;
      at = i;
      if (Number.isNaN(e)) break;
    }
  }
  const ok = got.length === want.length && worst <= 1;
  results.push({
    name,
    ok,
    detail: ok ? `max error ${worst.toFixed(2)}× bound` : `index ${at}: got ${got[at]}, want ${want[at]}`,
  });
}

async function main(): Promise<void> {
  const g = await initGpu();
  (window as unknown as { sparsegradKernels: { adapter: string } }).sparsegradKernels.adapter = adapterName(
    g.gpu.adapter,
  );
  backend().poison = true;
  for (const [M, K, N, tA, tB] of [
    [7, 13, 5, false, false],
    [65, 17, 129, false, true],
    [33, 70, 31, true, false],
    [1, 1, 1, true, true],
  ] as [number, number, number, boolean, boolean][]) {
    const a = rand(M * K, M),
      b = rand(K * N, N);
    const got = await tidyAsync(() =>
      matmul(
        Tensor.fromArray(Float32Array.from(a), tA ? [K, M] : [M, K]),
        Tensor.fromArray(Float32Array.from(b), tB ? [N, K] : [K, N]),
        { transA: tA, transB: tB },
      ).read(),
    );
    check(
      `matmul ${M}x${K}x${N} tA=${tA} tB=${tB}`,
      got,
      refMatmul({ data: a, shape: tA ? [K, M] : [M, K] }, { data: b, shape: tB ? [N, K] : [K, N] }, tA, tB).data,
      1e-4,
      1e-4,
    );
  }
  const x = rand(250 * 10, 3),
    bias = rand(10, 4);
  check(
    'add broadcast [250,10]+[10]',
    await tidyAsync(() =>
      add(Tensor.fromArray(Float32Array.from(x), [250, 10]), Tensor.fromArray(Float32Array.from(bias), [10])).read(),
    ),
    refBinary({ data: x, shape: [250, 10] }, { data: bias, shape: [10] }, (p, q) => p + q).data,
  );
  check(
    'relu [257]',
    await tidyAsync(() => relu(Tensor.fromArray(Float32Array.from(x.subarray(0, 257)), [257])).read()),
    refUnary({ data: x.subarray(0, 257), shape: [257] }, (v) => Math.max(v, 0)).data,
  );
  check(
    'exp [257]',
    await tidyAsync(() => exp(Tensor.fromArray(Float32Array.from(x.subarray(0, 257)), [257])).read()),
    refUnary({ data: x.subarray(0, 257), shape: [257] }, Math.exp).data,
  );
  check(
    'sum axis 0 [250,10]',
    await tidyAsync(() => sum(Tensor.fromArray(Float32Array.from(x), [250, 10]), 0).read()),
    refReduce({ data: x, shape: [250, 10] }, 0).data,
    1e-4,
    1e-4,
  );
  const t = new Float64Array(250 * 10).map((_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0));
  check(
    'softmax-CE [250,10]',
    await tidyAsync(() =>
      softmaxCrossEntropy(
        Tensor.fromArray(Float32Array.from(x), [250, 10]),
        Tensor.fromArray(Float32Array.from(t), [250, 10]),
      ).read(),
    ),
    refSoftmaxCE({ data: x, shape: [250, 10] }, { data: t, shape: [250, 10] }).data,
  );
  // Backward: d sum(relu(x·W)) / dW against the analytic float64 gradient xᵀ·(x·W > 0).
  const xa = rand(9 * 6, 7),
    wa = rand(6 * 4, 8);
  const grad = await tidyAsync(async () => {
    const w = Tensor.fromArray(Float32Array.from(wa), [6, 4], true);
    backward(sum(relu(matmul(Tensor.fromArray(Float32Array.from(xa), [9, 6]), w))));
    return w.grad!.read();
  });
  const h = refMatmul({ data: xa, shape: [9, 6] }, { data: wa, shape: [6, 4] }).data;
  const want = new Float64Array(24);
  for (let i = 0; i < 6; i++)
    for (let j = 0; j < 4; j++) for (let r = 0; r < 9; r++) want[i * 4 + j] += h[r * 4 + j] > 0 ? xa[r * 6 + i] : 0;
  check('backward d sum(relu(x·W))/dW', grad, want);
  (window as unknown as { sparsegradKernels: { done: boolean } }).sparsegradKernels.done = true;
  document.getElementById('out')!.textContent = results
    .map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`)
    .join('\n');
}

main().catch((e) => {
  results.push({ name: 'run', ok: false, detail: (e as Error).message });
  (window as unknown as { sparsegradKernels: { done: boolean } }).sparsegradKernels.done = true;
  document.getElementById('out')!.textContent = `failed: ${(e as Error).message}`;
});
