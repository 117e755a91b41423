import type { Backend } from '../gpu/backend.js';
import { ConfigError } from '../util/errors.js';
import { Tensor, tidy } from '../tensor/tensor.js';
import { withForwardHooks } from './hooks.js';
import { Conv2d, Linear } from './layers.js';
import type { ForwardOptions, Module } from './module.js';
import type { LayerSpec, Traceable } from './layer-spec.js';

/** A weight layer of a model: the module, its dotted name, and what pruning needs to know of it. */
export interface WeightLayer {
  name: string;
  module: Linear | Conv2d;
  spec: LayerSpec;
}

/**
 * The Linear and Conv2d modules that any Module's forward runs, in the order it runs them,
 * each with its spec (from one forward on zeros of one example's shape, seen by forward hooks).
 * A weight layer run twice in one forward is refused: its input would be ambiguous.
 */
export function weightLayers(model: Module, input: number[], backend: Backend = model.backend): WeightLayer[] {
  const named = model.namedModules().filter(([, m]) => m instanceof Linear || m instanceof Conv2d);
  const names = new Map(named.map(([n, m]) => [m, n]));
  const found: WeightLayer[] = [];
  withForwardHooks(
    named.map(([, m]) => m),
    (m, x, run) => {
      const name = names.get(m)!;
      if (found.some((l) => l.module === m))
        throw new ConfigError(
          `weight layers: ${name} runs twice in one forward; prune or decouple a model whose layers run once`,
        );
      found.push({ name, module: m as Linear | Conv2d, spec: (m as Linear | Conv2d).spec(name, x.shape.slice(1)) });
      return run();
    },
    () => tidy(() => void model.forward(Tensor.zeros([1, ...input], false, backend), { train: false })),
  );
  return found;
}

/** Any Module as a Traceable: its weight layers, and their inputs in a forward, seen by hooks. */
export function traceableOf(model: Module, input: number[]): Traceable & { weightLayers: WeightLayer[] } {
  const layers = weightLayers(model, input);
  return {
    backend: model.backend,
    weightLayers: layers,
    layers: layers.map((l) => l.spec),
    forwardTrace: (x: Tensor, opts: ForwardOptions) => {
      const layerInputs: Tensor[] = [];
      const output = withForwardHooks(
        layers.map((l) => l.module),
        (m, h, run) => {
          layerInputs[layers.findIndex((l) => l.module === m)] = h;
          return run();
        },
        () => model.forward(x, opts),
      );
      return { output, layerInputs };
    },
  };
}
