import { EphemeralServersError } from '../errors.js';

/** A mistake in how the CLI was called (unknown server, bad `--slot`, …): message only, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Prints an error for a human: `ephemeral-servers: <message> [<code>]` for typed errors (their messages
 * already say what to do), the message for usage and argument errors, the stack for anything
 * unexpected (a bug worth reporting).
 */
export function reportError(error: unknown, stream: NodeJS.WritableStream = process.stderr): void {
  if (error instanceof EphemeralServersError) {
    stream.write(`ephemeral-servers: ${error.message} [${error.code}]\n`);
  } else if (error instanceof UsageError || error instanceof TypeError || error instanceof RangeError) {
    stream.write(`ephemeral-servers: ${error.message}\n`);
  } else if (error instanceof Error) {
    stream.write(`ephemeral-servers: unexpected error: ${error.stack ?? error.message}\n`);
  } else {
    stream.write(`ephemeral-servers: unexpected error: ${String(error)}\n`);
  }
}

/** Exit code for an error: 2 for usage errors, 1 otherwise. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}
