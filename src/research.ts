/// <reference lib="dom" preserve="true" />
// sparsegrad/research: what the study is made of, on top of the engine: adversarial attacks and
// universal noise, pruning by weights and activations, intervals. Imports the engine; the
// engine never imports it.
export {
  fgsm,
  pgd,
  pgdAttack,
  pgdImages,
  attackName,
  type PgdSettings,
  type AttackResult,
  type AttackLoss,
} from './adversarial/pgd.js';
export {
  makeNoise,
  DEFAULT_NOISE,
  UNIVERSAL_RECIPES,
  meanAbs,
  collapsed,
  type NoiseSettings,
} from './adversarial/noise.js';
export { robustness, type NoiseVector, type Robustness } from './adversarial/evaluate.js';
export { certifyModel, CERTIFY_METHODS, type CertifyMethod, type CertifyRow } from './certify/certify.js';
export { ibp, crown, linfBoxes, marginSpecs, type Bounds } from './certify/bounds.js';
export { boundGraph, type BoundGraph, type BoundNode } from './certify/graph.js';
export type { BoundOp, AffineOp, UnaryOp, SumOp, BoundRule, Relaxation, RuleContext } from './certify/bound-op.js';
export { registerBoundRule, BoundRules, defaultBoundRules } from './certify/rules/registry.js';
export { reluRelaxation } from './certify/rules/relu.js';
export { PGD, FGSM, type Attack } from './adversarial/attack.js';
export {
  adversarialTraining,
  batchHookFor,
  adversarialBatch,
  catastrophicOverfitting,
} from './adversarial/training.js';
export { signedGradientStep } from './adversarial/pgd.js';
export { traceModule, type Graph, type GraphNode, type GraphArg } from './nn/trace.js';
export { withForwardHooks, type ForwardAround } from './nn/hooks.js';
export { weightLayers, traceableOf, type WeightLayer } from './nn/weight-layers.js';
export { pruneModule, type ModulePruneSpec } from './prune/prune-module.js';
export {
  Pruner,
  PRUNE_METHODS,
  parseScope,
  scopeName,
  type PruneMethod,
  type PruneScope,
  type PruneSettings,
} from './prune/prune.js';
export { layerInputStats, calibrationIndices, type InputStats } from './prune/stats.js';
export { meanCi95 } from './metrics/interval.js';
