import { Tensor } from '../tensor/tensor.js';
import { tracing } from '../tensor/trace.js';
import { isHooked } from './hooks.js';
import { biasReluDropout } from '../ops/bias_relu_dropout.js';
import type { Padding } from '../ops/conv2d.js';
import { ConfigError, DataError, ShapeError, fmtShape } from '../util/errors.js';
import { checkFinite, decodeSafetensors, metadataJson } from '../io/safetensors.js';
import { encodeCheckpoint, paramArrays } from '../io/checkpoint.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';
import type { LayerSpec, Param } from './layer-spec.js';
import { deepFreeze } from '../util/freeze.js';
import { seededInit, type ParamSource } from './module.js';
import { parseLayerJson, parseModelJson } from './model-schema.js';
import { layerTypes } from './layer-types.js';
import { Conv2d, Dropout, Flatten, Layer, Linear, Pool2d, ReLU, type LayerContext, type ModuleJson } from './layers.js';

export type { ModuleJson } from './layers.js';

/** A model config: one example's shape and the layers, in order. */
export interface ModelJson {
  input: number[];
  layers: ModuleJson[];
}

/**
 * A layer from its JSON settings (the layers of a model config), checked against the model
 * config's schema (src/nn/model-schema.ts): an unknown type or key, a missing one, or a value of
 * the wrong kind (a zero-width layer, a fractional kernel) is refused, naming its path in the
 * config (`layers[3].out`).
 */
export function moduleFromJson(j: ModuleJson, path = 'layer'): Layer {
  const v = parseLayerJson(j, path);
  const m =
    v.type === 'Sequential'
      ? new Sequential(v.layers.map((l, i) => moduleFromJson(l, `${path}.layers[${i}]`)))
      : layerOfType(v);
  if (v.name !== undefined) m.name = v.name;
  return m;
}

function layerOfType(j: ModuleJson): Layer {
  const type = layerTypes().types.get(j.type);
  if (!type) throw new ConfigError(`unknown layer type "${j.type}"`); // the schema refused it already
  return type.make(j as Record<string, unknown>);
}

/** Layer constructors for code: nn.Linear(128), nn.Conv2d(16, 5, 'same'), nn.Sequential(…), … */
export const nn = deepFreeze({
  /** `out` features; the input size comes from the input shape, or give it: nn.Linear(10, { in: 64 }). */
  Linear: (out: number, opts: { in?: number } = {}) => new Linear(out, opts.in),
  Conv2d: (out: number, kernel: number, padding: Padding = 'valid', stride = 1, opts: { in?: number } = {}) =>
    new Conv2d(out, kernel, padding, stride, opts.in),
  MaxPool2d: (kernel: number, stride?: number, padding = 0) =>
    new Pool2d('MaxPool2d', kernel, stride ?? kernel, padding),
  AvgPool2d: (kernel: number, stride?: number, padding = 0) =>
    new Pool2d('AvgPool2d', kernel, stride ?? kernel, padding),
  Flatten: () => new Flatten(),
  ReLU: () => new ReLU(),
  /** Drop probability p, as torch.nn.Dropout. */
  Dropout: (p: number) => new Dropout(p),
  /** Layers in order, to nest inside another model (its parameters are named <index or name>.…). */
  Sequential: (...layers: Layer[]) => new Sequential(layers),
  /** The layer, named in the state dict (its parameters become name.weight, name.bias). */
  named: <M extends Layer>(name: string, m: M): M => moduleFromJson({ ...m.toJson(), name }) as M,
});

const joinName = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

/** Parameters taken by name from a list (a checkpoint, pruned copies), each checked against the shape the layer needs. */
function sourceFrom(params: Param[], what: string): ParamSource {
  const byName = new Map(params.map((p) => [p.name, p.tensor]));
  return (name, shape) => {
    const t = byName.get(name);
    if (!t) throw new ShapeError(`${what}: no ${name} (the layers need ${fmtShape(shape)})`);
    if (t.shape.join() !== shape.join())
      throw new ShapeError(`${what}: ${name} is ${fmtShape(t.shape)}, the layers need ${fmtShape(shape)}`);
    return t;
  };
}

/**
 * Layers in order, as torch.nn.Sequential: parameters are named by each layer's index or name
 * ("0.weight", "fc1.bias", "body.2.weight" when nested), so its state dict loads into a
 * torch.nn.Sequential of the same layers. Made with an input shape (one example, e.g.
 * [1, 28, 28]) it builds its parameters at once from `seed` (a flat batch [n, pixels] is
 * reshaped to it); made from layers alone (nn.Sequential(…)) it is built by the model it is
 * part of.
 */
export class Sequential extends Layer {
  readonly type = 'Sequential';
  readonly modules: Layer[];
  /** One example's shape, where this is a model of its own. */
  readonly inputShape: number[] | null = null;
  /** shapes[i]: module i's per-example input; the last, the output. Known once built. */
  shapes: number[][] = [];

  constructor(layers: Layer[]);
  constructor(inputShape: number[], layers: Layer[], opts?: { seed?: number; backend?: Backend });
  constructor(inputShape: number[], layers: Layer[], seed?: number, params?: Param[] | ParamSource, backend?: Backend);
  constructor(
    a: number[] | Layer[],
    b?: Layer[],
    seedOrOpts: number | { seed?: number; backend?: Backend } = 1,
    params?: Param[] | ParamSource,
    backendArg?: Backend,
  ) {
    super();
    const opts = typeof seedOrOpts === 'object' ? seedOrOpts : { seed: seedOrOpts, backend: backendArg };
    const seed = opts.seed ?? 1;
    const backend = opts.backend;
    const root = b !== undefined;
    this.modules = root ? b : (a as Layer[]);
    this.modules.forEach((m, i) => {
      if (!(m instanceof Layer)) throw new ConfigError(`Sequential: item ${i} is not a layer`);
      this.registerModule(m.name ?? `${i}`, m);
    });
    if (!root) return;
    this.inputShape = [...(a as number[])];
    const list = Array.isArray(params) ? params : undefined;
    const be = backend ?? list?.[0]?.tensor.backend ?? defaultBackend();
    this.home = be;
    const source = typeof params === 'function' ? params : list ? sourceFrom(list, 'model parameters') : null;
    this.build(this.inputShape, source ?? seededInit(seed, be), '');
    if (list && list.length !== this.params.length)
      throw new ShapeError(
        `model parameters: ${list.length} given, the layers have ${this.params.length} (${this.params.map((p) => p.name).join(', ')})`,
      );
  }

  /** A model config: { input: [c, h, w], layers: [{ type: 'Conv2d', … }, …] }. */
  static fromJson(j: ModelJson, seed = 1, backend?: Backend): Sequential {
    const spec = parseModelJson(j);
    return new Sequential(
      spec.input,
      spec.layers.map((l, i) => moduleFromJson(l, `layers[${i}]`)),
      seed,
      undefined,
      backend,
    );
  }

  /** This model's config (what fromJson takes): its input shape and layers. */
  modelJson(): ModelJson {
    if (!this.inputShape) throw new ConfigError('Sequential: a nested one has no input shape of its own');
    return { input: this.inputShape, layers: this.modules.map((m) => m.toJson()) };
  }

  settings(): ModuleJson {
    return { type: 'Sequential', layers: this.modules.map((m) => m.toJson()) };
  }

  outputShape(input: number[]): number[] {
    return this.modules.reduce((shape, m) => m.outputShape(shape), input);
  }

  get built(): boolean {
    return this.shapes.length > 0 && this.modules.every((m) => m.built);
  }

  build(input: number[], source: ParamSource, prefix: string): void {
    this.shapes = [input];
    this.modules.forEach((m, i) => {
      const out = m.outputShape(this.shapes[i]);
      if (!m.built) m.build(this.shapes[i], source, `${prefix}${m.name ?? `${i}`}.`);
      this.shapes.push(out);
    });
  }

  /** Module i's prefix in parameter names: its name, else its index (torch.nn.Sequential's). */
  prefix(i: number): string {
    return this.modules[i].name ?? `${i}`;
  }

  /** Every parameter with its name, in order. */
  get params(): Param[] {
    return this.namedParameters().map(([name, tensor]) => ({ name, tensor }));
  }

  /** The same layers with other parameter tensors (loaded, or pruned copies), checked by name and shape. */
  withParams(params: Param[]): Sequential {
    const want = this.params.map((p) => `${p.name}${fmtShape(p.tensor.shape)}`).join(' ');
    const have = params.map((p) => `${p.name}${fmtShape(p.tensor.shape)}`).join(' ');
    if (want !== have) throw new ShapeError(`model parameters ${have} do not match the layers, which need ${want}`);
    const json = this.modelJson();
    return new Sequential(
      json.input,
      json.layers.map((l, i) => moduleFromJson(l, `layers[${i}]`)),
      0,
      params,
      params[0]?.tensor.backend,
    );
  }

  /** Same biases and layers, other weight matrices (e.g. pruned copies), in `weights` order. */
  withWeights(weights: Tensor[]): Sequential {
    let w = 0;
    return this.withParams(
      this.params.map((p) => (p.name.endsWith('.weight') ? { name: p.name, tensor: weights[w++] } : p)),
    );
  }

  get weights(): Tensor[] {
    return this.params.filter((p) => p.name.endsWith('.weight')).map((p) => p.tensor);
  }
  get classes(): number {
    return this.shapes[this.shapes.length - 1].reduce((a, b) => a * b, 1);
  }

  /** Every leaf layer in order (nested Sequentials opened), with its per-example input shape and dotted name. */
  leaves(prefix = ''): { module: Layer; input: number[]; name: string }[] {
    return this.modules.flatMap((m, i) => {
      const name = joinName(prefix, this.prefix(i));
      return m instanceof Sequential ? m.leaves(name) : [{ module: m, input: this.shapes[i], name }];
    });
  }

  /**
   * The weight layers (Linear, Conv2d) in order, named by their dotted module path, each with
   * the shape of its input: what activation-based pruning and decoupling need to know.
   */
  get layers(): LayerSpec[] {
    return this.leaves().flatMap(({ module: m, input, name }) =>
      m instanceof Linear || m instanceof Conv2d ? [m.spec(name, input)] : [],
    );
  }

  forward(x: Tensor, opts: LayerContext = {}): Tensor {
    return this.forwardTrace(x, opts).output;
  }

  /** The output and every weight layer's input (what activation-based pruning measures). */
  forwardTrace(x: Tensor, opts: LayerContext = {}): { output: Tensor; layerInputs: Tensor[] } {
    let h = x;
    if (this.inputShape) {
      const n = x.shape[0];
      const per = this.inputShape.reduce((a, b) => a * b, 1);
      if (x.size !== n * per)
        throw new ShapeError(`model input: ${fmtShape(x.shape)} is not a batch of ${fmtShape(this.inputShape)}`);
      if (x.shape.length !== this.inputShape.length + 1) h = x.reshape([n, ...this.inputShape]);
    } else this.ensureBuilt(x);
    const layerInputs: Tensor[] = [];
    const output = this.run(h, { ...opts, train: opts.train ?? this.training }, layerInputs, { leaf: 0 });
    return { output, layerInputs };
  }

  /**
   * The layers in order; Linear/Conv2d → ReLU (→ Dropout) run as one kernel (bias, ReLU and
   * dropout), the same bits as the modules one by one. A dropout mask's stream is its leaf
   * position in the whole model (or the stream it was given).
   */
  private run(h: Tensor, opts: LayerContext, layerInputs: Tensor[], counter: { leaf: number }): Tensor {
    const mods = this.modules;
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i];
      if (m instanceof Sequential) {
        h = m.run(h, opts, layerInputs, counter);
        continue;
      }
      const at = counter.leaf;
      // Traces and hooks see the layers one by one (the fused kernel computes the same bits).
      const fuse = !tracing() && !isHooked(m) && !isHooked(mods[i + 1]) && !(mods[i + 2] && isHooked(mods[i + 2]));
      if ((m instanceof Linear || m instanceof Conv2d) && mods[i + 1] instanceof ReLU && fuse) {
        layerInputs.push(h);
        const d = mods[i + 2] instanceof Dropout ? (mods[i + 2] as Dropout) : null;
        const drop =
          d && opts.train
            ? { keep: d.keep, seed: opts.dropoutSeed ?? 0, stream: (opts.step ?? 0) * 64 + (d.stream ?? at + 2) }
            : undefined;
        const product = m.product(h);
        h = biasReluDropout(product, m.bias!, drop);
        i += d ? 2 : 1;
        counter.leaf += d ? 3 : 2;
        continue;
      }
      if (m instanceof Linear || m instanceof Conv2d) layerInputs.push(h);
      h = m.forward(h, { ...opts, stream: at });
      counter.leaf++;
    }
    return h;
  }

  /** Each leaf layer with its output shape (one example) and parameter count, then the total. */
  override summary(): string {
    const rows = [
      ['layer', 'module', 'output', 'parameters'],
      ...this.leaves().map(({ module: m, input, name }) => [
        name,
        m.describeSelf(),
        fmtShape(m.outputShape(input)),
        m.numParameters().toLocaleString('en-US'),
      ]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const lines = rows.map((r) => r.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  '));
    return `${lines.join('\n')}\n${this.numParameters().toLocaleString('en-US')} parameters`;
  }

  /** "Linear[1500] → ReLU[1500] → …": each leaf layer with its per-example output shape. */
  describe(): string {
    return this.modules
      .flatMap((m, i) =>
        m instanceof Sequential ? [m.describe()] : [`${m.type}${fmtShape(this.shapes[i + 1] ?? [])}`],
      )
      .join(' → ');
  }
}

/** safetensors of a Sequential: torch.nn.Sequential's state_dict names, the layers in __metadata__. */
export async function sequentialToSafetensors(
  model: Sequential,
  extra: Record<string, string> = {},
): Promise<Uint8Array> {
  return encodeCheckpoint(await paramArrays(model.params), undefined, 'zeros', {
    sparsegrad_model: JSON.stringify(model.modelJson()),
    ...extra,
  });
}

/** A Sequential from its safetensors (layers from the metadata, or `layers` given), checked by name and shape. */
export function sequentialFromSafetensors(
  bytes: Uint8Array,
  file: string,
  layers?: ModelJson,
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
  layers?: ModelJson,
  backend: Backend = defaultBackend(),
): Sequential {
  const spec = (layers ??
    (metadata.sparsegrad_model ? metadataJson(metadata, 'sparsegrad_model', file) : null)) as ModelJson | null;
  if (!spec)
    throw new DataError(
      `${file}: no sparsegrad_model in its metadata: give the model config (the layers) it was saved from`,
    );
  if (!Array.isArray(spec?.input) || !Array.isArray(spec?.layers))
    throw new ConfigError(`${file}: model config needs "input" (per-example shape) and "layers" (a list of {type, …})`);
  checkFinite(arrays, file);
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const made: Tensor[] = [];
  const source: ParamSource = (name, shape) => {
    const a = byName.get(name);
    if (!a) throw new DataError(`${file}: missing ${name} for the layers ${JSON.stringify(spec.layers)}`);
    if (a.shape.join() !== shape.join())
      throw new DataError(`${file}: ${name} is ${fmtShape(a.shape)}, the layers need ${fmtShape(shape)}`);
    const t = Tensor.fromArray(a.data, [...a.shape], true, backend).keep();
    made.push(t);
    return t;
  };
  try {
    return new Sequential(
      spec.input,
      spec.layers.map((l, i) => moduleFromJson(l, `layers[${i}]`)),
      0,
      source,
      backend,
    );
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}
