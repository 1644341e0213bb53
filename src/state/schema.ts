import { z } from 'zod';

/** Version of the state file format this build writes. A reader rejects files with a higher version. */
export const STATE_VERSION = 3;

const endpointSchema = z.strictObject({
  name: z.string().min(1),
  slot: z.number().int().nonnegative(),
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
  url: z.string().min(1),
});

const exitSchema = z.strictObject({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
});

/** A process and its start time (clock ticks since boot, `/proc/<pid>/stat` field 22), against pid reuse. */
const processIdentitySchema = z.strictObject({
  pid: z.number().int().positive(),
  startTime: z.string().optional(),
});

/** One running (or dead) server instance, keyed `<name>@<slot>` in {@link StateFile.servers}. */
export const stateEntrySchema = z.strictObject({
  name: z.string().min(1),
  slot: z.number().int().nonnegative(),
  scope: z.enum(['run', 'worker']),
  kind: z.enum(['command', 'in-process']),
  endpoint: endpointSchema,
  /** Pid of the server process (for in-process servers, the process that hosts it). */
  pid: z.number().int().positive(),
  /** Process group id; command servers lead their own group, so it equals `pid`. Absent for in-process. */
  pgid: z.number().int().positive().optional(),
  /** Start time of `pid`, see processIdentitySchema. */
  startTime: z.string().optional(),
  /** Who is responsible for stopping it: the run owner, or the worker process that hosts it. */
  owner: z.strictObject({ kind: z.enum(['run', 'worker']), pid: z.number().int().positive() }),
  startedAt: z.string(),
  logPath: z.string().optional(),
  /** The instance's scratch directory (`{tmpDir}`, under the run directory): removed when it is stopped. */
  tmpDir: z.string().optional(),
  stopSignal: z.string(),
  stopTimeoutMs: z.number().int().nonnegative(),
  /** `starting` while its readiness probe runs (recorded before it is ready, so the supervisor can still stop it). */
  status: z.enum(['starting', 'running', 'dead']),
  /** Keys (`<name>@<slot>`) of the instances it depends on: teardown stops it before them. */
  dependsOn: z.array(z.string()).optional(),
  exit: exitSchema.optional(),
  /** When the supervisor saw it die (ISO 8601), with `status: 'dead'`. */
  exitedAt: z.string().optional(),
  /** Spec field → short hash of its normalized value (`fingerprintSpec`): a runner joining the CLI's run compares its config with it. */
  fingerprint: z.record(z.string(), z.string()).optional(),
});

/** The whole state file of a run. */
export const stateFileSchema = z.strictObject({
  version: z.number().int().positive(),
  runId: z.string().min(1),
  owner: processIdentitySchema,
  createdAt: z.string(),
  runDir: z.string().min(1),
  servers: z.record(z.string(), stateEntrySchema),
});

export type StateEntry = z.infer<typeof stateEntrySchema>;
export type StateFile = z.infer<typeof stateFileSchema>;

/** Key of a server instance in {@link StateFile.servers}: `<name>@<slot>`. */
export function stateKey(name: string, slot: number): string {
  return `${name}@${slot}`;
}
