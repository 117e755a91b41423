import { Tensor, tidy } from '../tensor/tensor.js';
import { mul } from '../ops/elementwise.js';
import { adamUpdate } from '../ops/adam.js';
import { SparsegradError } from '../gpu/errors.js';

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

/**
 * Adam (Kingma & Ba) over a fixed set of parameters; moments live on the GPU. `decay[i]` adds
 * the gradient of decay[i]·½Σp² to parameter i's gradient inside the update (L2 on weights,
 * TensorFlow's l2_loss convention) — the same step as putting the penalty in the loss.
 */
export class Adam {
  private moments: { m: Tensor; v: Tensor }[];
  private masks: (Tensor | null)[] = [];
  step = 0;

  constructor(
    private params: Tensor[],
    private s: AdamSettings,
    private decay: number[] = [],
  ) {
    this.moments = params.map((p) => ({
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

  /** One update from the gradients backward() left on the parameters (at `lr`, default the settings'). */
  update(lr = this.s.lr): void {
    this.step++;
    const { beta1, beta2, eps } = this.s;
    const c2 = Math.sqrt(1 - beta2 ** this.step);
    // Bias corrections folded into the step size and eps: p -= lr·m̂/(√v̂ + eps) exactly.
    const lrT = (lr * c2) / (1 - beta1 ** this.step);
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
      step: this.step,
      m: await Promise.all(this.moments.map((x) => x.m.read())),
      v: await Promise.all(this.moments.map((x) => x.v.read())),
    };
  }

  load(state: AdamState): void {
    if (state.m.length !== this.moments.length)
      throw new SparsegradError(
        `adam: checkpoint has state for ${state.m.length} parameters, the model has ${this.moments.length}`,
      );
    this.step = state.step;
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
