import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPlan, execute, type Cell, type CellRunner, type Json } from './cells.js';
import { stageFile, type StageStore } from './stages.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cmkd-cells-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const plan: Cell[] = [
  { id: 'a', kind: 'square', inputs: { x: 3 }, dependsOn: [], label: 'a' },
  { id: 'b', kind: 'square', inputs: { x: 4 }, dependsOn: [], label: 'b' },
  { id: 'sum', kind: 'sum', inputs: null, dependsOn: ['a', 'b'], label: 'sum' },
];

function runners(calls: string[]): Record<string, CellRunner<{ offset: number }>> {
  return {
    square: async (cell, ctx) => {
      calls.push(cell.id);
      const x = (cell.inputs as { x: number }).x;
      return x * x + ctx.workspace.offset;
    },
    sum: async (cell, ctx) => {
      calls.push(cell.id);
      return Object.values(ctx.deps).reduce<number>((s, v) => s + (v as number), 0);
    },
  };
}

const store = (dir: string, resume: boolean): StageStore => ({ runDir: dir, fingerprint: 'f', resume, reused: [] });

describe('cell engine', () => {
  it('checks plans: unique ids, earlier dependencies, a runner per kind', () => {
    expect(() => checkPlan([plan[0], plan[0]])).toThrow(/cell 'a' appears twice/);
    expect(() => checkPlan([plan[2], plan[0], plan[1]])).toThrow(/'sum' depends on 'a', which is not an earlier cell/);
    expect(() => checkPlan(plan, ['square'])).toThrow(/no runner for cell kind 'sum'/);
  });

  it('runs cells in order with their dependencies’ records, and a resumed plan reads finished cells back', async () => {
    const dir = path.join(root, 'p');
    const calls: string[] = [];
    const seen: [string, Json, boolean][] = [];
    const first = await execute(plan, {
      workspace: { offset: 1 },
      store: store(dir, false),
      runners: runners(calls),
      onCell: (c, r, reused) => void seen.push([c.id, r, reused]),
    });
    expect([...first.entries()]).toEqual([
      ['a', 10],
      ['b', 17],
      ['sum', 27],
    ]);
    expect(calls).toEqual(['a', 'b', 'sum']);
    expect(seen.map((s) => s[2])).toEqual([false, false, false]);

    const again: string[] = [];
    const resumed = await execute(plan, { workspace: { offset: 1 }, store: store(dir, true), runners: runners(again) });
    expect(again).toEqual([]);
    expect(resumed).toEqual(first);

    // A cell whose inputs changed is refused rather than mixed in.
    const changed = [{ ...plan[0], inputs: { x: 5 } }, ...plan.slice(1)];
    await expect(execute(changed, { workspace: { offset: 1 }, store: store(dir, true), runners: runners([]) })).rejects.toThrow(
      /written by a run with different settings/,
    );
  });

  it('stops between cells when aborted', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const r = runners(calls);
    const stopping: Record<string, CellRunner<{ offset: number }>> = {
      ...r,
      square: async (cell, ctx) => {
        controller.abort();
        return r.square(cell, ctx);
      },
    };
    await expect(
      execute(plan, {
        workspace: { offset: 0 },
        store: store(path.join(root, 'abort'), false),
        runners: stopping,
        signal: controller.signal,
      }),
    ).rejects.toThrow();
    expect(calls).toEqual(['a']);
  });
});

describe('stage files', () => {
  it('a plan whose cell ids would share a stage file is refused (a fused teacher a+b beside a modality a_b)', () => {
    const cell = (id: string): Cell => ({ id, kind: 'k', inputs: null, dependsOn: [], label: id });
    expect(() => checkPlan([cell('r0-teacher-a+b'), cell('r0-teacher-a_b')])).toThrow(
      /cells 'r0-teacher-a\+b' and 'r0-teacher-a_b' would share the stage file r0-teacher-a_b\.json/,
    );
    expect(stageFile({ runDir: '/r', fingerprint: 'f', resume: false, reused: [] }, 'r0/teacher')).toBe(
      path.join('/r', 'stages', 'r0_teacher.json'),
    );
  });
});
