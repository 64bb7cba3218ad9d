/**
 * DisCoM-KD: teacher-free cross-modal distillation by disentanglement (Ienco & Fraga Dantas 2024).
 * Its training (a learner of the one loop) and dataset pipeline, with its network (src/models)
 * and loss terms (src/kd/discom) re-exported, as the library's `discom` namespace.
 */
export { trainDiscom, DISCOM_DEFAULTS, predictClasses } from './train.js';
export type { DiscomOptions, DiscomModalityInput, DiscomResult, DiscomEpoch } from './train.js';
export { discomOnDataset, saveDiscomStudents } from './pipeline.js';
export type { DiscomDatasetOptions, DiscomDatasetResult } from './pipeline.js';
export { REPRESENTATIONS, buildDiscomNet, discomBackbone } from '../../models/index.js';
export type { Representation, DiscomNet, Branch, BranchSpec } from '../../models/index.js';
export * from '../../kd/discom/index.js';
