import { describe, expect, it } from 'vitest';
import { useGpu } from '../helpers';
import { createBackend } from '../../src/gpu/node-gpu';
import { defaultBackend } from '../../src/gpu/default-backend';
import type { Backend } from '../../src/gpu/backend';
import { Tensor, tidy } from '../../src/tensor/tensor';
import { add, mul, relu, sub, div } from '../../src/ops/elementwise';
import { fcLayers } from '../../src/nn/layer-spec';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/nn/config';
import { adamFor, trainStep } from '../../src/nn/train';
import { batchesFor } from '../../src/nn/batches';
import { loadEmbedded } from '../../src/data/node-loader';
import { take } from '../../src/data/dataset';
import { modelOfLayers } from '../../src/nn/study-models';

useGpu();

const config: TrainConfig = { ...DEFAULT_CONFIG, hidden: [32], batch: 16, evalEvery: 0, dropout: 0.2 };
const data = take(loadEmbedded().train, 400);

/** A training run on one backend, stepped by the caller. */
function run(backend: Backend, seed: number) {
  const c = { ...config, seed };
  const net = modelOfLayers(fcLayers([784, 32, 10]), c.dropout, seed, backend);
  const adam = adamFor(net, c);
  const batches = batchesFor(data, c.batch, seed, 10, 'auto', backend);
  let it = 0;
  return {
    step: () => {
      it++;
      tidy(() => {
        const { x, t } = batches.next();
        trainStep(net, adam, c, x, t, it, false);
      });
    },
    weights: async () => Promise.all(net.params.map((p) => p.tensor.read())),
    dispose: () => {
      batches.dispose();
      adam.dispose();
      net.dispose();
    },
  };
}

async function trainAlone(seed: number, steps: number): Promise<Float32Array[]> {
  const b = await createBackend();
  const r = run(b, seed);
  for (let i = 0; i < steps; i++) r.step();
  const w = await r.weights();
  r.dispose();
  b.destroy();
  return w;
}

describe('backends are objects: two in one process share nothing', () => {
  it('two models trained interleaved on two backends end with the same bits as each trained alone', async () => {
    const steps = 12;
    const alone = [await trainAlone(1, steps), await trainAlone(2, steps)];
    const [b1, b2] = [await createBackend(), await createBackend()];
    const runs = [run(b1, 1), run(b2, 2)];
    for (let i = 0; i < steps; i++) for (const r of runs) r.step();
    for (let k = 0; k < 2; k++) {
      const w = await runs[k].weights();
      w.forEach((p, i) =>
        expect(Buffer.from(p.buffer).equals(Buffer.from(alone[k][i].buffer)), `model ${k + 1} param ${i}`).toBe(true),
      );
      runs[k].dispose();
    }
    expect(b1.memory().liveTensors).toBe(0);
    expect(b2.memory().liveTensors).toBe(0);
    expect(b1.pipelines.compiled).toBeGreaterThan(0);
    b1.destroy();
    b2.destroy();
  });

  it("a backend on the application's own GPUDevice (as a page that already renders with one) runs ops on it", async () => {
    const entry = defaultBackend().gpu.entry!;
    const adapter = (await entry.requestAdapter())!;
    const device = await adapter.requestDevice();
    const b = await createBackend({ device });
    expect(b.gpu.device).toBe(device);
    const x = Tensor.fromArray([1, -2, 3, -4], [4], false, b);
    expect([...(await relu(mul(x, 2)).read())]).toEqual([2, 0, 6, 0]);
    const fromAdapter = await createBackend({ adapter: (await entry.requestAdapter())! }); // an adapter makes one device
    expect(fromAdapter.gpu.adapter.vendor).toBe(defaultBackend().gpu.adapter.vendor);
    expect(b.gpu.adapter.limits.maxStorageBufferBindingSize).toBe(device.limits.maxStorageBufferBindingSize);
    fromAdapter.destroy();
    b.destroy();
  });

  it('an op on tensors of two backends is refused, naming the op', async () => {
    const b = await createBackend();
    const x = Tensor.fromArray([1, 2, 3, 4], [4], false, b);
    const y = Tensor.fromArray([1, 2, 3, 4], [4]);
    expect(() => add(x, y)).toThrow(/add: inputs live on two different backends/);
    x.dispose();
    y.dispose();
    b.destroy();
  });

  it('memory() counts live tensors and bytes; dispose and tidy give them back', () => {
    const b = defaultBackend();
    const before = b.memory();
    const x = Tensor.fromArray(new Float32Array(256), [16, 16]);
    expect(b.memory().liveTensors).toBe(before.liveTensors + 1);
    expect(b.memory().liveBytes).toBe(before.liveBytes + 1024);
    tidy(() => {
      relu(add(x, x));
    });
    expect(b.memory().liveTensors).toBe(before.liveTensors + 1);
    x.dispose();
    expect(b.memory()).toMatchObject({ liveTensors: before.liveTensors, liveBytes: before.liveBytes });
  });

  it('10,000 untidied ops: after garbage collection the dropped tensors are back in the pool (live tensors bounded)', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'vitest runs with --expose-gc').toBeTypeOf('function');
    const b = defaultBackend();
    const before = { ...b.memory(), inUseBytes: b.pool.inUseBytes };
    const x = Tensor.fromArray(new Float32Array(64).fill(1), [64]);
    for (let i = 0; i < 10_000; i++) relu(add(x, x)); // 20,000 tensors dropped without dispose()
    await b.sync();
    for (let round = 0; round < 20 && b.memory().liveTensors > before.liveTensors + 100; round++) {
      gc!();
      await new Promise((done) => setTimeout(done, 20));
    }
    const after = b.memory();
    expect(after.liveTensors - before.liveTensors, 'live tensors after GC').toBeLessThan(100);
    expect(after.collected - before.collected).toBeGreaterThan(19_000);
    // Their buffers are free in the pool again (in use: what is still referenced), and trim() destroys them.
    expect(b.pool.inUseBytes - before.inUseBytes).toBeLessThan(100 * 256);
    x.dispose();
    b.pool.trim();
    expect(b.pool.pooledBytes).toBe(b.pool.inUseBytes);
  });
});

describe('scalar operands', () => {
  it('add, sub, mul and div take a number on either side, as PyTorch does', async () => {
    const x = Tensor.fromArray([1, -2, 3, 0.5], [4]);
    const r = await Promise.all(
      [add(x, 2), add(2, x), sub(x, 1), sub(1, x), mul(x, 3), mul(3, x), div(x, 4)].map((t) => t.read()),
    );
    const want = [
      [3, 0, 5, 2.5],
      [3, 0, 5, 2.5],
      [0, -3, 2, -0.5],
      [0, 3, -2, 0.5],
      [3, -6, 9, 1.5],
      [3, -6, 9, 1.5],
      [0.25, -0.5, 0.75, 0.125],
    ];
    r.forEach((v, i) => expect([...v], `case ${i}`).toEqual(want[i]));
    expect(() => add(2 as never, 3 as never)).toThrow(/add: needs at least one tensor operand/);
    expect(() => mul(x, '2' as never)).toThrow(/mul: operands are tensors or numbers, got string/);
    x.dispose();
  });
});
