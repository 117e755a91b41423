import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { Tensor, tidy, backward } from '../../src/tensor/tensor';
import { matmul } from '../../src/ops/matmul';
import { relu, add } from '../../src/ops/elementwise';
import { sum } from '../../src/ops/reduce';
import { ShaderError } from '../../src/util/errors';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

describe('GPU runtime', () => {
  it('reports the adapter and its limits', () => {
    const a = backend().gpu.adapter;
    expect(a.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(a.features.length).toBeGreaterThan(0);
    expect(`${a.vendor}${a.architecture}${a.description}`.length).toBeGreaterThan(0);
  });

  it('a tensor larger than the adapter can bind fails at creation, naming it, its size and the limit', () => {
    const limit = Math.min(
      backend().gpu.device.limits.maxStorageBufferBindingSize,
      backend().gpu.device.limits.maxBufferSize,
    );
    const rows = Math.floor(limit / 4 / 1000) + 1; // [rows, 1000] floats: just over the limit
    const before = backend().pool.created;
    expect(() => Tensor.empty(backend(), [rows, 1000], 'decoupledWeights')).toThrow(
      new RegExp(
        `decoupledWeights: a tensor of shape \\[${rows}, ?1000\\] needs .* MiB \\(${rows * 4000} bytes\\); this adapter binds at most .*maxStorageBufferBindingSize ${backend().gpu.device.limits.maxStorageBufferBindingSize}`,
      ),
    );
    expect(() => Tensor.full([rows, 1000], 0)).toThrow(/^full: a tensor of shape/);
    expect(backend().pool.created - before).toBe(0); // nothing was allocated for them
  });

  it('a WGSL error names the shader file and line', async () => {
    const src = '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = 1u;\n}\n';
    backend().pipeline('broken_example', src);
    await expect(backend().pipelines.check()).rejects.toThrow(ShaderError);
    backend().pipeline('broken_example2', src);
    await expect(backend().pipelines.check()).rejects.toThrow(/shaders\/broken_example2\.wgsl:3:\d+: /);
  });

  it('an error in a host-extended variant (name:variant) still names the shader file', async () => {
    backend().pipeline(
      'broken_example3:vec4',
      '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = 1u;\n}\nalias XV = vec4f;\n',
    );
    await expect(backend().pipelines.check()).rejects.toThrow(/shaders\/broken_example3\.wgsl:3:\d+: /);
  });

  it('pipelines are compiled once per shader and constants, whatever the shapes', () => {
    tidy(() => matmul(Tensor.zeros([3, 4]), Tensor.zeros([4, 5])));
    const before = backend().pipelines.compiled;
    tidy(() => {
      matmul(Tensor.zeros([30, 7]), Tensor.zeros([7, 2]));
      matmul(Tensor.zeros([1, 1]), Tensor.zeros([1, 1]));
    });
    expect(backend().pipelines.compiled).toBe(before);
    tidy(() => matmul(Tensor.zeros([4, 3]), Tensor.zeros([4, 5]), { transA: true }));
    expect(backend().pipelines.compiled).toBe(before + 1);
  });

  it('a training-like loop reuses pooled buffers: no growth after the first step', async () => {
    const w = Tensor.fromArray(new Float32Array(64 * 32).fill(0.01), [32, 64], true).keep();
    const step = () =>
      tidy(() => {
        const x = Tensor.fromArray(new Float32Array(16 * 64).fill(1), [16, 64]);
        const loss = sum(relu(add(matmul(x, w, { transB: true }), Tensor.zeros([32]))));
        backward(loss);
        w.grad = null;
      });
    step();
    await backend().runner.sync();
    const pooled = backend().pool.pooledBytes;
    const inUse = backend().pool.inUseBytes;
    for (let i = 0; i < 50; i++) step();
    await backend().runner.sync();
    expect(backend().pool.pooledBytes).toBe(pooled);
    expect(backend().pool.inUseBytes).toBe(inUse);
    w.dispose();
  });

  it('tidy keeps returned tensors and frees the rest', async () => {
    const before = backend().pool.inUseBytes;
    const kept = tidy(() => {
      const a = Tensor.full([100], 2);
      const b = Tensor.full([100], 3);
      return add(a, b);
    });
    expect(backend().pool.inUseBytes).toBe(before + 400);
    expect((await kept.read())[99]).toBe(5);
    kept.dispose();
    expect(backend().pool.inUseBytes).toBe(before);
    expect(() => kept.buffer).toThrow(/disposed tensor/);
  });
});
