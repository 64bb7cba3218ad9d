/**
 * Text from users' files, made safe to read and to show: UTF-8 decoding that says which file is
 * not UTF-8, JSON with a nesting limit, and short escaped excerpts of file contents for messages.
 */
import { isUtf8 } from 'node:buffer';
import { CmkdError } from './errors.js';

/** Deeper JSON than any data file needs ([N][H][W][C] inside {"data": …}); deeper documents are refused, not recursed into. */
export const MAX_JSON_DEPTH = 64;

// C0 and C1 control characters, DEL, and the bidirectional overrides that reorder what a terminal shows.
const CONTROL = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const CONTROL_BUT_LAYOUT = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

function escapeChar(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `s` with control characters written as `\xNN` (ANSI escapes cannot rewrite the terminal);
 * `keepLayout` keeps newline and tab, for multi-line text such as tables.
 */
export function escapeControl(s: string, keepLayout = false): string {
  return s.replace(keepLayout ? CONTROL_BUT_LAYOUT : CONTROL, escapeChar);
}

/** `s` escaped and cut to at most `max` characters (then ending in '…'). */
export function shorten(s: string, max: number): string {
  const chars = [...s];
  return escapeControl(chars.length > max ? chars.slice(0, max).join('') + '…' : s);
}

/** A short, escaped excerpt of file contents for a message: `'abc…'` (at most `max` characters shown). */
export function excerpt(s: string, max = 40): string {
  return `'${shorten(s, max)}'`;
}

/**
 * The text of a file that must be UTF-8 (an optional byte-order mark is dropped). UTF-16 and
 * other encodings are refused with one line naming the file, instead of loading as garbled
 * names or as "no data rows".
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    throw new CmkdError(`${file} is UTF-16 text; cmkd reads UTF-8: save it as UTF-8 (e.g. "CSV UTF-8")`, 'invalid-input');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('utf8');
  if (!isUtf8(buf)) {
    const at = text.indexOf('\uFFFD');
    const before = text.slice(0, Math.max(0, at));
    const line = before.split('\n').length;
    const byte = buf[Buffer.byteLength(before)];
    throw new CmkdError(
      `${file} line ${line}: byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} is not UTF-8; the file must be UTF-8 text (save it as UTF-8, not Latin-1 or another code page)`,
      'invalid-input',
    );
  }
  // UTF-16 without a byte-order mark decodes as UTF-8 with a NUL beside every ASCII character.
  if (text.includes('\0'))
    throw new CmkdError(`${file} holds NUL bytes, so it is not UTF-8 text (UTF-16?); save it as UTF-8`, 'invalid-input');
  return text.replace(/^\uFEFF/, '');
}

/** How deeply arrays and objects nest in JSON text (brackets inside strings do not count). */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return depth;
}

/** Parse JSON text from `file`; malformed or too deeply nested JSON is one line naming the file. */
export function parseJsonText(text: string, file: string): unknown {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new CmkdError(
      `${file}: JSON nested more than ${MAX_JSON_DEPTH} levels deep; cmkd reads at most ${MAX_JSON_DEPTH}`,
      'invalid-input',
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CmkdError(`${file}: invalid JSON: ${shorten((e as Error).message, 160)}`, 'invalid-input');
  }
}
