import { sweepStaleRuns } from '../run/sweep-stale-runs.js';

/** Options of {@link pruneCommand}. */
export interface PruneOptions {
  /** Print JSON (`sweepStaleRuns`' result: `{ reaped, skipped }`) instead of text. */
  json?: boolean;
  /** Directory holding run directories. @default os.tmpdir() */
  tmpDir?: string;
}

/**
 * `ephemeral-servers prune`: reaps stale runs, i.e. run directories under the temp dir whose owner and
 * supervisor both died (a machine crash, both SIGKILLed): their recorded processes are stopped (identity
 * checked) and the directories removed. See `sweepStaleRuns`; live runs are never touched, and a process
 * whose identity cannot be established is never signalled: its run directory stays, and the output
 * says which server, which pid and why.
 */
export async function pruneCommand(
  options: PruneOptions,
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const result = await sweepStaleRuns({ tmpDir: options.tmpDir });
  if (options.json) {
    stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const lines = [
    result.reaped.length === 0 ? 'No stale runs.' : `Reaped ${result.reaped.length} stale run(s):`,
    ...result.reaped.map((dir) => `  ${dir}`),
  ];
  if (result.skipped.length > 0) {
    lines.push(
      `Left ${result.skipped.length} run directory(ies) in place:`,
      ...result.skipped.map(({ runDir, reason }) => `  ${runDir}: ${reason}`),
    );
  }
  stdout.write(`${lines.join('\n')}\n`);
}
