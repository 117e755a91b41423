import { describe, expect, it } from 'vitest';
import { testDataset, useGpu } from '../helpers';
import { bindingsOf, uniformFieldsOf } from '../../src/gpu/bindings';
import { Tensor, tidy } from '../../src/tensor/tensor';
import { add, scale } from '../../src/ops/elementwise';
import { adamFor, trainStep } from '../../src/nn/train';
import { batchesFor } from '../../src/nn/batches';
import { CNN_DEFAULTS, DEFAULT_CONFIG, layersOf, type TrainConfig } from '../../src/nn/config';

import { ShaderError } from '../../src/util/errors';
import { defaultBackend as backend } from '../../src/gpu/default-backend';
import { modelOfLayers } from '../../src/nn/study-models';

useGpu();

/** Pipelines, bind groups and buffers created by `work`. */
function created(work: () => void): { pipelines: number; bindGroups: number; buffers: number } {
  const before = {
    pipelines: backend().pipelines.compiled,
    bindGroups: backend().runner.bindGroupsCreated,
    buffers: backend().pool.created,
  };
  work();
  return {
    pipelines: backend().pipelines.compiled - before.pipelines,
    bindGroups: backend().runner.bindGroupsCreated - before.bindGroups,
    buffers: backend().pool.created - before.buffers,
  };
}

describe('cheap dispatch: nothing is created once a step has run', () => {
  const configs: [string, TrainConfig][] = [
    ['FC', { ...DEFAULT_CONFIG, hidden: [64, 32], batch: 16, iterations: 10, evalEvery: 0 }],
    [
      'CNN',
      {
        ...DEFAULT_CONFIG,
        ...CNN_DEFAULTS,
        conv: [
          { channels: 4, kernel: 5 },
          { channels: 6, kernel: 3 },
        ],
        hidden: [32],
        batch: 4,
        iterations: 10,
        evalEvery: 0,
      },
    ],
  ];
  const images = Float32Array.from({ length: 50 * 784 }, (_, i) => (i % 13) / 13);
  const data = testDataset(
    images,
    [1, 28, 28],
    'dispatch-cache',
    Uint8Array.from({ length: 50 }, (_, i) => i % 10),
  );
  for (const [name, config] of configs)
    for (const where of ['host', 'device'] as const)
      it(`${name} training step (${where} batches, forward, backward, dropout, Adam): no pipeline, bind group or buffer after warm-up`, async () => {
        const net = modelOfLayers(layersOf(config), config.dropout, config.seed);
        const adam = adamFor(net, config);
        const batches = batchesFor(data, config.batch, config.seed, 10, where);
        const step = (it: number) =>
          tidy(() => {
            const { x, t } = batches.next();
            trainStep(net, adam, config, x, t, it, it % 2 === 0);
            backend().runner.flush();
          });
        // Warm-up: reading the loss every other step reorders the pool's free lists for a few
        // steps (new buffer combinations, so new bind groups) until the order cycles.
        for (let it = 1; it <= 12; it++) step(it);
        await backend().runner.sync();
        const d0 = backend().runner.dispatches;
        const made = created(() => {
          for (let it = 13; it <= 20; it++) step(it);
        });
        await backend().runner.sync();
        expect(backend().runner.dispatches - d0).toBeGreaterThan(8 * 20); // the steps really ran their kernels
        expect(made).toEqual({ pipelines: 0, bindGroups: 0, buffers: 0 });
        adam.dispose();
        net.dispose();
        batches.dispose();
      });

  it('cached bind groups are dropped when the pool destroys buffers, and results stay right', async () => {
    const a = Tensor.fromArray(
      Float32Array.from({ length: 64 }, (_, i) => i),
      [64],
    ).keep();
    const twice = () => tidy(() => scale(add(a, a), 0.5).keep());
    const first = twice();
    expect(Array.from(await first.read())).toEqual(Array.from({ length: 64 }, (_, i) => i));
    first.dispose();
    backend().pool.trim(); // destroys the free buffers the cached bind groups point at
    const made = created(() => {
      const again = twice();
      void again
        .read()
        .then((v) => expect(v[63]).toBe(63))
        .finally(() => again.dispose());
    });
    expect(made.bindGroups).toBeGreaterThan(0);
    await backend().runner.sync();
    a.dispose();
  });

  it('a dispatch with the wrong number of buffers says so, naming the kernel', () => {
    const p = backend().pipeline('fill', () => {
      throw new Error('already compiled under this name');
    });
    const buf = backend().pool.acquire(64);
    expect(() => backend().runner.dispatch(p, [buf, buf], { size: 16, bits: 0 }, [1])).toThrow(
      /fill: dispatched with 2 buffers and uniforms; the kernel binds 1 and uniforms/,
    );
    backend().pool.release(buf);
  });

  it('a kernel name used for two different sources is refused', () => {
    const src = (v: number) =>
      `@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n@compute @workgroup_size(1)\nfn main() { out[0] = ${v}.0; }\n`;
    backend().pipeline('twice_named', src(1));
    expect(() => backend().pipeline('twice_named', src(2))).toThrow(ShaderError);
    expect(() => backend().pipeline('twice_named', src(2), { UNUSED: 1 })).toThrow(/two different WGSL sources/);
  });
});

describe('uniforms by name, as the kernel declares them', () => {
  const src = `struct Uniforms { n: u32, scale: f32, shift: i32, pad0: u32, v: vec4u, w: vec2<f32> }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> u: Uniforms;
@compute @workgroup_size(1)
fn main() {
  out[0] = f32(u.n); out[1] = u.scale; out[2] = f32(u.shift);
  out[3] = f32(u.v.x + u.v.y + u.v.z + u.v.w); out[4] = u.w.x; out[5] = u.w.y;
}
`;
  it("fields, types and offsets follow WGSL's layout (vec4 aligned to 16 bytes, vec2 to 8)", () => {
    expect(uniformFieldsOf(src, 'u.wgsl')).toEqual([
      { name: 'n', type: 'u32', offset: 0, count: 1 },
      { name: 'scale', type: 'f32', offset: 1, count: 1 },
      { name: 'shift', type: 'i32', offset: 2, count: 1 },
      { name: 'pad0', type: 'u32', offset: 3, count: 1 },
      { name: 'v', type: 'u32', offset: 4, count: 4 },
      { name: 'w', type: 'f32', offset: 8, count: 2 },
    ]);
    expect(uniformFieldsOf('@group(0) @binding(0) var<storage, read> a: array<f32>;', 'none.wgsl')).toBeNull();
    expect(() =>
      uniformFieldsOf('struct U { m: mat2x2f }\n@group(0) @binding(0) var<uniform> u: U;', 'mat.wgsl'),
    ).toThrow(/mat\.wgsl: uniform m has type mat2x2f/);
  });
  it('each value is written with its field type; a missing, unknown or mis-sized one is named', async () => {
    const p = backend().pipeline('named_uniforms_test', src);
    const out = Tensor.zeros([6]);
    backend().runner.dispatch(p, [out.buffer], { n: 7, scale: 0.25, shift: -3, v: [1, 2, 3, 4], w: [0.5, -1.5] }, [1]);
    expect(Array.from(await out.read())).toEqual([7, 0.25, -3, 10, 0.5, -1.5]);
    const { v: _v, ...noV } = { n: 1, scale: 1, shift: 1, v: [1, 2, 3, 4], w: [1, 2] };
    expect(() => backend().runner.dispatch(p, [out.buffer], noV, [1])).toThrow(
      /named_uniforms_test: uniform v \(u32\) not given/,
    );
    expect(() =>
      backend().runner.dispatch(
        p,
        [out.buffer],
        { n: 1, scale: 1, shift: 1, v: [1, 2, 3, 4], w: [1, 2], size: 3 },
        [1],
      ),
    ).toThrow(/no uniform size \(its uniforms: n, scale, shift, pad0, v, w\)/);
    expect(() =>
      backend().runner.dispatch(p, [out.buffer], { n: 1, scale: 1, shift: 1, v: [1, 2], w: [1, 2] }, [1]),
    ).toThrow(/uniform v holds 4 u32s, given \[1,2\]/);
    out.dispose();
  });
});

describe("bindingsOf reads a kernel's bindings from its WGSL", () => {
  it('storage read, read_write, default access and a uniform last', () => {
    const src = `@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(2)  var<storage, read_write> c: array<f32>;
@group(0) @binding(1) var<storage> b: array<f32>;
@group(0) @binding(3) var<uniform> u: U;`;
    expect(bindingsOf(src, 'k.wgsl')).toEqual(['read', 'read', 'read_write', 'uniform']);
  });
  it('gaps, duplicates and a uniform before a storage buffer are errors naming the file', () => {
    expect(() => bindingsOf('@group(0) @binding(1) var<storage, read> a: array<f32>;', 'gap.wgsl')).toThrow(
      /gap\.wgsl: .*0 is missing/,
    );
    expect(() =>
      bindingsOf(
        '@group(0) @binding(0) var<storage, read> a: array<f32>;\n@group(0) @binding(0) var<storage, read> b: array<f32>;',
        'dup.wgsl',
      ),
    ).toThrow(/dup\.wgsl: binding 0 is declared twice/);
    expect(() =>
      bindingsOf(
        '@group(0) @binding(0) var<uniform> u: U;\n@group(0) @binding(1) var<storage, read> b: array<f32>;',
        'order.wgsl',
      ),
    ).toThrow(/order\.wgsl: the uniform binding must be the last/);
  });
});
