/**
 * What a KD method is to the rest of cmkd: one definition per method file (its name, label,
 * reference, options with their defaults and validation, and how to build its objective),
 * collected in src/kd/registry.ts. Every method list, CLI choice, sweep grammar and label is
 * derived from the registry, so adding a method is one file plus one registry line.
 */
import type { tf } from '../engine/index.js';
import { check, CmkdError, oneOf } from '../util/errors.js';
import type { TaskKind } from './losses.js';
import type { DistillBatch, DistillObjective } from './types.js';

export type { TaskKind };
export const TASK_KINDS: readonly TaskKind[] = ['classification', 'regression'];

export type SettingValue = number | string | boolean;
/** Settings as given (CLI strings such as "4" or "true" are accepted for numbers and switches). */
export type ObjectiveSettings = Readonly<Record<string, SettingValue | undefined>>;
/** Settings after validation and defaults, as recorded in logs and model cards. */
export type ResolvedSettings = Record<string, SettingValue>;

/** The CLI's method flags and the option each sets (`--lambda` is the KD-term weight). */
export const METHOD_FLAGS = { alpha: 'alpha', beta: 'beta', temperature: 'temperature', lambda: 'kdWeight' } as const;
export type MethodFlag = keyof typeof METHOD_FLAGS;

/** What a definition's build returns; the registry wraps it into a DistillObjective. */
export interface BuiltObjective {
  /** The weighted terms whose sum is the loss, e.g. { task, tckd, nckd }. */
  terms(batch: DistillBatch): Record<string, tf.Scalar>;
  /** The terms' sum in fewer kernels where the method has such a form (the same bits); absent: the sum of `terms`. */
  loss?(batch: DistillBatch): tf.Scalar;
  /** Variables the method owns (CTKD's θ, a feature projection), optimised with the student. */
  variables?: tf.Variable[];
  /** The variables' own optimiser, when it is not the student's (CTKD's θ: the reference's SGD). */
  optimizer?: DistillObjective['optimizer'];
  diagnostics?: DistillObjective['diagnostics'];
  /** The loss reads the strong-augmentation view of every batch (MLKD). */
  strongView?: boolean;
}

export interface MethodDefinition {
  /** The one name of the method: `--method`, the sweep and run grammar, results files. */
  readonly name: string;
  /** Report label of the plain method, e.g. 'DKD'; `describe` adds variants. */
  readonly label: string;
  /** Paper and reference code its defaults were read from (docs/methods.md has the table). */
  readonly reference: string;
  /**
   * 'logit': distils class logits through a softmax — classification only, takes `lskd` (the
   * '+ls' variant). 'feature': distils outputs or embeddings by regression. 'teacherless':
   * trained without a teacher by its own pipeline (DisCoM-KD); it has no objective here.
   * 'baseline': no distillation (the no-KD student's loss).
   */
  readonly family: 'logit' | 'feature' | 'teacherless' | 'baseline';
  /** Option names accepted (besides `task`, and `lskd` for logit methods). */
  readonly options: readonly string[];
  /** Validates settings and fills in the reference defaults. Pure: creates no tensors. */
  resolve(r: SettingsReader, ctx: { task: TaskKind; lskd: boolean }): ResolvedSettings;
  /** The label for resolved settings when it differs from `label` (without '+LS'), e.g. 'KDv2', 'FeatKD(emb)'. */
  describe?(s: ResolvedSettings): string;
  /** Builds the objective from resolved settings (absent for teacherless methods). */
  build?(s: ResolvedSettings): BuiltObjective;
  /** Schedules a run of `epochs` epochs does not finish, in words. */
  scheduleNotes?(s: ResolvedSettings, epochs: number): string[];
  /** Settings a run supplies from its context where the user gave none (feature KD: embedding sizes, projection seed). */
  fromRun?(given: ObjectiveSettings, run: RunContext): ObjectiveSettings;
}

/** What a run knows that a method's settings may need. */
export interface RunContext {
  task: TaskKind;
  /** Penultimate embedding widths of student and teacher. */
  studentDim: number;
  teacherDim: number;
  seed: number;
}

interface NumberRule {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
  integer?: boolean;
}

/** Reads one method's settings: rejects unknown names and out-of-range values with CmkdError. */
export class SettingsReader {
  constructor(
    readonly method: string,
    private readonly raw: ObjectiveSettings,
    accepted: readonly string[],
  ) {
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

  /**
   * The weights of a CE + KD pair given either as α (convex form: CE weight α, KD weight 1 − α)
   * or as two weights, over `defaults`; `presetAlpha` fixes α.
   */
  weightPair(
    defaults: { taskWeight: number; kdWeight: number },
    presetAlpha?: number,
  ): { taskWeight: number; kdWeight: number; alpha?: number } {
    const hasPair = this.has('taskWeight') || this.has('kdWeight');
    const alpha = presetAlpha ?? this.number('alpha', undefined, { min: 0, max: 1 });
    if (alpha !== undefined) {
      check(
        !hasPair,
        () => `${this.method}: give either alpha (CE weight α, KD weight 1 − α) or taskWeight/kdWeight, not both`,
        'invalid-option',
      );
      return { taskWeight: alpha, kdWeight: 1 - alpha, alpha };
    }
    return {
      taskWeight: this.number('taskWeight', defaults.taskWeight, { min: 0 }),
      kdWeight: this.number('kdWeight', defaults.kdWeight, { min: 0 }),
    };
  }
}

/** A number of resolved settings (validated by the method's resolve). */
export const num = (s: ResolvedSettings, key: string): number => s[key] as number;
