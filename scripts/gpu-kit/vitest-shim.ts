// The part of vitest's API the kernel tests use, for the GPU kit: a machine lent for a GPU check
// has no Node and no node_modules, so the kernel test files are bundled with this in vitest's place.
// Matchers compare the way vitest's do; a matcher this shim lacks fails the test by name, never passes.
import { isDeepStrictEqual } from 'node:util';

type Fn = () => unknown;
interface Suite {
  name: string;
  tests: { name: string; fn: Fn }[];
  children: Suite[];
  beforeAll: Fn[];
  afterAll: Fn[];
  afterEach: Fn[];
  parent?: Suite;
}
const newSuite = (name: string, parent?: Suite): Suite => ({
  name,
  tests: [],
  children: [],
  beforeAll: [],
  afterAll: [],
  afterEach: [],
  parent,
});
const root = newSuite('');
let current = root;

const format = (name: string, arg: unknown) => name.replace('%s', String(arg)).replace('%i', String(arg));
function describeImpl(name: string, fn: Fn): void {
  const suite = newSuite(name, current);
  current.children.push(suite);
  const outer = current;
  current = suite;
  fn();
  current = outer;
}
function itImpl(name: string, fnOrOptions?: unknown, maybeFn?: unknown): void {
  const fn = (typeof fnOrOptions === 'function' ? fnOrOptions : maybeFn) as Fn;
  current.tests.push({ name, fn });
}
const each =
  <T extends (name: string, fn: Fn) => void>(register: T) =>
  (cases: readonly unknown[]) =>
  (name: string, fn: (...a: unknown[]) => unknown) => {
    for (const c of cases) register(format(name, c), () => (Array.isArray(c) ? fn(...c) : fn(c)));
  };
export const describe = Object.assign(describeImpl, { each: each(describeImpl) });
export const it = Object.assign(itImpl, { each: each(itImpl) });
export const test = it;
export const beforeAll = (fn: Fn) => current.beforeAll.push(fn);
export const afterAll = (fn: Fn) => current.afterAll.push(fn);
export const afterEach = (fn: Fn) => current.afterEach.push(fn);

function matchesObject(actual: unknown, expected: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return isDeepStrictEqual(actual, expected);
  if (typeof actual !== 'object' || actual === null) return false;
  return Object.entries(expected).every(([k, v]) => matchesObject((actual as Record<string, unknown>)[k], v));
}
function thrown(fn: Fn): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
function throwMatches(error: unknown, want?: unknown): boolean {
  if (error === undefined) return false;
  if (want === undefined) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof want === 'string') return message.includes(want);
  if (want instanceof RegExp) return want.test(message);
  if (typeof want === 'function') return error instanceof want;
  return false;
}
/** expect.arrayContaining and its kind: an expected value that decides for itself. */
class Asymmetric {
  constructor(readonly matches: (actual: unknown) => boolean) {}
}
/**
 * vitest's toEqual: Object.is on values (NaN equals NaN, +0 is not -0), undefined properties
 * ignored, arrays and typed arrays element by element, typed arrays only of the same kind.
 */
function equalLoose(a: unknown, b: unknown): boolean {
  if (b instanceof Asymmetric) return b.matches(a);
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    const [x, y] = [a as unknown as ArrayLike<unknown>, b as unknown as ArrayLike<unknown>];
    return (
      a.constructor === b.constructor && x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]))
    );
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = (o: object) => Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
  const [ka, kb] = [keys(a), keys(b)];
  return (
    ka.length === kb.length &&
    ka.every((k) => equalLoose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

function matchers(actual: unknown, note: string | undefined, negate: boolean) {
  const check = (ok: boolean, what: string) => {
    if (ok === negate) {
      const shown = typeof actual === 'object' ? JSON.stringify(actual)?.slice(0, 200) : String(actual);
      throw new Error(`${note ? `${note}: ` : ''}expected ${shown} ${negate ? 'not ' : ''}${what}`);
    }
  };
  const n = actual as number;
  return {
    toBe: (e: unknown) => check(Object.is(actual, e), `to be ${String(e)}`),
    toEqual: (e: unknown) => check(equalLoose(actual, e), `to equal ${JSON.stringify(e)?.slice(0, 200)}`),
    toStrictEqual: (e: unknown) => check(isDeepStrictEqual(actual, e), 'to strictly equal'),
    toBeGreaterThan: (e: number) => check(n > e, `> ${e}`),
    toBeGreaterThanOrEqual: (e: number) => check(n >= e, `>= ${e}`),
    toBeLessThan: (e: number) => check(n < e, `< ${e}`),
    toBeLessThanOrEqual: (e: number) => check(n <= e, `<= ${e}`),
    toBeCloseTo: (e: number, digits = 2) => check(Math.abs(n - e) < 10 ** -digits / 2, `close to ${e}`),
    toContain: (e: unknown) => check((actual as { includes(x: unknown): boolean }).includes(e), `to contain ${e}`),
    toMatchObject: (e: unknown) => check(matchesObject(actual, e), `to match ${JSON.stringify(e)}`),
    toHaveLength: (e: number) => check((actual as { length: number }).length === e, `to have length ${e}`),
    toBeTypeOf: (e: string) => check(typeof actual === e, `to be of type ${e}`),
    toBeNull: () => check(actual === null, 'to be null'),
    toBeUndefined: () => check(actual === undefined, 'to be undefined'),
    toBeDefined: () => check(actual !== undefined, 'to be defined'),
    toBeTruthy: () => check(Boolean(actual), 'to be truthy'),
    toBeFalsy: () => check(!actual, 'to be falsy'),
    toBeInstanceOf: (e: new (...a: never[]) => unknown) => check(actual instanceof e, `to be a ${e.name}`),
    toThrow: (e?: unknown) => check(throwMatches(thrown(actual as Fn), e), `to throw ${String(e ?? '')}`),
  };
}
type Matchers = ReturnType<typeof matchers>;
expect.arrayContaining = (want: unknown[]) =>
  new Asymmetric((a) => Array.isArray(a) && want.every((w) => a.some((x) => equalLoose(x, w))));

export function expect(actual: unknown, note?: string) {
  const unknownMatcher = {
    get: (t: object, k: string | symbol) =>
      k in t
        ? t[k as keyof typeof t]
        : () => {
            throw new Error(
              `the GPU kit's test runner has no matcher ${String(k)}: add it to scripts/gpu-kit/vitest-shim.ts`,
            );
          },
  };
  const wrap = (m: Matchers) => new Proxy(m, unknownMatcher) as Matchers;
  const settle = async () => {
    try {
      return { value: await actual, error: undefined as unknown };
    } catch (e) {
      return { value: undefined, error: e ?? new Error('rejected') };
    }
  };
  return Object.assign(wrap(matchers(actual, note, false)), {
    not: wrap(matchers(actual, note, true)),
    resolves: new Proxy(
      {},
      {
        get:
          (_t, k: string) =>
          async (...a: unknown[]) => {
            const r = await settle();
            if (r.error !== undefined)
              throw new Error(`${note ?? ''} expected to resolve, rejected: ${String(r.error)}`);
            return (matchers(r.value, note, false) as Record<string, (...x: unknown[]) => unknown>)[k](...a);
          },
      },
    ),
    rejects: new Proxy(
      {},
      {
        get: (_t, k: string) => async (e?: unknown) => {
          const r = await settle();
          if (k !== 'toThrow') throw new Error(`the GPU kit's test runner has no rejects.${k}`);
          if (!throwMatches(r.error, e))
            throw new Error(`${note ?? ''} expected to reject with ${String(e ?? 'an error')}`);
        },
      },
    ) as { toThrow(e?: unknown): Promise<void> },
  });
}

/** Runs every registered test in order; returns counts and the failures with their messages. */
export async function runRegistered(log: (line: string) => void) {
  const result = { passed: 0, failed: 0, failures: [] as { test: string; error: string }[] };
  async function run(suite: Suite, path: string[]): Promise<void> {
    const names = suite.name ? [...path, suite.name] : path;
    const hooks = (s: Suite | undefined, pick: (s: Suite) => Fn[]): Fn[] =>
      s ? [...hooks(s.parent, pick), ...pick(s)] : [];
    try {
      for (const h of suite.beforeAll) await h();
    } catch (e) {
      result.failed += 1;
      result.failures.push({ test: `${names.join(' > ')} (beforeAll)`, error: String(e) });
      return;
    }
    for (const t of suite.tests) {
      const name = [...names, t.name].join(' > ');
      try {
        await t.fn();
        for (const h of hooks(suite, (s) => s.afterEach)) await h();
        result.passed += 1;
      } catch (e) {
        result.failed += 1;
        result.failures.push({ test: name, error: e instanceof Error ? e.message : String(e) });
        log(`FAIL ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const c of suite.children) await run(c, names);
    for (const h of suite.afterAll) await h();
  }
  await run(root, []);
  return result;
}
