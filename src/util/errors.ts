/** Every error sparsegrad throws on purpose is one of these; the message names place, shapes and values. */
export class SparsegradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class ShapeError extends SparsegradError {}
export class ShaderError extends SparsegradError {}
export class DeviceError extends SparsegradError {}
export class DataError extends SparsegradError {}
export class ConfigError extends SparsegradError {}
/** Training produced a non-finite loss or weights: the run stops, its last finite checkpoint kept. */
export class DivergenceError extends SparsegradError {}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
