import { describe, expect, it } from 'vitest';
import { BUDGET_PRESETS, resolveRunBudget, trainingSchedule } from './budget.js';

describe('trainingSchedule', () => {
  it("maps each preset to the epochs and patience it had in epochs on digits' typical sizes", () => {
    // Digits: quick 2000 rows, standard 5000, full 10000; 70% train.
    expect(trainingSchedule(BUDGET_PRESETS.quick, 1400)).toEqual({ epochs: 6, patience: 3, minEpochs: 3, stepsPerEpoch: 44, steps: 264 });
    expect(trainingSchedule(BUDGET_PRESETS.standard, 3500)).toMatchObject({ epochs: 15, patience: 4, minEpochs: 8, stepsPerEpoch: 55 });
    expect(trainingSchedule(BUDGET_PRESETS.full, 7000)).toMatchObject({ epochs: 30, patience: 6, minEpochs: 15, stepsPerEpoch: 55 });
  });

  it('gives small training sets as many steps, in more epochs', () => {
    // 40 rows at batch 32: 2 steps per epoch.
    const s = trainingSchedule(BUDGET_PRESETS.quick, 40);
    expect(s).toEqual({ epochs: 132, patience: 66, minEpochs: 66, stepsPerEpoch: 2, steps: 264 });
    // Fewer rows than a batch: one step per epoch.
    expect(trainingSchedule(BUDGET_PRESETS.quick, 10)).toMatchObject({ epochs: 264, patience: 132, minEpochs: 132, stepsPerEpoch: 1 });
    // Huge training sets still train at least one epoch, and minEpochs never exceeds epochs.
    expect(trainingSchedule(BUDGET_PRESETS.quick, 100_000)).toMatchObject({ epochs: 1, patience: 1, minEpochs: 1 });
  });

  it('explicit epochs and patience override the step counts', () => {
    const b = resolveRunBudget('quick', { epochs: 4, patience: 2 });
    expect(trainingSchedule(b, 40)).toEqual({ epochs: 4, patience: 2, minEpochs: 4, stepsPerEpoch: 2, steps: 8 });
    expect(trainingSchedule(b, 1400)).toEqual({ epochs: 4, patience: 2, minEpochs: 3, stepsPerEpoch: 44, steps: 176 });
    expect(() => trainingSchedule(b, 0)).toThrow(/training rows must be a positive integer, got 0/);
  });
});

describe('resolveRunBudget', () => {
  it('applies the overrides to a preset', () => {
    expect(resolveRunBudget('quick')).toEqual(BUDGET_PRESETS.quick);
    const b = resolveRunBudget('full', { repeats: 7, maxSteps: 1000, samples: 300 });
    expect(b).toMatchObject({ name: 'full', repeats: 7, maxSteps: 1000, minSteps: 500, maxRows: 300, patienceSteps: 330, epochs: null });
    expect(resolveRunBudget(b, { epochs: 9 })).toMatchObject({ repeats: 7, epochs: 9, maxSteps: 1000 });
  });

  it('rejects a bad value naming its flag', () => {
    expect(() => resolveRunBudget('quick', { repeats: 0 })).toThrow(/^--repeats must be a positive integer, got 0$/);
    expect(() => resolveRunBudget('quick', { maxSteps: 2.5 })).toThrow(/^--max-steps must be a positive integer, got 2.5$/);
    expect(() => resolveRunBudget('huge' as 'quick')).toThrow(/budget/);
  });
});
