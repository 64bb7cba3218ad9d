/**
 * Every experiment `cmkd experiment <name>` can run. To add one, write its definition
 * (types.ts: ExperimentDefinition) and list it here.
 */
import { CmkdError } from '../util/errors.js';
import { cchDigitsExperiment } from './cch-digits/index.js';
import { cchGaussianExperiment } from './cch-gaussian/index.js';
import { cchNoiseExperiment } from './cch-noise/index.js';
import { fusionExperiment } from './fusion/index.js';
import { mfhSyntheticExperiment } from './mfh-synthetic/index.js';
import { verdictsExperiment } from './verdicts/index.js';
import type { ExperimentDefinition } from './types.js';
// Their plans' recipe families: a process that knows the experiments can rebuild their workspaces.

export const EXPERIMENTS: readonly ExperimentDefinition[] = [
  cchGaussianExperiment,
  mfhSyntheticExperiment,
  cchDigitsExperiment,
  cchNoiseExperiment,
  fusionExperiment,
  verdictsExperiment,
];

export function getExperiment(name: string): ExperimentDefinition {
  const found = EXPERIMENTS.find((e) => e.name === name);
  if (!found)
    throw new CmkdError(`unknown experiment '${name}'; expected one of: ${EXPERIMENTS.map((e) => e.name).join(', ')}`, 'invalid-option');
  return found;
}
