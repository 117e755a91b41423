import { Tensor, tidy } from '../tensor/tensor.js';
import { medianWallMs, median } from '../gpu/timing.js';
import { matmul } from '../ops/matmul.js';
import { spmm } from '../ops/spmm.js';
import { seededRandom } from '../nn/random.js';
import { SparseMatrix, type CsrHost } from '../tensor/csr.js';
import { ConfigError } from '../util/errors.js';
import type { Backend } from '../gpu/backend.js';

/**
 * What one layer shape costs on the adapter in hand, for a batch of `batch` columns: the dense
 * matmul (null: no dense alternative; layerCosts itself refuses matrices too big for one
 * storage binding) and CSR as fixed + perNnz·nnz,
 * a line through two measured densities. CSR time is close to linear in nnz: the kernel does
 * the same work per nonzero and a fixed amount per row.
 */
export interface LayerCosts {
  rows: number;
  cols: number;
  batch: number;
  denseMs: number | null;
  csrFixedMs: number;
  csrMsPerNnz: number;
}

/** Densities the CSR line is measured at: around the crossovers seen on lavapipe and GPUs. */
const PROBE_DENSITIES = [0.05, 0.25];

/**
 * The probes time at most this many bytes of dense matrix (a row slice of a bigger layer; both
 * kernels' times grow linearly in rows), so that a GPU's large binding limit never has them
 * build a gigabyte matrix or time one dispatch long enough to trip a display watchdog.
 */
export const PROBE_MAX_BYTES = 64 * 2 ** 20;

/**
 * Median ms of `run`: GPU time from timestamp queries where the adapter has them (repeated
 * until the runs add up to 20 ms, 3–15 runs), else wall time of `reps` synced runs.
 */
async function timeRun(be: Backend, run: () => void, reps: number): Promise<number> {
  const first = await be.runner.timeGpu(run); // also the warm-up: compiles, first touch
  if (first === null) return medianWallMs(be, run, reps);
  // Timestamps are coarse on some adapters (65 µs ticks on lavapipe): a short run is repeated
  // within one timed pass until the pass lasts about 1 ms, and the time divided.
  const perPass = Math.min(32, Math.max(1, Math.ceil(1 / Math.max(first, 0.01))));
  const times: number[] = [];
  let sum = 0;
  while (times.length < 15 && (times.length < 3 || sum < 20)) {
    const t = (await be.runner.timeGpu(() => {
      for (let i = 0; i < perPass; i++) run();
    }))!;
    times.push(t / perPass);
    sum += t;
  }
  return median(times);
}

/** Whether a dense [rows, cols] float32 matrix fits one storage binding (else only CSR can run it). */
export const fitsDenseBinding = (be: Backend, rows: number, cols: number): boolean =>
  rows * cols * 4 <= be.gpu.adapter.limits.maxStorageBufferBindingSize;

export const csrMs = (c: LayerCosts, nnz: number): number => c.csrFixedMs + c.csrMsPerNnz * nnz;

/** The faster of CSR and dense for a layer with `nnz` nonzeros, by the measured cost line. */
export function fasterKernel(c: LayerCosts, nnz: number): 'csr' | 'dense' {
  return c.denseMs === null || csrMs(c, nnz) < c.denseMs ? 'csr' : 'dense';
}

/** Density below which CSR wins (1 when it always does, 0 when it never does). */
export function crossoverDensity(c: LayerCosts): number {
  if (c.denseMs === null) return 1;
  const d = (c.denseMs - c.csrFixedMs) / (c.csrMsPerNnz * c.rows * c.cols);
  return Math.min(1, Math.max(0, d));
}

/**
 * Where the line puts CSR within this factor of dense, the layer's own matrix is timed instead:
 * the probes spread their nonzeros at random, while magnitude pruning leaves fewer input columns
 * in use, and the trained CNN's fc1 ran 1.5x faster than a random matrix with the same nnz
 * (docs/sparse-lavapipe.md), enough to flip the choice near the crossover.
 */
export const TIME_OWN_MATRIX_WITHIN = 2;

/** Whether the line's CSR time for `nnz` is within TIME_OWN_MATRIX_WITHIN of dense (so the matrix itself is timed). */
export function closeCall(c: LayerCosts, nnz: number): boolean {
  if (c.denseMs === null) return false;
  const predicted = csrMs(c, nnz);
  return predicted * TIME_OWN_MATRIX_WITHIN >= c.denseMs && predicted <= c.denseMs * TIME_OWN_MATRIX_WITHIN;
}

/**
 * A layer's kernel and what it was chosen on: the density below which CSR wins for this shape,
 * and the times compared (csrTimed: CSR timed on the layer's own matrix, else predicted by the line).
 */
export interface KernelChoice {
  kernel: 'csr' | 'dense';
  csrBelowDensity: number;
  denseMs: number | null;
  csrMs: number;
  csrTimed: boolean;
}

/**
 * CSR or dense for this pruned matrix at `batch` columns: by the cost line (measured on this
 * adapter for the shape, or given), settled by timing the matrix itself when close.
 */
export async function chooseCsrOrDense(
  be: Backend,
  a: CsrHost,
  batch: number,
  what: string,
  given?: LayerCosts,
): Promise<KernelChoice> {
  const costs = given ?? (await layerCosts(be, a.rows, a.cols, batch));
  const predicted = csrMs(costs, a.colIdx.length);
  const { denseMs } = costs;
  const csrBelowDensity = crossoverDensity(costs);
  if (denseMs === null || !closeCall(costs, a.colIdx.length))
    return {
      kernel: fasterKernel(costs, a.colIdx.length),
      csrBelowDensity,
      denseMs,
      csrMs: predicted,
      csrTimed: false,
    };
  const sparse = new SparseMatrix(a, what, be);
  const x = probeInput(be, a.cols, batch);
  const timed = await timeRun(
    be,
    () =>
      tidy(() => {
        spmm(sparse, x);
      }),
    3,
  );
  sparse.dispose();
  x.dispose();
  return { kernel: timed < denseMs ? 'csr' : 'dense', csrBelowDensity, denseMs, csrMs: timed, csrTimed: true };
}

/** The x the timings use, filled on the GPU (values do not change the time; the shape and the matrix's pattern do). */
const probeInput = (be: Backend, cols: number, batch: number): Tensor => Tensor.full([cols, batch], 0.5, false, be);

/** A seeded random CSR matrix with every row at `density` (random values and columns). */
function randomCsr(rows: number, cols: number, density: number, seed: number): CsrHost {
  const perRow = Math.max(1, Math.round(density * cols));
  const random = seededRandom(seed);
  const rowPtr = Uint32Array.from({ length: rows + 1 }, (_, r) => r * perRow);
  const colIdx = new Uint32Array(rows * perRow),
    values = new Float32Array(rows * perRow);
  const stride = cols / perRow;
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < perRow; j++) {
      colIdx[r * perRow + j] = Math.min(cols - 1, Math.floor((j + random()) * stride)); // sorted, spread like pruned weights
      values[r * perRow + j] = random() - 0.5;
    }
  return { rows, cols, rowPtr, colIdx, values };
}

/**
 * Costs of a [rows, cols] layer at `batch` columns, measured once per shape and backend: the
 * crossover between CSR and the dense matmul is the adapter's (49–92% pruned on lavapipe at batch 250,
 * docs/sparse-lavapipe.md; far lower or higher on a GPU), so it is measured rather than assumed.
 */
export async function layerCosts(
  be: Backend,
  rows: number,
  cols: number,
  batch: number,
  reps = 3,
): Promise<LayerCosts> {
  const key = `layerCosts:${rows}x${cols}x${batch}`;
  const known = be.memo.get(key) as LayerCosts | undefined;
  if (known) return known;
  // A layer too big to run dense has nothing to choose (and its CSR probes would not fit either).
  if (!fitsDenseBinding(be, rows, cols))
    throw new ConfigError(
      `layerCosts: a dense [${rows}, ${cols}] matrix does not fit one storage binding; such a layer runs as CSR`,
    );
  // A slice of at most PROBE_MAX_BYTES of rows, its times scaled up to the whole layer.
  const probeRows = Math.max(1, Math.min(rows, Math.floor(PROBE_MAX_BYTES / (4 * cols))));
  const scaleUp = rows / probeRows;
  const x = probeInput(be, cols, batch);
  const w = Tensor.full([probeRows, cols], 0.01, false, be); // values do not change a dense product's time
  const denseMs =
    scaleUp *
    (await timeRun(
      be,
      () =>
        tidy(() => {
          matmul(w, x);
        }),
      reps,
    ));
  w.dispose();
  const points: [number, number][] = [];
  for (const [i, d] of PROBE_DENSITIES.entries()) {
    const a = new SparseMatrix(randomCsr(probeRows, cols, d, 17 + i), `probe ${probeRows}×${cols}`, be);
    points.push([
      scaleUp * a.a.host.colIdx.length,
      scaleUp *
        (await timeRun(
          be,
          () =>
            tidy(() => {
              spmm(a, x);
            }),
          reps,
        )),
    ]);
    a.dispose();
  }
  x.dispose();
  const [[n0, t0], [n1, t1]] = points;
  const csrMsPerNnz = Math.max(1e-12, (t1 - t0) / (n1 - n0));
  const costs = { rows, cols, batch, denseMs, csrFixedMs: Math.max(0, t0 - csrMsPerNnz * n0), csrMsPerNnz };
  be.memo.set(key, costs);
  return costs;
}
