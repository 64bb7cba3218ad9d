/**
 * The optimisers the trainer offers: SGD (with momentum), Adam, and AdamW (Adam with
 * decoupled weight decay; TF.js has none). Written here rather than taken from tf.train so
 * that the learning rate can follow a schedule step by step, weight decay can skip biases
 * and normalisation parameters, and the state (moments, step count) can be checkpointed
 * and restored exactly for `resume`.
 */
import { tf } from '../engine/index.js';
import { adamStepInPlace } from '../engine/step.js';
import { CmkdError } from '../util/errors.js';

export const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface OptimizerSettings {
  name: OptimizerName;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /**
   * Weight decay λ on kernels (not biases, batch-norm or KD variables). sgd/adam: L2 added to
   * the gradient (g + λw); adamw: decoupled, w ← w − lr·λ·w (default 0.01 for adamw, else 0).
   */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface ResolvedOptimizer {
  name: OptimizerName;
  momentum: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export function resolveOptimizer(s: OptimizerSettings): ResolvedOptimizer {
  const r: ResolvedOptimizer = {
    name: s.name,
    momentum: s.momentum ?? (s.name === 'sgd' ? 0.9 : 0),
    weightDecay: s.weightDecay ?? (s.name === 'adamw' ? 0.01 : 0),
    beta1: s.beta1 ?? 0.9,
    beta2: s.beta2 ?? 0.999,
    epsilon: s.epsilon ?? 1e-7,
  };
  if (!OPTIMIZERS.includes(r.name)) {
    throw new CmkdError(`unknown optimizer '${String(r.name)}'; expected one of: ${OPTIMIZERS.join(', ')}`, 'invalid-option');
  }
  const bad = (what: string, v: number, range: string) => new CmkdError(`optimizer ${what} = ${v}; expected ${range}`, 'invalid-option');
  if (!(r.momentum >= 0 && r.momentum < 1)) throw bad('momentum', r.momentum, 'a number in [0, 1)');
  if (!(r.weightDecay >= 0 && Number.isFinite(r.weightDecay))) throw bad('weight decay', r.weightDecay, 'a finite number ≥ 0');
  if (!(r.beta1 >= 0 && r.beta1 < 1)) throw bad('beta1', r.beta1, 'a number in [0, 1)');
  if (!(r.beta2 >= 0 && r.beta2 < 1)) throw bad('beta2', r.beta2, 'a number in [0, 1)');
  if (!(r.epsilon > 0)) throw bad('epsilon', r.epsilon, 'a number > 0');
  return r;
}

/**
 * A variable stepped by its own optimiser instead of the run's: its settings (weight decay
 * applies to it whenever `settings.weightDecay` > 0) and a constant learning rate. CTKD's θ:
 * the reference steps it with SGD at the student's lr, so its step scales with the GRL's λ.
 */
export interface OwnRule {
  settings: ResolvedOptimizer;
  lr: number;
}

/**
 * Optimiser state over a fixed, ordered list of variables. `decay[i]` says whether weight
 * decay applies to variable i; `own[i]`, when given, replaces the run's optimiser for it.
 */
export class Optimizer {
  /** Number of steps taken (Adam's bias-correction t). */
  step = 0;
  private readonly slots: tf.Variable[][];

  constructor(
    readonly settings: ResolvedOptimizer,
    private readonly vars: tf.Variable[],
    private readonly decay: boolean[],
    private readonly own: readonly (OwnRule | null | undefined)[] = [],
    /** Update Adam/AdamW variables in one pass each where the backend allows (wasm); same float32 results. false: op by op. */
    private readonly fused = true,
  ) {
    const slotsOf = (o: ResolvedOptimizer) => (o.name === 'sgd' ? (o.momentum > 0 ? 1 : 0) : 2);
    this.slots = vars.map((v, i) =>
      Array.from({ length: slotsOf(own[i]?.settings ?? settings) }, () => tf.tidy(() => tf.variable(tf.zerosLike(v), false))),
    );
  }

  /** One update with gradients `grads` (aligned with the variables; null = no gradient) at learning rate `lr`. */
  apply(grads: (tf.Tensor | null | undefined)[], runLr: number): void {
    this.step++;
    const t = this.step;
    tf.tidy(() => {
      this.vars.forEach((w, i) => {
        let g = grads[i];
        if (!g) return;
        const own = this.own[i];
        const s = own?.settings ?? this.settings;
        const lr = own?.lr ?? runLr;
        const decays = (own !== undefined && own !== null ? true : this.decay[i]) && s.weightDecay > 0;
        if (decays && s.name !== 'adamw') g = tf.add(g, tf.mul(w, s.weightDecay)); // L2: g + λw
        const slots = this.slots[i];
        if (s.name === 'sgd') {
          if (slots.length) {
            const velocity = tf.add(tf.mul(slots[0], s.momentum), g); // v ← μv + g
            slots[0].assign(velocity);
            g = velocity;
          }
          w.assign(tf.sub(w, tf.mul(g, lr)));
          return;
        }
        // Adam (Kingma & Ba, Alg. 1); AdamW decays w before the step (Loshchilov & Hutter, Alg. 2).
        const [m, v] = slots;
        const stepSize = (lr * Math.sqrt(1 - s.beta2 ** t)) / (1 - s.beta1 ** t);
        const decoupled = decays && s.name === 'adamw';
        if (
          this.fused &&
          adamStepInPlace(w, g, m, v, {
            beta1: s.beta1,
            beta2: s.beta2,
            epsilon: s.epsilon,
            stepSize,
            keep: decoupled ? 1 - lr * s.weightDecay : 1,
          })
        )
          return;
        const mNew = tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1));
        const vNew = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2));
        m.assign(mNew);
        v.assign(vNew);
        const base = decoupled ? tf.mul(w, 1 - lr * s.weightDecay) : w;
        w.assign(tf.sub(base, tf.mul(tf.div(mNew, tf.add(tf.sqrt(vNew), s.epsilon)), stepSize)));
      });
    });
  }

  /** The state tensors (moments), in a fixed order, for checkpoints. */
  stateTensors(): tf.Tensor[] {
    return this.slots.flat();
  }

  /** Restore state written by stateTensors() (same variable list and optimiser). */
  loadState(tensors: tf.Tensor[], step: number): void {
    const flat = this.slots.flat();
    if (tensors.length !== flat.length) {
      throw new CmkdError(
        `checkpoint holds ${tensors.length} optimiser tensors; this run's ${this.settings.name} needs ${flat.length}`,
        'invalid-input',
      );
    }
    flat.forEach((slot, i) => {
      if (!tf.util.arraysEqual(slot.shape, tensors[i].shape)) {
        throw new CmkdError(
          `checkpoint optimiser tensor ${i} has shape [${tensors[i].shape.join(', ')}], expected [${slot.shape.join(', ')}]`,
          'invalid-input',
        );
      }
      slot.assign(tensors[i]);
    });
    this.step = step;
  }

  dispose(): void {
    tf.dispose(this.slots.flat());
  }
}
