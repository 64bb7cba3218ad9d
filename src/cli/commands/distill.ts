import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { hasModality, stratifiedSplit, type MultimodalDataset } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { DISTILL_METHODS, FEATURE_MODES, LOGIT_METHODS, METHOD_FLAGS, METHODS, methodDefinition, type MethodFlag } from '../../kd/index.js';
import { MODEL_FILE } from '../../models/index.js';
import { distill, distillDiscom, loadTeacher, type LoadedTeacher } from '../../train/distill.js';
import { CmkdError, check, oneOf } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { VERSION } from '../../version.js';
import { emit, progressBars, warn } from '../output.js';
import { addDatasetFlags, hiddenAlias, interruptSignal, loadForCommand, type DatasetFlags, prepareOutDir } from '../common.js';
import {
  addBackendFlag,
  addBudgetFlags,
  addOutputFlags,
  backendOption,
  isQuiet,
  listOption,
  numberOption,
  parseBudget,
  range,
  RANGES,
  type BudgetFlags,
  type OutputFlags,
} from '../options.js';
import { evaluationLine } from './train.js';

/** The method settings the flags give, refusing a flag the method does not take. */
export function methodSettings(method: string, f: Partial<Record<MethodFlag, string>>): Record<string, number> {
  const accepted = methodDefinition(method, 'distillation method', DISTILL_METHODS).options;
  const applicable = (Object.keys(METHOD_FLAGS) as MethodFlag[]).filter((k) => accepted.includes(METHOD_FLAGS[k]));
  const out: Record<string, number> = {};
  for (const [flag, option] of Object.entries(METHOD_FLAGS) as [MethodFlag, string][]) {
    const v = f[flag];
    if (v === undefined) continue;
    if (!accepted.includes(option)) {
      throw new CmkdError(
        `--${flag} does not apply to --method ${method}${applicable.length ? `; it takes ${applicable.map((k) => `--${k}`).join(', ')}` : ''}`,
        'invalid-option',
      );
    }
    out[option] = numberOption(`--${flag}`, v, RANGES[flag]) as number;
  }
  return out;
}

interface DistillFlags extends DatasetFlags, BudgetFlags, OutputFlags {
  teacher?: string;
  student?: string;
  /** Hidden old spelling of --student. */
  studentModality?: string;
  method: string;
  lskd?: boolean;
  alpha?: string;
  beta?: string;
  temperature?: string;
  lambda?: string;
  weakViewOnly?: boolean;
  featureMode?: string;
  modalities?: string;
  splitSeed?: string;
  out: string;
  backend?: string;
}

const isModelDir = (p: string) => existsSync(path.join(p, MODEL_FILE));

export function register(program: Command): void {
  addOutputFlags(
    addBackendFlag(
      addBudgetFlags(
        addDatasetFlags(
          hiddenAlias(program.command('distill'), '--student-modality <name>')
            .description(
              'train a student on one modality with a KD method against a teacher (a saved model, or trained here on another modality); discom: one student per modality',
            )
            .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
            .option(
              '--teacher <model-dir|modality>',
              'a saved teacher (its standardiser and split are reused) or the modality to train one on',
            )
            .option('--student <modality>', 'the modality the student reads')
            .requiredOption('--method <name>', DISTILL_METHODS.join('|'))
            .option('--lskd', 'logit standardisation (kd, dkd, ctkd, mlkd)')
            .option('--alpha <x>', `kd/ctkd: CE weight α (KD weight 1 − α); dkd: TCKD weight ${range(RANGES.alpha)}`)
            .option('--beta <x>', `dkd: NCKD weight ${range(RANGES.beta)}`)
            .option('--temperature <t>', `kd, dkd, mlkd: softmax temperature ${range(RANGES.temperature)}`)
            .option('--lambda <x>', `kd, ctkd, mlkd, feature: weight λ of the KD term ${range(RANGES.lambda)}`)
            .option('--weak-view-only', 'mlkd: train on the plain view only (the reference also trains on a strong-augmentation view)')
            .option(
              '--feature-mode <mode>',
              "feature: 'output', the CCH paper's student objective on the outputs (the default for regression), or 'embedding', a hint on the penultimate embeddings (the default for classification)",
            )
            .option('--modalities <a,b>', 'discom: the modalities to distil between (default: student and teacher modality)')
            .option('--split-seed <n>', `seed of the 70/10/20 split (default: a saved teacher's, else 0) ${range(RANGES.splitSeed)}`)
            .requiredOption(
              '--out <dir>',
              'output directory: student model + metrics.json (teacher/ when trained here; one folder per modality for discom)',
            ),
        ),
        { epochs: '30', lr: '0.001', batchSize: '64', patience: '10', monitor: 'val_metric' },
      ),
    ),
  ).action(async (spec: string, flags: DistillFlags) => {
    const f: DistillFlags = { ...flags, student: flags.student ?? flags.studentModality };
    prepareOutDir('--out', f.out);
    const method = oneOf('distillation method', f.method, DISTILL_METHODS);
    const backend = backendOption(f);
    const budget = parseBudget(f, { epochs: 30, lr: 1e-3, batchSize: 64, patience: 10 });
    const settings: Record<string, number | boolean | string> = methodSettings(method, f);
    // A flag for one method's option applies to the methods of the registry that take that option.
    const takes = (flag: string, option: string) => {
      const takers = DISTILL_METHODS.filter((m) => methodDefinition(m, 'distillation method', DISTILL_METHODS).options.includes(option));
      check(takers.includes(method), `${flag} applies to --method ${takers.join(', ')}, not ${method}`, 'invalid-option');
    };
    if (f.weakViewOnly) {
      takes('--weak-view-only', 'strongView');
      settings.strongView = false;
    }
    if (f.featureMode !== undefined) {
      takes('--feature-mode', 'mode');
      settings.mode = oneOf('--feature-mode', f.featureMode, FEATURE_MODES);
    }
    const splitSeedFlag = numberOption('--split-seed', f.splitSeed, RANGES.splitSeed);
    // A method trained without a teacher (DisCoM-KD) trains one student per modality of --modalities.
    const withoutTeacher = methodDefinition(method, 'distillation method', DISTILL_METHODS).family === 'teacherless';
    if (withoutTeacher) {
      check(!f.lskd, `--lskd applies to the logit methods ${LOGIT_METHODS.join(', ')}, not ${method}`, 'invalid-option');
    } else {
      check(f.teacher !== undefined, `--method ${method} needs --teacher <model-dir|modality>`, 'invalid-option');
      check(f.student !== undefined, `--method ${method} needs --student <modality>`, 'invalid-option');
      check(
        f.modalities === undefined,
        `--modalities applies to --method ${TEACHERLESS.join('|')}; give --teacher and --student`,
        'invalid-option',
      );
    }

    await initEngine({ backend });
    const bars = progressBars({ quiet: isQuiet(f) });
    const { signal, release } = interruptSignal();
    let teacher: LoadedTeacher | null = null;
    try {
      const ds = await loadForCommand(spec, f, bars);
      if (withoutTeacher) {
        const report = await runTeacherless(method, ds, f, budget, splitSeedFlag ?? 0, bars, signal);
        bars.stop();
        emit(report, f, (r) =>
          [
            `distilled ${r.label} between ${r.modalities.join(', ')} on ${r.dataset}; split ${r.split.train}/${r.split.val}/${r.split.test}`,
            ...Object.entries(r.students).map(
              ([m, s]) => `${m} student (best epoch ${s.bestEpoch}) test: ${s.test ? evaluationLine(s.test) : 'n/a'}`,
            ),
            `saved ${r.modalities.map((m) => path.join(r.out, m)).join(', ')} (+ ${path.join(r.out, 'metrics.json')})`,
          ].join('\n'),
        );
        return;
      }
      const teacherArg = f.teacher as string;
      if (isModelDir(teacherArg)) {
        teacher = await loadTeacher(teacherArg, ds, splitSeedFlag);
      } else if (!hasModality(ds, teacherArg)) {
        throw new CmkdError(
          `--teacher '${teacherArg}' is neither a saved model directory (no ${MODEL_FILE} there) nor a modality of dataset '${ds.name}' (it has: ${ds.modalities.map((m) => m.name).join(', ')})`,
          'invalid-option',
        );
      }
      const split = stratifiedSplit(ds, { seed: splitSeedFlag ?? teacher?.splitSeed ?? 0 });
      const r = await distill({
        ...budget.training,
        dataset: ds,
        split,
        student: f.student as string,
        teacher: teacher
          ? {
              modality: teacher.modality,
              model: teacher.model,
              standardizer: teacher.standardizer,
              source: teacherArg,
            }
          : { modality: teacherArg },
        method,
        settings,
        lskd: Boolean(f.lskd),
        kind: budget.kind,
        architecture: budget.architecture,
        seed: budget.seed,
        out: f.out,
        onProgress: bars,
        signal,
      });
      const report = {
        cmkd: VERSION,
        dataset: ds.name,
        method,
        label: r.label,
        settings: r.settings,
        notes: r.notes,
        split: {
          seed: split.seed,
          train: split.train.length,
          val: split.val.length,
          test: split.test.length,
        },
        training: r.meta.extra?.training,
        student: {
          modality: f.student as string,
          spec: r.spec,
          val: r.metrics.val,
          test: r.metrics.test,
          history: r.history,
        },
        teacher: {
          modality: r.teacher.modality,
          source: teacher ? teacherArg : 'trained',
          spec: r.teacher.spec,
          val: r.teacherMetrics.val,
          test: r.teacherMetrics.test,
        },
        out: f.out,
        saved: r.saved,
      };
      r.dispose();
      await writeJsonAtomic(path.join(f.out, 'metrics.json'), report);
      bars.stop();
      for (const note of r.notes) warn(`${r.label}: ${note}`);
      emit(report, f, (x) =>
        [
          `distilled ${x.label}: teacher ${x.teacher.modality} (${x.teacher.source}) → student ${x.student.modality} on ${x.dataset}; best epoch ${r.bestEpoch} of ${x.student.history.length}; split ${x.split.train}/${x.split.val}/${x.split.test} (seed ${x.split.seed})`,
          x.teacher.test ? `teacher test: ${evaluationLine(x.teacher.test)}` : '',
          x.student.test ? `student test: ${evaluationLine(x.student.test)}` : '',
          `saved ${path.join(x.out, MODEL_FILE)} (+ weights.bin, metrics.json${x.saved?.teacher ? ', teacher/' : ''})`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    } finally {
      teacher?.model.dispose();
      bars.stop();
      release();
    }
  });
}

/** The distillation methods trained without a teacher (DisCoM-KD: src/train/distill.ts distillDiscom). */
const TEACHERLESS = METHODS.filter((m) => m.family === 'teacherless').map((m) => m.name);

/** A method without a teacher: one student per modality, trained together. */
async function runTeacherless(
  method: string,
  ds: MultimodalDataset,
  f: DistillFlags,
  budget: ReturnType<typeof parseBudget>,
  splitSeed: number,
  onProgress: ReturnType<typeof progressBars>,
  signal: AbortSignal,
) {
  let modalities: string[];
  if (f.modalities !== undefined) {
    modalities = listOption('--modalities', f.modalities) as string[];
  } else {
    check(
      f.teacher !== undefined && f.student !== undefined && !isModelDir(f.teacher),
      `${method} trains one student per modality without a teacher: give --modalities a,b (or --student and a --teacher modality)`,
      'invalid-option',
    );
    modalities = [f.student as string, f.teacher as string];
  }
  const split = stratifiedSplit(ds, { seed: splitSeed });
  const d = await distillDiscom({
    ...budget.training,
    dataset: ds,
    split,
    modalities,
    kind: budget.kind,
    architecture: budget.architecture,
    seed: budget.seed,
    out: f.out,
    onProgress,
    signal,
  });
  const report = {
    cmkd: VERSION,
    dataset: ds.name,
    method,
    label: methodDefinition(method, 'distillation method', DISTILL_METHODS).label,
    modalities,
    settings: d.settings,
    split: { seed: split.seed, train: split.train.length, val: split.val.length, test: split.test.length },
    students: Object.fromEntries(
      Object.entries(d.students).map(([m, s]) => [
        m,
        { bestEpoch: s.bestEpoch, val: s.metrics.val, test: s.metrics.test, out: d.saved?.[m] ?? null },
      ]),
    ),
    history: d.history,
    out: f.out,
  };
  d.dispose();
  await writeJsonAtomic(path.join(f.out, 'metrics.json'), report);
  return report;
}
