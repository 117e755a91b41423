import { describe, expect, it } from 'vitest';
import { checkOp, randomArray, rng, useGpu } from '../helpers';
import { SPMM_KERNELS, spmm, spmmBucket, spmmKernel, spmmVectorWidth, tuneSpmm } from '../../src/ops/spmm';
import { MemoryTuneStore, Tuner } from '../../src/gpu/tuner';
import { transpose } from '../../src/ops/transpose';
import { SparseMatrix, csrFromDense, transposeCsr, validateCsr } from '../../src/tensor/csr';
import { Tensor } from '../../src/tensor/tensor';
import { ShapeError } from '../../src/util/errors';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

/** Dense [rows, cols] with a pattern: `density(r)` is row r's chance of a nonzero. */
function sparseDense(rows: number, cols: number, seed: number, density: (r: number) => number): Float64Array {
  const r = rng(seed);
  const d = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (r() < density(i)) d[i * cols + j] = 2 * r() - 1;
  return d;
}

const refProduct = (a: Float64Array, R: number, C: number, x: Float64Array, N: number): Float64Array => {
  const out = new Float64Array(R * N);
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const v = a[r * C + c];
      if (v) for (let n = 0; n < N; n++) out[r * N + n] += v * x[c * N + n];
    }
  return out;
};

// [name, rows, cols, N, density per row]
const CASES: [string, number, number, number, (r: number) => number][] = [
  ['empty rows', 37, 29, 13, (r) => (r % 3 === 0 ? 0 : 0.3)],
  ['a single dense row', 21, 50, 9, (r) => (r === 7 ? 1 : 0)],
  ['1 column', 40, 1, 17, () => 0.5],
  ['very uneven rows', 64, 300, 10, (r) => (r % 16 === 0 ? 0.95 : 0.01)],
  ['1×1, batch 1', 1, 1, 1, () => 1],
  ['batch not a multiple of the thread block', 33, 47, 250, () => 0.1],
  // x read as vec4 (N % 4 == 0) and vec2: a partial last block of 16 columns, uneven and empty rows.
  ['vec4 columns, uneven rows', 64, 300, 36, (r) => (r % 16 === 0 ? 0.95 : 0.01)],
  ['vec4 columns, empty rows', 37, 29, 4, (r) => (r % 3 === 0 ? 0 : 0.3)],
  ['vec2 columns', 21, 50, 18, (r) => (r === 7 ? 1 : 0.2)],
  // Rows longer than one staged batch of 64 nonzeros, and more columns than one staged tile (256).
  ['long rows, wide x', 9, 200, 300, (r) => (r % 2 ? 0.9 : 0.05)],
];

it('the cases cover every x vector width (f32, vec2, vec4)', () => {
  expect([
    spmmVectorWidth(backend(), 13),
    spmmVectorWidth(backend(), 10),
    spmmVectorWidth(backend(), 36),
    spmmVectorWidth(backend(), 250),
    spmmVectorWidth(backend(), 1),
  ]).toEqual([1, 2, 4, 2, 1]);
  expect(new Set(CASES.map(([, , , N]) => spmmVectorWidth(backend(), N)))).toEqual(new Set([1, 2, 4]));
});

describe.each(SPMM_KERNELS)('CSR × dense (spmm, %s mapping) and its transposed product', (kernel) => {
  for (const [name, R, C, N, density] of CASES) {
    it(`${name}: [${R},${C}] × [${C},${N}]`, async () => {
      backend().kernels.pin({ spmm: kernel });
      const dense = sparseDense(R, C, R * 7 + C, density);
      const a = SparseMatrix.fromDense(Float32Array.from(dense), R, C);
      // Forward against float64, and d/dx (through Aᵀ in CSR) by finite differences.
      await checkOp({
        name: `spmm ${name}`,
        shapes: [[C, N]],
        gpu: (x) => spmm(a, x),
        ref: (x) => ({ data: refProduct(dense, R, C, x.data, N), shape: [R, N] }),
        atol: 1e-5 * Math.sqrt(C),
      });
      expect(spmmKernel(backend(), a.a, N)).toBe(kernel);
      a.dispose();
    });
  }
});

describe('CSR mapping by measurement', () => {
  it('the tuner times both mappings on the matrix itself; spmm then runs the winner for that bucket, with the same result', async () => {
    const dense = Float32Array.from(sparseDense(48, 96, 4, () => 0.2));
    const a = SparseMatrix.fromDense(dense, 48, 96);
    const x = Tensor.fromArray(Float32Array.from(randomArray(96 * 40, 5)), [96, 40]);
    const byRows = await spmm(a, x).read();
    const timed: string[] = [];
    // An injected timer that sees which kernel the candidate encodes: the staged mapping "wins"
    // whatever this adapter would say.
    const tuner = new Tuner({
      timer: async (encode) => {
        const dispatch = backend().runner.dispatch;
        let label = '';
        backend().runner.dispatch = (p, ...rest) => {
          label = p.label;
          return dispatch.call(backend().runner, p, ...rest);
        };
        try {
          encode();
        } finally {
          backend().runner.dispatch = dispatch;
        }
        const staged = label.startsWith('csr_matmul_staged');
        timed.push(staged ? 'staged' : 'rows');
        return staged ? 1 : 2;
      },
      store: new MemoryTuneStore(),
      minMs: 0,
      maxReps: 1,
    });
    const r = await tuneSpmm(tuner, a.a, 40);
    expect(r).toMatchObject({ bucket: spmmBucket(48, 96, 40, a.nnz), winner: 'staged', source: 'measured' });
    expect(new Set(timed)).toEqual(new Set(['rows', 'staged']));
    backend().kernels.tuner = tuner;
    try {
      expect(spmmKernel(backend(), a.a, 40)).toBe('staged');
      expect(spmmKernel(backend(), a.a, 4000)).toBe('rows'); // another bucket: nothing measured, the rule
      const staged = await spmm(a, x).read();
      staged.forEach((v, i) => expect(Math.abs(v - byRows[i])).toBeLessThan(1e-5));
    } finally {
      backend().kernels.tuner = null;
    }
    x.dispose();
    a.dispose();
  });
});

describe('CSR helpers', () => {
  it('transposeCsr is the CSR of the transposed dense matrix', () => {
    const dense = Float32Array.from(sparseDense(19, 23, 5, (r) => (r % 4) / 4));
    const t = transposeCsr(csrFromDense(dense, 19, 23));
    const want = new Float32Array(23 * 19);
    for (let r = 0; r < 19; r++) for (let c = 0; c < 23; c++) want[c * 19 + r] = dense[r * 23 + c];
    const direct = csrFromDense(want, 23, 19);
    expect([t.rowPtr, t.colIdx, t.values]).toEqual([direct.rowPtr, direct.colIdx, direct.values]);
  });

  it('rejects a bad CSR and a mismatched x with errors that name the problem', () => {
    const ok = csrFromDense(Float32Array.from(randomArray(12, 3)), 3, 4);
    expect(() => validateCsr({ ...ok, colIdx: ok.colIdx.map((c, i) => (i === 5 ? 9 : c)) }, 'layer2')).toThrow(
      /layer2: column index 9 at nonzero 5 is outside 4 columns/,
    );
    expect(() => validateCsr({ ...ok, rowPtr: Uint32Array.from([0, 4, 3, 12]) })).toThrow(/rowPtr decreases at row 1/);
    const a = new SparseMatrix(ok);
    expect(() => spmm(a, Tensor.zeros([5, 2]))).toThrow(ShapeError);
    expect(() => spmm(a, Tensor.zeros([5, 2]))).toThrow(/sparse \[3,4\] times x \[5,2\]: x must be \[4, N\]/);
    a.dispose();
  });
});

describe('transpose', () => {
  for (const [R, C] of [
    [1, 1],
    [7, 13],
    [300, 3],
  ])
    it(`[${R},${C}]`, () =>
      checkOp({
        name: 'transpose',
        shapes: [[R, C]],
        gpu: (x) => transpose(x),
        ref: (x) => ({
          data: Float64Array.from({ length: R * C }, (_, i) => x.data[(i % R) * C + Math.floor(i / R)]),
          shape: [C, R],
        }),
      }));
});
