import { MemoryTuneStore, Tuner } from '../src/gpu/tuner';
import { tuneMatmuls } from '../src/ops/matmul';
import { MATMUL_SHAPES } from './matmul';
import { printTable } from './common';
import { defaultBackend as backend } from '../src/gpu/default-backend';

/**
 * The tuner on the study's matmul shapes, measured afresh (nothing cached): every candidate's
 * median GPU ms, the winner, and how much it gains over the fixed rule. `peakGflops` (the
 * adapter's FP32 peak, from its data sheet) turns the winner's rate into a fraction of peak.
 */
export async function benchTune(peakGflops?: number) {
  if (!backend().gpu.hasTimestamps)
    return { note: 'this adapter has no timestamp queries: kernels are chosen by the fixed rules' };
  const store = new MemoryTuneStore();
  const tuner = new Tuner({ timer: (encode) => backend().runner.timeGpu(encode), store });
  const rows = [];
  for (const [M, K, N, transA, transB, what] of MATMUL_SHAPES) {
    const [r] = await tuneMatmuls(backend(), tuner, [JSON.stringify(['matmul', M, K, N, transA, transB])], 2 ** 31);
    const ms = r.ms ?? {};
    const rule = store.get(r.bucket)?.rule ?? r.winner;
    const gflops = ms[r.winner] ? (2 * M * N * K) / ms[r.winner] / 1e6 : null;
    rows.push({
      what,
      M,
      K,
      N,
      transA,
      transB,
      bucket: r.bucket,
      winner: r.winner,
      rule,
      ms,
      gainOverRule: ms[rule] && ms[r.winner] ? ms[rule] / ms[r.winner] : null,
      gflops,
      fractionOfPeak: gflops && peakGflops ? gflops / peakGflops : null,
    });
  }
  printTable(
    'Kernel choice by measurement (median GPU ms of each candidate; the winner; rule ms / winner ms)',
    ['shape', 'winner', 'rule', 'gain', 'GFLOP/s', 'of peak', 'candidates (ms)'],
    rows.map((r) => [
      r.what,
      r.winner,
      r.rule,
      r.gainOverRule ?? '-',
      r.gflops ?? '-',
      r.fractionOfPeak ?? '-',
      Object.entries(r.ms)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', '),
    ]),
  );
  return { peakGflops: peakGflops ?? null, rows };
}
