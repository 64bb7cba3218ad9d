#!/usr/bin/env node
/**
 * The `cmkd` command line: a thin layer over the library. Each command lives in
 * commands/<name>.ts and exports `register(program)`. Errors from bad input (CmkdError)
 * are printed as one line and exit with code 2; a write the machine refused (full disk, no
 * permission: writeError) is one line naming the file, exit code EXIT_CANNOT_WRITE; anything
 * else is a bug and shows its stack.
 */
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CmkdError, refusedCode } from '../util/errors.js';
import { escapeControl } from '../util/text.js';
import { COMMANDS } from './commands/index.js';
import { interruptedBy, releaseOutDirs, signalExitCode } from './common.js';
import { VERSION } from '../version.js';

export function buildProgram(): Command {
  const program = new Command('cmkd')
    .description('Cross-modal knowledge distillation: will KD help, from which teacher; distill; measure; report.')
    .version(VERSION)
    .configureHelp({ sortSubcommands: false });
  for (const register of COMMANDS) register(program);
  // Usage errors (unknown flag, missing argument) are bad input like any other: one line on stderr, exit 2,
  // and no process.exit from inside commander, so main() returns the code (every subcommand, at any depth).
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    c.exitOverride().configureOutput({
      outputError: (message, write) => write(`cmkd: ${errorLine(message.trim())} (run with --help for usage)\n`),
    });
  }
  return program;
}

/** Help and version end a run normally; every other commander error is a usage error. */
const NOT_ERRORS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version', 'commander.executeSubCommandAsync']);

/** Longest error line printed: a message quoting a file's contents stays a line, not the file. */
const MAX_ERROR_LINE = 1000;

/** An error message as one terminal-safe line: control characters (newlines, ANSI escapes) escaped, at most MAX_ERROR_LINE characters. */
export function errorLine(message: string): string {
  const line = escapeControl(message);
  return line.length > MAX_ERROR_LINE ? `${line.slice(0, MAX_ERROR_LINE)}… (message cut at ${MAX_ERROR_LINE} characters)` : line;
}

/** Exit code of a write the machine refused (EX_IOERR of sysexits.h): free space or fix permissions, then resume. */
export const EXIT_CANNOT_WRITE = 74;

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let running: Command | null = null;
  program.hook('preAction', (_top, action) => {
    running = action;
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or the help or version).
      return NOT_ERRORS.has(err.code) ? 0 : 2;
    }
    // Refused by the machine: a cmkd writer's one line naming the file, or Node's own (it names the path when it knows it).
    if ((err instanceof CmkdError && err.code === 'cannot-write') || (!(err instanceof CmkdError) && refusedCode(err) !== null)) {
      const resumable = (running as Command | null)?.options.some((o) => o.long === '--resume') ?? false;
      const next = resumable ? 'then run the same command with --resume to continue' : 'then run the command again';
      process.stderr.write(`cmkd: error: ${errorLine((err as Error).message)}; free space or fix permissions, ${next}\n`);
      return EXIT_CANNOT_WRITE;
    }
    if (err instanceof CmkdError) {
      process.stderr.write(`cmkd: error: ${errorLine(err.message)}\n`);
      return 2;
    }
    if (err instanceof Error && err.name === 'AbortError') {
      // Ctrl-C, SIGTERM or SIGHUP: the same line, the shell's code for the signal (130, 143, 129).
      process.stderr.write('cmkd: interrupted; finished results were kept\n');
      const by = interruptedBy();
      return by ? signalExitCode(by) : 130;
    }
    throw err;
  } finally {
    // The output folders it took are free for the next command (in this process too).
    releaseOutDirs();
  }
}

function isEntryPoint(): boolean {
  // Resolve symlinks: installed as a bin, argv[1] is node_modules/.bin/cmkd.
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // A reader that stops early (`cmkd … --json | head`) closes stdout: it has what it wanted, so end quietly, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`cmkd: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
