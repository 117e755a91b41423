// Certified bounds: images/s of the GPU's IBP and CROWN against the float64 CPU reference, the
// same model, images and ε, in the same run (and the largest difference of their bounds).
import { existsSync } from 'node:fs';
import { benchData } from './common';
import { readBytes } from '../src/io/files';
import { loadModelBytes } from '../src/nn/model';
import { boundGraph } from '../src/certify/graph';
import { crown, ibp, linfBoxes, marginSpecs } from '../src/certify/bounds';
import { crownRef, denseGraph, ibpRef, linfBox, marginSpec } from '../src/certify/reference';
import { take } from '../src/data/dataset';

const MAIN_JOB_MODEL = 'results/study-embedded/model-seed1/model.safetensors'; // 784-256-128-10

/**
 * `modelFile`: another model (e.g. the paper FC net, `--certify-model`); a large one gets fewer
 * images (CROWN's cost grows with the square of the widths), stated in each row.
 */
export async function benchCertify(modelFile = MAIN_JOB_MODEL): Promise<unknown> {
  const MODEL = modelFile;
  if (!existsSync(`${MODEL}`) && !existsSync(`${MODEL}.gz`)) throw new Error(`bench certify: ${MODEL} is missing`);
  const { model } = loadModelBytes(readBytes(MODEL), MODEL);
  const large = model.numParameters() > 1e6;
  const data = benchData();
  const steps = boundGraph(model, [data.test.pixels]);
  const dense = await denseGraph(steps);
  const classes = model.classes,
    P = data.test.pixels;
  const rows: Record<string, unknown>[] = [];
  for (const eps of large ? [0.01, 0.02] : [0.01, 0.03]) {
    for (const method of ['ibp', 'crown'] as const) {
      const n = method === 'ibp' ? 500 : large ? 40 : 200,
        nRef = method === 'ibp' ? (large ? 20 : 100) : large ? 2 : 5;
      const bound = (k: number) => {
        const test = take(data.test, k);
        const { lo, hi } = linfBoxes(test.images, eps);
        return {
          test,
          run: () => (method === 'ibp' ? ibp : crown)(steps, lo, hi, k, marginSpecs(test.labels, classes), classes - 1),
        };
      };
      await bound(Math.min(n, 10)).run(); // warm-up: pipelines
      const { test, run } = bound(n);
      const t0 = performance.now();
      const gpu = await run();
      const gpuSeconds = (performance.now() - t0) / 1000;
      let worst = 0;
      const t1 = performance.now();
      for (let i = 0; i < nRef; i++) {
        const box = linfBox(test.images.subarray(i * P, (i + 1) * P), eps);
        const want = (method === 'ibp' ? ibpRef : crownRef)(dense, box, marginSpec(test.labels[i], classes)).bounds;
        const got = method === 'crown' ? gpu.backward! : gpu.bounds;
        want.forEach((w, q) => {
          worst = Math.max(worst, Math.abs(got[i * (classes - 1) + q] - w) / Math.max(1, Math.abs(w)));
        });
      }
      const refSeconds = (performance.now() - t1) / 1000;
      const row = {
        eps,
        method,
        gpuImagesPerSecond: n / gpuSeconds,
        referenceImagesPerSecond: nRef / refSeconds,
        speedup: n / gpuSeconds / (nRef / refSeconds),
        largestRelativeDifference: worst,
        images: { gpu: n, reference: nRef },
      };
      rows.push(row);
      console.log(
        `certify ${method} ε=${eps}: GPU ${row.gpuImagesPerSecond.toFixed(1)} images/s, float64 reference ${row.referenceImagesPerSecond.toFixed(2)} images/s (${row.speedup.toFixed(1)}x); bounds agree to ${worst.toExponential(1)}`,
      );
    }
  }
  steps.dispose();
  model.dispose();
  return { model: MODEL, rows };
}
