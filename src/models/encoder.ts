/**
 * DisCoM-KD's encoders are the project's backbones (src/models: MLP, CNN, ResNet) cut at
 * their 'embedding' layer. Each branch holds two of them, so the layers are re-created under
 * a prefix inside the branch's own graph (flat, stock layers only): the saved student then
 * has unique weight names and loads with plain tf.loadLayersModel.
 */
import { tf } from '../engine/index.js';
import { buildModel } from './build.js';
import { embeddingSize, type ModelSpec } from './spec.js';

type Sym = tf.SymbolicTensor;
type LayerClass = tf.serialization.SerializableConstructor<tf.layers.Layer>;

/** Width of the embedding the encoder of `spec` produces. */
export const encoderWidth = (spec: ModelSpec): number => embeddingSize(spec);

/**
 * Apply the backbone of `spec` (initialised from `seed`, exactly as buildModel would) to `x`
 * and return its embedding. Layer names become `${prefix}_${name}`.
 */
export function applyEncoder(spec: ModelSpec, seed: number, x: Sym, prefix: string): Sym {
  const source = buildModel(spec, seed);
  try {
    const embedding = source.getLayer('embedding');
    // The layers the embedding depends on (everything but the logits head).
    const needed = new Set<tf.layers.Layer>();
    const stack = [embedding];
    while (stack.length > 0) {
      const l = stack.pop()!;
      if (needed.has(l)) continue;
      needed.add(l);
      for (const node of l.inboundNodes) stack.push(...node.inboundLayers);
    }
    const out = new Map<tf.layers.Layer, Sym>();
    for (const layer of source.layers) {
      if (!needed.has(layer)) continue;
      if (layer.getClassName() === 'InputLayer') {
        out.set(layer, x);
        continue;
      }
      const inputs = layer.inboundNodes[0].inboundLayers.map((l) => out.get(l)!);
      const cls = layer.constructor as LayerClass;
      const copy = tf.layers.Layer.fromConfig(cls, { ...layer.getConfig(), name: `${prefix}_${layer.name}` });
      const y = copy.apply(inputs.length === 1 ? inputs[0] : inputs) as Sym;
      copy.setWeights(layer.getWeights());
      out.set(layer, y);
    }
    return out.get(embedding)!;
  } finally {
    source.dispose();
  }
}
