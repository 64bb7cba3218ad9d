/**
 * Exact k-d tree under the max-norm (Chebyshev distance) for the k-NN mutual-information
 * estimators: the k-th neighbour distance of every sample and, for each sample, the number of
 * samples strictly closer than a given radius. Everything lives in flat typed arrays; the tree
 * is implicit (node i has children 2i+1 and 2i+2) and balanced by median splits, so the
 * queries never allocate.
 */

export interface KDTree {
  readonly n: number;
  readonly d: number;
  /** Points in tree order, n × d. */
  readonly points: Float64Array;
  /** Tree position → original row. */
  readonly order: Int32Array;
  /** Original row → tree position. */
  readonly position: Int32Array;
  /** Per node: first and one-past-last tree position. */
  readonly nodeStart: Int32Array;
  readonly nodeEnd: Int32Array;
  /** Per node: bounding box, nNodes × d. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Nodes with id ≥ firstLeaf are leaves. */
  readonly firstLeaf: number;
  readonly nNodes: number;
  /** Scratch stack for traversals (depth ≤ levels, two entries per level). */
  readonly stack: Int32Array;
}

/** Build the tree over n rows of d values (row-major). The input is copied, not modified. */
export function buildKDTree(data: ArrayLike<number>, n: number, d: number, leafSize = 16): KDTree {
  if (!(n >= 1) || !(d >= 1)) throw new Error(`buildKDTree: need n ≥ 1 and d ≥ 1 (got n=${n}, d=${d})`);
  // As sklearn's binary trees: enough levels that a leaf holds between leafSize/2 and leafSize points.
  const levels = 1 + Math.floor(Math.log2(Math.max(1, Math.floor((n - 1) / leafSize))));
  const nNodes = 2 ** levels - 1;
  const firstLeaf = 2 ** (levels - 1) - 1;
  // Rows are partitioned in place in a tree-order copy, so the splits and the queries read contiguous memory.
  const points = Float64Array.from(data as ArrayLike<number>);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const nodeStart = new Int32Array(nNodes);
  const nodeEnd = new Int32Array(nNodes);
  const lo = new Float64Array(nNodes * d);
  const hi = new Float64Array(nNodes * d);
  nodeStart[0] = 0;
  nodeEnd[0] = n;
  for (let node = 0; node < nNodes; node++) {
    const s = nodeStart[node];
    const e = nodeEnd[node];
    const o = node * d;
    for (let c = 0; c < d; c++) {
      lo[o + c] = Infinity;
      hi[o + c] = -Infinity;
    }
    for (let t = s; t < e; t++) {
      const p = t * d;
      for (let c = 0; c < d; c++) {
        const v = points[p + c];
        if (v < lo[o + c]) lo[o + c] = v;
        if (v > hi[o + c]) hi[o + c] = v;
      }
    }
    if (node >= firstLeaf) continue;
    let dim = 0;
    let spread = -1;
    for (let c = 0; c < d; c++) {
      const w = hi[o + c] - lo[o + c];
      if (w > spread) {
        spread = w;
        dim = c;
      }
    }
    const mid = (s + e) >> 1;
    selectNth(points, order, d, dim, s, e - 1, mid);
    nodeStart[2 * node + 1] = s;
    nodeEnd[2 * node + 1] = mid;
    nodeStart[2 * node + 2] = mid;
    nodeEnd[2 * node + 2] = e;
  }
  const position = new Int32Array(n);
  for (let t = 0; t < n; t++) position[order[t]] = t;
  return {
    n,
    d,
    points,
    order,
    position,
    nodeStart,
    nodeEnd,
    lo,
    hi,
    firstLeaf,
    nNodes,
    stack: new Int32Array(2 * levels + 2),
  };
}

/** Swap rows i and j of the points (and their original indices). */
function swapRows(points: Float64Array, order: Int32Array, d: number, i: number, j: number): void {
  const t = order[i];
  order[i] = order[j];
  order[j] = t;
  const a = i * d;
  const b = j * d;
  for (let c = 0; c < d; c++) {
    const v = points[a + c];
    points[a + c] = points[b + c];
    points[b + c] = v;
  }
}

/** Quickselect (Hoare partition, median-of-three pivot) on rows so row nth holds the nth smallest along dim. */
function selectNth(points: Float64Array, order: Int32Array, d: number, dim: number, left: number, right: number, nth: number): void {
  while (right > left) {
    const m = (left + right) >> 1;
    const a = points[left * d + dim];
    const b = points[m * d + dim];
    const c = points[right * d + dim];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while (points[i * d + dim] < pivot) i++;
      while (points[j * d + dim] > pivot) j--;
      if (i <= j) {
        swapRows(points, order, d, i, j);
        i++;
        j--;
      }
    }
    if (nth <= j) right = j;
    else if (nth >= i) left = i;
    else return;
  }
}

/** Max-norm distance from q to the node's box (0 inside). */
function boxMinDist(tree: KDTree, node: number, q: ArrayLike<number>, qo: number): number {
  const d = tree.d;
  const o = node * d;
  let m = 0;
  for (let c = 0; c < d; c++) {
    const v = q[qo + c];
    const below = tree.lo[o + c] - v;
    const above = v - tree.hi[o + c];
    const g = below > above ? below : above;
    if (g > m) m = g;
  }
  return m;
}

/** Max-norm distance from q to the farthest corner of the node's box. */
function boxMaxDist(tree: KDTree, node: number, q: ArrayLike<number>, qo: number): number {
  const d = tree.d;
  const o = node * d;
  let m = 0;
  for (let c = 0; c < d; c++) {
    const v = q[qo + c];
    const a = v - tree.lo[o + c];
    const b = tree.hi[o + c] - v;
    const g = a > b ? a : b;
    if (g > m) m = g;
  }
  return m;
}

/**
 * Distance from q to its k-th nearest tree point under the max-norm, skipping tree position
 * `skip` (−1 for none). `best` is caller scratch of length ≥ k. Returns Infinity if fewer than
 * k points are available.
 */
export function kthDistance(tree: KDTree, q: ArrayLike<number>, qo: number, k: number, skip: number, best: Float64Array): number {
  if (tree.d === 2) return kthDistance2(tree, q[qo], q[qo + 1], k, skip, best);
  const { d, points, nodeStart, nodeEnd, firstLeaf, stack } = tree;
  for (let i = 0; i < k; i++) best[i] = Infinity;
  let worst = Infinity;
  let sp = 0;
  stack[sp++] = 0;
  while (sp > 0) {
    const node = stack[--sp];
    if (boxMinDist(tree, node, q, qo) >= worst) continue;
    if (node >= firstLeaf) {
      const e = nodeEnd[node];
      for (let t = nodeStart[node]; t < e; t++) {
        if (t === skip) continue;
        const p = t * d;
        let dist = 0;
        for (let c = 0; c < d; c++) {
          const g = Math.abs(points[p + c] - q[qo + c]);
          if (g > dist) {
            dist = g;
            if (dist >= worst) break;
          }
        }
        if (dist < worst) {
          // Insertion into the sorted k-best list.
          let j = k - 1;
          while (j > 0 && best[j - 1] > dist) {
            best[j] = best[j - 1];
            j--;
          }
          best[j] = dist;
          worst = best[k - 1];
        }
      }
      continue;
    }
    // Visit the nearer child first: push it last.
    const l = 2 * node + 1;
    const r = l + 1;
    const dl = boxMinDist(tree, l, q, qo);
    const dr = boxMinDist(tree, r, q, qo);
    if (dl <= dr) {
      if (dr < worst) stack[sp++] = r;
      if (dl < worst) stack[sp++] = l;
    } else {
      if (dl < worst) stack[sp++] = l;
      if (dr < worst) stack[sp++] = r;
    }
  }
  return worst;
}

/** boxMinDist for d = 2. */
function boxDist2(lo: Float64Array, hi: Float64Array, node: number, q0: number, q1: number): number {
  const o = 2 * node;
  const g0 = Math.max(lo[o] - q0, q0 - hi[o]);
  const g1 = Math.max(lo[o + 1] - q1, q1 - hi[o + 1]);
  return Math.max(g0, g1, 0);
}

/** kthDistance for d = 2 (the joint space of two 1-d variables), with the distances written out. */
function kthDistance2(tree: KDTree, q0: number, q1: number, k: number, skip: number, best: Float64Array): number {
  const { points, nodeStart, nodeEnd, firstLeaf, stack, lo, hi } = tree;
  for (let i = 0; i < k; i++) best[i] = Infinity;
  let worst = Infinity;
  let sp = 0;
  stack[sp++] = 0;
  while (sp > 0) {
    const node = stack[--sp];
    if (boxDist2(lo, hi, node, q0, q1) >= worst) continue;
    if (node >= firstLeaf) {
      const e = nodeEnd[node];
      for (let t = nodeStart[node]; t < e; t++) {
        if (t === skip) continue;
        const a = Math.abs(points[2 * t] - q0);
        const b = Math.abs(points[2 * t + 1] - q1);
        const dist = a > b ? a : b;
        if (dist < worst) {
          let j = k - 1;
          while (j > 0 && best[j - 1] > dist) {
            best[j] = best[j - 1];
            j--;
          }
          best[j] = dist;
          worst = best[k - 1];
        }
      }
      continue;
    }
    const l = 2 * node + 1;
    const r = l + 1;
    const dl = boxDist2(lo, hi, l, q0, q1);
    const dr = boxDist2(lo, hi, r, q0, q1);
    if (dl <= dr) {
      if (dr < worst) stack[sp++] = r;
      if (dl < worst) stack[sp++] = l;
    } else {
      if (dl < worst) stack[sp++] = l;
      if (dr < worst) stack[sp++] = r;
    }
  }
  return worst;
}

/** Number of tree points at max-norm distance strictly less than `radius` from q (q itself counts if it is a tree point). */
export function countCloser(tree: KDTree, q: ArrayLike<number>, qo: number, radius: number): number {
  if (!(radius > 0)) return 0;
  const { d, points, nodeStart, nodeEnd, firstLeaf, stack } = tree;
  let count = 0;
  let sp = 0;
  stack[sp++] = 0;
  while (sp > 0) {
    const node = stack[--sp];
    if (boxMinDist(tree, node, q, qo) >= radius) continue;
    if (boxMaxDist(tree, node, q, qo) < radius) {
      count += nodeEnd[node] - nodeStart[node];
      continue;
    }
    if (node >= firstLeaf) {
      const e = nodeEnd[node];
      for (let t = nodeStart[node]; t < e; t++) {
        const p = t * d;
        let inside = true;
        for (let c = 0; c < d; c++) {
          if (!(Math.abs(points[p + c] - q[qo + c]) < radius)) {
            inside = false;
            break;
          }
        }
        if (inside) count++;
      }
      continue;
    }
    stack[sp++] = 2 * node + 2;
    stack[sp++] = 2 * node + 1;
  }
  return count;
}

/** For every tree point (in original row order), the max-norm distance to its k-th nearest other point. */
export function allKthDistances(tree: KDTree, k: number): Float64Array {
  const out = new Float64Array(tree.n);
  const best = new Float64Array(k);
  for (let t = 0; t < tree.n; t++) out[tree.order[t]] = kthDistance(tree, tree.points, t * tree.d, k, t, best);
  return out;
}

/** For every tree point i (original row order), the number of other points at distance strictly less than radius[i]. */
export function allCountsCloser(tree: KDTree, radius: ArrayLike<number>): Int32Array {
  const out = new Int32Array(tree.n);
  for (let t = 0; t < tree.n; t++) {
    const r = tree.order[t];
    const c = countCloser(tree, tree.points, t * tree.d, radius[r]);
    out[r] = c > 0 ? c - 1 : 0;
  }
  return out;
}

/** Sorted copy of 1-d values, for the 1-d fast path of the radius counts. */
export function sortedValues(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * Number of other values v with |v − x| < radius, by binary search in `sorted` (which contains x).
 * Identical to the tree count: rounded subtraction is monotone, so the predicate is monotone too.
 */
export function countCloser1D(sorted: Float64Array, x: number, radius: number): number {
  if (!(radius > 0)) return 0;
  // First index with x − v < radius (values ascending: x − v descending).
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (x - sorted[m] < radius) b = m;
    else a = m + 1;
  }
  const left = a;
  // First index with v − x ≥ radius.
  b = sorted.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (sorted[m] - x < radius) a = m + 1;
    else b = m;
  }
  return a - left - 1;
}

/**
 * Indices that sort `values` ascending: LSD radix sort on the IEEE-754 bits mapped to unsigned
 * order (negative: all bits flipped; positive: sign bit set), six passes of 11 bits, skipping
 * passes where every key has the same digit. Stable; −0 sorts before +0.
 */
export function argsortFloat64(values: Float64Array): Int32Array {
  const n = values.length;
  const bits = new Uint32Array(Float64Array.from(values).buffer);
  const hiKey = new Uint32Array(n);
  const loKey = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = bits[2 * i];
    const hi = bits[2 * i + 1];
    if (hi & 0x80000000) {
      hiKey[i] = ~hi >>> 0;
      loKey[i] = ~lo >>> 0;
    } else {
      hiKey[i] = (hi | 0x80000000) >>> 0;
      loKey[i] = lo;
    }
  }
  let order = new Int32Array(n);
  let next = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const count = new Int32Array(2048);
  const digit = new Uint16Array(n);
  for (let pass = 0; pass < 6; pass++) {
    const shift = pass * 11;
    // Digit of every key for this pass (by element index), computed once outside the scatter loop.
    if (shift + 11 <= 32) for (let i = 0; i < n; i++) digit[i] = (loKey[i] >>> shift) & 2047;
    else if (shift < 32) for (let i = 0; i < n; i++) digit[i] = ((loKey[i] >>> shift) | (hiKey[i] << (32 - shift))) & 2047;
    else for (let i = 0; i < n; i++) digit[i] = (hiKey[i] >>> (shift - 32)) & 2047;
    count.fill(0);
    for (let i = 0; i < n; i++) count[digit[i]]++;
    if (count[digit[0]] === n) continue;
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let j = 0; j < n; j++) {
      const i = order[j];
      next[count[digit[i]]++] = i;
    }
    const t = order;
    order = next;
    next = t;
  }
  return order;
}

/**
 * For every value, the number of other values strictly closer than radius[i] (1-d max-norm),
 * by galloping outward from its own place in the sorted order. Same predicate and the same
 * monotone search space as countCloser1D, hence identical counts.
 */
export function allCountsCloser1D(values: Float64Array, radius: ArrayLike<number>): Int32Array {
  const n = values.length;
  const order = argsortFloat64(values);
  const sorted = new Float64Array(n);
  for (let j = 0; j < n; j++) sorted[j] = values[order[j]];
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const r = radius[i];
    if (!(r > 0)) continue;
    const x = sorted[j];
    // Left: the first index m ≤ j with x − sorted[m] < r (true at m = j).
    let step = 1;
    let inside = j;
    let outside = j - 1;
    while (outside >= 0 && x - sorted[outside] < r) {
      inside = outside;
      step *= 2;
      outside = j - step;
    }
    let a = Math.max(outside, -1);
    let b = inside;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (x - sorted[m] < r) b = m;
      else a = m;
    }
    const left = b;
    // Right: the last index m ≥ j with sorted[m] − x < r.
    step = 1;
    inside = j;
    outside = j + 1;
    while (outside < n && sorted[outside] - x < r) {
      inside = outside;
      step *= 2;
      outside = j + step;
    }
    a = inside;
    b = Math.min(outside, n);
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (sorted[m] - x < r) a = m;
      else b = m;
    }
    out[i] = a - left;
  }
  return out;
}
