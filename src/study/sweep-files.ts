import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { migrateConfig } from '../nn/config.js';
import { join } from 'node:path';
import { readResult, resultExists, writeAtomic } from '../io/files.js';
import { ConfigError, DataError } from '../util/errors.js';
import {
  sweepUnits,
  summariseSeeds,
  rowsPerUnit,
  unitKey as keyOf,
  type SweepRow,
  type SweepSpec,
  type SweepUnit,
} from './sweep.js';

/** What identifies a sweep: the same header means the same sweep (resume, shards, merge). */
export interface SweepHeader {
  tool: 'sparsegrad sweep';
  spec: SweepSpec;
  models: { name: string; seed: number }[];
  noises: string[];
  data: string;
  adapter: string;
  /** Whether clean validation accuracy is measured per unit (absent: no). */
  validation?: boolean;
}

// Columns after kernels_per_matrix came with adaptive attacks; older files lack them.
const COLUMNS = [
  'model',
  'seed',
  'method',
  'scope',
  'ratio',
  'sparsity_per_matrix',
  'noise',
  'target',
  'limit',
  'accuracy',
  'fooling_rate',
  'adapter',
  'kernels_per_matrix',
  'attack',
  'split',
  'noise_mean_abs',
  'flags',
];

function rowToCsv(r: SweepRow, adapter: string): string {
  const cells = [
    r.model,
    r.seed,
    r.method,
    r.scope,
    r.ratio,
    r.sparsity.join(';'),
    r.noise,
    r.target ?? '',
    r.limit ?? '',
    r.accuracy,
    r.foolingRate ?? '',
    adapter,
    r.kernels.join(';'),
    r.attack ?? '',
    r.split ?? '',
    r.noiseMeanAbs ?? '',
    r.flags ?? '',
  ];
  return cells.map((c) => (/[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(',');
}

function csvToRow(line: string): SweepRow {
  const c = line
    .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
    .map((x) => x.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
  const num = (s: string) => (s === '' ? null : Number(s));
  return {
    model: c[0],
    seed: Number(c[1]),
    method: c[2] as SweepRow['method'],
    scope: c[3],
    ratio: Number(c[4]),
    sparsity: c[5].split(';').map(Number),
    kernels: c[12] ? c[12].split(';') : c[5].split(';').map(() => 'dense'),
    noise: c[6],
    target: num(c[7]),
    limit: num(c[8]),
    accuracy: Number(c[9]),
    foolingRate: num(c[10]),
    ...(c[13] && { attack: c[13] }),
    ...(c[14] && { split: c[14] }),
    ...(c[15] && { noiseMeanAbs: Number(c[15]) }),
    ...(c[16] && { flags: c[16] }),
  };
}

const unitKey = (r: SweepRow): string => keyOf(r.model, r.method, r.scope, r.ratio);

/**
 * A sweep folder: sweep.csv gets each unit's rows appended as one write the moment they are
 * measured; sweep.json (header + all rows) and summary.csv are rewritten atomically after
 * each unit. On restart, rows of a unit cut off mid-write are dropped and the sweep goes on
 * from the first unit not complete, so the final files equal an uninterrupted run's.
 */
export class SweepFiles {
  readonly csv: string;
  readonly json: string;
  rows: SweepRow[] = [];

  constructor(
    readonly dir: string,
    readonly header: SweepHeader,
  ) {
    this.csv = join(dir, 'sweep.csv');
    this.json = join(dir, 'sweep.json');
  }

  private rowsPerUnit(u: SweepUnit): number {
    return rowsPerUnit(this.header.spec, this.header.noises.length, !!this.header.validation, u.ratio);
  }

  /** Loads finished units (if any) and returns the units still to run, in order. */
  resume(units: SweepUnit[]): SweepUnit[] {
    if (existsSync(this.json)) {
      const old = JSON.parse(readFileSync(this.json, 'utf8')) as SweepHeader;
      const { adapter: _a, ...want } = this.header;
      const { adapter: _b, rows: _r, ...have } = old as SweepHeader & { rows?: unknown };
      // A fine-tuning config saved before dropout was a drop probability reads as today's.
      const tune = have.spec?.fineTune;
      if (tune?.config) tune.config = migrateConfig(tune.config, this.json);
      if (canonicalJson(want) !== canonicalJson(have))
        throw new ConfigError(
          `${this.json}: holds another sweep (other models, noise, data or settings); use another --out`,
        );
    }
    if (existsSync(this.csv)) {
      // A unit's rows are appended in one write, each line ended by a newline: text after the
      // last newline is a row torn by a kill, and is redone, never read.
      const text = readFileSync(this.csv, 'utf8');
      const lines = text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .slice(1)
        .filter((l) => l.trim());
      const byUnit = new Map<string, SweepRow[]>();
      for (const line of lines) {
        let row: SweepRow;
        try {
          row = csvToRow(line);
        } catch {
          continue;
        } // a line cut by a kill
        if (!Number.isFinite(row.accuracy)) continue;
        if (!byUnit.has(unitKey(row))) byUnit.set(unitKey(row), []);
        byUnit.get(unitKey(row))!.push(row);
      }
      this.rows = units.flatMap((u) => (byUnit.get(u.key)?.length === this.rowsPerUnit(u) ? byUnit.get(u.key)! : []));
    }
    const done = new Set(this.rows.map(unitKey));
    this.writeAll();
    return units.filter((u) => !done.has(u.key));
  }

  /** Appends one unit's rows (one write call) and refreshes the JSON and summary. */
  add(rows: SweepRow[]): void {
    const lines = rows.map((r) => rowToCsv(r, this.header.adapter));
    appendFileSync(this.csv, `${lines.join('\n')}\n`);
    // Kept as the CSV reads back, so a resumed run's JSON equals an uninterrupted one's.
    this.rows.push(...lines.map(csvToRow));
    this.writeJson();
  }

  /** Writes csv, json and summary from `rows`. */
  writeAll(): void {
    writeAtomic(
      this.csv,
      `${COLUMNS.join(',')}\n${this.rows.map((r) => `${rowToCsv(r, this.header.adapter)}\n`).join('')}`,
    );
    this.writeJson();
  }

  private writeJson(): void {
    writeAtomic(this.json, JSON.stringify({ ...this.header, rows: this.rows }, null, 1));
    const summary = summariseSeeds(this.rows);
    writeAtomic(
      join(this.dir, 'summary.csv'),
      'method,scope,ratio,noise,attack,split,seeds,mean_accuracy,sd_accuracy,ci95_low,ci95_high\n' +
        summary
          .map((s) =>
            [
              s.method,
              s.scope,
              s.ratio,
              s.noise,
              s.attack,
              s.split,
              s.seeds,
              s.meanAccuracy,
              s.sdAccuracy,
              s.ci95Low,
              s.ci95High,
            ].join(','),
          )
          .join('\n') +
        '\n',
    );
  }
}

/** Joins shard folders into exactly the files one unsharded run writes. */
export function mergeShards(shardDirs: string[], outDir: string): number {
  if (!shardDirs.length) throw new ConfigError('merge: no shard folders given');
  const shards = shardDirs.map((d) => {
    const f = join(d, 'sweep.json');
    if (!resultExists(f)) throw new DataError(`${f}: missing (not a sweep folder?)`);
    return JSON.parse(readResult(f)) as SweepHeader & { rows: SweepRow[] };
  });
  const { rows: _r, ...header } = shards[0];
  for (const [i, s] of shards.entries()) {
    const { rows: _x, ...h } = s;
    if (JSON.stringify(h) !== JSON.stringify(header))
      throw new DataError(`merge: ${shardDirs[i]} is a shard of another sweep than ${shardDirs[0]}`);
  }
  const units = sweepUnits(header.spec, header.models);
  const byUnit = new Map<string, SweepRow[]>();
  for (const s of shards)
    for (const r of s.rows) {
      if (!byUnit.has(unitKey(r))) byUnit.set(unitKey(r), []);
      byUnit.get(unitKey(r))!.push(r);
    }
  const missing = units.filter((u) => !byUnit.has(u.key));
  if (missing.length)
    throw new DataError(
      `merge: ${missing.length} of ${units.length} units are missing (first: ${missing[0].key}); is a shard unfinished?`,
    );
  const files = new SweepFiles(outDir, header as SweepHeader);
  files.rows = units.flatMap((u) => byUnit.get(u.key)!);
  files.writeAll();
  return files.rows.length;
}

/** "i/n" → shard i of n (0-based): unit k belongs to shard k mod n. */
export function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = Number(m?.[1]),
    count = Number(m?.[2]);
  if (!m || count < 1 || index >= count)
    throw new ConfigError(`--shard "${s}": use i/n with 0 ≤ i < n (e.g. $SLURM_ARRAY_TASK_ID/8)`);
  return { index, count };
}

/** JSON with every object's keys sorted: settings compare equal whatever order they were written in. */
function canonicalJson(x: unknown): string {
  return JSON.stringify(x, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}
