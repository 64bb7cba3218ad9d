/**
 * The estimator registry: every MI estimator cmkd knows, one definition per estimator file.
 * Everything that lists or dispatches an estimator goes through here — the `estimator` option's
 * choices, default resample counts, and which estimate a pair of variables gets. To add an
 * estimator: write its file (equation, estimate function, an MIEstimatorDefinition), add its
 * name to MIEstimatorName (src/mi/types.ts) and one line to ESTIMATORS below.
 */
import { oneOf } from '../util/errors.js';
import type { MIEstimatorDefinition, MIPairKind } from './estimator.js';
import { gaussian } from './gaussian.js';
import { ksg } from './ksg.js';
import { latent } from './latent.js';
import { mine } from './mine.js';
import { plugIn } from './plugin.js';
import type { MIEstimatorName } from './types.js';

export const ESTIMATORS: readonly MIEstimatorDefinition[] = [gaussian, ksg, mine, latent, plugIn];

const selectable = ESTIMATORS.filter((e) => e.selectable);

/** What the `estimator` option (`--estimator`) accepts. */
export const MI_ESTIMATORS: readonly MIEstimatorName[] = selectable.map((e) => e.name as MIEstimatorName);

/** Default number of resamples per estimator. */
export const DEFAULT_RESAMPLES: Readonly<Record<MIEstimatorName, number>> = Object.fromEntries(
  selectable.map((e) => [e.name, e.resamples as number]),
) as Record<MIEstimatorName, number>;

/** The definition of a selectable estimator; an unknown name is a CmkdError listing the known ones. */
export function estimatorDefinition(name: string): MIEstimatorDefinition {
  const found = oneOf('estimator', name, MI_ESTIMATORS);
  return selectable.find((e) => e.name === found) as MIEstimatorDefinition;
}

/** The estimator a pair gets: the one named when it takes the pair, else the first in ESTIMATORS that does (discrete pairs: plug-in). */
export function estimatorFor(named: MIEstimatorDefinition, pair: MIPairKind): MIEstimatorDefinition {
  return named.takes.includes(pair) ? named : (ESTIMATORS.find((e) => e.takes.includes(pair)) as MIEstimatorDefinition);
}
