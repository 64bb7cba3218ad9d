/** Test helper: the pids of this process's children (e.g. a pool's workers), without the `ps` listing them. */
import { execFileSync } from 'node:child_process';

export function childPids(): number[] {
  return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, comm]) => Number(pid) > 0 && comm !== 'ps')
    .map(([pid]) => Number(pid));
}
