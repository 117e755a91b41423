/**
 * Kernel choice by measurement: for one op and shape bucket, time each candidate variant on
 * the adapter at hand and keep the fastest. Winners are stored (on disk per adapter and
 * driver, see tune-store.ts), so a shape is measured once per machine. Where the adapter has
 * no timestamp queries the rule-based choice stands.
 */

/** One way to run the work: `encode` records it once (no submit). */
export interface Candidate {
  variant: string;
  encode: () => void;
}

/** GPU ms of the work `encode` records; null where the adapter cannot time it (no timestamps). */
export type GpuTimer = (encode: () => void) => Promise<number | null>;

/** What was measured for one bucket: the winner and each candidate's median ms. */
export interface TuneRecord {
  winner: string;
  ms: Record<string, number>;
  rule: string;
}

export interface TuneStore {
  get(key: string): TuneRecord | undefined;
  set(key: string, record: TuneRecord): void;
}

export class MemoryTuneStore implements TuneStore {
  private records = new Map<string, TuneRecord>();
  get(key: string): TuneRecord | undefined {
    return this.records.get(key);
  }
  set(key: string, record: TuneRecord): void {
    this.records.set(key, record);
  }
  entries(): [string, TuneRecord][] {
    return [...this.records];
  }
}

export interface TunerOptions {
  timer: GpuTimer;
  store: TuneStore;
  /** Each candidate is repeated until its timed runs add up to this much GPU time… */
  minMs?: number;
  /** …or it has run this many times. */
  maxReps?: number;
  /** GPU time one choice may spend; candidates left when it is spent are not measured. */
  budgetMs?: number;
  /** The rule's choice is kept unless another is faster by more than this fraction. */
  tie?: number;
}

export type TuneSource = 'cache' | 'measured' | 'rule';
export interface TuneResult {
  winner: string;
  source: TuneSource;
  record?: TuneRecord;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((p, q) => p - q);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

export class Tuner {
  readonly minMs: number;
  readonly maxReps: number;
  readonly budgetMs: number;
  readonly tie: number;
  constructor(private opts: TunerOptions) {
    this.minMs = opts.minMs ?? 20;
    this.maxReps = opts.maxReps ?? 15;
    this.budgetMs = opts.budgetMs ?? 3000;
    this.tie = opts.tie ?? 0.03;
  }

  /** The stored winner for `key`, if one was measured (synchronous: for dispatch time). */
  lookup(key: string): string | undefined {
    return this.opts.store.get(key)?.winner;
  }

  /**
   * The variant to run for `key`: the stored winner if it is still a candidate, else measured
   * now (and stored), else — no timestamps — `rule`.
   */
  async choose(key: string, candidates: Candidate[], rule: string): Promise<TuneResult> {
    if (!candidates.some((c) => c.variant === rule))
      throw new Error(
        `tuner ${key}: the rule's choice "${rule}" is not among the candidates ${candidates.map((c) => c.variant).join(', ')}`,
      );
    const stored = this.opts.store.get(key);
    if (stored && candidates.some((c) => c.variant === stored.winner))
      return { winner: stored.winner, source: 'cache', record: stored };
    if (candidates.length === 1) return { winner: rule, source: 'rule' };
    // The rule's choice first, so that it is measured even when the budget runs out.
    const ordered = [candidates.find((c) => c.variant === rule)!, ...candidates.filter((c) => c.variant !== rule)];
    const ms: Record<string, number> = {};
    let spent = 0;
    for (const c of ordered) {
      if (spent >= this.budgetMs) break;
      const warm = await this.opts.timer(c.encode); // compiles the pipeline, touches the buffers
      if (warm === null) return { winner: rule, source: 'rule' };
      spent += warm;
      const times: number[] = [];
      let sum = 0;
      while (times.length < this.maxReps && (times.length < 3 || sum < this.minMs) && spent < this.budgetMs) {
        const t = (await this.opts.timer(c.encode))!;
        times.push(t);
        sum += t;
        spent += t;
      }
      if (times.length) ms[c.variant] = median(times);
    }
    const measured = Object.entries(ms);
    if (!(rule in ms)) return { winner: rule, source: 'rule' };
    let [winner, best] = measured.reduce((p, q) => (q[1] < p[1] ? q : p));
    if (ms[rule] <= best * (1 + this.tie)) [winner, best] = [rule, ms[rule]];
    const record: TuneRecord = { winner, ms, rule };
    this.opts.store.set(key, record);
    return { winner, source: 'measured', record };
  }
}
