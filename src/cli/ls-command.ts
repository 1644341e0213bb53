import { readStateEnv } from '../state/state-path.js';
import { findRuns, readRun, type RunListing } from './list-runs.js';

/** Options of {@link lsCommand}. */
export interface LsOptions {
  /** State file to list. @default `EPHEMERAL_SERVERS_STATE`, else every live run under the temp dir */
  state?: string;
  /** Print JSON (an array of runs) instead of a table. */
  json?: boolean;
}

function formatUptime(startedAt: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(startedAt)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}

/** Formats rows as left-aligned columns separated by two spaces. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '),
    )
    .join('\n');
}

/** Renders runs as text: a header line per run, then a table of its servers. */
export function formatRuns(runs: readonly RunListing[], now: number = Date.now()): string {
  return runs
    .map((run) => {
      const header = `run ${run.runId}  owner pid ${run.owner.pid}${run.owner.alive ? '' : ' (dead)'}  ${run.stateFile}`;
      if (run.servers.length === 0) return `${header}\n  (no servers)`;
      const rows = [
        ['NAME', 'SLOT', 'SCOPE', 'STATUS', 'PID', 'UPTIME', 'URL'],
        ...run.servers.map((s) => [
          s.name,
          String(s.slot),
          s.scope,
          s.status,
          String(s.pid),
          formatUptime(s.startedAt, now),
          s.url,
        ]),
      ];
      return `${header}\n${formatTable(rows)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n')}`;
    })
    .join('\n\n');
}

/**
 * `ephemeral-servers ls`: the servers of one run (`--state`, else `EPHEMERAL_SERVERS_STATE`), or of
 * every live run found under the temp dir.
 * @throws StateFileError when the given state file cannot be read.
 */
export async function lsCommand(options: LsOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  const stateFile = options.state || readStateEnv();
  let runs: RunListing[];
  let stale = 0;
  if (stateFile !== undefined) runs = [await readRun(stateFile)];
  else ({ live: runs, stale } = await findRuns());
  if (options.json) {
    stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return;
  }
  const hint = stale > 0 ? `\n${stale} stale run(s) whose owner died: \`ephemeral-servers prune\` removes them.` : '';
  stdout.write(runs.length === 0 ? `No running ephemeral-servers runs.${hint}\n` : `${formatRuns(runs)}${hint}\n`);
}
