/**
 * ephemeral-servers: real servers for integration and end-to-end tests.
 *
 * The public core API: what README.md and docs/ teach, the error classes and the types users write
 * configs and options with. Nothing else: the adapters (`ephemeral-servers/vitest`, `/jest`,
 * `/playwright`, `/supertest`) import the internals they need from the source modules (tsup bundles
 * those into chunks shared by every entry, see tsup.config.ts), so the state file's schema, the run
 * directory's layout and the config's normalized form are no part of the package's contract.
 * test/exports.test.ts pins this list: a change to it is deliberate.
 */
export { defineServers } from './config/define-servers.js';
export type {
  AppLike,
  BaseServerSpec,
  CommandServerSpec,
  CustomReadiness,
  HttpReadiness,
  InProcessServerSpec,
  LogReadiness,
  ProbeContext,
  ReadinessProbeSpec,
  ReadinessSpec,
  Scope,
  ServerSpec,
  ServersConfig,
  TcpReadiness,
} from './config/types.js';
export { CONFIG_ENV } from './config/config-env.js';
export { Wait, type ForHttpOptions } from './readiness/wait.js';
export type { Endpoint, Protocol } from './endpoint.js';
export { startServers, type ServersHandle, type StartServersOptions } from './lifecycle/start-servers.js';
export { startRun, type RunOrigin, type RunOwner, type StartRunOptions } from './lifecycle/start-run.js';
export type { Run } from './run/owned-run.js';
export type { RunPaths } from './run/run-dir.js';
export type { ReloadResult } from './lifecycle/run-servers.js';
export { getEndpoint, type GetEndpointOptions } from './state/get-endpoint.js';
export { STATE_ENV } from './state/state-path.js';
export { sweepStaleRuns, type SweepStaleRunsOptions, type SweepStaleRunsResult } from './run/sweep-stale-runs.js';
export {
  ERROR_CODES,
  ERROR_FIXES,
  CommandNotFoundError,
  ConfigError,
  EphemeralServersError,
  PlatformUnsupportedError,
  PortExhaustedError,
  PortInUseError,
  PortPermissionError,
  PortReservationError,
  ProcessTableError,
  ReadinessTimeoutError,
  RunConfigMismatchError,
  RunDirectoryError,
  ServerDaemonizedError,
  ServerDeadError,
  ServerExitedError,
  ServerNotFoundError,
  ServerStartError,
  SetupStepError,
  StateChangeError,
  StateFileError,
  StopError,
  SupervisorUnreachableError,
  UnverifiedProcessError,
  type ConfigIssue,
  type ErrorCode,
  type ExitStatus,
  type PortHolder,
  type RunConfigDifference,
  type ServerDeathDetails,
  type StateFileProblem,
} from './errors.js';
