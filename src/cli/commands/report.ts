import type { Command } from 'commander';
import path from 'node:path';
import { rerenderReport } from '../../report/write.js';
import { emit } from '../output.js';
import { addOutputFlags } from '../options.js';

export function register(program: Command): void {
  addOutputFlags(
    program
      .command('report')
      .description("re-render a run's report.html, figures and tables from its report.json")
      .argument('<run-dir>', 'run folder written by cmkd run (holds report.json)'),
    { progress: false },
  ).action(async (runDir: string, opts: { json?: boolean }) => {
    const written = await rerenderReport(runDir);
    const result = { html: written.html, files: written.files.map((f) => path.relative(process.cwd(), path.resolve(f))) };
    emit(result, opts, (r) => `wrote ${r.files.length} files\nreport: ${r.html}\n(open it in a browser, or run: cmkd serve ${runDir})`);
  });
}
