/**
 * The one parser of numeric and list options (the CLI's flags, the experiments' options): a bad
 * value is one line naming the option and what was expected, e.g.
 *
 *   --seed '9007199254740993': expected an integer from 0 to 4294967295
 */
import { CmkdError } from './errors.js';

/** What a numeric flag accepts: a finite number (an integer if asked, then a safe one) within the bounds. */
export interface NumberRule {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound: every numeric flag has one. */
  max: number;
}

/** 'an integer from 1 to 100', 'a number > 0 and ≤ 0.999999': what a rule accepts, for errors. */
export function expected(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  if (rule.min !== undefined) return `${kind} from ${rule.min} to ${rule.max}`;
  if (rule.above !== undefined) return `${kind} > ${rule.above} and ≤ ${rule.max}`;
  return `${kind} ≤ ${rule.max}`;
}

/** '(integer, 1 to 100)': a rule's bounds for a flag's help. */
export function range(rule: NumberRule): string {
  const kind = rule.integer ? 'integer' : 'number';
  if (rule.min !== undefined) return `(${kind}, ${rule.min} to ${rule.max})`;
  if (rule.above !== undefined) return `(${kind}, > ${rule.above} and ≤ ${rule.max})`;
  return `(${kind}, ≤ ${rule.max})`;
}

function accepts(x: number, rule: NumberRule): boolean {
  return (
    Number.isFinite(x) &&
    (!rule.integer || Number.isSafeInteger(x)) &&
    (rule.min === undefined || x >= rule.min) &&
    (rule.above === undefined || x > rule.above) &&
    x <= rule.max
  );
}

/** A number from its text: NaN for text that is not one ('' and '  ' included, which Number reads as 0). */
const toNumber = (s: string): number => (s.trim() === '' ? NaN : Number(s));

/**
 * A numeric flag's value, checked against its rule; undefined when the flag is absent. An integer
 * written past 2⁵³ (which a double cannot hold: 9007199254740993 reads as …992) is refused, not rounded.
 */
export function numberOption(flag: string, value: string | undefined, rule: NumberRule): number | undefined {
  if (value === undefined) return undefined;
  const x = toNumber(value);
  if (!accepts(x, rule)) throw new CmkdError(`${flag} '${value}': expected ${expected(rule)}`, 'invalid-option');
  return x;
}

/** A `<n|auto>` flag: 'auto', or a number checked against the rule; undefined when the flag is absent. */
export function numberOrAutoOption(flag: string, value: string | undefined, rule: NumberRule): number | 'auto' | undefined {
  if (value === undefined || value === 'auto') return value;
  const x = toNumber(value);
  if (!accepts(x, rule)) throw new CmkdError(`${flag} '${value}': expected ${expected(rule)} or 'auto'`, 'invalid-option');
  return x;
}

/** A comma list of numbers, each checked against the rule, e.g. `--temperatures 2,4`. */
export function numberListOption(flag: string, value: string | undefined, rule: NumberRule): number[] | undefined {
  if (value === undefined) return undefined;
  const xs = value.split(',').map(toNumber);
  if (!xs.every((x) => accepts(x, rule)))
    throw new CmkdError(`${flag} '${value}': expected comma-separated values, each ${expected(rule)}`, 'invalid-option');
  return xs;
}

/** A comma list of names (modalities, methods, classes), each trimmed; an empty name is refused. */
export function listOption(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim());
  if (names.some((s) => s === ''))
    throw new CmkdError(`${flag} '${value}': expected comma-separated names, none empty, e.g. a,b`, 'invalid-option');
  return names;
}
