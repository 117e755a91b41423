import { gpu } from './device';
import { ShaderError } from './errors';

export type Constants = Record<string, number | boolean>;

const cache = new Map<string, GPUComputePipeline>();
const pendingChecks: Promise<void>[] = [];
export const pipelineStats = { compiled: 0 };

/**
 * The only place WGSL is compiled. `name` is the shader's file under shaders/, optionally
 * followed by `:variant` where the host extended the source (appended types or constants):
 * compile errors name `shaders/<file>.wgsl:line`, profiles the whole label. `source` is the
 * text; `constants` fill its `override` declarations. Cached under name + source + constants.
 */
export function getPipeline(name: string, source: string, constants: Constants = {}): GPUComputePipeline {
  const keys = Object.keys(constants).sort();
  const key = `${name}|${keys.map((k) => `${k}=${Number(constants[k])}`).join(',')}|${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { device } = gpu();
  const file = `shaders/${name.split(':')[0]}.wgsl`;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: name, code: source });
  const constantValues: Record<string, number> = {};
  for (const k of keys) constantValues[k] = Number(constants[k]);
  const pipeline = device.createComputePipeline({
    label: name,
    layout: 'auto',
    compute: { module, entryPoint: 'main', constants: constantValues },
  });
  pendingChecks.push(
    device.popErrorScope().then(async (err) => {
      if (!err) return;
      const info = await module.getCompilationInfo();
      const lines = info.messages
        .filter((m) => m.type === 'error')
        .map((m) => `${file}:${m.lineNum}:${m.linePos}: ${m.message}`);
      throw new ShaderError(lines.length ? lines.join('\n') : `${file}: ${err.message}`);
    }),
  );
  pipelineStats.compiled++;
  cache.set(key, pipeline);
  return pipeline;
}

/** Throws the first shader compile/validation error seen since the last call. */
export async function checkShaders(): Promise<void> {
  const checks = pendingChecks.splice(0);
  await Promise.all(checks);
}
