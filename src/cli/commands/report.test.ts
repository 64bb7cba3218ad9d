import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleReportDocument } from '../../../test/browser/fixtures.js';
import { writeReport } from '../../report/write.js';
import { runCli as run, startCli } from '../../../test/cli.js';

describe('cmkd report', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("re-renders a run's report.html from report.json", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-cli-report-'));
    dirs.push(dir);
    const { html } = await writeReport(dir, sampleReportDocument());
    const before = await readFile(html, 'utf8');
    await rm(html);
    const r = await run('report', dir, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { html: string; files: string[] };
    expect(out.html).toBe(html);
    expect(out.files).toHaveLength(15);
    expect(await readFile(html, 'utf8')).toBe(before);
  });

  it('refuses a tampered report.json (a figure reading /etc/hostname, a javascript: link) with one line and exit 2', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-cli-report-'));
    dirs.push(dir);
    const leak = {
      data: { url: 'file:///etc/hostname', format: { type: 'dsv', delimiter: '\u0001', header: ['line'] } },
      mark: 'text',
      encoding: { text: { field: 'line' } },
    };
    await writeFile(
      path.join(dir, 'report.json'),
      JSON.stringify({ title: 't', sections: [{ heading: 'h', blocks: [{ kind: 'figure', id: 'leak', spec: leak }] }] }),
    );
    let r = await run('report', dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^cmkd: error: figure 'leak': .*data\.url[^\n]*\n$/);
    await expect(readFile(path.join(dir, 'report.html'), 'utf8')).rejects.toThrow(/ENOENT/);

    await writeFile(
      path.join(dir, 'report.json'),
      JSON.stringify({ title: 't', sections: [], links: [{ href: 'javascript:alert(1)', text: 'x' }] }),
    );
    r = await run('report', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cmkd: error: .*links\.0\.href[^\n]*\n$/);
    await expect(readFile(path.join(dir, 'report.html'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('explains a folder without report.json', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-cli-report-'));
    dirs.push(dir);
    const r = await run('report', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no report\.json in .*cmkd run/);
  });
});

describe('cmkd serve', () => {
  it('refuses a bad port before listening', async () => {
    const r = await run('serve', tmpdir(), '--port', 'http');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--port 'http': expected an integer from 0 to 65535");
  });

  it('refuses a folder that is not a run folder, in one line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-serve-'));
    await writeFile(path.join(dir, 'notes.txt'), 'not a run');
    const r = await run('serve', dir, '--port', '0');
    await rm(dir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `cmkd: error: '${dir}' is not a run folder (it has no report.html or results.json); give a folder written by cmkd run, sweep or experiment\n`,
    );
  });

  it('prints a folder name with control characters escaped, and stops on Ctrl-C', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-serve-\x1b[31m-'));
    await writeFile(path.join(dir, 'results.json'), '{}');
    const serve = startCli(['serve', dir, '--port', '0']);
    try {
      await serve.waitFor(/press Ctrl-C to stop/);
      expect(serve.lines[0]).toMatch(/^serving .*cmkd-serve-\\x1b\[31m-\S+ at http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(serve.lines.join('\n')).not.toContain('\x1b');
    } finally {
      await serve.stop('SIGINT');
      await rm(dir, { recursive: true, force: true });
    }
    expect(serve.child.exitCode).toBe(0);
  }, 30_000);
});
