import { describe, expect, it } from 'vitest';
import { BUDGET_PRESETS, budgetTraining, resolveRunBudget, TABLE_FIT, tableFit, trainingSchedule } from './budget.js';

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

describe('tableFit', () => {
  it("fits logistic regression: linear without dropout, full batch, scikit-learn's L2 for C and n rows, the last step kept", () => {
    const b = tableFit(BUDGET_PRESETS.quick);
    expect(b).toMatchObject({ model: 'linear', table: { hidden: [64, 64], dropout: 0 }, fit: TABLE_FIT });
    expect(trainingSchedule(b, 96)).toEqual({ epochs: 300, patience: 0, minEpochs: 0, stepsPerEpoch: 1, steps: 300 });
    // ½‖W‖² + C·Σ CE over 96 rows ⇔ mean CE + λ/2·‖W‖² with λ = 1/(C·96).
    expect(budgetTraining(b, 96)).toEqual({
      epochs: 300,
      lr: 0.05,
      batchSize: 300,
      weightDecay: 1 / (0.1 * 96),
      earlyStopping: false,
      keep: 'last',
    });
    // One batch holds every training part below 300 rows; a larger one is refused, not cut into batches.
    expect(() => budgetTraining(b, 301)).toThrow(/at most 300 training rows in its one batch, got 301/);
    // The presets are untouched.
    expect(budgetTraining(BUDGET_PRESETS.quick, 96)).not.toHaveProperty('keep');
  });
});
