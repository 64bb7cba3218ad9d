/**
 * Test helper: a full disk under one folder. Imported (or preloaded with `--import` in a worker
 * process through NODE_OPTIONS), it makes fs.promises.writeFile fail with ENOSPC, as Node reports
 * a full disk, for every path under the folder in CMKD_TEST_FULL_DISK (unset: no effect); with
 * CMKD_TEST_WRITE_ERROR=EACCES, fail as a denied write instead.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const writeFile = fs.promises.writeFile;
fs.promises.writeFile = function (file, ...rest) {
  const full = process.env.CMKD_TEST_FULL_DISK;
  if (full && typeof file === 'string' && file.startsWith(full)) {
    const eacces = process.env.CMKD_TEST_WRITE_ERROR === 'EACCES';
    const err = new Error(eacces ? `EACCES: permission denied, open '${file}'` : 'ENOSPC: no space left on device, write');
    Object.assign(
      err,
      eacces ? { errno: -13, code: 'EACCES', syscall: 'open', path: file } : { errno: -28, code: 'ENOSPC', syscall: 'write' },
    );
    return Promise.reject(err);
  }
  return writeFile.call(this, file, ...rest);
};
syncBuiltinESMExports();
