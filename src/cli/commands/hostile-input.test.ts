/**
 * Hostile and broken inputs through the real CLI entry (`main`): every kind is refused with exit
 * code 2 and exactly one stderr line naming the fault (control characters escaped, long file
 * contents cut to a short excerpt), nothing on stdout, and nothing written outside the output
 * folder. All kinds but one fail before any training; the exploding loss trains a tiny MLP for one epoch.
 * After them, inputs that must be accepted: damaged stage files on --resume, 5,000 classes, --methods feature.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../data/index.js';
import { runCli as run } from '../../../test/cli.js';
import { toyRun, writeToyCsv } from '../../../test/toy-csv.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-hostile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Files = Record<string, string | Uint8Array>;

/** A good manifest dataset of 6 rows (tab.csv, img.npy, labels.csv), with `edit` applied. */
function dataset(edit: Files = {}, man: Record<string, unknown> = {}): Files {
  return {
    'cmkd.json': JSON.stringify({
      name: 'toy',
      modalities: [
        { name: 'tab', file: 'tab.csv' },
        { name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
      ],
      labels: { file: 'labels.csv', column: 'y' },
      task: { kind: 'classification' },
      ...man,
    }),
    'tab.csv': 'a,b\n1,2\n3,4\n5,6\n7,8\n9,1\n2,3\n',
    'img.npy': encodeNpy(
      [6, 2, 2, 1],
      Array.from({ length: 24 }, (_, i) => i % 7),
    ),
    'labels.csv': 'y\ncat\ndog\ncat\ndog\ncat\ndog\n',
    ...edit,
  };
}

/** One CSV holding a, b and label y (30 rows, classes x and z), for the single-CSV flags. */
const oneCsv = (label: (i: number) => string = (i) => (i % 2 ? 'x' : 'z'), header = 'a,b,y') =>
  [header, ...Array.from({ length: 30 }, (_, i) => `${(i * 7) % 11},${(i * 3) % 5},${label(i)}`)].join('\n') + '\n';
const csvFlags = ['--csv-modality', 'p=a', '--csv-modality', 'q=b', '--label', 'y'];

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const utf16 = (s: string, bom: 'le' | 'be' | 'none') => {
  const le = Buffer.from(s, 'utf16le');
  if (bom === 'none') return le;
  if (bom === 'le') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.from(le);
  be.swap16();
  return Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
};
const deep = (d: number) => '['.repeat(d) + ']'.repeat(d);
/** A .npy of shape (6, 0): samples with no values. */
const npyNoColumns = () => {
  let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 0), }";
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  return Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]), Buffer.from(header)]);
};
const huge = 'x'.repeat(100_000);
/** A report.json with one figure 'f' of inline data {a: 1}, its spec extended by `spec`. */
const reportWith = (spec: Record<string, unknown>) =>
  JSON.stringify({
    title: 't',
    sections: [{ heading: 'h', blocks: [{ kind: 'figure', id: 'f', spec: { data: { values: [{ a: 1 }] }, mark: 'point', ...spec } }] }],
  });
const ansi = '\u001b[2J\u001b[31m';

interface Case {
  kind: string;
  /** Files of the dataset folder `data/`. */
  files?: Files;
  /** Run after the files are written: symlinks, FIFOs (`data` is the dataset folder, `outside` a folder beside it). */
  setup?: (data: string, outside: string) => void;
  /** The command line; `data` is the dataset folder, `out` the output folder (which may receive files). */
  argv: (data: string, out: string) => string[];
  want: RegExp;
}

const validate =
  (target = '') =>
  (data: string) => ['data', 'validate', join(data, target)];
const csv =
  (file: string, ...flags: string[]) =>
  (data: string) => ['data', 'validate', join(data, file), ...(flags.length ? flags : csvFlags)];
const manifestWith = (modalities: unknown[], labels: unknown = { file: 'd.csv', column: 'y' }) =>
  JSON.stringify({ modalities, labels, task: { kind: 'classification' } });

const cases: Case[] = [
  // Manifests and names.
  {
    kind: 'modality name that is a path (run would write outside --out)',
    files: dataset(
      {},
      {
        modalities: [
          { name: 't/../../../escape', file: 'tab.csv' },
          { name: 'img', kind: 'image', file: 'img.npy' },
        ],
      },
    ),
    argv: (data, out) => ['run', data, '--student', 'img', '--out', join(out, 'a', 'b'), '--quiet'],
    want: /cmkd\.json: modalities\[0\]\.name: must use letters, digits/,
  },
  {
    kind: "modality names 'p q' (would share a stage file with 'p_q')",
    files: dataset(
      {},
      {
        modalities: [
          { name: 'p q', file: 'tab.csv' },
          { name: 'img', kind: 'image', file: 'img.npy' },
        ],
      },
    ),
    argv: validate(),
    want: /cmkd\.json: modalities\[0\]\.name: must use letters/,
  },
  {
    kind: 'ANSI escape in the dataset name',
    files: dataset({}, { name: `toy${ansi}` }),
    argv: validate(),
    want: /cmkd\.json: name: must not contain control characters/,
  },
  {
    kind: 'manifest naming a file outside its folder',
    files: dataset({}, { modalities: [{ name: 'tab', file: '../../../../../../etc/hostname', format: 'csv' }] }),
    argv: validate(),
    want: /cmkd\.json: '\.\.\/.*etc\/hostname' is outside the dataset folder .*--allow-outside/,
  },
  {
    kind: 'unknown manifest field',
    files: dataset({}, { labelz: 'x' }),
    argv: validate(),
    want: /cmkd\.json: \(top level\): unknown field 'labelz'/,
  },
  { kind: 'malformed JSON manifest', files: dataset({ 'cmkd.json': '{"name": ' }), argv: validate(), want: /cmkd\.json: invalid JSON/ },
  {
    kind: 'manifest nested 5000 deep',
    files: dataset({ 'cmkd.json': deep(5000) }),
    argv: validate(),
    want: /cmkd\.json: JSON nested more than 64 levels deep/,
  },
  {
    kind: 'manifest nested 5000 deep inside a field',
    files: dataset({ 'cmkd.json': `{"name": ${deep(5000)}}` }),
    argv: validate(),
    want: /cmkd\.json: JSON nested more than 64 levels deep/,
  },
  {
    kind: 'UTF-16 manifest',
    files: dataset({ 'cmkd.json': utf16(dataset()['cmkd.json'] as string, 'le') }),
    argv: validate(),
    want: /cmkd\.json is UTF-16 text/,
  },
  {
    kind: 'manifest using the label column as a feature',
    files: {
      'cmkd.json': manifestWith([
        { name: 'm1', file: 'd.csv', columns: ['a', 'y'] },
        { name: 'm2', file: 'd.csv', columns: ['b'] },
      ]),
      'd.csv': oneCsv(),
    },
    argv: validate(),
    want: /cmkd\.json: modalities\[0\]: column 'y' is the label column; it cannot also be a feature/,
  },
  {
    kind: 'manifest with one column in two modalities',
    files: {
      'cmkd.json': manifestWith([
        { name: 'm1', file: 'd.csv', columns: 'a,b' },
        { name: 'm2', file: 'd.csv', columns: ['b'] },
      ]),
      'd.csv': oneCsv(),
    },
    argv: validate(),
    want: /d\.csv: column 'b' is claimed by both modality 'm1' and modality 'm2'/,
  },
  {
    kind: 'modality file that is a symlink to a file outside the folder',
    files: dataset(),
    setup: (data, outside) => {
      writeFileSync(join(outside, 'secret.csv'), 'a,b\n1,2\n3,4\n5,6\n7,8\n9,1\n2,3\n');
      rmSync(join(data, 'tab.csv'));
      symlinkSync(join(outside, 'secret.csv'), join(data, 'tab.csv'));
    },
    argv: (data) => ['data', 'describe', data],
    want: /cmkd\.json: 'tab\.csv' is outside the dataset folder .*--allow-outside/,
  },
  {
    kind: 'modality file that is a symlink to /etc/passwd',
    files: dataset(),
    setup: (data) => {
      rmSync(join(data, 'tab.csv'));
      symlinkSync('/etc/passwd', join(data, 'tab.csv'));
    },
    argv: (data) => ['data', 'describe', data],
    want: /cmkd\.json: 'tab\.csv' is outside the dataset folder .*--allow-outside/,
  },
  {
    kind: 'subfolder that is a symlink to a folder outside',
    files: dataset(
      {},
      {
        modalities: [
          { name: 'tab', file: 'sub/tab.csv' },
          { name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
        ],
      },
    ),
    setup: (data, outside) => {
      writeFileSync(join(outside, 'tab.csv'), 'a,b\n1,2\n3,4\n5,6\n7,8\n9,1\n2,3\n');
      symlinkSync(outside, join(data, 'sub'));
    },
    argv: validate(),
    want: /cmkd\.json: 'sub\/tab\.csv' is outside the dataset folder/,
  },
  {
    kind: 'image in an image folder that is a symlink to a file outside',
    files: dataset(
      { 'pics/0.png': 'x' },
      {
        modalities: [
          { name: 'tab', file: 'tab.csv' },
          { name: 'pic', file: 'pics' },
        ],
      },
    ),
    setup: (data, outside) => {
      writeFileSync(join(outside, 'secret.png'), 'x');
      symlinkSync(join(outside, 'secret.png'), join(data, 'pics', '1.png'));
    },
    argv: validate(),
    want: /cmkd\.json: '.*pics\/1\.png' is outside the dataset folder/,
  },
  {
    kind: 'manifest that is a symlink to /dev/zero',
    files: dataset(),
    setup: (data) => {
      rmSync(join(data, 'cmkd.json'));
      symlinkSync('/dev/zero', join(data, 'cmkd.json'));
    },
    argv: validate(),
    want: /cmkd\.json is a character device, not a regular file; cmkd reads regular files only$/,
  },
  {
    kind: 'modality file that is a FIFO',
    files: dataset(),
    setup: (data) => {
      rmSync(join(data, 'tab.csv'));
      execFileSync('mkfifo', [join(data, 'tab.csv')]);
    },
    argv: validate(),
    want: /modalities\[0\]\.file: .*tab\.csv is a FIFO \(named pipe\), not a regular file/,
  },
  {
    kind: 'label file that is a symlink to /dev/zero (single CSV, --label-file)',
    files: { 'd.csv': oneCsv() },
    setup: (data) => symlinkSync('/dev/zero', join(data, 'y.csv')),
    argv: (data) => [
      'data',
      'validate',
      join(data, 'd.csv'),
      '--csv-modality',
      'p=a',
      '--csv-modality',
      'q=b',
      '--label-file',
      join(data, 'y.csv'),
    ],
    want: /y\.csv is a character device, not a regular file/,
  },
  {
    kind: 'CSV header of 1,000,001 columns (2 MB)',
    files: { 'd.csv': 'c,'.repeat(1_000_000) + 'y\n' + '0,'.repeat(1_000_000) + 'x\n' },
    argv: csv('d.csv'),
    want: /d\.csv: the header line has more than 1,000,000 columns; cmkd reads CSV files of at most 1,000,000 columns \(save wide data as \.npy\)$/,
  },
  {
    kind: 'CSV header line of 17 M characters in a few columns',
    files: { 'd.csv': 'a,b,' + 'y'.repeat(17 * 2 ** 20) + '\n1,2,x\n' },
    argv: csv('d.csv'),
    want: /d\.csv: the header line is longer than 16,777,216 characters; cmkd reads CSV files of at most 1,000,000 columns and 16,777,216 characters of header line/,
  },
  // Labels.
  {
    kind: 'NaN label cell',
    files: dataset({ 'labels.csv': 'y\ncat\nNaN\ncat\ndog\ncat\ndog\n' }),
    argv: validate(),
    want: /labels\.csv row 2 \(line 3\), column 'y': missing label/,
  },
  {
    kind: 'NA label cell',
    files: dataset({ 'labels.csv': 'y\ncat\ndog\nNA\ndog\ncat\ndog\n' }),
    argv: validate(),
    want: /labels\.csv row 3 \(line 4\), column 'y': missing label/,
  },
  {
    kind: 'float label in a classification task',
    files: dataset({ 'labels.csv': 'y\n0\n1\n0.5\n1\n0\n1\n' }),
    argv: validate(),
    want: /labels\.csv row 3 \(line 4\), column 'y': class label 0\.5 is not an integer class value/,
  },
  {
    kind: 'label -1 in a classification task',
    files: dataset({ 'labels.csv': 'y\n0\n-1\n1\n0\n1\n0\n' }),
    argv: validate(),
    want: /labels\.csv row 2 \(line 3\), column 'y': class label -1 is negative; .*declare the classes/,
  },
  {
    kind: 'every label one class',
    files: dataset({ 'labels.csv': 'y\ncat\ncat\ncat\ncat\ncat\ncat\n' }),
    argv: validate(),
    want: /labels\.csv: every label is class 'cat'; classification needs at least two classes present/,
  },
  {
    kind: 'label outside the declared classes',
    files: { 'd.csv': oneCsv() },
    argv: (data) => ['data', 'validate', join(data, 'd.csv'), ...csvFlags, '--classes', 'x,y'],
    want: /d\.csv row 1 \(line 2\), column 'y': label 'z' is not one of the declared classes \(x, y\)/,
  },
  {
    kind: 'Latin-1 label',
    files: dataset({ 'labels.csv': latin1('y\ncat\ncafé\ncat\ndog\ncat\ndog\n') }),
    argv: validate(),
    want: /labels\.csv line 3: byte 0xE9 is not UTF-8; the file must be UTF-8 text/,
  },
  {
    kind: 'Latin-1 header',
    files: { 'd.csv': latin1(oneCsv(undefined, 'a,b,é')) },
    argv: csv('d.csv', '--csv-modality', 'p=a', '--label', 'b'),
    want: /d\.csv line 1: byte 0xE9 is not UTF-8/,
  },
  // File encodings and contents.
  {
    kind: 'UTF-16 LE CSV (BOM FF FE)',
    files: { 'd.csv': utf16(oneCsv(), 'le') },
    argv: csv('d.csv'),
    want: /d\.csv is UTF-16 text; cmkd reads UTF-8: save it as UTF-8/,
  },
  {
    kind: 'UTF-16 BE CSV (BOM FE FF)',
    files: { 'd.csv': utf16(oneCsv(), 'be') },
    argv: csv('d.csv'),
    want: /d\.csv is UTF-16 text; cmkd reads UTF-8/,
  },
  {
    kind: 'UTF-16 CSV without a BOM',
    files: { 'd.csv': utf16(oneCsv(), 'none') },
    argv: csv('d.csv'),
    want: /d\.csv holds NUL bytes, so it is not UTF-8 text \(UTF-16\?\)/,
  },
  {
    kind: 'JSON modality nested 5000 deep',
    files: dataset(
      { 'm.json': deep(5000) },
      {
        modalities: [
          { name: 'tab', file: 'tab.csv' },
          { name: 'deep', file: 'm.json' },
        ],
      },
    ),
    argv: validate(),
    want: /m\.json: JSON nested more than 64 levels deep/,
  },
  {
    kind: 'zero-column .npy',
    files: dataset(
      { 'z.npy': npyNoColumns() },
      {
        modalities: [
          { name: 'tab', file: 'tab.csv' },
          { name: 'none', file: 'z.npy' },
        ],
      },
    ),
    argv: validate(),
    want: /modalities\[1\] \(modality 'none'\): .*z\.npy holds 0 values per sample \(samples of shape \[0\]\); expected at least one feature/,
  },
  {
    kind: 'not a .npy file',
    files: dataset({ 'img.npy': 'hello' }),
    argv: validate(),
    want: /img\.npy: not a valid \.npy file: missing the \\x93NUMPY magic string/,
  },
  {
    kind: 'NaN feature cell',
    files: dataset({ 'tab.csv': 'a,b\n1,2\n3,4\n5,nan\n7,8\n9,1\n2,3\n' }),
    argv: validate(),
    want: /modality 'tab' \(.*tab\.csv\) row 3, column 'b': value is NaN/,
  },
  {
    kind: 'a 100 000-character feature cell with ANSI escapes (quoted as a short escaped excerpt)',
    files: dataset({ 'tab.csv': `a,b\n1,2\n3,${ansi}${huge}\n5,6\n7,8\n9,1\n2,3\n` }),
    argv: validate(),
    want: /tab\.csv row 2 \(line 3\), column 'b': '\\x1b\[2J\\x1b\[31mx{31}…' is not a number$/,
  },
  {
    kind: 'malformed CSV quoting a 100 000-character field',
    files: dataset({ 'tab.csv': `a,b\n1,2\n3,4${huge}"q\n5,6\n` }),
    argv: validate(),
    want: /tab\.csv line 3: malformed CSV: Invalid Opening Quote: .*value is "4x+…$/,
  },
  {
    kind: 'JSON label that is a 100 000-character object',
    files: dataset({ 'labels.json': JSON.stringify([{ a: huge }, 'dog', 'cat', 'dog', 'cat', 'dog']) }, { labels: 'labels.json' }),
    argv: validate(),
    want: /labels\.json sample 0: label '\{"a":"x{34}…' is not a string or a number$/,
  },
  {
    kind: 'ragged CSV row',
    files: dataset({ 'tab.csv': 'a,b\n1,2\n3\n5,6\n7,8\n9,1\n2,3\n' }),
    argv: validate(),
    want: /tab\.csv row 2 \(line 3\): ragged row with 1 cells; the header has 2 columns/,
  },
  { kind: 'empty CSV', files: dataset({ 'tab.csv': '' }), argv: validate(), want: /tab\.csv is empty; expected a header line/ },
  {
    kind: 'row counts that differ',
    files: dataset({ 'labels.csv': 'y\ncat\ndog\n' }),
    argv: validate(),
    want: /row counts differ: .*tab\.csv\) has 6 samples but the labels \(.*labels\.csv\) have 2/,
  },
  {
    kind: 'image size that is not H·W·C',
    files: dataset(
      {},
      {
        modalities: [
          { name: 'tab', file: 'tab.csv' },
          { name: 'img', kind: 'image', shape: [3, 3, 1], file: 'img.npy' },
        ],
      },
    ),
    argv: validate(),
    want: /modality 'img'\): wrong image size: .*img\.npy has 4 values per sample but shape \[3, 3, 1\] needs H·W·C = 9/,
  },
  {
    kind: 'single CSV using the label column as a feature',
    files: { 'd.csv': oneCsv() },
    argv: csv('d.csv', '--csv-modality', 'p=a,y', '--label', 'y'),
    want: /d\.csv: modality 'p': column 'y' is the label column/,
  },
  {
    kind: 'single CSV with one column in two modalities',
    files: { 'd.csv': oneCsv() },
    argv: csv('d.csv', '--csv-modality', 'p=a,b', '--csv-modality', 'q=b', '--label', 'y'),
    want: /d\.csv: column 'b' is claimed by both modality 'p' and modality 'q'/,
  },
  {
    kind: 'ANSI escapes in a CSV header (printed escaped)',
    files: { 'd.csv': oneCsv(undefined, `a${ansi},b,y`) },
    argv: csv('d.csv', '--csv-modality', 'p=zz', '--label', 'y'),
    want: /d\.csv has no column 'zz'; its columns are: a\\x1b\[2J\\x1b\[31m, b, y$/,
  },
  // Flags and usage.
  { kind: 'unknown flag', argv: () => ['run', '--student', 'x', '--bogus'], want: /unknown option '--bogus'/ },
  { kind: 'missing required option', argv: () => ['run', 'digits'], want: /required option '--student <modality>' not specified/ },
  { kind: 'unknown subcommand', argv: () => ['experiment', 'no-such-experiment'], want: /unknown command 'no-such-experiment'/ },
  {
    kind: 'numeric flag out of range',
    argv: (_, out) => ['run', 'digits', '--student', 'pixels', '--repeats', '0', '--out', out],
    want: /--repeats '0': expected an integer from 1 to 100/,
  },
  {
    kind: 'malformed --csv-modality',
    files: { 'd.csv': oneCsv() },
    argv: csv('d.csv', '--csv-modality', 'p', '--label', 'y'),
    want: /--csv-modality 'p': expected name=value/,
  },
  {
    kind: 'ANSI escapes in a flag value (printed escaped)',
    argv: (data) => ['data', 'validate', join(data, `no${ansi}such`)],
    want: /dataset '.*no\\x1b\[2J\\x1b\[31msuch' not found/,
  },
  // Output folders.
  {
    kind: '--out naming an existing file',
    files: { 'f.txt': 'x' },
    argv: (data) => ['train', 'digits', '--modality', 'blocks', '--out', join(data, 'f.txt')],
    want: /--out '.*f\.txt' is an existing file, not a folder/,
  },
  {
    kind: '--out under a file',
    files: { 'f.txt': 'x' },
    argv: (data) => ['train', 'digits', '--modality', 'blocks', '--out', join(data, 'f.txt', 'sub')],
    want: /--out '.*': '.*f\.txt' is a file, not a folder/,
  },
  {
    kind: "--out ''",
    argv: () => ['train', 'digits', '--modality', 'blocks', '--out', ''],
    want: /--out is empty; give the folder to write into/,
  },
  {
    kind: '--out under /proc',
    argv: () => ['train', 'digits', '--modality', 'blocks', '--out', '/proc/cmkd-out'],
    want: /--out '\/proc\/cmkd-out' is inside \/proc, \/sys or \/dev/,
  },
  {
    kind: '--out holding an earlier run, without --resume',
    files: { 'old/metrics.json': '{}' },
    argv: (data) => ['train', 'digits', '--modality', 'blocks', '--out', join(data, 'old')],
    want: /--out '.*old' already holds files \('metrics\.json'\) of an earlier run; pass --resume to continue it, or give a new or empty folder/,
  },
  {
    kind: '--out holding files, for a command without --resume',
    files: { 'old/a.txt': 'a', 'old/b.txt': 'b' },
    argv: (data) => ['distill', 'digits', '--method', 'kd', '--teacher', 'pixels', '--student', 'blocks', '--out', join(data, 'old')],
    want: /--out '.*old' already holds files \('a\.txt' and 1 more\) of an earlier run; give a new or empty folder$/,
  },
  // Run folders given to `cmkd report`.
  {
    kind: 'report.json whose figure reads a local file',
    files: {
      'report.json': JSON.stringify({
        title: 't',
        sections: [
          {
            heading: 'h',
            blocks: [
              {
                kind: 'figure',
                id: 'leak',
                spec: { data: { url: 'file:///etc/hostname' }, mark: 'text', encoding: { text: { field: 'data' } } },
              },
            ],
          },
        ],
      }),
    },
    argv: (data) => ['report', data],
    want: /figure 'leak': .*data\.url/,
  },
  {
    kind: "report.json whose bar's fill is url(http://…) (the page would fetch it)",
    files: { 'report.json': reportWith({ mark: { type: 'bar', fill: 'url(http://example.com/fill.svg#g)' } }) },
    argv: (data) => ['report', data],
    want: /figure 'f': mark\.fill is 'url\(http:.*'; a colour is a name, #hex/,
  },
  {
    kind: 'report.json with a CSS-escaped url( in an encoding value',
    files: {
      'report.json': reportWith({ mark: 'bar', encoding: { x: { field: 'a', type: 'quantitative' }, color: { value: 'U\\72L( //x/g)' } } }),
    },
    argv: (data) => ['report', data],
    want: /figure 'f': encoding\.color\.value holds url\(…\), which loads a URL/,
  },
  {
    kind: 'report.json with an unknown Vega signal in a calculate',
    files: { 'report.json': reportWith({ mark: 'point', transform: [{ calculate: 'nosuch + 1', as: 'b' }] }) },
    argv: (data) => ['report', data],
    want: /figure 'f': Vega cannot read the spec: 'Unrecognized signal name: "nosuch"'$/,
  },
  {
    kind: 'report.json nested 20 000 deep',
    files: { 'report.json': `{"title": "t", "sections": ${deep(20_000)}}` },
    argv: (data) => ['report', data],
    want: /report\.json: JSON nested more than 64 levels deep/,
  },
  {
    kind: 'report.json with a javascript: link',
    files: { 'report.json': JSON.stringify({ title: 't', sections: [], links: [{ href: 'javascript:alert(1)', text: 'x' }] }) },
    argv: (data) => ['report', data],
    want: /links\.0\.href/,
  },
  {
    kind: "modality files whose 'id' columns list the samples in different orders",
    files: dataset(
      {
        'tab.csv': 'id,a,b\ns1,1,2\ns2,3,4\ns3,5,6\ns4,7,8\ns5,9,1\ns6,2,3\n',
        'more.csv': 'id,c\ns1,1\ns2,3\ns4,7\ns3,5\ns5,9\ns6,2\n',
      },
      {
        modalities: [
          { name: 'tab', file: 'tab.csv', columns: ['a', 'b'] },
          { name: 'more', file: 'more.csv', columns: ['c'] },
        ],
      },
    ),
    argv: validate(),
    want: /more\.csv row 3 \(line 4\), column 'id': sample id 's4' where .*tab\.csv row 3 \(line 4\), column 'id' has 's3'; rows are paired by position, so every file must list the samples in the same order \(sort each by 'id'\)$/,
  },
  {
    kind: "a label file whose id column (labels.id) is in another order than a modality file's",
    files: dataset(
      {
        'tab.csv': 'key,a,b\nk1,1,2\nk2,3,4\nk3,5,6\nk4,7,8\nk5,9,1\nk6,2,3\n',
        'labels.csv': 'key,y\nk2,cat\nk1,dog\nk3,cat\nk4,dog\nk5,cat\nk6,dog\n',
      },
      {
        modalities: [
          { name: 'tab', file: 'tab.csv', columns: 'a,b' },
          { name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
        ],
        labels: { file: 'labels.csv', column: 'y', id: 'key' },
      },
    ),
    argv: validate(),
    want: /tab\.csv row 1 \(line 2\), column 'key': sample id 'k1' where .*labels\.csv row 1 \(line 2\), column 'key' has 'k2'/,
  },
  // Through to the split, and (the exploding loss) one epoch of a tiny MLP.
  {
    kind: 'split with a class too small (the hint names no flag that does not exist)',
    files: { 'd.csv': oneCsv((i) => (i < 2 ? 'rare' : i % 2 ? 'x' : 'z')) },
    argv: (data, out) => ['train', join(data, 'd.csv'), ...csvFlags, '--modality', 'p', '--epochs', '2', '--out', out, '--quiet'],
    want: /class 'rare' has 2 samples; a train\/val\/test split needs at least 3 per class \(add samples or merge classes\)$/,
  },
  {
    kind: 'a CSV value of 1e308 (finite, beyond float32)',
    files: { 'd.csv': oneCsv().replace('\n0,0,z\n', '\n1e308,0,z\n') },
    argv: csv('d.csv'),
    want: /d\.csv row 1 \(line 2\), column 'a': '?1e308'? does not fit a 32-bit float, which cmkd stores features as \(magnitude at most 3\.4e38\); rescale the column$/,
  },
  {
    kind: "a class of 2 rows left with 1 by the budget's row cap (--samples): the count is named as the subsample's",
    files: {
      'd.csv':
        ['a,b,y', ...Array.from({ length: 120 }, (_, i) => `${(i * 7) % 11},${(i * 3) % 5},${i < 2 ? 'rare' : i % 2 ? 'x' : 'z'}`)].join(
          '\n',
        ) + '\n',
    },
    argv: (data, out) => ['run', join(data, 'd.csv'), ...csvFlags, '--student', 'p', '--samples', '60', '--out', out, '--quiet'],
    want: /class 'rare' .*has 1 (row|sample).* in the 60-row stratified subsample of the 120 rows this run takes \(--samples or the budget's row cap\)/,
  },
  {
    kind: '--lr 10 (a finite but exploding loss: 1e6 after one epoch)',
    files: { 'd.csv': oneCsv() },
    argv: (data, out) => [
      'train',
      join(data, 'd.csv'),
      ...csvFlags,
      '--modality',
      'p',
      '--epochs',
      '2',
      '--batch-size',
      '4',
      '--lr',
      '10',
      '--out',
      out,
      '--quiet',
    ],
    want: /train p: training diverged in epoch 1 \(loss \d\.\d\de\+\d+, over 1000× the first step's \d\.\d+\); lower the learning rate \(it is 10\)$/,
  },
];

/** Every file and folder under `dir`, with file sizes, except those under `skip`. */
function tree(dir: string, skip: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (p === skip || p.startsWith(skip + '/')) continue;
      const st = statSync(p);
      out.push(`${relative(dir, p)}${st.isDirectory() ? '/' : ` ${st.size}`}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('hostile inputs: exit 2, one line naming the fault, nothing written outside the output folder', () => {
  cases.forEach((c, i) => {
    it(c.kind, async () => {
      const data = join(root, `case-${i}`, 'data');
      const out = join(root, `case-${i}`, 'out');
      mkdirSync(data, { recursive: true });
      for (const [name, content] of Object.entries(c.files ?? {})) {
        mkdirSync(dirname(join(data, name)), { recursive: true });
        writeFileSync(join(data, name), content);
      }
      const outside = join(root, `case-${i}`, 'outside');
      mkdirSync(outside, { recursive: true });
      c.setup?.(data, outside);
      const before = { root: tree(root, out), cwd: readdirSync('.').sort() };
      const r = await run(...c.argv(data, out));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines.slice(-1)).toEqual(['']); // ends with one newline
      expect(lines.slice(0, -1)).toHaveLength(1);
      expect(lines[0]).toMatch(/^cmkd: /);
      // No control character reaches the terminal, and no file's contents beyond an excerpt.
      expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(lines[0].length).toBeLessThan(600);
      expect(lines[0]).toMatch(c.want);
      expect(tree(root, out)).toEqual(before.root);
      expect(readdirSync('.').sort()).toEqual(before.cwd);
    });
  });

  it('covers every kind once', () => {
    expect(new Set(cases.map((c) => c.kind)).size).toBe(cases.length);
  });
});

describe('accepted on purpose', () => {
  it('a UTF-8 byte-order mark in cmkd.json and in a CSV', async () => {
    const files = dataset();
    const data = join(root, 'bom');
    mkdirSync(data);
    for (const [name, content] of Object.entries(files))
      writeFileSync(join(data, name), typeof content === 'string' ? '\uFEFF' + content : content);
    const r = await run('data', 'validate', data);
    // Nothing about the mark: only what cmkd run would refuse at 6 rows.
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      "cmkd: warning: dataset 'toy' has 6 rows; cmkd run needs at least 50 for its held-out metrics to mean anything (--allow-small to run anyway)",
      "cmkd: warning: class 'cat' of dataset 'toy' has 3 rows; cmkd run needs at least 5 per class, one per test fold (--allow-small to run anyway)",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: toy: 6 samples/);
  });

  it('-1 as a declared class name', async () => {
    const data = join(root, 'neg');
    mkdirSync(data);
    writeFileSync(
      join(data, 'd.csv'),
      oneCsv((i) => (i % 2 ? '-1' : '1')),
    );
    const r = await run('data', 'validate', join(data, 'd.csv'), ...csvFlags, '--classes=-1,1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/classification, 2 classes/);
  });
});

describe('damaged run folders on --resume', () => {
  it('an empty, cut-short or `null` stage file is recomputed, not a stack trace', async () => {
    const dir = join(root, 'damaged-stages');
    mkdirSync(dir);
    const out = join(dir, 'out');
    const argv = toyRun(writeToyCsv(dir), out);
    const first = await run(...argv);
    expect(first.code, first.stderr).toBe(0);
    const stages = join(out, 'stages');
    const damaged = { 'r0-student.json': '', 'r0-teacher-q.json': '{"stage": "r0-teacher-q", "fingerp', 'r1-kd-from-q.json': 'null' };
    for (const [name, text] of Object.entries(damaged)) writeFileSync(join(stages, name), text);
    const again = await run(...argv, '--resume');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.split('\n').filter((l) => l && !l.startsWith('cmkd: warning: '))).toEqual([]);
    // Each damaged stage was computed again and written whole.
    for (const name of Object.keys(damaged))
      expect(JSON.parse(readFileSync(join(stages, name), 'utf8'))).toMatchObject({ stage: name.replace(/\.json$/, '') });
  });
});

describe('a method list without kd', () => {
  it('--methods feature ends with the report, plain KD from every teacher measured', async () => {
    const dir = join(root, 'no-kd');
    mkdirSync(dir);
    const rows = Array.from(
      { length: 60 },
      (_, i) => `${(i % 2) + ((i * 7) % 11) / 11},${((i * 3) % 5) / 5},${((i * 5) % 7) / 7 + (i % 2) / 3},${i % 2 ? 'x' : 'z'}`,
    );
    writeFileSync(join(dir, 'd.csv'), ['a,b,c,y', ...rows].join('\n') + '\n');
    const out = join(dir, 'out');
    const r = await run(
      ...['run', join(dir, 'd.csv'), '--csv-modality', 'p=a', '--csv-modality', 'q=b', '--csv-modality', 's=c', '--label', 'y'],
      ...[
        '--student',
        'p',
        '--methods',
        'feature',
        '--repeats',
        '2',
        '--epochs',
        '1',
        '--out',
        out,
        '--quiet',
        '--workers',
        '1',
        '--allow-small',
        '--json',
      ],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out)).toContain('report.html');
    // The fusion teacher is one of the teachers, and each has a measured plain-KD gain.
    const outcomes = (JSON.parse(r.stdout) as { outcomes: { teacher: string; gain?: { mean: number } | null }[] }).outcomes;
    expect(outcomes.map((o) => o.teacher).sort()).toEqual(['fusion', 'q', 's']);
    for (const o of outcomes) expect(Number.isFinite(o.gain?.mean), o.teacher).toBe(true);
  });
});

describe('many warnings of one kind', () => {
  it('5,000 classes of one sample each are one warning line with the count and a few examples', async () => {
    const dir = join(root, 'many-classes');
    mkdirSync(dir);
    const rows = Array.from({ length: 5000 }, (_, i) => `${(i * 7) % 13},${(i * 3) % 11},c${i}`);
    writeFileSync(join(dir, 'd.csv'), ['a,b,y', ...rows].join('\n') + '\n');
    const r = await run('data', 'validate', join(dir, 'd.csv'), ...csvFlags);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.filter((l) => /'c\d+' /.test(l))).toEqual([
      "cmkd: warning: 5000 classes have fewer than 3 samples ('c0' 1 sample, 'c1' 1 sample, 'c10' 1 sample, 'c100' 1 sample, 'c1000' 1 sample, …); the default 70/10/20 split needs at least 3 per class",
      "cmkd: warning: class 'c0' of dataset 'd' has 1 row; cmkd run needs at least 5 per class, one per test fold (--allow-small to run anyway)",
    ]);
    expect(lines.length).toBeLessThan(5);
  });
});

describe('a constant modality', () => {
  it('is warned of on stderr by validate and run, and beside the run summary of the report', async () => {
    const dir = join(root, 'constant');
    mkdirSync(dir);
    const rows = Array.from({ length: 80 }, (_, i) => `${((i * 7) % 11) + (i % 2) * 3},5,${i % 2 ? 'x' : 'z'}`);
    writeFileSync(join(dir, 'd.csv'), ['a,b,y', ...rows].join('\n') + '\n');
    const v = await run('data', 'validate', join(dir, 'd.csv'), ...csvFlags);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toContain("cmkd: warning: modality 'q' is constant: every sample has the same values\n");
    const out = join(dir, 'out');
    const argv = ['run', join(dir, 'd.csv'), ...csvFlags, '--student', 'p', '--repeats', '2', '--epochs', '1'];
    const r = await run(...argv, '--methods', 'kd', '--out', out, '--quiet', '--workers', '1');
    expect(r.code, r.stderr).toBe(0);
    const warning =
      "Modality 'q' is constant: every sample has the same values, so a model on it sees no input; a gain distilled from it can only come from regularisation (as label smoothing gives), not from what the modality knows.";
    expect(r.stderr.split('\n')).toContain(`cmkd: warning: ${warning}`);
    expect((JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { warnings: string[] }).warnings).toContain(warning);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(
      'is constant: every sample has the same values, so a model on it sees no input',
    );
  }, 120_000);
});
