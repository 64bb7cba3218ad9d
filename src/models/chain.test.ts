import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../engine/index.js';
import { applyForTraining, buildModel, dropoutLayers, makeSpec, type ModelSpec } from './index.js';

beforeAll(async () => {
  await initEngine({ backend: 'wasm' });
});

/** Outputs of a training forward pass and the gradients of Σ r ⊙ logits over the trainable weights, as bit patterns. */
function trainingPass(model: tf.LayersModel, x: tf.Tensor, forward: (x: tf.Tensor) => tf.Tensor[]): number[][] {
  for (const [i, d] of (dropoutLayers(model) as unknown as { seed?: number }[]).entries()) d.seed = 100 + i;
  return tf.tidy(() => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let outs: tf.Tensor[] = [];
    const { grads } = tf.variableGrads(() => {
      outs = forward(x).map((t) => tf.keep(t));
      const r = tf.linspace(-1, 1, outs[0].size).reshape(outs[0].shape);
      return tf.sum(tf.mul(outs[0], r));
    }, vars);
    const all = [...outs, ...vars.map((v) => grads[v.name])];
    const bits = all.map((t) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer)));
    tf.dispose(outs);
    return bits;
  });
}

describe('applyForTraining', () => {
  const cases: [string, ModelSpec][] = [
    ['mlp (dropout 0.1)', makeSpec('mlp', [12], 4, 'classification', { hidden: [16, 8] })],
    ['mlp on images (flatten)', makeSpec('mlp', [4, 4, 2], 3, 'classification', { hidden: [6], dropout: 0.3 })],
    ['cnn', makeSpec('cnn', [8, 8, 2], 5, 'classification', { channels: [4, 6], hidden: [9] })],
    ['linear', makeSpec('linear', [10], 3, 'classification', {})],
    ['resnet (not a chain: model.apply)', makeSpec('resnet', [8, 8, 1], 3, 'classification', { channels: [4], blocks: 1 })],
  ];
  for (const [name, spec] of cases) {
    it(`gives model.apply's training outputs and gradients bit for bit: ${name}`, () => {
      const model = buildModel(spec, 3);
      const x = tf.randomNormal([6, ...spec.inputShape], 0, 1, 'float32', 7);
      const direct = trainingPass(model, x, (a) => applyForTraining(model, a));
      const stock = trainingPass(model, x, (a) => model.apply(a, { training: true }) as tf.Tensor[]);
      expect(direct).toEqual(stock);
      expect(direct.length).toBe(2 + model.trainableWeights.length);
      tf.dispose(x);
      model.dispose();
    });
  }

  it("trains the CNN's conv layers through the one-kernel conv layer with the stock layers' bits", () => {
    const spec = makeSpec('cnn', [12, 12, 3], 5, 'classification', { channels: [4, 8], hidden: [9] });
    const model = buildModel(spec, 4);
    const x = tf.randomNormal([6, ...spec.inputShape], 0, 1, 'float32', 8);
    const ours = trainingPass(model, x, (a) => applyForTraining(model, a));
    // Without the engine's conv layer kernel the layers run tf.layers' own call.
    const kernel = tf.getKernel('CmkdConv2D', 'wasm')!;
    tf.unregisterKernel('CmkdConv2D', 'wasm');
    try {
      expect(trainingPass(model, x, (a) => applyForTraining(model, a))).toEqual(ours);
    } finally {
      tf.registerKernel(kernel);
    }
    tf.dispose(x);
    model.dispose();
  });

  it('runs the chain without tf.layers’ executor: the dropout layers draw, the container is not called', () => {
    const model = buildModel(makeSpec('mlp', [5], 3, 'classification', { hidden: [4] }), 1);
    const container = model as unknown as { call: (...a: unknown[]) => unknown };
    const stockCall = container.call;
    let calls = 0;
    container.call = (...a: unknown[]) => {
      calls++;
      return stockCall.apply(model, a);
    };
    const x = tf.ones([2, 5]);
    tf.dispose(applyForTraining(model, x));
    expect(calls).toBe(0);
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor[]);
    expect(calls).toBe(1);
    x.dispose();
    model.dispose();
  });
});
