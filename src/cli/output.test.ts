import { describe, expect, it } from 'vitest';
import { progressBars, type ProgressStream } from './output.js';

/** A stream that keeps what is written; `isTTY` says whether it plays a terminal. */
function capture(isTTY: boolean): ProgressStream & { text: string } {
  return {
    isTTY,
    columns: 120,
    text: '',
    write(s: string) {
      this.text += s;
      return true;
    },
  };
}

/** The events of a run of `cells` cells, each training a model for `epochs` epochs inside it (as the job sends them). */
function runEvents(cells: number, epochs: number) {
  const events = [{ task: 'cmkd run', done: 0, total: cells }];
  for (let c = 0; c < cells; c++) {
    events.push({ task: 'cmkd run', done: c, total: cells, detail: `cell ${c + 1}` } as (typeof events)[number]);
    for (let e = 0; e <= epochs; e++)
      events.push({ task: `model ${c + 1}`, done: e, total: epochs, detail: `loss ${e}` } as (typeof events)[number]);
    events.push({ task: 'cmkd run', done: c + 1, total: cells, detail: `cell ${c + 1}` } as (typeof events)[number]);
  }
  return events;
}

describe('progress without a terminal', () => {
  it('is one line per finished cell of a run, not a line per epoch of each model inside it', () => {
    const out = capture(false);
    const progress = progressBars({ stream: out });
    for (const ev of runEvents(4, 30)) progress(ev);
    progress.stop();
    expect(out.text.trimEnd().split('\n')).toEqual([
      '[cmkd run] 1/4 cell 1',
      '[cmkd run] 2/4 cell 2',
      '[cmkd run] 3/4 cell 3',
      '[cmkd run] 4/4 cell 4',
    ]);
  });

  it('shows a task with nothing inside it (one model’s epochs) by tenths, and nothing with quiet', () => {
    const out = capture(false);
    const progress = progressBars({ stream: out });
    for (let e = 0; e <= 200; e++) progress({ task: 'train', done: e, total: 200 });
    const lines = out.text.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(11);
    expect(lines.at(-1)).toBe('[train] 200/200');
    const quiet = capture(false);
    const silent = progressBars({ stream: quiet, quiet: true });
    for (const ev of runEvents(2, 3)) silent(ev);
    expect(quiet.text).toBe('');
  });
});

describe('progress on a terminal', () => {
  it('draws a bar per task with an ETA', () => {
    const out = capture(true);
    const progress = progressBars({ stream: out });
    for (const ev of runEvents(3, 5)) progress(ev);
    progress.stop();
    expect(out.text).toMatch(/cmkd run \[[^\]]+\] 3\/3 ETA \S+ cell 3/);
  });
});
