import type { Backend } from '../gpu/backend.js';
import { ConfigError } from '../util/errors.js';
import type { Module } from '../nn/module.js';
import { traceModule } from '../nn/trace.js';
import type { BoundOp } from './bound-op.js';
import { defaultBoundRules, type BoundRules } from './rules/registry.js';

export interface BoundNode {
  /** null for the input (node 0). */
  op: BoundOp | null;
  inputs: number[];
  /** One example's output shape. */
  shape: number[];
  name: string;
}

/** A model as certification sees it: its traced ops, each in its bound form, in an order where inputs come first. */
export interface BoundGraph {
  nodes: BoundNode[];
  output: number;
  backend: Backend;
  /** Releases what the ops hold (|W| copies, bias maps) and the trace's constants. */
  dispose(): void;
}

/**
 * The bound graph of any Module on one example of shape `input` (e.g. [784]): the model's own
 * forward traced, every op given its rule. An op without one is refused in one line naming it.
 */
export function boundGraph(model: Module, input: number[], rules: BoundRules = defaultBoundRules()): BoundGraph {
  const traced = traceModule(model, input, { atomic: rules.atomic });
  const nodes: BoundNode[] = [];
  const release = () => {
    for (const n of nodes) if (n.op?.kind === 'affine') for (const t of n.op.owned) t.dispose();
    traced.dispose();
  };
  try {
    for (const n of traced.nodes) {
      if (n.id === 0) {
        nodes.push({ op: null, inputs: [], shape: n.shape, name: n.name });
        continue;
      }
      const rule = rules.get(n.op);
      if (!rule)
        throw new ConfigError(
          `certify: ${n.name} (${n.op}) has no bound rule; ops with rules: ${rules.names().join(', ')} (a layer of your own can register one: registerBoundRule)`,
        );
      const op = rule({ node: n, inShapes: n.inputs.map((i) => traced.nodes[i].shape), backend: traced.backend });
      nodes.push({ op, inputs: n.inputs, shape: n.shape, name: n.name });
    }
  } catch (e) {
    release();
    throw e;
  }
  return { nodes, output: traced.output, backend: traced.backend, dispose: release };
}
