import { describe, expect, it } from 'vitest';
import { checkOp, randomArray, useGpu } from '../helpers';
import { matmul, matmulKernel, matmulCandidates, type MatmulKernel, tiledStaging } from '../../src/ops/matmul';
import { subgroupKernelsFit, type KernelPath } from '../../src/gpu/kernel-path';
import { Tensor } from '../../src/tensor/tensor';
import { refMatmul } from '../ref/ref';
import { defaultBackend as backend } from '../../src/gpu/default-backend';

useGpu();

// [M, K, N]: odd sizes, 1s, and sizes that are not multiples of either kernel's tile
// (plain: 64×32, subgroup: 16 × 4·WG); then multiples of 4, which the subgroup path runs with
// vec4 loads (K = 50, 1 and 6: only with A transposed and B not, where k needs no vectors);
// then an even N that is not a multiple of 4, which that kernel reads from B [K,N] as vec2 pairs.
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [65, 17, 129],
  [3, 257, 2],
  [130, 70, 66],
  [33, 9, 257],
  [4, 4, 4],
  [36, 52, 20],
  [100, 36, 132],
  [36, 50, 20],
  [4, 1, 8],
  [20, 6, 12],
  [36, 52, 22],
  [16, 7, 10],
  [12, 8, 2],
  [100, 36, 250],
];
/** The subgroup-path kernel these dimensions should run on (whole vectors only). */
function subgroupKernelFor(M: number, K: number, N: number, transA: boolean, transB: boolean): string {
  if (!(transA ? M % 4 === 0 : K % 4 === 0)) return 'subgroup';
  if (transB) return K % 4 === 0 ? 'subgroup-vec4' : 'subgroup';
  return N % 4 === 0 ? 'subgroup-vec4' : N % 2 === 0 ? 'subgroup-vec4-b2' : 'subgroup';
}
const KERNELS: KernelPath[] = ['plain', 'subgroup'];

/** C = op(A)·op(B) and both gradients against the float64 reference, on whichever kernel is forced. */
const checkMatmul = (kernel: string, M: number, K: number, N: number, transA: boolean, transB: boolean) =>
  checkOp({
    name: `matmul (${kernel})`,
    shapes: [transA ? [K, M] : [M, K], transB ? [N, K] : [K, N]],
    gpu: (a, b) => matmul(a, b, { transA, transB }),
    ref: (a, b) => refMatmul(a, b, transA, transB),
    rtol: 1e-4,
    atol: 1e-5 * Math.sqrt(K),
    gradAtol: 1e-3,
  });

describe.each(KERNELS)('matmul, %s kernel', (kernel) => {
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const [M, K, N] of SIZES) {
        it(`M=${M} K=${K} N=${N} transA=${transA} transB=${transB}`, async () => {
          if (kernel === 'subgroup' && !subgroupKernelsFit(backend())) {
            // This adapter cannot run it: forcing it must fail with a clear error, not run wrong.
            backend().kernels.pin({ path: kernel });
            const x = Tensor.zeros([2, 2]);
            expect(() => matmul(x, x)).toThrow(/subgroups of >= 8 lanes/);
            x.dispose();
            return;
          }
          backend().kernels.pin({ path: kernel });
          const expected = kernel === 'plain' ? 'plain' : subgroupKernelFor(M, K, N, transA, transB);
          expect(matmulKernel(backend(), M, K, N, transA, transB)).toBe(expected);
          await checkMatmul(kernel, M, K, N, transA, transB);
        });
      }
});

// The vec4 kernel adds the same products in the same order as the scalar-load one, so results
// (and every committed run) do not depend on which of the two ran.
describe('matmul, vec4 loads (B as vec4 or vec2 pairs)', () => {
  for (const [M, K, N, transA, transB] of [
    [100, 36, 132, false, true],
    [100, 36, 132, false, false],
    [36, 50, 20, true, false],
    [36, 52, 20, true, true],
    [100, 36, 250, false, false],
    [16, 7, 10, true, false],
  ] as const)
    it(`bit-identical to scalar loads: M=${M} K=${K} N=${N} transA=${transA} transB=${transB}`, async () => {
      if (!subgroupKernelsFit(backend())) return expect(matmulKernel(backend(), M, K, N, transA, transB)).toBe('plain');
      backend().kernels.pin({ path: 'subgroup' });
      const a = Tensor.fromArray(randomArray(M * K, 7), transA ? [K, M] : [M, K]);
      const b = Tensor.fromArray(randomArray(K * N, 8), transB ? [N, K] : [K, N]);
      const out: Float32Array[] = [];
      for (const scalar of [true, false]) {
        backend().kernels.pin({ 'matmul.loads': scalar ? 'scalar' : null });
        expect(matmulKernel(backend(), M, K, N, transA, transB)).toBe(
          scalar ? 'subgroup' : subgroupKernelFor(M, K, N, transA, transB),
        );
        if (!scalar) expect(matmulKernel(backend(), M, K, N, transA, transB)).not.toBe('subgroup');
        const c = matmul(a, b, { transA, transB });
        out.push(await c.read());
        c.dispose();
      }
      backend().kernels.pin({ 'matmul.loads': null });
      expect(new Uint32Array(out[1].buffer)).toEqual(new Uint32Array(out[0].buffer)); // same bits
      expect(out[0].some((v) => v !== 0)).toBe(true);
      a.dispose();
      b.dispose();
    });
});

// The GPU-classic tiled GEMM (64×64 tiles in workgroup memory), whole and with K split into
// stretches whose partial products are summed: every shape above, plus long K.
const TILED: MatmulKernel[] = ['tiled', 'tiled-k3', 'tiled-k16'];
describe.each(TILED)('matmul, %s kernel', (kernel) => {
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const [M, K, N] of [...SIZES, [70, 1030, 9], [5, 4100, 66]] as [number, number, number][]) {
        it(`M=${M} K=${K} N=${N} transA=${transA} transB=${transB}`, async () => {
          backend().kernels.pin({ matmul: kernel });
          expect(matmulKernel(backend(), M, K, N, transA, transB)).toBe(kernel);
          await checkMatmul(kernel, M, K, N, transA, transB);
          backend().kernels.pin({ matmul: null });
        });
      }
});

it('the tiled cases stage A and B both ways: vec4 where the contiguous dimension allows, scalar elsewhere', () => {
  const seen = new Set<string>();
  for (const transA of [false, true])
    for (const transB of [false, true])
      for (const [M, K, N] of SIZES) {
        const { aVec4, bVec4 } = tiledStaging(M, K, N, transA, transB);
        seen.add(`${aVec4}/${bVec4}`);
      }
  expect([...seen].sort()).toEqual(['false/false', 'false/true', 'true/false', 'true/true']);
});

describe('matmul candidates', () => {
  it('plain and tiled everywhere, subgroup kernels where the adapter runs them, split-K only for long K', () => {
    backend().kernels.pin({ path: null });
    const short = matmulCandidates(backend(), 100, 36, 132, false, true);
    expect(short).toContain('plain');
    expect(short).toContain('tiled');
    expect(short.some((k) => k.startsWith('tiled-k'))).toBe(false);
    expect(short.includes('subgroup')).toBe(subgroupKernelsFit(backend()));
    const long = matmulCandidates(backend(), 1500, 15680, 250, true, false);
    expect(long).toEqual(expect.arrayContaining(['tiled-k2', 'tiled-k4', 'tiled-k8', 'tiled-k16']));
    expect(matmulCandidates(backend(), 64, 1024, 64, false, false).filter((k) => k.startsWith('tiled-k'))).toEqual([
      'tiled-k2',
      'tiled-k4',
    ]);
  });
});

describe('long products split into several dispatches', () => {
  it('under a small work budget every kernel splits by row blocks and gives the same bits', async () => {
    const { dispatchBudget } = backend();
    const [M, K, N] = [300, 70, 90];
    const a = Tensor.fromArray(randomArray(M * K, 3), [M, K]);
    const b = Tensor.fromArray(randomArray(K * N, 4), [K, N]);
    for (const kernel of [
      'plain',
      'tiled',
      'tiled-k3',
      ...(subgroupKernelsFit(backend()) ? ['subgroup'] : []),
    ] as MatmulKernel[]) {
      backend().kernels.pin({ matmul: kernel });
      const run = async (flop: number) => {
        const saved = dispatchBudget.flop;
        dispatchBudget.flop = flop;
        const d0 = backend().runner.dispatches;
        const c = matmul(a, b);
        const dispatches = backend().runner.dispatches - d0;
        dispatchBudget.flop = saved;
        const out = await c.read();
        c.dispose();
        return { out, dispatches };
      };
      const whole = await run(1e12),
        split = await run(2 * 64 * N * K); // one block of 64 rows (16 for subgroup: 4) per dispatch
      expect(split.dispatches, kernel).toBeGreaterThan(whole.dispatches + 2);
      expect(new Uint32Array(split.out.buffer), kernel).toEqual(new Uint32Array(whole.out.buffer));
    }
    backend().kernels.pin({ matmul: null });
    a.dispose();
    b.dispose();
  });
});
