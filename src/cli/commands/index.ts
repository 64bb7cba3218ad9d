import type { Command } from 'commander';
import { register as info } from './info.js';
import { register as data } from './data.js';
import { register as mi } from './mi.js';
import { register as cch } from './cch.js';
import { register as train } from './train.js';
import { register as evaluate } from './evaluate.js';
import { register as predict } from './predict.js';
import { register as distill } from './distill.js';
import { register as sweep } from './sweep.js';
import { register as run } from './run.js';
import { register as experiment } from './experiment.js';
import { register as report } from './report.js';
import { register as serve } from './serve.js';
import { register as worker } from './worker.js';

/** Every CLI command, in the order `cmkd --help` lists them. */
export const COMMANDS: ((program: Command) => void)[] = [
  run,
  report,
  serve,
  info,
  data,
  mi,
  cch,
  train,
  evaluate,
  predict,
  distill,
  sweep,
  experiment,
  worker,
];
