import type { Backend } from '../gpu/backend.js';
import { ConfigError, fmtShape } from '../util/errors.js';
import { Tensor, tidy } from '../tensor/tensor.js';
import { withTraceListener } from '../tensor/trace.js';
import type { Module } from './module.js';
import { withForwardHooks, type ForwardAround } from './hooks.js';

/** An operand of a traced op: the output of another node, or a constant (a parameter, a fixed tensor). */
export type GraphArg = { node: number } | { constant: Tensor };

/**
 * One op of a traced model: a primitive that reported itself (`add`, `matmul`, `relu`,
 * `reshape`, …) or a whole module the caller asked to keep as one op (`Linear`, a user's
 * `LeakyReLU`), with its operands in the op's own order.
 */
export interface GraphNode {
  id: number;
  op: string;
  args: GraphArg[];
  /** The traced operands' node ids (0 is the model's input), in order. */
  inputs: number[];
  attrs: Record<string, unknown>;
  /** The module, for a node that is a whole module. */
  module: Module | null;
  /** The module's dotted name, or op:id for a primitive. */
  name: string;
  /** One example's output shape. */
  shape: number[];
}

/**
 * A model as research tools see it: the ops its own `forward` ran on one input, in the order
 * they ran (so inputs come before their users), node 0 being the input. Made by traceModule.
 */
export interface Graph {
  nodes: GraphNode[];
  output: number;
  backend: Backend;
  /** Constants made inside forward, kept for the graph's life. */
  dispose(): void;
}

const BATCH = 2; // two examples, so an op that mixes examples shows in the shapes

/**
 * Runs `model.forward` once (evaluation mode) on zeros of one example's shape `input` and
 * records every op on a path from the input to the output. Modules for which `atomic` says so
 * are recorded as one node (their rules apply to the whole module). An output or operand that
 * depends on the input through an op that does not report itself is refused, naming that op:
 * a research tool must never treat such a tensor as a constant.
 */
export function traceModule(
  model: Module,
  input: number[],
  opts: { atomic?: (m: Module) => boolean; backend?: Backend } = {},
): Graph {
  const backend = opts.backend ?? model.backend;
  const atomic = opts.atomic ?? (() => false);
  const params = new Set<Tensor>([...model.parameters(), ...model.namedBuffers().map(([, b]) => b)]);
  const nodes: GraphNode[] = [
    { id: 0, op: 'input', args: [], inputs: [], attrs: {}, module: null, name: 'input', shape: [...input] },
  ];
  const nodeOf = new Map<Tensor, number>();
  const created = new Set<Tensor>();
  const constants = new Set<Tensor>();
  let paused = 0;

  const where = (t: Tensor) => `${t.op} ${fmtShape(t.shape)}`;
  const isConstant = (t: Tensor): boolean => {
    if (params.has(t) || constants.has(t) || !created.has(t)) return true;
    return t.parents.length === 0 && !t.viewOf && (t.op === 'leaf' || t.op === 'full');
  };
  const argOf = (t: Tensor, user: string): GraphArg => {
    const id = nodeOf.get(t);
    if (id !== undefined) return { node: id };
    if (isConstant(t)) return { constant: t };
    throw new ConfigError(
      `trace: ${user} takes a tensor made by ${where(t)}, an op that does not report itself to traces, so bounds and transforms cannot follow it; write the forward with ops that do (add, sub, mul, matmul, conv2d, pooling, relu, reshape) or make the module one op with rules of its own`,
    );
  };
  const addNode = (
    out: Tensor,
    op: string,
    args: GraphArg[],
    attrs: Record<string, unknown>,
    module: Module | null,
    name?: string,
  ) => {
    if (out.shape[0] !== BATCH)
      throw new ConfigError(
        `trace: ${name ?? op} turns a batch of ${BATCH} into ${fmtShape(out.shape)}: ops must keep examples apart`,
      );
    const id = nodes.length;
    nodes.push({
      id,
      op,
      args,
      inputs: args.flatMap((a) => ('node' in a ? [a.node] : [])),
      attrs,
      module,
      name: name ?? `${op}:${id}`,
      shape: out.shape.slice(1),
    });
    nodeOf.set(out, id);
  };

  const names = new Map(model.namedModules().map(([n, m]) => [m, n]));
  // A module kept as one op: its inner ops are not recorded, its output is one node.
  const around: ForwardAround = (m, x, run) => {
    if (paused) return run();
    const arg = argOf(x, names.get(m) || m.type);
    paused++;
    let y: Tensor;
    try {
      y = run();
    } finally {
      paused--;
    }
    if (y === x) return y;
    if ('constant' in arg) constants.add(y);
    else addNode(y, m.type, [arg], {}, m, names.get(m) || m.type);
    return y;
  };
  const atomicModules = model.namedModules().flatMap(([, m]) => (atomic(m) ? [m] : []));
  const kept: Tensor[] = [];
  const output = withForwardHooks(atomicModules, around, () =>
    tidy(() =>
      withTraceListener<Tensor, number>(
        {
          created: (t) => {
            created.add(t);
          },
          op: (out, inputs, op, attrs) => {
            if (paused) return;
            const args = inputs.map((t) => argOf(t, op));
            if (args.every((a) => 'constant' in a)) constants.add(out);
            else addNode(out, op, args, attrs, null);
          },
        },
        () => {
          const x = Tensor.zeros([BATCH, ...input], false, backend);
          nodeOf.set(x, 0);
          const y = model.forward(x, { train: false });
          const id = nodeOf.get(y);
          if (id === undefined || id === 0)
            throw new ConfigError(
              `trace: the model's output comes from ${where(y)}, ${id === 0 ? 'the input itself' : 'an op that does not report itself to traces'}; bounds cannot follow it`,
            );
          // Constants made inside forward live as long as the graph.
          for (const n of nodes)
            for (const a of n.args)
              if ('constant' in a && created.has(a.constant) && !params.has(a.constant))
                for (let t: Tensor | null = a.constant; t && created.has(t); t = t.viewOf) kept.push(t.keep());
          return id;
        },
      ),
    ),
  );
  // Only what the output depends on (a branch computed and dropped needs no rules).
  const live = [...ancestorsOf(nodes, output)].sort((x, y) => x - y);
  const newId = new Map(live.map((k, i) => [k, i]));
  return {
    nodes: live.map((k) => {
      const n = nodes[k];
      const args = n.args.map((a): GraphArg => ('node' in a ? { node: newId.get(a.node)! } : a));
      return { ...n, id: newId.get(k)!, args, inputs: n.inputs.map((i) => newId.get(i)!) };
    }),
    output: newId.get(output)!,
    backend,
    dispose: () => {
      for (const t of kept) t.dispose();
    },
  };
}

/** The nodes on which `id` depends (itself included). */
export function ancestorsOf(nodes: { inputs: number[] }[], id: number): Set<number> {
  const seen = new Set<number>();
  const visit = (k: number) => {
    if (seen.has(k)) return;
    seen.add(k);
    for (const i of nodes[k].inputs) visit(i);
  };
  visit(id);
  return seen;
}
