import { Tensor } from '../tensor/tensor.js';
import { sgdUpdate } from '../ops/sgd.js';
import { ConfigError, SparsegradError } from '../util/errors.js';
import { rateAt, type LrStep } from './config.js';

export { Adam, type AdamSettings, type AdamState } from './adam.js';

/** What a training loop asks of an optimizer. */
export interface Optimizer {
  /** The learning rate of the next step (a schedule sets it). */
  lr: number;
  /** One update from the gradients backward() left on the parameters; clears them. */
  step(): void;
  zeroGrad(): void;
  dispose(): void;
}

export interface SgdSettings {
  lr: number;
  momentum?: number;
  dampening?: number;
  /** Adds weightDecay·p to each gradient (L2), as torch.optim.SGD's weight_decay. */
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with momentum, torch.optim.SGD's rule, one fused kernel per parameter. */
export class SGD implements Optimizer {
  lr: number;
  private readonly params: Tensor[];
  private readonly buffers: Tensor[];
  private readonly s: Required<SgdSettings>;
  private started = false;

  constructor(params: Iterable<Tensor>, s: SgdSettings) {
    this.params = [...params];
    this.s = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...s };
    const { lr, momentum, dampening, weightDecay, nesterov } = this.s;
    if (!(lr > 0)) throw new ConfigError(`SGD: lr ${lr} must be > 0`);
    if (!(momentum >= 0)) throw new ConfigError(`SGD: momentum ${momentum} must be ≥ 0`);
    if (!(weightDecay >= 0)) throw new ConfigError(`SGD: weightDecay ${weightDecay} must be ≥ 0`);
    if (nesterov && (momentum <= 0 || dampening !== 0))
      throw new ConfigError('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    this.lr = lr;
    for (const p of this.params)
      if (!(p instanceof Tensor)) throw new SparsegradError('SGD: parameters must be tensors (model.parameters())');
    this.buffers = this.params.map((p) => Tensor.zeros(p.shape, false, p.backend).keep());
  }

  step(): void {
    const { momentum, dampening, weightDecay, nesterov } = this.s;
    this.params.forEach((p, i) => {
      if (!p.grad) throw new SparsegradError(`SGD: parameter ${i} has no gradient (did backward() reach it?)`);
      // Without momentum PyTorch keeps no buffer: the step is the gradient itself.
      const first = !this.started || momentum === 0;
      sgdUpdate(p, p.grad, this.buffers[i], { lr: this.lr, momentum, dampening, decay: weightDecay, nesterov, first });
      p.grad = null;
    });
    this.started = true;
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  dispose(): void {
    for (const b of this.buffers) b.dispose();
  }
}

/**
 * Step decay of an optimizer's learning rate (torch's MultiStepLR with explicit rates): after
 * iteration `after`, the rate is `lr`. Call step() after each optimizer step.
 */
export class LrSchedule {
  private iteration = 0;
  constructor(
    readonly optimizer: { lr: number },
    readonly steps: readonly LrStep[],
    readonly base = optimizer.lr,
  ) {
    steps.forEach((s, i) => {
      if (!(Number.isInteger(s.after) && s.after >= 0 && s.lr > 0) || (i > 0 && s.after <= steps[i - 1].after))
        throw new ConfigError(
          `LrSchedule: step ${i} ${JSON.stringify(s)}: steps are {after ≥ 0, lr > 0} in ascending order`,
        );
    });
    optimizer.lr = this.at(1);
  }

  /** The rate of iteration `it` (1-based): the last step with after < it, else the base rate. */
  at(it: number): number {
    return rateAt(this.base, this.steps, it);
  }

  step(): void {
    this.iteration++;
    this.optimizer.lr = this.at(this.iteration + 1);
  }
}
