/** Learning-rate schedules, as pure functions of the step. */
import { CmkdError } from '../util/errors.js';

export const SCHEDULES = ['constant', 'cosine', 'step'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export interface ScheduleSettings {
  name: ScheduleName;
  /** 'step': multiply by gamma every `stepEpochs` epochs (defaults: 0.1 every ⌈epochs/3⌉). */
  gamma?: number;
  stepEpochs?: number;
  /** 'cosine': floor as a fraction of the base rate (default 0). */
  minFactor?: number;
}

/** A schedule option (a name, or settings) as settings; default constant. */
export function scheduleSettings(option: ScheduleName | ScheduleSettings | undefined): ScheduleSettings {
  return typeof option === 'object' ? option : { name: option ?? 'constant' };
}

/**
 * The learning rate at 0-based global step `step` of `totalSteps`, in epoch `epoch` of
 * `epochs`, for base rate `lr`. Cosine anneals per step: lr·(m + (1 − m)·½(1 + cos(π·step/total))).
 */
export function learningRateAt(s: ScheduleSettings, lr: number, step: number, totalSteps: number, epoch: number, epochs: number): number {
  switch (s.name) {
    case 'constant':
      return lr;
    case 'cosine': {
      const m = s.minFactor ?? 0;
      return lr * (m + (1 - m) * 0.5 * (1 + Math.cos((Math.PI * step) / Math.max(1, totalSteps))));
    }
    case 'step': {
      const every = s.stepEpochs ?? Math.max(1, Math.ceil(epochs / 3));
      return lr * (s.gamma ?? 0.1) ** Math.floor(epoch / every);
    }
    default:
      throw new CmkdError(
        `unknown schedule '${String((s as { name: unknown }).name)}'; expected one of: ${SCHEDULES.join(', ')}`,
        'invalid-option',
      );
  }
}
