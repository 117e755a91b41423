import { describe, expect, it } from 'vitest';
import * as shim from '../../scripts/gpu-kit/vitest-shim';

// The GPU kit runs the kernel tests under this shim: it must fail what vitest fails.
describe("the GPU kit's stand-in for vitest", () => {
  it('fails a wrong value, a missing matcher and a negated match; passes the right ones', async () => {
    expect(() => shim.expect(1).toBe(2)).toThrow('expected 1 to be 2');
    expect(() => shim.expect([1, 2]).toEqual([1, 3])).toThrow();
    expect(() => shim.expect([Number.POSITIVE_INFINITY]).toEqual([Number.NaN])).toThrow();
    expect(() => shim.expect(new Float32Array([1])).toEqual([1])).toThrow();
    expect(() => shim.expect(3).not.toBeGreaterThan(2)).toThrow();
    expect(() => (shim.expect(1) as unknown as { toSatisfy(): void }).toSatisfy()).toThrow('no matcher toSatisfy');
    expect(() => shim.expect(['a', 'b', 'c']).toEqual(shim.expect.arrayContaining(['c', 'a']))).not.toThrow();
    expect(() => shim.expect(['a']).toEqual(shim.expect.arrayContaining(['z']))).toThrow();
    expect(() => shim.expect(0.30000001).toBeCloseTo(0.3, 5)).not.toThrow();
    expect(() =>
      shim
        .expect(() => {
          throw new Error('bad shape');
        })
        .toThrow('shape'),
    ).not.toThrow();
    expect(() => shim.expect(() => 1).toThrow()).toThrow();
    await expect(shim.expect(Promise.resolve(1)).rejects.toThrow()).rejects.toThrow();
  });

  it('runs registered tests with their hooks and counts each failure', async () => {
    const order: string[] = [];
    shim.describe('outer', () => {
      shim.beforeAll(() => void order.push('beforeAll'));
      shim.afterEach(() => void order.push('afterEach'));
      shim.it('passes', () => void order.push('passes'));
      shim.it.each([1, 2])('case %s', (n) => shim.expect(n).toBe(1));
    });
    const lines: string[] = [];
    const r = await shim.runRegistered((l) => lines.push(l));
    expect(r).toMatchObject({ passed: 2, failed: 1 });
    expect(r.failures[0].test).toBe('outer > case 2');
    expect(order).toEqual(['beforeAll', 'passes', 'afterEach', 'afterEach']);
    expect(lines).toHaveLength(1);
  });
});
