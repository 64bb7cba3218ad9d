/**
 * The setup the KD loss tests share: one small batch of student and teacher logits with labels
 * (a file takes the first rows it needs), the engine started before a file's tests with the
 * labels and teacher logits held as tensors, and distillation batches built and released.
 */
import { afterAll, beforeAll } from 'vitest';
import { initEngine, tf } from '../../engine/index.js';
import type { DistillBatch } from '../types.js';
import type { Rows } from './reference64.js';
import { classLabels, logits } from './tf-helpers.js';

/** Five samples of four classes: student and teacher logits and the true labels. */
const STUDENT: Rows = [
  [1.2, -0.3, 0.5, 2.0],
  [-1.0, 0.4, 0.9, -0.2],
  [0.3, 0.3, -2.1, 1.7],
  [0.8, -1.1, 0.0, 0.6],
  [-0.4, 1.5, -0.9, 0.2],
];
const TEACHER: Rows = [
  [2.5, -1.0, 0.2, 1.1],
  [-0.5, 1.8, 0.1, -1.2],
  [0.0, 0.9, -1.5, 2.4],
  [1.9, -0.2, -0.7, 0.3],
  [-1.3, 2.2, -0.4, 0.8],
];
const LABELS = [3, 1, 3, 0, 1];

export interface LogitBatch {
  student: Rows;
  teacher: Rows;
  labels: number[];
}

/** The first `rows` samples of the shared batch (fresh copies, so a test may not change another's). */
export function logitBatch(rows: number): LogitBatch {
  return {
    student: STUDENT.slice(0, rows).map((r) => [...r]),
    teacher: TEACHER.slice(0, rows).map((r) => [...r]),
    labels: LABELS.slice(0, rows),
  };
}

/** The labels (`y`) and teacher logits (`t`) of a file's batch as tensors, valid inside its tests. */
export interface BatchTensors {
  y: tf.Tensor1D;
  t: tf.Tensor2D;
}

/** Starts the engine before the file's tests and makes its labels and teacher logits tensors; releases them after. */
export function useBatchTensors(batch: Pick<LogitBatch, 'teacher' | 'labels'>): BatchTensors {
  const held = {} as BatchTensors;
  beforeAll(async () => {
    await initEngine();
    held.y = classLabels(batch.labels);
    held.t = logits(batch.teacher);
  });
  afterAll(() => {
    held.y.dispose();
    held.t.dispose();
  });
  return held;
}

/** Releases every tensor of a distillation batch. */
export function disposeBatch(b: DistillBatch): void {
  tf.dispose([b.studentLogits, b.teacherLogits, b.studentEmbedding, b.teacherEmbedding, b.labels]);
}
