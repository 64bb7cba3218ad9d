/**
 * Smoke test: `cmkd experiment <name> --quick` of every registered experiment runs end to end
 * through the CLI (real data, real training, figures) and leaves its results in --out.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { EXPERIMENTS } from '../../src/experiments/registry.js';
import { runCli as cli } from '../cli.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-smoke-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('cmkd experiment <name> --quick', () => {
  for (const { name } of EXPERIMENTS) {
    it(
      name,
      async () => {
        const out = join(root, name);
        const r = await cli('experiment', name, '--quick', '--out', out, '--quiet');
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout.length).toBeGreaterThan(0);
        const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
        expect(results).toBeTypeOf('object');
        const files = readdirSync(out);
        expect(files.some((f) => f.endsWith('.csv'))).toBe(true);
        expect(files.some((f) => f.endsWith('.png'))).toBe(true);
        expect(files.some((f) => f.endsWith('.svg'))).toBe(true);
        // Atomic writes leave no temporaries behind.
        expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
      },
      300_000,
    );
  }
});
