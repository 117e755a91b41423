import { ShapeError, fmtShape } from '../util/errors.js';

export type Shape = readonly number[];

export const numel = (shape: Shape): number => shape.reduce((p, d) => p * d, 1);

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** numpy broadcasting of two shapes; throws naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (dim ${i}: ${da} vs ${db})`,
      );
    out.push(Math.max(da, db));
  }
  return out;
}

export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export function checkShape(what: string, shape: Shape): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ShapeError(`${what}: bad shape ${fmtShape(shape)}`);
}
