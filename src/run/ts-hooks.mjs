/**
 * Node module hooks that let a forked worker run cmkd's TypeScript sources (the pool under
 * vitest, which runs src/ rather than dist/). The built CLI never uses them: its workers are
 * dist/worker/pool-entry.js. Imports of './x.js' resolve to './x.ts' when only the source exists, and
 * .ts files are transpiled one by one with vite's transform (what vitest itself runs them through).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transformWithOxc } from 'vite';

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('.') || specifier.startsWith('file:');
    if (relative && specifier.endsWith('.js') && err?.code === 'ERR_MODULE_NOT_FOUND') {
      return next(`${specifier.slice(0, -3)}.ts`, context);
    }
    throw err;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const { code } = await transformWithOxc(await readFile(fileName, 'utf8'), fileName);
  return { format: 'module', source: code, shortCircuit: true };
}
