import { describe, expect, it } from 'vitest';
import * as cmkd from './index.js';

describe('library entry point', () => {
  it('exports the main functions and each module as a namespace', () => {
    for (const name of [
      'initEngine',
      'loadDataset',
      'estimateMI',
      'analyseTeachers',
      'distill',
      'sweep',
      'runMainJob',
      'writeReport',
      'trainDiscom',
    ] as const) {
      expect(typeof cmkd[name]).toBe('function');
    }
    expect(typeof cmkd.mi.ksgMI).toBe('function');
    expect(typeof cmkd.kd.dkdLoss).toBe('function');
    expect(cmkd.VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
