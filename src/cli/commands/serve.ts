import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { STUDENT_DIR } from '../../report/student.js';
import { REPORT_HTML } from '../../report/write.js';
import { serveStatic } from '../../serve/server.js';
import { RESULTS_JSON } from '../../run/sweep-files.js';
import { CmkdError } from '../../util/errors.js';
import { escapeControl } from '../../util/text.js';
import { numberOption, range, RANGES } from '../options.js';

/** What marks a folder as a run's: its report or its results. */
const RUN_FILES = [REPORT_HTML, RESULTS_JSON];

const isDirectory = (dir: string) => {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
};

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve a run folder on 127.0.0.1 (the report and the student in the browser); Ctrl-C stops it')
    .argument('<run-dir>', 'run folder written by cmkd run')
    .option('--port <n>', `TCP port (0 = any free port) ${range(RANGES.port)}`, '8080')
    .action(async (runDir: string, opts: { port: string }) => {
      const port = numberOption('--port', opts.port, RANGES.port) as number;
      // Only a run folder: serving any folder (a home, /) would put all of it on a port.
      if (isDirectory(runDir) && !RUN_FILES.some((f) => existsSync(path.join(runDir, f))))
        throw new CmkdError(
          `'${runDir}' is not a run folder (it has no ${RUN_FILES.join(' or ')}); give a folder written by cmkd run, sweep or experiment`,
          'invalid-option',
        );
      const server = await serveStatic(runDir, { port });
      const lines = [`serving ${server.root} at ${server.url}`];
      if (existsSync(path.join(server.root, REPORT_HTML))) lines.push(`  report:  ${server.url}${REPORT_HTML}`);
      if (existsSync(path.join(server.root, STUDENT_DIR, 'index.html'))) lines.push(`  student: ${server.url}${STUDENT_DIR}/`);
      lines.push('press Ctrl-C to stop');
      // Listening before saying so: a Ctrl-C that comes right after the line must not find Node's
      // default action (the process killed, exit code null) in place of the handler.
      const stopped = new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      // The folder's name is the user's: no control character reaches the terminal.
      console.log(lines.map((l) => escapeControl(l)).join('\n'));
      await stopped;
    });
}
