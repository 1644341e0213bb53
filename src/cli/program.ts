import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';

function parseSlot(value: string): number {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError('expected a non-negative integer (0: run-scoped, 1..N: worker slots).');
  return Number(value);
}

function readVersion(): string {
  // dist/cli.js → ../package.json, src/cli/program.ts → ../../package.json (tests with tsx).
  const require = createRequire(import.meta.url);
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const manifest = require(path) as { name?: string; version?: string };
      if (manifest.name === 'ephemeral-servers' && manifest.version) return manifest.version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  return 'unknown';
}

/**
 * Builds the `ephemeral-servers` command line (commander). Errors of actions propagate to `parseAsync`,
 * and so do commander's usage errors, as `CommanderError` (already printed; `--help` and `--version`
 * are one too, with exit code 0).
 * Each command's module is imported when the command runs: `--help` does not load the config loader,
 * zod and the lifecycle.
 */
export function createProgram(): Command {
  const program = new Command('ephemeral-servers')
    .description('Real servers for tests: start them around a command, list them, read their logs, reap leftovers.')
    .version(readVersion())
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    // Commander's own mistakes (unknown command or option, missing argument, bad --slot) throw a
    // CommanderError instead of exiting 1, so that they exit 2 like every usage mistake (see
    // `exitCodeOf`); set before the commands are added, which inherit it. Its text keeps our prefix.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`ephemeral-servers: ${text.replace(/^error: /, '')}`) });

  program
    .command('run')
    .description(
      'Start the run-scoped servers of the config, run <command> with their endpoints in its environment ' +
        "(EPHEMERAL_SERVERS_STATE, <NAME>_URL, <NAME>_HOST, <NAME>_PORT), stop the servers, and exit with the command's code. " +
        'A Vitest, Jest or Playwright global setup inside <command> joins this run instead of starting the servers again.',
    )
    .option(
      '-c, --config <file>',
      'servers config file (default: servers.config.{ts,mts,cts,js,mjs,cjs} in the current directory)',
    )
    .argument(
      '<command...>',
      'the command and its arguments, after `--`; run without a shell (use `sh -c "…"` for shell syntax)',
    )
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  $ ephemeral-servers run -- npx vitest run\n  $ ephemeral-servers run --config e2e/servers.config.ts -- sh -c \'curl "$API_URL/health"\'',
    )
    .action(async (command: string[], options: { config?: string }) => {
      const { runCommand } = await import('./run-command.js');
      const result = await runCommand(command, { config: options.config });
      if ('signal' in result) {
        // Die of the same signal, as a shell expects; the exit code is what a shell would report if the
        // signal is ignored in this process (a background job of a non-interactive shell ignores SIGINT).
        process.exitCode = 128 + (constants.signals[result.signal] ?? 0);
        process.kill(process.pid, result.signal);
        // Signals are handled on a later turn of the event loop; keep it turning until then (other
        // libraries' signal listeners, such as signal-exit's, re-raise the signal themselves).
        setTimeout(() => {}, 1000);
      } else {
        process.exitCode = result.code;
      }
    });

  program
    .command('ls')
    .description(
      'List running servers: of the state file given, of $EPHEMERAL_SERVERS_STATE, or of every live run in the temp dir.',
    )
    .option('-s, --state <file>', 'state file of the run to list')
    .option('--json', 'print JSON (an array of runs) instead of a table')
    .action(async (options: { state?: string; json?: boolean }) => {
      const { lsCommand } = await import('./ls-command.js');
      await lsCommand(options);
    });

  program
    .command('logs')
    .description("Print a command server's log (stdout and stderr as written).")
    .argument('<name>', 'server name, as in the config')
    .option(
      '--slot <n>',
      'instance slot: 0 for run-scoped, 1..N for worker-scoped (default: the only one, else 0)',
      parseSlot,
    )
    .option(
      '-s, --state <file>',
      'state file of the run (default: $EPHEMERAL_SERVERS_STATE, else the live run that has <name>)',
    )
    .option('-f, --follow', 'keep printing new output until the server stops')
    .action(async (name: string, options: { slot?: number; state?: string; follow?: boolean }) => {
      const { logsCommand } = await import('./logs-command.js');
      await logsCommand(name, options);
    });

  program
    .command('prune')
    .description('Reap stale runs: kill what runs whose owner died left behind, and remove their run directories.')
    .option('--json', 'print JSON ({ reaped: [runDir, …], skipped: [{ runDir, reason }, …] })')
    .action(async (options: { json?: boolean }) => {
      const { pruneCommand } = await import('./prune-command.js');
      await pruneCommand(options);
    });

  return program;
}
