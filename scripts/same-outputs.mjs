#!/usr/bin/env node
// Compares two output folders of cmkd (a run, a sweep, an experiment) file by file, ignoring what
// legitimately differs between two runs of the same code: wall-clock fields and the absolute
// output folder. Used to show that a refactor changes no result:
//
//   node scripts/same-outputs.mjs runs/before runs/after [--skip stages,models]
//
// JSON files are compared after deleting keys named in WALL_CLOCK (at any depth) and replacing
// each folder's own path by '<out>'; CSV files after dropping columns named in WALL_CLOCK; every
// HTML and text files after replacing ISO timestamps and the report's and summaries' wall time; every other file byte for byte. `--skip`
// leaves out top-level entries (e.g. stages/, whose fingerprints name the code's settings). Exit 0 when all files match, 1 otherwise (the differing files are
// listed), 2 on bad arguments.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const WALL_CLOCK = new Set(['seconds', 'wallSeconds', 'cpuSeconds', 'wall time (s)', 'date', 'started', 'finished', 'generated', 'reusedStages']);

function files(root, dir = root) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(root, full) : [path.relative(root, full)];
  });
}

function strip(value) {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !WALL_CLOCK.has(k)).map(([k, v]) => [k, strip(v)]));
  }
  return value;
}

function normalised(file, root) {
  const text = readFileSync(file, 'utf8').split(path.resolve(root)).join('<out>');
  if (file.endsWith('.json')) return JSON.stringify(strip(JSON.parse(text)));
  if (file.endsWith('.csv')) {
    const rows = text.split('\n').map((l) => l.split(','));
    const keep = rows[0].map((h, i) => (WALL_CLOCK.has(h) ? -1 : i)).filter((i) => i >= 0);
    return rows.map((r) => keep.map((i) => r[i]).join(',')).join('\n');
  }
  if (/\.(html|txt|md|svg)$/.test(file)) {
    return text
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
      .replace(/(wall time \(s\)<\/th><td>)\d+/g, '$1<s>')
      .replace(/(Wall time )\d+( s\.)/g, '$1<s>$2')
      .replace(/(mean )[\d.]+( s per call, against )[\d.]+( s for)/g, '$1<s>$2<s>$3');
  }
  return null;
}

const [a, b, flag, list] = process.argv.slice(2);
const skip = new Set(flag === '--skip' && list ? list.split(',') : []);
if (!a || !b) {
  process.stderr.write('usage: node scripts/same-outputs.mjs <folder-a> <folder-b>\n');
  process.exit(2);
}
const kept = (f) => !skip.has(f.split(path.sep)[0]);
const fa = new Set(files(a).filter(kept));
const fb = new Set(files(b).filter(kept));
const differ = [];
for (const f of [...new Set([...fa, ...fb])].sort()) {
  if (!fa.has(f) || !fb.has(f)) {
    differ.push(`${f}: only in ${fa.has(f) ? a : b}`);
    continue;
  }
  const na = normalised(path.join(a, f), a);
  const same =
    na === null ? readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))) : na === normalised(path.join(b, f), b);
  if (!same) differ.push(`${f}: differs`);
}
process.stdout.write(differ.length ? differ.join('\n') + '\n' : `same: ${fa.size} files\n`);
process.exit(differ.length ? 1 : 0);
