/**
 * Ctrl-C during `cmkd run`'s export (every stage finished, best-student/ being written) is
 * honoured: the run ends with the interrupted line and exit 130, prints no results, and
 * `--resume` trains nothing and writes the export again.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../../test/cli.js';
import { toyRun, writeToyCsv } from '../../../test/toy-csv.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-run-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = writeToyCsv(root);
const argv = (out: string, ...more: string[]) => toyRun(data, out, more);

describe('Ctrl-C during the export', () => {
  it('ends the run as interrupted; --resume writes the export again', async () => {
    const out = join(root, 'out');
    // Sent once the export has begun (best-student/ exists), from outside the job as a user's Ctrl-C.
    const poll = setInterval(() => {
      if (existsSync(join(out, 'best-student'))) {
        clearInterval(poll);
        process.emit('SIGINT', 'SIGINT');
      }
    }, 1);
    const cut = await run(...argv(out));
    clearInterval(poll);
    expect(cut.stderr.split('\n').filter((l) => !l.startsWith('cmkd: warning: '))).toEqual([
      'cmkd: interrupted; finished results were kept',
      '',
    ]);
    expect(cut.code).toBe(130);
    expect(cut.stdout).toBe('');

    const resumed = await run(...argv(out, '--resume', '--json'));
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout);
    // Nothing trained again: every stage came from the first run.
    const stages = readdirSync(join(out, 'stages')).filter((f) => f.endsWith('.json'));
    expect(stages.length).toBeGreaterThan(0);
    expect([...result.reusedStages].sort()).toEqual(stages.map((f) => f.replace(/\.json$/, '')).sort());
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'best-student', 'model-card.json'), 'utf8')).label).toBe(result.best.label);
  });
});
