import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** Environment variable naming the directory where logs are kept after a run. */
export const KEPT_LOGS_ENV = 'EPHEMERAL_SERVERS_LOGS_DIR';
/** How many runs' kept logs stay in {@link keptLogsRoot}: the oldest go when a new run keeps logs. */
export const KEPT_RUNS = 10;
/** Name of the marker a process of the run writes into the run's `logs/` when a test failed: every log is kept. */
export const KEEP_ALL_MARKER = '.keep-all';

/**
 * Where logs outlive their run: `EPHEMERAL_SERVERS_LOGS_DIR`, else `<os temp dir>/ephemeral-servers-logs-<uid>`.
 * One directory per run that kept something (named after its run directory), the last {@link KEPT_RUNS}.
 */
export function keptLogsRoot(): string {
  const configured = process.env[KEPT_LOGS_ENV];
  if (configured !== undefined && configured !== '') return configured;
  return join(tmpdir(), `ephemeral-servers-logs-${process.getuid?.() ?? 'user'}`);
}

/** The run directory a log belongs to (`<runDir>/logs/<key>.log`), or `undefined` for any other path. */
function runDirOf(logPath: string): string | undefined {
  const logDir = dirname(logPath);
  return basename(logDir) === 'logs' ? dirname(logDir) : undefined;
}

/** The path a log of a run is kept at: `<keptLogsRoot>/<run directory name>/<file>`. */
export function keptLogPath(logPath: string): string | undefined {
  const runDir = runDirOf(logPath);
  return runDir === undefined ? undefined : join(keptLogsRoot(), basename(runDir), basename(logPath));
}

/**
 * Why a log could not be kept, for the errors a file system gives when it cannot take the copy: the
 * error that names the log must still be raised, with the log's own path.
 */
const CANNOT_KEEP = new Set(['ENOENT', 'EEXIST', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT', 'EROFS', 'ENOTDIR']);

/**
 * Creates the kept directory of a run (0700), dropping the oldest runs beyond {@link KEPT_RUNS}.
 * @returns `false` when the root is not a directory of this user (someone else's, or a symlink): nothing is kept there.
 */
function ensureKeptRunDir(dir: string): boolean {
  if (existsSync(dir)) return true;
  const root = dirname(dir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const rootStats = lstatSync(root);
  if (!rootStats.isDirectory() || (process.getuid !== undefined && rootStats.uid !== process.getuid())) return false;
  mkdirSync(dir, { mode: 0o700 });
  const runs = readdirSync(root)
    .map((name) => ({ path: join(root, name), mtimeMs: statSync(join(root, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of runs.slice(KEPT_RUNS)) if (old.path !== dir) rmSync(old.path, { recursive: true, force: true });
  return true;
}

/**
 * Copies a server's log to where it outlives the run (see {@link keptLogsRoot}) and returns that path,
 * the one an error names in `full log:`. The copy is refreshed with the whole log when the run ends.
 * A path outside a run's `logs/`, a log already gone, or a copy the file system refuses (no space, no
 * permission, a kept-logs directory of another user) gives the path as given.
 * @throws Any other `fs` error.
 */
export function keepLog(logPath: string): string {
  const kept = keptLogPath(logPath);
  if (kept === undefined) return logPath;
  try {
    if (!ensureKeptRunDir(dirname(kept))) return logPath;
    copyFileSync(logPath, kept);
  } catch (error) {
    if (!CANNOT_KEEP.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    return existsSync(kept) ? kept : logPath;
  }
  return kept;
}

/**
 * Takes back {@link keepLog} for a log whose error was handled (a start that lost its port and is
 * retried): removes its kept copy, and the run's kept directory when nothing else is in it, so that a
 * clean run keeps nothing. Does nothing when no copy was kept.
 */
export function discardKeptLog(logPath: string): void {
  const kept = keptLogPath(logPath);
  if (kept === undefined || !existsSync(kept)) return;
  rmSync(kept, { force: true });
  try {
    rmdirSync(dirname(kept));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw error;
  }
}

/** Marks a run so that all its logs are kept when it ends (a test failed). Idempotent. */
export function keepAllLogs(logDir: string): void {
  try {
    writeFileSync(join(logDir, KEEP_ALL_MARKER), '', { flag: 'a', mode: 0o600 });
  } catch (error) {
    // The run is already over (its directory is gone): nothing left to keep.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * At the end of a run, before its directory goes: refreshes every kept copy with the whole log, and keeps
 * every log when a test failed ({@link keepAllLogs}). A clean run keeps nothing.
 * @returns The directory the logs were kept in, or `undefined` when nothing was kept.
 */
export function keepRunLogs(logDir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(logDir).filter((name) => name.endsWith('.log'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const all = existsSync(join(logDir, KEEP_ALL_MARKER));
  let keptDir: string | undefined;
  for (const name of names) {
    const logPath = join(logDir, name);
    const kept = keptLogPath(logPath)!;
    if (all || existsSync(kept)) keptDir = dirname(keepLog(logPath));
  }
  return keptDir;
}
