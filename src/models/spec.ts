/**
 * What a model is, as JSON: the architecture family, its width and depth, the input shape and
 * the number of outputs. A spec plus a seed determines the initial weights exactly; the spec
 * travels inside every saved model so it can be rebuilt and audited.
 */
import * as z from 'zod';
import { CmkdError } from '../util/errors.js';

export const MODEL_KINDS = ['mlp', 'cnn', 'resnet', 'linear'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export type ModelTask = 'classification' | 'regression';

/** The MLP and the linear model flatten their input, so they read tables (and images); the CNN and the ResNet read images only. */
export function readsTables(kind: ModelKind): boolean {
  return kind === 'mlp' || kind === 'linear';
}

export interface ModelSpec {
  kind: ModelKind;
  /** Per-sample input shape: [d] for a table, [H, W, C] for an image. */
  inputShape: number[];
  /** Number of logits (classes), or 1 for regression. */
  outputs: number;
  task: ModelTask;
  /**
   * Dense hidden widths. MLP: the hidden layers; CNN: the dense layers after the conv blocks.
   * The last one is the embedding. Unused by the ResNet (its embedding is the pooled features)
   * and by the linear model (its embedding is the input itself).
   */
  hidden: number[];
  /** CNN: filters of each conv–pool block; ResNet: channels of each stage. Unused by the MLP and the linear model. */
  channels: number[];
  /** ResNet: basic blocks per stage. */
  blocks: number;
  /** Dropout rate before the logits layer (and between MLP / CNN dense layers; the linear model: on its inputs). */
  dropout: number;
  /**
   * Regression: the training rows' target mean and sd. The network learns the standardised target
   * z = (y − mean) / std, and a fixed last layer returns ŷ = std·z + mean, so the model's output,
   * loss and metrics stay in the target's units. Without it (models saved before): ŷ = z.
   */
  target?: { mean: number; std: number };
}

const positiveInt = z.number().int().positive();

/** Runtime schema of a ModelSpec (used to validate specs read from files and options). */
export const modelSpecSchema = z.object({
  kind: z.enum(MODEL_KINDS),
  inputShape: z.array(positiveInt).min(1).max(3),
  outputs: positiveInt,
  task: z.enum(['classification', 'regression']),
  hidden: z.array(positiveInt),
  channels: z.array(positiveInt),
  blocks: positiveInt,
  dropout: z.number().min(0).lt(1),
  target: z.object({ mean: z.number().finite(), std: z.number().finite().positive() }).optional(),
});

/** Defaults per family: small enough to train on a CPU in seconds to minutes. */
const DEFAULTS: Record<ModelKind, Pick<ModelSpec, 'hidden' | 'channels' | 'blocks' | 'dropout'>> = {
  mlp: { hidden: [128, 64], channels: [], blocks: 1, dropout: 0.1 },
  cnn: { hidden: [64], channels: [16, 32], blocks: 1, dropout: 0.1 },
  resnet: { hidden: [], channels: [16, 32], blocks: 1, dropout: 0 },
  // Softmax (or linear) regression on the flattened input; the same dropout before the logits as the MLP's.
  linear: { hidden: [], channels: [], blocks: 1, dropout: 0.1 },
};

export type SpecOverrides = Partial<Pick<ModelSpec, 'hidden' | 'channels' | 'blocks' | 'dropout'>>;

/**
 * A complete spec for `kind` on inputs of `inputShape`, with the family defaults for anything
 * not overridden. Regression models get one output whatever `outputs` says. A linear model has
 * no hidden layers or channels, so widths given for it (e.g. a budget's table widths) are dropped.
 */
export function makeSpec(
  kind: ModelKind,
  inputShape: number[],
  outputs: number,
  task: ModelTask,
  overrides: SpecOverrides = {},
  target?: ModelSpec['target'],
): ModelSpec {
  const d = DEFAULTS[kind];
  const widths = kind === 'linear' ? {} : overrides;
  return validateSpec({
    kind,
    inputShape: [...inputShape],
    outputs: task === 'regression' ? 1 : outputs,
    task,
    hidden: [...(widths.hidden ?? d.hidden)],
    channels: [...(widths.channels ?? d.channels)],
    blocks: overrides.blocks ?? d.blocks,
    dropout: overrides.dropout ?? d.dropout,
    ...(target ? { target } : {}),
  });
}

/** Check a spec (e.g. one read from a model file) and the fit between family and input shape. */
export function validateSpec(spec: unknown, where = 'model spec'): ModelSpec {
  const parsed = modelSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CmkdError(`${where}: field '${issue.path.join('.') || '(root)'}': ${issue.message}`, 'invalid-option');
  }
  const s = parsed.data;
  if (!readsTables(s.kind) && s.inputShape.length !== 3) {
    throw new CmkdError(
      `${where}: a ${s.kind} needs image inputs of shape [H, W, C], got [${s.inputShape.join(', ')}]; use --model mlp for tables`,
      'invalid-option',
    );
  }
  if (!readsTables(s.kind) && s.channels.length === 0) {
    throw new CmkdError(`${where}: a ${s.kind} needs at least one entry in 'channels'`, 'invalid-option');
  }
  if (s.kind === 'mlp' && s.hidden.length === 0) {
    throw new CmkdError(`${where}: an mlp needs at least one hidden layer (the last one is the embedding)`, 'invalid-option');
  }
  if (s.kind === 'linear' && (s.hidden.length > 0 || s.channels.length > 0)) {
    throw new CmkdError(`${where}: a linear model has no 'hidden' layers or 'channels'`, 'invalid-option');
  }
  if (s.task === 'regression' && s.outputs !== 1) {
    throw new CmkdError(`${where}: a regression model has 1 output, got ${s.outputs}`, 'invalid-option');
  }
  if (s.target && s.task !== 'regression') {
    throw new CmkdError(`${where}: 'target' (the target's mean and sd) applies to regression models only`, 'invalid-option');
  }
  return s;
}

/** Width of the embedding (penultimate layer) a spec produces. */
export function embeddingSize(spec: ModelSpec): number {
  if (spec.kind === 'linear') return spec.inputShape.reduce((a, b) => a * b, 1);
  if (spec.kind === 'resnet') return spec.channels[spec.channels.length - 1];
  if (spec.kind === 'cnn' && spec.hidden.length === 0) return spec.channels[spec.channels.length - 1];
  return spec.hidden[spec.hidden.length - 1];
}
