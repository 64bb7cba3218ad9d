/** No distillation: the no-KD student's loss, the task loss alone (the baseline every gain is measured against). */
import { taskLoss, type TaskKind } from './losses.js';
import type { MethodDefinition } from './method.js';

// L = ℓ(y, f(x)): cross-entropy (classification) or MSE (regression)
export const none: MethodDefinition = {
  name: 'none',
  label: 'No KD',
  reference: 'no distillation',
  family: 'baseline',
  options: [],
  resolve: (_r, { task }) => ({ task }),
  build: (s) => ({ terms: (b) => ({ task: taskLoss(s.task as TaskKind, b.studentLogits, b.labels) }) }),
};
