/**
 * The peer a WebGPU user would pick today: @tensorflow/tfjs-backend-webgpu, on the same
 * adapter (Node, through the same dawn.node). Timed wall-clock: `reps` products queued, then one
 * readback (tfjs has no other way to wait for its queue).
 */
export async function tfjsMatmul(shapes: [number, number, number, boolean, boolean, string][]): Promise<{ results: number[] | null; note?: string }> {
  try {
    const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
    if (!g.navigator?.gpu) {
      const { create } = (await import('webgpu')) as unknown as { create: (f: string[]) => unknown };
      Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]), userAgent: 'node' }, configurable: true });
    }
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return { results: null, note: 'tfjs webgpu backend did not initialise' };
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
