import { PortExhaustedError } from '../errors.js';
import { probePort } from './check-port.js';
import { readEphemeralPortRange, type EphemeralPortRange } from './ephemeral-port-range.js';
import { listListeningPorts } from './listening-ports.js';
import { listClaimedPorts, reservePort, type PortReservation } from './port-reservation.js';

/** Options of {@link allocatePort}. */
export interface AllocatePortOptions {
  /** Server name, for the error message. @default '' */
  server?: string;
  /** Address the port must be free on, as the server will bind it. @default '127.0.0.1' */
  host?: string;
  /**
   * Preferred ports, `[first, last]` inclusive, all tried before any other port (e.g. a dev server's
   * `[8000, 8999]`), in random order, not from `first` up: see {@link allocatePort}. When none of them
   * can be had, any free port is used (`fromRange: false`).
   */
  range?: readonly [number, number];
  /** Ports never to return, e.g. ports a server already lost to another process. */
  exclude?: Iterable<number>;
  /** Directory of cross-process reservations. @default defaultReservationDir() */
  reservationDir?: string;
  /** Pid of the process the reservation is for (see `ReservePortOptions.holderPid`). @default process.pid */
  holderPid?: number;
  /**
   * Most candidate ports to try in all (each one a reservation and a bind probe), range ports included.
   * Ports skipped without a reservation (seen listening in `/proc/net/tcp*`) do not count.
   * @default the range's size + 100 (100 without a range)
   */
  maxAttempts?: number;
}

/** A port allocated by {@link allocatePort}: free when it was probed, and reserved until released. */
export interface AllocatedPort extends PortReservation {
  /** Whether the port comes from the preferred `range`. */
  readonly fromRange: boolean;
}

const ATTEMPTS_BEYOND_RANGE = 100;
/**
 * Range ports found in use by a probe before the rest of the range is checked against `/proc/net/tcp*`.
 * Reading those costs a few attempts' worth (1.5–2 ms per file on a 2-core VM: the kernel walks its
 * whole socket hash table, however few sockets there are), so a roomy range never pays it.
 */
const CROWDED_RANGE_IN_USE = 4;
/**
 * Ranges (`first-last`) whose last allocation in this process found no range port to have: the next
 * allocation from such a range reads `/proc/net/tcp*` before its first probe instead of after
 * {@link CROWDED_RANGE_IN_USE} of them. Only when that read happens depends on it, never which ports
 * may be had: a free range port is still found, since the read is fresh.
 */
const exhaustedRanges = new Set<string>();

function checkPortNumber(value: unknown, name: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65_535) {
    throw new RangeError(`\`${name}\` must be an integer from 1 to 65535, received ${String(value)}`);
  }
  return value as number;
}

function checkRange(range: readonly [number, number] | undefined): readonly [number, number] | undefined {
  if (range === undefined) return undefined;
  if (!Array.isArray(range) || range.length !== 2) {
    throw new TypeError(`\`range\` must be a [first, last] pair of ports, received ${JSON.stringify(range)}`);
  }
  const first = checkPortNumber(range[0], 'range[0]');
  const last = checkPortNumber(range[1], 'range[1]');
  if (first > last) throw new RangeError(`\`range\` must have first <= last, received [${first}, ${last}]`);
  return [first, last];
}

/** First port of the allocation window: below it sit the well-known dev ports (3000, 5432, 8080, 9229…). */
export const ALLOCATION_WINDOW_FIRST = 10_000;
/** Smallest allocation window worth using; with less, ports come from the ephemeral range instead. */
const MIN_WINDOW_SIZE = 1_000;

/**
 * Where ports are drawn from when no preferred range gives one: the ports between
 * {@link ALLOCATION_WINDOW_FIRST} and the start of the kernel's ephemeral range (10000–32767 with Linux's
 * default 32768–60999). The kernel never hands those out by itself, so a port we reserved there cannot be
 * taken by a `listen(0)` or an outgoing connection of an unrelated process between our allocation and the
 * server's bind: only an explicit bind can take it. (Ports drawn from the ephemeral range, as get-port's
 * port-0 fallback does, lose that race: seen in our own parallel suite, where another test file's
 * `listen(0)` got a reserved port and answered the readiness probe of a server that had crashed.) When
 * the ephemeral range leaves no such window (it starts below 11000), the ephemeral range is used.
 */
function allocationWindow(ephemeral: EphemeralPortRange): { first: number; last: number } {
  const last = ephemeral.first - 1;
  return last - ALLOCATION_WINDOW_FIRST + 1 >= MIN_WINDOW_SIZE ? { first: ALLOCATION_WINDOW_FIRST, last } : ephemeral;
}

/** Yields the items of `ports` in random order: an incremental Fisher–Yates shuffle, in place. */
function* inRandomOrder(ports: number[]): Generator<number> {
  for (let left = ports.length; left > 0; left--) {
    const i = Math.floor(Math.random() * left);
    const port = ports[i]!;
    ports[i] = ports[left - 1]!;
    yield port;
  }
}

/**
 * The ports of `range` in the order {@link allocatePort} tries them, `excluded` ports left out: in
 * random order, first those without a claim directory in the `claimed` snapshot, then those with one
 * (held by another process, or left by a dead one: only a reservation attempt can tell).
 */
function* rangeCandidates(
  range: readonly [number, number],
  claimed: ReadonlySet<number>,
  excluded: ReadonlySet<number>,
): Generator<number> {
  const unclaimed: number[] = [];
  const held: number[] = [];
  for (let port = range[0]; port <= range[1]; port++) {
    if (!excluded.has(port)) (claimed.has(port) ? held : unclaimed).push(port);
  }
  yield* inRandomOrder(unclaimed);
  yield* inRandomOrder(held);
}

/** A random port of `window` that `skip` accepts, or `undefined` when there is none. */
function pickRandomPort(window: { first: number; last: number }, skip: (port: number) => boolean): number | undefined {
  const size = window.last - window.first + 1;
  for (let i = 0; i < 32; i++) {
    const port = window.first + Math.floor(Math.random() * size);
    if (!skip(port)) return port;
  }
  const offset = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = window.first + ((offset + i) % size);
    if (!skip(port)) return port;
  }
  return undefined;
}

/**
 * Allocates a free TCP port and reserves it across processes, for a server that must be told its
 * port before it starts. Keep the reservation until the server listens, then release it.
 *
 * Every candidate is reserved first ({@link reservePort}) and only then probed with a throwaway bind
 * ({@link probePort}). Probing an unreserved port, as get-port does, holds it for a moment: a server of
 * another process binding that port at that moment fails with EADDRINUSE. Reserving first means
 * the only process that ever binds a reserved port is its holder: no race between cooperating
 * processes, by construction. Candidates: every port of `range`, then random ports of the allocation
 * window below the kernel's ephemeral range ({@link allocationWindow}), which no `listen(0)` can take.
 *
 * Range ports are tried in random order, not from `range[0]` up: when many processes allocate from one
 * range at once (parallel test workers), an ordered walk sends them all to the same first free port,
 * where simultaneous claimants back off and move on together, port after port, each step a
 * reservation, a directory listing and a probe; in random order they rarely meet, and a range
 * allocation costs about what one without a range does. Which range port comes first is not promised,
 * only that every range port is tried (within `maxAttempts`) before any other port. To skip held ports
 * cheaply, the reservation directory is listed once per allocation ({@link listClaimedPorts}): range
 * ports with a claim there are tried last, after every other range port (a claim may be stale, left by
 * a dead process; the attempt removes it). On Linux, once a few range ports proved in use, ports that
 * have a listening socket on any address (`/proc/net/tcp*`, read once) are skipped without an attempt,
 * which keeps a crowded range cheap; after an allocation that found no range port, the next one from
 * the same range in this process reads `/proc/net/tcp*` before its first probe.
 *
 * @returns the reserved port; `fromRange` says whether it comes from `range`.
 * @throws PortExhaustedError (`ES_PORT_EXHAUSTED`) when `maxAttempts` candidates were in use, reserved by
 *   other processes, or not permitted (EACCES), or when no candidate is left.
 * @throws TypeError / RangeError on invalid options; any unexpected bind error (EADDRNOTAVAIL for a
 *   `host` that is not local, …) or reservation directory error.
 */
export async function allocatePort(options: AllocatePortOptions = {}): Promise<AllocatedPort> {
  const server = options.server ?? '';
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw new TypeError(`\`host\` must be a non-empty string, received ${JSON.stringify(host)}`);
  const range = checkRange(options.range);
  const excluded = new Set<number>();
  for (const port of options.exclude ?? []) excluded.add(checkPortNumber(port, 'exclude[]'));
  const rangeSize = range === undefined ? 0 : range[1] - range[0] + 1;
  const maxAttempts = options.maxAttempts ?? rangeSize + ATTEMPTS_BEYOND_RANGE;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`\`maxAttempts\` must be a positive integer, received ${String(maxAttempts)}`);
  }

  // Ports seen listening (on any address) in /proc/net/tcp*: read, never bound, and only once a range
  // proves crowded (CROWDED_RANGE_IN_USE).
  let listening: ReadonlySet<number> | undefined;
  const tally = { inUse: 0, held: 0, denied: 0 };
  let attempts = 0;
  const tryPort = async (port: number): Promise<PortReservation | undefined> => {
    attempts++;
    const reservation = await reservePort(port, { dir: options.reservationDir, holderPid: options.holderPid });
    if (reservation === undefined) {
      tally.held++;
      return undefined;
    }
    let error: NodeJS.ErrnoException | undefined;
    try {
      error = await probePort(host, port);
    } catch (unexpected) {
      await reservation.release();
      throw unexpected;
    }
    if (error === undefined) return reservation;
    await reservation.release();
    if (error.code === 'EACCES') tally.denied++;
    else tally.inUse++;
    return undefined;
  };
  const allocated = (reservation: PortReservation, fromRange: boolean): AllocatedPort => ({
    port: reservation.port,
    fromRange,
    release: reservation.release,
    [Symbol.asyncDispose]: reservation.release,
  });

  if (range !== undefined) {
    const key = `${range[0]}-${range[1]}`;
    const claimed = await listClaimedPorts({ dir: options.reservationDir });
    if (exhaustedRanges.has(key)) listening = (await listListeningPorts()) ?? new Set();
    for (const port of rangeCandidates(range, claimed, excluded)) {
      if (attempts >= maxAttempts) break;
      if (listening === undefined && tally.inUse >= CROWDED_RANGE_IN_USE)
        listening = (await listListeningPorts()) ?? new Set();
      if (listening?.has(port)) {
        tally.inUse++;
        continue;
      }
      const reservation = await tryPort(port);
      if (reservation !== undefined) {
        exhaustedRanges.delete(key);
        return allocated(reservation, true);
      }
    }
    exhaustedRanges.add(key);
  }
  const ephemeral = readEphemeralPortRange();
  const window = allocationWindow(ephemeral);
  const tried = new Set<number>();
  const skip = (port: number): boolean =>
    excluded.has(port) ||
    tried.has(port) ||
    listening?.has(port) === true ||
    ephemeral.isReserved(port) ||
    (range !== undefined && port >= range[0] && port <= range[1]);
  while (attempts < maxAttempts) {
    const port = pickRandomPort(window, skip);
    if (port === undefined) break;
    tried.add(port);
    const reservation = await tryPort(port);
    if (reservation !== undefined) return allocated(reservation, false);
  }
  throw new PortExhaustedError(
    server,
    attempts,
    `on ${host}${range === undefined ? '' : ` (range ${range[0]}-${range[1]}, then ${window.first}-${window.last})`}, ` +
      `${tally.inUse} port(s) were in use, ${tally.held} reserved by other processes, ${tally.denied} not permitted (EACCES). ` +
      `Raise \`maxAttempts\`, widen \`range\`, or free ports.`,
  );
}
