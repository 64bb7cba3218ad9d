/**
 * DisCoM-KD's loss terms (Ienco & Fraga Dantas 2024). Its network is in src/models (discom.ts),
 * its training and dataset pipeline in src/train/discom.
 */
export { LOSS_TERMS, discom, discomLossTerms } from './objective.js';
export type { LossTerm, LossWeights, SubTerm, DiscomBatch, ObjectiveOptions } from './objective.js';
export { orthogonalityLoss, adversarialLoss, modalityLoss, sharedTaskLoss, rowCosine } from './losses.js';
export type { OrthPenalty } from './losses.js';
