/**
 * A queued run in a process of its own, for tests of how it ends: `runMainJob` on EXECUTOR_RUN
 * through the queue argv[2] into the folder argv[3], waiting argv[4] ms for an unreachable Redis.
 * Prints "progress <done>" on stdout as cells finish; ends as the CLI does: exit 0 after "finished",
 * or the error's one line on stderr and exit 2. A process whose run is still pending when its event
 * loop drains exits 0 without "finished".
 */
import { runMainJob } from '../../src/run/index.js';
import { EXECUTOR_RUN } from '../../src/run/testing.js';

const [url, outDir, reconnectMs] = process.argv.slice(2);
runMainJob({
  ...EXECUTOR_RUN,
  outDir,
  queue: { url, reconnectMs: Number(reconnectMs) },
  onProgress: (ev) => {
    if (ev.task === 'cmkd run') process.stdout.write(`progress ${ev.done}\n`);
  },
}).then(
  () => process.stdout.write('finished\n'),
  (err: unknown) => {
    process.stderr.write(`cmkd: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
