/**
 * The DisCoM-KD training objective for one mini-batch (Eq. 7):
 *   L = w_cl·L_cl + w_adv·L_adv + w_mod·L_mod + w_aux·L_aux + w_⊥·L_⊥
 * with L_cl, L_aux and L_⊥ as the reference code defines them (tanodino/CMKD_Disentangle,
 * main_DisCoM-KD.py), and L_adv, L_mod as the paper defines them:
 *   L_cl  = mean over modalities of CE(Cl_m([z_inv‖z_inf]), y)
 *   L_adv = CE(D(GRL(z_inv)), modality)
 *   L_mod = ½·[CE(M_inf(z_inf), modality) + CE(M_irr(z_irr), modality)]
 *   L_aux = CE(Aux(z_inv), y) + CE(Aux(z_inf), y)
 *   L_⊥   = mean|cos(z_inf, z_irr)| + mean|cos(z_inf, z_inv)|
 * Deviation, on purpose: the reference code passes ones_like/zeros_like of the [B, 2] logits as
 * targets to nn.CrossEntropyLoss, which reads them as class probabilities — rows of the first
 * modality get target [1, 1] (minimised at p = ½, ½), rows of the second a zero loss — so its
 * L_adv and L_mod are not modality classifiers. We use the hard modality labels of the paper's
 * Eqs. 3–4, which is what the terms are meant to do.
 * A term whose weight is 0 is not computed at all (the ablations).
 */
import { tf } from '../../engine/index.js';
import { crossEntropy } from '../losses.js';
import type { MethodDefinition } from '../method.js';
import { adversarialLoss, modalityLoss, orthogonalityLoss, sharedTaskLoss, type Head, type OrthPenalty } from './losses.js';
import type { DiscomNet } from '../../models/index.js';

export type LossTerm = 'cl' | 'adv' | 'mod' | 'aux' | 'orth';
export const LOSS_TERMS: readonly LossTerm[] = ['cl', 'adv', 'mod', 'aux', 'orth'];
export type LossWeights = Record<LossTerm, number>;

/** The parts of each term, for reporting and for the per-part gradient tests. */
export type SubTerm = 'cl' | 'adv' | 'modInf' | 'modIrr' | 'auxInv' | 'auxInf' | 'orthInvInf' | 'orthInfIrr';

export interface DiscomBatch {
  /** Per modality, in the net's branch order: inputs [B, ...shape]. */
  xs: tf.Tensor[];
  /** Per modality: class indices [B] (int32); identical arrays when the batch is paired. */
  labels: tf.Tensor1D[];
}

export interface ObjectiveOptions {
  weights: LossWeights;
  grlLambda: number;
  orthPenalty: OrthPenalty;
  /** Batch-norm in training mode (batch statistics, moving averages updated). */
  training: boolean;
}

export interface LossTerms {
  total: tf.Scalar;
  /** Weighted terms (w·L) as they enter the total. */
  terms: Partial<Record<LossTerm, tf.Scalar>>;
  /** Unweighted parts. */
  parts: Partial<Record<SubTerm, tf.Scalar>>;
}

const asHead =
  (m: tf.LayersModel): Head =>
  (z) =>
    m.apply(z) as tf.Tensor2D;

/** Every loss term for the batch. Call inside a tidy / gradient tape; the caller owns the results. */
export function discomLossTerms(net: DiscomNet, batch: DiscomBatch, o: ObjectiveOptions): LossTerms {
  const w = o.weights;
  const outs = net.branches.map((b, m) => b.train.apply(batch.xs[m], { training: o.training }) as tf.Tensor2D[]);
  const logits = outs.map((x) => x[0]);
  const zInv = outs.map((x) => x[1]);
  const zInf = outs.map((x) => x[2]);
  const zIrr = outs.map((x) => x[3]);
  const parts: Partial<Record<SubTerm, tf.Scalar>> = {};
  const terms: Partial<Record<LossTerm, tf.Scalar>> = {};
  const M = net.branches.length;

  const sc = (t: tf.Tensor): tf.Scalar => t as tf.Scalar;
  const all = (zs: tf.Tensor2D[]) => tf.concat(zs) as tf.Tensor2D;

  if (w.cl !== 0) {
    const cl = sc(tf.div(tf.addN(logits.map((l, m) => crossEntropy(l, batch.labels[m]))), M));
    parts.cl = cl;
    terms.cl = sc(tf.mul(cl, w.cl));
  }
  if (w.adv !== 0) {
    const adv = adversarialLoss(asHead(net.heads.adversary), zInv, o.grlLambda);
    parts.adv = adv;
    terms.adv = sc(tf.mul(adv, w.adv));
  }
  if (w.mod !== 0) {
    const modInf = modalityLoss(asHead(net.heads.modInf), zInf);
    const modIrr = modalityLoss(asHead(net.heads.modIrr), zIrr);
    Object.assign(parts, { modInf, modIrr });
    terms.mod = sc(tf.mul(tf.add(modInf, modIrr), w.mod / 2));
  }
  if (w.aux !== 0) {
    const auxInv = sharedTaskLoss(asHead(net.heads.aux), zInv, batch.labels);
    const auxInf = sharedTaskLoss(asHead(net.heads.aux), zInf, batch.labels);
    Object.assign(parts, { auxInv, auxInf });
    terms.aux = sc(tf.mul(tf.add(auxInv, auxInf), w.aux));
  }
  if (w.orth !== 0) {
    const orthInfIrr = orthogonalityLoss(all(zInf), all(zIrr), o.orthPenalty);
    const orthInvInf = orthogonalityLoss(all(zInv), all(zInf), o.orthPenalty);
    Object.assign(parts, { orthInfIrr, orthInvInf });
    terms.orth = sc(tf.mul(tf.add(orthInfIrr, orthInvInf), w.orth));
  }
  const active = Object.values(terms);
  const total: tf.Scalar = active.length > 0 ? tf.addN(active) : tf.scalar(0);
  return { total, terms, parts };
}

/**
 * DisCoM-KD in the method registry: it trains one student per modality without a teacher, by
 * its own pipeline (distillDiscom), so it has no per-batch objective against a teacher here.
 */
export const discom: MethodDefinition = {
  name: 'discom',
  label: 'DisCoM-KD',
  reference: 'Ienco & Fraga Dantas, BMVC 2024; tanodino/CMKD_Disentangle main_DisCoM-KD.py, model_pytorch.py, functions.py',
  family: 'teacherless',
  options: [],
  resolve: (_r, { task }) => ({ task }),
};
