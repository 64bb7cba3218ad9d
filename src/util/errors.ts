/**
 * The error users see. Library code throws CmkdError for every fault in the user's input
 * or options; the CLI prints its message on one line and exits non-zero. Any other error
 * reaching the CLI is a bug in cmkd.
 */
export class CmkdError extends Error {
  constructor(
    message: string,
    /** Machine-readable category, for `--json` output and for tests. */
    readonly code: CmkdErrorCode = 'invalid-input',
  ) {
    super(message);
    this.name = 'CmkdError';
  }
}

export type CmkdErrorCode = 'invalid-input' | 'invalid-option' | 'not-found' | 'unsupported' | 'interrupted' | 'cannot-write';

/** errno codes of a write the machine refused (a full disk or quota, no permission, a read-only file system), as words. */
const WRITE_REFUSED: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/**
 * `err` as a one-line CmkdError ('cannot-write') naming `file` when the machine refused the write
 * (WRITE_REFUSED); any other error unchanged. What was written before stays for --resume.
 */
export function writeError(err: unknown, file: string): unknown {
  const code = refusedCode(err);
  return code === null ? err : new CmkdError(`cannot write ${file}: ${WRITE_REFUSED[code]} (${code})`, 'cannot-write');
}

/** The errno code of `err` when it is one of WRITE_REFUSED, else null. */
export function refusedCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(WRITE_REFUSED, code) ? code : null;
}

/** Throws CmkdError(message) unless cond holds. */
export function check(cond: unknown, message: string | (() => string), code: CmkdErrorCode = 'invalid-input'): asserts cond {
  if (!cond) throw new CmkdError(typeof message === 'function' ? message() : message, code);
}

/** Validates a value against a closed set of names, with the accepted names in the message. */
export function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CmkdError(`unknown ${what} '${value}'; expected one of: ${allowed.join(', ')}`, 'invalid-option');
}
