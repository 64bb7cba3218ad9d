import { beforeAll, describe, expect, it } from 'vitest';
import { buildDiscomNet, discomBackbone, type DiscomNet, type Representation } from '../../models/index.js';
import { initEngine, tf } from '../../engine/index.js';
import { IMAGE, synthetic, TABLE } from '../testing/discom-data.js';
import { adversarialLoss, modalityLoss, orthogonalityLoss } from './losses.js';
import { discomLossTerms, type LossWeights, type SubTerm } from './objective.js';

beforeAll(async () => {
  await initEngine();
});

function smallNet(representation: Representation = 'inv+inf', D = 4): DiscomNet {
  const specs = [TABLE, IMAGE].map((m) => ({ name: m.name, backbone: discomBackbone(m, 3) }));
  return buildDiscomNet(specs, { embeddingDim: D, numClasses: 3, representation, seed: 1 });
}

function smallBatch(B = 8) {
  const d = synthetic(B, 5);
  const y = tf.tensor1d(d.labels, 'int32');
  return { xs: [tf.tensor2d(d.table, [B, 10]), tf.tensor4d(d.image, [B, 6, 6, 1])], labels: [y, y] };
}

const ALL_ON: LossWeights = { cl: 1, adv: 1, mod: 1, aux: 1, orth: 1 };
const OPTS = { grlLambda: 1, orthPenalty: 'abs' as const, training: true };

function sqNorm(grads: tf.NamedTensorMap, vars: tf.Variable[]): number {
  return vars.reduce((s, v) => s + (grads[v.name] ? tf.tidy(() => tf.sum(tf.square(grads[v.name])).dataSync()[0]) : 0), 0);
}

describe('orthogonality loss', () => {
  it('is 0 for orthogonal rows, 1 for identical or opposite rows (|cos|), scale-free', () => {
    const a = tf.tensor2d([
      [1, 0, 0],
      [0, 2, 0],
    ]);
    const b = tf.tensor2d([
      [0, 3, 0],
      [0, 0, -1],
    ]);
    expect(orthogonalityLoss(a, b).dataSync()[0]).toBeCloseTo(0, 6);
    expect(orthogonalityLoss(a, a).dataSync()[0]).toBeCloseTo(1, 6);
    expect(orthogonalityLoss(a, tf.mul(a, -5) as tf.Tensor2D).dataSync()[0]).toBeCloseTo(1, 6);
    // cos = 1/√2 for [1,1]·[1,0]: |cos| = 0.7071, cos² = 0.5.
    const c = tf.tensor2d([[1, 1, 0]]);
    const e = tf.tensor2d([[1, 0, 0]]);
    expect(orthogonalityLoss(c, e, 'abs').dataSync()[0]).toBeCloseTo(Math.SQRT1_2, 5);
    expect(orthogonalityLoss(c, e, 'square').dataSync()[0]).toBeCloseTo(0.5, 5);
    // An all-zero row counts as orthogonal, not NaN.
    expect(orthogonalityLoss(tf.zeros([1, 3]) as tf.Tensor2D, e).dataSync()[0]).toBe(0);
    tf.dispose([a, b, c, e]);
  });
});

describe('gradient reversal on the adversary input', () => {
  it('keeps the loss value and flips (and scales by λ) the gradient w.r.t. z_inv', () => {
    const head = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })],
    });
    const f = (z: tf.Tensor2D) => head.apply(z) as tf.Tensor2D;
    const z0 = tf.tensor2d([
      [0.5, -1, 2],
      [1, 0.3, -0.2],
    ]);
    const z1 = tf.tensor2d([
      [-0.4, 0.2, 1],
      [0.1, 0.9, 0.3],
    ]);
    const plain = tf.grads((a: tf.Tensor, b: tf.Tensor) => modalityLoss(f, [a as tf.Tensor2D, b as tf.Tensor2D]))([z0, z1]);
    const reversed = tf.grads((a: tf.Tensor, b: tf.Tensor) => adversarialLoss(f, [a as tf.Tensor2D, b as tf.Tensor2D], 0.5))([z0, z1]);
    const p = Array.from(plain[0].dataSync());
    const r = Array.from(reversed[0].dataSync());
    expect(p.some((v) => Math.abs(v) > 1e-4)).toBe(true);
    r.forEach((v, i) => expect(v).toBeCloseTo(-0.5 * p[i], 6));
    expect(adversarialLoss(f, [z0, z1], 0.5).dataSync()[0]).toBeCloseTo(modalityLoss(f, [z0, z1]).dataSync()[0], 6);
    tf.dispose([...plain, ...reversed, z0, z1]);
    head.dispose();
  });
});

describe('network shapes', () => {
  it("projection head batch norm uses PyTorch's BatchNorm1d defaults (momentum 0.1 = TF.js 0.9, eps 1e-5)", () => {
    const net = smallNet();
    const bns = net.branches.flatMap((b) => b.train.layers.filter((l) => l.name.endsWith('_invproj_bn')));
    expect(bns).toHaveLength(2);
    for (const bn of bns) expect(bn.getConfig()).toMatchObject({ momentum: 0.9, epsilon: 1e-5 });
    net.dispose();
  });

  it.each([
    ['inv+inf', 8],
    ['inv', 4],
    ['inf', 4],
    ['inv+inf+irr', 12],
  ] as [Representation, number][])('representation %s: embeddings [B, D], student embedding width %i', (rep, width) => {
    const net = smallNet(rep);
    const batch = smallBatch(5);
    for (const [m, b] of net.branches.entries()) {
      const outs = b.train.predict(batch.xs[m]) as tf.Tensor[];
      expect(outs.map((t) => t.shape)).toEqual([
        [5, 3],
        [5, 4],
        [5, 4],
        [5, 4],
      ]);
      const [logits, emb] = b.student.predict(batch.xs[m]) as tf.Tensor[];
      expect(logits.shape).toEqual([5, 3]);
      expect(emb.shape).toEqual([5, width]);
      tf.dispose([...outs, logits, emb]);
    }
    // z_inf and z_irr are the two halves of the specific encoder's output.
    const [, , zInf, zIrr] = net.branches[0].train.predict(batch.xs[0]) as tf.Tensor[];
    // The backbone's embedding (16 wide) is widened/narrowed to 2D = 8 before the split.
    expect((net.branches[0].train.getLayer('discom0_tab_spec_embedding').output as tf.SymbolicTensor).shape).toEqual([null, 16]);
    expect((net.branches[0].train.getLayer('discom0_tab_spec_split').output as tf.SymbolicTensor).shape).toEqual([null, 8]);
    tf.dispose([zInf, zIrr, ...batch.xs, batch.labels[0]]);
    net.dispose();
  });
});

describe('each loss term reaches the parts it should, and only those', () => {
  // Which parameter groups each part of the objective sends gradient to (default representation).
  const expected: Record<SubTerm, string[]> = {
    cl: ['specific', 'invariant', 'classifier'],
    adv: ['invariant', 'adversary'],
    modInf: ['specific', 'modInf'],
    modIrr: ['specific', 'modIrr'],
    auxInv: ['invariant', 'aux'],
    auxInf: ['specific', 'aux'],
    orthInvInf: ['specific', 'invariant'],
    orthInfIrr: ['specific'],
  };
  it.each(Object.keys(expected) as SubTerm[])('%s', (part) => {
    const net = smallNet();
    const batch = smallBatch();
    const groups: Record<string, tf.Variable[]> = {
      specific: net.branches.flatMap((b) => b.parts.specific),
      invariant: net.branches.flatMap((b) => b.parts.invariant),
      classifier: net.branches.flatMap((b) => b.parts.classifier),
      adversary: net.heads.adversary.trainableWeights.map((w) => w.read() as tf.Variable),
      modInf: net.heads.modInf.trainableWeights.map((w) => w.read() as tf.Variable),
      modIrr: net.heads.modIrr.trainableWeights.map((w) => w.read() as tf.Variable),
      aux: net.heads.aux.trainableWeights.map((w) => w.read() as tf.Variable),
    };
    const { value, grads } = tf.variableGrads(
      () => discomLossTerms(net, batch, { ...OPTS, weights: ALL_ON }).parts[part]!,
      net.variables(),
    );
    for (const [g, vars] of Object.entries(groups)) {
      const norm = sqNorm(grads, vars);
      if (expected[part].includes(g)) expect(norm, `${part} → ${g}`).toBeGreaterThan(1e-12);
      else expect(norm, `${part} → ${g}`).toBe(0);
    }
    // Both branches take part in every term.
    for (const b of net.branches) expect(sqNorm(grads, [...b.parts.specific, ...b.parts.invariant])).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads), ...batch.xs, batch.labels[0]]);
    net.dispose();
  });

  it('ablating a term (weight 0) removes its gradient: with only L_mod the invariant encoder gets none', () => {
    const net = smallNet();
    const batch = smallBatch();
    const gradOf = (weights: LossWeights) =>
      tf.variableGrads(() => discomLossTerms(net, batch, { ...OPTS, weights }).total, net.variables());
    const headVars = (h: tf.LayersModel) => h.trainableWeights.map((w) => w.read() as tf.Variable);
    const inv = net.branches.flatMap((b) => b.parts.invariant);
    const spec = net.branches.flatMap((b) => b.parts.specific);
    const onlyMod = gradOf({ cl: 0, adv: 0, mod: 1, aux: 0, orth: 0 });
    expect(sqNorm(onlyMod.grads, inv)).toBe(0);
    expect(sqNorm(onlyMod.grads, spec)).toBeGreaterThan(0);
    const cases: [keyof LossWeights, tf.Variable[]][] = [
      ['adv', headVars(net.heads.adversary)],
      ['mod', [...headVars(net.heads.modInf), ...headVars(net.heads.modIrr)]],
      ['aux', headVars(net.heads.aux)],
      ['cl', net.branches.flatMap((b) => b.parts.classifier)],
    ];
    for (const [term, vars] of cases) {
      const on = gradOf(ALL_ON);
      const off = gradOf({ ...ALL_ON, [term]: 0 });
      expect(sqNorm(on.grads, vars), `${term} on`).toBeGreaterThan(0);
      expect(sqNorm(off.grads, vars), `${term} off`).toBe(0);
      tf.dispose([on.value, off.value, ...Object.values(on.grads), ...Object.values(off.grads)]);
    }
    tf.tidy(() => {
      const noOrth = discomLossTerms(net, batch, { ...OPTS, weights: { ...ALL_ON, orth: 0 } });
      expect(noOrth.parts.orthInvInf).toBeUndefined();
      expect(noOrth.terms.orth).toBeUndefined();
    });
    tf.dispose([onlyMod.value, ...Object.values(onlyMod.grads), ...batch.xs, batch.labels[0]]);
    net.dispose();
  });
});

describe('orthogonality gradient', () => {
  it('is finite for an all-zero row (dead ReLU embedding)', () => {
    const g = tf.grad((a: tf.Tensor) =>
      orthogonalityLoss(
        a as tf.Tensor2D,
        tf.tensor2d([
          [1, 2, 0],
          [0, 1, 1],
        ]),
      ),
    )(
      tf.tensor2d([
        [0, 0, 0],
        [1, 0, 0],
      ]),
    );
    const v = Array.from(g.dataSync());
    expect(v.every(Number.isFinite)).toBe(true);
  });
});
