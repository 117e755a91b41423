// npm run bench [-- section ...] [--cnn-model FILE] [--certify-model FILE] [--out FILE.json]: prints tables and
// writes results/bench-<adapter>.json (or --out).
// --certify-model: the certify section bounds this model instead of the main job's.
// --cnn-model: the sparse section's whole-CNN forward uses this trained CNN, fc1 pruned by magnitude.
import { setBenchData } from './common';
import { adapterName } from '../src/gpu/device';
import { initGpu } from '../src/gpu/node-gpu';
import { writeAtomic } from '../src/io/files';
import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import { SparsegradError } from '../src/util/errors';
import { benchMatmul } from './matmul';
import { benchTrain } from './train';
import { benchAdversarial } from './adversarial';
import { benchConv } from './conv';
import { benchSparse } from './sparse';
import { benchProfile } from './profile';
import { benchOverhead } from './overhead';
import { benchTune } from './tune';
import { benchSpmmMapping } from './spmm_mapping';
import { benchEpilogue } from './epilogue';
import { benchCertify } from './certify';
import { benchDefenceCost } from './defence-cost';

const args = process.argv.slice(2);
const modelAt = args.indexOf('--cnn-model');
const cnnModel = modelAt >= 0 ? args.splice(modelAt, 2)[1] : undefined;
if (modelAt >= 0 && (!cnnModel || !existsSync(cnnModel))) {
  console.error(
    `bench: --cnn-model needs a CNN checkpoint (.safetensors); ${cnnModel ? `${cnnModel} does not exist` : 'none given'}`,
  );
  process.exit(2);
}
const peakAt = args.indexOf('--peak-gflops');
const peakGflops = peakAt >= 0 ? Number(args.splice(peakAt, 2)[1]) : undefined;
if (peakAt >= 0 && !(peakGflops! > 0)) {
  console.error("bench: --peak-gflops needs the adapter's FP32 peak in GFLOP/s (e.g. 67000 for an H200)");
  process.exit(2);
}
const dataAt = args.indexOf('--data');
if (dataAt >= 0) {
  const source = args.splice(dataAt, 2)[1];
  if (!source) {
    console.error('bench: --data needs a source: embedded, fashion-mnist or a folder of MNIST IDX files');
    process.exit(2);
  }
  setBenchData(source);
}
const certifyAt = args.indexOf('--certify-model');
const certifyModel = certifyAt >= 0 ? args.splice(certifyAt, 2)[1] : undefined;
if (certifyAt >= 0 && !certifyModel) {
  console.error('bench: --certify-model needs a model.safetensors (Linear/Conv2d/AvgPool2d/ReLU layers)');
  process.exit(2);
}
const outAt = args.indexOf('--out');
const outFile = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
if (outAt >= 0 && !outFile?.endsWith('.json')) {
  console.error('bench: --out needs a file name ending in .json');
  process.exit(2);
}
const flags = args.filter((a) => a.startsWith('-'));
if (flags.length) {
  console.error(
    `bench: unknown option(s) ${flags.join(', ')}; known: --cnn-model FILE, --certify-model FILE, --peak-gflops X, --data SOURCE, --out FILE.json`,
  );
  process.exit(2);
}
const SECTIONS: Record<string, () => Promise<unknown>> = {
  matmul: benchMatmul,
  conv: benchConv,
  sparse: () => benchSparse({ cnnModel }),
  train: benchTrain,
  adversarial: benchAdversarial,
  profile: benchProfile,
  overhead: () => benchOverhead(),
  tune: () => benchTune(peakGflops),
  'spmm-mapping': benchSpmmMapping,
  epilogue: benchEpilogue,
  certify: () => benchCertify(certifyModel),
  'defence-cost': () => benchDefenceCost(),
};

const wanted = args;
const unknown = wanted.filter((w) => !SECTIONS[w]);
if (unknown.length) {
  console.error(`bench: unknown section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  process.exit(2);
}
const g = await initGpu();
const adapter = adapterName(g.gpu.adapter);
console.log(`adapter: ${adapter}; timestamps: ${g.gpu.hasTimestamps}; CPU: ${cpus().length} x ${cpus()[0]?.model}`);
const results: Record<string, unknown> = {};
try {
  for (const name of wanted.length ? wanted : Object.keys(SECTIONS)) results[name] = await SECTIONS[name]();
} catch (e) {
  // Bad input (a wrong checkpoint, a missing data folder) gets its message, not a stack trace.
  if (!(e instanceof SparsegradError)) throw e;
  console.error(`bench: ${e.message}`);
  process.exit(2);
}
const kind = g.gpu.adapter.architecture || g.gpu.adapter.vendor || 'gpu';
const file =
  outFile ?? `results/bench-${kind.replace(/[^\w.-]+/g, '_')}${wanted.length ? `-${wanted.join('-')}` : ''}.json`;
writeAtomic(
  file,
  JSON.stringify(
    {
      tool: 'sparsegrad bench',
      date: new Date().toISOString(),
      adapter: g.gpu.adapter,
      cpu: { cores: cpus().length, model: cpus()[0]?.model },
      results,
    },
    null,
    2,
  ),
);
console.log(`\nwrote ${file}`);
process.exit(0);
