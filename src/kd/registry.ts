/**
 * The method registry: every KD method cmkd knows, one definition per method file. Everything
 * that lists, parses, labels or builds a method goes through here — `--method` choices, the
 * `name[+ls]` grammar of sweeps and runs, report labels, settings with their reference defaults,
 * and the objective the trainer calls. To add a method: write its file (equation, loss, and a
 * MethodDefinition) and add one line to METHODS below (docs/methods.md has a worked example).
 */
import { CmkdError, oneOf } from '../util/errors.js';
import { ctkd } from './ctkd.js';
import { discom } from './discom/objective.js';
import { dkd } from './dkd.js';
import { feature } from './feature.js';
import { kd } from './kd.js';
import { mlkd } from './mlkd.js';
import { none } from './none.js';
import {
  SettingsReader,
  TASK_KINDS,
  type MethodDefinition,
  type ObjectiveSettings,
  type ResolvedSettings,
  type TaskKind,
} from './method.js';
import { sumTerms } from './common.js';
import type { DistillObjective } from './types.js';

export const METHODS: readonly MethodDefinition[] = [none, kd, dkd, ctkd, mlkd, feature, discom];

/** The suffix of a logit method's logit-standardisation (LSKD) variant in method ids: 'kd+ls'. */
export const LSKD_SUFFIX = '+ls';

const byName = new Map(METHODS.map((m) => [m.name, m]));

/** Methods with an objective against a teacher: 'none' (the baseline), the logit methods, feature KD. */
export const KD_METHODS: readonly string[] = METHODS.filter((m) => m.build).map((m) => m.name);
/** Methods that distil class logits through a softmax: classification only; each has a '+ls' variant. */
export const LOGIT_METHODS: readonly string[] = METHODS.filter((m) => m.family === 'logit').map((m) => m.name);
/** What `cmkd distill --method` accepts: every method but the no-KD baseline. */
export const DISTILL_METHODS: readonly string[] = METHODS.filter((m) => m.family !== 'baseline').map((m) => m.name);
/** Method ids of sweeps and runs: each distillation method, and each logit method with '+ls'. */
export const METHOD_IDS: readonly string[] = METHODS.filter((m) => m.family !== 'baseline').flatMap((m) =>
  m.family === 'logit' ? [m.name, `${m.name}${LSKD_SUFFIX}`] : [m.name],
);

/** The no-KD baseline's method name (the student trained alone). */
export const NO_KD: string = none.name;
/** Plain KD's method id: `cmkd run` distils it from every teacher, and runs the other methods on the teachers it favours. */
export const PLAIN_KD: string = kd.name;
/** Method ids of a regression task: those that distil by regression (feature KD). */
export const REGRESSION_METHOD_IDS: readonly string[] = METHODS.filter((m) => m.family === 'feature').map((m) => m.name);
/**
 * The method `cmkd run` distils from every teacher: plain KD for classification; for regression,
 * where plain KD has no class probabilities to distil, feature KD, whose regression default is
 * mode 'output', the CCH objective ‖y − f(x₂)‖² + λ·‖f(x₂) − f_t(x₁)‖².
 */
export function teacherMethodId(task: TaskKind): string {
  return task === 'regression' ? feature.name : PLAIN_KD;
}
/**
 * The quick budget's methods (src/run/budget.ts): plain KD with and without logit standardisation,
 * DKD, feature KD and DisCoM-KD — one of each family in a few minutes.
 */
export const QUICK_METHOD_IDS: readonly string[] = [kd.name, `${kd.name}${LSKD_SUFFIX}`, dkd.name, feature.name, discom.name];

/** The definition of `name`; an unknown name is a CmkdError listing the known ones. */
export function methodDefinition(name: string, what = 'KD method', known: readonly string[] = KD_METHODS): MethodDefinition {
  return byName.get(oneOf(what, name, known)) as MethodDefinition;
}

/** A method id of the sweep/run grammar ('dkd', 'kd+ls', 'discom'): the method and its LSKD switch. */
export function parseMethodId(id: string, what = 'method'): { method: MethodDefinition; lskd: boolean } {
  const name = id.trim().toLowerCase();
  if (!METHOD_IDS.includes(name)) {
    throw new CmkdError(`unknown ${what} '${id}'; expected any of: ${METHOD_IDS.join(', ')}`, 'invalid-option');
  }
  const lskd = name.endsWith(LSKD_SUFFIX);
  return { method: byName.get(lskd ? name.slice(0, -LSKD_SUFFIX.length) : name) as MethodDefinition, lskd };
}

/** The option names a method accepts (its own, plus `task`, plus `lskd` for logit methods). */
export function methodOptions(m: MethodDefinition): string[] {
  return ['task', ...m.options, ...(m.family === 'logit' ? ['lskd'] : [])];
}

/**
 * Validates settings for a method and fills in its defaults. Pure: creates no tensors.
 * Throws CmkdError for an unknown method or option, an out-of-range value, or a logit method
 * on a regression task.
 */
export function resolveSettings(method: string, settings: ObjectiveSettings = {}): ResolvedSettings {
  const m = methodDefinition(method);
  const r = new SettingsReader(m.name, settings, methodOptions(m));
  const task = r.choice('task', TASK_KINDS, 'classification');
  if (task === 'regression' && m.family === 'logit') {
    throw new CmkdError(
      `KD method '${m.name}' distils class probabilities (a softmax over logits) and needs a classification task; ` +
        `for regression use 'feature' (mode 'output' or 'embedding') or 'none'`,
      'unsupported',
    );
  }
  return m.resolve(r, { task, lskd: m.family === 'logit' ? r.bool('lskd', false) : false });
}

/** Report label for a method and its settings, e.g. "KDv2", "DKD+LS", "FeatKD(emb)", "MLKD(weak)". */
export function describeMethod(method: string, settings: ObjectiveSettings = {}): string {
  const m = methodDefinition(method);
  const s = resolveSettings(m.name, settings);
  return (m.describe?.(s) ?? m.label) + (s.lskd === true ? '+LS' : '');
}

/**
 * The label of a method id of the sweep/run grammar: 'kd+ls' → 'KD+LS', 'discom' → 'DisCoM-KD';
 * with its defaults for `task` ('feature' → 'FeatKD(emb)' for classification, 'FeatKD(out)' for regression).
 */
export function methodIdLabel(id: string, task: TaskKind = 'classification'): string {
  const { method, lskd } = parseMethodId(id);
  if (!method.build) return method.label;
  return describeMethod(method.name, { ...(lskd ? { lskd } : {}), ...(task === 'regression' ? { task } : {}) });
}

/**
 * Whether method id `id` with its defaults for `task` distils the student's penultimate embedding
 * (FeatKD(emb)): in a linear model the embedding is the input itself, which no loss can move.
 */
export function distilsEmbedding(id: string, task: TaskKind = 'classification'): boolean {
  const { method } = parseMethodId(id);
  return method.build !== undefined && resolveSettings(method.name, task === 'regression' ? { task } : {}).mode === 'embedding';
}

/**
 * Plain-language notes for schedules that a run of `epochs` epochs does not finish. Schedules
 * keep the reference's length in epochs, so a shorter run stays inside them; the notes say so
 * in the run's settings, its report and on stderr.
 */
export function scheduleNotes(method: string, settings: ResolvedSettings, epochs: number): string[] {
  return methodDefinition(method).scheduleNotes?.(settings, epochs) ?? [];
}

/**
 * Builds the objective the trainer calls per batch. The returned `variables` (CTKD's θ, the
 * feature projection) are optimised with the student, by the student's optimiser unless
 * `optimizer` names their own (CTKD); `dispose()` releases them.
 */
export function createObjective(method: string, settings: ObjectiveSettings = {}): DistillObjective {
  const m = methodDefinition(method);
  const s = resolveSettings(m.name, settings);
  const label = describeMethod(m.name, settings);
  const built = (m.build as NonNullable<MethodDefinition['build']>)(s);
  const variables = built.variables ?? [];
  let disposed = false;
  return {
    name: m.name,
    label,
    settings: s,
    variables,
    ...(built.optimizer ? { optimizer: built.optimizer } : {}),
    strongView: built.strongView === true,
    loss: built.loss ?? ((batch) => sumTerms(built.terms(batch))),
    lossTerms: (batch) => built.terms(batch),
    diagnostics: built.diagnostics,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const v of variables) v.dispose();
    },
  };
}
