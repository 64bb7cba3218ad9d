/** DisCoM-KD: teacher-free cross-modal distillation by disentanglement (Ienco & Fraga Dantas 2024). */
export { trainDiscom, DISCOM_DEFAULTS, predictClasses } from './train.js';
export { discomBackbone } from '../../models/index.js';
export type { DiscomOptions, DiscomModalityInput, DiscomResult, DiscomEpoch } from './train.js';
export { REPRESENTATIONS, buildDiscomNet } from '../../models/index.js';
export type { Representation, DiscomNet, Branch, BranchSpec } from '../../models/index.js';
export { LOSS_TERMS, discomLossTerms } from './objective.js';
export type { LossTerm, LossWeights, SubTerm, DiscomBatch, ObjectiveOptions } from './objective.js';
export { orthogonalityLoss, adversarialLoss, modalityLoss, sharedTaskLoss, rowCosine } from './losses.js';
export { sparseCrossEntropy } from '../losses.js';
export type { OrthPenalty } from './losses.js';
export { discomOnDataset, saveDiscomStudents } from './pipeline.js';
export type { DiscomDatasetOptions, DiscomDatasetResult } from './pipeline.js';
