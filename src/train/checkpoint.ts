/**
 * The resume state of a training run in one file, written atomically: a JSON header (epoch,
 * history, early-stopping state, settings fingerprint) followed by the tensors (current
 * weights, best weights, optimiser moments, KD-method variables) in TF.js weight encoding.
 *
 * Layout: 8 bytes magic 'CMKDCKPT', uint32 LE header length, header JSON (UTF-8), zero padding
 * to a multiple of 4, then the weight bytes described by header.specs.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tf } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';

const MAGIC = 'CMKDCKPT';

export interface CheckpointGroups {
  [group: string]: tf.Tensor[];
}

export interface CheckpointFile<H> {
  header: H;
  groups: Record<string, tf.Tensor[]>;
}

/** Write `header` and the tensor groups to `file` (atomically). Reads the tensors (a sync). */
export async function writeCheckpoint<H extends object>(file: string, header: H, groups: CheckpointGroups): Promise<void> {
  const named: { name: string; tensor: tf.Tensor }[] = [];
  const counts: Record<string, number> = {};
  for (const [g, tensors] of Object.entries(groups)) {
    counts[g] = tensors.length;
    tensors.forEach((t, i) => named.push({ name: `${g}/${i}`, tensor: t }));
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  const head = new TextEncoder().encode(JSON.stringify({ header, counts, specs }));
  const pad = (4 - ((12 + head.byteLength) % 4)) % 4;
  const bytes = new Uint8Array(12 + head.byteLength + pad + data.byteLength);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(8, head.byteLength, true);
  bytes.set(head, 12);
  bytes.set(new Uint8Array(data), 12 + head.byteLength + pad);
  await writeFileAtomic(file, bytes);
}

/** Read a checkpoint written by writeCheckpoint; null when the file does not exist. */
export async function readCheckpoint<H>(file: string): Promise<CheckpointFile<H> | null> {
  if (!existsSync(file)) return null;
  const raw = new Uint8Array(await readFile(file));
  const bad = (why: string) =>
    new CmkdError(`${file} is not a usable cmkd checkpoint (${why}); delete it to start afresh`, 'invalid-input');
  if (raw.byteLength < 12 || new TextDecoder().decode(raw.subarray(0, 8)) !== MAGIC) throw bad('wrong magic bytes');
  const len = new DataView(raw.buffer, raw.byteOffset).getUint32(8, true);
  if (12 + len > raw.byteLength) throw bad('truncated header');
  let parsed: { header: H; counts: Record<string, number>; specs: tf.io.WeightsManifestEntry[] };
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw.subarray(12, 12 + len)));
  } catch {
    throw bad('header is not JSON');
  }
  const pad = (4 - ((12 + len) % 4)) % 4;
  const start = 12 + len + pad;
  const data = raw.slice(start).buffer;
  const expected = parsed.specs.reduce((a, s) => a + 4 * s.shape.reduce((x, y) => x * y, 1), 0);
  if (data.byteLength !== expected) throw bad(`weights hold ${data.byteLength} bytes, header describes ${expected}`);
  const map = tf.io.decodeWeights(data, parsed.specs);
  const groups: Record<string, tf.Tensor[]> = {};
  for (const [g, n] of Object.entries(parsed.counts)) {
    groups[g] = Array.from({ length: n }, (_, i) => map[`${g}/${i}`]);
  }
  return { header: parsed.header, groups };
}
