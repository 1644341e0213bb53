import type { AppLike, CustomReadiness, Scope } from './types.js';

/** A readiness probe after shorthand expansion. */
export type NormalizedProbe =
  /** `url`: the probe's own URL template (`{host}`, `{port}`), requested instead of the server's `url` + `path`. */
  | { type: 'http'; path: string; url?: string; statuses: readonly number[] | undefined; insecure: boolean }
  | { type: 'tcp' }
  | { type: 'log'; pattern: RegExp }
  | { type: 'custom'; check: CustomReadiness['check']; description: string };

/** Port request after validation. */
export type PortRequest =
  /** Allocate: port 0 for in-process servers; reserved port for command servers. */
  | { mode: 'auto'; range: readonly [number, number] | undefined }
  /** Command server binds port 0 itself and announces the port via a log probe with a `port` group. */
  | { mode: 'announced' }
  /** Exactly this port. */
  | { mode: 'fixed'; port: number };

interface NormalizedBase {
  name: string;
  scope: Scope;
  host: string;
  port: PortRequest;
  /** The connection URL template (`{host}`, `{port}`, `{tmpDir}`): the spec's `url`, or `<protocol>://{host}:{port}`. */
  url: string;
  /** All must pass (one deadline). Empty for in-process servers with no explicit readiness. */
  readiness: readonly NormalizedProbe[];
  startTimeoutMs: number;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  dependsOn: readonly string[];
}

export interface NormalizedCommandSpec extends NormalizedBase {
  kind: 'command';
  /** With placeholders still in (expanded at start time). */
  command: readonly string[];
  /** Steps run before `command`, placeholders still in. */
  setup: readonly (readonly string[])[];
  /** Absolute, or a template starting with a placeholder (`{tmpDir}/x`), expanded and resolved at start. */
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** The user to run `setup` and `command` as; `undefined`: this process's. */
  user: string | number | undefined;
}

export interface NormalizedInProcessSpec extends NormalizedBase {
  kind: 'in-process';
  app: () => AppLike | Promise<AppLike>;
}

export type NormalizedSpec = NormalizedCommandSpec | NormalizedInProcessSpec;

/** A validated config: specs by name, plus a topological order (dependencies first). */
export interface ServerPlan {
  specs: ReadonlyMap<string, NormalizedSpec>;
  /** Names, every server after all of its dependencies; ties keep config order. */
  order: readonly string[];
}

/** Defaults, documented on the spec fields in types.ts; tests check the docs and these agree. */
export const DEFAULTS = {
  host: '127.0.0.1',
  protocol: 'http',
  startTimeoutMs: 30_000,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 5_000,
  httpPath: '/',
} as const;
