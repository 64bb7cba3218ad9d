/** Long-running library functions report progress through this callback; the CLI draws it. */
export interface ProgressEvent {
  /** Stable name of the task, e.g. 'train teacher (pixels)'. */
  task: string;
  done: number;
  total: number;
  /** Short status, e.g. 'loss 0.231 acc 0.91'. */
  detail?: string;
}
export type ProgressFn = (ev: ProgressEvent) => void;

/** Cooperative cancellation: long loops call throwIfAborted between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interrupted();
}

/** The error an aborted operation ends with (name 'AbortError', message 'interrupted'). */
export function interrupted(): Error {
  const err = new Error('interrupted');
  err.name = 'AbortError';
  return err;
}
