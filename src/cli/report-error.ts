import { CommanderError } from 'commander';
import { EphemeralServersError } from '../errors.js';

/** Exit code of a usage mistake: an unknown command, option or server, a missing argument, a bad `--slot`. */
export const USAGE_EXIT_CODE = 2;

/** A mistake in how the CLI was called (unknown server, bad `--slot`, …): message only, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Prints an error for a human: `ephemeral-servers: <message> [<code>]` for typed errors (their messages
 * already say what to do), the message for usage errors, nothing for commander's (it printed them
 * already), and the stack for anything else (a bug worth reporting: a `TypeError` of ours is one too,
 * since every deliberate error is typed).
 */
export function reportError(error: unknown, stream: NodeJS.WritableStream = process.stderr): void {
  if (error instanceof CommanderError) return;
  if (error instanceof EphemeralServersError) {
    stream.write(`ephemeral-servers: ${error.message} [${error.code}]\n`);
  } else if (error instanceof UsageError) {
    stream.write(`ephemeral-servers: ${error.message}\n`);
  } else if (error instanceof Error) {
    stream.write(`ephemeral-servers: unexpected error: ${error.stack ?? error.message}\n`);
  } else {
    stream.write(`ephemeral-servers: unexpected error: ${String(error)}\n`);
  }
}

/**
 * Exit code for an error: 2 ({@link USAGE_EXIT_CODE}) for usage errors, ours and commander's; 0 for
 * commander's `--help` and `--version`; 1 otherwise (docs/cli.md, "Exit codes").
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
  return error instanceof UsageError ? USAGE_EXIT_CODE : 1;
}
