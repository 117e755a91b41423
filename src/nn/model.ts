import { metadataJson } from '../io/safetensors.js';
import { decodeCheckpoint } from '../io/checkpoint.js';
import { modelFromCheckpoint, modelToSafetensors, storedConfigChecked, type MaskLayout } from './checkpoint.js';
import { DEFAULT_CONFIG, migrateConfig, type TrainConfig } from './config.js';
import { type Sequential, sequentialFromArrays } from './modules.js';
import type { Backend } from '../gpu/backend.js';
import { defaultBackend } from '../gpu/default-backend.js';

/**
 * What the study's tools (attacks, pruning, sweeps, detection) take: a Sequential (the study's
 * FC and CNN are ones). It trains, traces its weight layers' inputs, and gives copies with
 * other weights.
 */
export type Model = Sequential;

/**
 * A model from safetensors: an nn Sequential where the metadata holds its layers
 * (sparsegrad_model), else the study's FC/CNN (its config, or the architecture the tensors
 * describe). The config names the image shape and classes; masks are those of a file in
 * torch.nn.utils.prune's layout.
 */
export function loadModelBytes(
  bytes: Uint8Array,
  file: string,
  backend: Backend = defaultBackend(),
): { model: Model; config: TrainConfig; masks: (Float32Array | null)[] | null } {
  const decoded = decodeCheckpoint(bytes, file); // once: both kinds build from it
  const { metadata, arrays, masks: saved } = decoded;
  if (!metadata.sparsegrad_model) return modelFromCheckpoint(decoded, file, backend);
  const model = sequentialFromArrays(arrays, metadata, file, undefined, backend);
  const config: TrainConfig = {
    ...DEFAULT_CONFIG,
    ...(metadata.sparsegrad_config
      ? migrateConfig(metadataJson(metadata, 'sparsegrad_config', file) as object, `${file}: sparsegrad_config`)
      : {}),
    model: model.modelJson(),
    input: [...model.modelJson().input],
    classes: model.classes,
  };
  storedConfigChecked(config, file);
  const names = model.params.filter((p) => p.name.endsWith('.weight')).map((p) => p.name);
  return { model, config, masks: saved.size ? names.map((n) => saved.get(n) ?? null) : null };
}

/** safetensors bytes of either kind, pruned weights saved as `layout` says (see modelToSafetensors). */
export function modelToBytes(
  model: Model,
  config: TrainConfig,
  masks?: (Float32Array | null)[],
  layout: MaskLayout = 'zeros',
): Promise<Uint8Array> {
  // The study's nets are saved as they always were (their config names the architecture).
  const layers: Record<string, string> = config.model ? { sparsegrad_model: JSON.stringify(model.modelJson()) } : {};
  return modelToSafetensors(model, config, masks, layout, layers);
}
