import { Writable } from 'node:stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, reportError, UsageError } from '../../src/cli/report-error.js';
import { ConfigError } from '../../src/errors.js';

function report(error: unknown): string {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  reportError(error, stream);
  return text;
}

describe('reportError and exitCodeOf (docs/cli.md, "Exit codes")', () => {
  it('a typed error: its message and code, exit 1; a usage error: its message, exit 2', () => {
    const config = new ConfigError([{ server: 'api', path: 'port', message: 'must be a number' }]);
    expect(report(config)).toBe(`ephemeral-servers: ${config.message} [ES_CONFIG_INVALID]\n`);
    expect(exitCodeOf(config)).toBe(1);
    expect(report(new UsageError('no server "x"'))).toBe('ephemeral-servers: no server "x"\n');
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
  });

  it("commander's errors are already printed: nothing more, exit 2 (0 for --help and --version)", () => {
    const unknown = new CommanderError(1, 'commander.unknownCommand', "error: unknown command 'x'");
    expect(report(unknown)).toBe('');
    expect(exitCodeOf(unknown)).toBe(2);
    expect(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
  });

  it('anything else is a bug: its stack is printed (a TypeError or RangeError too), exit 1', () => {
    for (const error of [
      new TypeError("Cannot read properties of undefined (reading 'port')"),
      new RangeError('bad'),
      Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' }),
    ]) {
      const text = report(error);
      expect(text).toContain(`ephemeral-servers: unexpected error: ${error.name}: ${error.message}\n    at `);
      expect(exitCodeOf(error)).toBe(1);
    }
  });
});
