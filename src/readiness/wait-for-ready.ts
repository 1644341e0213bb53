import type { NormalizedProbe } from '../config/normalized.js';
import { ReadinessTimeoutError, ServerExitedError, type ExitStatus } from '../errors.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, nextDelayMs, resolveBackoff, type Backoff } from './backoff.js';
import type { OutputSource } from './output-source.js';
import {
  createProbe,
  type CapturedGroups,
  type ProbeResult,
  type ProbeTarget,
  type ReadinessProbe,
} from './readiness-probe.js';
import { Sleeper } from './sleeper.js';

/** Options of {@link waitForReady}. */
export interface WaitForReadyOptions {
  /** Server name, for errors and for custom probes. */
  server: string;
  /** Probes that must all pass, under the one deadline. None: ready at once. */
  probes: readonly NormalizedProbe[];
  /**
   * The server's address, or `undefined` while it is not known (a port-0 command server before its
   * `log` probe captured the port). Called before every attempt of an `http`, `tcp` or `custom` probe.
   */
  target: () => ProbeTarget | undefined;
  /** The server's output. Required when `probes` has a `log` probe. */
  output?: OutputSource;
  /**
   * Called when a `log` probe matched a line with a `port` and/or `host` group, before any probe that
   * needs the address runs again: update what `target` returns here.
   */
  onCapture?: (captured: CapturedGroups) => void;
  /** Deadline for every probe to pass, from `startedAt`, in milliseconds. */
  startTimeoutMs: number;
  /**
   * When the start began (`performance.now()`), for a deadline shared with work done before the probes
   * (a command server's `setup` steps); `elapsedMs` counts from it too.
   * @default the call
   */
  startedAt?: number;
  /**
   * Settles when the server process exits: the wait then fails at once with `ServerExitedError`.
   * Resolve it after the process's output has been read to the end, so that the tail is complete.
   */
  exited?: Promise<ExitStatus>;
  /** Last lines of output, for `ServerExitedError` and `ReadinessTimeoutError`. @default () => [] */
  outputTail?: () => readonly string[];
  /** Path of the server's full log file, named in `ServerExitedError`. */
  logPath?: string;
  /** Aborting it ends the wait, rejected with the signal's reason. */
  signal?: AbortSignal;
  /** Delays between attempts of a probe; missing fields take their defaults. @default DEFAULT_BACKOFF */
  backoff?: Partial<Backoff>;
  /** Time one `http` or `tcp` attempt may take, in milliseconds. @default DEFAULT_ATTEMPT_TIMEOUT_MS (2000) */
  attemptTimeoutMs?: number;
}

/** How a successful wait went. */
export interface ReadyResult {
  /** Time from `startedAt` (default: the call) until the last probe passed, in milliseconds (rounded). */
  elapsedMs: number;
  /** Probe attempts made, all probes together. */
  attempts: number;
}

/** `url` of a `ReadinessTimeoutError` when the port was never announced. */
const UNKNOWN_URL = '(address unknown: port not captured)';

interface ProbeState {
  probe: ReadinessProbe;
  passed: boolean;
  lastError: string | undefined;
  /** `performance.now()` at the start of the attempt in flight, if any. */
  attemptStartedAt: number | undefined;
}

/**
 * Waits until every probe has passed once (a probe that passed is not run again). `log` probes run
 * from the start; the others once `target()` returns an address (when a `log` probe captures the port,
 * they run at once). Each probe polls with {@link Backoff} delays.
 *
 * Rejects with `ServerExitedError` as soon as `exited` settles, with `ReadinessTimeoutError` after
 * `startTimeoutMs` (naming the first probe not passed, the URL, the time, the last probe error and the
 * output tail), with the signal's reason when `signal` aborts, and with any error a probe or a callback
 * throws unexpectedly. Once it has settled no timer or socket of its own is left: attempts in flight are
 * aborted and their sockets destroyed. Its timers are `unref()`'d, so it does not keep the process alive
 * on its own: the caller holds the server process or socket that does.
 * @throws {RangeError} for a `startTimeoutMs`, `attemptTimeoutMs` or `backoff` field out of range.
 */
export async function waitForReady(options: WaitForReadyOptions): Promise<ReadyResult> {
  const { server, startTimeoutMs, attemptTimeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS, signal } = options;
  checkMilliseconds('startTimeoutMs', startTimeoutMs);
  checkMilliseconds('attemptTimeoutMs', attemptTimeoutMs);
  const backoff = resolveBackoff(options.backoff);
  const states: ProbeState[] = options.probes
    .map((spec) => createProbe(spec, { output: options.output }))
    .sort((a, b) => Number(a.needsTarget) - Number(b.needsTarget))
    .map((probe) => ({ probe, passed: false, lastError: undefined, attemptStartedAt: undefined }));
  signal?.throwIfAborted();
  if (states.length === 0) {
    return { elapsedMs: 0, attempts: 0 };
  }

  const startedAt = options.startedAt ?? performance.now();
  const elapsedMs = (): number => Math.round(performance.now() - startedAt);
  const stop = new AbortController();
  const sleeper = new Sleeper(stop.signal);
  let attempts = 0;
  let settled = false;

  const attempt = async (state: ProbeState, target: ProbeTarget | undefined): Promise<ProbeResult> => {
    const controller = new AbortController();
    const onStop = (): void => controller.abort(stop.signal.reason);
    const timer = setTimeout(() => {
      controller.abort(new DOMException(`no answer within ${attemptTimeoutMs} ms (attempt timeout)`, 'TimeoutError'));
    }, attemptTimeoutMs);
    timer.unref();
    stop.signal.addEventListener('abort', onStop, { once: true });
    state.attemptStartedAt = performance.now();
    try {
      return await state.probe.check({ server, target, signal: controller.signal, waitSignal: stop.signal });
    } finally {
      state.attemptStartedAt = undefined;
      clearTimeout(timer);
      stop.signal.removeEventListener('abort', onStop);
    }
  };

  const run = async (state: ProbeState): Promise<void> => {
    let delayMs = backoff.initialMs;
    while (!settled) {
      const target = state.probe.needsTarget ? options.target() : undefined;
      if (state.probe.needsTarget && target === undefined) {
        state.lastError = 'the address is not known yet (no `log` probe has captured the port)';
      } else {
        attempts += 1;
        const result = await attempt(state, target);
        if (settled) return;
        if (result.ok) {
          if (result.captured !== undefined) options.onCapture?.(result.captured);
          state.passed = true;
          sleeper.wakeAll();
          return;
        }
        state.lastError = result.reason;
      }
      const wake = await sleeper.sleep(delayMs);
      delayMs = wake === 'woken' ? backoff.initialMs : nextDelayMs(backoff, delayMs, performance.now() - startedAt);
    }
  };

  const timeoutError = (): ReadinessTimeoutError => {
    const blocking = states.find((state) => !state.passed) ?? states[0]!;
    const target = options.target();
    const inFlightMs =
      blocking.attemptStartedAt === undefined ? undefined : Math.round(performance.now() - blocking.attemptStartedAt);
    return new ReadinessTimeoutError({
      server,
      probe: blocking.probe.describe(target),
      url: target?.url ?? UNKNOWN_URL,
      elapsedMs: elapsedMs(),
      lastError:
        blocking.lastError ?? (inFlightMs === undefined ? undefined : `an attempt got no answer in ${inFlightMs} ms`),
      outputTail: options.outputTail?.() ?? [],
      logPath: options.logPath,
    });
  };

  return new Promise<ReadyResult>((resolve, reject) => {
    const cleanUp = (): void => {
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      cleanUp();
      stop.abort(error);
      reject(error);
    };
    const onAbort = (): void => fail(signal?.reason);
    // A Node timer can fire a fraction of a millisecond early (libuv's clock is in whole ms): re-arm until the deadline has passed.
    let deadline: NodeJS.Timeout;
    const leftMs = (): number => startedAt + startTimeoutMs - performance.now();
    const armDeadline = (): void => {
      deadline = setTimeout(
        () => (leftMs() <= 0 ? fail(timeoutError()) : armDeadline()),
        Math.max(0, Math.ceil(leftMs())),
      );
      deadline.unref();
    };
    armDeadline();
    signal?.addEventListener('abort', onAbort, { once: true });
    options.exited?.then(
      // Built only while the wait is on: the error keeps the log (`keepLog`), and a server stopped after
      // it was ready exits too.
      (exit) => settled || fail(new ServerExitedError(server, exit, options.outputTail?.() ?? [], options.logPath)),
      fail,
    );
    Promise.all(states.map(run)).then(() => {
      if (settled) return;
      cleanUp();
      resolve({ elapsedMs: elapsedMs(), attempts });
    }, fail);
  });
}

function checkMilliseconds(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`\`${name}\` must be a positive number of milliseconds, received ${String(value)}`);
  }
}
