import { ShapeError, fmtShape } from '../util/errors.js';
import { Tensor } from './tensor.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';

/** A CSR matrix on the host: row r's nonzeros are cols/values[rowPtr[r] .. rowPtr[r+1]). */
export interface CsrHost {
  rows: number;
  cols: number;
  rowPtr: Uint32Array;
  colIdx: Uint32Array;
  values: Float32Array;
}

/** CSR of a dense row-major [rows, cols] matrix, keeping the nonzero entries. */
export function csrFromDense(dense: Float32Array, rows: number, cols: number): CsrHost {
  if (dense.length !== rows * cols) throw new ShapeError(`csrFromDense: ${dense.length} values for [${rows},${cols}]`);
  const rowPtr = new Uint32Array(rows + 1);
  let nnz = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) nnz++;
  const colIdx = new Uint32Array(nnz),
    values = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = dense[r * cols + c];
      if (v !== 0) {
        colIdx[k] = c;
        values[k] = v;
        k++;
      }
    }
    rowPtr[r + 1] = k;
  }
  return { rows, cols, rowPtr, colIdx, values };
}

/** Aᵀ in CSR (a counting sort by column), so the transposed product is the same kernel. */
export function transposeCsr(a: CsrHost): CsrHost {
  const rowPtr = new Uint32Array(a.cols + 1);
  for (const c of a.colIdx) rowPtr[c + 1]++;
  for (let c = 0; c < a.cols; c++) rowPtr[c + 1] += rowPtr[c];
  const next = rowPtr.slice(0, a.cols);
  const colIdx = new Uint32Array(a.colIdx.length),
    values = new Float32Array(a.colIdx.length);
  for (let r = 0; r < a.rows; r++)
    for (let k = a.rowPtr[r]; k < a.rowPtr[r + 1]; k++) {
      const at = next[a.colIdx[k]]++;
      colIdx[at] = r;
      values[at] = a.values[k];
    }
  return { rows: a.cols, cols: a.rows, rowPtr, colIdx, values };
}

/** Checks the invariants a kernel relies on, naming the first broken one. */
export function validateCsr(a: CsrHost, what = 'csr'): void {
  const bad = (m: string): never => {
    throw new ShapeError(`${what}: ${m}`);
  };
  if (a.rowPtr.length !== a.rows + 1) bad(`rowPtr has ${a.rowPtr.length} entries for ${a.rows} rows`);
  if (a.rowPtr[0] !== 0 || a.rowPtr[a.rows] !== a.colIdx.length)
    bad(`rowPtr runs ${a.rowPtr[0]}..${a.rowPtr[a.rows]}, expected 0..${a.colIdx.length}`);
  if (a.values.length !== a.colIdx.length) bad(`${a.values.length} values for ${a.colIdx.length} column indices`);
  for (let r = 0; r < a.rows; r++) if (a.rowPtr[r + 1] < a.rowPtr[r]) bad(`rowPtr decreases at row ${r}`);
  for (let k = 0; k < a.colIdx.length; k++)
    if (a.colIdx[k] >= a.cols) bad(`column index ${a.colIdx[k]} at nonzero ${k} is outside ${a.cols} columns`);
}

/** One CSR matrix on the GPU. */
export class CsrGpu {
  readonly rowPtr: GPUBuffer;
  readonly colIdx: GPUBuffer;
  readonly values: Tensor;
  constructor(
    readonly host: CsrHost,
    readonly backend: Backend,
  ) {
    const be = backend;
    this.rowPtr = be.pool.uploadU32(host.rowPtr);
    this.colIdx = be.pool.uploadU32(host.colIdx.length ? host.colIdx : new Uint32Array(1));
    this.values = Tensor.fromArray(
      host.values.length ? host.values : new Float32Array(1),
      [Math.max(host.values.length, 1)],
      false,
      be,
    ).keep();
  }
  get nnz(): number {
    return this.host.colIdx.length;
  }
  private rowOrder: GPUBuffer | null = null;
  /** Row indices, longest rows first (ties by index): the staged kernel's row swizzle. Built on first use. */
  get order(): GPUBuffer {
    if (!this.rowOrder) {
      const { rowPtr, rows } = this.host;
      const len = (r: number) => rowPtr[r + 1] - rowPtr[r];
      const rowsByLength = Uint32Array.from({ length: rows }, (_, r) => r).sort((a, b) => len(b) - len(a) || a - b);
      this.rowOrder = this.backend.pool.uploadU32(rows ? rowsByLength : new Uint32Array(1));
    }
    return this.rowOrder;
  }
  dispose(): void {
    const { pool } = this.backend;
    pool.release(this.rowPtr);
    pool.release(this.colIdx);
    if (this.rowOrder) pool.release(this.rowOrder);
    this.values.dispose();
  }
}

/**
 * A sparse matrix A [rows, cols] with its transpose, both on the GPU: A·x runs A, the input
 * gradient Aᵀ·g runs the transpose with the same kernel (no atomics, no scatter).
 */
export class SparseMatrix {
  readonly a: CsrGpu;
  private t: CsrGpu | null = null;
  constructor(
    host: CsrHost,
    what = 'sparse matrix',
    readonly backend: Backend = defaultBackend(),
  ) {
    validateCsr(host, what);
    this.a = new CsrGpu(host, backend);
  }
  static fromDense(dense: Float32Array, rows: number, cols: number, backend?: Backend): SparseMatrix {
    return new SparseMatrix(csrFromDense(dense, rows, cols), 'sparse matrix', backend);
  }
  get rows(): number {
    return this.a.host.rows;
  }
  get cols(): number {
    return this.a.host.cols;
  }
  get nnz(): number {
    return this.a.nnz;
  }
  get shape(): string {
    return fmtShape([this.rows, this.cols]);
  }
  /** Built on first use (only gradients need it). */
  get transposed(): CsrGpu {
    return (this.t ??= new CsrGpu(transposeCsr(this.a.host), this.backend));
  }
  dispose(): void {
    this.a.dispose();
    this.t?.dispose();
  }
}
