/**
 * The one training loop. Plain training, every KD method (through its objective) and DisCoM-KD's
 * jointly trained branches all run here, each described by a Learner: its variables, the loss
 * of a batch of rows, and how an epoch is scored on validation.
 *
 * Per epoch the rows are shuffled (one order per learner input stream) and cut into batches; per
 * step the dropout seeds are redrawn, the learner draws its own randomness (augmentation), the loss
 * is differentiated with respect to the learner's variables and the optimiser steps at the
 * schedule's learning rate. The step values are read after each step (every backend cmkd runs on
 * computes eagerly, so that is a copy of a few floats) and summed in float32, weighted by the
 * batch's rows; the learner's validation tensors are read back once per epoch. Each weight
 * group (a model, or one DisCoM-KD branch) keeps its best-scoring epoch's weights; training stops
 * after `patience` epochs in which no group improved (never before `minEpochs` epochs), and every
 * group ends holding its best epoch's weights (the last epoch's without validation).
 *
 * Randomness per epoch (shuffles, dropout masks, augmentation) comes from a generator seeded by
 * (seed, epoch), so a run resumed from the state after epoch k repeats an uninterrupted one.
 */
import { tf } from '../engine/index.js';
import { batchOrder } from '../engine/step.js';
import { CmkdError } from '../util/errors.js';
import { throwIfAborted, type ProgressFn } from '../util/progress.js';
import { makeRng, type Rng } from '../util/rng.js';
import { Optimizer, type OwnRule, type ResolvedOptimizer } from './optim.js';
import { learningRateAt, type ScheduleSettings } from './schedule.js';

/** Seeded generator for one epoch: a pure function of (seed, epoch), so resumed runs repeat. */
export function epochRng(seed: number, epoch: number): Rng {
  return makeRng((makeRng(seed).seed() + Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
}

/** Weights selected together on one validation score: a whole model, or one DisCoM-KD branch. */
export interface WeightGroup {
  /** The current values (the loop copies them). */
  read(): tf.Tensor[];
  /** Set the weights to `values` (the loop keeps ownership of them). */
  write(values: tf.Tensor[]): void;
}

/** What the loop hands a learner at the end of an epoch. */
export interface EpochEnd {
  /** 0-based. */
  epoch: number;
  /** Learning rate at the epoch's first step. */
  lr: number;
  /** The step values (the loss first, then the learner's logged values), averaged over the epoch's rows. */
  means: number[];
  /** The learner's validation tensors, read back at the epoch's end. */
  validation: number[];
  /** Wall-clock seconds since the epoch started. */
  seconds: number;
}

/** A model (or set of models) as the loop trains it. */
export interface Learner<R> {
  /** Trainable variables, in the optimiser's order. */
  readonly variables: tf.Variable[];
  /** Per variable: whether weight decay applies. */
  readonly decay: boolean[];
  /** Per variable: its own optimiser instead of the run's (CTKD's θ), or null. */
  readonly own?: (OwnRule | null)[];
  /** Dropout layers: TF.js reuses a layer's seed on every call, so the loop draws a fresh one per step. */
  readonly dropouts: { seed?: number }[];
  /** Training rows per epoch. */
  readonly rows: number;
  /** Independent shuffles per epoch (default 1: every input reads the same rows in each batch). */
  readonly shuffles?: number;
  /** Weight groups, each selected on its own validation score. */
  readonly groups: WeightGroup[];
  /**
   * One step on batch `s` of each shuffle (`rows[k]` for shuffle k): draw the step's own
   * randomness from `rng`, gather the inputs, and return the function the loop differentiates.
   * That function returns the loss first, then any values to log (each summed over the epoch,
   * weighted by the batch's rows). Called inside tf.tidy; the returned function inside the tape.
   */
  step(rows: Int32Array[], rng: Rng, epoch: number): () => tf.Scalar[];
  /** Device scalars read back at the epoch's end (e.g. validation loss sums). */
  validation?(): tf.Tensor[];
  /** The epoch's history record and each group's validation score (null: no validation). */
  endEpoch(e: EpochEnd): Promise<{ record: R; scores: (number | null)[] }>;
  /** Progress detail for an epoch's record. */
  describe(record: R): string;
}

export interface Selection {
  /** Higher scores are better. */
  maximise: boolean;
  /** Smallest change of a score that counts as an improvement. */
  minDelta: number;
  /** Stop after this many epochs in which no group improved (with validation only); null: never. */
  patience: number | null;
  /** Never stop early before this many epochs (default 0); the best epoch is still restored. */
  minEpochs?: number;
}

/** Where a run stands after some epochs: what a checkpoint holds besides the tensors. */
export interface LoopState<R> {
  epochsDone: number;
  history: R[];
  /** Per group: 1-based best epoch (0 before any) and its score (null without validation). */
  best: { epoch: number; value: number | null }[];
  /** Epochs since any group last improved. */
  wait: number;
  stoppedEarly: boolean;
}

/** A saved state to continue from; the learner's own weights are restored by the caller. */
export interface LoopResume<R> {
  state: LoopState<R>;
  /** Per group: the best epoch's weights (the loop takes ownership), or null. */
  bestWeights: (tf.Tensor[] | null)[];
  /** The optimiser's state tensors (copied, then disposed by the loop) and step count. */
  optimizer: { state: tf.Tensor[]; step: number };
}

/** What a checkpoint writer sees after an epoch. */
export interface EpochCheckpoint<R> {
  state: LoopState<R>;
  /** Per group: whether this epoch became its best. */
  improved: boolean[];
  /** Per group: the best epoch's weights so far (owned by the loop). */
  bestWeights: (tf.Tensor[] | null)[];
  optimizer: Optimizer;
}

export interface LoopSettings<R> {
  optimizer: ResolvedOptimizer;
  /** Base learning rate. */
  lr: number;
  schedule: ScheduleSettings;
  epochs: number;
  batchSize: number;
  /** Seeds the epochs' shuffles, dropout and augmentation. */
  seed: number;
  selection: Selection;
  /** Progress task name. */
  label: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  resume?: LoopResume<R> | null;
  /** Called after every epoch, before its progress event (a checkpoint writer). */
  afterEpoch?(c: EpochCheckpoint<R>): Promise<void>;
}

export interface LoopResult<R> {
  history: R[];
  /** Per group: 1-based epoch whose weights it now holds (0 if no epoch ran) and its score. */
  best: { epoch: number; value: number | null }[];
  stoppedEarly: boolean;
  /** Epochs done before this call (resumed runs). */
  resumedFrom: number;
}

// improved ⇔ no score yet, no validation, or score better than the best by more than minDelta
function improves(value: number | null, best: number | null, s: Selection): boolean {
  return (
    value === null ||
    best === null ||
    !Number.isFinite(best) ||
    (Number.isFinite(value) && (s.maximise ? value > best + s.minDelta : value < best - s.minDelta))
  );
}

/**
 * An epoch whose mean loss is this many times the first step's (or 1, if that is smaller) has
 * diverged: healthy training lowers the loss from its start, and even an unlucky epoch stays
 * within a few times of it.
 */
export const DIVERGED_FACTOR = 1000;

/**
 * Train `learner` for `s.epochs` epochs (or until early stopping). Throws an AbortError when
 * `s.signal` aborts; the learner's groups then hold the interrupted epoch's weights.
 */
export async function runLoop<R>(learner: Learner<R>, s: LoopSettings<R>): Promise<LoopResult<R>> {
  const vars = learner.variables;
  const optimizer = new Optimizer(s.optimizer, vars, learner.decay, learner.own);
  const drops = learner.dropouts;
  const dropSeeds = drops.map((d) => d.seed);
  const n = learner.rows;
  const stepsPerEpoch = Math.ceil(n / s.batchSize);
  const totalSteps = stepsPerEpoch * s.epochs;
  const groups = learner.groups;

  const state: LoopState<R> = {
    epochsDone: 0,
    history: [],
    best: groups.map(() => ({ epoch: 0, value: null })),
    wait: 0,
    stoppedEarly: false,
  };
  let bestWeights: (tf.Tensor[] | null)[] = groups.map(() => null);
  // The epoch's step values summed in float32: sums ← sums + rows·values, each operation rounded to float32.
  let sums: Float32Array | null = null;
  let firstLoss: number | null = null;
  try {
    if (s.resume) {
      const r = s.resume;
      bestWeights = r.bestWeights;
      try {
        optimizer.loadState(r.optimizer.state, r.optimizer.step);
      } finally {
        tf.dispose(r.optimizer.state);
      }
      Object.assign(state, { ...r.state, history: [...r.state.history], best: r.state.best.map((b) => ({ ...b })) });
    }
    const resumedFrom = state.epochsDone;

    for (let epoch = state.epochsDone; epoch < s.epochs && !state.stoppedEarly; epoch++) {
      const started = Date.now();
      const rng = epochRng(s.seed, epoch);
      const orders = Array.from({ length: learner.shuffles ?? 1 }, () => batchOrder(n, { batchSize: s.batchSize, seed: rng.seed() }));
      const firstLr = learningRateAt(s.schedule, s.lr, epoch * stepsPerEpoch, totalSteps, epoch, s.epochs);
      for (let b = 0; b < stepsPerEpoch; b++) {
        throwIfAborted(s.signal);
        const lr = learningRateAt(s.schedule, s.lr, epoch * stepsPerEpoch + b, totalSteps, epoch, s.epochs);
        for (const d of drops) d.seed = rng.seed();
        const rows = orders.map((o) => o[b]);
        const stepValues = tf.tidy((): Float32Array => {
          const lossOf = learner.step(rows, rng, epoch);
          let logged: tf.Scalar[] = [];
          const { value, grads } = tf.variableGrads(() => {
            const [loss, ...rest] = lossOf();
            logged = rest.map((t) => tf.keep(t));
            return loss;
          }, vars);
          optimizer.apply(
            vars.map((v) => grads[v.name]),
            lr,
          );
          // Every backend cmkd runs on computes eagerly: reading the step's few values is a copy, cheaper than summing them in kernels.
          const read = Float32Array.from([value, ...logged], (t) => t.dataSync()[0]);
          tf.dispose(logged);
          return read;
        });
        const weight = Math.fround(rows[0].length);
        sums ??= new Float32Array(stepValues.length);
        for (let j = 0; j < sums.length; j++) sums[j] = sums[j] + Math.fround(stepValues[j] * weight);
        // The loss before any update of this run is the yardstick of divergence.
        if (firstLoss === null) firstLoss = sums[0] / rows[0].length;
        // Let progress output and interrupts through between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }

      // One read-back per epoch of the learner's validation tensors.
      const extra = learner.validation?.() ?? [];
      const packed = extra.length ? tf.tidy(() => tf.concat(extra.map((t) => tf.reshape(t, [1])))) : null;
      tf.dispose(extra);
      const validation = packed ? await packed.data() : new Float32Array(0);
      packed?.dispose();
      const stepSums = sums ?? new Float32Array(1);
      sums = null;
      // A non-finite training loss never recovers, nor does one grown by orders of magnitude (a learning rate of 1e30 gives
      // 1e30 and predictions of one class): stop with the cause instead of saving wrecked weights and scores.
      const meanLoss = stepSums[0] / n;
      if (!Number.isFinite(meanLoss) || Math.abs(meanLoss) > DIVERGED_FACTOR * Math.max(1, Math.abs(firstLoss ?? 0)))
        throw new CmkdError(
          `${s.label}: training diverged in epoch ${epoch + 1} (loss ${Number.isFinite(meanLoss) ? meanLoss.toPrecision(3) : meanLoss}${Number.isFinite(meanLoss) ? `, over ${DIVERGED_FACTOR}× the first step's ${(firstLoss ?? NaN).toPrecision(3)}` : ''}); lower the learning rate (it is ${s.lr})`,
          'invalid-option',
        );
      const { record, scores } = await learner.endEpoch({
        epoch,
        lr: firstLr,
        means: Array.from(stepSums, (v) => v / n),
        validation: Array.from(validation),
        seconds: (Date.now() - started) / 1000,
      });
      state.history.push(record);

      const improved = groups.map((g, i) => improves(scores[i], state.best[i].value, s.selection));
      groups.forEach((g, i) => {
        if (!improved[i]) return;
        state.best[i] = { epoch: epoch + 1, value: scores[i] };
        if (bestWeights[i]) tf.dispose(bestWeights[i]!);
        bestWeights[i] = g.read().map((w) => tf.clone(w));
      });
      const validated = scores.some((v) => v !== null);
      state.wait = improved.some(Boolean) ? 0 : state.wait + 1;
      const mayStop = epoch + 1 >= (s.selection.minEpochs ?? 0);
      if (s.selection.patience !== null && validated && mayStop && state.wait >= s.selection.patience) state.stoppedEarly = true;
      state.epochsDone = epoch + 1;
      await s.afterEpoch?.({ state, improved, bestWeights, optimizer });
      s.onProgress?.({ task: s.label, done: epoch + 1, total: s.epochs, detail: learner.describe(record) });
    }
    groups.forEach((g, i) => {
      if (bestWeights[i]) g.write(bestWeights[i]!);
    });
    return { history: state.history, best: state.best, stoppedEarly: state.stoppedEarly, resumedFrom };
  } finally {
    for (const w of bestWeights) if (w) tf.dispose(w);
    optimizer.dispose();
    drops.forEach((d, i) => (d.seed = dropSeeds[i]));
  }
}
