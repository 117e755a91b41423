import { describe, expect, it } from 'vitest';
import { rng, useGpu } from '../helpers';
import { Sequential, nn } from '../../src/nn/modules';
import { boundGraph } from '../../src/certify/graph';
import { crown, ibp, linfBoxes, marginSpecs } from '../../src/certify/bounds';
import { crownRef, denseGraph, forwardRef, ibpRef, linfBox, marginSpec } from '../../src/certify/reference';
import { pgd, pgdImages } from '../../src/adversarial/pgd';

useGpu();

// Random small nets, FC and conv (AvgPool, Flatten), ReLU everywhere; weights scaled so that a
// fair share of neurons is unstable at the ε used.
const nets: [string, () => Sequential, number[]][] = [
  [
    'FC 10-16-12-5',
    () => new Sequential([10], [nn.Linear(16), nn.ReLU(), nn.Linear(12), nn.ReLU(), nn.Linear(5)], { seed: 3 }),
    [10],
  ],
  [
    'conv 1×6×6: conv 3×3 same, ReLU, avg-pool 2, FC 8, ReLU, FC 4',
    () =>
      new Sequential(
        [1, 6, 6],
        [nn.Conv2d(3, 3, 'same'), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8), nn.ReLU(), nn.Linear(4)],
        { seed: 5 },
      ),
    [36],
  ],
  [
    'conv 2×5×5: conv 3×3 valid stride 2, ReLU, conv 1×1, ReLU, FC 3',
    () =>
      new Sequential(
        [2, 5, 5],
        [nn.Conv2d(4, 3, 'valid', 2), nn.ReLU(), nn.Conv2d(3, 1), nn.ReLU(), nn.Flatten(), nn.Linear(3)],
        { seed: 7 },
      ),
    [50],
  ],
];

const images = (n: number, pixels: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n * pixels }, () => r());
};

describe('certified bounds (IBP, CROWN) against the float64 reference', () => {
  for (const [what, make, [pixels]] of nets)
    it(`${what}: GPU bounds match the reference to 1e-4; no sampled point, vertex or PGD point goes below them; crown() is never looser than IBP`, async () => {
      const model = make();
      const steps = boundGraph(model, [pixels]);
      const dense = await denseGraph(steps);
      const classes = model.classes;
      const n = 12;
      const x = images(n, pixels, 11);
      const labels = Array.from({ length: n }, (_, i) => i % classes);
      const spec = marginSpecs(labels, classes);
      const rows = classes - 1;
      for (const eps of [0.02, 0.1, 0.3]) {
        const box = linfBoxes(x, eps);
        const gpuIbp = (await ibp(steps, box.lo, box.hi, n, spec, rows)).bounds;
        const c = await crown(steps, box.lo, box.hi, n, spec, rows);
        const gpuCrown = c.backward!;
        // The PGD point of each image: the margin attack's best.
        const attacked = await pgdImages(model, x, labels, pgd(eps, 40, { loss: 'margin', seed: 1 }), pixels);
        let unstable = 0;
        let looser = 0;
        let compared = 0;
        for (let i = 0; i < n; i++) {
          const xi = x.subarray(i * pixels, (i + 1) * pixels);
          const refBox = linfBox(xi, eps);
          const specRows = marginSpec(labels[i], classes);
          const refIbp = ibpRef(dense, refBox, specRows);
          const refCrown = crownRef(dense, refBox, specRows);
          unstable += refIbp.preActivation.reduce((s, b) => s + b.lo.filter((l, j) => l < 0 && b.hi[j] > 0).length, 0);
          const tol = (v: number) => 1e-4 * Math.max(1, Math.abs(v));
          for (let q = 0; q < rows; q++) {
            expect(Math.abs(gpuIbp[i * rows + q] - refIbp.bounds[q]), `IBP ε=${eps} image ${i} row ${q}`).toBeLessThan(
              tol(refIbp.bounds[q]),
            );
            expect(
              Math.abs(gpuCrown[i * rows + q] - refCrown.bounds[q]),
              `CROWN ε=${eps} image ${i} row ${q}`,
            ).toBeLessThan(tol(refCrown.bounds[q]));
            // The backward pass alone is not always tighter than IBP; what crown() returns is the larger.
            if (refCrown.bounds[q] < refIbp.bounds[q]) looser++;
            expect(c.bounds[i * rows + q]).toBe(Math.max(gpuCrown[i * rows + q], gpuIbp[i * rows + q]));
            expect(c.bounds[i * rows + q]).toBeGreaterThanOrEqual(gpuIbp[i * rows + q]);
            compared++;
          }
          // Soundness: the true minimum of each margin over the box is at least the bound.
          const margins = (z: Float64Array) => specRows.map((c) => c.reduce((s, cj, j) => s + cj * z[j], 0));
          const worst = new Float64Array(rows).fill(Infinity);
          const see = (point: ArrayLike<number>) =>
            margins(forwardRef(dense, point)).forEach((m, q) => {
              worst[q] = Math.min(worst[q], m);
            });
          const r = rng(100 + i);
          const samples = Math.ceil(1e5 / (n * 3));
          for (let t = 0; t < samples; t++)
            see(Float64Array.from(xi, (_, j) => refBox.lo[j] + r() * (refBox.hi[j] - refBox.lo[j])));
          for (let t = 0; t < 64; t++) see(Float64Array.from(xi, (_, j) => (r() < 0.5 ? refBox.lo[j] : refBox.hi[j]))); // random vertices
          see(attacked.subarray(i * pixels, (i + 1) * pixels));
          for (let q = 0; q < rows; q++) {
            expect(worst[q], `IBP unsound: ε=${eps} image ${i} row ${q}`).toBeGreaterThanOrEqual(
              refIbp.bounds[q] - 1e-9,
            );
            expect(worst[q], `CROWN unsound: ε=${eps} image ${i} row ${q}`).toBeGreaterThanOrEqual(
              refCrown.bounds[q] - 1e-9,
            );
          }
        }
        console.log(`${what} ε=${eps}: CROWN's backward pass below IBP on ${looser} of ${compared} margins`);
        if (eps >= 0.1)
          expect(
            unstable,
            `no unstable neuron at ε=${eps}: the test would not exercise the relaxation`,
          ).toBeGreaterThan(0);
      }
      steps.dispose();
      model.dispose();
    }, 300_000);
});
