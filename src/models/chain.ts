/**
 * A model's training forward pass without tf.layers' graph executor, where the model is a chain.
 *
 * model.apply runs every layer through Layer.apply and the container's executor (name scopes,
 * input checks, feed dictionaries, a tidy per layer); on the quick MLP that bookkeeping was about
 * a third of a training step's forward and backward time. When each layer of the model reads
 * exactly the previous layer's single output (cmkd's MLP and CNN: input, then dense, dropout,
 * conv, pooling and flatten layers one after the other), `applyForTraining` calls each layer's own
 * `call` in order and picks the model's outputs from the chain: the same layer computations on
 * the same tensors, so the same values (models.test.ts). Any other graph (ResNet's shortcuts,
 * DisCoM-KD's branches) goes through model.apply.
 */
import { tf } from '../engine/index.js';

type Chain = { layers: tf.layers.Layer[]; outputs: number[] } | null;
const chains = new WeakMap<tf.LayersModel, Chain>();

/** The layers after the input in order, and for each model output the position of its layer; null if not a chain. */
function chainOf(model: tf.LayersModel): Chain {
  const layers = model.layers;
  if (model.inputs.length !== 1 || layers.length < 2 || layers[0].getClassName() !== 'InputLayer') return null;
  for (let i = 0; i < layers.length; i++) {
    const nodes = layers[i].inboundNodes;
    if (nodes.length !== 1) return null;
    if (i === 0) continue;
    const { inboundLayers, nodeIndices, tensorIndices } = nodes[0];
    if (inboundLayers.length !== 1 || inboundLayers[0] !== layers[i - 1] || nodeIndices[0] !== 0 || tensorIndices[0] !== 0) return null;
    if (nodes[0].outputTensors.length !== 1) return null;
  }
  const outputs = model.outputLayers.map((layer, k) =>
    model.outputLayersNodeIndices[k] === 0 && model.outputLayersTensorIndices[k] === 0 ? layers.indexOf(layer) - 1 : -2,
  );
  if (outputs.some((p) => p < 0)) return null;
  return { layers: layers.slice(1), outputs };
}

/** model.apply(x, { training: true }), through the layers' own calls where the model is a chain. */
export function applyForTraining(model: tf.LayersModel, x: tf.Tensor): tf.Tensor[] {
  if (!chains.has(model)) chains.set(model, chainOf(model));
  const chain = chains.get(model)!;
  if (!chain) return model.apply(x, { training: true }) as tf.Tensor[];
  const kwargs = { training: true };
  const values: tf.Tensor[] = [];
  let h = x;
  for (const layer of chain.layers) {
    const y = layer.call(h, kwargs) as tf.Tensor;
    // As Layer.apply: a layer that passes its input through (a linear activation) hands out a copy.
    h = y === h ? tf.clone(y) : y;
    values.push(h);
  }
  return chain.outputs.map((p) => values[p]);
}
