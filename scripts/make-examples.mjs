#!/usr/bin/env node
// Writes small example datasets, one per source format a cmkd.json can name besides CSV, all cut
// from the built-in digits (the same rows in each), for docs/your-own-data.md:
//
//   npm run build && node scripts/make-examples.mjs [out folder, default examples] [--n 300] [--seed 0]
//
//   <out>/images/      pixels/ (grayscale PNG) and textured/ (RGB PNG), one file per sample;
//                      labels.csv with the sample id (the file stem) and the digit
//   <out>/parquet/     digits.parquet: an id column, the blocks and profiles tables, the digit
//   <out>/hdf5/        digits.h5: /views/pixels (uint8 [N, 28, 28]), /views/fourier, /labels
//   <out>/embeddings/  textured.npy (float32 [N, 28, 28, 3]) and pixels-embedding.npy: a 32-wide
//                      float32 representation of the pixels (their top principal components,
//                      standing in for an encoder's output saved with np.save), labels.npy
//
// Each folder gets its cmkd.json, and is then read back through cmkd's loader: the script prints
// the largest difference from the digits per view. Nothing here is hand-made; rerunning gives the
// same files (the HDF5 file differs only in the creation times HDF5 stamps on its objects).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { parquetWriteBuffer } from 'hyparquet-writer';
import sharp from 'sharp';
import { criteria, data, getModality, loadDataset } from '../dist/index.js';

function usage(msg) {
  process.stderr.write(`make-examples: ${msg}\nusage: node scripts/make-examples.mjs [out] [--n 300] [--seed 0]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let out = 'examples';
let n = 300;
let seed = 0;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--n' || a === '--seed') {
    const v = Number(args[++i]);
    if (!Number.isInteger(v) || v < 1 - (a === '--seed' ? 1 : 0))
      usage(`${a} needs a ${a === '--n' ? 'positive' : 'non-negative'} integer`);
    if (a === '--n') n = v;
    else seed = v;
  } else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else out = a;
}

const ds = await loadDataset(`digits?n=${n}&seed=${seed}`);
const N = ds.n;
const digit = Array.from(ds.labels, (k) => ds.task.classes[k]);
const ids = Array.from({ length: N }, (_, i) => `d${String(i).padStart(5, '0')}`);
const view = (name) => getModality(ds, name);
const row = (m, i) => m.data.subarray((i * m.data.length) / N, ((i + 1) * m.data.length) / N);
/** Values in [0, 1] as bytes (the digits views store k/255 exactly). */
const bytes = (v) => Uint8Array.from(v, (x) => Math.max(0, Math.min(255, Math.round(x * 255))));
const fresh = (dir) => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
};
const manifest = (dir, doc) => writeFileSync(path.join(dir, 'cmkd.json'), JSON.stringify(doc, null, 2) + '\n');
const description = `${N} rows of the built-in digits (seed ${seed}), written by scripts/make-examples.mjs`;

// ------------------------------------------------------------------ image folders
{
  const dir = fresh(path.join(out, 'images'));
  for (const name of ['pixels', 'textured']) {
    const m = view(name);
    const [h, w, c] = m.shape;
    mkdirSync(path.join(dir, name));
    for (let i = 0; i < N; i++) {
      const img = sharp(Buffer.from(bytes(row(m, i))), { raw: { width: w, height: h, channels: c } });
      await img
        .toColourspace(c === 1 ? 'b-w' : 'srgb')
        .png()
        .toFile(path.join(dir, name, `${ids[i]}.png`));
    }
  }
  writeFileSync(path.join(dir, 'labels.csv'), 'id,digit\n' + ids.map((id, i) => `${id},${digit[i]}`).join('\n') + '\n');
  manifest(dir, {
    name: 'digits-images',
    description,
    modalities: [
      { name: 'pixels', file: 'pixels', scale: 1 / 255 },
      { name: 'textured', file: 'textured', scale: 1 / 255 },
    ],
    labels: { file: 'labels.csv', column: 'digit', id: 'id' },
    task: { kind: 'classification' },
  });
}

// ------------------------------------------------------------------ Parquet
{
  const dir = fresh(path.join(out, 'parquet'));
  const columnData = [{ name: 'id', data: ids, type: 'STRING' }];
  for (const name of ['blocks', 'profiles']) {
    const m = view(name);
    const d = m.shape[0];
    m.columns.forEach((col, j) =>
      columnData.push({ name: col, data: Float32Array.from({ length: N }, (_, i) => m.data[i * d + j]), type: 'FLOAT' }),
    );
  }
  columnData.push({ name: 'digit', data: Int32Array.from(digit, Number), type: 'INT32' });
  writeFileSync(path.join(dir, 'digits.parquet'), new Uint8Array(parquetWriteBuffer({ columnData })));
  manifest(dir, {
    name: 'digits-parquet',
    description,
    modalities: [
      { name: 'blocks', file: 'digits.parquet', columns: 'block_*' },
      { name: 'profiles', file: 'digits.parquet', columns: ['row_*', 'col_*'] },
    ],
    labels: { file: 'digits.parquet', column: 'digit' },
    task: { kind: 'classification' },
  });
}

// ------------------------------------------------------------------ HDF5
{
  const dir = fresh(path.join(out, 'hdf5'));
  await h5wasm.ready;
  const f = new h5wasm.File(path.resolve(dir, 'digits.h5'), 'w');
  f.create_group('views');
  f.create_dataset({ name: 'views/pixels', data: bytes(view('pixels').data), shape: [N, 28, 28] });
  const fourier = view('fourier');
  f.create_dataset({ name: 'views/fourier', data: fourier.data, shape: [N, fourier.shape[0]] });
  f.create_dataset({ name: 'labels', data: Int32Array.from(digit, Number) });
  f.close();
  manifest(dir, {
    name: 'digits-hdf5',
    description,
    modalities: [
      { name: 'pixels', kind: 'image', file: 'digits.h5', key: '/views/pixels', scale: 1 / 255 },
      { name: 'fourier', file: 'digits.h5', key: '/views/fourier' },
    ],
    labels: { file: 'digits.h5', key: '/labels' },
    task: { kind: 'classification' },
  });
}

// ------------------------------------------------------------------ embeddings as .npy
{
  const dir = fresh(path.join(out, 'embeddings'));
  const textured = view('textured');
  writeFileSync(path.join(dir, 'textured.npy'), data.encodeNpy([N, ...textured.shape], textured.data, 'f4'));
  const pixels = view('pixels');
  const d = pixels.data.length / N;
  const pca = criteria.pcaReduce({ data: pixels.data, n: N, d }, 32, { seed });
  writeFileSync(path.join(dir, 'pixels-embedding.npy'), data.encodeNpy([N, pca.h.d], pca.h.data, 'f4'));
  writeFileSync(path.join(dir, 'labels.npy'), data.encodeNpy([N], Int32Array.from(digit, Number), 'i8'));
  manifest(dir, {
    name: 'digits-embeddings',
    description: `${description}; pixels-embedding is the pixels' top 32 principal components`,
    modalities: [
      { name: 'textured', kind: 'image', file: 'textured.npy' },
      { name: 'embedding', file: 'pixels-embedding.npy' },
    ],
    labels: 'labels.npy',
    task: { kind: 'classification' },
  });
}

process.stdout.write(`wrote ${N} samples in 4 formats to ${out}/ (images, parquet, hdf5, embeddings)\n`);

// Read every folder back through cmkd's loader and compare with the digits it came from.
const largest = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const views = { images: ['pixels', 'textured'], parquet: ['blocks', 'profiles'], hdf5: ['pixels', 'fourier'], embeddings: ['textured'] };
for (const [folder, names] of Object.entries(views)) {
  const back = await loadDataset(path.join(out, folder));
  const diffs = names.map((name) => `${name} ${Number(largest(getModality(back, name).data, view(name).data).toPrecision(3))}`);
  const labels = back.labels.every((k, i) => back.task.classes[k] === digit[i]) ? 'labels equal' : 'LABELS DIFFER';
  process.stdout.write(`read back ${folder}: largest |difference| ${diffs.join(', ')}; ${labels}\n`);
}
