import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';
import { bindingLimit } from '../gpu/device.js';
import { fillBuffer } from '../gpu/fill.js';
import { encodeAccumulate } from '../gpu/accumulate.js';
import { DeviceError, ShapeError, SparsegradError, fmtShape } from '../util/errors.js';
import { type Shape, checkShape, numel } from './shape.js';
import { traceCreated, traceOp } from './trace.js';

type BackwardFn = (grad: Tensor) => void;

/**
 * Every tensor is bound whole as a storage buffer, so it must fit the adapter's binding
 * limit: checked when it is created, with its name and sizes, not when a kernel fails.
 */
function checkFits(backend: Backend, op: string, shape: Shape): void {
  const bytes = numel(shape) * 4;
  const limit = bindingLimit(backend.gpu);
  if (bytes > limit) {
    const { maxStorageBufferBindingSize, maxBufferSize } = backend.gpu.adapter.limits;
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    throw new ShapeError(
      `${op}: a tensor of shape ${fmtShape(shape)} needs ${mb(bytes)} (${bytes} bytes); this adapter binds at most ${mb(limit)} per storage buffer (maxStorageBufferBindingSize ${maxStorageBufferBindingSize}, maxBufferSize ${maxBufferSize})`,
    );
  }
}

/** A float32 array on the GPU, with the graph edges reverse-mode autograd needs. */
export class Tensor {
  readonly size: number;
  grad: Tensor | null = null;
  /** Set by ops on their output: sends the output's gradient to the inputs. */
  backwardFn: BackwardFn | null = null;
  parents: Tensor[] = [];
  private _buffer: GPUBuffer | null;
  private kept = false;

  /** Where a tensor may be made: a backend, or by default the one initGpu() opened. */
  constructor(
    readonly backend: Backend,
    readonly shape: Shape,
    buffer: GPUBuffer,
    public requiresGrad = false,
    readonly op = 'leaf',
    /** A view shares its base's buffer and never returns it to the pool. */
    readonly viewOf: Tensor | null = null,
  ) {
    this.size = numel(shape);
    this._buffer = buffer;
    if (!viewOf) backend.track(this, buffer, this.size * 4);
    scopes[scopes.length - 1]?.push(this);
    traceCreated(this);
  }

  get buffer(): GPUBuffer {
    if (!this._buffer) throw new SparsegradError(`use of a disposed tensor (${this.op} ${fmtShape(this.shape)})`);
    return this._buffer;
  }
  get byteSize(): number {
    return this.size * 4;
  }
  get disposed(): boolean {
    return this._buffer === null;
  }

  /** An uninitialised (or, where the backend poisons, NaN-filled) output of `op` on `backend`. */
  static empty(backend: Backend, shape: Shape, op = 'empty'): Tensor {
    checkShape(op, shape);
    checkFits(backend, op, shape);
    const t = new Tensor(backend, shape, backend.pool.acquire(numel(shape) * 4), false, op);
    if (backend.poison) fillBuffer(backend, t.buffer, t.size, NaN);
    return t;
  }

  static fromArray(
    data: ArrayLike<number>,
    shape: Shape,
    requiresGrad = false,
    backend: Backend = defaultBackend(),
  ): Tensor {
    checkShape('fromArray', shape);
    checkFits(backend, 'fromArray', shape);
    if (data.length !== numel(shape))
      throw new ShapeError(`fromArray: ${data.length} values for shape ${fmtShape(shape)} (${numel(shape)} needed)`);
    const t = new Tensor(backend, shape, backend.pool.acquire(data.length * 4), requiresGrad);
    t.write(data instanceof Float32Array ? data : Float32Array.from(data));
    return t;
  }

  /**
   * A tensor from nested arrays, its shape read from the nesting ([[1, 2], [3, 4]] is [2, 2]);
   * ragged nesting or a non-number is refused, naming where.
   */
  static from(data: NestedNumbers, requiresGrad = false, backend: Backend = defaultBackend()): Tensor {
    const shape: number[] = [];
    for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
    const flat = new Float32Array(numel(shape));
    let k = 0;
    const walk = (v: unknown, depth: number, at: string): void => {
      if (depth === shape.length) {
        if (typeof v !== 'number')
          throw new ShapeError(`Tensor.from: ${at || 'the value'} is ${JSON.stringify(v)}, not a number`);
        flat[k++] = v;
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth])
        throw new ShapeError(
          `Tensor.from: ${at || 'the value'} has ${Array.isArray(v) ? v.length : 'no'} items where [${shape.join(', ')}] needs ${shape[depth]} (ragged nesting)`,
        );
      v.forEach((x, i) => walk(x, depth + 1, `${at}[${i}]`));
    };
    walk(data, 0, '');
    return Tensor.fromArray(flat, shape, requiresGrad, backend);
  }

  static full(shape: Shape, value: number, requiresGrad = false, backend: Backend = defaultBackend()): Tensor {
    checkShape('full', shape);
    checkFits(backend, 'full', shape);
    const t = new Tensor(backend, shape, backend.pool.acquire(numel(shape) * 4), requiresGrad, 'full');
    fillBuffer(backend, t.buffer, t.size, value);
    return t;
  }
  static zeros(shape: Shape, requiresGrad = false, backend: Backend = defaultBackend()): Tensor {
    return Tensor.full(shape, 0, requiresGrad, backend);
  }

  /** Overwrites the contents; earlier encoded work is submitted first so it still sees the old data. */
  write(data: Float32Array): void {
    if (data.length !== this.size) throw new ShapeError(`write: ${data.length} values into ${fmtShape(this.shape)}`);
    this.backend.runner.flush();
    this.backend.device.queue.writeBuffer(this.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  async read(): Promise<Float32Array> {
    return new Float32Array(await this.backend.runner.read(this.buffer, this.byteSize));
  }

  /** Same buffer, new shape: no copy. Gradients flow back reshaped. */
  reshape(shape: Shape): Tensor {
    const n = numel(shape);
    if (n !== this.size)
      throw new ShapeError(`reshape: ${fmtShape(this.shape)} (${this.size}) to ${fmtShape(shape)} (${n})`);
    const view = new Tensor(this.backend, shape, this.buffer, false, 'reshape', this);
    traceOp(view, [this], 'reshape', { shape: [...shape] });
    if (this.requiresGrad) {
      view.requiresGrad = true;
      view.parents = [this];
      view.backwardFn = (g) => accumulateGrad(this, g.reshape(this.shape));
    }
    return view;
  }

  /** The same values as a constant: shares the buffer, takes no gradient (torch's detach). */
  detach(): Tensor {
    const t = new Tensor(this.backend, this.shape, this.buffer, false, 'detach', this);
    traceOp(t, [this], 'detach');
    return t;
  }

  /** Excluded from the enclosing tidy(): parameters, optimiser state, results. */
  keep(): this {
    this.kept = true;
    return this;
  }

  dispose(): void {
    if (!this._buffer) return;
    if (!this.viewOf) {
      this.backend.untrack(this.size * 4, this);
      this.backend.pool.release(this._buffer);
    }
    this._buffer = null;
    this.grad = null;
    this.backwardFn = null;
    this.parents = [];
  }

  get isKept(): boolean {
    return this.kept;
  }

  /** What it is, without reading it back: "Tensor[2,3] (matmul, requires grad)". */
  toString(): string {
    const notes = [this.op, ...(this.requiresGrad ? ['requires grad'] : []), ...(this.disposed ? ['disposed'] : [])];
    return `Tensor${fmtShape(this.shape)} (${notes.join(', ')})`;
  }

  /** Its values as text, nested by its shape (at most `maxItems` per row, the rest elided), read back from the GPU. */
  async toText(maxItems = 8): Promise<string> {
    const values = await this.read();
    const fmt = (x: number) => (Number.isInteger(x) ? `${x}` : x.toPrecision(4));
    const render = (offset: number, depth: number): string => {
      if (depth === this.shape.length) return fmt(values[offset]);
      const n = this.shape[depth];
      const stride = numel(this.shape.slice(depth + 1));
      const shown = Array.from({ length: Math.min(n, maxItems) }, (_, i) => render(offset + i * stride, depth + 1));
      if (n > maxItems) shown.push(`… ${n - maxItems} more`);
      return `[${shown.join(depth === this.shape.length - 1 ? ', ' : ',\n')}]`;
    };
    return `${render(0, 0)}\n${this.toString()}`;
  }

  /** Prints toText() to the console. */
  async print(maxItems = 8): Promise<void> {
    console.log(await this.toText(maxItems));
  }
}

/** Numbers nested in arrays, any depth (Tensor.from reads the shape from the nesting). */
export type NestedNumbers = number | readonly NestedNumbers[];

/**
 * The backend all of an op's inputs live on; inputs from two backends are refused, naming the
 * op and both adapters' devices (a buffer of one device cannot be bound on another).
 */
export function backendOf(op: string, ...inputs: Tensor[]): Backend {
  const b = inputs[0].backend;
  for (const t of inputs)
    if (t.backend !== b)
      throw new DeviceError(
        `${op}: inputs live on two different backends (${fmtShape(inputs[0].shape)} and ${fmtShape(t.shape)}); make both on one backend (Tensor.fromArray(data, shape, false, backend), or the model's backend: model.backend)`,
      );
  return b;
}

// ---- memory scopes
// A property of the call stack, not of a device: one tidy() collects tensors of every backend. -------------------------------------------------------------------------
const scopes: Tensor[][] = [];

/**
 * Runs fn and disposes every tensor it created except those it returns and those kept.
 * A training step inside tidy() returns all its buffers to the pool.
 */
export function tidy<T>(fn: () => T): T {
  scopes.push([]);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    endScope(new Set());
    throw e;
  }
  endScope(collectTensors(result));
  return result;
}

/** tidy() for async bodies (a readback inside); one async flow at a time. */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  scopes.push([]);
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    endScope(new Set());
    throw e;
  }
  endScope(collectTensors(result));
  return result;
}

function collectTensors(x: unknown, out = new Set<Tensor>()): Set<Tensor> {
  if (x instanceof Tensor) {
    out.add(x);
    if (x.viewOf) collectTensors(x.viewOf, out);
  } else if (Array.isArray(x)) x.forEach((v) => collectTensors(v, out));
  else if (x && typeof x === 'object' && !ArrayBuffer.isView(x))
    Object.values(x).forEach((v) => collectTensors(v, out));
  return out;
}

function endScope(keep: Set<Tensor>): void {
  const mine = scopes.pop()!;
  const parent = scopes[scopes.length - 1];
  const keptBases = new Set<Tensor>();
  for (const t of mine)
    if (keep.has(t) || t.isKept) {
      let b: Tensor | null = t;
      while (b) {
        keptBases.add(b);
        b = b.viewOf;
      }
    }
  for (const t of mine) {
    if (keptBases.has(t)) {
      if (!t.isKept) parent?.push(t);
      continue;
    }
    t.dispose();
  }
}

// ---- autograd ------------------------------------------------------------------------------
/** Adds g into t.grad (gradients accumulate, as in micrograd). */
export function accumulateGrad(t: Tensor, g: Tensor): void {
  if (!t.requiresGrad) return;
  if (g.size !== t.size)
    throw new ShapeError(`gradient ${fmtShape(g.shape)} does not match tensor ${fmtShape(t.shape)} (${t.op})`);
  if (!t.grad) {
    t.grad = g;
    return;
  }
  const sum = Tensor.empty(t.backend, t.grad.shape, 'gradSum');
  encodeAccumulate(t.backend, t.grad.buffer, g.buffer, sum.buffer, sum.size);
  t.grad = sum;
}

/** Reverse-mode sweep from a scalar (or from `seed`, a gradient of the same shape). */
export function backward(root: Tensor, seed?: Tensor): void {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const visit = (t: Tensor): void => {
    if (seen.has(t) || !t.requiresGrad) return;
    seen.add(t);
    for (const p of t.parents) visit(p);
    order.push(t);
  };
  visit(root);
  if (!root.requiresGrad)
    throw new SparsegradError(`backward: ${root.op} ${fmtShape(root.shape)} does not require a gradient`);
  if (!seed && root.size !== 1)
    throw new ShapeError(`backward: root ${fmtShape(root.shape)} is not a scalar; pass a seed gradient`);
  root.grad = seed ?? Tensor.full(root.shape, 1, false, root.backend);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    if (t.backwardFn && t.grad) t.backwardFn(t.grad);
  }
}
