/**
 * Resumable stages of a run. Each finished stage leaves `<runDir>/stages/<name>.json` (atomic
 * write) holding its result and the fingerprint of the settings that produced it; a resumed
 * run returns the stored result instead of recomputing, and refuses to mix settings.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CmkdError } from '../util/errors.js';
import { toJson, writeFileAtomic } from '../util/fs.js';

export interface StageStore {
  runDir: string;
  /** Fingerprint of the run's settings; stored results from other settings are not reused. */
  fingerprint: string;
  /** Reuse finished stages (otherwise they are recomputed and overwritten). */
  resume: boolean;
  /** Names of stages taken from disk in this process, for the report. */
  reused: string[];
}

export function fingerprintOf(settings: unknown): string {
  return createHash('sha256').update(toJson(settings)).digest('hex').slice(0, 16);
}

/** A cell id as a file name: every run of characters outside [A-Za-z0-9_.-] becomes '_' (checkPlan refuses ids that would share one). */
export function stageName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

export function stageFile(store: StageStore, name: string): string {
  const safe = stageName(name);
  return path.join(store.runDir, 'stages', `${safe}.json`);
}

/**
 * The stored record in `text`, or null when the file is damaged (empty, cut short, `null`, not an
 * object with a fingerprint): such a stage is unfinished, so it is recomputed and overwritten.
 */
function storedStage<T>(text: string): { fingerprint: string; result: T } | null {
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return null;
  const { fingerprint } = stored as { fingerprint?: unknown };
  return typeof fingerprint === 'string' ? (stored as { fingerprint: string; result: T }) : null;
}

/**
 * Run `compute` unless a stored result of the same settings exists and resume is on.
 * `fingerprint` (default: the store's) identifies the settings of this stage alone.
 * A damaged stage file (see storedStage) is recomputed, not reported as a crash.
 */
export async function stage<T>(store: StageStore, name: string, compute: () => Promise<T>, fingerprint = store.fingerprint): Promise<T> {
  const file = stageFile(store, name);
  if (store.resume) {
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      text = null;
    }
    const stored = text === null ? null : storedStage<T>(text);
    if (stored !== null) {
      if (stored.fingerprint !== fingerprint) {
        throw new CmkdError(
          `${file} was written by a run with different settings; use a new --out folder, or the same options to resume`,
          'invalid-option',
        );
      }
      store.reused.push(name);
      return stored.result;
    }
  }
  const result = await compute();
  await writeFileAtomic(file, toJson({ stage: name, fingerprint, result }) + '\n');
  return result;
}
