import { StateFileError } from '../errors.js';
import { readState } from '../state/index.js';
import type { StateFile } from '../state/schema.js';

type Phase = 'waiting' | 'starting' | 'ready' | 'failed';

interface Line {
  name: string;
  phase: Phase;
  url?: string;
  /** Time to ready, in milliseconds. */
  readyMs?: number;
  /** Whether a plain line about its current phase was printed already. */
  printed?: Phase;
}

/** How a start ended, for {@link StartProgress.finish}. */
export type StartOutcome =
  | { ok: true; endpoints: Readonly<Record<string, { url: string }>>; readyMs: Readonly<Record<string, number>> }
  | { ok: false; failed: string | undefined };

/** Live progress of a start; see {@link startProgress}. */
export interface StartProgress {
  /** Stops polling and prints the final state. */
  finish(outcome: StartOutcome): Promise<void>;
}

/** Options of {@link startProgress}. */
export interface StartProgressOptions {
  /** Where to write (stderr: stdout belongs to the command). */
  stream: NodeJS.WritableStream;
  /** Redraw lines in place with a spinner (a terminal), or print one plain line per change. */
  tty: boolean;
  /** Path of the run's state file, once the run exists (`undefined` before). */
  locateState: () => string | undefined;
  /** Poll interval, in milliseconds. @default 80 */
  intervalMs?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const PREFIX = 'ephemeral-servers:';

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Shows the start of servers while it happens, by polling the run's state file (a server is recorded
 * as `starting` once spawned, then `running` once ready). On a terminal, one line per server with a
 * spinner, redrawn in place, ending with its URL and time to ready; otherwise a plain line per change
 * (CI logs stay readable).
 */
export function startProgress(names: readonly string[], options: StartProgressOptions): StartProgress {
  const { stream, tty } = options;
  const startedAt = performance.now();
  const lines: Line[] = names.map((name) => ({ name, phase: 'waiting' }));
  const width = Math.max(0, ...names.map((n) => n.length));
  let frame = 0;
  let drawn = 0;

  const describe = (line: Line): string => {
    const name = line.name.padEnd(width);
    switch (line.phase) {
      case 'ready':
        return `${tty ? '✔' : PREFIX} ${name}  ready in ${formatMs(line.readyMs ?? 0)}  ${line.url ?? ''}`;
      case 'failed':
        return `${tty ? '✖' : PREFIX} ${name}  failed`;
      case 'starting':
        return `${tty ? FRAMES[frame % FRAMES.length] : PREFIX} ${name}  starting${tty ? `  ${formatMs(performance.now() - startedAt)}` : ''}`;
      default:
        return `${tty ? FRAMES[frame % FRAMES.length] : PREFIX} ${name}  waiting${tty ? ' for dependencies' : ''}`;
    }
  };

  const render = (): void => {
    if (tty) {
      let out = drawn > 0 ? `\x1b[${drawn}A` : '';
      for (const line of lines) out += `\x1b[2K${describe(line)}\n`;
      drawn = lines.length;
      stream.write(out);
      frame += 1;
      return;
    }
    for (const line of lines) {
      if (line.phase === 'waiting' || line.printed === line.phase) continue;
      line.printed = line.phase;
      stream.write(`${describe(line)}\n`);
    }
  };

  const apply = (state: StateFile): void => {
    for (const line of lines) {
      const entry = state.servers[`${line.name}@0`];
      if (!entry || line.phase === 'ready') continue;
      if (entry.status === 'running') {
        line.phase = 'ready';
        line.url = entry.endpoint.url;
        line.readyMs = performance.now() - startedAt;
      } else if (entry.status === 'starting') {
        line.phase = 'starting';
      }
    }
  };

  let polling = true;
  const intervalMs = options.intervalMs ?? 80;
  if (!tty && names.length > 0) stream.write(`${PREFIX} starting ${names.join(', ')}\n`);
  const poll = (async () => {
    while (polling) {
      const path = options.locateState();
      if (path !== undefined) {
        try {
          apply(await readState(path));
        } catch (error) {
          // The state file is being created, or already removed after a failure: nothing to show yet.
          if (!(error instanceof StateFileError)) throw error;
        }
      }
      if (polling) render();
      await new Promise((resolve) => setTimeout(resolve, intervalMs).unref());
    }
  })();

  return {
    async finish(outcome: StartOutcome): Promise<void> {
      polling = false;
      await poll;
      for (const line of lines) {
        if (outcome.ok) {
          line.phase = 'ready';
          line.url = outcome.endpoints[line.name]?.url;
          // Exact figures from the start itself replace the polled ones.
          line.readyMs = outcome.readyMs[line.name] ?? line.readyMs;
        } else if (line.name === outcome.failed) {
          line.phase = 'failed';
        }
      }
      render();
    },
  };
}
