import type { Backend } from '../gpu/backend.js';
import { DataError, ShapeError, SparsegradError, fmtShape } from '../util/errors.js';
import { Tensor, tidy } from '../tensor/tensor.js';
import { numel } from '../tensor/shape.js';
import { defaultBackend } from '../gpu/default-backend.js';
import { seededRandom } from './random.js';

/** What a forward pass needs beyond the input: dropout's seed and step (training only). */
export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation). Defaults to the module's training mode. */
  train?: boolean;
  dropoutSeed?: number;
  step?: number;
  /** A dropout mask's stream (set by the model running it: the layer's position). */
  stream?: number;
}

/** A tensor's values on the host, as a state dict read from a file holds them. */
export interface HostTensor {
  shape: readonly number[];
  data: Float32Array;
}

/**
 * How a layer gets its parameters when it is built: PyTorch's default init from a seeded
 * stream, or tensors given by name (a checkpoint, pruned copies).
 */
export type ParamSource = (name: string, shape: number[], fanIn: number) => Tensor;

/** PyTorch's default init: U(±1/√fan_in) for Linear and Conv2d weights and biases, drawn in build order. */
export function seededInit(seed: number, backend: Backend): ParamSource {
  const random = seededRandom(seed);
  return (_name, shape, fanIn) => {
    const bound = 1 / Math.sqrt(fanIn);
    const values = Float32Array.from({ length: numel(shape) }, () => (2 * random() - 1) * bound);
    return Tensor.fromArray(values, shape, true, backend).keep();
  };
}

/**
 * The base of every layer and model, as torch.nn.Module: a module owns named parameters and
 * buffers, holds submodules, and says how it maps a batch to a batch. Names nest with dots
 * ("body.0.weight"), in the order things were registered, as PyTorch's state_dict.
 */
export abstract class Module {
  /** Its type in a model config (Linear, Conv2d, Sequential, …) or the class name. */
  abstract readonly type: string;
  /** Training mode: dropout is on unless a forward pass says otherwise. */
  training = true;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly childModules = new Map<string, Module>();
  /** The backend a model was made for, before (or without) any parameter of its own. */
  protected home: Backend | null = null;

  abstract forward(x: Tensor, opts?: ForwardOptions): Tensor;

  /** Adds (or replaces) a parameter of this module: trained, saved, given to optimizers. */
  protected registerParameter(name: string, tensor: Tensor): Tensor {
    checkName(name);
    this.ownParams.set(name, tensor);
    return tensor;
  }

  /** Adds a tensor that is saved with the module but not trained. */
  protected registerBuffer(name: string, tensor: Tensor): Tensor {
    checkName(name);
    this.ownBuffers.set(name, tensor);
    return tensor;
  }

  /** Adds a submodule under `name` (torch's add_module); its parameters are named name.…. */
  registerModule<M extends Module>(name: string, module: M): M {
    checkName(name);
    if (!(module instanceof Module)) throw new SparsegradError(`registerModule ${name}: not a Module`);
    this.childModules.set(name, module);
    return module;
  }

  namedChildren(): [string, Module][] {
    return [...this.childModules];
  }
  children(): Module[] {
    return [...this.childModules.values()];
  }

  /** This module and every module below it, with its dotted name ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    return [[prefix, this], ...this.namedChildren().flatMap(([name, m]) => m.namedModules(join(prefix, name)))];
  }

  /** Every parameter with its dotted name: this module's own first, then each submodule's in order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    return [
      ...[...this.ownParams].map(([name, t]): [string, Tensor] => [join(prefix, name), t]),
      ...this.namedChildren().flatMap(([name, m]) => m.namedParameters(join(prefix, name))),
    ];
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    return [
      ...[...this.ownBuffers].map(([name, t]): [string, Tensor] => [join(prefix, name), t]),
      ...this.namedChildren().flatMap(([name, m]) => m.namedBuffers(join(prefix, name))),
    ];
  }

  /** Parameters and buffers by name: what a checkpoint holds (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's tensors by name (the tensors stay the same objects, so an
   * optimizer made before keeps working). Shapes must match. With `strict` (the default) every
   * key of the module must be given and no other key may be: the error names them all.
   */
  loadStateDict(
    state: Map<string, Tensor | HostTensor> | Record<string, Tensor | HostTensor>,
    { strict = true }: { strict?: boolean } = {},
  ): { missing: string[]; unexpected: string[] } {
    const given = state instanceof Map ? state : new Map(Object.entries(state));
    const mine = this.stateDict();
    const missing = [...mine.keys()].filter((k) => !given.has(k));
    const unexpected = [...given.keys()].filter((k) => !mine.has(k));
    if (strict && (missing.length || unexpected.length))
      throw new DataError(
        `loadStateDict: ${[
          missing.length ? `missing keys ${missing.map((k) => `"${k}"`).join(', ')}` : '',
          unexpected.length ? `unexpected keys ${unexpected.map((k) => `"${k}"`).join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ')} (the module has ${[...mine.keys()].join(', ') || 'no tensors'})`,
      );
    const pending: [Tensor, Tensor | HostTensor][] = [];
    for (const [name, target] of mine) {
      const v = given.get(name);
      if (!v) continue;
      if (v.shape.join() !== target.shape.join())
        throw new ShapeError(
          `loadStateDict: "${name}" is ${fmtShape(v.shape)} in the state dict, ${fmtShape(target.shape)} in the module`,
        );
      pending.push([target, v]);
    }
    for (const [target, v] of pending) {
      if (v instanceof Tensor) target.backend.runner.copy(v.buffer, target.buffer, target.byteSize);
      else target.write(v.data);
    }
    return { missing, unexpected };
  }

  /**
   * Makes the parameters of layers that take their sizes from their input (nn.Linear(64) after
   * any module): one dry run on zeros of shape [1, ...input], drawing PyTorch's default init from
   * `seed` in the order layers first run. Returns the module.
   */
  init({ input, seed = 1, backend = defaultBackend() }: { input: number[]; seed?: number; backend?: Backend }): this {
    this.prepare(seededInit(seed, backend), '');
    try {
      tidy(() => {
        this.forward(Tensor.zeros([1, ...input], false, backend), { train: false });
      });
    } finally {
      this.finishPrepare();
    }
    return this;
  }

  /** Before init's dry run: tells every layer below where its parameters come from. */
  protected prepare(source: ParamSource, prefix: string): void {
    for (const [name, m] of this.namedChildren()) m.prepare(source, `${prefix}${name}.`);
  }
  protected finishPrepare(): void {
    for (const m of this.children()) m.finishPrepare();
  }

  /** Sets training mode here and below (dropout on); returns the module. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }
  /** Evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Number of parameter values (the elements of every parameter tensor). */
  numParameters(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** The backend its parameters live on. */
  get backend(): Backend {
    const first = this.parameters()[0] ?? this.namedBuffers()[0]?.[1];
    if (!first && this.home) return this.home;
    if (!first) throw new SparsegradError(`${this.type}: has no parameters yet, so no backend`);
    return first.backend;
  }

  /** A table of the modules with their parameter shapes and counts. */
  toString(): string {
    const rows = this.namedModules()
      .filter(([, m]) => m.ownParams.size || m.childModules.size === 0)
      .map(([name, m]) => {
        const params = [...m.ownParams].map(([p, t]) => `${p} ${fmtShape(t.shape)}`).join(', ');
        const count = [...m.ownParams.values()].reduce((n, t) => n + numel(t.shape), 0);
        return `${name || '(root)'}  ${m.describeSelf()}${params ? `  ${params}` : ''}${count ? `  ${count.toLocaleString('en-US')}` : ''}`;
      });
    return `${rows.join('\n')}\n${this.numParameters().toLocaleString('en-US')} parameters`;
  }

  /** A table of the modules, their parameter shapes and counts (a model with an input shape adds output shapes). */
  summary(): string {
    return this.toString();
  }

  /** One line about this module alone (its settings), for toString. */
  describeSelf(): string {
    return this.type;
  }

  /** Frees every parameter and buffer here and below. */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.namedBuffers().map(([, b]) => b)]) t.dispose();
  }
}

const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new SparsegradError(`module name "${name}": use letters, digits and _ (names join with dots)`);
}
