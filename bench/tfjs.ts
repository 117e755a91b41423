/** tfjs-core with its WebGPU backend on this process's dawn.node (null if it will not start). */
async function tfjsOnWebgpu() {
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    const mod = (await import('webgpu')) as unknown as { create: (f: string[]) => unknown; globals: object };
    Object.assign(globalThis, mod.globals);
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu: mod.create([]), userAgent: 'node' },
      configurable: true,
    });
  }
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js'); // what @tensorflow/tfjs does for training
  await import('@tensorflow/tfjs-backend-webgpu');
  return (await tf.setBackend('webgpu')) ? tf : null;
}

/**
 * The peer a WebGPU user would pick today: @tensorflow/tfjs-backend-webgpu, on the same
 * adapter (Node, through the same dawn.node). Timed wall-clock: `reps` products queued, then one
 * readback (tfjs has no other way to wait for its queue).
 */
export async function tfjsMatmul(
  shapes: [number, number, number, boolean, boolean, string][],
): Promise<{ results: number[] | null; note?: string }> {
  try {
    const tf = await tfjsOnWebgpu();
    if (!tf) return { results: null, note: 'tfjs webgpu backend did not initialise' };
    const results: number[] = [];
    for (const [M, K, N, ta, tb] of shapes) {
      const a = tf.randomUniform(ta ? [K, M] : [M, K]);
      const b = tf.randomUniform(tb ? [N, K] : [K, N]);
      const run = async (reps: number) => {
        const cs = Array.from({ length: reps }, () => tf.matMul(a as never, b as never, ta, tb));
        await cs[reps - 1].data(); // one wait for the whole batch, as our timing waits once
        cs.forEach((c) => c.dispose());
      };
      await run(1);
      const reps = 3;
      const t0 = performance.now();
      await run(reps);
      const ms = (performance.now() - t0) / reps;
      results.push((2 * M * N * K) / ms / 1e6);
      a.dispose();
      b.dispose();
    }
    return { results, note: 'tfjs timed wall-clock: 3 products then one readback' };
  } catch (e) {
    return { results: null, note: `tfjs-backend-webgpu skipped: ${(e as Error).message}` };
  }
}

/**
 * The study's FC training step in tfjs-webgpu, as a tfjs user would write it: dense layers with
 * ReLU and dropout, the quadratic loss, L2 on the weights, Adam through optimizer.minimize.
 * Same sizes and batch as ours; iterations/s over `iterations` steps with one readback at the end.
 */
export async function tfjsTrainFc(
  hidden: number[],
  batch: number,
  keep: number,
  l2: number,
  lr: number,
  iterations: number,
): Promise<{ iterationsPerSecond: number | null; note?: string }> {
  try {
    const tf = await tfjsOnWebgpu();
    if (!tf) return { iterationsPerSecond: null, note: 'tfjs webgpu backend did not initialise' };
    const sizes = [784, ...hidden, 10];
    const weights = sizes
      .slice(1)
      .map((d, i) => tf.variable(tf.randomUniform([sizes[i], d], -1 / Math.sqrt(sizes[i]), 1 / Math.sqrt(sizes[i]))));
    const biases = sizes.slice(1).map((d) => tf.variable(tf.zeros([d])));
    const optimizer = tf.train.adam(lr);
    const x = tf.randomUniform([batch, 784]);
    const t = tf.cast(
      tf.oneHot(
        tf.tensor1d(
          Array.from({ length: batch }, (_, i) => i % 10),
          'int32',
        ),
        10,
      ),
      'float32',
    );
    const step = () =>
      optimizer.minimize(() => {
        let h: import('@tensorflow/tfjs-core').Tensor = x;
        weights.forEach((w, i) => {
          h = tf.add(tf.matMul(h as never, w as never), biases[i]);
          if (i < weights.length - 1) h = tf.dropout(tf.relu(h), 1 - keep);
        });
        const data = tf.div(tf.sum(tf.square(tf.sub(h, t))), 2 * batch);
        const penalty = tf.mul(l2 / 2, tf.addN(weights.map((w) => tf.sum(tf.square(w)))));
        return tf.add(data, penalty) as import('@tensorflow/tfjs-core').Scalar;
      }, true);
    const run = async (n: number) => {
      let loss: import('@tensorflow/tfjs-core').Scalar | null = null;
      for (let i = 0; i < n; i++) {
        loss?.dispose();
        loss = step();
      }
      await loss!.data();
      loss!.dispose();
    };
    await run(2); // compiles its shaders
    const t0 = performance.now();
    await run(iterations);
    const iterationsPerSecond = iterations / ((performance.now() - t0) / 1000);
    [...weights, ...biases, x, t].forEach((v) => v.dispose());
    optimizer.dispose();
    return {
      iterationsPerSecond,
      note: `tfjs ${tf.version_core} webgpu backend, optimizer.minimize with Adam; ${iterations} steps, one readback at the end`,
    };
  } catch (e) {
    return { iterationsPerSecond: null, note: `tfjs-backend-webgpu skipped: ${(e as Error).message}` };
  }
}
