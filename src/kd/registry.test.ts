import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import type { ObjectiveSettings } from './method.js';
import { createObjective, describeMethod, KD_METHODS, methodDefinition, methodOptions, resolveSettings } from './registry.js';
import { crossEntropy64, dkd64, kd64, mse64, type Rows } from './testing/reference64.js';
import { disposeBatch } from './testing/fixture.js';
import { classLabels, logits, tensorsLeftBy, valueOf } from './testing/tf-helpers.js';
import type { DistillBatch } from './types.js';

beforeAll(async () => {
  await initEngine();
});

const student: Rows = [
  [1.2, -0.3, 0.5],
  [-1.0, 0.4, 0.9],
];
const teacher: Rows = [
  [2.5, -1.0, 0.2],
  [-0.5, 1.8, 0.1],
];
const labels = [0, 1];

function classificationBatch(epoch = 0): DistillBatch {
  return {
    studentLogits: logits(student),
    teacherLogits: logits(teacher),
    studentEmbedding: logits([
      [0.1, 0.2],
      [0.3, -0.1],
    ]),
    teacherEmbedding: logits([
      [0.0, 0.4],
      [0.2, 0.2],
    ]),
    labels: classLabels(labels),
    epoch,
    totalEpochs: 40,
  };
}

function errorOf(f: () => unknown): CmkdError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CmkdError);
    return e as CmkdError;
  }
  throw new Error('expected a CmkdError');
}

describe('createObjective settings', () => {
  it('lists the methods', () => {
    expect(KD_METHODS).toEqual(['none', 'kd', 'dkd', 'ctkd', 'mlkd', 'feature']);
  });

  it('rejects an unknown method listing the accepted ones', () => {
    expect(errorOf(() => createObjective('fitnet')).message).toBe(
      "unknown KD method 'fitnet'; expected one of: none, kd, dkd, ctkd, mlkd, feature",
    );
  });

  it('rejects an unknown option listing the accepted ones for that method', () => {
    const e = errorOf(() => resolveSettings('dkd', { gamma: 2 }));
    expect(e.message).toBe(
      `unknown option 'gamma' for KD method 'dkd'; accepted options: ${methodOptions(methodDefinition('dkd')).join(', ')}`,
    );
    expect(methodOptions(methodDefinition('dkd'))).toEqual(['task', 'alpha', 'beta', 'temperature', 'taskWeight', 'warmupEpochs', 'lskd']);
    expect(e.code).toBe('invalid-option');
    expect(errorOf(() => resolveSettings('feature', { lskd: true })).message).toMatch(/unknown option 'lskd' for KD method 'feature'/);
  });

  it.each<[string, ObjectiveSettings, RegExp]>([
    ['kd', { temperature: 0 }, /kd: option 'temperature' must be > 0, got 0/],
    ['dkd', { temperature: -1 }, /dkd: option 'temperature' must be > 0, got -1/],
    ['kd', { alpha: 1.5 }, /kd: option 'alpha' must be in \[0, 1\], got 1.5/],
    ['ctkd', { alpha: -0.1 }, /ctkd: option 'alpha' must be in \[0, 1\], got -0.1/],
    ['dkd', { beta: -2 }, /dkd: option 'beta' must be ≥ 0, got -2/],
    ['dkd', { warmupEpochs: 2.5 }, /dkd: option 'warmupEpochs' must be an integer, got 2.5/],
    ['kd', { temperature: 'hot' }, /kd: option 'temperature' must be a finite number, got "hot"/],
    ['kd', { lskd: 'yes' }, /kd: option 'lskd' must be true or false, got "yes"/],
    ['kd', { alpha: 0.3, kdWeight: 2 }, /give either alpha .* or taskWeight\/kdWeight, not both/],
    ['kd', { preset: 'kdv1', alpha: 0.3 }, /give either preset or alpha/],
    ['kd', { preset: 'kdv3' }, /unknown kd option 'preset' value 'kdv3'; expected one of: kdv1, kdv2/],
    ['ctkd', { lambdaMin: 0.8, lambdaMax: 0.5 }, /lambdaMin \(0.8\) must be ≤ lambdaMax \(0.5\)/],
    ['feature', { mode: 'logits' }, /expected one of: output, embedding/],
    ['feature', { studentDim: 8, teacherDim: 4, projection: false }, /embedding sizes differ \(student 8, teacher 4\)/],
    ['feature', { projection: true }, /a projection needs studentDim and teacherDim/],
    ['none', { task: 'ranking' }, /expected one of: classification, regression/],
  ])('%s %o → CmkdError', (method, settings, message) => {
    expect(errorOf(() => resolveSettings(method, settings)).message).toMatch(message);
  });

  it.each(['kd', 'dkd', 'ctkd', 'mlkd'])('logit method %s on a regression task is a CmkdError naming the method and why', (method) => {
    const e = errorOf(() => createObjective(method, { task: 'regression' }));
    expect(e.message).toContain(`KD method '${method}' distils class probabilities`);
    expect(e.message).toContain("for regression use 'feature'");
    expect(e.code).toBe('unsupported');
  });

  it('fills in the reference defaults', () => {
    expect(resolveSettings('kd')).toEqual({
      task: 'classification',
      taskWeight: 0.5,
      kdWeight: 0.5,
      temperature: 4,
      lskd: false,
      alpha: 0.5,
      preset: 'kdv2',
    });
    expect(resolveSettings('kd', { preset: 'kdv1' })).toMatchObject({
      taskWeight: 0,
      kdWeight: 1,
      alpha: 0,
      preset: 'kdv1',
    });
    expect(resolveSettings('dkd')).toMatchObject({
      alpha: 1,
      beta: 8,
      temperature: 4,
      taskWeight: 1,
      warmupEpochs: 20,
    });
    expect(resolveSettings('ctkd')).toMatchObject({
      taskWeight: 0.1,
      kdWeight: 0.9,
      tStart: 1,
      tRange: 20,
      thetaInit: 1,
      lambdaMin: 0,
      lambdaMax: 1,
      lambdaEpochs: 10,
    });
    expect(resolveSettings('mlkd')).toMatchObject({
      taskWeight: 0.1,
      kdWeight: 0.9,
      temperature: 4,
      strongView: true,
    });
    expect(resolveSettings('feature')).toMatchObject({
      mode: 'embedding',
      taskWeight: 1,
      kdWeight: 1,
      projection: false,
    });
    expect(resolveSettings('feature', { task: 'regression' })).toMatchObject({ mode: 'output' });
    expect(resolveSettings('none', { task: 'regression' })).toEqual({ task: 'regression' });
  });

  it('accepts CLI strings for numbers and switches', () => {
    expect(resolveSettings('dkd', { alpha: '2', beta: '4', lskd: 'true', warmupEpochs: '5' })).toMatchObject({
      alpha: 18,
      beta: 36,
      lskd: true,
      warmupEpochs: 5,
    });
  });
});

describe('describeMethod', () => {
  it.each<[string, ObjectiveSettings, string]>([
    ['none', {}, 'No KD'],
    ['kd', {}, 'KDv2'],
    ['kd', { preset: 'kdv1' }, 'KDv1'],
    ['kd', { alpha: 0 }, 'KDv1'],
    ['kd', { taskWeight: 0.3, kdWeight: 2 }, 'KD'],
    ['kd', { lskd: true }, 'KD+LS'],
    ['dkd', { lskd: true }, 'DKD+LS'],
    ['ctkd', {}, 'CTKD'],
    ['mlkd', { lskd: true }, 'MLKD+LS'],
    ['mlkd', { strongView: false }, 'MLKD(weak)'],
    ['feature', {}, 'FeatKD(emb)'],
    ['feature', { task: 'regression' }, 'FeatKD(out)'],
  ])('%s %o → %s', (method, settings, label) => {
    expect(describeMethod(method, settings)).toBe(label);
    if (method !== 'ctkd' && method !== 'feature') expect(createObjective(method, settings).label).toBe(label);
  });
});

describe('objective.loss', () => {
  it("'none' is plain CE for classification and plain MSE for regression", () => {
    const b = classificationBatch();
    expect(valueOf(() => createObjective('none').loss(b))).toBeCloseTo(crossEntropy64(student, labels), 5);
    disposeBatch(b);
    const r: DistillBatch = {
      ...classificationBatch(),
      studentLogits: logits([[0.5], [2]]),
      teacherLogits: logits([[0], [0]]),
      labels: tf.tensor1d([1, 1]),
    };
    expect(valueOf(() => createObjective('none', { task: 'regression' }).loss(r))).toBeCloseTo(mse64([0.5, 2], [1, 1]), 6);
    disposeBatch(r);
  });

  it('KD and DKD objectives compute their reference losses, DKD with the warm-up of the batch epoch', () => {
    const b = classificationBatch(4);
    expect(valueOf(() => createObjective('kd', { alpha: 0.2, temperature: 3 }).loss(b))).toBeCloseTo(
      kd64(student, teacher, labels, { temperature: 3, taskWeight: 0.2, kdWeight: 0.8 }),
      5,
    );
    expect(valueOf(() => createObjective('dkd').loss(b))).toBeCloseTo(
      dkd64(student, teacher, labels, {
        alpha: 1,
        beta: 8,
        temperature: 4,
        taskWeight: 1,
        warmupFactor: 5 / 20,
      }),
      4,
    );
    expect(createObjective('dkd').diagnostics?.(4, 40)).toEqual({ warmupFactor: 0.25 });
    disposeBatch(b);
  });

  it.each<[string, ObjectiveSettings]>([
    ['none', {}],
    ['kd', { lskd: true }],
    ['dkd', {}],
    ['ctkd', { lskd: true }],
    ['mlkd', { strongView: false }],
    ['feature', {}],
    ['feature', { mode: 'output' }],
  ])('%s %o: finite loss equal to the sum of its terms, no tensor leaks, variables released by dispose', (method, settings) => {
    const before = tf.memory().numTensors;
    const objective = createObjective(method, settings);
    const b = classificationBatch(3);
    const total = valueOf(() => objective.loss(b));
    expect(Number.isFinite(total)).toBe(true);
    const parts = tf.tidy(() => Object.values(objective.lossTerms!(b)).map((s) => s.dataSync()[0]));
    expect(parts.reduce((a, v) => a + v, 0)).toBeCloseTo(total, 5);
    expect(tensorsLeftBy(() => objective.loss(b))).toBe(0);
    expect(tensorsLeftBy(() => tf.grad((s: tf.Tensor) => objective.loss({ ...b, studentLogits: s as tf.Tensor2D }))(b.studentLogits))).toBe(
      0,
    );
    if (objective.variables.length) {
      expect(
        tensorsLeftBy(() => {
          const { value, grads } = tf.variableGrads(() => objective.loss(b), objective.variables);
          tf.dispose(Object.values(grads));
          return value;
        }),
      ).toBe(0);
    }
    disposeBatch(b);
    objective.dispose();
    objective.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('MLKD trains on the strong view by default and needs its logits in the batch', () => {
    const objective = createObjective('mlkd');
    expect(objective.strongView).toBe(true);
    const weakOnly = createObjective('mlkd', { strongView: false });
    expect(weakOnly.strongView).toBe(false);
    const b = classificationBatch();
    expect(() => tf.tidy(() => objective.loss(b))).toThrow(/strongView is on but the batch has no studentLogitsStrong/);
    const withStrong = { ...b, studentLogitsStrong: b.studentLogits, teacherLogitsStrong: b.teacherLogits };
    const noStrong = valueOf(() => weakOnly.loss(b));
    expect(valueOf(() => objective.loss(withStrong))).toBeGreaterThan(noStrong);
    disposeBatch(b);
  });
});
