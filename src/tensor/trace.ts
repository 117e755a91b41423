/**
 * What a graph tracer listens to while a model runs once: every tensor made, and every op
 * that says what it computed (its name, inputs and settings). Ops report themselves through
 * `traceOp`; an op that does not is refused by the tracer when its output is used.
 */
export interface TraceListener<T = object> {
  created(t: T): void;
  op(out: T, inputs: T[], op: string, attrs: Record<string, unknown>): void;
}

// Tensors are `object` here so this file needs no import of tensor.ts (which imports it).

let listener: TraceListener | null = null;

/** Runs fn with `l` listening (one trace at a time). */
export function withTraceListener<T, R>(l: TraceListener<T>, fn: () => R): R {
  if (listener) throw new Error('trace: a trace is already running');
  listener = l as TraceListener;
  try {
    return fn();
  } finally {
    listener = null;
  }
}

/** Whether a trace is running (fused fast paths then take their op-by-op route). */
export const tracing = (): boolean => listener !== null;

/** Called by ops on their output: what it is and what it came from. */
export function traceOp(out: object, inputs: object[], op: string, attrs: Record<string, unknown> = {}): void {
  listener?.op(out, inputs, op, attrs);
}

/** Called by the Tensor constructor. */
export function traceCreated(t: object): void {
  listener?.created(t);
}
