/**
 * The factory the trainer calls: createObjective(method, settings) validates the settings,
 * fills in each method's reference defaults (and the LSKD defaults when `lskd: true`), and
 * returns a DistillObjective whose loss is the student's full training loss for a batch.
 */
import { nextSeed, tf } from '../engine/index.js';
import { check, CmkdError, oneOf } from '../util/errors.js';
import { sumTerms } from './common.js';
import { ctkdLambda, ctkdTerms, type CtkdCurriculum } from './ctkd.js';
import { dkdTerms, dkdWarmupFactor } from './dkd.js';
import { featureTerms, type Projection } from './feature.js';
import { taskLoss, type TaskKind } from './losses.js';
import { kdTerms } from './kd.js';
import { LSKD_DEFAULTS } from './lskd.js';
import { mlkdTerms } from './mlkd.js';
import type { DistillBatch, DistillObjective } from './types.js';

export const KD_METHODS = ['none', 'kd', 'dkd', 'ctkd', 'mlkd', 'feature'] as const;
export type KdMethod = (typeof KD_METHODS)[number];

/** Methods that distil class logits through a softmax: classification only; all take `lskd`. */
export const LOGIT_METHODS: readonly KdMethod[] = ['kd', 'dkd', 'ctkd', 'mlkd'];

export const TASK_KINDS: readonly TaskKind[] = ['classification', 'regression'];

/** DisCoM-KD's two vanilla-KD baselines: α, the CE weight in α·CE + (1 − α)·T²·KL. */
export const KD_PRESETS = { kdv1: 0, kdv2: 0.5 } as const;
export type KdPreset = keyof typeof KD_PRESETS;

export type SettingValue = number | string | boolean;
/** Settings as given (CLI strings such as "4" or "true" are accepted for numbers and switches). */
export type ObjectiveSettings = Readonly<Record<string, SettingValue | undefined>>;
/** Settings after validation and defaults, as recorded in logs and model cards. */
export type ResolvedSettings = Record<string, SettingValue>;

/** Accepted option names per method. */
export const OBJECTIVE_OPTIONS: Readonly<Record<KdMethod, readonly string[]>> = {
  none: ['task'],
  kd: ['task', 'preset', 'alpha', 'taskWeight', 'kdWeight', 'temperature', 'lskd'],
  dkd: ['task', 'alpha', 'beta', 'temperature', 'taskWeight', 'warmupEpochs', 'lskd'],
  ctkd: ['task', 'alpha', 'taskWeight', 'kdWeight', 'tStart', 'tRange', 'thetaInit', 'lambdaMin', 'lambdaMax', 'lambdaEpochs', 'lskd'],
  mlkd: ['task', 'taskWeight', 'kdWeight', 'temperature', 'strongView', 'lskd'],
  feature: ['task', 'mode', 'taskWeight', 'kdWeight', 'studentDim', 'teacherDim', 'projection', 'seed'],
};

interface NumberRule {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
  integer?: boolean;
}

/** Reads one method's settings: rejects unknown names and out-of-range values with CmkdError. */
class SettingsReader {
  constructor(
    private readonly method: KdMethod,
    private readonly raw: ObjectiveSettings,
  ) {
    const accepted = OBJECTIVE_OPTIONS[method];
    for (const [key, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      if (!accepted.includes(key)) {
        throw new CmkdError(
          `unknown option '${key}' for KD method '${method}'; accepted options: ${accepted.join(', ')}`,
          'invalid-option',
        );
      }
    }
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  number(key: string, fallback: number, rule?: NumberRule): number;
  number(key: string, fallback: undefined, rule?: NumberRule): number | undefined;
  number(key: string, fallback: number | undefined, rule: NumberRule = {}): number | undefined {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    const x = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    const where = `${this.method}: option '${key}'`;
    check(Number.isFinite(x), () => `${where} must be a finite number, got ${JSON.stringify(value)}`, 'invalid-option');
    if (rule.integer) check(Number.isInteger(x), () => `${where} must be an integer, got ${x}`, 'invalid-option');
    if (rule.above !== undefined) check(x > rule.above, () => `${where} must be > ${rule.above}, got ${x}`, 'invalid-option');
    if (rule.min !== undefined && rule.max !== undefined) {
      check(x >= rule.min && x <= rule.max, () => `${where} must be in [${rule.min}, ${rule.max}], got ${x}`, 'invalid-option');
    } else if (rule.min !== undefined) {
      check(x >= rule.min, () => `${where} must be ≥ ${rule.min}, got ${x}`, 'invalid-option');
    } else if (rule.max !== undefined) {
      check(x <= rule.max, () => `${where} must be ≤ ${rule.max}, got ${x}`, 'invalid-option');
    }
    return x;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new CmkdError(`${this.method}: option '${key}' must be true or false, got ${JSON.stringify(value)}`, 'invalid-option');
  }

  choice<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    return oneOf(`${this.method} option '${key}' value`, String(value), allowed);
  }
}

/** The weights of a CE + KD pair given either as α (convex form) or as two weights. */
function readWeightPair(
  r: SettingsReader,
  method: KdMethod,
  defaults: { taskWeight: number; kdWeight: number },
  presetAlpha?: number,
): { taskWeight: number; kdWeight: number; alpha?: number } {
  const hasPair = r.has('taskWeight') || r.has('kdWeight');
  const alpha = presetAlpha ?? r.number('alpha', undefined, { min: 0, max: 1 });
  if (alpha !== undefined) {
    check(!hasPair, () => `${method}: give either alpha (CE weight α, KD weight 1 − α) or taskWeight/kdWeight, not both`, 'invalid-option');
    return { taskWeight: alpha, kdWeight: 1 - alpha, alpha };
  }
  return {
    taskWeight: r.number('taskWeight', defaults.taskWeight, { min: 0 }),
    kdWeight: r.number('kdWeight', defaults.kdWeight, { min: 0 }),
  };
}

function readTask(r: SettingsReader, method: KdMethod): TaskKind {
  const task = r.choice('task', TASK_KINDS, 'classification');
  if (task === 'regression' && LOGIT_METHODS.includes(method)) {
    throw new CmkdError(
      `KD method '${method}' distils class probabilities (a softmax over logits) and needs a classification task; ` +
        `for regression use 'feature' (mode 'output' or 'embedding') or 'none'`,
      'unsupported',
    );
  }
  return task;
}

/**
 * Validates settings for a method and fills in its defaults. Pure: creates no tensors.
 * Throws CmkdError for an unknown method or option, an out-of-range value, or a logit method
 * on a regression task.
 */
export function resolveSettings(method: string, settings: ObjectiveSettings = {}): ResolvedSettings {
  const m = oneOf('KD method', method, KD_METHODS);
  const r = new SettingsReader(m, settings);
  const task = readTask(r, m);
  switch (m) {
    case 'none':
      return { task };
    case 'kd': {
      const lskd = r.bool('lskd', false);
      const preset = r.has('preset') ? r.choice('preset', Object.keys(KD_PRESETS) as KdPreset[], 'kdv2') : undefined;
      check(!(preset && r.has('alpha')), () => `kd: give either preset or alpha, not both`, 'invalid-option');
      if (preset) {
        check(
          !r.has('taskWeight') && !r.has('kdWeight'),
          () => `kd: preset '${preset}' fixes the weights; drop taskWeight/kdWeight or the preset`,
          'invalid-option',
        );
      }
      const defaults = lskd
        ? { taskWeight: LSKD_DEFAULTS.taskWeight, kdWeight: LSKD_DEFAULTS.kdWeight }
        : { taskWeight: KD_PRESETS.kdv2, kdWeight: 1 - KD_PRESETS.kdv2 };
      const w = readWeightPair(r, m, defaults, preset ? KD_PRESETS[preset] : undefined);
      const temperature = r.number('temperature', lskd ? LSKD_DEFAULTS.temperature : 4, { above: 0 });
      const out: ResolvedSettings = {
        task,
        taskWeight: w.taskWeight,
        kdWeight: w.kdWeight,
        temperature,
        lskd,
      };
      const alpha = w.alpha ?? (w.taskWeight + w.kdWeight === 1 ? w.taskWeight : undefined);
      if (alpha !== undefined) out.alpha = alpha;
      const named = (Object.keys(KD_PRESETS) as KdPreset[]).find((p) => KD_PRESETS[p] === alpha);
      if (named) out.preset = named;
      return out;
    }
    case 'dkd': {
      const lskd = r.bool('lskd', false);
      // Under LSKD the reference multiplies α and β, given or default, by its KD weight 9 (tools/train.py).
      const scale = lskd ? LSKD_DEFAULTS.kdWeight : 1;
      return {
        task,
        alpha: r.number('alpha', 1, { min: 0 }) * scale,
        beta: r.number('beta', 8, { min: 0 }) * scale,
        temperature: r.number('temperature', lskd ? LSKD_DEFAULTS.temperature : 4, { above: 0 }),
        taskWeight: r.number('taskWeight', 1, { min: 0 }),
        // Reference cfg DKD.WARMUP = 20 epochs, counted as the reference counts them (not scaled to short runs).
        warmupEpochs: r.number('warmupEpochs', 20, { min: 0, integer: true }),
        lskd,
      };
    }
    case 'ctkd': {
      const lskd = r.bool('lskd', false);
      const w = readWeightPair(r, m, { taskWeight: 0.1, kdWeight: lskd ? LSKD_DEFAULTS.kdWeight : 0.9 });
      const lambdaMin = r.number('lambdaMin', 0, { min: 0 });
      const lambdaMax = r.number('lambdaMax', 1, { min: 0 });
      check(lambdaMin <= lambdaMax, () => `ctkd: lambdaMin (${lambdaMin}) must be ≤ lambdaMax (${lambdaMax})`, 'invalid-option');
      return {
        task,
        taskWeight: w.taskWeight,
        kdWeight: w.kdWeight,
        tStart: r.number('tStart', 1, { above: 0 }),
        tRange: r.number('tRange', 20, { min: 0 }),
        thetaInit: r.number('thetaInit', 1),
        lambdaMin,
        lambdaMax,
        // Reference CosineDecay(loops 10): a 10-epoch ramp, not scaled to short runs.
        lambdaEpochs: r.number('lambdaEpochs', 10, { min: 0, integer: true }),
        lskd,
      };
    }
    case 'mlkd': {
      const lskd = r.bool('lskd', false);
      return {
        task,
        taskWeight: r.number('taskWeight', lskd ? LSKD_DEFAULTS.taskWeight : 0.1, { min: 0 }),
        kdWeight: r.number('kdWeight', lskd ? LSKD_DEFAULTS.kdWeight : 0.9, { min: 0 }),
        temperature: r.number('temperature', lskd ? LSKD_DEFAULTS.temperature : 4, { above: 0 }),
        // The reference trains on a weak and a strong-augmentation view (src/train/strong.ts); false = weak view only.
        strongView: r.bool('strongView', true),
        lskd,
      };
    }
    case 'feature': {
      const mode = r.choice('mode', ['output', 'embedding'] as const, task === 'regression' ? 'output' : 'embedding');
      const studentDim = r.number('studentDim', undefined, { min: 1, integer: true });
      const teacherDim = r.number('teacherDim', undefined, { min: 1, integer: true });
      const dimsKnown = studentDim !== undefined && teacherDim !== undefined;
      const projection = r.bool('projection', dimsKnown && studentDim !== teacherDim);
      if (projection) {
        check(mode === 'embedding', () => `feature: a projection applies to mode 'embedding' only`, 'invalid-option');
        check(dimsKnown, () => `feature: a projection needs studentDim and teacherDim (embedding sizes)`, 'invalid-option');
      }
      if (dimsKnown && mode === 'embedding') {
        check(
          projection || studentDim === teacherDim,
          () =>
            `feature: embedding sizes differ (student ${studentDim}, teacher ${teacherDim}); a learned projection is needed (projection: true)`,
          'invalid-option',
        );
      }
      const out: ResolvedSettings = {
        task,
        mode,
        taskWeight: r.number('taskWeight', 1, { min: 0 }),
        kdWeight: r.number('kdWeight', 1, { min: 0 }),
        projection,
      };
      if (studentDim !== undefined) out.studentDim = studentDim;
      if (teacherDim !== undefined) out.teacherDim = teacherDim;
      const seed = r.number('seed', undefined, { min: 0, integer: true });
      if (seed !== undefined) out.seed = seed;
      return out;
    }
  }
}

const BASE_LABELS: Record<KdMethod, string> = {
  none: 'No KD',
  kd: 'KD',
  dkd: 'DKD',
  ctkd: 'CTKD',
  mlkd: 'MLKD',
  feature: 'FeatKD',
};

/** Report label for a method and its settings, e.g. "KDv2", "DKD+LS", "FeatKD(emb)", "MLKD(weak)". */
export function describeMethod(method: string, settings: ObjectiveSettings = {}): string {
  const m = oneOf('KD method', method, KD_METHODS);
  const s = resolveSettings(m, settings);
  let label = BASE_LABELS[m];
  if (m === 'kd' && s.preset === 'kdv1') label = 'KDv1';
  if (m === 'kd' && s.preset === 'kdv2') label = 'KDv2';
  if (m === 'feature') label += s.mode === 'output' ? '(out)' : '(emb)';
  if (m === 'mlkd' && !s.strongView) label += '(weak)';
  if (s.lskd === true) label += '+LS';
  return label;
}

const num = (s: ResolvedSettings, key: string): number => s[key] as number;

/**
 * Plain-language notes for schedules that a run of `epochs` epochs does not finish. Schedules
 * keep the reference's length in epochs, so a shorter run stays inside them; the notes say so
 * in the run's settings, its report and on stderr.
 */
export function scheduleNotes(method: string, settings: ResolvedSettings, epochs: number): string[] {
  if (method === 'dkd') {
    const w = num(settings, 'warmupEpochs');
    if (w > epochs) {
      const reached = dkdWarmupFactor(epochs - 1, w);
      return [
        `DKD warm-up is ${w} epochs (reference) and this run has ${epochs}: the run stays in the warm-up, its distillation terms reach ${reached.toFixed(2)} of full weight`,
      ];
    }
  }
  if (method === 'ctkd') {
    const e = num(settings, 'lambdaEpochs');
    if (e > epochs) {
      const curriculum = { lambdaMin: num(settings, 'lambdaMin'), lambdaMax: num(settings, 'lambdaMax'), lambdaEpochs: e };
      const reached = ctkdLambda(epochs - 1, curriculum);
      return [
        `CTKD λ ramp is ${e} epochs (reference) and this run has ${epochs}: the run stays in the ramp, λ reaches ${reached.toFixed(2)} of ${curriculum.lambdaMax}`,
      ];
    }
  }
  return [];
}

function logitInputs(batch: DistillBatch): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  return [batch.studentLogits, batch.teacherLogits, batch.labels];
}

/**
 * Builds the objective the trainer calls per batch. The returned `variables` (CTKD's θ, the
 * feature projection) must be optimised with the student; `dispose()` releases them.
 */
export function createObjective(method: string, settings: ObjectiveSettings = {}): DistillObjective {
  const m = oneOf('KD method', method, KD_METHODS);
  const s = resolveSettings(m, settings);
  const label = describeMethod(m, settings);
  const task = s.task as TaskKind;
  const variables: tf.Variable[] = [];
  let terms: (batch: DistillBatch) => Record<string, tf.Scalar>;
  let diagnostics: DistillObjective['diagnostics'];

  switch (m) {
    case 'none':
      terms = (b) => ({ task: taskLoss(task, b.studentLogits, b.labels) });
      break;
    case 'kd':
      terms = (b) =>
        kdTerms(...logitInputs(b), {
          temperature: num(s, 'temperature'),
          taskWeight: num(s, 'taskWeight'),
          kdWeight: num(s, 'kdWeight'),
          standardize: s.lskd === true,
        });
      break;
    case 'dkd':
      terms = (b) =>
        dkdTerms(...logitInputs(b), {
          alpha: num(s, 'alpha'),
          beta: num(s, 'beta'),
          temperature: num(s, 'temperature'),
          taskWeight: num(s, 'taskWeight'),
          warmupFactor: dkdWarmupFactor(b.epoch, num(s, 'warmupEpochs')),
          standardize: s.lskd === true,
        });
      diagnostics = (epoch) => ({ warmupFactor: dkdWarmupFactor(epoch, num(s, 'warmupEpochs')) });
      break;
    case 'ctkd': {
      const thetaInit = tf.scalar(num(s, 'thetaInit'));
      const theta = tf.variable(thetaInit, true);
      thetaInit.dispose();
      variables.push(theta);
      const curriculum: CtkdCurriculum = {
        lambdaMin: num(s, 'lambdaMin'),
        lambdaMax: num(s, 'lambdaMax'),
        lambdaEpochs: num(s, 'lambdaEpochs'),
      };
      terms = (b) =>
        ctkdTerms(...logitInputs(b), theta, {
          taskWeight: num(s, 'taskWeight'),
          kdWeight: num(s, 'kdWeight'),
          tStart: num(s, 'tStart'),
          tRange: num(s, 'tRange'),
          lambda: ctkdLambda(b.epoch, curriculum),
          standardize: s.lskd === true,
        });
      diagnostics = (epoch) => {
        const thetaValue = theta.dataSync()[0];
        return {
          temperature: num(s, 'tStart') + num(s, 'tRange') / (1 + Math.exp(-thetaValue)),
          lambda: ctkdLambda(epoch, curriculum),
        };
      };
      break;
    }
    case 'mlkd':
      terms = (b) => {
        let strong;
        if (s.strongView) {
          check(
            b.studentLogitsStrong !== undefined && b.teacherLogitsStrong !== undefined,
            'mlkd: strongView is on but the batch has no studentLogitsStrong/teacherLogitsStrong (strong-augmentation view)',
          );
          strong = { studentLogits: b.studentLogitsStrong, teacherLogits: b.teacherLogitsStrong };
        }
        return mlkdTerms(
          ...logitInputs(b),
          {
            temperature: num(s, 'temperature'),
            taskWeight: num(s, 'taskWeight'),
            kdWeight: num(s, 'kdWeight'),
            standardize: s.lskd === true,
          },
          strong,
        );
      };
      break;
    case 'feature': {
      let projection: Projection | null = null;
      if (s.projection) {
        const studentDim = num(s, 'studentDim');
        const teacherDim = num(s, 'teacherDim');
        const seed = s.seed === undefined ? nextSeed() : num(s, 'seed');
        const init = tf.initializers.glorotUniform({ seed }).apply([studentDim, teacherDim]);
        const weight = tf.variable(init, true) as tf.Variable<tf.Rank.R2>;
        init.dispose();
        const zeros = tf.zeros([teacherDim]);
        const bias = tf.variable(zeros, true) as tf.Variable<tf.Rank.R1>;
        zeros.dispose();
        variables.push(weight, bias);
        projection = { weight, bias };
      }
      const options = {
        task,
        mode: s.mode as 'output' | 'embedding',
        taskWeight: num(s, 'taskWeight'),
        kdWeight: num(s, 'kdWeight'),
      };
      terms = (b) => {
        if (options.mode === 'embedding') {
          const ds = b.studentEmbedding.shape[1];
          const dt = b.teacherEmbedding.shape[1];
          if (projection) {
            check(
              ds === projection.weight.shape[0],
              () => `feature: studentDim is ${projection?.weight.shape[0]} but the batch's student embedding has ${ds} columns`,
            );
          } else {
            check(
              ds === dt,
              () =>
                `feature: embedding sizes differ (student ${ds}, teacher ${dt}); create the objective with studentDim: ${ds}, teacherDim: ${dt} so a learned projection is trained`,
            );
          }
        }
        return featureTerms(
          {
            studentOutput: b.studentLogits,
            teacherOutput: b.teacherLogits,
            studentEmbedding: b.studentEmbedding,
            teacherEmbedding: b.teacherEmbedding,
            labels: b.labels,
          },
          options,
          projection,
        );
      };
      break;
    }
  }

  let disposed = false;
  return {
    name: m,
    label,
    settings: s,
    variables,
    strongView: m === 'mlkd' && s.strongView === true,
    loss: (batch) => sumTerms(terms(batch)),
    lossTerms: (batch) => terms(batch),
    diagnostics,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const v of variables) v.dispose();
    },
  };
}
