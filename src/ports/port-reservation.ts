import { PortReservationError } from '../errors.js';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rmdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, readProcessStartTime } from '../process/process-identity.js';

/**
 * A port reserved across processes: no other process that reserves through the same directory gets it
 * until {@link PortReservation.release} is called or this process dies. It does not bind the port:
 * whoever holds the reservation binds it (or spawns the server that does), then releases.
 */
export interface PortReservation extends AsyncDisposable {
  /** The reserved TCP port. */
  readonly port: number;
  /**
   * Gives the port up. Idempotent: later calls return the first call's promise. A function property,
   * not a method: it uses no `this`, so it can be passed on unbound (`release: reservation.release`).
   */
  readonly release: () => Promise<void>;
}

/** Options of {@link reservePort}. */
export interface ReservePortOptions {
  /**
   * Directory of reservations, shared by every process that must not get the same port.
   * @default defaultReservationDir(): `$EPHEMERAL_SERVERS_RESERVATION_DIR`, else `<os.tmpdir()>/ephemeral-servers-ports-<uid>`
   */
  dir?: string;
  /**
   * Pid of the process the reservation is for, when it is not this one: the claim lives as long as that
   * process does, and only its death releases it (there is no `release` for the caller to call on its
   * behalf, beyond its own). For a process that cannot wait for an asynchronous reservation: Playwright's
   * runner evaluates its config synchronously, so a child it spawns synchronously reserves for it.
   * @default process.pid
   */
  holderPid?: number;
}

/**
 * Environment variable naming the port reservation directory, for every process that allocates ports
 * (a globalSetup, its workers, the CLI): the way to move it without code, e.g. when the default path
 * is taken by a file (`ES_PORT_RESERVATION`). Empty counts as unset. Every process that must not get
 * the same port has to use the same directory.
 */
export const RESERVATION_DIR_ENV = 'EPHEMERAL_SERVERS_RESERVATION_DIR';

/**
 * The reservation directory of this user: `$EPHEMERAL_SERVERS_RESERVATION_DIR` when set and not empty,
 * else the machine-wide `<os.tmpdir()>/ephemeral-servers-ports-<uid>` (`<username>` where there are no
 * uids), shared by every run and every process of this user.
 *
 * @param env Environment to read. @default process.env
 */
export function defaultReservationDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[RESERVATION_DIR_ENV];
  if (configured !== undefined && configured !== '') return configured;
  return join(tmpdir(), `ephemeral-servers-ports-${process.getuid?.() ?? userInfo().username}`);
}

/**
 * On-disk protocol (keep it stable: different versions of this package share the directory).
 * `<dir>/<port>/` holds one claim file per claimant, named `<pid>-<startTime>-<nonce>` where
 * `startTime` is the claimant's start-time token (src/platform/start-time.ts: clock ticks from
 * `/proc/<pid>/stat` field 22, or `ps:<seconds>` from `ps -o lstart=`; `x` when none could be read)
 * and `nonce` is hex. The name is the whole identity, so readers never read a half-written file. A
 * claim whose start time is of the other backend's kind counts as live while its pid runs.
 */
const CLAIM_NAME = /^(\d+)-(\d+|ps:\d+|x)-([0-9a-f]+)$/;
/** A port directory's name: the port in decimal. */
const PORT_DIR_NAME = /^[1-9]\d{0,4}$/;

let ownStartTime: string | undefined | null = null;

function claimName(holderPid: number = process.pid): string {
  if (holderPid !== process.pid)
    return `${holderPid}-${readProcessStartTime(holderPid) ?? 'x'}-${randomBytes(6).toString('hex')}`;
  if (ownStartTime === null) ownStartTime = readProcessStartTime(process.pid);
  return `${process.pid}-${ownStartTime ?? 'x'}-${randomBytes(6).toString('hex')}`;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

const checkedDirs = new Map<string, Promise<void>>();

/**
 * Creates `dir` (mode 0700) or checks that an existing one is a real directory (not a symlink) owned
 * by this user, so that another user cannot plant or read our claims in a shared temp directory.
 * @throws PortReservationError when it is not a directory (a file, a symlink, or a file on its path:
 *   mkdir's EEXIST and ENOTDIR) or is another user's.
 */
async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
    throw new PortReservationError(
      `Port reservation directory ${dir} cannot be created: ${code === 'EEXIST' ? 'a file that is not a directory is there' : 'a file that is not a directory is on its path'} (${code}).`,
      dir,
      { cause: error },
    );
  }
  const stats = await lstat(dir);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) {
    throw new PortReservationError(
      `Port reservation directory ${dir} is ${stats.isDirectory() ? `owned by uid ${stats.uid}, not by this user (uid ${uid})` : 'not a directory'}.`,
      dir,
    );
  }
  if (uid !== undefined && (stats.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

function ensureDirOnce(dir: string): Promise<void> {
  let checked = checkedDirs.get(dir);
  if (checked === undefined) {
    checked = ensurePrivateDir(dir);
    checkedDirs.set(dir, checked);
    checked.catch(() => checkedDirs.delete(dir));
  }
  return checked;
}

/** Creates our claim file, re-creating the port directory when a releaser removed it meanwhile. */
async function createClaim(dir: string, portDir: string, claimPath: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await ensureDirOnce(dir);
    try {
      await mkdir(portDir, { mode: 0o700 });
    } catch (error) {
      if (errorCode(error) === 'ENOENT' && attempt < 5) {
        checkedDirs.delete(dir); // the base directory was removed: check it again
        continue;
      }
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    try {
      await writeFile(claimPath, '', { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      // ENOENT: a releaser removed the (then empty) port directory between our mkdir and this create.
      if (errorCode(error) !== 'ENOENT' || attempt >= 5) throw error;
    }
  }
}

/** Removes our claim, then the port directory if it is empty. */
async function removeClaim(portDir: string, claimPath: string): Promise<void> {
  try {
    await unlink(claimPath);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  try {
    await rmdir(portDir);
  } catch (error) {
    // Not empty (another claimant) or already gone: both fine.
    const code = errorCode(error);
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
  }
}

/**
 * Whether a live process other than our claim has a claim in `portDir`. Claims of dead processes (or of
 * a reused pid whose start time differs) are stale and removed on the way, all of them: a claim name
 * belongs to one process only, so removing a dead one never removes anyone else's claim.
 */
async function hasLiveRival(portDir: string, ownName: string): Promise<boolean> {
  let rival = false;
  for (const name of await readdir(portDir)) {
    if (name === ownName) continue;
    const match = CLAIM_NAME.exec(name);
    if (match === null) continue; // not a claim: nothing of ours writes other names here
    const pid = Number(match[1]);
    const startTime = match[2] === 'x' ? undefined : match[2];
    if (isProcessAlive(pid, startTime)) {
      rival = true;
      continue;
    }
    try {
      await unlink(join(portDir, name));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
  return rival;
}

/**
 * The ports that have a port directory in `dir` at this instant: reserved by a live process, being
 * claimed or released right now, or left behind by a dead one (only {@link reservePort} removes stale
 * claims). A snapshot read with one `readdir` of `dir`, never a claim: a hint for skipping likely-held
 * ports without the cost of a reservation attempt; only {@link reservePort} decides who holds a port.
 *
 * @returns the ports, empty when `dir` was removed meanwhile.
 * @throws PortReservationError when `dir` exists but is not a directory owned by this user; file
 *   system errors other than ENOENT are rethrown.
 */
export async function listClaimedPorts(options: ReservePortOptions = {}): Promise<Set<number>> {
  const dir = options.dir ?? defaultReservationDir();
  await ensureDirOnce(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    checkedDirs.delete(dir); // removed: the next reservation checks it again
    return new Set();
  }
  const ports = new Set<number>();
  for (const name of names) {
    const port = Number(name);
    if (PORT_DIR_NAME.test(name) && port <= 65_535) ports.add(port);
  }
  return ports;
}

function createReservation(port: number, portDir: string, claimPath: string): PortReservation {
  let released: Promise<void> | undefined;
  const release = (): Promise<void> => (released ??= removeClaim(portDir, claimPath));
  return { port, release, [Symbol.asyncDispose]: release };
}

/**
 * Reserves `port` across processes: every process (of this user) that reserves through the same
 * directory sees the reservation, unlike get-port's in-process lock.
 *
 * Algorithm (mutual exclusion without a lock to break): create our own uniquely named claim file in
 * `<dir>/<port>/`, then list that directory. Any other claim of a live process means the port is held
 * (or being claimed at the same instant): remove ours and answer `undefined`. Of two simultaneous
 * claimants at least the later one sees the other, so two never both win (both may lose: the caller
 * moves on to another port). Claims of dead processes are stale: they are removed and ignored, and
 * since a claim name is unique to its process, removing one can never remove a live claim; there is
 * no "break the stale lock" race.
 *
 * @param port TCP port, 1–65535.
 * @returns the reservation, or `undefined` when another live process holds or is claiming the port
 *   (this process's own earlier reservation of the port counts too).
 * @throws RangeError when `port` is not an integer in 1–65535.
 * @throws Error when the directory exists but is not a directory owned by this user; file system
 *   errors other than the expected races (ENOENT, EEXIST, ENOTEMPTY) are rethrown.
 */
export async function reservePort(
  port: number,
  options: ReservePortOptions = {},
): Promise<PortReservation | undefined> {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(`\`port\` must be an integer from 1 to 65535, received ${String(port)}`);
  }
  const dir = options.dir ?? defaultReservationDir();
  const portDir = join(dir, String(port));
  if (options.holderPid !== undefined && (!Number.isInteger(options.holderPid) || options.holderPid < 1)) {
    throw new RangeError(`\`holderPid\` must be a positive integer, received ${String(options.holderPid)}`);
  }
  const name = claimName(options.holderPid);
  const claimPath = join(portDir, name);
  await createClaim(dir, portDir, claimPath);
  let rival: boolean;
  try {
    rival = await hasLiveRival(portDir, name);
  } catch (error) {
    await removeClaim(portDir, claimPath);
    throw error;
  }
  if (rival) {
    await removeClaim(portDir, claimPath);
    return undefined;
  }
  return createReservation(port, portDir, claimPath);
}
