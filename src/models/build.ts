/**
 * Model builders. Every model is a TF.js functional LayersModel with two outputs,
 * [logits, embedding]: output 0 ('logits') holds the class logits (or the regression
 * prediction), output 1 ('embedding') the penultimate representation that feature KD and the
 * mutual-information estimates read. One artefact serves training, distillation and a browser
 * (`model.predict(x)[0]` classifies). Initialisers are seeded from `buildModel`'s seed, so a
 * (spec, seed) pair fixes the initial weights.
 */
import { tf } from '../engine/index.js';
import { conv2dOnTape } from '../engine/kernels/conv2d-layer.js';
import { denseOnTape } from '../engine/kernels/dense.js';
import { dropout as dropoutOp } from '../engine/kernels/dropout.js';
import { makeRng, type Rng } from '../util/rng.js';
import { validateSpec, type ModelSpec } from './spec.js';

type Sym = tf.SymbolicTensor;

/** Names of the model's outputs, in order. Recorded in the saved model's metadata. */
export const OUTPUT_NAMES = ['logits', 'embedding'] as const;

/** Metadata key under which cmkd stores its own information in `userDefinedMetadata`. */
export const META_KEY = 'cmkd';

interface Ctx {
  rng: Rng;
  spec: ModelSpec;
}

const he = (c: Ctx) => tf.initializers.heNormal({ seed: c.rng.seed() });
const glorot = (c: Ctx) => tf.initializers.glorotUniform({ seed: c.rng.seed() });
// Class logits start at a tenth of Glorot-uniform's values (variance × 0.01): with Glorot the quick-budget textured-digits CNN began at logit sd 1.0–3.3 (loss 2.8–5.8 > ln 10), and its large first gradients kept 27 of 36 runs at chance after epoch 1 and 4 below F1 0.70 (test F1 0.756 ± 0.055 → 0.806 ± 0.032 over 36 seeds and splits, none below 0.70; bench/README.md).
const smallLogits = (c: Ctx) =>
  tf.initializers.varianceScaling({ scale: 0.01, mode: 'fanAvg', distribution: 'uniform', seed: c.rng.seed() });

// The ResNet keeps Glorot-uniform: batch norm and average pooling already start it near ln C (loss 2.34–2.41), and a tenth of it slowed it (textured digits, 15 epochs, 3 seeds: test F1 0.478 → 0.420).
const logitsInit = (c: Ctx) => (c.spec.kind === 'resnet' ? glorot(c) : smallLogits(c));

function apply(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/**
 * tf.layers.dropout (same class name and config, so saved models load anywhere) whose training call
 * runs the engine's dropout: one kernel on wasm with the same draws and bits (engine/kernels/dropout.ts).
 */
function dropoutLayer(args: { rate: number; seed: number; name: string }): tf.layers.Layer {
  const layer = tf.layers.dropout(args);
  const own = layer as unknown as { rate: number; seed?: number; noiseShape?: number[] };
  const stock = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs : [inputs];
    if (kwargs.training !== true || x.length !== 1 || own.noiseShape != null || !(own.rate > 0 && own.rate < 1))
      return stock(inputs, kwargs);
    return dropoutOp(x[0], own.rate, own.seed);
  };
  return layer;
}

/**
 * tf.layers.dense (same class and config) whose forward pass under a gradient tape is the engine's
 * one-kernel dense layer, with the same bits (engine/kernels/dense.ts); anywhere else the stock call.
 */
function denseLayer(args: Parameters<typeof tf.layers.dense>[0]): tf.layers.Layer {
  const layer = tf.layers.dense(args);
  const own = layer as unknown as { kernel?: tf.LayerVariable; bias?: tf.LayerVariable; activation: { getClassName(): string } };
  const stock = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs : [inputs];
    const fused =
      x.length === 1 && own.kernel ? denseOnTape(x[0], own.kernel.read(), own.bias?.read() ?? null, own.activation.getClassName()) : null;
    return fused ?? stock(inputs, kwargs);
  };
  return layer;
}

/**
 * tf.layers.conv2d (same class and config) whose forward pass under a gradient tape is the engine's
 * one-kernel convolution layer, with the same bits (engine/kernels/conv2d-layer.ts); anywhere else the stock call.
 */
function conv2dLayer(args: Parameters<typeof tf.layers.conv2d>[0]): tf.layers.Layer {
  const layer = tf.layers.conv2d(args);
  const own = layer as unknown as {
    kernel?: tf.LayerVariable;
    bias?: tf.LayerVariable;
    strides: number | number[];
    padding: string;
    dilationRate: number | number[];
    dataFormat: string;
    activation: { getClassName(): string };
  };
  const stock = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs : [inputs];
    const fused =
      x.length === 1 && own.kernel
        ? conv2dOnTape(x[0], own.kernel.read(), own.bias?.read() ?? null, {
            strides: own.strides,
            padding: own.padding,
            dilationRate: own.dilationRate,
            dataFormat: own.dataFormat,
            activation: own.activation.getClassName(),
          })
        : null;
    return fused ?? stock(inputs, kwargs);
  };
  return layer;
}

function dropout(c: Ctx, x: Sym, name: string): Sym {
  if (c.spec.dropout <= 0) return x;
  return apply(dropoutLayer({ rate: c.spec.dropout, seed: c.rng.seed(), name }), x);
}

/** Dense ReLU layers; the last is named 'embedding' and is returned before any dropout. */
function denseStack(c: Ctx, x: Sym, widths: number[]): Sym {
  let h = x;
  widths.forEach((units, i) => {
    const last = i === widths.length - 1;
    if (i > 0) h = dropout(c, h, `dropout_${i - 1}`);
    h = apply(denseLayer({ units, activation: 'relu', kernelInitializer: he(c), name: last ? 'embedding' : `dense_${i}` }), h);
  });
  return h;
}

function mlpBody(c: Ctx, input: Sym): Sym {
  const x = c.spec.inputShape.length > 1 ? apply(tf.layers.flatten({ name: 'flatten' }), input) : input;
  return denseStack(c, x, c.spec.hidden);
}

/**
 * Softmax (linear) regression: the flattened input goes straight to the logits layer. The
 * 'embedding' output is the input features themselves, through an identity layer named
 * 'embedding', so feature KD and the MI estimates read what the logits layer reads.
 */
function linearBody(c: Ctx, input: Sym): Sym {
  const x = c.spec.inputShape.length > 1 ? apply(tf.layers.flatten({ name: 'flatten' }), input) : input;
  return apply(tf.layers.activation({ activation: 'linear', name: 'embedding' }), x);
}

/** Conv–pool blocks (3×3 conv, ReLU, 2×2 max-pool), then dense layers or global pooling. */
function cnnBody(c: Ctx, input: Sym): Sym {
  let h = input;
  let [height, width] = c.spec.inputShape;
  c.spec.channels.forEach((filters, i) => {
    h = apply(conv2dLayer({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: he(c), name: `conv_${i}` }), h);
    // Pool only while the feature map is at least 2×2, so tiny inputs still build.
    if (height >= 2 && width >= 2) {
      h = apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool_${i}` }), h);
      height = Math.floor(height / 2);
      width = Math.floor(width / 2);
    }
  });
  if (c.spec.hidden.length === 0) return apply(tf.layers.globalAveragePooling2d({ name: 'embedding' }), h);
  h = apply(tf.layers.flatten({ name: 'flatten' }), h);
  return denseStack(c, h, c.spec.hidden);
}

function convBn(c: Ctx, x: Sym, filters: number, kernelSize: number, strides: number, name: string): Sym {
  const h = apply(tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: he(c), name }), x);
  return apply(tf.layers.batchNormalization({ momentum: 0.9, name: `${name}_bn` }), h);
}

/** ResNet basic block: conv–BN–ReLU–conv–BN plus shortcut (1×1 projection when the shape changes), ReLU. */
function basicBlock(c: Ctx, x: Sym, filters: number, strides: number, name: string): Sym {
  let h = convBn(c, x, filters, 3, strides, `${name}_conv1`);
  h = apply(tf.layers.activation({ activation: 'relu', name: `${name}_relu1` }), h);
  h = convBn(c, h, filters, 3, 1, `${name}_conv2`);
  const inChannels = x.shape[x.shape.length - 1];
  const shortcut = strides !== 1 || inChannels !== filters ? convBn(c, x, filters, 1, strides, `${name}_proj`) : x;
  const sum = apply(tf.layers.add({ name: `${name}_add` }), [h, shortcut]);
  return apply(tf.layers.activation({ activation: 'relu', name: `${name}_out` }), sum);
}

/** Stem conv, then one stage of `blocks` basic blocks per channel count (stride 2 between stages), global average pool. */
function resnetBody(c: Ctx, input: Sym): Sym {
  let h = convBn(c, input, c.spec.channels[0], 3, 1, 'stem');
  h = apply(tf.layers.activation({ activation: 'relu', name: 'stem_relu' }), h);
  let [height, width] = c.spec.inputShape;
  c.spec.channels.forEach((filters, s) => {
    for (let b = 0; b < c.spec.blocks; b++) {
      const downsample = s > 0 && b === 0 && height >= 2 && width >= 2;
      if (downsample) {
        height = Math.ceil(height / 2);
        width = Math.ceil(width / 2);
      }
      h = basicBlock(c, h, filters, downsample ? 2 : 1, `stage${s}_block${b}`);
    }
  });
  return apply(tf.layers.globalAveragePooling2d({ name: 'embedding' }), h);
}

// ŷ = std·z + mean: a fixed (not trained) layer taking the standardised regression target back to its units.
function targetUnits(t: { mean: number; std: number }, z: Sym): Sym {
  return apply(
    denseLayer({
      units: 1,
      trainable: false,
      kernelInitializer: tf.initializers.constant({ value: t.std }),
      biasInitializer: tf.initializers.constant({ value: t.mean }),
      name: 'logits',
    }),
    z,
  );
}

/**
 * Build the model of `spec` with initial weights fixed by `seed`. Outputs: [logits, embedding]
 * (see OUTPUT_NAMES); the spec is stored in the model's user-defined metadata.
 */
export function buildModel(spec: ModelSpec, seed: number): tf.LayersModel {
  const s = validateSpec(spec);
  const c: Ctx = { rng: makeRng(seed), spec: s };
  const input = tf.input({ shape: s.inputShape, name: 'input' });
  const body = { mlp: mlpBody, cnn: cnnBody, resnet: resnetBody, linear: linearBody }[s.kind];
  const embedding = body(c, input);
  const head = dropout(c, embedding, 'dropout_head');
  const logits = s.target
    ? targetUnits(s.target, apply(denseLayer({ units: 1, kernelInitializer: glorot(c), name: 'standardised' }), head))
    : apply(denseLayer({ units: s.outputs, kernelInitializer: logitsInit(c), name: 'logits' }), head);
  const model = tf.model({ inputs: input, outputs: [logits, embedding], name: `cmkd_${s.kind}` });
  model.setUserDefinedMetadata({ [META_KEY]: { spec: s, outputs: [...OUTPUT_NAMES] } });
  return model;
}

/** The spec a cmkd model was built from (from its user-defined metadata). */
export function modelSpecOf(model: tf.LayersModel): ModelSpec {
  const meta = (model.getUserDefinedMetadata() as Record<string, { spec?: unknown }> | undefined)?.[META_KEY];
  return validateSpec(meta?.spec, `model '${model.name}' metadata`);
}

/** Dropout layers of a model, so the trainer can reseed them per step (TF.js reuses a fixed seed otherwise). */
export function dropoutLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() === 'Dropout');
}
