import { describe, expect, it } from 'vitest';
import { workerErrors } from './queue-entry.js';

describe("a worker's error lines", () => {
  it('says a job withdrawn by its submitter once, in words, however often BullMQ reports it; other errors as they are', () => {
    const lines: string[] = [];
    const onError = workerErrors((m) => lines.push(m));
    onError(new Error('Missing key for job 12. moveToFinished'));
    onError(new Error('Missing key for job 12. moveToFinished'));
    onError(new Error('Missing lock for job 12. moveToFailed'));
    onError(new Error('Missing key for job 13. moveToFinished'));
    onError(new Error('connect ECONNREFUSED 127.0.0.1:6390'));
    expect(lines).toEqual([
      'job 12 was removed from the queue by its submitter while this worker ran it (the run stopped); its result was dropped',
      'job 13 was removed from the queue by its submitter while this worker ran it (the run stopped); its result was dropped',
      'connect ECONNREFUSED 127.0.0.1:6390',
    ]);
  });
});
