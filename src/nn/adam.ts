import { Tensor, tidy } from '../tensor/tensor.js';
import { mul } from '../ops/elementwise.js';
import { adamUpdate } from '../ops/adam.js';
import { SparsegradError } from '../util/errors.js';

/** Host copy of the optimiser state, for checkpoints (PyTorch calls m, v exp_avg, exp_avg_sq). */
export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** Kingma & Ba's defaults, as torch.optim.Adam's. */
const ADAM_DEFAULTS: AdamSettings = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/**
 * Adam (Kingma & Ba) over a fixed set of parameters; moments live on the GPU. `decay[i]` adds
 * the gradient of decay[i]·½Σp² to parameter i's gradient inside the update (L2 on weights,
 * TensorFlow's l2_loss convention) — the same step as putting the penalty in the loss.
 */
export class Adam {
  private moments: { m: Tensor; v: Tensor }[];
  private masks: (Tensor | null)[] = [];
  private readonly params: Tensor[];
  private readonly s: AdamSettings;
  private readonly decay: number[];
  /** Updates made so far (Adam's t). */
  steps = 0;
  /** The learning rate of the next step (a schedule sets it). */
  lr: number;

  /**
   * Over `params` (model.parameters()), with settings defaulting to Kingma & Ba's; `l2` (or one
   * value per parameter in `decay`) adds the gradient of l2·½Σp² to each update.
   */
  constructor(params: Iterable<Tensor>, s: Partial<AdamSettings> & { l2?: number } = {}, decay?: number[]) {
    this.params = [...params];
    this.s = { ...ADAM_DEFAULTS, ...s };
    this.decay = decay ?? this.params.map(() => s.l2 ?? 0);
    this.lr = this.s.lr;
    for (const p of this.params)
      if (!(p instanceof Tensor)) throw new SparsegradError('adam: parameters must be tensors (model.parameters())');
    this.moments = this.params.map((p) => ({
      m: Tensor.zeros(p.shape, false, p.backend).keep(),
      v: Tensor.zeros(p.shape, false, p.backend).keep(),
    }));
  }

  /**
   * Trains under pruning masks from here on: masks[i] (1 keep, 0 pruned; null for none) for
   * parameter i. Pruned parameters and their moments stay exactly 0 (zeroed with them now).
   * The masks are the caller's (kept alive and disposed by it).
   */
  setMasks(masks: (Tensor | null)[]): void {
    masks.forEach((k, i) => {
      if (k && k.size !== this.params[i].size)
        throw new SparsegradError(`adam: mask ${i} has ${k.size} values for a parameter of ${this.params[i].size}`);
    });
    this.masks = masks;
    tidy(() =>
      masks.forEach((k, i) => {
        if (!k) return;
        for (const t of [this.params[i], this.moments[i].m, this.moments[i].v])
          t.backend.runner.copy(mul(t, k.reshape(t.shape)).buffer, t.buffer, t.byteSize);
      }),
    );
  }

  /** One update from the gradients backward() left on the parameters, at this.lr; the gradients are cleared. */
  step(): void {
    this.update(this.lr);
  }

  /** Forgets the gradients (step() clears them too). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** One update from the gradients backward() left on the parameters (at `lr`, default the settings'). */
  update(lr = this.s.lr): void {
    this.steps++;
    const step = this.steps;
    const { beta1, beta2, eps } = this.s;
    const c2 = Math.sqrt(1 - beta2 ** step);
    // Bias corrections folded into the step size and eps: p -= lr·m̂/(√v̂ + eps) exactly.
    const lrT = (lr * c2) / (1 - beta1 ** step);
    this.params.forEach((p, i) => {
      if (!p.grad) throw new SparsegradError(`adam: parameter ${i} has no gradient (did backward() reach it?)`);
      adamUpdate(
        p,
        p.grad,
        this.moments[i].m,
        this.moments[i].v,
        lrT,
        beta1,
        beta2,
        eps * c2,
        this.decay[i] ?? 0,
        this.masks[i] ?? null,
      );
      p.grad = null;
    });
  }

  async save(): Promise<AdamState> {
    return {
      step: this.steps,
      m: await Promise.all(this.moments.map((x) => x.m.read())),
      v: await Promise.all(this.moments.map((x) => x.v.read())),
    };
  }

  load(state: AdamState): void {
    if (state.m.length !== this.moments.length)
      throw new SparsegradError(
        `adam: checkpoint has state for ${state.m.length} parameters, the model has ${this.moments.length}`,
      );
    this.steps = state.step;
    this.moments.forEach((x, i) => {
      x.m.write(state.m[i]);
      x.v.write(state.v[i]);
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments) {
      m.dispose();
      v.dispose();
    }
  }
}
