import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readProcessStartTime } from '../process/process-identity.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import type { Run } from './run.js';

/** Name of the file, in the run directory, recording the reaper's identity (`{ pid, startTime }`). */
export const REAPER_FILE = 'reaper.json';
/** Name of the reaper's log file in the run directory. */
export const REAPER_LOG_FILE = 'reaper.log';

/** The owner's side of a run's reaper. */
export interface ReaperHandle {
  /** Pid of the reaper process. */
  readonly pid: number;
  /**
   * Synchronous, best effort: tells the reaper that if this process dies now it must SIGKILL at once
   * rather than stop gracefully (used on the exit path and on a second Ctrl+C).
   */
  urgent(): void;
  /** The run ended cleanly: tells the reaper to exit without touching anything, and closes the pipe. Idempotent. */
  release(): void;
}

/** Identity of a reaper as recorded in {@link REAPER_FILE}. */
export interface ReaperIdentity {
  pid: number;
  startTime?: string | undefined;
}

/**
 * The argv (after `node`) that runs the reaper script: `reaper.js` (or `reaper.cjs`) next to the built
 * module that holds this code; when this code runs from `src/` (tests, through tsx or Vitest), the
 * TypeScript entry `src/reaper/reaper-main.ts` under `--import tsx`.
 */
export function resolveReaperArgs(moduleUrl: string = import.meta.url): string[] {
  const here = fileURLToPath(moduleUrl);
  if (/\.[cm]?tsx?$/.test(here)) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return ['--import', tsx, join(dirname(here), '..', 'reaper', 'reaper-main.ts')];
  }
  return [join(dirname(here), here.endsWith('.cjs') ? 'reaper.cjs' : 'reaper.js')];
}

/**
 * Spawns the reaper of `run`: `process.execPath` running the reaper script, detached into its own
 * session (a terminal's Ctrl+C does not reach it), stdin a pipe from this process, stdout ignored and
 * stderr appended to `<runDir>/reaper.log` (mode 0600). The child handle and the pipe are unref'd:
 * the reaper never keeps this process alive. Its pid and start time go to `<runDir>/reaper.json`, so
 * the stale-run sweep can tell whether a run's reaper is still at work.
 *
 * When this process ends by any means, the kernel closes the pipe and the reaper reaps the run (see
 * `src/reaper/reaper-main.ts`) unless {@link ReaperHandle.release} was called first.
 *
 * @throws The spawn error (e.g. `EAGAIN` when no process can be created).
 */
export async function spawnReaper(run: Pick<Run, 'runDir' | 'stateFile'>): Promise<ReaperHandle> {
  const env = { ...process.env };
  // The reaper needs plain Node: no inspector port, no loader of the host (it brings its own when needed).
  delete env.NODE_OPTIONS;
  const logFd = openSync(join(run.runDir, REAPER_LOG_FILE), 'a', 0o600);
  let child;
  try {
    child = spawn(process.execPath, [...resolveReaperArgs(), run.stateFile], {
      detached: true,
      stdio: ['pipe', 'ignore', logFd],
      env,
      windowsHide: true,
    });
  } finally {
    closeSync(logFd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const stdin = child.stdin!;
  let open = true;
  // EPIPE when the reaper died early: the run loses its guarantee against SIGKILL, nothing else breaks.
  stdin.on('error', () => {
    open = false;
  });
  child.unref();
  (stdin as unknown as { unref(): void }).unref();
  const pid = child.pid!;
  await writeFileAtomic(join(run.runDir, REAPER_FILE), JSON.stringify({ pid, startTime: readProcessStartTime(pid) } satisfies ReaperIdentity));
  return {
    pid,
    urgent() {
      // A pipe write with an empty queue is attempted synchronously by libuv: it lands even from an exit handler.
      if (open) stdin.write('urgent\n');
    },
    release() {
      if (!open) return;
      open = false;
      stdin.end('done\n');
    },
  };
}

/** Reads `<runDir>/reaper.json`, or `undefined` when it is missing or unreadable. */
export async function readReaperIdentity(runDir: string): Promise<ReaperIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(join(runDir, REAPER_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const data = JSON.parse(text) as Partial<ReaperIdentity>;
    if (typeof data.pid !== 'number' || !Number.isInteger(data.pid) || data.pid <= 0) return undefined;
    return { pid: data.pid, startTime: typeof data.startTime === 'string' ? data.startTime : undefined };
  } catch (error) {
    // Written atomically, so only a hand-edited file lands here: as if there were no reaper.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
