import { Tensor, tidy } from '../tensor/tensor.js';
import { linear, dropout } from '../ops/composite.js';
import { add, relu } from '../ops/elementwise.js';
import { conv2d, convOutputSide, paddingOf, type Padding } from '../ops/conv2d.js';
import { matmul } from '../ops/matmul.js';
import { maxPool2d, avgPool2d, pooledSize } from '../ops/pool2d.js';
import { ConfigError, ShapeError, fmtShape } from '../util/errors.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';
import { Module, type ForwardOptions, type ParamSource } from './module.js';
import type { LayerSpec } from './layer-spec.js';
import { z } from 'zod';

/** A layer's settings as JSON (a model config's `layers`); see moduleFromJson. */
export type ModuleJson = (
  | { type: 'Linear'; out: number; in?: number }
  | { type: 'Conv2d'; out: number; kernel: number; padding?: Padding; stride?: number; in?: number }
  | { type: 'MaxPool2d' | 'AvgPool2d'; kernel: number; stride?: number; padding?: number }
  | { type: 'Flatten' }
  | { type: 'ReLU' }
  | { type: 'Dropout'; p: number; stream?: number }
  | { type: 'Sequential'; layers: ModuleJson[] }
) & { name?: string };

/** What a model passes to its layers: the forward options and dropout's stream. */
export type LayerContext = ForwardOptions;

/**
 * A layer of a model config: a module that says what shape it makes of a per-example input
 * shape, and builds its parameters for that shape. Until it is built (in a Sequential with an
 * input shape, or by Module.init's dry run) it has none.
 */
export abstract class Layer extends Module {
  /** Its name in the parent's state dict (default: its index there). */
  name?: string;
  /** Set by init(): where parameters come from when the first forward pass shows the input shape. */
  private pending: { source: ParamSource; prefix: string } | null = null;

  abstract outputShape(input: number[]): number[];
  /** Its settings as JSON (without the name). */
  abstract settings(): ModuleJson;

  toJson(): ModuleJson {
    return { ...this.settings(), ...(this.name && { name: this.name }) };
  }

  /** Creates its parameters for a per-example `input` shape, named `prefix` + local name. Layers without parameters have nothing to do. */
  build(_input: number[], _source: ParamSource, _prefix: string): void {}

  get built(): boolean {
    return true;
  }

  protected override prepare(source: ParamSource, prefix: string): void {
    if (!this.built) this.pending = { source, prefix };
    super.prepare(source, prefix);
  }
  protected override finishPrepare(): void {
    this.pending = null;
    super.finishPrepare();
  }

  /** Builds from the shape of the first batch it sees, where init() asked for that. */
  protected ensureBuilt(x: Tensor): void {
    if (this.built) return;
    if (!this.pending)
      throw new ShapeError(
        `${this.describeSelf()}: its parameters are not made yet: put it in a Sequential with an input shape, or call model.init({ input }) first`,
      );
    this.build(x.shape.slice(1), this.pending.source, this.pending.prefix);
  }

  override describeSelf(): string {
    const { type, name, ...rest } = this.toJson() as Record<string, unknown>;
    void name;
    const args = Object.values(rest).map((v) => JSON.stringify(v));
    return `${type}(${args.join(', ')})`;
  }
}

export class Linear extends Layer {
  readonly type = 'Linear';
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  constructor(
    readonly out: number,
    /** Input features where known up front (a model not built from an input shape). */
    readonly inFeatures?: number,
  ) {
    super();
    if (!Number.isInteger(out) || out < 1) throw new ConfigError(`Linear: ${out} outputs must be a whole number ≥ 1`);
  }
  outputShape(input: number[]): number[] {
    if (input.length !== 1)
      throw new ShapeError(
        `Linear(${this.out}): expects a flat input, got ${fmtShape(input)} (put a Flatten before it)`,
      );
    if (this.inFeatures !== undefined && input[0] !== this.inFeatures)
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.out}): given ${input[0]} input features`);
    return [this.out];
  }
  get built(): boolean {
    return this.weight !== null;
  }
  build(input: number[], source: ParamSource, prefix: string): void {
    this.outputShape(input);
    const [inF] = input;
    this.weight = this.registerParameter('weight', source(`${prefix}weight`, [this.out, inF], inF));
    this.bias = this.registerParameter('bias', source(`${prefix}bias`, [this.out], inF));
  }
  forward(x: Tensor): Tensor {
    this.ensureBuilt(x);
    return linear(x, this.weight!, this.bias!);
  }
  /** What activation pruning and decoupling need to know of it, given one example's input shape. */
  spec(name: string, input: number[]): LayerSpec {
    return { kind: 'linear', name, inDim: input[0], outDim: this.out };
  }
  /** x·Wᵀ without the bias (which a fused epilogue adds). */
  product(x: Tensor): Tensor {
    this.ensureBuilt(x);
    return matmul(x, this.weight!, { transB: true });
  }
  settings(): ModuleJson {
    return { type: 'Linear', out: this.out, ...(this.inFeatures !== undefined && { in: this.inFeatures }) };
  }
}

export class Conv2d extends Layer {
  readonly type = 'Conv2d';
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  constructor(
    readonly out: number,
    readonly kernel: number,
    readonly padding: Padding = 'valid',
    readonly stride = 1,
    readonly inChannels?: number,
  ) {
    super();
    if (!Number.isInteger(out) || out < 1) throw new ConfigError(`Conv2d: ${out} channels must be a whole number ≥ 1`);
    if (!Number.isInteger(stride) || stride < 1)
      throw new ConfigError(`Conv2d: stride ${stride} must be a whole number >= 1`);
    try {
      paddingOf(padding, kernel, kernel, stride, 'Conv2d');
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  /** Zero rows and columns on each side. */
  get pad(): number {
    return paddingOf(this.padding, this.kernel, this.kernel, this.stride, 'Conv2d');
  }
  outputShape(input: number[]): number[] {
    if (input.length !== 3)
      throw new ShapeError(
        `Conv2d(${this.out}, ${this.kernel}): expects [channels, height, width], got ${fmtShape(input)}`,
      );
    const [c, h, w] = input;
    if (this.inChannels !== undefined && c !== this.inChannels)
      throw new ShapeError(`Conv2d(${this.out}, ${this.kernel}): given ${c} channels, built for ${this.inChannels}`);
    const P = this.pad;
    if (h + 2 * P < this.kernel || w + 2 * P < this.kernel)
      throw new ShapeError(`Conv2d: kernel ${this.kernel} is larger than the ${h}x${w} input padded by ${P}`);
    return [this.out, convOutputSide(h, this.kernel, P, this.stride), convOutputSide(w, this.kernel, P, this.stride)];
  }
  get built(): boolean {
    return this.weight !== null;
  }
  build(input: number[], source: ParamSource, prefix: string): void {
    this.outputShape(input);
    const c = input[0],
      fanIn = c * this.kernel * this.kernel;
    this.weight = this.registerParameter(
      'weight',
      source(`${prefix}weight`, [this.out, c, this.kernel, this.kernel], fanIn),
    );
    this.bias = this.registerParameter('bias', source(`${prefix}bias`, [this.out], fanIn));
  }
  forward(x: Tensor): Tensor {
    return add(this.product(x), this.bias!.reshape([this.out, 1, 1]));
  }
  /** What activation pruning and decoupling need to know of it, given one example's input shape. */
  spec(name: string, input: number[]): LayerSpec {
    return {
      kind: 'conv',
      name,
      inChannels: input[0],
      outChannels: this.out,
      kernel: this.kernel,
      height: input[1],
      width: input[2],
      padding: this.pad,
      stride: this.stride,
    };
  }
  /** The correlation without the bias (which a fused epilogue adds). */
  product(x: Tensor): Tensor {
    this.ensureBuilt(x);
    return conv2d(x, this.weight!, this.padding, this.stride);
  }
  settings(): ModuleJson {
    return {
      type: 'Conv2d',
      out: this.out,
      kernel: this.kernel,
      padding: this.padding,
      ...(this.stride !== 1 && { stride: this.stride }),
      ...(this.inChannels !== undefined && { in: this.inChannels }),
    };
  }
}

export class Pool2d extends Layer {
  constructor(
    readonly type: 'MaxPool2d' | 'AvgPool2d',
    readonly kernel: number,
    readonly stride = kernel,
    readonly padding = 0,
  ) {
    super();
  }
  outputShape(input: number[]): number[] {
    if (input.length !== 3)
      throw new ShapeError(`${this.type}: expects [channels, height, width], got ${fmtShape(input)}`);
    const [c, h, w] = input;
    const oh = pooledSize(h, this.kernel, this.stride, this.padding),
      ow = pooledSize(w, this.kernel, this.stride, this.padding);
    if (oh < 1 || ow < 1)
      throw new ShapeError(`${this.type}: a ${this.kernel}x${this.kernel} window does not fit the ${h}x${w} input`);
    return [c, oh, ow];
  }
  forward(x: Tensor): Tensor {
    return (this.type === 'MaxPool2d' ? maxPool2d : avgPool2d)(x, {
      kernel: this.kernel,
      stride: this.stride,
      padding: this.padding,
    });
  }
  settings(): ModuleJson {
    return { type: this.type, kernel: this.kernel, stride: this.stride, padding: this.padding };
  }
}

export class Flatten extends Layer {
  readonly type = 'Flatten';
  outputShape(input: number[]): number[] {
    return [input.reduce((a, b) => a * b, 1)];
  }
  forward(x: Tensor): Tensor {
    return x.reshape([x.shape[0], x.size / x.shape[0]]);
  }
  settings(): ModuleJson {
    return { type: 'Flatten' };
  }
}

export class ReLU extends Layer {
  readonly type = 'ReLU';
  outputShape(input: number[]): number[] {
    return input;
  }
  forward(x: Tensor): Tensor {
    return relu(x);
  }
  settings(): ModuleJson {
    return { type: 'ReLU' };
  }
}

/** Inverted dropout with PyTorch's drop probability p: each value is zeroed with probability p, the rest scaled by 1/(1−p). */
export class Dropout extends Layer {
  readonly type = 'Dropout';
  constructor(
    readonly p: number,
    /** Its mask stream where the model fixes it (the study's nets: their layer index); default its position. */
    readonly stream?: number,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new ConfigError(`Dropout: p ${p} must be in [0, 1)`);
  }
  /** The keep probability the kernel takes. */
  get keep(): number {
    return 1 - this.p;
  }
  outputShape(input: number[]): number[] {
    return input;
  }
  /** Masks depend on (seed, step, stream): a resumed run draws the same ones. */
  forward(x: Tensor, ctx: LayerContext = {}): Tensor {
    const train = ctx.train ?? this.training;
    return train && this.p > 0
      ? dropout(x, this.keep, ctx.dropoutSeed ?? 0, (ctx.step ?? 0) * 64 + (this.stream ?? ctx.stream ?? 0))
      : x;
  }
  settings(): ModuleJson {
    return { type: 'Dropout', p: this.p, ...(this.stream !== undefined && { stream: this.stream }) };
  }
}

/** Runs a model once on zeros of shape [1, ...input], so lazily built layers make their parameters. */
export function dryRun(model: Module, input: number[], backend: Backend = defaultBackend()): void {
  tidy(() => {
    model.forward(Tensor.zeros([1, ...input], false, backend), { train: false });
  });
}

/**
 * The layer types a model config can name: each type's keys (a zod shape, from which the
 * config's schema is made) beside the constructor that reads them. One table: a layer type,
 * built in or a user's, is one entry (Sequential, which nests, is added by the schema).
 */
export interface LayerType {
  keys: Record<string, z.ZodType>;
  make(json: Record<string, unknown>): Layer;
}

const size = z.number().int().min(1);
const pixels = z.number().int().min(0);
const padding = z.union([z.literal('same'), z.literal('valid'), pixels]);
type Json<T extends ModuleJson['type']> = Extract<ModuleJson, { type: T }>;
const pool = (type: 'MaxPool2d' | 'AvgPool2d'): LayerType => ({
  keys: { kernel: size, stride: size.optional(), padding: pixels.optional() },
  make: (j) => {
    const { kernel, stride, padding } = j as Json<typeof type>;
    return new Pool2d(type, kernel, stride, padding);
  },
});

/**
 * The built-in layer types a model config can name: each type's keys (zod; the config's schema
 * is made from them) beside the constructor that reads them. A new layer is its class above and
 * its entry here; layer-types.ts keeps the table, to which users add their own.
 */
export const builtInLayerTypes = (): Record<string, LayerType> => ({
  Linear: {
    keys: { out: size, in: size.optional() },
    make: (j) => new Linear((j as Json<'Linear'>).out, (j as Json<'Linear'>).in),
  },
  Conv2d: {
    keys: { out: size, kernel: size, padding: padding.optional(), stride: size.optional(), in: size.optional() },
    make: (j) => {
      const c = j as Json<'Conv2d'>;
      return new Conv2d(c.out, c.kernel, c.padding, c.stride, c.in);
    },
  },
  MaxPool2d: pool('MaxPool2d'),
  AvgPool2d: pool('AvgPool2d'),
  Flatten: { keys: {}, make: () => new Flatten() },
  ReLU: { keys: {}, make: () => new ReLU() },
  Dropout: {
    keys: { p: z.number().min(0).lt(1), stream: pixels.optional() },
    make: (j) => new Dropout((j as Json<'Dropout'>).p, (j as Json<'Dropout'>).stream),
  },
});
