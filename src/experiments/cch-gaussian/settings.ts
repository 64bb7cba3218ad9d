/**
 * The sweep: three one-knob families of latent-factor structures, fixed before any run.
 * Each family moves one natural knob across the CCH boundary I(H1;H2) = I(H2;Y)
 * (with clarities c1, c2 and y-fractions ws, w1, w2 of the model, the population margin
 * has the sign of c1·ws² − (ws + w1)(ws + w2)², so c2 does not enter):
 *
 * - label-noise: more label noise lowers I(H2;Y) but not I(H1;H2) — crosses upward (at noise ≈ 0.32).
 * - student-specific: y-information only x2 sees lowers I(H1;H2) and raises I(H2;Y) — crosses downward (≈ 0.36).
 * - teacher-clarity: a clearer view of the shared latent in x1 raises I(H1;H2) — crosses upward (≈ 0.80).
 */
import { check } from '../../util/errors.js';
import type { CchStructure } from './model.js';

export interface CchFamily {
  name: string;
  /** The knob, as shown on figures. */
  knob: string;
  from: number;
  to: number;
  structure(knob: number): CchStructure;
}

/** Signal split of y between shared, teacher-specific and student-specific latents (families 1 and 3). */
const SPLIT = { shared: 0.6, teacherSpecific: 0.25, studentSpecific: 0.15 };
const CLARITY = 0.9;

export const CCH_FAMILIES: readonly CchFamily[] = [
  {
    name: 'label-noise',
    knob: 'label noise Var(ε)/Var(y)',
    from: 0.05,
    to: 0.85,
    structure: (noise) => ({
      shared: SPLIT.shared * (1 - noise),
      teacherSpecific: SPLIT.teacherSpecific * (1 - noise),
      studentSpecific: SPLIT.studentSpecific * (1 - noise),
      teacherClarity: CLARITY,
      studentClarity: CLARITY,
    }),
  },
  {
    name: 'student-specific',
    knob: 'share of y-signal only x2 sees',
    from: 0,
    to: 0.8,
    structure: (phi) => ({
      shared: 0.375 * (1 - phi),
      teacherSpecific: 0.125,
      studentSpecific: 0.375 * phi,
      teacherClarity: CLARITY,
      studentClarity: CLARITY,
    }),
  },
  {
    name: 'teacher-clarity',
    knob: 'clarity of x1 (R² per latent)',
    from: 0.3,
    to: 0.99,
    structure: (c1) => ({
      shared: SPLIT.shared * 0.6,
      teacherSpecific: SPLIT.teacherSpecific * 0.6,
      studentSpecific: SPLIT.studentSpecific * 0.6,
      teacherClarity: c1,
      studentClarity: CLARITY,
    }),
  },
];

export interface CchSetting {
  /** 0-based index in the sweep. */
  index: number;
  id: string;
  family: string;
  knob: number;
  structure: CchStructure;
}

/** Evenly spaced knob values in [from, to] (the midpoint when m = 1). */
export function knobGrid(family: CchFamily, m: number): number[] {
  if (m === 1) return [(family.from + family.to) / 2];
  return Array.from({ length: m }, (_, i) => family.from + ((family.to - family.from) * i) / (m - 1));
}

/** K settings spread over the families as evenly as possible (first families get the remainder). */
export function sweepSettings(k: number, families: readonly CchFamily[] = CCH_FAMILIES): CchSetting[] {
  check(Number.isInteger(k) && k >= 1, `cch-gaussian: --settings must be a positive integer, got ${k}`);
  const out: CchSetting[] = [];
  families.forEach((family, f) => {
    const m = Math.floor(k / families.length) + (f < k % families.length ? 1 : 0);
    if (m === 0) return;
    for (const knob of knobGrid(family, m)) {
      const rounded = Math.round(knob * 1e4) / 1e4;
      out.push({
        index: out.length,
        id: `${family.name}=${rounded}`,
        family: family.name,
        knob: rounded,
        structure: family.structure(rounded),
      });
    }
  });
  return out;
}
