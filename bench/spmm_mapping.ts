// The two CSR mappings (rows: a thread per row and 16-column block; staged: Sputnik's workgroup
// per row, longest first, nonzeros staged in workgroup memory) on FC1's shape at three
// sparsities, alternated in one run: the ratio the tuner's choice rests on, on this adapter.
import { SparseMatrix, csrFromDense } from '../src/tensor/csr';
import { spmm, type SpmmKernel } from '../src/ops/spmm';
import { Tensor, tidy } from '../src/tensor/tensor';
import { printTable } from './common';
import { defaultBackend as backend } from '../src/gpu/default-backend';

export async function benchSpmmMapping() {
  const rows = 1500,
    cols = 784,
    N = 250;
  let seed = 1;
  const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const out = [];
  for (const pruned of [0.5, 0.9, 0.99]) {
    const d = Float32Array.from({ length: rows * cols }, () => (rand() < pruned ? 0 : rand() - 0.5));
    const m = new SparseMatrix(csrFromDense(d, rows, cols));
    const x = Tensor.fromArray(Float32Array.from({ length: cols * N }, rand), [cols, N]);
    const ms: Record<SpmmKernel, number[]> = { rows: [], staged: [] };
    for (let rep = 0; rep < 6; rep++)
      for (const k of ['rows', 'staged'] as const) {
        backend().kernels.pin({ spmm: k });
        const t = await backend().runner.timeGpu(() => tidy(() => void spmm(m, x)));
        if (rep > 0 && t !== null) ms[k].push(t); // the first of each is warm-up
      }
    backend().kernels.pin({ spmm: null });
    const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1] ?? null;
    const [r, s] = [median(ms.rows), median(ms.staged)];
    out.push({ rows, cols, batch: N, pruned, rowsMs: r, stagedMs: s, stagedOverRows: r && s ? r / s : null });
    m.dispose();
    x.dispose();
  }
  printTable(
    `CSR mappings, FC1 [${rows}, ${cols}] × [${cols}, ${N}] (GPU ms, median of 5 alternated runs)`,
    ['pruned', 'rows ms', 'staged ms', 'rows / staged'],
    out.map((o) => [o.pruned, o.rowsMs ?? '-', o.stagedMs ?? '-', o.stagedOverRows ?? '-']),
  );
  return { rows: out };
}
