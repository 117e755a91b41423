import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { getPipeline, checkShaders, pipelineStats } from '../../src/gpu/pipelines';
import { bufferPool } from '../../src/gpu/buffers';
import { runner } from '../../src/gpu/runner';
import { gpu } from '../../src/gpu/device';
import { Tensor, tidy, backward } from '../../src/tensor/tensor';
import { matmul } from '../../src/ops/matmul';
import { relu, add } from '../../src/ops/elementwise';
import { sum } from '../../src/ops/reduce';
import { ShaderError } from '../../src/gpu/errors';

useGpu();

describe('GPU runtime', () => {
  it('reports the adapter and its limits', () => {
    const a = gpu().adapter;
    expect(a.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(a.features.length).toBeGreaterThan(0);
    expect(`${a.vendor}${a.architecture}${a.description}`.length).toBeGreaterThan(0);
  });

  it('a tensor larger than the adapter can bind fails at creation, naming it, its size and the limit', () => {
    const limit = Math.min(gpu().device.limits.maxStorageBufferBindingSize, gpu().device.limits.maxBufferSize);
    const rows = Math.floor(limit / 4 / 1000) + 1; // [rows, 1000] floats: just over the limit
    const before = bufferPool.created;
    expect(() => Tensor.empty([rows, 1000], 'decoupledWeights')).toThrow(
      new RegExp(
        `decoupledWeights: a tensor of shape \\[${rows}, ?1000\\] needs .* MiB \\(${rows * 4000} bytes\\); this adapter binds at most .*maxStorageBufferBindingSize ${gpu().device.limits.maxStorageBufferBindingSize}`,
      ),
    );
    expect(() => Tensor.full([rows, 1000], 0)).toThrow(/^full: a tensor of shape/);
    expect(bufferPool.created - before).toBe(0); // nothing was allocated for them
  });

  it('a WGSL error names the shader file and line', async () => {
    const src = '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = 1u;\n}\n';
    getPipeline('broken_example', src);
    await expect(checkShaders()).rejects.toThrow(ShaderError);
    getPipeline('broken_example2', src);
    await expect(checkShaders()).rejects.toThrow(/shaders\/broken_example2\.wgsl:3:\d+: /);
  });

  it('an error in a host-extended variant (name:variant) still names the shader file', async () => {
    getPipeline(
      'broken_example3:vec4',
      '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = 1u;\n}\nalias XV = vec4f;\n',
    );
    await expect(checkShaders()).rejects.toThrow(/shaders\/broken_example3\.wgsl:3:\d+: /);
  });

  it('pipelines are compiled once per shader and constants, whatever the shapes', () => {
    tidy(() => matmul(Tensor.zeros([3, 4]), Tensor.zeros([4, 5])));
    const before = pipelineStats.compiled;
    tidy(() => {
      matmul(Tensor.zeros([30, 7]), Tensor.zeros([7, 2]));
      matmul(Tensor.zeros([1, 1]), Tensor.zeros([1, 1]));
    });
    expect(pipelineStats.compiled).toBe(before);
    tidy(() => matmul(Tensor.zeros([4, 3]), Tensor.zeros([4, 5]), { transA: true }));
    expect(pipelineStats.compiled).toBe(before + 1);
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
    await runner.sync();
    const pooled = bufferPool.pooledBytes;
    const inUse = bufferPool.inUseBytes;
    for (let i = 0; i < 50; i++) step();
    await runner.sync();
    expect(bufferPool.pooledBytes).toBe(pooled);
    expect(bufferPool.inUseBytes).toBe(inUse);
    w.dispose();
  });

  it('tidy keeps returned tensors and frees the rest', async () => {
    const before = bufferPool.inUseBytes;
    const kept = tidy(() => {
      const a = Tensor.full([100], 2);
      const b = Tensor.full([100], 3);
      return add(a, b);
    });
    expect(bufferPool.inUseBytes).toBe(before + 400);
    expect((await kept.read())[99]).toBe(5);
    kept.dispose();
    expect(bufferPool.inUseBytes).toBe(before);
    expect(() => kept.buffer).toThrow(/disposed tensor/);
  });
});
