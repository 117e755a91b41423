// Why some images survive PGD at a large ε: for the images a strong PGD left correct, the
// margin z_y − max_{j≠y} z_j and the input gradient of the margin loss at the last iterate.
// A zero gradient would mean the attack is blind there (masked gradients); a positive margin
// with a live gradient means it is a real (local) resistance.
// node scripts/build.mjs pgddiag bench/pgd_diagnose.ts && node dist/pgddiag.js MODEL DATA N EPS OUT.json
import { writeFileSync } from 'node:fs';
import { adapterName } from '../src/gpu/device';
import { initGpu } from '../src/gpu/node-gpu';
import { loadData } from '../src/data/node-loader';
import { take } from '../src/data/dataset';
import { modelFromSafetensors } from '../src/nn/checkpoint';
import { readBytes } from '../src/io/files';
import { pgd, pgdAttack, pgdImages } from '../src/adversarial/pgd';
import { Tensor, backward, tidyAsync } from '../src/tensor/tensor';
import { marginLoss } from '../src/ops/composite';
import { oneHot } from '../src/data/dataset';

const [modelFile, dataDir, nArg, epsArg, out] = process.argv.slice(2);
const g = await initGpu();
const { model } = modelFromSafetensors(readBytes(modelFile), modelFile);
const test = take(loadData(dataDir).test, Number(nArg));
const eps = Number(epsArg);
const s = pgd(eps, 100, { loss: 'margin', stepSize: (10 * eps) / 100 });
const r = await pgdAttack(model, test, s);
const robust = Array.from(r.succeeded, (v, i) => (v ? -1 : i)).filter(
  (i) => i >= 0 && r.predictions[i] === test.labels[i],
);
const images = new Float32Array(robust.length * test.pixels);
robust.forEach((i, k) => images.set(test.images.subarray(i * test.pixels, (i + 1) * test.pixels), k * test.pixels));
const labels = Uint8Array.from(robust, (i) => test.labels[i]);
const adv = await pgdImages(model, images, labels, s, test.pixels);
const per = await tidyAsync(async () => {
  const x = Tensor.fromArray(adv, [robust.length, test.pixels], true);
  const z = model.forward(x, { train: false });
  backward(marginLoss(z, Tensor.fromArray(oneHot(labels, 10), [robust.length, 10])));
  const [zs, gs] = [await z.read(), await x.grad!.read()];
  return robust.map((_, k) => {
    const row = Array.from(zs.subarray(k * 10, (k + 1) * 10));
    const y = labels[k];
    const other = Math.max(...row.filter((_, j) => j !== y));
    let l1 = 0;
    for (let p = 0; p < test.pixels; p++) l1 += Math.abs(gs[k * test.pixels + p]);
    return { index: robust[k], label: y, margin: row[y] - other, gradL1: l1 };
  });
});
const zeroGrad = per.filter((p) => p.gradL1 === 0).length;
const result = {
  tool: 'bench/pgd_diagnose.ts',
  adapter: adapterName(g.gpu.adapter),
  model: modelFile,
  images: test.count,
  epsilon: eps,
  attack: 'PGD margin, 100 steps, step 10·ε/100, random start, early stop',
  robustAccuracy: r.accuracy,
  robust: per.length,
  zeroGradient: zeroGrad,
  marginQuantiles: [0, 0.25, 0.5, 0.75, 1].map((q) => {
    const m = per.map((p) => p.margin).sort((a, b) => a - b);
    return m[Math.min(m.length - 1, Math.floor(q * m.length))];
  }),
  gradL1Quantiles: [0, 0.25, 0.5, 0.75, 1].map((q) => {
    const m = per.map((p) => p.gradL1).sort((a, b) => a - b);
    return m[Math.min(m.length - 1, Math.floor(q * m.length))];
  }),
  perImage: per,
};
writeFileSync(out, JSON.stringify(result, null, 2));
console.log(JSON.stringify({ ...result, perImage: undefined }, null, 1));
process.exit(0);
