import type { Dataset } from '../data/dataset.js';
import { deepFreeze } from '../util/freeze.js';
import type { FrozenClassifier } from './frozen.js';
import {
  attackName,
  fgsm,
  pgd,
  pgdAttack,
  validatePgd,
  type AttackLoss,
  type AttackResult,
  type PgdSettings,
} from './pgd.js';

/**
 * An attack over any model, as torchattacks' `Attack`: its settings fixed and checked when it is
 * made, then run on a model and images. Suites, certify's upper bound and detection compose these.
 */
export interface Attack {
  readonly name: string;
  readonly settings: Readonly<PgdSettings>;
  run(model: FrozenClassifier, data: Dataset, onImages?: (done: number, total: number) => void): Promise<AttackResult>;
}

/** L∞ PGD (Madry et al.): `pgd(ε, steps, …)`'s settings, or any PgdSettings. */
export class PGD implements Attack {
  readonly settings: Readonly<PgdSettings>;
  constructor(settings: PgdSettings) {
    // The class count is known only at run time; every other setting is checked now.
    this.settings = deepFreeze({ ...validatePgd(settings, Number.MAX_SAFE_INTEGER) });
  }
  /** PGD with a random start and step 2.5ε/steps unless `opts` says otherwise. */
  static of(epsilon: number, steps: number, opts: Partial<PgdSettings> = {}): PGD {
    return new PGD(pgd(epsilon, steps, opts));
  }
  get name(): string {
    return attackName(this.settings);
  }
  run(model: FrozenClassifier, data: Dataset, onImages?: (done: number, total: number) => void): Promise<AttackResult> {
    return pgdAttack(model, data, { ...this.settings }, undefined, undefined, onImages);
  }
}

/** FGSM: one step of size ε from the image itself (Goodfellow et al.). */
export class FGSM extends PGD {
  constructor(epsilon: number, opts: { target?: number | null; loss?: AttackLoss } = {}) {
    super(fgsm(epsilon, opts.target ?? null, opts.loss ?? 'ce'));
  }
}
