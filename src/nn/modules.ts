import { Tensor } from '../tensor/tensor.js';
import { linear, dropout } from '../ops/composite.js';
import { add, relu } from '../ops/elementwise.js';
import { conv2d, convOutputSide, paddingOf, type Padding } from '../ops/conv2d.js';
import { matmul } from '../ops/matmul.js';
import { biasReluDropout } from '../ops/bias_relu_dropout.js';
import { maxPool2d, avgPool2d, pooledSize } from '../ops/pool2d.js';
import { ConfigError, DataError, ShapeError, fmtShape } from '../gpu/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { seededRandom } from './random.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';
import type { ForwardOptions, LayerSpec, Param } from './net.js';
import { deepFreeze } from '../util/freeze.js';

/**
 * Layers in the spirit of torch.nn: a module maps a batch to a batch, owns named parameters
 * and says what shape it makes of a per-example input shape. Sequential names parameters as
 * torch.nn.Sequential's state_dict does ("0.weight", "3.bias"), so a safetensors file of one
 * loads into a torch.nn.Sequential of the same layers; a module given a name ("fc1") is named
 * by it instead, as in a Sequential built from an OrderedDict.
 */
export interface Module {
  readonly type: string;
  /** Its name in the state dict (default: its index). */
  name?: string;
  forward(x: Tensor, ctx: ForwardOptions & { stream: number }): Tensor;
  /** Per-example output shape for a per-example input shape (checks that it fits). */
  outputShape(input: number[]): number[];
  /** Parameters with local names ("weight", "bias"), shapes for `input`, PyTorch's default init from `random`. */
  makeParams(input: number[], random: () => number, backend: Backend): Param[];
  /** This layer's settings as JSON (see moduleFromJson). */
  toJson(): ModuleJson;
}

export type ModuleJson = (
  | { type: 'Linear'; out: number }
  | { type: 'Conv2d'; out: number; kernel: number; padding?: Padding; stride?: number }
  | { type: 'MaxPool2d' | 'AvgPool2d'; kernel: number; stride?: number; padding?: number }
  | { type: 'Flatten' }
  | { type: 'ReLU' }
  | { type: 'Dropout'; p: number }
) & { name?: string };

/** A module's JSON with its name, if it has one. */
const jsonOf = (m: Module): ModuleJson => ({ ...m.toJson(), ...(m.name && { name: m.name }) });

/** U(±1/√fan_in): torch.nn's default for Linear and Conv2d weights and biases. */
const uniform = (n: number, fanIn: number, random: () => number) => {
  const bound = 1 / Math.sqrt(fanIn);
  return Float32Array.from({ length: n }, () => (2 * random() - 1) * bound);
};

class Linear implements Module {
  readonly type = 'Linear';
  w: Tensor | null = null;
  b: Tensor | null = null;
  constructor(readonly out: number) {}
  outputShape(input: number[]): number[] {
    if (input.length !== 1)
      throw new ShapeError(
        `Linear(${this.out}): expects a flat input, got ${fmtShape(input)} (put a Flatten before it)`,
      );
    return [this.out];
  }
  makeParams(input: number[], random: () => number, backend: Backend): Param[] {
    const [inF] = input;
    return [
      {
        name: 'weight',
        tensor: Tensor.fromArray(uniform(this.out * inF, inF, random), [this.out, inF], true, backend).keep(),
      },
      { name: 'bias', tensor: Tensor.fromArray(uniform(this.out, inF, random), [this.out], true, backend).keep() },
    ];
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.w!, this.b!);
  }
  /** x·Wᵀ without the bias (which a fused epilogue adds). */
  product(x: Tensor): Tensor {
    return matmul(x, this.w!, { transB: true });
  }
  toJson(): ModuleJson {
    return { type: 'Linear', out: this.out };
  }
}

class Conv2d implements Module {
  readonly type = 'Conv2d';
  w: Tensor | null = null;
  b: Tensor | null = null;
  constructor(
    readonly out: number,
    readonly kernel: number,
    readonly padding: Padding = 'valid',
    readonly stride = 1,
  ) {
    if (!Number.isInteger(stride) || stride < 1)
      throw new ConfigError(`Conv2d: stride ${stride} must be a whole number >= 1`);
    try {
      paddingOf(padding, kernel, kernel, stride, 'Conv2d');
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  outputShape(input: number[]): number[] {
    if (input.length !== 3)
      throw new ShapeError(
        `Conv2d(${this.out}, ${this.kernel}): expects [channels, height, width], got ${fmtShape(input)}`,
      );
    const [, h, w] = input;
    const P = paddingOf(this.padding, this.kernel, this.kernel, this.stride, 'Conv2d');
    if (h + 2 * P < this.kernel || w + 2 * P < this.kernel)
      throw new ShapeError(`Conv2d: kernel ${this.kernel} is larger than the ${h}x${w} input padded by ${P}`);
    return [this.out, convOutputSide(h, this.kernel, P, this.stride), convOutputSide(w, this.kernel, P, this.stride)];
  }
  makeParams(input: number[], random: () => number, backend: Backend): Param[] {
    const c = input[0],
      fanIn = c * this.kernel * this.kernel;
    return [
      {
        name: 'weight',
        tensor: Tensor.fromArray(
          uniform(this.out * fanIn, fanIn, random),
          [this.out, c, this.kernel, this.kernel],
          true,
          backend,
        ).keep(),
      },
      { name: 'bias', tensor: Tensor.fromArray(uniform(this.out, fanIn, random), [this.out], true, backend).keep() },
    ];
  }
  forward(x: Tensor): Tensor {
    return add(this.product(x), this.b!.reshape([this.out, 1, 1]));
  }
  /** The correlation without the bias (which a fused epilogue adds). */
  product(x: Tensor): Tensor {
    return conv2d(x, this.w!, this.padding, this.stride);
  }
  toJson(): ModuleJson {
    return {
      type: 'Conv2d',
      out: this.out,
      kernel: this.kernel,
      padding: this.padding,
      ...(this.stride !== 1 && { stride: this.stride }),
    };
  }
}

class Pool2d implements Module {
  constructor(
    readonly type: 'MaxPool2d' | 'AvgPool2d',
    readonly kernel: number,
    readonly stride = kernel,
    readonly padding = 0,
  ) {}
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
  makeParams(): Param[] {
    return [];
  }
  forward(x: Tensor): Tensor {
    return (this.type === 'MaxPool2d' ? maxPool2d : avgPool2d)(x, {
      kernel: this.kernel,
      stride: this.stride,
      padding: this.padding,
    });
  }
  toJson(): ModuleJson {
    return { type: this.type, kernel: this.kernel, stride: this.stride, padding: this.padding };
  }
}

class Flatten implements Module {
  readonly type = 'Flatten';
  outputShape(input: number[]): number[] {
    return [input.reduce((a, b) => a * b, 1)];
  }
  makeParams(): Param[] {
    return [];
  }
  forward(x: Tensor): Tensor {
    return x.reshape([x.shape[0], x.size / x.shape[0]]);
  }
  toJson(): ModuleJson {
    return { type: 'Flatten' };
  }
}

class ReLU implements Module {
  readonly type = 'ReLU';
  outputShape(input: number[]): number[] {
    return input;
  }
  makeParams(): Param[] {
    return [];
  }
  forward(x: Tensor): Tensor {
    return relu(x);
  }
  toJson(): ModuleJson {
    return { type: 'ReLU' };
  }
}

class Dropout implements Module {
  readonly type = 'Dropout';
  constructor(readonly p: number) {
    if (!(p >= 0 && p < 1)) throw new ConfigError(`Dropout: p ${p} must be in [0, 1)`);
  }
  outputShape(input: number[]): number[] {
    return input;
  }
  makeParams(): Param[] {
    return [];
  }
  /** Masks depend on (seed, step, layer): a resumed run draws the same ones. */
  forward(x: Tensor, ctx: ForwardOptions & { stream: number }): Tensor {
    return ctx.train ? dropout(x, 1 - this.p, ctx.dropoutSeed ?? 0, (ctx.step ?? 0) * 64 + ctx.stream) : x;
  }
  toJson(): ModuleJson {
    return { type: 'Dropout', p: this.p };
  }
}

/** A module from its JSON settings (the layers of a model config). */
export function moduleFromJson(j: ModuleJson): Module {
  const m = moduleOfType(j);
  if (j.name !== undefined) {
    if (!/^[A-Za-z_]\w*$/.test(j.name))
      throw new ConfigError(`${j.type} name "${j.name}": use letters, digits and _ (it prefixes parameter names)`);
    m.name = j.name;
  }
  return m;
}

function moduleOfType(j: ModuleJson): Module {
  switch (j.type) {
    case 'Linear':
      return new Linear(j.out);
    case 'Conv2d':
      return new Conv2d(j.out, j.kernel, j.padding, j.stride);
    case 'MaxPool2d':
    case 'AvgPool2d':
      return new Pool2d(j.type, j.kernel, j.stride, j.padding);
    case 'Flatten':
      return new Flatten();
    case 'ReLU':
      return new ReLU();
    case 'Dropout':
      return new Dropout(j.p);
    default:
      throw new ConfigError(
        `unknown layer type "${(j as { type: string }).type}": use Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, ReLU, Dropout`,
      );
  }
}

/** Layer constructors for code: nn.Linear(128), nn.Conv2d(16, 5, 'same'), … */
export const nn = deepFreeze({
  Linear: (out: number) => new Linear(out),
  Conv2d: (out: number, kernel: number, padding: Padding = 'valid', stride = 1) =>
    new Conv2d(out, kernel, padding, stride),
  MaxPool2d: (kernel: number, stride?: number, padding = 0) =>
    new Pool2d('MaxPool2d', kernel, stride ?? kernel, padding),
  AvgPool2d: (kernel: number, stride?: number, padding = 0) =>
    new Pool2d('AvgPool2d', kernel, stride ?? kernel, padding),
  Flatten: () => new Flatten(),
  ReLU: () => new ReLU(),
  Dropout: (p: number) => new Dropout(p),
  /** The module, named in the state dict (its parameters become name.weight, name.bias). */
  named: <M extends Module>(name: string, m: M): M => moduleFromJson({ ...jsonOf(m), name }) as M,
});

/**
 * Layers in order on inputs of a per-example shape (e.g. [1, 28, 28]); a flat batch [n, pixels]
 * is reshaped to it. Parameters are created on construction from `seed`.
 */
export class Sequential {
  readonly params: Param[];
  readonly shapes: number[][];

  constructor(
    readonly inputShape: number[],
    readonly modules: Module[],
    seed = 1,
    params?: Param[],
    /** The backend its parameters live on. */
    readonly backend: Backend = params?.[0]?.tensor.backend ?? defaultBackend(),
  ) {
    const random = seededRandom(seed);
    this.shapes = [inputShape];
    const made: Param[] = [];
    modules.forEach((m, i) => {
      const input = this.shapes[i];
      const out = m.outputShape(input);
      for (const p of params ? [] : m.makeParams(input, random, backend))
        made.push({ name: `${this.prefix(i)}.${p.name}`, tensor: p.tensor });
      this.shapes.push(out);
    });
    this.params = params ?? made;
    this.bind();
  }

  /** A model config: { input: [c, h, w], layers: [{ type: 'Conv2d', … }, …] }. */
  static fromJson(j: { input: number[]; layers: ModuleJson[] }, seed = 1, backend?: Backend): Sequential {
    if (!Array.isArray(j?.input) || !Array.isArray(j?.layers))
      throw new ConfigError(
        'model config: needs "input" (per-example shape, e.g. [1, 28, 28]) and "layers" (a list of {type, …})',
      );
    return new Sequential(j.input, j.layers.map(moduleFromJson), seed, undefined, backend);
  }

  toJson(): { input: number[]; layers: ModuleJson[] } {
    return { input: this.inputShape, layers: this.modules.map(jsonOf) };
  }

  /** Module i's prefix in parameter names: its name, else its index (torch.nn.Sequential's). */
  prefix(i: number): string {
    return this.modules[i].name ?? `${i}`;
  }

  /** The same layers with other parameter tensors (loaded, or pruned copies), checked by name and shape. */
  withParams(params: Param[]): Sequential {
    const s = Object.create(Sequential.prototype) as Sequential;
    Object.assign(s, {
      inputShape: this.inputShape,
      modules: this.modules.map((m) => moduleFromJson(jsonOf(m))),
      shapes: this.shapes,
      params,
      backend: params[0]?.tensor.backend ?? this.backend,
    });
    const want = this.params.map((p) => `${p.name}${fmtShape(p.tensor.shape)}`).join(' ');
    const have = params.map((p) => `${p.name}${fmtShape(p.tensor.shape)}`).join(' ');
    if (want !== have) throw new ShapeError(`model parameters ${have} do not match the layers, which need ${want}`);
    s.bind();
    return s;
  }

  /** Same biases and layers, other weight matrices (e.g. pruned copies), in `weights` order. */
  withWeights(weights: Tensor[]): Sequential {
    let w = 0;
    return this.withParams(
      this.params.map((p) => (p.name.endsWith('.weight') ? { name: p.name, tensor: weights[w++] } : p)),
    );
  }

  private bind(): void {
    const byName = new Map(this.params.map((p) => [p.name, p.tensor]));
    this.modules.forEach((m, i) => {
      if (m instanceof Linear || m instanceof Conv2d) {
        m.w = byName.get(`${this.prefix(i)}.weight`)!;
        m.b = byName.get(`${this.prefix(i)}.bias`)!;
      }
    });
  }

  get weights(): Tensor[] {
    return this.params.filter((p) => p.name.endsWith('.weight')).map((p) => p.tensor);
  }
  get classes(): number {
    return this.shapes[this.shapes.length - 1].reduce((a, b) => a * b, 1);
  }

  /**
   * The weight layers (Linear, Conv2d) in order, named by their module index, each with the
   * shape of its input: what activation-based pruning and decoupling need to know.
   */
  get layers(): LayerSpec[] {
    const out: LayerSpec[] = [];
    this.modules.forEach((m, i) => {
      const input = this.shapes[i];
      if (m instanceof Linear) out.push({ kind: 'linear', name: this.prefix(i), inDim: input[0], outDim: m.out });
      else if (m instanceof Conv2d)
        out.push({
          kind: 'conv',
          name: this.prefix(i),
          inChannels: input[0],
          outChannels: m.out,
          kernel: m.kernel,
          height: input[1],
          width: input[2],
          padding: paddingOf(m.padding, m.kernel, m.kernel, m.stride, 'Conv2d'),
          stride: m.stride,
        });
    });
    return out;
  }

  forward(x: Tensor, opts: ForwardOptions): Tensor {
    return this.forwardTrace(x, opts).output;
  }

  /** The output and every weight layer's input (what activation-based pruning measures). */
  forwardTrace(x: Tensor, opts: ForwardOptions): { output: Tensor; layerInputs: Tensor[] } {
    const n = x.shape[0];
    const per = this.inputShape.reduce((a, b) => a * b, 1);
    if (x.size !== n * per)
      throw new ShapeError(`model input: ${fmtShape(x.shape)} is not a batch of ${fmtShape(this.inputShape)}`);
    let h = x.shape.length === this.inputShape.length + 1 ? x : x.reshape([n, ...this.inputShape]);
    const layerInputs: Tensor[] = [];
    const mods = this.modules;
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i];
      if (m instanceof Linear || m instanceof Conv2d) {
        layerInputs.push(h);
        // Linear/Conv2d → ReLU (→ Dropout): bias, ReLU and dropout in one kernel, the same bits
        // as the modules one by one (the dropout mask keeps its stream, the Dropout's index).
        if (mods[i + 1] instanceof ReLU) {
          const d = mods[i + 2] instanceof Dropout ? (mods[i + 2] as Dropout) : null;
          const drop =
            d && opts.train
              ? { keep: 1 - d.p, seed: opts.dropoutSeed ?? 0, stream: (opts.step ?? 0) * 64 + i + 2 }
              : undefined;
          h = biasReluDropout(m.product(h), m.b!, drop);
          i += d ? 2 : 1;
          continue;
        }
      }
      h = m.forward(h, { ...opts, stream: i });
    }
    return { output: h, layerInputs };
  }

  describe(): string {
    return this.modules.map((m, i) => `${m.type}${fmtShape(this.shapes[i + 1])}`).join(' → ');
  }

  dispose(): void {
    for (const p of this.params) p.tensor.dispose();
  }
}

/** safetensors of a Sequential: torch.nn.Sequential's state_dict names, the layers in __metadata__. */
export async function sequentialToSafetensors(
  model: Sequential,
  extra: Record<string, string> = {},
): Promise<Uint8Array> {
  const arrays = await Promise.all(
    model.params.map(async (p) => ({ name: p.name, shape: [...p.tensor.shape], data: await p.tensor.read() })),
  );
  return encodeSafetensors(arrays, { format: 'pt', sparsegrad_model: JSON.stringify(model.toJson()), ...extra });
}

/** A Sequential from its safetensors (layers from the metadata, or `layers` given), checked by name and shape. */
export function sequentialFromSafetensors(
  bytes: Uint8Array,
  file: string,
  layers?: { input: number[]; layers: ModuleJson[] },
  backend: Backend = defaultBackend(),
): Sequential {
  const { arrays, metadata } = decodeSafetensors(bytes, file);
  return sequentialFromArrays(arrays, metadata, file, layers, backend);
}

/** The same, from decoded tensors and metadata. */
export function sequentialFromArrays(
  arrays: { name: string; shape: number[]; data: Float32Array }[],
  metadata: Record<string, string>,
  file: string,
  layers?: { input: number[]; layers: ModuleJson[] },
  backend: Backend = defaultBackend(),
): Sequential {
  const spec = layers ?? (metadata.sparsegrad_model ? JSON.parse(metadata.sparsegrad_model) : null);
  if (!spec)
    throw new DataError(
      `${file}: no sparsegrad_model in its metadata: give the model config (the layers) it was saved from`,
    );
  const shell = Sequential.fromJson(spec, 0, backend);
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const params = shell.params.map((p) => {
    const a = byName.get(p.name);
    if (!a) throw new DataError(`${file}: missing ${p.name} for ${shell.describe()}`);
    if (a.shape.join() !== p.tensor.shape.join())
      throw new DataError(`${file}: ${p.name} is ${fmtShape(a.shape)}, the layers need ${fmtShape(p.tensor.shape)}`);
    return { name: p.name, tensor: Tensor.fromArray(a.data, [...a.shape], true, backend).keep() };
  });
  const model = shell.withParams(params);
  shell.dispose();
  return model;
}
