import { join } from 'node:path';
import { writeAtomic } from '../io/files';
import type { AdapterReport } from '../gpu/device';
import { modelToSafetensors } from './checkpoint';
import type { TrainResult } from './train';

/** model.safetensors + train.json (config, metrics, adapter, data) + history.csv, each atomic. */
export async function saveRun(dir: string, r: TrainResult, adapter: AdapterReport, dataName: string): Promise<string[]> {
  const model = join(dir, 'model.safetensors');
  const json = join(dir, 'train.json');
  const csv = join(dir, 'history.csv');
  writeAtomic(model, await modelToSafetensors(r.model, r.config));
  writeAtomic(json, JSON.stringify({ tool: 'sparsegrad', model: 'model.safetensors', data: dataName, config: r.config, seed: r.config.seed, adapter, metrics: r.metrics, written: new Date().toISOString() }, null, 2));
  writeAtomic(csv, 'iteration,loss,test_accuracy\n' + r.metrics.history.map((h) => `${h.iteration},${h.loss ?? ''},${h.testAccuracy ?? ''}`).join('\n') + '\n');
  return [model, json, csv];
}
