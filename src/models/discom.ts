/**
 * The DisCoM-KD network (Ienco & Fraga Dantas 2024, Fig. 2): per modality a specific encoder
 * whose embedding is split into z_inf | z_irr, an invariant encoder + projection head giving
 * z_inv, and a task classifier on [z_inv ‖ z_inf]; shared across modalities an adversarial
 * modality classifier (on z_inv, behind the GRL), two modality classifiers (on z_inf and
 * z_irr) and an auxiliary task classifier (on z_inv and z_inf).
 *
 * Each branch is a functional tf.LayersModel built only from stock layers, so its student
 * view (input → [logits, embedding]) saves and loads like any other cmkd model.
 */
import type { ModalityKind } from '../data/types.js';
import { tf } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import { makeRng } from '../util/rng.js';
import { META_KEY, OUTPUT_NAMES } from './build.js';
import { applyEncoder, encoderWidth } from './encoder.js';
import { makeSpec, type ModelKind, type ModelSpec, type SpecOverrides } from './spec.js';

/** The projection head's batch norm: PyTorch's defaults (nn.BatchNorm1d momentum 0.1, eps 1e-5) in TF.js terms. */
export const DISCOM_BN = { momentum: 0.9, epsilon: 1e-5 } as const;

/** What the per-modality task classifier sees (the paper's choice is 'inv+inf'). */
export type Representation = 'inv+inf' | 'inv' | 'inf' | 'inv+inf+irr';
export const REPRESENTATIONS: readonly Representation[] = ['inv+inf', 'inv', 'inf', 'inv+inf+irr'];

/** Architecture of a modality's two encoders: a backbone family and its overrides. */
export type DiscomBackbone = { kind?: ModelKind } & SpecOverrides;

/**
 * The backbone spec of a modality's encoders: `backbone` (default an MLP for tables, a CNN for
 * images) with the models module's default widths and no dropout unless given.
 */
export function discomBackbone(
  m: { name: string; kind: ModalityKind; shape: number[]; backbone?: DiscomBackbone },
  numClasses: number,
): ModelSpec {
  const { kind, ...overrides } = m.backbone ?? {};
  try {
    return makeSpec(kind ?? (m.kind === 'image' ? 'cnn' : 'mlp'), m.shape, numClasses, 'classification', { dropout: 0, ...overrides });
  } catch (err) {
    if (err instanceof CmkdError) throw new CmkdError(`discom: modality '${m.name}' backbone: ${err.message}`, err.code);
    throw err;
  }
}

export interface BranchSpec {
  name: string;
  /** Backbone of both encoders (its inputShape is the modality's per-sample shape). */
  backbone: ModelSpec;
}

export interface Branch {
  name: string;
  /** input → [logits, z_inv, z_inf, z_irr], each embedding [B, D]. */
  train: tf.LayersModel;
  /** input → [logits, embedding]: the standalone single-modality classifier. */
  student: tf.LayersModel;
  /** Trainable variables by part, for the optimiser and the gradient tests. */
  parts: { specific: tf.Variable[]; invariant: tf.Variable[]; classifier: tf.Variable[] };
}

export interface DiscomNet {
  branches: Branch[];
  /** Shared heads, embedding [B, D] → logits. */
  heads: { adversary: tf.LayersModel; modInf: tf.LayersModel; modIrr: tf.LayersModel; aux: tf.LayersModel };
  embeddingDim: number;
  numClasses: number;
  representation: Representation;
  /** Every trainable variable (branches then heads). */
  variables(): tf.Variable[];
  /** Release everything the students do not use (shared heads, unused encoders); idempotent. */
  releaseTraining(): void;
  /** Release everything, students included. */
  dispose(): void;
}

type Sym = tf.SymbolicTensor;

/** A layer-name-safe version of a modality name. */
function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Columns [from, from+width) of a [B, n] symbolic tensor, using only serialisable stock layers. */
function sliceColumns(x: Sym, from: number, width: number, name: string): Sym {
  const n = x.shape[1] as number;
  const r = tf.layers.reshape({ targetShape: [n, 1, 1], name: `${name}_col` }).apply(x) as Sym;
  const c = tf.layers
    .cropping2D({
      cropping: [
        [from, n - from - width],
        [0, 0],
      ],
      name: `${name}_crop`,
    })
    .apply(r) as Sym;
  return tf.layers.flatten({ name }).apply(c) as Sym;
}

function vars(layers: tf.layers.Layer[]): tf.Variable[] {
  return layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
}

function layersOf(model: tf.LayersModel, prefix: string): tf.layers.Layer[] {
  return model.layers.filter((l) => l.name.startsWith(prefix));
}

function buildBranch(
  spec: BranchSpec,
  index: number,
  D: number,
  numClasses: number,
  representation: Representation,
  seed: () => number,
): Branch {
  const p = `discom${index}_${safe(spec.name)}`;
  const input = tf.input({ shape: spec.backbone.inputShape, name: `${p}_input` });
  let specific = applyEncoder(spec.backbone, seed(), input, `${p}_spec`);
  // The reference splits the backbone's own embedding (ResNet-18: 512 = 2·256); a backbone of
  // another width gets a ReLU layer of width 2D to split.
  if (encoderWidth(spec.backbone) !== 2 * D) {
    specific = tf.layers
      .dense({ units: 2 * D, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed() }), name: `${p}_spec_split` })
      .apply(specific) as Sym;
  }
  const zInf = sliceColumns(specific, 0, D, `${p}_zinf`);
  const zIrr = sliceColumns(specific, D, D, `${p}_zirr`);
  const invFeat = applyEncoder(spec.backbone, seed(), input, `${p}_inv`);
  // Projection head: linear → batch-norm → ReLU, as in the reference code's ProjHead.
  let zInv = tf.layers
    .dense({ units: D, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: `${p}_invproj_dense` })
    .apply(invFeat) as Sym;
  // PyTorch BatchNorm1d defaults (momentum 0.1 on the new batch, eps 1e-5) in TF.js terms: momentum 0.9 on the running value.
  zInv = tf.layers
    .batchNormalization({ momentum: DISCOM_BN.momentum, epsilon: DISCOM_BN.epsilon, name: `${p}_invproj_bn` })
    .apply(zInv) as Sym;
  zInv = tf.layers.reLU({ name: `${p}_invproj_zinv` }).apply(zInv) as Sym;

  const parts: Sym[] =
    representation === 'inv'
      ? [zInv]
      : representation === 'inf'
        ? [zInf]
        : representation === 'inv+inf'
          ? [zInv, zInf]
          : [zInv, zInf, zIrr];
  const embedding = parts.length === 1 ? parts[0] : (tf.layers.concatenate({ name: `${p}_repr` }).apply(parts) as Sym);
  const logits = tf.layers
    .dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: `${p}_cls` })
    .apply(embedding) as Sym;

  const train = tf.model({ inputs: input, outputs: [logits, zInv, zInf, zIrr], name: `${p}_train` });
  const student = tf.model({ inputs: input, outputs: [logits, embedding], name: `${p}_student` });
  // The cmkd spec records the backbone of each encoder; the 'discom' entry says how they combine.
  student.setUserDefinedMetadata({
    [META_KEY]: { spec: { ...spec.backbone, outputs: numClasses }, outputs: [...OUTPUT_NAMES] },
    discom: { modality: spec.name, embeddingDim: D, representation, embeddingWidth: embedding.shape[1] },
  });
  return {
    name: spec.name,
    train,
    student,
    parts: {
      specific: vars(layersOf(train, `${p}_spec`)),
      invariant: vars([...layersOf(train, `${p}_inv`)]),
      classifier: vars(layersOf(train, `${p}_cls`)),
    },
  };
}

function linearHead(D: number, units: number, name: string, seed: () => number): tf.LayersModel {
  const m = tf.sequential({ name });
  m.add(
    tf.layers.dense({ inputShape: [D], units, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: `${name}_dense` }),
  );
  return m;
}

export interface BuildOptions {
  embeddingDim: number;
  numClasses: number;
  representation: Representation;
  seed: number;
}

export function buildDiscomNet(specs: BranchSpec[], o: BuildOptions): DiscomNet {
  const rng = makeRng(o.seed);
  const seed = () => rng.seed();
  const D = o.embeddingDim;
  const M = specs.length;
  const branches = specs.map((s, i) => buildBranch(s, i, D, o.numClasses, o.representation, seed));
  const heads = {
    adversary: linearHead(D, M, 'discom_adversary', seed),
    modInf: linearHead(D, M, 'discom_mod_inf', seed),
    modIrr: linearHead(D, M, 'discom_mod_irr', seed),
    aux: linearHead(D, o.numClasses, 'discom_aux', seed),
  };
  const headList = () => [heads.adversary, heads.modInf, heads.modIrr, heads.aux];
  let training = true;
  const releaseTraining = () => {
    if (!training) return;
    training = false;
    for (const h of headList()) h.dispose();
    // Each layer is applied once, so disposing a student frees its weights; layers the
    // student does not use (e.g. the specific encoder under representation 'inv') go here.
    for (const b of branches) {
      for (const l of b.train.layers) if (l.weights.length > 0 && !b.student.layers.includes(l)) l.dispose();
    }
  };
  return {
    branches,
    heads,
    embeddingDim: D,
    numClasses: o.numClasses,
    representation: o.representation,
    variables: () => [
      ...branches.flatMap((b) => b.train.trainableWeights.map((w) => w.read() as tf.Variable)),
      ...headList().flatMap((h) => h.trainableWeights.map((w) => w.read() as tf.Variable)),
    ],
    releaseTraining,
    dispose: () => {
      releaseTraining();
      for (const b of branches) b.student.dispose();
    },
  };
}
