/**
 * Stand-in backbone builders until src/models lands: an MLP for tables, a small CNN for
 * images, each ending in a ReLU embedding of the requested width.
 */
import { tf } from '../../engine/index.js';

export type BackboneSpec = { kind: 'mlp'; hidden?: number[] } | { kind: 'cnn'; filters?: number[] };

type Sym = tf.SymbolicTensor;

/** Apply the backbone to `x` and return its embedding ([B, width], after ReLU). */
export function applyBackbone(spec: BackboneSpec, x: Sym, width: number, prefix: string, seed: () => number): Sym {
  const init = () => tf.initializers.glorotUniform({ seed: seed() });
  let h: Sym = x;
  if (spec.kind === 'cnn') {
    (spec.filters ?? [8, 16]).forEach((f, i) => {
      h = tf.layers
        .conv2d({ filters: f, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(), name: `${prefix}_conv${i}` })
        .apply(h) as Sym;
      h = tf.layers.maxPooling2d({ poolSize: 2, name: `${prefix}_pool${i}` }).apply(h) as Sym;
    });
    h = tf.layers.flatten({ name: `${prefix}_flat` }).apply(h) as Sym;
  } else {
    if (x.shape.length > 2) h = tf.layers.flatten({ name: `${prefix}_flat` }).apply(h) as Sym;
    (spec.hidden ?? [64]).forEach((u, i) => {
      h = tf.layers.dense({ units: u, activation: 'relu', kernelInitializer: init(), name: `${prefix}_dense${i}` }).apply(h) as Sym;
    });
  }
  return tf.layers.dense({ units: width, activation: 'relu', kernelInitializer: init(), name: `${prefix}_emb` }).apply(h) as Sym;
}
