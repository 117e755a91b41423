import { checkedDevice, type Gpu } from './device.js';
import { ShaderError } from '../util/errors.js';
import { bindingsOf, uniformFieldsOf, type BindingKind, type UniformField } from './bindings.js';

export type Constants = Record<string, number | boolean>;

/** A compiled kernel with the explicit bind-group layout its bindings declare. */
export interface Pipeline {
  readonly gpu: GPUComputePipeline;
  /** Shared by every pipeline whose bindings have the same kinds, so bind groups are too. */
  readonly layout: GPUBindGroupLayout;
  readonly label: string;
  /** Storage buffers a dispatch binds (bindings 0..n−1); a uniform, if any, is binding n. */
  readonly storageBindings: number;
  readonly hasUniforms: boolean;
  /** Its uniform struct's fields, which a dispatch passes by name. */
  readonly uniformFields: UniformField[];
  /** The WGSL it was compiled from (checked against on lookup by a string source). */
  readonly source: string;
}

/**
 * Compiled pipelines of one device, looked up by kernel name + constants: a short key, so a
 * lookup costs well under a microsecond whatever the length of the source. The name must
 * identify the source: `file:variant` where the host extends a file's text.
 */
export class PipelineCache {
  constructor(private readonly g: Gpu) {}
  private byKey = new Map<string, Pipeline>();
  private sourceOfName = new Map<string, string>();
  private layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  private pendingChecks: Promise<void>[] = [];
  /**
   * For the dispatch-overhead benchmark only: look pipelines up as before the cache had short
   * keys (the whole source in the key, rebuilt at every call), to time both in one run.
   */
  legacyKeys = false;
  private legacy = new Map<string, Pipeline>();
  compiled = 0;

  get(name: string, source: string | (() => string), constants: Constants): Pipeline {
    const device = checkedDevice(this.g);
    if (this.legacyKeys) return this.getLegacy(name, source, constants);
    let key = name;
    for (const k in constants) key += `|${k}=${Number(constants[k])}`;
    const hit = this.byKey.get(key);
    if (hit) {
      if (typeof source === 'string' && hit.source !== source)
        throw new ShaderError(
          `kernel name "${name}" is used for two different WGSL sources; give each variant its own name`,
        );
      return hit;
    }
    const text = typeof source === 'string' ? source : source();
    const known = this.sourceOfName.get(name);
    if (known !== undefined && known !== text)
      throw new ShaderError(
        `kernel name "${name}" is used for two different WGSL sources; give each variant its own name`,
      );
    this.sourceOfName.set(name, text);
    const pipeline = this.compile(device, name, text, constants);
    this.byKey.set(key, pipeline);
    return pipeline;
  }

  private getLegacy(name: string, source: string | (() => string), constants: Constants): Pipeline {
    const text = typeof source === 'string' ? source : source();
    const keys = Object.keys(constants).sort();
    const key = `${name}|${keys.map((k) => `${k}=${Number(constants[k])}`).join(',')}|${text}`;
    let hit = this.legacy.get(key);
    if (!hit) this.legacy.set(key, (hit = this.compile(this.g.device, name, text, constants)));
    return hit;
  }

  private layoutFor(device: GPUDevice, kinds: BindingKind[]) {
    const signature = kinds.join(',');
    let layout = this.layouts.get(signature);
    if (!layout) {
      const group = device.createBindGroupLayout({
        label: signature,
        entries: kinds.map((kind, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer:
            kind === 'uniform'
              ? { type: 'uniform', hasDynamicOffset: true }
              : { type: kind === 'read' ? 'read-only-storage' : 'storage' },
        })),
      });
      layout = { group, pipeline: device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(signature, layout);
    }
    return layout;
  }

  private compile(device: GPUDevice, name: string, source: string, constants: Constants): Pipeline {
    const file = `shaders/${name.split(':')[0]}.wgsl`;
    const kinds = bindingsOf(source, file);
    const layout = this.layoutFor(device, kinds);
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: name, code: source });
    const constantValues: Record<string, number> = {};
    for (const k of Object.keys(constants)) constantValues[k] = Number(constants[k]);
    const pipeline = device.createComputePipeline({
      label: name,
      layout: layout.pipeline,
      compute: { module, entryPoint: 'main', constants: constantValues },
    });
    this.pendingChecks.push(
      device.popErrorScope().then(async (err) => {
        if (!err) return;
        const info = await module.getCompilationInfo();
        const lines = info.messages
          .filter((m) => m.type === 'error')
          .map((m) => `${file}:${m.lineNum}:${m.linePos}: ${m.message}`);
        throw new ShaderError(lines.length ? lines.join('\n') : `${file}: ${err.message}`);
      }),
    );
    this.compiled++;
    const hasUniforms = kinds[kinds.length - 1] === 'uniform';
    return {
      gpu: pipeline,
      layout: layout.group,
      label: name,
      storageBindings: kinds.length - (hasUniforms ? 1 : 0),
      hasUniforms,
      uniformFields: (hasUniforms && uniformFieldsOf(source, file)) || [],
      source,
    };
  }

  /** Throws the first shader compile/validation error seen since the last call. */
  async check(): Promise<void> {
    await Promise.all(this.pendingChecks.splice(0));
  }
}
