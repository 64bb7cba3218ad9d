/** Model architectures (MLP, CNN, ResNet) with [logits, embedding] outputs, and TF.js-format save/load. */
export { buildModel, dropoutLayers, modelSpecOf, META_KEY, OUTPUT_NAMES } from './build.js';
export { applyForTraining } from './chain.js';
export { embeddingSize, makeSpec, MODEL_KINDS, modelSpecSchema, readsTables, validateSpec } from './spec.js';
export type { ModelKind, ModelSpec, ModelTask, SpecOverrides } from './spec.js';
export { loadModel, MODEL_FILE, readModelArtifacts, saveModel, WEIGHTS_FILE } from './io.js';
export type { ModelMeta, SavedModelMeta, StandardizerMeta } from './io.js';
export { applyEncoder, encoderWidth } from './encoder.js';
export { buildDiscomNet, discomBackbone, DISCOM_BN, REPRESENTATIONS } from './discom.js';
export type { Branch, BranchSpec, BuildOptions as DiscomBuildOptions, DiscomBackbone, DiscomNet, Representation } from './discom.js';
export { fitNearestCentroid, predictNearestCentroid } from './nearest-centroid.js';
export type { NearestCentroid } from './nearest-centroid.js';
export { fitLeastSquares, predictLeastSquares, RIDGE } from './least-squares.js';
export type { LeastSquares } from './least-squares.js';
