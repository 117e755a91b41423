import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from './files.js';
import type { TuneRecord, TuneStore } from '../gpu/tuner.js';
import type { AdapterReport } from '../gpu/device.js';

/** Bumped when kernels change enough that old measurements no longer say anything. */
const FORMAT = 1;

/**
 * Tuning results of one adapter and driver, in a JSON file under ~/.cache/sparsegrad (or
 * $SPARSEGRAD_CACHE): the adapter's description names the driver version, so a driver update
 * starts a new file. Written atomically after every new measurement.
 */
export class FileTuneStore implements TuneStore {
  private records: Record<string, TuneRecord> = {};
  readonly path: string;

  constructor(adapter: AdapterReport, dir = process.env.SPARSEGRAD_CACHE ?? join(homedir(), '.cache', 'sparsegrad')) {
    const id = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].join(' ');
    this.path = join(dir, `tuning-${slug(id)}.json`);
    if (existsSync(this.path)) {
      try {
        const file = JSON.parse(readFileSync(this.path, 'utf8')) as {
          format?: number;
          records?: Record<string, TuneRecord>;
        };
        if (file.format === FORMAT && file.records) this.records = file.records;
      } catch {
        // A damaged cache is measured again, not trusted.
      }
    }
  }

  get(key: string): TuneRecord | undefined {
    return this.records[key];
  }

  set(key: string, record: TuneRecord): void {
    this.records[key] = record;
    writeAtomic(this.path, JSON.stringify({ format: FORMAT, records: this.records }, null, 1));
  }
}

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 120) || 'adapter';
