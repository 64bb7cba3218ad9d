import type { Command } from 'commander';
import { register as info } from './info.js';

/** Every CLI command, in the order `cmkd --help` lists them. */
export const COMMANDS: ((program: Command) => void)[] = [info];
