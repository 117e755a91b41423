import { Option } from '@commander-js/extra-typings';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import type { Gpu } from '../gpu/device.js';
import { Tuner } from '../gpu/tuner.js';
import { FileTuneStore } from '../io/tune-file.js';
import { MATMUL_KERNEL } from '../ops/matmul.js';
import { defaultBackend } from '../gpu/default-backend.js';

const FORCEABLE: readonly string[] = MATMUL_KERNEL.variants;

/** --kernels: how matmul kernels are chosen. The default can come from $SPARSEGRAD_KERNELS. */
export const kernelsOption = () =>
  new Option(
    '--kernels <mode>',
    `matmul kernels: tuned (measured once per adapter and cached in ~/.cache/sparsegrad), rules (fixed rules, no measuring) or one kernel for every product (${FORCEABLE.join(', ')})`,
  )
    .default(process.env.SPARSEGRAD_KERNELS ?? 'tuned')
    .argParser((v) => {
      if (v !== 'tuned' && v !== 'rules' && !FORCEABLE.includes(v))
        throw new InvalidArgumentError(`"${v}" is not tuned, rules or one of ${FORCEABLE.join(', ')}`);
      return v;
    });

/** Applies --kernels; returns the tuner (and its cache file) when kernels are to be measured and the adapter can time them. */
export function applyKernels(mode: string, g: Gpu): { tuner: Tuner; cache: string } | null {
  const be = defaultBackend();
  be.kernels.pin({ matmul: null });
  be.kernels.tuner = null;
  if (mode === 'rules') return null;
  if (mode !== 'tuned') {
    be.kernels.pin({ matmul: mode });
    return null;
  }
  if (!g.hasTimestamps) {
    console.log('kernels: this adapter has no timestamp queries, so the fixed rules choose');
    return null;
  }
  const store = new FileTuneStore(g.adapter);
  return { tuner: new Tuner({ timer: (encode) => be.runner.timeGpu(encode), store }), cache: store.path };
}
