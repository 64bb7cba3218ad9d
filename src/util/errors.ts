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

export type CmkdErrorCode = 'invalid-input' | 'invalid-option' | 'not-found' | 'unsupported' | 'interrupted';

/** Throws CmkdError(message) unless cond holds. */
export function check(cond: unknown, message: string | (() => string), code: CmkdErrorCode = 'invalid-input'): asserts cond {
  if (!cond) throw new CmkdError(typeof message === 'function' ? message() : message, code);
}

/** Validates a value against a closed set of names, with the accepted names in the message. */
export function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CmkdError(`unknown ${what} '${value}'; expected one of: ${allowed.join(', ')}`, 'invalid-option');
}
